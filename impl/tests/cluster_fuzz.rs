//! Seeded random runs of the cluster over the reference DLL: the debug assertions of the core
//! (R10, R14, one outstanding call per group) hold at every step, every operation completes at
//! most once (R14), rejected calls change nothing (R13), and after healing every accepted
//! operation completes and no group stays held (bounded liveness, SPEC §6).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use offline_v2::cluster::{Input, Output};
use offline_v2::types::{GroupId, NodeId, NodeState, OpId, ResourceId};

/// Names the seed of a failing run.
struct Seed(u64);
impl Drop for Seed {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("failing seed: {}", self.0);
        }
    }
}

fn run(seed: u64) {
    quiet_injected_panics();
    let _seed = Seed(seed);
    let mut rng = Lcg(seed);
    let mut h = random_config(&mut rng).build();
    let mut accepted = BTreeSet::new();
    let mut done = BTreeSet::new();
    let mut record = |out: &[Output], accepted: &mut BTreeSet<OpId>| {
        for o in out {
            match o {
                Output::Returned { op: Some(op), .. } => assert!(accepted.insert(*op)),
                Output::Completed { op, .. } => {
                    assert!(
                        done.insert(*op),
                        "seed {seed}: {op:?} completed twice (R14)"
                    );
                }
                _ => {}
            }
        }
    };
    for _ in 0..150 {
        let i = random_input(&mut rng);
        let is_call = matches!(
            i,
            Input::OfflineResource { .. }
                | Input::OnlineResource { .. }
                | Input::MoveGroup { .. }
                | Input::CancelGroupOperation { .. }
        );
        let before = h.view();
        let out = h.step(i.clone());
        if is_call {
            // Exactly one Returned, first (D5); a rejection changes nothing (R13).
            assert!(
                matches!(out[0], Output::Returned { .. }),
                "seed {seed}: {i:?}"
            );
            if let Output::Returned { code, op: None } = out[0] {
                if code != E::ERROR_SUCCESS {
                    assert_eq!(out.len(), 1, "seed {seed}: {i:?}");
                    assert_eq!(h.view(), before, "seed {seed}: {i:?} changed the view");
                }
            }
        }
        record(&out, &mut accepted);
    }
    // Heal: every node up, no lock, busy or down link; then let time and work finish.
    for n in 0..3u8 {
        let out = h.step(Input::StartNode(NodeId(n)));
        record(&out, &mut accepted);
        for m in 0..3u8 {
            let out = h.step(Input::NetUp {
                from: NodeId(n),
                to: NodeId(m),
            });
            record(&out, &mut accepted);
        }
    }
    for r in 0..4u8 {
        for i in [Input::Unlock(ResourceId(r)), Input::Unbusy(ResourceId(r))] {
            let out = h.step(i);
            record(&out, &mut accepted);
        }
    }
    for round in 0..40 {
        let r = ResourceId(u8::try_from(round % 4).unwrap());
        for i in [
            Input::CompleteOffline(r),
            Input::CompleteOnline(r),
            Input::Tick { ms: 150 },
        ] {
            let out = h.step(i);
            record(&out, &mut accepted);
        }
    }
    for g in 0..2u8 {
        let group = GroupId(g);
        if h.c.queued(group) {
            let out = h.cancel(GROUPS[usize::from(g)], 0);
            record(&out, &mut accepted);
        }
    }
    for _ in 0..20 {
        let out = h.tick(1_000);
        record(&out, &mut accepted);
    }
    assert_eq!(
        accepted, done,
        "seed {seed}: every accepted operation completes (R14)"
    );
    for g in 0..2u8 {
        assert!(
            !h.c.held(GroupId(g)),
            "seed {seed}: g{g} still held after healing"
        );
        assert_eq!(h.c.node_state(h.c.owner(GroupId(g))), NodeState::Up);
    }
}

#[test]
fn r14_r13_random_runs_keep_invariants_and_settle_after_healing() {
    let seeds: u64 = std::env::var("FUZZ_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    for seed in 0..seeds {
        run(seed);
    }
}

/// The core must not care which backend drives the DLL: the same seeded run through the
/// in-process reference DLL and through the exported C function table (`TableDll`) produces
/// exactly the same outputs and host view at every step.
#[test]
fn backends_agree_step_by_step_reference_vs_c_abi_table() {
    use offline_v2::abi::host::TableDll;
    use offline_v2::cluster::Cluster;
    use offline_v2::reference::ReferenceDll;
    quiet_injected_panics();
    for seed in 0..60 {
        let _seed = Seed(seed);
        let mut rng = Lcg(seed);
        let config = random_config(&mut rng).config();
        let nodes = config.nodes.len();
        let mut reference = Cluster::new(
            config.clone(),
            (0..nodes).map(|_| ReferenceDll::new()).collect(),
        )
        .unwrap();
        let tables = (0..nodes)
            .map(|_| TableDll::in_process().unwrap())
            .collect();
        let mut table = Cluster::new(config, tables).unwrap();
        for step in 0..150 {
            let input = random_input(&mut rng);
            let a = reference.step(input.clone());
            let b = table.step(input.clone());
            assert_eq!(a, b, "seed {seed} step {step}: {input:?}");
            assert_eq!(reference.view(), table.view(), "seed {seed} step {step}");
        }
    }
}
