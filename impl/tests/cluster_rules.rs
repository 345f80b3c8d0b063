//! One test per cluster rule R10–R23 (SPEC §5), named after the rule, asserting exact outputs
//! and the host view, plus the SPEC §7 example end to end.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::*;
use offline_v2::cluster::{Entry, Input, Output, RawResid};
use offline_v2::resource_dll::{RawDest, RawOfflineV2};
use offline_v2::types::{
    MoveGroupFlags as M, NodeState, OfflineResourceFlags as O, PersistentState as P,
};

const RTS: M = M::RETURN_TO_SOURCE_NODE_ON_ERROR;

#[test]
fn r17_spec_section7_example_end_to_end() {
    let mut h = two_nodes_one_vm();
    let mut all = Vec::new();
    let out = h.move_group("g1", Some("n2"), RTS);
    assert_eq!(
        out,
        [
            accepted(0),
            h.off_call(
                "n1",
                "vm1",
                Some("n2"),
                F::RETURN_TO_SOURCE_NODE_ON_ERROR | DNU,
                E::ERROR_IO_PENDING
            ),
        ]
    );
    assert_eq!(h.state("vm1"), S::OfflinePending);
    all.extend(out);
    let out = h.ev(Input::CompleteOffline, "vm1");
    assert_eq!(
        out,
        [
            h.close("n1", "vm1"),
            h.open("n2", "vm1"),
            h.on_call("n2", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(h.owner("g1"), "n2");
    assert_eq!(h.state("vm1"), S::OnlinePending);
    all.extend(out);
    let out = h.ev(Input::FailOnline, "vm1");
    assert_eq!(
        out,
        [
            h.off_call(
                "n2",
                "vm1",
                Some("n1"),
                F::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR | DNU,
                E::ERROR_SUCCESS
            ),
            h.close("n2", "vm1"),
            h.open("n1", "vm1"),
            h.on_call("n1", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(h.owner("g1"), "n1");
    assert!(h.c.held(h.g("g1")));
    all.extend(out);
    let out = h.ev(Input::CompleteOnline, "vm1");
    assert_eq!(out, [completed(0, E::ERROR_GEN_FAILURE)]);
    all.extend(out);
    // check: owner, state, persistent
    assert_eq!(h.owner("g1"), "n1");
    assert_eq!(h.state("vm1"), S::Online);
    assert_eq!(h.persistent("vm1"), P::Online);
    assert!(!h.c.held(h.g("g1")));
    // check_calls
    assert_eq!(
        calls(&all),
        [
            h.off_call(
                "n1",
                "vm1",
                Some("n2"),
                F::RETURN_TO_SOURCE_NODE_ON_ERROR | DNU,
                E::ERROR_IO_PENDING
            ),
            h.on_call("n2", "vm1", E::ERROR_IO_PENDING),
            h.off_call(
                "n2",
                "vm1",
                Some("n1"),
                F::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR | DNU,
                E::ERROR_SUCCESS
            ),
            h.on_call("n1", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(completions(&all), [completed(0, E::ERROR_GEN_FAILURE)]);
}

const QUE: M = M::QUEUE_ENABLED;
const IGN: M = M::IGNORE_RESOURCE_STATUS;

#[test]
fn r10_single_owner_active_only_on_owner_and_down_owner_keeps_group_offline() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a"))])
        .group("g2", "n2", vec![on("b")])
        .build();
    let out = h.move_group("g1", Some("n2"), NO_MOVE);
    assert_eq!(
        out,
        [
            accepted(0),
            h.off_call("n1", "a", Some("n2"), DNU, E::ERROR_SUCCESS),
            h.close("n1", "a"),
            h.open("n2", "a"),
            h.on_call("n2", "a", E::ERROR_SUCCESS),
            completed(0, E::ERROR_SUCCESS),
        ]
    );
    assert_eq!(h.owner("g1"), "n2");
    assert_eq!(h.crash("n1"), []);
    // R10: while no node is Up, the last owner stays owner though Down, every resource Offline.
    assert_eq!(h.crash("n2"), []);
    assert_eq!((h.owner("g1"), h.owner("g2")), ("n2", "n2"));
    assert_eq!((h.state("a"), h.state("b")), (S::Offline, S::Offline));
    assert!(h.c.held(h.g("g1")) && h.c.held(h.g("g2")));
    assert_eq!(h.online("a"), [returned(E::ERROR_INVALID_STATE)]);
    // The groups go to the first node that starts.
    let out = h.start("n1");
    assert_eq!(
        out,
        [
            h.open("n1", "a"),
            h.on_call("n1", "a", E::ERROR_SUCCESS),
            h.open("n1", "b"),
            h.on_call("n1", "b", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!((h.owner("g1"), h.owner("g2")), ("n1", "n1"));
    assert_eq!(h.state("b"), S::OnlinePending);
    assert_eq!(h.ev(Input::CompleteOnline, "b"), []);
    assert_eq!(h.state("b"), S::Online);
    assert!(!h.c.held(h.g("g2")));
}

#[test]
fn r11_persistent_written_before_the_dll_call_and_kept_when_the_dll_fails() {
    let mut h = two_nodes_one_vm();
    let out = h.offline("vm1", NO_OFF);
    assert_eq!(
        out,
        [
            accepted(0),
            h.write("vm1", P::Offline),
            h.off_call("n1", "vm1", None, F::empty(), E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(
        h.ev(Input::FailOffline, "vm1"),
        [completed(0, E::ERROR_GEN_FAILURE)]
    );
    assert_eq!(
        (h.state("vm1"), h.persistent("vm1")),
        (S::Failed, P::Offline)
    );
    let out = h.online("vm1");
    assert_eq!(
        out,
        [
            accepted(1),
            h.write("vm1", P::Online),
            h.on_call("n1", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(
        h.ev(Input::CompleteOnline, "vm1"),
        [completed(1, E::ERROR_SUCCESS)]
    );
    // (a) an accepted online of an Online resource still writes Online.
    assert_eq!(
        h.online("vm1"),
        [returned(E::ERROR_SUCCESS), h.write("vm1", P::Online)]
    );
    // DO_NOT_UPDATE writes nothing.
    let out = h.offline("vm1", O::DO_NOT_UPDATE_PERSISTENT_STATE);
    assert_eq!(
        out,
        [
            accepted(2),
            h.off_call("n1", "vm1", None, DNU, E::ERROR_IO_PENDING)
        ]
    );
    assert_eq!(
        h.ev(Input::CompleteOffline, "vm1"),
        [completed(2, E::ERROR_SUCCESS)]
    );
    assert_eq!(
        (h.state("vm1"), h.persistent("vm1")),
        (S::Offline, P::Online)
    );
    // (b) an offline of an already Offline resource still writes Offline (unless DO_NOT_UPDATE).
    assert_eq!(
        h.offline("vm1", O::DO_NOT_UPDATE_PERSISTENT_STATE),
        [returned(E::ERROR_SUCCESS)]
    );
    assert_eq!(h.persistent("vm1"), P::Online);
    assert_eq!(
        h.offline("vm1", NO_OFF),
        [returned(E::ERROR_SUCCESS), h.write("vm1", P::Offline)]
    );
    assert_eq!(h.persistent("vm1"), P::Offline);
    // Moves never change it.
    let out = h.move_group("g1", Some("n2"), RTS);
    assert!(!out
        .iter()
        .any(|o| matches!(o, Output::PersistentWrite { .. })));
    assert_eq!(h.persistent("vm1"), P::Offline);
}

#[test]
fn r12_exact_flags_including_the_second_attempt_without_network() {
    let mut h = Builder::new(&["n1", "n2", "n3"])
        .group(
            "g1",
            "n1",
            vec![sync(on("a")), sync(off("b")), sync(on("c"))],
        )
        .build();
    h.net_down("n1", "n2");
    let first =
        F::IGNORE_RESOURCE_STATUS | F::RETURN_TO_SOURCE_NODE_ON_ERROR | F::QUEUE_ENABLED | DNU;
    let out = h.move_group("g1", Some("n2"), IGN | RTS | QUE | M::HIGH_PRIORITY_START);
    assert_eq!(
        out,
        [
            accepted(0),
            h.off_call("n1", "a", Some("n2"), first, E::ERROR_HOST_UNREACHABLE),
            h.off_call(
                "n1",
                "a",
                Some("n2"),
                first | F::IGNORE_NETWORK_CONNECTIVITY,
                E::ERROR_SUCCESS
            ),
            // b is Offline: skipped. Each resource's first attempt is without 0x20.
            h.off_call("n1", "c", Some("n2"), first, E::ERROR_HOST_UNREACHABLE),
            h.off_call(
                "n1",
                "c",
                Some("n2"),
                first | F::IGNORE_NETWORK_CONNECTIVITY,
                E::ERROR_SUCCESS
            ),
            h.close("n1", "a"),
            h.close("n1", "b"),
            h.close("n1", "c"),
            h.open("n2", "a"),
            h.open("n2", "b"),
            h.open("n2", "c"),
            h.on_call("n2", "a", E::ERROR_SUCCESS),
            h.on_call("n2", "c", E::ERROR_SUCCESS),
            completed(0, E::ERROR_SUCCESS),
        ]
    );
    // A user offline: 0x01 iff IGNORE, 0x40 iff DO_NOT_UPDATE, no destination.
    let out = h.offline(
        "a",
        O::IGNORE_RESOURCE_STATUS | O::DO_NOT_UPDATE_PERSISTENT_STATE,
    );
    assert_eq!(
        out,
        [
            accepted(1),
            h.off_call(
                "n2",
                "a",
                None,
                F::IGNORE_RESOURCE_STATUS | DNU,
                E::ERROR_SUCCESS
            ),
            completed(1, E::ERROR_SUCCESS),
        ]
    );
    let out = h.offline("c", NO_OFF);
    assert_eq!(
        out,
        [
            accepted(2),
            h.write("c", P::Offline),
            h.off_call("n2", "c", None, F::empty(), E::ERROR_SUCCESS),
            completed(2, E::ERROR_SUCCESS),
        ]
    );
}

/// Sets up: g1 on n1 with `a` locked and Online; g2 on n2 held by a pending offline; g4 on n1
/// queued; n3 Down.
fn r13_cluster() -> H {
    let mut h = Builder::new(&["n1", "n2", "n3"])
        .group("g1", "n1", vec![on("a"), on("x")])
        .group("g2", "n2", vec![on("b")])
        .group("g3", "n1", vec![off("c")])
        .group("g4", "n1", vec![on("q")])
        .build();
    h.ev(Input::Lock, "a");
    assert!(h.c.locked(h.r("a")));
    h.crash("n3");
    assert_eq!(h.offline("b", NO_OFF)[0], accepted(0));
    h.ev(Input::Busy, "q");
    let out = h.move_group("g4", Some("n2"), QUE);
    assert_eq!(
        out,
        [
            accepted(1),
            h.off_call(
                "n1",
                "q",
                Some("n2"),
                F::QUEUE_ENABLED | DNU,
                E::ERROR_RETRY
            ),
        ]
    );
    assert!(h.c.queued(h.g("g4")) && h.c.held(h.g("g2")));
    h
}

#[test]
fn r13_rejections_in_check_order_change_nothing() {
    let mut h = r13_cluster();
    let bad_offline = O::from_bits_retain(0x8);
    let cases: Vec<(Input, E)> = vec![
        // 1. bad flag bits, FAILBACK, Reserved != 0 (before any name lookup).
        (off_in("a", bad_offline), E::ERROR_INVALID_PARAMETER),
        (off_in("nope", bad_offline), E::ERROR_INVALID_PARAMETER),
        (
            mv("g1", Some("n2"), M::FAILBACK),
            E::ERROR_INVALID_PARAMETER,
        ),
        (
            mv("nope", Some("nope"), M::from_bits_retain(0x20)),
            E::ERROR_INVALID_PARAMETER,
        ),
        (cancel_in("nope", 1), E::ERROR_INVALID_PARAMETER),
        // 2. unknown group, resource, destination (group first).
        (off_in("nope", NO_OFF), E::ERROR_RESOURCE_NOT_FOUND),
        (on_in("nope"), E::ERROR_RESOURCE_NOT_FOUND),
        (mv("nope", Some("nope"), NO_MOVE), E::ERROR_GROUP_NOT_FOUND),
        (
            mv("g1", Some("nope"), NO_MOVE),
            E::ERROR_CLUSTER_NODE_NOT_FOUND,
        ),
        (
            mv("g4", Some("nope"), NO_MOVE),
            E::ERROR_CLUSTER_NODE_NOT_FOUND,
        ),
        (cancel_in("nope", 0), E::ERROR_GROUP_NOT_FOUND),
        // 3. queued beats held.
        (off_in("q", NO_OFF), E::ERROR_CLUSTER_GROUP_QUEUED),
        (on_in("q"), E::ERROR_CLUSTER_GROUP_QUEUED),
        (mv("g4", Some("n1"), NO_MOVE), E::ERROR_CLUSTER_GROUP_QUEUED),
        // 4. held beats nothing-to-do.
        (off_in("b", NO_OFF), E::ERROR_INVALID_STATE),
        (on_in("b"), E::ERROR_INVALID_STATE),
        (mv("g2", Some("n2"), NO_MOVE), E::ERROR_INVALID_STATE),
        (cancel_in("g2", 0), E::ERROR_INVALID_STATE),
        (cancel_in("g1", 0), E::ERROR_INVALID_STATE),
        // 6. destination Down beats locked.
        (mv("g1", Some("n3"), NO_MOVE), E::ERROR_CLUSTER_NODE_DOWN),
        (mv("g3", Some("n3"), IGN), E::ERROR_CLUSTER_NODE_DOWN),
        // 7. locked, without IGNORE (FORCE_WITH_TERMINATION included).
        (
            mv("g1", Some("n2"), NO_MOVE),
            E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        ),
        (mv("g1", None, RTS), E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS),
        (off_in("a", NO_OFF), E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS),
        (
            off_in("a", O::FORCE_WITH_TERMINATION),
            E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        ),
    ];
    for (input, code) in cases {
        let before = h.view();
        let out = h.step(input.clone());
        assert_eq!(out, [returned(code)], "{input:?}");
        assert_eq!(h.view(), before, "{input:?} changed the host view");
    }
    // OnlineResourceEx ignores locks: the locked resource goes online.
    assert_eq!(h.offline("a", O::IGNORE_RESOURCE_STATUS)[0], accepted(2));
}

#[test]
fn r13_nothing_to_do_and_null_destination_choice() {
    let mut h = Builder::new(&["n1", "n2", "n3"])
        .group("g1", "n3", vec![sync(on("a"))])
        .group("g2", "n1", vec![sync(off("c"))])
        .build();
    assert_eq!(
        h.move_group("g1", Some("n3"), NO_MOVE),
        [returned(E::ERROR_SUCCESS)]
    );
    assert_eq!(
        h.online("a"),
        [returned(E::ERROR_SUCCESS), h.write("a", P::Online)]
    );
    assert_eq!(
        h.offline("c", NO_OFF),
        [returned(E::ERROR_SUCCESS), h.write("c", P::Offline)]
    );
    // A null dest: the first Up node after the owner, wrapping around (n3 → n1).
    let out = h.move_group("g1", None, NO_MOVE);
    assert_eq!(
        out[1],
        h.off_call("n3", "a", Some("n1"), DNU, E::ERROR_SUCCESS)
    );
    assert_eq!(h.owner("g1"), "n1");
    // From n1, with n2 Down: n3.
    h.crash("n2");
    let out = h.move_group("g1", None, NO_MOVE);
    assert_eq!(
        out[1],
        h.off_call("n1", "a", Some("n3"), DNU, E::ERROR_SUCCESS)
    );
    // No Up node other than the owner.
    h.crash("n1");
    let before = h.view();
    assert_eq!(
        h.move_group("g1", None, NO_MOVE),
        [returned(E::ERROR_CLUSTER_NODE_DOWN)]
    );
    assert_eq!(h.view(), before);
}

fn off_in(resource: &str, flags: O) -> Input {
    Input::OfflineResource {
        resource: resource.to_owned(),
        flags,
        reason: offline_v2::types::OfflineReason::None,
    }
}
fn on_in(resource: &str) -> Input {
    Input::OnlineResource {
        resource: resource.to_owned(),
    }
}
fn mv(group: &str, dest: Option<&str>, flags: M) -> Input {
    Input::MoveGroup {
        group: group.to_owned(),
        dest: dest.map(str::to_owned),
        flags,
    }
}
fn cancel_in(group: &str, reserved: u32) -> Input {
    Input::CancelGroupOperation {
        group: group.to_owned(),
        reserved,
    }
}

#[test]
fn r14_completes_once_when_settled_and_settle_offline_never_stops() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a"))])
        .build();
    // A user offline that finishes within the step completes in that step (R13).
    h.ev(Input::Busy, "a");
    let out = h.offline("a", NO_OFF);
    assert_eq!(
        out,
        [
            accepted(0),
            h.write("a", P::Offline),
            h.off_call("n1", "a", None, F::empty(), E::ERROR_RETRY),
            completed(0, E::ERROR_RETRY),
        ]
    );
    assert_eq!((h.state("a"), h.persistent("a")), (S::Online, P::Offline));
    let out = h.move_group("g1", Some("n2"), QUE);
    assert_eq!(
        out,
        [
            accepted(1),
            h.off_call(
                "n1",
                "a",
                Some("n2"),
                F::QUEUE_ENABLED | DNU,
                E::ERROR_RETRY
            ),
        ]
    );
    // Bringing `a` to persistent Offline outside a user offline: 0x40, no destination; an
    // error answer → Terminate → Offline, and the flow goes on to its one completion.
    let out = h.cancel("g1", 0);
    assert_eq!(
        out,
        [
            returned(E::ERROR_SUCCESS),
            h.off_call("n1", "a", None, DNU, E::ERROR_RETRY),
            h.term("n1", "a"),
            completed(1, E::ERROR_CANCELLED),
        ]
    );
    assert_eq!(h.state("a"), S::Offline);
    assert!(!h.c.held(h.g("g1")) && !h.c.queued(h.g("g1")));
    // Nothing completes twice: later events produce nothing.
    assert_eq!(h.tick(10_000_000), []);
}

#[test]
fn r15_move_offlines_in_declaration_order_then_onlines_on_destination() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a"), off("b"), sync(on("c"))])
        .build();
    let out = h.move_group("g1", Some("n2"), M::HIGH_PRIORITY_START);
    assert_eq!(
        out,
        [
            accepted(0),
            h.off_call("n1", "a", Some("n2"), DNU, E::ERROR_IO_PENDING)
        ]
    );
    assert!(h.c.held(h.g("g1")));
    let out = h.ev(Input::CompleteOffline, "a");
    assert_eq!(
        out,
        [
            h.off_call("n1", "c", Some("n2"), DNU, E::ERROR_SUCCESS),
            h.close("n1", "a"),
            h.close("n1", "b"),
            h.close("n1", "c"),
            h.open("n2", "a"),
            h.open("n2", "b"),
            h.open("n2", "c"),
            h.on_call("n2", "a", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(h.owner("g1"), "n2");
    let out = h.ev(Input::CompleteOnline, "a");
    assert_eq!(
        out,
        [
            h.on_call("n2", "c", E::ERROR_SUCCESS),
            completed(0, E::ERROR_SUCCESS)
        ]
    );
    assert_eq!(
        (h.state("a"), h.state("b"), h.state("c")),
        (S::Online, S::Offline, S::Online)
    );
    // A Failed resource gets the same first-leg call and goes Offline at once (R3).
    h.online("b");
    h.ev(Input::FailOnline, "b");
    assert_eq!(h.state("b"), S::Failed);
    let out = h.move_group("g1", Some("n1"), NO_MOVE);
    assert_eq!(
        out[1],
        h.off_call("n2", "a", Some("n1"), DNU, E::ERROR_IO_PENDING)
    );
    let out = h.ev(Input::CompleteOffline, "a");
    assert_eq!(
        out[0],
        h.off_call("n2", "b", Some("n1"), DNU, E::ERROR_SUCCESS)
    );
    assert_eq!(
        out[1],
        h.off_call("n2", "c", Some("n1"), DNU, E::ERROR_SUCCESS)
    );
}

#[test]
fn r16_retry_without_queue_completes_with_retry_on_source() {
    let mut h = two_nodes_one_vm();
    h.ev(Input::Busy, "vm1");
    let out = h.move_group("g1", Some("n2"), NO_MOVE);
    assert_eq!(
        out,
        [
            accepted(0),
            h.off_call("n1", "vm1", Some("n2"), DNU, E::ERROR_RETRY),
            completed(0, E::ERROR_RETRY),
        ]
    );
    assert_eq!((h.owner("g1"), h.state("vm1")), ("n1", S::Online));
}

#[test]
fn r16_queued_move_is_retried_at_each_interval_until_it_goes_on() {
    let mut h = two_nodes_one_vm();
    h.ev(Input::Busy, "vm1");
    let leg = F::QUEUE_ENABLED | DNU;
    let out = h.move_group("g1", Some("n2"), QUE);
    assert_eq!(
        out,
        [
            accepted(0),
            h.off_call("n1", "vm1", Some("n2"), leg, E::ERROR_RETRY)
        ]
    );
    assert!(h.c.queued(h.g("g1")));
    assert_eq!(h.tick(999), []);
    assert_eq!(
        h.tick(1),
        [h.off_call("n1", "vm1", Some("n2"), leg, E::ERROR_RETRY)]
    );
    assert!(h.c.queued(h.g("g1")));
    h.ev(Input::Unbusy, "vm1");
    assert_eq!(h.tick(999), []);
    assert_eq!(
        h.tick(1),
        [h.off_call("n1", "vm1", Some("n2"), leg, E::ERROR_IO_PENDING)]
    );
    assert!(!h.c.queued(h.g("g1")) && h.c.held(h.g("g1")));
    assert_eq!(h.cancel("g1", 0), [returned(E::ERROR_INVALID_STATE)]);
    let out = h.ev(Input::CompleteOffline, "vm1");
    assert_eq!(
        out,
        [
            h.close("n1", "vm1"),
            h.open("n2", "vm1"),
            h.on_call("n2", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(
        h.ev(Input::CompleteOnline, "vm1"),
        [completed(0, E::ERROR_SUCCESS)]
    );
}

#[test]
fn r16_lock_failure_and_unreachable_abort_the_move_after_the_group_returns_on_source() {
    // A lock set after acceptance.
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a"), on("b")])
        .build();
    h.move_group("g1", Some("n2"), NO_MOVE);
    h.ev(Input::Lock, "b");
    let out = h.ev(Input::CompleteOffline, "a");
    assert_eq!(
        out,
        [
            h.off_call(
                "n1",
                "b",
                Some("n2"),
                DNU,
                E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS
            ),
            h.on_call("n1", "a", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(
        h.ev(Input::CompleteOnline, "a"),
        [completed(0, E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS)]
    );
    assert_eq!(
        (h.owner("g1"), h.state("a"), h.state("b")),
        ("n1", S::Online, S::Online)
    );
    // A failed offline: the resource is Failed, then brought to its persistent state on S.
    h.ev(Input::Unlock, "b");
    h.move_group("g1", Some("n2"), NO_MOVE);
    let out = h.ev(Input::FailOffline, "a");
    assert_eq!(out, [h.on_call("n1", "a", E::ERROR_IO_PENDING)]);
    assert_eq!(
        h.ev(Input::CompleteOnline, "a"),
        [completed(1, E::ERROR_GEN_FAILURE)]
    );
    // HOST_UNREACHABLE without IGNORE.
    h.net_down("n1", "n2");
    let out = h.move_group("g1", Some("n2"), RTS);
    assert_eq!(
        out,
        [
            accepted(2),
            h.off_call(
                "n1",
                "a",
                Some("n2"),
                F::RETURN_TO_SOURCE_NODE_ON_ERROR | DNU,
                E::ERROR_HOST_UNREACHABLE
            ),
            completed(2, E::ERROR_HOST_UNREACHABLE),
        ]
    );
    assert_eq!(h.owner("g1"), "n1");
}

#[test]
fn r17_without_return_to_source_destination_goes_on_and_first_failure_decides() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a"), on("b")])
        .build();
    h.move_group("g1", Some("n2"), NO_MOVE);
    h.ev(Input::CompleteOffline, "a");
    h.ev(Input::CompleteOffline, "b");
    assert_eq!(h.owner("g1"), "n2");
    assert_eq!(
        h.ev(Input::FailOnline, "a"),
        [h.on_call("n2", "b", E::ERROR_IO_PENDING)]
    );
    assert_eq!(
        h.ev(Input::CompleteOnline, "b"),
        [completed(0, E::ERROR_GEN_FAILURE)]
    );
    assert_eq!(
        (h.owner("g1"), h.state("a"), h.state("b")),
        ("n2", S::Failed, S::Online)
    );
}

#[test]
fn r17_return_leg_never_stops_and_a_failure_on_source_stays_failed() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a"), on("b")])
        .build();
    h.move_group("g1", Some("n2"), RTS | IGN);
    h.ev(Input::CompleteOffline, "a");
    h.ev(Input::CompleteOffline, "b");
    h.ev(Input::CompleteOnline, "a");
    h.ev(Input::InjectPanic, "a");
    let ret = F::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR | F::IGNORE_RESOURCE_STATUS | DNU;
    let out = h.ev(Input::FailOnline, "b");
    assert_eq!(
        out,
        [
            // The panic answers ERROR_GEN_FAILURE: Terminate, and the return goes on.
            h.off_call("n2", "a", Some("n1"), ret, E::ERROR_GEN_FAILURE),
            h.term("n2", "a"),
            h.off_call("n2", "b", Some("n1"), ret, E::ERROR_SUCCESS),
            h.close("n2", "a"),
            h.close("n2", "b"),
            h.open("n1", "a"),
            h.open("n1", "b"),
            h.on_call("n1", "a", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(h.owner("g1"), "n1");
    assert_eq!(
        h.ev(Input::CompleteOnline, "a"),
        [h.on_call("n1", "b", E::ERROR_IO_PENDING)]
    );
    // b fails on S too: it stays Failed there (no second return).
    assert_eq!(
        h.ev(Input::FailOnline, "b"),
        [completed(0, E::ERROR_GEN_FAILURE)]
    );
    assert_eq!(
        (h.owner("g1"), h.state("a"), h.state("b")),
        ("n1", S::Online, S::Failed)
    );
    assert!(!h.c.held(h.g("g1")));
}

#[test]
fn r18_cancel_drops_the_queued_move_and_returns_the_group_on_source() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a")), on("b")])
        .build();
    assert_eq!(h.cancel("g1", 7), [returned(E::ERROR_INVALID_PARAMETER)]);
    assert_eq!(h.cancel("g9", 0), [returned(E::ERROR_GROUP_NOT_FOUND)]);
    assert_eq!(h.cancel("g1", 0), [returned(E::ERROR_INVALID_STATE)]);
    h.ev(Input::Busy, "b");
    let leg = F::QUEUE_ENABLED | DNU;
    let out = h.move_group("g1", Some("n2"), QUE);
    assert_eq!(
        out,
        [
            accepted(0),
            h.off_call("n1", "a", Some("n2"), leg, E::ERROR_SUCCESS),
            h.off_call("n1", "b", Some("n2"), leg, E::ERROR_RETRY),
        ]
    );
    // While queued, resources already offline stay offline.
    assert_eq!((h.state("a"), h.state("b")), (S::Offline, S::Online));
    let out = h.cancel("g1", 0);
    assert_eq!(
        out,
        [
            returned(E::ERROR_SUCCESS),
            h.on_call("n1", "a", E::ERROR_SUCCESS),
            completed(0, E::ERROR_CANCELLED),
        ]
    );
    assert_eq!(
        (h.owner("g1"), h.state("a"), h.state("b")),
        ("n1", S::Online, S::Online)
    );
    assert!(!h.c.queued(h.g("g1")));
    assert_eq!(h.tick(5_000), []);
}

#[test]
fn r19_timeouts_terminate_and_force_with_termination_skips_offline() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a")])
        .group("g2", "n1", vec![off("b")])
        .build();
    assert_eq!(
        h.offline("a", NO_OFF)[2],
        h.off_call("n1", "a", None, F::empty(), E::ERROR_IO_PENDING)
    );
    assert_eq!(h.tick(179_999), []);
    // An offline timeout: Terminate, and the offline succeeds.
    assert_eq!(
        h.tick(1),
        [h.term("n1", "a"), completed(0, E::ERROR_SUCCESS)]
    );
    assert_eq!(h.state("a"), S::Offline);
    // An online timeout: Terminate, Failed, ERROR_TIMEOUT.
    h.online("b");
    assert_eq!(
        h.tick(180_000),
        [h.term("n1", "b"), completed(1, E::ERROR_TIMEOUT)]
    );
    assert_eq!(h.state("b"), S::Failed);
    // R19 (amended): Failed for the host; the DLL, as after every Terminate, holds it Offline.
    let dll = h.c.dll(h.n("n1")).instance();
    assert_eq!(
        dll.resid_of("b").and_then(|resid| dll.state_of(resid)),
        Some(S::Offline)
    );
    assert_eq!(h.tick(1_000_000), []); // fires once
                                       // FORCE_WITH_TERMINATION: Terminate at once (a Failed resource included).
    let out = h.offline("b", O::FORCE_WITH_TERMINATION);
    assert_eq!(
        out,
        [
            accepted(2),
            h.write("b", P::Offline),
            h.term("n1", "b"),
            completed(2, E::ERROR_SUCCESS),
        ]
    );
    assert_eq!(h.state("b"), S::Offline);
}

#[test]
fn r19_first_leg_timeout_counts_as_done_and_bring_up_timeout_returns_to_source() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("vm1")])
        .timeouts(100, 10)
        .build();
    h.move_group("g1", Some("n2"), RTS);
    let out = h.tick(100);
    assert_eq!(
        out,
        [
            h.term("n1", "vm1"),
            h.close("n1", "vm1"),
            h.open("n2", "vm1"),
            h.on_call("n2", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    let out = h.tick(100);
    assert_eq!(
        out,
        [
            h.term("n2", "vm1"),
            h.off_call(
                "n2",
                "vm1",
                Some("n1"),
                F::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR | DNU,
                E::ERROR_SUCCESS
            ),
            h.close("n2", "vm1"),
            h.open("n1", "vm1"),
            h.on_call("n1", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(
        h.ev(Input::CompleteOnline, "vm1"),
        [completed(0, E::ERROR_TIMEOUT)]
    );
}

#[test]
fn r20_destination_down_before_transfer_completes_at_once_and_recovers_on_source() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("vm1")])
        .group("g2", "n1", vec![sync(on("other"))])
        .build();
    h.move_group("g1", Some("n2"), RTS);
    assert_eq!(h.crash("n2"), [completed(0, E::ERROR_CLUSTER_NODE_DOWN)]);
    // Recovery holds the group without a completion; the pending first-leg offline ends first.
    assert!(h.c.held(h.g("g1")));
    assert!(!h.c.held(h.g("g2")));
    assert_eq!(h.online("vm1"), [returned(E::ERROR_INVALID_STATE)]);
    assert_eq!(
        h.ev(Input::CompleteOffline, "vm1"),
        [h.on_call("n1", "vm1", E::ERROR_IO_PENDING)]
    );
    assert_eq!(h.ev(Input::CompleteOnline, "vm1"), []);
    assert_eq!((h.owner("g1"), h.state("vm1")), ("n1", S::Online));
    assert!(!h.c.held(h.g("g1")));
    assert_eq!(h.c.node_state(h.n("n2")), NodeState::Down);
}

#[test]
fn r20_owner_down_fails_over_to_first_up_node_or_back_to_source_with_rts() {
    for (flags, expect) in [(RTS, "n2"), (NO_MOVE, "n1")] {
        let mut h = Builder::new(&["n1", "n2", "n3"])
            .group("g1", "n2", vec![on("vm1")])
            .build();
        h.move_group("g1", Some("n3"), flags);
        h.ev(Input::CompleteOffline, "vm1");
        assert_eq!(h.owner("g1"), "n3");
        let out = h.crash("n3");
        assert_eq!(
            out,
            [
                completed(0, E::ERROR_CLUSTER_NODE_DOWN),
                h.open(expect, "vm1"),
                h.on_call(expect, "vm1", E::ERROR_IO_PENDING),
            ],
            "{flags:?}"
        );
        assert_eq!(h.owner("g1"), expect);
        // The late callback of the Down node's work is ignored; the new owner's counts.
        assert_eq!(h.ev(Input::CompleteOnline, "vm1"), []);
        assert_eq!(h.state("vm1"), S::Online);
        assert!(!h.c.held(h.g("g1")));
    }
}

#[test]
fn r20_crash_of_an_idle_owner_recovers_groups_in_declaration_order() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a"))])
        .group("g2", "n2", vec![sync(on("b"))])
        .group("g3", "n1", vec![sync(off("c")), sync(on("d"))])
        .build();
    let out = h.crash("n1");
    assert_eq!(
        out,
        [
            // I2: every group fails over first (Open on the new owner) ...
            h.open("n2", "a"),
            h.open("n2", "c"),
            h.open("n2", "d"),
            // ... then each recovers, in declaration order.
            h.on_call("n2", "a", E::ERROR_SUCCESS),
            h.on_call("n2", "d", E::ERROR_SUCCESS),
        ]
    );
    // A node that starts again comes up empty.
    assert_eq!(h.start("n1"), []);
    assert_eq!(h.c.node_state(h.n("n1")), NodeState::Up);
    assert_eq!(
        h.move_group("g3", Some("n1"), NO_MOVE).last(),
        Some(&completed(0, E::ERROR_SUCCESS))
    );
}

#[test]
fn r21_embedded_failure_restarts_once_on_the_same_node() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![sync(on("a"))])
        .group("g2", "n1", vec![on("b")])
        .build();
    let emb = F::DUE_TO_EMBEDDED_FAILURE | DNU;
    let out = h.ev(Input::EmbeddedFailure, "a");
    assert_eq!(
        out,
        [
            h.off_call("n1", "a", None, emb, E::ERROR_SUCCESS),
            h.on_call("n1", "a", E::ERROR_SUCCESS),
        ]
    );
    assert_eq!(h.state("a"), S::Online);
    // The restart holds the group and reports no completion; if it fails it stays Failed.
    let out = h.ev(Input::EmbeddedFailure, "b");
    assert_eq!(
        out,
        [
            h.off_call("n1", "b", None, emb, E::ERROR_SUCCESS),
            h.on_call("n1", "b", E::ERROR_IO_PENDING),
        ]
    );
    assert!(h.c.held(h.g("g2")));
    assert_eq!(h.ev(Input::EmbeddedFailure, "b"), []); // held: ignored
    assert_eq!(h.ev(Input::FailOnline, "b"), []);
    assert_eq!(h.state("b"), S::Failed);
    assert!(!h.c.held(h.g("g2")));
    assert_eq!(h.ev(Input::EmbeddedFailure, "b"), []); // not Online: ignored
                                                       // The restart's OfflineV2 itself fails: the online is not tried.
    h.ev(Input::InjectPanic, "a");
    let out = h.ev(Input::EmbeddedFailure, "a");
    assert_eq!(
        out,
        [h.off_call("n1", "a", None, emb, E::ERROR_GEN_FAILURE)]
    );
    assert_eq!(h.state("a"), S::Failed);
    assert!(!h.c.held(h.g("g1")));
}

#[test]
fn r22_time_is_logical_with_spec_defaults() {
    assert_eq!(offline_v2::cluster::DEFAULT_PENDING_TIMEOUT, 180_000);
    assert_eq!(offline_v2::cluster::DEFAULT_RETRY_INTERVAL, 1_000);
    let mut h = two_nodes_one_vm();
    assert_eq!(h.c.config().pending_timeout, 180_000);
    assert_eq!(h.c.now(), 0);
    assert_eq!(h.tick(5), []);
    assert_eq!(h.c.now(), 5);
    h.move_group("g1", Some("n2"), NO_MOVE);
    assert_eq!(h.c.now(), 5); // calls never move time
}

#[test]
fn r23_online_and_offline_complete_with_the_dll_result() {
    let mut h = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![off("a")])
        .build();
    h.online("a");
    assert_eq!(
        h.ev(Input::FailOnline, "a"),
        [completed(0, E::ERROR_GEN_FAILURE)]
    );
    assert_eq!(
        (h.owner("g1"), h.state("a"), h.persistent("a")),
        ("n1", S::Failed, P::Online)
    );
    // A Failed resource is offlined like any other (R3 answers at once).
    let out = h.offline("a", NO_OFF);
    assert_eq!(
        out,
        [
            accepted(1),
            h.write("a", P::Offline),
            h.off_call("n1", "a", None, F::empty(), E::ERROR_SUCCESS),
            completed(1, E::ERROR_SUCCESS),
        ]
    );
    h.online("a");
    h.ev(Input::CompleteOnline, "a");
    h.ev(Input::Busy, "a");
    let out = h.offline("a", NO_OFF);
    assert_eq!(out.last(), Some(&completed(3, E::ERROR_RETRY)));
    assert_eq!((h.state("a"), h.persistent("a")), (S::Online, P::Offline));
}

#[test]
fn raw_offline_v2_reaches_the_dll_but_the_host_is_not_told() {
    let mut h = two_nodes_one_vm();
    let (n1, n2, vm1) = (h.n("n1"), h.n("n2"), h.r("vm1"));
    let raw = |node, resid| Input::RawOfflineV2 {
        node,
        call: RawOfflineV2 {
            resid,
            dest: RawDest::Null,
            flags: 0,
            inbuf: None,
            inbuf_size: 0,
            reserved: 0,
        },
    };
    assert_eq!(
        h.step(raw(n2, RawResid::Of(vm1))),
        [returned(E::ERROR_RESOURCE_NOT_FOUND)]
    );
    assert_eq!(
        h.step(raw(n1, RawResid::Value(0))),
        [returned(E::ERROR_RESOURCE_NOT_FOUND)]
    );
    let before = h.view();
    assert_eq!(
        h.step(raw(n1, RawResid::Of(vm1))),
        [returned(E::ERROR_IO_PENDING)]
    );
    assert_eq!(h.ev(Input::CompleteOffline, "vm1"), []);
    assert_eq!(h.view(), before);
    assert_eq!(h.state("vm1"), S::Online);
    h.crash("n2");
    assert_eq!(
        h.step(raw(n2, RawResid::Value(1))),
        [returned(E::ERROR_CLUSTER_NODE_DOWN)]
    );
    let _ = Entry::Open;
}
