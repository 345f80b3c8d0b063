//! The dispatcher's interface (issue 16, I16, I17): `handle_input(now, …)`, `poll_output`,
//! `poll_timeout` and `handle_timeout` give the same outputs as `step` with explicit ticks, a
//! driver that sleeps until `poll_timeout` never ticks blindly, and a broken invariant stops
//! the cluster with a clear message.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::mini_dll::FloodDll;
use common::*;
use offline_v2::cluster::{Cluster, Input, Output};
use offline_v2::types::MoveGroupFlags as M;

fn drain(c: &mut Cluster<offline_v2::reference::ReferenceDll>) -> Vec<Output> {
    std::iter::from_fn(|| c.poll_output()).collect()
}

fn move_g1(flags: M) -> Input {
    Input::MoveGroup {
        group: "g1".into(),
        dest: Some("n2".into()),
        flags,
    }
}

fn pair() -> (H, H) {
    let make = || {
        Builder::new(&["n1", "n2"])
            .group("g1", "n1", vec![on("a")])
            .timeouts(100, 10)
            .build()
    };
    (make(), make())
}

#[test]
fn r19_poll_timeout_is_the_pending_call_deadline_and_handle_timeout_fires_it() {
    let (mut h, mut twin) = pair();
    assert_eq!(h.c.poll_timeout(), None, "idle: no tick has anything to do");
    h.c.handle_input(0, move_g1(M::empty())).unwrap();
    assert_eq!(
        drain(&mut h.c),
        twin.move_group("g1", Some("n2"), M::empty())
    );
    assert_eq!(h.c.poll_timeout(), Some(100)); // the first-leg OfflineV2 is pending
    h.c.handle_timeout(99).unwrap();
    assert_eq!(
        h.c.poll_output(),
        None,
        "a spurious timeout changes nothing"
    );
    h.c.handle_timeout(100).unwrap();
    let fired = drain(&mut h.c);
    assert_eq!(fired, twin.tick(100));
    assert_eq!(fired[0], h.term("n1", "a")); // R19: Terminate, then the move goes on
    assert_eq!(h.c.poll_timeout(), Some(200)); // OnlineV2 on n2, pending since 100
    assert_eq!(h.c.view(), twin.view());
}

#[test]
fn r16_poll_timeout_is_the_queued_retry_and_a_deadline_driver_retries_on_time() {
    let (mut h, _) = pair();
    h.ev(Input::Busy, "a");
    h.c.handle_input(0, move_g1(M::QUEUE_ENABLED)).unwrap();
    drain(&mut h.c);
    assert!(h.c.queued(h.g("g1")));
    assert_eq!(h.c.poll_timeout(), Some(10));
    // A driver that sleeps until the deadline: the retry is made then, and answered RETRY.
    for round in 1..=3u64 {
        let due = h.c.poll_timeout().unwrap();
        assert_eq!(due, 10 * round);
        h.c.handle_timeout(due).unwrap();
        let out = drain(&mut h.c);
        assert_eq!(
            calls(&out).len(),
            1,
            "one retry per interval, no blind ticks: {out:?}"
        );
    }
    h.ev(Input::Unbusy, "a");
    h.c.handle_timeout(h.c.poll_timeout().unwrap()).unwrap();
    assert!(!h.c.queued(h.g("g1")));
}

#[test]
fn i16_an_input_at_a_later_time_is_a_tick_then_the_input_and_time_never_goes_back() {
    let (mut h, mut twin) = pair();
    h.c.handle_input(0, move_g1(M::empty())).unwrap();
    twin.move_group("g1", Some("n2"), M::empty());
    drain(&mut h.c);
    // The input arrives at 150: the R19 timeout at 100 fires first.
    h.c.handle_input(150, Input::Busy(h.r("a"))).unwrap();
    let mut want = twin.tick(150);
    want.extend(twin.ev(Input::Busy, "a"));
    assert_eq!(drain(&mut h.c), want);
    assert_eq!(h.c.now(), 150);
    h.c.handle_input(20, Input::Tick { ms: 0 }).unwrap();
    assert_eq!(h.c.now(), 150, "an earlier time is read as now");
    assert_eq!(h.c.view(), twin.view());
}

#[test]
fn d5_poll_output_gives_steps_outputs_in_order_and_try_step_is_step() {
    let (mut h, mut twin) = pair();
    h.c.handle_input(0, move_g1(M::RETURN_TO_SOURCE_NODE_ON_ERROR))
        .unwrap();
    let want = twin.move_group("g1", Some("n2"), M::RETURN_TO_SOURCE_NODE_ON_ERROR);
    assert_eq!(drain(&mut h.c), want);
    let r = h.r("a");
    assert_eq!(
        h.c.try_step(Input::CompleteOffline(r)).unwrap(),
        twin.ev(Input::CompleteOffline, "a")
    );
}

#[test]
fn i17_a_dll_flooding_the_host_with_callbacks_stops_the_cluster_with_a_clear_message() {
    let config = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a")])
        .config();
    let dlls = (0..2)
        .map(|_| FloodDll {
            repeat: 70_000,
            ..FloodDll::default()
        })
        .collect();
    let mut c = Cluster::new(config, dlls).unwrap();
    let a = c.resource_id("a").unwrap();
    c.step(move_g1(M::empty())); // first-leg OfflineV2 pending
    let violation = c.try_step(Input::CompleteOffline(a)).unwrap_err();
    assert_eq!(violation.rule(), "R7");
    assert!(violation.to_string().contains("callbacks"), "{violation}");
    // Stopped: every later input returns the same violation, and `step` panics with it.
    assert_eq!(
        c.handle_input(0, Input::Tick { ms: 0 }),
        Err(violation.clone())
    );
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.step(Input::Tick { ms: 0 });
    }))
    .unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(text, violation.to_string());
}
