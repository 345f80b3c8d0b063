//! The workloads of the deterministic instruction-count gate (`benches/benches/instructions.rs`,
//! run under callgrind by gungraun; compared by [`crate::gate`]).
//!
//! Each workload is built by a set-up function (not measured: instances, fixtures, a warm-up
//! call so that one-time initialisation is paid before the measured call) and measured by one
//! `run` call. The fixture is handed back to the harness after `run`, so that dropping it is not
//! measured either. Every `run` returns what the operation answered, and the tests below check
//! that answer, so a workload cannot silently measure a rejected or empty operation.
//!
//! The test-only slow-down knob ([`crate::knobs::SLOWDOWN_ENV`]) is read at set-up and spent
//! inside every measured `run` (in [`crate::knobs::spin`]): it shows that the gate fails and
//! names the function that grew (`offline_v2_benches::knobs::spin_slowly`).

use std::hint::black_box;

use offline_v2::abi::host::TableDll;
use offline_v2::types::{ErrorCode, MoveGroupFlags, WorkMode};
use offline_v2_model::{ModelConfig, Setup};
use offline_v2_properties::conformance::scenario_of_setup;
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::model_side::ModelSide;
use offline_v2_properties::replay::{replay, ReplayReport, Side};
use offline_v2_properties::scenario::{Call, MoveGroupCall, Scenario, Step};
use stateright::{Checker, Model};

use crate::hot_path::{AbiFixture, EmptyTable};
use crate::knobs::{slowdown_spins, spin};
use crate::move_cycle::MoveCycle;

/// The RESID index the hot-path workloads measure (index 0 is the warm-up resource).
const MEASURED: usize = 1;

/// An empty `extern "system"` OfflineV2 through a `CLRES_FUNCTION_TABLE` of the same type:
/// the instruction-count floor the hot path is compared with.
#[derive(Debug)]
pub struct EmptyCall {
    slow: u64,
}

impl EmptyCall {
    /// Set-up.
    #[must_use]
    pub fn setup() -> Self {
        Self {
            slow: slowdown_spins(),
        }
    }

    /// The measured call; answers 0.
    #[inline(never)]
    pub fn run(&mut self) -> u32 {
        let code = EmptyTable::offline_v2(black_box(MEASURED));
        spin(self.slow);
        code
    }
}

/// Two resources of one reference DLL instance (in-process exports, called through the
/// exported V4 table), both Online, `online: sync`; resource 0 is used for the warm-up.
#[derive(Debug)]
pub struct TableCalls {
    /// Boxed: the harness moves the workload into and out of the measured function, and a
    /// large fixture moved by value would add a `memcpy` the empty call does not pay.
    fx: Box<AbiFixture>,
    slow: u64,
}

impl TableCalls {
    fn new(offline: WorkMode) -> Self {
        let mut fx = AbiFixture::in_process(2, offline);
        // Warm-up on resource 0: the first call of an instance pays one-time costs.
        let first = fx.offline_v2(0);
        if first == ErrorCode::ERROR_IO_PENDING {
            fx.complete_pending_offline(0);
        }
        let _ = fx.online_v2(0);
        let _ = fx.offline_v2_invalid(0);
        Self {
            fx: Box::new(fx),
            slow: slowdown_spins(),
        }
    }

    /// Set-up of the synchronous offline and of the R1 rejection (`offline: sync`).
    #[must_use]
    pub fn sync() -> Self {
        Self::new(WorkMode::Sync)
    }

    /// Set-up of the IO_PENDING workload (`offline: pending`).
    #[must_use]
    pub fn pending() -> Self {
        Self::new(WorkMode::Pending)
    }

    /// OfflineV2 answering ERROR_SUCCESS (move-leg flags 0x42, DestinationNodeName `n2`).
    #[inline(never)]
    pub fn offline_sync(&mut self) -> ErrorCode {
        let code = self.fx.offline_v2(black_box(MEASURED));
        spin(self.slow);
        code
    }

    /// OfflineV2 with flag 0x80: R1 answers ERROR_INVALID_PARAMETER.
    #[inline(never)]
    pub fn offline_invalid_flags(&mut self) -> ErrorCode {
        let code = self.fx.offline_v2_invalid(black_box(MEASURED));
        spin(self.slow);
        code
    }

    /// OfflineV2 answering ERROR_IO_PENDING, then the completion: the control export ends the
    /// pending work and the DLL calls the host's SetResourceStatusEx (R7); the host drains it.
    /// Returns the OfflineV2 answer and the number of status callbacks the host received.
    #[inline(never)]
    pub fn offline_pending_completion(&mut self) -> (ErrorCode, usize) {
        let code = self.fx.offline_v2(black_box(MEASURED));
        let callbacks = self.fx.complete_pending_offline(MEASURED);
        spin(self.slow);
        (code, callbacks)
    }
}

/// The move + return-to-source cycle through `Cluster::step` (see [`MoveCycle`]), warmed up by
/// one cycle.
#[derive(Debug)]
pub struct MoveCycleRun {
    cycle: MoveCycle,
    slow: u64,
}

impl MoveCycleRun {
    /// Set-up (one warm-up cycle).
    ///
    /// # Panics
    /// If the warm-up cycle does not complete with ERROR_GEN_FAILURE back at the start.
    #[must_use]
    pub fn setup() -> Self {
        let mut cycle = MoveCycle::new();
        assert_eq!(cycle.run(), Some(ErrorCode::ERROR_GEN_FAILURE));
        assert!(cycle.at_start());
        Self {
            cycle,
            slow: slowdown_spins(),
        }
    }

    /// One cycle: the move's completion code (ERROR_GEN_FAILURE).
    #[inline(never)]
    pub fn run(&mut self) -> Option<ErrorCode> {
        let result = self.cycle.run();
        spin(self.slow);
        result
    }

    /// True when the cluster is back where it started.
    #[must_use]
    pub fn at_start(&self) -> bool {
        self.cycle.at_start()
    }
}

/// One lockstep conformance step: `MoveGroup(g1 → n2, RETURN_TO_SOURCE_NODE_ON_ERROR)` on the
/// default model set-up (2 nodes, 1 group of 2 resources, pending work), applied to the
/// implementation (the reference DLL's exported tables, in-process) and to the model, outputs
/// and host views compared (`replay`).
pub struct LockstepStep {
    scenario: Scenario,
    imp: ImplSide<TableDll>,
    model: ModelSide,
    slow: u64,
}

impl std::fmt::Debug for LockstepStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockstepStep")
            .field("scenario", &self.scenario.name)
            .finish_non_exhaustive()
    }
}

/// The scenario of [`LockstepStep`]: the default model set-up and the one measured step.
#[must_use]
pub fn lockstep_scenario() -> Scenario {
    let mut scenario = scenario_of_setup(&ModelConfig::default().setup, "gate-lockstep");
    scenario.steps = vec![Step::Call {
        call: Call::MoveGroup(MoveGroupCall {
            group: "g1".into(),
            dest: Some("n2".into()),
            flags: MoveGroupFlags::RETURN_TO_SOURCE_NODE_ON_ERROR,
        }),
        expect: None,
    }];
    scenario
}

impl LockstepStep {
    /// Set-up: fresh DLL instances (one per node) and a fresh model.
    ///
    /// # Panics
    /// If the DLL pool is exhausted or the set-up is rejected.
    #[must_use]
    pub fn setup() -> Self {
        let scenario = lockstep_scenario();
        let dlls = (0..scenario.nodes.len())
            .map(|_| TableDll::in_process().expect("a DLL instance"))
            .collect();
        let imp = ImplSide::new(&scenario, dlls).expect("the gate scenario sets up");
        let model = ModelSide::new(&scenario).expect("the gate scenario sets up the model");
        Self {
            scenario,
            imp,
            model,
            slow: slowdown_spins(),
        }
    }

    /// The measured step.
    #[inline(never)]
    pub fn run(&mut self) -> ReplayReport {
        let report = replay(
            &self.scenario,
            &mut [&mut self.imp as &mut dyn Side, &mut self.model],
        );
        spin(self.slow);
        report
    }
}

/// The fixed small model configuration of the gate: 2 nodes, 1 group of 1 resource, the
/// default bounds but 1 client call (and 1 fault). Small enough for callgrind (seconds), big
/// enough to run every property on every state.
#[must_use]
pub fn small_model() -> ModelConfig {
    let mut cfg = ModelConfig {
        setup: Setup::uniform(2, 1, 1),
        ..ModelConfig::default()
    };
    cfg.bounds.calls = 1;
    cfg
}

/// One exhaustive BFS check of [`small_model`] on one checker thread (stateright's worker
/// thread; the gate's callgrind run collects it through a toggle on `check_block`).
#[derive(Debug)]
pub struct ModelCheck {
    config: ModelConfig,
    slow: u64,
}

impl ModelCheck {
    /// Set-up.
    #[must_use]
    pub fn setup() -> Self {
        Self {
            config: small_model(),
            slow: slowdown_spins(),
        }
    }

    /// The measured check: unique states, and whether every `always` and `eventually`
    /// property held (no counterexample discovered; with one client call some `sometimes`
    /// witnesses are out of reach, which is not a failure).
    #[inline(never)]
    pub fn run(&mut self) -> (usize, bool) {
        let checker = self.config.clone().checker().threads(1).spawn_bfs().join();
        let held = self.config.properties().iter().all(|p| {
            p.expectation == stateright::Expectation::Sometimes
                || checker.discovery(p.name).is_none()
        });
        spin(self.slow);
        (checker.unique_state_count(), held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hot_path_workloads_answer_what_they_claim() {
        assert_eq!(EmptyCall::setup().run(), 0);
        let mut sync = TableCalls::sync();
        assert_eq!(sync.offline_sync(), ErrorCode::ERROR_SUCCESS);
        assert_eq!(
            sync.offline_invalid_flags(),
            ErrorCode::ERROR_INVALID_PARAMETER
        );
        let mut pending = TableCalls::pending();
        assert_eq!(
            pending.offline_pending_completion(),
            (ErrorCode::ERROR_IO_PENDING, 1),
            "IO_PENDING, then exactly one status callback (R7)"
        );
    }

    #[test]
    fn the_move_cycle_completes_and_returns_to_the_start() {
        let mut m = MoveCycleRun::setup();
        assert_eq!(m.run(), Some(ErrorCode::ERROR_GEN_FAILURE));
        assert!(m.at_start());
    }

    #[test]
    fn the_lockstep_step_agrees_and_makes_dll_calls() {
        let mut l = LockstepStep::setup();
        let report = l.run();
        assert!(report.passed(), "{:?}", report.failures);
        assert_eq!(report.steps, 1);
    }

    #[test]
    fn the_small_model_check_is_complete_and_holds() {
        let (states, held) = ModelCheck::setup().run();
        assert!(held, "every property of the small configuration holds");
        assert!(
            (100..200_000).contains(&states),
            "a small but non-trivial state space: {states}"
        );
    }
}
