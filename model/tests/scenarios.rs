//! `step` driven by hand, as the conformance layer will drive it from SPEC §7 scenarios.

use offline_v2_model::codes::*;
use offline_v2_model::config::move_flags;
use offline_v2_model::oflags;
use offline_v2_model::state::{mark, Job};
use offline_v2_model::*;

fn setup(resources: &[(&str, Persist)]) -> ModelConfig {
    ModelConfig::from_setup(Setup {
        nodes: vec!["n1".into(), "n2".into()],
        groups: vec![GroupSetup {
            name: "g1".into(),
            owner: 0,
            resources: resources
                .iter()
                .map(|(n, p)| ResourceSetup {
                    name: (*n).into(),
                    persistent: *p,
                    offline: WorkMode::Pending,
                    online: WorkMode::Pending,
                })
                .collect(),
        }],
        pending_timeout: 180_000,
        retry_interval: 1_000,
    })
}

/// Runs the actions, returning the final state and every observation.
fn run(cfg: &ModelConfig, actions: &[Action]) -> (State, Vec<Observation>) {
    let mut s = initial_state(cfg);
    let mut all = Vec::new();
    for a in actions {
        let (t, obs) = step(cfg, &s, a);
        s = t;
        all.extend(obs);
    }
    (s, all)
}

fn calls(obs: &[Observation]) -> Vec<(u8, Entry, Option<u8>, u8)> {
    obs.iter()
        .filter_map(|o| match *o {
            Observation::Call {
                node,
                entry,
                dest,
                flags,
                ..
            } if matches!(entry, Entry::OnlineV2 | Entry::OfflineV2 | Entry::Terminate) => {
                Some((node, entry, dest, flags))
            }
            _ => None,
        })
        .collect()
}

fn completions(obs: &[Observation]) -> Vec<(u32, u32)> {
    obs.iter()
        .filter_map(|o| match *o {
            Observation::Completed { op, result } => Some((op, result)),
            _ => None,
        })
        .collect()
}

/// The SPEC §7 example: return to source keeps persistent state.
#[test]
fn spec_example_return_to_source() {
    let cfg = setup(&[("vm1", Persist::Online)]);
    let (s, obs) = run(
        &cfg,
        &[
            Action::MoveGroup {
                group: Some(0),
                dest: Dest::Node(1),
                flags: move_flags::RTS,
            },
            Action::CompleteOffline(0),
            Action::FailOnline(0),
            Action::CompleteOnline(0),
        ],
    );
    assert_eq!(
        obs[0],
        Observation::Returned {
            code: ERROR_IO_PENDING,
            op: Some(0)
        }
    );
    assert_eq!(s.owner(0), 0);
    assert_eq!(s.resource_state(0), Some(RState::Online));
    assert_eq!(s.persistent_of(0), Some(Persist::Online));
    assert_eq!(
        calls(&obs),
        vec![
            (0, Entry::OfflineV2, Some(1), oflags::RTS | oflags::DNU),
            (1, Entry::OnlineV2, None, 0),
            (
                1,
                Entry::OfflineV2,
                Some(0),
                oflags::RETURNING | oflags::DNU
            ),
            (0, Entry::OnlineV2, None, 0),
        ]
    );
    assert_eq!(completions(&obs), vec![(0, ERROR_GEN_FAILURE)]);
}

/// R16, R18: a queued move is retried (the abstract `Retry` event, M15), then cancelled; the
/// group returns to its persistent state on S and completes CANCELLED.
#[test]
fn queued_move_retry_and_cancel() {
    let cfg = setup(&[("a", Persist::Online), ("b", Persist::Online)]);
    let (s, obs) = run(
        &cfg,
        &[
            Action::Busy(1),
            Action::MoveGroup {
                group: Some(0),
                dest: Dest::Node(1),
                flags: move_flags::QUEUE,
            },
            Action::CompleteOffline(0),
            Action::Retry(0),
            Action::CancelGroupOperation {
                group: Some(0),
                reserved: 0,
            },
            Action::CompleteOnline(0),
        ],
    );
    assert!(!s.queued(0));
    assert_eq!(s.owner(0), 0);
    let c = calls(&obs);
    let q = oflags::QUEUE | oflags::DNU;
    assert_eq!(c[0], (0, Entry::OfflineV2, Some(1), q));
    assert_eq!(c[1], (0, Entry::OfflineV2, Some(1), q)); // b answers RETRY
    assert_eq!(c[2], (0, Entry::OfflineV2, Some(1), q)); // the retry
    assert_eq!(c[3], (0, Entry::OnlineV2, None, 0));
    assert_eq!(completions(&obs), vec![(0, ERROR_CANCELLED)]);
    assert_eq!(s.resource_state(0), Some(RState::Online));
}

/// R19: a pending offline times out, Terminate, the user offline completes SUCCESS.
#[test]
fn offline_timeout_terminates() {
    let cfg = setup(&[("a", Persist::Online)]);
    let (s, obs) = run(
        &cfg,
        &[
            Action::OfflineResource {
                resource: Some(0),
                flags: 0,
                reason: 0,
            },
            Action::Timeout(0),
        ],
    );
    assert_eq!(calls(&obs).last().map(|c| c.1), Some(Entry::Terminate));
    assert_eq!(completions(&obs), vec![(0, ERROR_SUCCESS)]);
    assert_eq!(s.resource_state(0), Some(RState::Offline));
    assert_eq!(s.persistent_of(0), Some(Persist::Offline));
}

/// R13: checks in order; rejected calls change nothing.
#[test]
fn r13_rejections_in_order() {
    let cfg = setup(&[("a", Persist::Online)]);
    let s0 = initial_state(&cfg);
    let rc = |a: Action| {
        let (s, obs) = step(&cfg, &s0, &a);
        (obs[0], s.situation() == s0.situation() && obs.len() == 1)
    };
    let cases = [
        (
            Action::MoveGroup {
                group: None,
                dest: Dest::Unknown,
                flags: move_flags::FAILBACK,
            },
            ERROR_INVALID_PARAMETER,
        ),
        (
            Action::MoveGroup {
                group: None,
                dest: Dest::Unknown,
                flags: 0,
            },
            ERROR_GROUP_NOT_FOUND,
        ),
        (
            Action::MoveGroup {
                group: Some(0),
                dest: Dest::Unknown,
                flags: 0,
            },
            ERROR_CLUSTER_NODE_NOT_FOUND,
        ),
        (
            Action::MoveGroup {
                group: Some(0),
                dest: Dest::Node(0),
                flags: 0,
            },
            ERROR_SUCCESS,
        ),
        (
            Action::CancelGroupOperation {
                group: Some(0),
                reserved: 0,
            },
            ERROR_INVALID_STATE,
        ),
        (
            Action::OfflineResource {
                resource: None,
                flags: 0,
                reason: 0,
            },
            ERROR_RESOURCE_NOT_FOUND,
        ),
    ];
    for (a, code) in cases {
        let (ret, unchanged) = rc(a);
        assert_eq!(ret, Observation::Returned { code, op: None }, "{a:?}");
        assert!(unchanged, "{a:?}");
    }
}

/// SPEC §7 raw call: the DLL goes OfflinePending behind the host's back; a later user offline
/// is answered IO_PENDING (R3) and the raw call's completion ends it (R7).
#[test]
fn raw_call_changes_dll_only() {
    let cfg = setup(&[("a", Persist::Online)]);
    let raw = Action::RawOfflineV2 {
        node: 0,
        call: RawCall::plain(ResidArg::Held(0), DestArg::None, 0),
    };
    let (s, obs) = run(&cfg, &[raw]);
    assert_eq!(
        obs,
        vec![Observation::Returned {
            code: ERROR_IO_PENDING,
            op: None
        }]
    );
    assert_eq!(s.resource_state(0), Some(RState::Online));
    let (s, obs) = run(
        &cfg,
        &[
            raw,
            Action::OfflineResource {
                resource: Some(0),
                flags: 0,
                reason: 0,
            },
            Action::CompleteOffline(0),
        ],
    );
    assert_eq!(completions(&obs), vec![(0, ERROR_SUCCESS)]);
    assert_eq!(s.resource_state(0), Some(RState::Offline));
}

/// R20: a DO_NOT_UPDATE offline, then the owner crashes: failover to n2 brings it back.
#[test]
fn dnu_offline_then_failover_brings_it_back() {
    let cfg = setup(&[("a", Persist::Online)]);
    let (s, obs) = run(
        &cfg,
        &[
            Action::OfflineResource {
                resource: Some(0),
                flags: offline_v2_model::config::offline_flags::DNU,
                reason: 0,
            },
            Action::CompleteOffline(0),
            Action::CrashNode(0),
            Action::CompleteOnline(0),
        ],
    );
    assert_eq!(s.owner(0), 1);
    assert_eq!(s.resource_state(0), Some(RState::Online));
    assert_eq!(completions(&obs), vec![(0, ERROR_SUCCESS)]);
    assert_eq!(calls(&obs)[0], (0, Entry::OfflineV2, None, oflags::DNU));
}

/// `step` is total: any action on any small state, including undeclared indices, never panics.
#[test]
fn step_is_total() {
    let cfg = ModelConfig::default();
    let s = initial_state(&cfg);
    let mut actions = vec![
        Action::Timeout(9),
        Action::Retry(9),
        Action::CrashNode(9),
        Action::StartNode(9),
        Action::NetDown(0, 9),
        Action::CompleteOffline(99),
        Action::EmbeddedFailure(99),
        Action::OnlineResource { resource: Some(99) },
        Action::MoveGroup {
            group: Some(9),
            dest: Dest::Node(9),
            flags: 0,
        },
        Action::RawOfflineV2 {
            node: 9,
            call: RawCall {
                resid: ResidArg::Held(99),
                dest: DestArg::Valid(9),
                flags: u32::MAX,
                inbuf_null: true,
                inbuf_size: 1,
                reserved: 1,
            },
        },
    ];
    for r in 0..2 {
        actions.extend([
            Action::FailOffline(r),
            Action::Lock(r),
            Action::Busy(r),
            Action::InjectPanic(r),
            Action::EmbeddedFailure(r),
            Action::Timeout(0),
            Action::Retry(0),
        ]);
    }
    let mut frontier = vec![s];
    for _ in 0..3 {
        let mut next = Vec::new();
        for st in &frontier {
            for a in &actions {
                next.push(step(&cfg, st, a).0);
            }
        }
        frontier = next;
    }
    assert!(!frontier.is_empty());
}

/// R19 (amended): an OnlineV2 pending too long is Terminated; the resource is Failed for the
/// host with ERROR_TIMEOUT, and the DLL's copy is Offline (Terminate leaves it Offline).
#[test]
fn online_timeout_leaves_the_dll_copy_offline() {
    let cfg = setup(&[("a", Persist::Offline)]);
    let (s, obs) = run(
        &cfg,
        &[
            Action::OnlineResource { resource: Some(0) },
            Action::Timeout(0),
        ],
    );
    assert_eq!(calls(&obs).last().map(|c| c.1), Some(Entry::Terminate));
    assert_eq!(completions(&obs), vec![(0, ERROR_TIMEOUT)]);
    assert_eq!(s.resource_state(0), Some(RState::Failed));
    assert_eq!(s.dll(0), RState::Offline);
    assert_eq!(s.violations(), 0);
}

/// R14 (amended): a recovery that interrupts a settling rollback first waits for the
/// rollback's pending call; that call is not the new pass's attempt, so the resource whose
/// awaited call failed gets one attempt in the new pass.
#[test]
fn a_recovery_waits_for_the_rollbacks_call_then_makes_its_own_attempt() {
    let cfg = setup(&[("a", Persist::Online), ("b", Persist::Online)]);
    let (s, obs) = run(
        &cfg,
        &[
            Action::MoveGroup {
                group: Some(0),
                dest: Dest::Node(1),
                flags: 0,
            },
            // The first leg fails: rollback on S, whose OnlineV2 of `a` is pending.
            Action::FailOffline(0),
            // D dies: the move completes; the recovery inherits the rollback's call ...
            Action::CrashNode(1),
        ],
    );
    assert_eq!(completions(&obs), vec![(0, ERROR_CLUSTER_NODE_DOWN)]);
    assert!(matches!(s.job(0), Job::Recover(r) if r.awaiting));
    // ... which fails; the new pass then makes its own attempt on `a`.
    let (t, more) = step(&cfg, &s, &Action::FailOnline(0));
    assert_eq!(calls(&more), vec![(0, Entry::OnlineV2, None, 0)]);
    assert_eq!(t.resource_state(0), Some(RState::OnlinePending));
    assert_eq!(t.violations(), 0);
}

/// SPEC §7: an injected panic stays armed in its instance across Close and Open, and is
/// dropped when that node goes Down (D20).
#[test]
fn an_injected_panic_is_dropped_when_its_node_goes_down() {
    let cfg = setup(&[("a", Persist::Offline)]);
    let away_and_back = |flags| {
        [0u8, 1].map(|_| Action::MoveGroup {
            group: Some(0),
            dest: Dest::Null,
            flags,
        })
    };
    // `a` is Offline: the moves call nothing on it, they only Close and Open it.
    let mut path = vec![Action::InjectPanic(0)];
    path.extend(away_and_back(0));
    let (s, _) = run(&cfg, &path);
    assert_eq!(s.owner(0), 0);
    assert!(s.armed(0, 0), "still armed on n1 after Close and Open");
    let (_, obs) = step(&cfg, &s, &Action::OnlineResource { resource: Some(0) });
    assert_eq!(
        completions(&obs),
        vec![(0, ERROR_GEN_FAILURE)],
        "it fires (R8)"
    );
    // Crashed and started again, the instance comes up empty.
    path.extend([Action::CrashNode(0), Action::StartNode(0)]);
    let (s, _) = run(&cfg, &path);
    assert!(!s.armed(0, 0), "dropped with its instance");
}

/// The transition checks mark a violation in the state a bad transition produces.
#[test]
fn a_bad_transition_is_marked_in_the_state_it_produces() {
    let cfg = setup(&[("a", Persist::Online)]).with_bug(Bug::FirstLegRtsWithoutDnu);
    let (s, _) = run(
        &cfg,
        &[Action::MoveGroup {
            group: Some(0),
            dest: Dest::Node(1),
            flags: move_flags::RTS,
        }],
    );
    assert_eq!(s.violations(), mark::R12);
    let mut enabled = Vec::new();
    stateright::Model::actions(&cfg, &s, &mut enabled);
    assert!(enabled.is_empty(), "the path ends at the violation");
}

/// R20: the last owner that starts again takes back the group that waited for it (found by
/// conformance: the model first skipped a group whose Down owner was the starting node).
#[test]
fn the_last_owner_starting_again_reopens_its_waiting_group() {
    let cfg = setup(&[("a", Persist::Online)]);
    let (s, obs) = run(
        &cfg,
        &[
            Action::CrashNode(0),
            Action::CrashNode(1),
            Action::StartNode(1),
        ],
    );
    assert_eq!(s.owner(0), 1);
    assert_eq!(calls(&obs).last(), Some(&(1, Entry::OnlineV2, None, 0)));
    assert_eq!(s.resource_state(0), Some(RState::OnlinePending));
}
