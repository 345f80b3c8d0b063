//! The DLL-rule monitor on hand-fed traces: each of R1–R9 fails on a trace that breaks
//! exactly it, and the nondeterminism a black box is allowed (hidden lock, busy, reachability,
//! sync or pending work, callbacks before the answer, late callbacks after Terminate) passes.

use offline_v2::types::{ErrorCode, ResourceState};
use offline_v2_properties::conform::{
    Callback, Dest, DllMonitor, Event, OfflineCall, OnlineCall, Rule, StartedBy,
};

const R0: u8 = 0;
const RESID: u64 = 0x1_0000_0001;

fn open(resid: u64) -> Event {
    Event::Open {
        resource: R0,
        name: "r0".into(),
        resid: Some(resid),
        during: vec![],
    }
}

fn off(flags: u32, dest: Dest) -> OfflineCall {
    OfflineCall {
        resid: RESID,
        dest,
        flags,
        inbuf: false,
        inbuf_size: 0,
        reserved: 0,
    }
}

fn offline(call: OfflineCall, answer: ErrorCode, during: Vec<Callback>) -> Event {
    Event::OfflineV2 {
        call,
        answer: answer.0,
        during,
    }
}

fn on(resid: u64) -> OnlineCall {
    OnlineCall {
        resid,
        inbuf: false,
        inbuf_size: 0,
        reserved: 0,
    }
}

fn online(call: OnlineCall, answer: ErrorCode, during: Vec<Callback>) -> Event {
    Event::OnlineV2 {
        call,
        answer: answer.0,
        during,
    }
}

fn status(state: ResourceState) -> Callback {
    Callback::Status {
        resource: R0,
        state,
    }
}

fn locked(on: bool) -> Callback {
    Callback::LockedMode {
        resource: R0,
        locked: on,
    }
}

/// Feeds `events`; the verdict of the first violation (rule, event index) or None.
fn run(events: &[Event]) -> Option<(Rule, u64, String)> {
    run_as(StartedBy::StartupEx, events)
}

fn run_as(start: StartedBy, events: &[Event]) -> Option<(Rule, u64, String)> {
    let mut m = DllMonitor::new(start);
    for (i, e) in events.iter().enumerate() {
        if let Err(v) = m.observe(i as u64, e) {
            return Some((v.rule, v.event, v.message));
        }
    }
    None
}

fn fails(events: &[Event], rule: Rule, at: u64) {
    match run(events) {
        Some((r, i, msg)) => assert_eq!((r, i), (rule, at), "{msg}"),
        None => panic!("no violation; expected {rule} at event {at}"),
    }
}

/// An open resource taken Online: events 0 and 1.
fn online_resource() -> Vec<Event> {
    vec![
        open(RESID),
        online(on(RESID), ErrorCode::ERROR_SUCCESS, vec![]),
    ]
}

#[test]
fn a_well_behaved_trace_with_every_kind_of_nondeterminism_passes() {
    use ErrorCode as E;
    use ResourceState as S;
    let mut t = online_resource();
    // Busy (hidden) without 0x01, then unreachable (hidden) on a move.
    t.push(offline(off(0x00, Dest::Null), E::ERROR_RETRY, vec![]));
    t.push(offline(
        off(0x02, Dest::Name("N2".into())),
        E::ERROR_HOST_UNREACHABLE,
        vec![],
    ));
    // Pending offline whose callback arrives before the call returned.
    t.push(offline(
        off(0x41, Dest::Null),
        E::ERROR_IO_PENDING,
        vec![status(S::Offline)],
    ));
    // Offline: R3 answers SUCCESS, whatever the flags.
    t.push(offline(
        off(0x7F & !0x0A, Dest::Null),
        E::ERROR_SUCCESS,
        vec![],
    ));
    // Pending online, asked again (no second completion), then finished between calls.
    t.push(online(on(RESID), E::ERROR_IO_PENDING, vec![]));
    t.push(online(on(RESID), E::ERROR_IO_PENDING, vec![]));
    t.push(Event::Callbacks {
        callbacks: vec![status(S::Online)],
    });
    // Locked (reported), without 0x01: LOCKED_STATUS; with 0x01 it goes offline.
    t.push(Event::Callbacks {
        callbacks: vec![locked(true)],
    });
    t.push(offline(
        off(0, Dest::Null),
        E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        vec![],
    ));
    t.push(offline(off(0x01, Dest::Null), E::ERROR_IO_PENDING, vec![]));
    // Asked while pending: the work may have finished unseen (R3 Offline → SUCCESS).
    t.push(offline(off(0x01, Dest::Null), E::ERROR_SUCCESS, vec![]));
    t.push(Event::Callbacks {
        callbacks: vec![status(S::Failed)],
    });
    // Terminate while pending; the callback already in delivery arrives late (R7 amended).
    t.push(online(on(RESID), E::ERROR_IO_PENDING, vec![]));
    t.push(Event::Terminate {
        resid: RESID,
        during: vec![],
    });
    t.push(Event::Callbacks {
        callbacks: vec![status(S::Online)],
    });
    t.push(Event::Expire);
    // Forged and closed RESIDs.
    t.push(online(on(0xdead), E::ERROR_RESOURCE_NOT_FOUND, vec![]));
    t.push(Event::Close {
        resid: RESID,
        during: vec![],
    });
    t.push(offline(
        off(0, Dest::Null),
        E::ERROR_RESOURCE_NOT_FOUND,
        vec![],
    ));
    assert_eq!(run(&t), None);
}

#[test]
fn r1_a_validation_error_answered_otherwise() {
    let mut t = online_resource();
    let mut c = off(0, Dest::Null);
    c.reserved = 1;
    t.push(offline(c, ErrorCode::ERROR_SUCCESS, vec![]));
    fails(&t, Rule::R1, 2);
    let mut t = online_resource();
    let unterminated = Dest::Units {
        units: vec![u16::from(b'n'); 16],
        terminated: false,
    };
    t.push(offline(
        off(0x02, unterminated),
        ErrorCode::ERROR_IO_PENDING,
        vec![],
    ));
    fails(&t, Rule::R1, 2);
}

#[test]
fn r1_valid_arguments_rejected() {
    let mut t = online_resource();
    t.push(offline(
        off(0x01, Dest::Name("N-2".into())),
        ErrorCode::ERROR_INVALID_PARAMETER,
        vec![],
    ));
    fails(&t, Rule::R1, 2);
}

#[test]
fn r2_a_forged_resid_answered_otherwise_and_a_closed_resid_reused() {
    let mut t = online_resource();
    t.push(online(on(0xdead_beef), ErrorCode::ERROR_SUCCESS, vec![]));
    fails(&t, Rule::R2, 2);
    let t = vec![
        open(RESID),
        Event::Close {
            resid: RESID,
            during: vec![],
        },
        open(RESID),
    ];
    fails(&t, Rule::R2, 2);
}

#[test]
fn r3_an_offline_resource_starts_work_again() {
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_SUCCESS,
        vec![],
    ));
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_IO_PENDING,
        vec![],
    ));
    fails(&t, Rule::R3, 3);
}

#[test]
fn r4_locked_status_without_a_report_or_with_0x01() {
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        vec![],
    ));
    fails(&t, Rule::R4, 2);
    let mut t = online_resource();
    t.push(Event::Callbacks {
        callbacks: vec![locked(true)],
    });
    t.push(offline(
        off(0x01, Dest::Null),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        vec![],
    ));
    fails(&t, Rule::R4, 3);
    // A lock reported while the call ran counts (the report may race the answer).
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        vec![locked(true)],
    ));
    assert_eq!(run(&t), None);
    // Classic Startup has no SetResourceLockedMode: a lock cannot be reported.
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        vec![],
    ));
    assert_eq!(run_as(StartedBy::Startup, &t), None);
}

#[test]
fn r5_unreachable_with_0x20_or_without_a_move() {
    for (flags, dest) in [
        (0x20, Dest::Name("N2".into())),
        (0x08, Dest::Name("N2".into())),
        (0x00, Dest::Null),
    ] {
        let mut t = online_resource();
        t.push(offline(
            off(flags, dest),
            ErrorCode::ERROR_HOST_UNREACHABLE,
            vec![],
        ));
        fails(&t, Rule::R5, 2);
    }
}

#[test]
fn r6_retry_with_0x01() {
    let mut t = online_resource();
    t.push(offline(
        off(0x41, Dest::Null),
        ErrorCode::ERROR_RETRY,
        vec![],
    ));
    fails(&t, Rule::R6, 2);
}

#[test]
fn r7_two_callbacks_for_one_pending_offline() {
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_IO_PENDING,
        vec![status(ResourceState::Offline)],
    ));
    t.push(Event::Callbacks {
        callbacks: vec![status(ResourceState::Offline)],
    });
    fails(&t, Rule::R7, 3);
}

#[test]
fn r7_no_callback_within_the_wait() {
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_IO_PENDING,
        vec![],
    ));
    t.push(Event::Expire);
    fails(&t, Rule::R7, 3);
}

#[test]
fn r7_a_callback_that_does_not_end_the_work() {
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_IO_PENDING,
        vec![],
    ));
    t.push(Event::Callbacks {
        callbacks: vec![status(ResourceState::Online)],
    });
    fails(&t, Rule::R7, 3);
}

#[test]
fn r8_online_validation_and_gen_failure_without_a_failed_report() {
    let mut t = online_resource();
    let mut c = on(RESID);
    c.inbuf_size = 8;
    t.push(online(c, ErrorCode::ERROR_SUCCESS, vec![]));
    fails(&t, Rule::R8, 2);
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_GEN_FAILURE,
        vec![],
    ));
    t.push(Event::Expire);
    fails(&t, Rule::R8, 3);
    // With the Failed report it is R8's allowed answer.
    let mut t = online_resource();
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_GEN_FAILURE,
        vec![status(ResourceState::Failed)],
    ));
    t.push(Event::Expire);
    assert_eq!(run(&t), None);
}

#[test]
fn r8_a_resource_that_cannot_be_opened_again() {
    let t = vec![
        open(RESID),
        Event::Close {
            resid: RESID,
            during: vec![],
        },
        Event::Open {
            resource: R0,
            name: "r0".into(),
            resid: None,
            during: vec![],
        },
    ];
    fails(&t, Rule::R8, 2);
}

#[test]
fn r9_rule_order_and_online_never_locked() {
    // R1 before R2: invalid arguments with a forged RESID.
    let mut c = off(0x80, Dest::Null);
    c.resid = 0xdead;
    fails(
        &[offline(c, ErrorCode::ERROR_RESOURCE_NOT_FOUND, vec![])],
        Rule::R9,
        0,
    );
    // R3 before R4: an Offline, locked resource answers SUCCESS.
    let mut t = online_resource();
    t.push(Event::Callbacks {
        callbacks: vec![locked(true)],
    });
    t.push(offline(
        off(0x01, Dest::Null),
        ErrorCode::ERROR_SUCCESS,
        vec![],
    ));
    t.push(offline(
        off(0, Dest::Null),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        vec![],
    ));
    fails(&t, Rule::R9, 4);
    // Locks never affect OnlineV2.
    let mut t = online_resource();
    t.push(offline(
        off(0x01, Dest::Null),
        ErrorCode::ERROR_SUCCESS,
        vec![],
    ));
    t.push(online(
        on(RESID),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        vec![locked(true)],
    ));
    fails(&t, Rule::R9, 3);
}

#[test]
fn the_trace_is_json_lines_that_replay_to_the_same_verdict() {
    let mut t = online_resource();
    t.push(offline(
        off(0x41, Dest::Null),
        ErrorCode::ERROR_RETRY,
        vec![],
    ));
    let lines: Vec<String> = t
        .iter()
        .map(|e| serde_json::to_string(e).expect("serialises"))
        .collect();
    let back: Vec<Event> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("parses"))
        .collect();
    assert_eq!(back, t);
    assert_eq!(run(&back).map(|v| v.0), Some(Rule::R6));
}
