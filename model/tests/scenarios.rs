//! `step` driven by hand, as the conformance layer will drive it from SPEC §7 scenarios.

use offline_v2_model::codes::*;
use offline_v2_model::config::move_flags;
use offline_v2_model::oflags;
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
    assert_eq!(s.resource_state(&cfg, 0), Some(RState::Online));
    assert_eq!(s.persistent(&cfg, 0), Some(Persist::Online));
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

/// R16, R18: a queued move is retried at the tick that reaches last attempt + interval, then
/// cancelled; the group returns to its persistent state on S and completes CANCELLED.
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
            Action::Tick(999),
            Action::Tick(1),
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
    assert_eq!(c[2], (0, Entry::OfflineV2, Some(1), q)); // the retry at t = 1000
    assert_eq!(c[3], (0, Entry::OnlineV2, None, 0));
    assert_eq!(completions(&obs), vec![(0, ERROR_CANCELLED)]);
    assert_eq!(s.resource_state(&cfg, 0), Some(RState::Online));
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
            Action::Tick(180_000),
        ],
    );
    assert_eq!(calls(&obs).last().map(|c| c.1), Some(Entry::Terminate));
    assert_eq!(completions(&obs), vec![(0, ERROR_SUCCESS)]);
    assert_eq!(s.resource_state(&cfg, 0), Some(RState::Offline));
    assert_eq!(s.persistent(&cfg, 0), Some(Persist::Offline));
}

/// R13: checks in order; rejected calls change nothing.
#[test]
fn r13_rejections_in_order() {
    let cfg = setup(&[("a", Persist::Online)]);
    let s0 = initial_state(&cfg);
    let rc = |a: Action| {
        let (s, obs) = step(&cfg, &s0, &a);
        let mut t = s.clone();
        t.calls_left = s0.calls_left;
        (obs[0], t == s0)
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
        resid: ResidArg::Held(0),
        dest: DestArg::None,
        flags: 0,
        inbuf_null: true,
        inbuf_size: 0,
        reserved: 0,
    };
    let (s, obs) = run(&cfg, &[raw]);
    assert_eq!(
        obs,
        vec![Observation::Returned {
            code: ERROR_IO_PENDING,
            op: None
        }]
    );
    assert_eq!(s.resource_state(&cfg, 0), Some(RState::Online));
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
    assert_eq!(s.resource_state(&cfg, 0), Some(RState::Offline));
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
    assert_eq!(s.resource_state(&cfg, 0), Some(RState::Online));
    assert_eq!(completions(&obs), vec![(0, ERROR_SUCCESS)]);
    assert_eq!(calls(&obs)[0], (0, Entry::OfflineV2, None, oflags::DNU));
}

/// `step` is total: any action on any small state, including undeclared indices, never panics.
#[test]
fn step_is_total() {
    let cfg = ModelConfig::default();
    let s = initial_state(&cfg);
    let mut actions = vec![
        Action::Tick(u64::MAX),
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
            resid: ResidArg::Held(99),
            dest: DestArg::Valid(9),
            flags: u32::MAX,
            inbuf_null: true,
            inbuf_size: 1,
            reserved: 1,
        },
    ];
    for r in 0..2 {
        actions.extend([
            Action::FailOffline(r),
            Action::Lock(r),
            Action::Busy(r),
            Action::InjectPanic(r),
            Action::EmbeddedFailure(r),
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
