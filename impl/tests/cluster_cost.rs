//! The move + return-to-source cycle of `benches/src/move_cycle.rs` (SPEC §8), as an ignored
//! test binary to count instructions under callgrind (never a timed test). Two runs with
//! different cycle counts give the cost of one cycle without the set-up:
//!
//! ```sh
//! cargo test --release -p offline-v2 --test cluster_cost --no-run
//! OFFLINE_V2_CYCLES=10000 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/deps/cluster_cost-* --ignored --exact move_cycle_for_callgrind
//! ```
//!
//! (Ir at 20000 cycles − Ir at 10000 cycles) / 10000 = instructions per cycle.
//!
//! `random_inputs_for_callgrind` does the same for the seeded random runs of
//! `cluster_fuzz.rs` (3 nodes, 2 groups of 2 resources, every kind of input, 150 inputs per
//! seed; `OFFLINE_V2_SEEDS` seeds): a workload closer to what conformance and a model checker
//! of the implementation feed the core.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use offline_v2::cluster::{Cluster, Input, Output, ResourceConfig};
use offline_v2::reference::ReferenceDll;
use offline_v2::types::{ErrorCode, MoveGroupFlags, ResourceId, WorkMode};

/// The `move_cycle` set-up: n1, n2; g1 on n1 with vm1 (persistent Online, offline sync,
/// online pending), default timeouts.
fn config() -> offline_v2::cluster::ClusterConfig {
    let vm1 = ResourceConfig {
        offline: WorkMode::Sync,
        ..common::on("vm1")
    };
    common::Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![vm1])
        .config()
}

#[test]
#[ignore = "run under callgrind by hand (see the module documentation)"]
fn move_cycle_for_callgrind() {
    let cycles: u64 = std::env::var("OFFLINE_V2_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut cluster =
        Cluster::new(config(), vec![ReferenceDll::new(), ReferenceDll::new()]).unwrap();
    let inputs = [
        Input::MoveGroup {
            group: "g1".into(),
            dest: Some("n2".into()),
            flags: MoveGroupFlags::RETURN_TO_SOURCE_NODE_ON_ERROR,
        },
        Input::FailOnline(ResourceId(0)),
        Input::CompleteOnline(ResourceId(0)),
    ];
    let mut out: Vec<Output> = Vec::with_capacity(64);
    let mut completions = 0u64;
    for _ in 0..cycles {
        out.clear();
        for input in &inputs {
            cluster.step_into(input.clone(), &mut out);
        }
        completions += u64::from(out.iter().any(|o| {
            matches!(o, Output::Completed { result, .. } if *result == ErrorCode::ERROR_GEN_FAILURE)
        }));
    }
    assert_eq!(completions, cycles);
}

#[test]
#[ignore = "run under callgrind by hand (see the module documentation)"]
fn random_inputs_for_callgrind() {
    common::quiet_injected_panics();
    let seeds: u64 = std::env::var("OFFLINE_V2_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let mut outputs = 0usize;
    let mut out = Vec::with_capacity(64);
    for seed in 0..seeds {
        let mut rng = common::Lcg(seed);
        let mut h = common::random_config(&mut rng).build();
        for _ in 0..150 {
            out.clear();
            h.c.step_into(common::random_input(&mut rng), &mut out);
            outputs += out.len();
        }
    }
    assert!(outputs > 0);
}
