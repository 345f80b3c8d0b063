//! Replays SPEC §7 scenarios on the implementation and on the model, step by step.
//!
//! Both sides implement [`Side`]: they take the scenario's calls and events and answer with
//! [`Obs`]ervations in a common vocabulary (indices in declaration order, raw codes and bits),
//! and show their host view ([`HostView`]). [`Replay`] applies each step to every side and hands
//! what happened — the step, each side's outputs and host views before and after — to a
//! pipeline of [`StepChecker`]s:
//!
//! | comparator | between the two sides (lockstep) | against the scenario |
//! |---|---|---|
//! | [`comparators::ReturnCode`] | the call's `Returned` | `expect` |
//! | [`comparators::DllCalls`] | every DLL call (Open/Close included) | `check_calls` |
//! | [`comparators::PersistentWrites`] | every persistent write (R11) | — |
//! | [`comparators::Completions`] | every completion (R14) | `check_completions` |
//! | [`comparators::HostViews`] | the host views after the step | `check` |
//! | [`comparators::DllStates`] | the DLL-side states after the step (SPEC §3, R2, R19, R20) | — |
//! | [`comparators::HeldGroups`] | which groups are held after the step (R13 check 4, R14) | — |
//! | [`comparators::OutputOrder`] | the interleaving of all outputs (D5) | — |
//!
//! A disagreement between the sides ([`FailureKind::Divergence`]) stops the run after that
//! step (F6); a failed expectation ([`FailureKind::Expectation`]) is collected and the run goes on.
//! Every failure names the step, what was expected, what each side produced and which side
//! diverged.
//!
//! **Extension point.** Further per-step checkers (e.g. SPEC §6 property monitors) implement
//! [`StepChecker`] and are added with [`Replay::with`]; they see every step's input, each
//! side's outputs and its host view before and after, exactly as the comparators do.

mod checker;
pub mod comparators;
mod names;

pub use checker::{SideStep, StepChecker, StepView};
pub use names::Names;

use std::fmt;

use crate::scenario::{CallEntry, Scenario, Step};

use offline_v2::types::{PersistentState, ResourceState};
use serde::{Deserialize, Serialize};

/// An entry point in an observation (Open and Close are never compared with `check_calls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ObsEntry {
    /// OpenV2.
    Open,
    /// Close.
    Close,
    /// OnlineV2.
    OnlineV2,
    /// OfflineV2.
    OfflineV2,
    /// Terminate.
    Terminate,
}

impl ObsEntry {
    /// The `check_calls` entry, if it is one.
    #[must_use]
    pub fn listed(self) -> Option<CallEntry> {
        match self {
            Self::OnlineV2 => Some(CallEntry::OnlineV2),
            Self::OfflineV2 => Some(CallEntry::OfflineV2),
            Self::Terminate => Some(CallEntry::Terminate),
            Self::Open | Self::Close => None,
        }
    }
}

/// What an outside observer sees a side do, in order (D5).
///
/// In a trace file (`docs/trace-format.md`) each is an object tagged by `out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "out", rename_all = "snake_case", deny_unknown_fields)]
pub enum Obs {
    /// The call's return code, and the operation id if accepted.
    Returned {
        /// Code.
        code: u32,
        /// Operation id (0, 1, … in acceptance order).
        op: Option<u32>,
    },
    /// A DLL call by the host.
    Call(CallObs),
    /// Persistent state written.
    PersistentWrite {
        /// Resource index.
        resource: u8,
        /// Value.
        #[serde(with = "crate::scenario::vocab::word")]
        state: PersistentState,
    },
    /// Operation completed.
    Completed {
        /// Operation id.
        op: u32,
        /// Result code.
        result: u32,
    },
}

/// The kind of an [`Obs`]: each kind has its own comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObsKind {
    /// [`Obs::Returned`].
    Returned,
    /// [`Obs::Call`].
    Call,
    /// [`Obs::PersistentWrite`].
    PersistentWrite,
    /// [`Obs::Completed`].
    Completed,
}

/// A DLL call by the host, in the common vocabulary of both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallObs {
    /// Node index.
    pub node: u8,
    /// Entry point.
    pub entry: ObsEntry,
    /// Resource index.
    pub resource: u8,
    /// Destination node index (OfflineV2).
    pub dest: Option<u8>,
    /// OfflineV2 flag bits.
    pub flags: u32,
    /// The DLL's answer, when the side knows it.
    pub result: Option<u32>,
}

impl CallObs {
    /// The same call with its answer dropped.
    #[must_use]
    pub fn without_result(self) -> CallObs {
        CallObs {
            result: None,
            ..self
        }
    }
}

impl Obs {
    /// Equality that ignores a call result that only one side reports.
    #[must_use]
    pub fn matches(&self, other: &Obs) -> bool {
        match (self, other) {
            (Obs::Call(a), Obs::Call(b)) if a.result.is_none() || b.result.is_none() => {
                a.without_result() == b.without_result()
            }
            _ => self == other,
        }
    }

    /// Which kind of observation this is.
    #[must_use]
    pub fn kind(&self) -> ObsKind {
        match self {
            Obs::Returned { .. } => ObsKind::Returned,
            Obs::Call(_) => ObsKind::Call,
            Obs::PersistentWrite { .. } => ObsKind::PersistentWrite,
            Obs::Completed { .. } => ObsKind::Completed,
        }
    }
}

/// Whether two observation lists agree element by element ([`Obs::matches`]).
#[must_use]
pub fn same_outputs(a: &[Obs], b: &[Obs]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.matches(y))
}

/// Whether two observation lists agree on the observations of one kind ([`Obs::matches`]),
/// without collecting them.
#[must_use]
pub fn same_of_kind(a: &[Obs], b: &[Obs], kind: ObsKind) -> bool {
    let mut x = a.iter().filter(|o| o.kind() == kind);
    let mut y = b.iter().filter(|o| o.kind() == kind);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.matches(q) => {}
            _ => return false,
        }
    }
}

/// The observations of one kind, in order.
#[must_use]
pub fn of_kind(outputs: &[Obs], kind: ObsKind) -> Vec<Obs> {
    outputs
        .iter()
        .filter(|o| o.kind() == kind)
        .copied()
        .collect()
}

/// A side's host view (SPEC §7 `check`): per group and per resource, declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostView {
    /// Owner node index per group.
    pub owner: Vec<u8>,
    /// Queued per group.
    pub queued: Vec<bool>,
    /// State per resource.
    #[serde(with = "crate::monitors::record::word_list")]
    pub state: Vec<ResourceState>,
    /// Persistent state per resource.
    #[serde(with = "crate::monitors::record::word_list")]
    pub persistent: Vec<PersistentState>,
    /// Locked per resource.
    pub locked: Vec<bool>,
}

/// One system under replay: the implementation or the model.
pub trait Side {
    /// "impl" or "model".
    fn name(&self) -> &'static str;
    /// Applies a call; the first observation is `Returned`.
    fn call(&mut self, call: &crate::scenario::Call) -> Vec<Obs>;
    /// Applies an event.
    fn event(&mut self, event: &crate::scenario::Event) -> Vec<Obs>;
    /// The host view now.
    fn view(&self) -> HostView;
    /// The DLL-side state now (SPEC §3), if this side can show it: see [`DllView`].
    /// Default: `None` (the model, or a DLL without a state export).
    fn dll_view(&self) -> Option<DllView> {
        None
    }
    /// Per group in declaration order, whether it is *held* now (SPEC R13 check 4, R14, R20:
    /// an operation in flight or settling — a rollback, return, failover, recovery or
    /// restart —, or its owner Down), if this side can tell (F9). Default: `None`.
    fn held_groups(&self) -> Option<Vec<bool>> {
        None
    }
}

/// The DLL-side state (SPEC §3): per node, per resource, what that node's DLL instance
/// believes about the RESID the host holds there — its `CLUSTER_RESOURCE_STATE` (Online 2,
/// Offline 3, Failed 4, OnlinePending 129, OfflinePending 130), -1 if the instance does not
/// know that RESID, `None` where the host holds no RESID for it on that node.
pub type DllView = Vec<Vec<Option<i32>>>;

/// Whether a failure is a disagreement between the sides or a failed expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The sides disagree: the run stops after this step (later steps would only repeat it).
    Divergence,
    /// A side differs from a scenario expectation (`expect`, `check`, `check_calls`,
    /// `check_completions`): the run goes on.
    Expectation,
}

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    /// 0-based step index.
    pub step: usize,
    /// Divergence or failed expectation.
    pub kind: FailureKind,
    /// What was being compared.
    pub what: String,
    /// The expectation (or, for a lockstep difference, "the same … from both sides").
    pub expected: String,
    /// Per side: (side name, what it produced).
    pub produced: Vec<(&'static str, String)>,
    /// The side(s) that diverged.
    pub diverged: Vec<&'static str>,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "step {}: {} — diverged: {}",
            self.step,
            self.what,
            self.diverged.join(", ")
        )?;
        writeln!(f, "  expected:\n{}", indent(&self.expected))?;
        for (side, text) in &self.produced {
            writeln!(f, "  {side} produced:\n{}", indent(text))?;
        }
        Ok(())
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("    ") {
                l.to_owned()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The outcome of one scenario.
#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    /// Steps applied.
    pub steps: usize,
    /// Failures (the run stops at the first step with a divergence; expectation failures are
    /// all collected).
    pub failures: Vec<StepFailure>,
}

impl ReplayReport {
    /// True if every step held.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A replay of one scenario through a pipeline of [`StepChecker`]s.
pub struct Replay<'s> {
    scenario: &'s Scenario,
    checkers: Vec<Box<dyn StepChecker + 's>>,
}

impl<'s> Replay<'s> {
    /// The standard pipeline: [`comparators::standard`] (every comparator of the table above).
    #[must_use]
    pub fn new(scenario: &'s Scenario) -> Self {
        Self {
            scenario,
            checkers: comparators::standard(),
        }
    }

    /// Adds `checker` after the ones already in the pipeline (the extension point).
    #[must_use]
    pub fn with(mut self, checker: impl StepChecker + 's) -> Self {
        self.checkers.push(Box::new(checker));
        self
    }

    /// Replays the scenario on every side in `sides` (one or two).
    pub fn run(mut self, sides: &mut [&mut dyn Side]) -> ReplayReport {
        let names = Names(self.scenario);
        let mut report = ReplayReport::default();
        let mut before: Vec<HostView> = sides.iter().map(|s| s.view()).collect();
        let want_dll = self.checkers.iter().any(|c| c.wants_dll_view());
        for (index, step) in self.scenario.steps.iter().enumerate() {
            report.steps = index + 1;
            let outputs = apply(step, sides);
            let after: Vec<HostView> = sides.iter().map(|s| s.view()).collect();
            let dll_after: Vec<Option<DllView>> = sides
                .iter()
                .map(|s| if want_dll { s.dll_view() } else { None })
                .collect();
            let held_after: Vec<Option<Vec<bool>>> =
                sides.iter().map(|s| s.held_groups()).collect();
            let per_side: Vec<SideStep<'_>> = sides
                .iter()
                .enumerate()
                .map(|(i, s)| SideStep {
                    name: s.name(),
                    outputs: &outputs[i],
                    before: &before[i],
                    after: &after[i],
                    dll_after: dll_after[i].as_ref(),
                    held_after: held_after[i].as_deref(),
                })
                .collect();
            let view = StepView {
                names: &names,
                index,
                step,
                sides: &per_side,
            };
            let mut failures = Vec::new();
            for checker in &mut self.checkers {
                checker.check_step(&view, &mut failures);
            }
            let stop = failures.iter().any(|f| f.kind == FailureKind::Divergence);
            report.failures.extend(failures);
            if stop {
                break;
            }
            before = after;
        }
        for checker in &mut self.checkers {
            checker.finish(&names, &mut report.failures);
        }
        report
    }
}

/// Applies one step to every side: the outputs of a call or event, nothing for a check.
fn apply(step: &Step, sides: &mut [&mut dyn Side]) -> Vec<Vec<Obs>> {
    sides
        .iter_mut()
        .map(|side| match step {
            Step::Call { call, .. } => side.call(call),
            Step::Event(event) => side.event(event),
            Step::Check(_) | Step::CheckCalls(_) | Step::CheckCompletions(_) => Vec::new(),
        })
        .collect()
}

/// Replays `scenario` on every side in `sides` (one or two) through the standard pipeline.
pub fn replay(scenario: &Scenario, sides: &mut [&mut dyn Side]) -> ReplayReport {
    Replay::new(scenario).run(sides)
}

#[cfg(test)]
mod tests {
    use super::checker::testing::{initial_view, scenario};
    use super::*;
    use crate::scenario::{Call, Event};

    /// A side that answers every call with `code` and locks `vm1` in its view on an event.
    struct Fake {
        name: &'static str,
        code: u32,
        view: HostView,
    }

    impl Side for Fake {
        fn name(&self) -> &'static str {
            self.name
        }
        fn call(&mut self, _: &Call) -> Vec<Obs> {
            vec![Obs::Returned {
                code: self.code,
                op: None,
            }]
        }
        fn event(&mut self, _: &Event) -> Vec<Obs> {
            self.view.locked[0] = true;
            Vec::new()
        }
        fn view(&self) -> HostView {
            self.view.clone()
        }
    }

    fn fake(name: &'static str, code: u32) -> Fake {
        Fake {
            name,
            code,
            view: initial_view(),
        }
    }

    /// Records what it was shown at every step.
    struct Spy<'a>(&'a std::cell::RefCell<Vec<(usize, usize, bool, bool)>>);

    impl StepChecker for Spy<'_> {
        fn check_step(&mut self, step: &StepView<'_>, _: &mut Vec<StepFailure>) {
            let s = &step.sides[0];
            self.0.borrow_mut().push((
                step.index,
                s.outputs.len(),
                s.before.locked[0],
                s.after.locked[0],
            ));
        }
        fn finish(&mut self, _: &Names<'_>, failures: &mut Vec<StepFailure>) {
            failures.push(StepFailure {
                step: 99,
                kind: FailureKind::Expectation,
                what: "finish ran".into(),
                expected: String::new(),
                produced: Vec::new(),
                diverged: Vec::new(),
            });
        }
    }

    #[test]
    fn an_added_checker_sees_every_step_with_outputs_and_views_before_and_after() {
        let s = scenario(
            r#"[{"call":"online_resource","resource":"vm1"},{"event":"lock","resource":"vm1"},
                {"check":{"locked":{"vm1":true}}}]"#,
        );
        let seen = std::cell::RefCell::new(Vec::new());
        let (mut a, mut b) = (fake("impl", 0), fake("model", 0));
        let report = Replay::new(&s)
            .with(Spy(&seen))
            .run(&mut [&mut a as &mut dyn Side, &mut b]);
        assert_eq!(report.steps, 3);
        assert_eq!(
            *seen.borrow(),
            [
                (0, 1, false, false),
                (1, 0, false, true),
                (2, 0, true, true)
            ]
        );
        assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
        assert_eq!(report.failures[0].what, "finish ran");
    }

    #[test]
    fn a_divergence_stops_the_run_after_its_step_but_a_failed_expectation_does_not() {
        let s = scenario(
            r#"[{"call":"online_resource","resource":"vm1","expect":5023},
                {"call":"online_resource","resource":"vm1"},
                {"call":"online_resource","resource":"vm1"}]"#,
        );
        let (mut a, mut b) = (fake("impl", 0), fake("model", 0));
        let report = replay(&s, &mut [&mut a as &mut dyn Side, &mut b]);
        assert_eq!(report.steps, 3, "an expectation failure goes on");
        assert_eq!(report.failures.len(), 1);
        let (mut a, mut b) = (fake("impl", 0), fake("model", 31));
        let report = replay(&s, &mut [&mut a as &mut dyn Side, &mut b]);
        assert_eq!(report.steps, 1, "a divergence stops at once");
        assert!(report
            .failures
            .iter()
            .any(|f| f.kind == FailureKind::Divergence && f.step == 0));
    }
}
