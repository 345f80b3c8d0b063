//! Tests of the shared decisions (D2, D12, D17) and the implementation-only ones (I3, I5, I6,
//! I11, I12) where they go beyond the per-rule tests.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::*;
use offline_v2::cluster::Input;
use offline_v2::types::{MoveGroupFlags as M, OfflineResourceFlags as O};

#[test]
fn i3_d9_forced_move_recalls_each_unreachable_resource_once_without_network() {
    // (With IGNORE a busy resource never answers ERROR_RETRY (R6), so with the reference DLL a
    // queued retry never meets I3's 0x20 case; the immediate re-call is what remains.)
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a"))])
        .build();
    let leg = F::IGNORE_RESOURCE_STATUS | F::QUEUE_ENABLED | DNU;
    h.net_down("n1", "n2");
    let out = h.move_group(
        "g1",
        Some("n2"),
        M::QUEUE_ENABLED | M::IGNORE_RESOURCE_STATUS,
    );
    assert_eq!(
        &out[1..3],
        [
            h.off_call("n1", "a", Some("n2"), leg, E::ERROR_HOST_UNREACHABLE),
            h.off_call(
                "n1",
                "a",
                Some("n2"),
                leg | F::IGNORE_NETWORK_CONNECTIVITY,
                E::ERROR_SUCCESS
            ),
        ]
    );
    assert_eq!(h.owner("g1"), "n2");
    assert_eq!(out.last(), Some(&completed(0, E::ERROR_SUCCESS)));
}

#[test]
fn d2_a_started_node_is_told_locks_and_down_links() {
    let mut h = Builder::new(&["n1", "n2", "n3"])
        .group("g1", "n1", vec![sync(on("a"))])
        .build();
    h.ev(Input::Lock, "a");
    h.net_down("n2", "n3");
    h.crash("n2");
    h.start("n2");
    // The group moves to n2 with IGNORE (locked); Open there reports the lock (D3).
    let out = h.move_group("g1", Some("n2"), M::IGNORE_RESOURCE_STATUS);
    assert_eq!(out.last(), Some(&completed(0, E::ERROR_SUCCESS)));
    assert!(h.c.locked(h.r("a")));
    h.ev(Input::Unlock, "a");
    assert!(!h.c.locked(h.r("a")));
    // n2 still knows its link to n3 is down (R5).
    let out = h.move_group("g1", Some("n3"), M::empty());
    assert_eq!(
        out,
        [
            accepted(1),
            h.off_call("n2", "a", Some("n3"), DNU, E::ERROR_HOST_UNREACHABLE),
            completed(1, E::ERROR_HOST_UNREACHABLE),
        ]
    );
}

#[test]
fn i6_recovery_waits_for_an_inherited_call_even_through_a_timeout() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a"), sync(on("b"))])
        .timeouts(100, 10)
        .build();
    h.move_group("g1", Some("n2"), M::empty());
    assert_eq!(h.crash("n2"), [completed(0, E::ERROR_CLUSTER_NODE_DOWN)]);
    assert_eq!(h.state("a"), S::OfflinePending);
    // The inherited first-leg offline times out: Terminate, then the D13 pass from `a`.
    assert_eq!(
        h.tick(100),
        [h.term("n1", "a"), h.on_call("n1", "a", E::ERROR_IO_PENDING)]
    );
    assert_eq!(h.ev(Input::CompleteOnline, "a"), []);
    assert!(!h.c.held(h.g("g1")));
    assert_eq!((h.state("a"), h.state("b")), (S::Online, S::Online));
}

#[test]
fn i5_recovery_after_an_aborted_forced_operation_keeps_ignore() {
    // The owner S stays Up, D dies: S's rollback offlines a persistent-Offline resource with 0x01.
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a"), sync(on("b"))])
        .build();
    h.ev(Input::Busy, "b");
    assert_eq!(
        h.offline("b", O::empty()).last(),
        Some(&completed(0, E::ERROR_RETRY))
    );
    h.ev(Input::Unbusy, "b");
    // b: Online, persistent Offline. A forced move; D dies while a's offline is pending.
    h.move_group("g1", Some("n2"), M::IGNORE_RESOURCE_STATUS);
    assert_eq!(h.crash("n2"), [completed(1, E::ERROR_CLUSTER_NODE_DOWN)]);
    let out = h.ev(Input::CompleteOffline, "a");
    assert_eq!(out, [h.on_call("n1", "a", E::ERROR_IO_PENDING),]);
    let out = h.ev(Input::CompleteOnline, "a");
    assert_eq!(
        out,
        [h.off_call(
            "n1",
            "b",
            None,
            F::IGNORE_RESOURCE_STATUS | DNU,
            E::ERROR_SUCCESS
        )]
    );
    assert_eq!((h.state("a"), h.state("b")), (S::Online, S::Offline));
}

#[test]
fn i12_settle_offlines_a_failed_resource_whose_target_is_offline() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a")), on("b")])
        .build();
    // b: persistent Offline, but Failed (a failed user offline, R23).
    h.offline("b", O::empty());
    h.ev(Input::FailOffline, "b");
    assert_eq!(h.state("b"), S::Failed);
    h.ev(Input::Busy, "a");
    // The move aborts on a's ERROR_RETRY; the rollback offlines b (Failed ≠ Offline target).
    let out = h.move_group("g1", Some("n2"), M::empty());
    assert_eq!(
        out,
        [
            accepted(1),
            h.off_call("n1", "a", Some("n2"), DNU, E::ERROR_RETRY),
            h.off_call("n1", "b", None, DNU, E::ERROR_SUCCESS),
            completed(1, E::ERROR_RETRY),
        ]
    );
    assert_eq!(h.state("b"), S::Offline);
}

#[test]
fn i11_embedded_failure_while_queued_or_on_a_non_owner_is_ignored() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a")])
        .build();
    h.ev(Input::Busy, "a");
    h.move_group("g1", Some("n2"), M::QUEUE_ENABLED);
    assert!(h.c.queued(h.g("g1")));
    assert_eq!(h.ev(Input::EmbeddedFailure, "a"), []);
    assert_eq!(h.state("a"), S::Online);
}

#[test]
fn r14_i6_a_recovery_that_interrupts_a_rollback_gives_the_awaited_resource_one_attempt() {
    // R14 (amended): "A pass that starts while one of the group's DLL calls is still pending
    // ... first waits for that call to end; that call is not the new pass's attempt, so a
    // resource whose awaited call failed gets one attempt in the new pass."
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a"), on("b")])
        .build();
    h.move_group("g1", Some("n2"), M::empty());
    // The first leg fails: rollback on S, whose OnlineV2 of `a` is pending.
    assert_eq!(
        h.ev(Input::FailOffline, "a"),
        [h.on_call("n1", "a", E::ERROR_IO_PENDING)]
    );
    // D dies: the move completes; the recovery (a new pass) waits for the rollback's call ...
    assert_eq!(h.crash("n2"), [completed(0, E::ERROR_CLUSTER_NODE_DOWN)]);
    assert!(h.c.held(h.g("g1")));
    // ... which fails: `a` is Failed, and the new pass gives it its one attempt.
    assert_eq!(
        h.ev(Input::FailOnline, "a"),
        [h.on_call("n1", "a", E::ERROR_IO_PENDING)]
    );
    assert!(h.c.held(h.g("g1")));
    // That attempt fails too: Failed is final (one attempt per pass, D13); `b` is Online.
    assert_eq!(h.ev(Input::FailOnline, "a"), []);
    assert_eq!((h.state("a"), h.state("b")), (S::Failed, S::Online));
    assert!(!h.c.held(h.g("g1")));
}

#[test]
fn r20_the_last_owner_starting_again_reopens_its_waiting_groups() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a"))])
        .build();
    h.crash("n2");
    h.crash("n1");
    assert_eq!(h.owner("g1"), "n1");
    assert_eq!(
        h.start("n1"),
        [h.open("n1", "a"), h.on_call("n1", "a", E::ERROR_SUCCESS)]
    );
    assert_eq!(h.state("a"), S::Online);
    assert!(!h.c.held(h.g("g1")));
}

#[test]
fn i15_d3_the_host_lock_view_is_what_open_reports() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a"))])
        .build();
    h.ev(Input::Lock, "a");
    assert!(h.c.locked(h.r("a")));
    h.crash("n2");
    h.crash("n1");
    // Unlocked while no instance holds it: the host cannot hear it ...
    h.ev(Input::Unlock, "a");
    assert!(h.c.locked(h.r("a")));
    // ... until an Open that reports no lock.
    h.start("n2");
    assert!(!h.c.locked(h.r("a")));
    assert_eq!(h.owner("g1"), "n2");
}
