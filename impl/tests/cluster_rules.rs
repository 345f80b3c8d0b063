//! One test per cluster rule R10–R23 (SPEC §5), named after the rule, asserting exact outputs
//! and the host view, plus the SPEC §7 example end to end.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::*;
use offline_v2::cluster::{Entry, Input, Output, RawResid};
use offline_v2::resource_dll::RawDest;
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
