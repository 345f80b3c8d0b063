//! Each always-on invariant fires: a test-only corruption of the state (or a direct call of
//! a transition with a broken precondition), then the next input, must stop with the
//! violation of the right rule — and the cluster stays stopped (I17).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use super::*;
use crate::cluster::operation::Operation;
use crate::cluster::phase::{CallKind, MoveEnds, Outstanding};
use crate::cluster::{ClusterConfig, GroupConfig, Input, ResourceConfig};
use crate::reference::ReferenceDll;
use crate::types::{
    GroupId, MoveGroupFlags, NodeId, NodeName, OpId, PersistentState, ResourceId, WorkMode,
};

const N1: NodeId = NodeId(0);
const N2: NodeId = NodeId(1);
const G: GroupId = GroupId(0);
const R: ResourceId = ResourceId(0);

/// n1, n2; g1 on n1 with vm1 (persistent Online, pending work).
fn cluster() -> Cluster<ReferenceDll> {
    let config = ClusterConfig {
        pending_timeout: 100,
        retry_interval: 10,
        nodes: vec![NodeName::new("n1").unwrap(), NodeName::new("n2").unwrap()],
        groups: vec![GroupConfig {
            name: "g1".into(),
            owner: N1,
            resources: vec![ResourceConfig {
                name: "vm1".into(),
                persistent: PersistentState::Online,
                offline: WorkMode::Pending,
                online: WorkMode::Pending,
            }],
        }],
    };
    Cluster::new(config, vec![ReferenceDll::new(), ReferenceDll::new()]).unwrap()
}

fn move_to_n2() -> Input {
    Input::MoveGroup {
        group: "g1".into(),
        dest: Some("n2".into()),
        flags: MoveGroupFlags::QUEUE_ENABLED,
    }
}

/// The rule the next input (a `tick` that changes nothing) reports.
fn next_input_breaks(c: &mut Cluster<ReferenceDll>) -> &'static str {
    let violation = c.handle_input(c.now(), Input::Tick { ms: 0 }).unwrap_err();
    assert!(
        !violation.detail().is_empty() && violation.to_string().contains(violation.rule()),
        "a clear message: {violation}"
    );
    // I17: the cluster stays stopped, with the same violation.
    let again = c.handle_input(c.now(), Input::Tick { ms: 0 }).unwrap_err();
    assert_eq!(again, violation);
    violation.rule()
}

#[test]
fn an_intact_cluster_passes_every_check() {
    let mut c = cluster();
    c.handle_input(0, move_to_n2()).unwrap();
    c.handle_input(0, Input::CompleteOffline(R)).unwrap();
    assert!(c.check_invariants().is_ok());
}

// ---- the scan after every input ----

#[test]
fn r10_an_undeclared_owner() {
    let mut c = cluster();
    c.groups[0].owner = NodeId(9);
    // (Checked directly: a debug build's snapshot of the view would index the owner first.)
    assert_eq!(c.check_invariants().unwrap_err().rule(), "R10");
}

#[test]
fn r10_an_active_resource_on_a_down_owner() {
    let mut c = cluster();
    c.nodes[0] = NodeState::Down; // vm1 is still Online there
    assert_eq!(next_input_breaks(&mut c), "R10");
}

#[test]
fn r7_a_pending_resource_with_no_outstanding_call() {
    let mut c = cluster();
    c.resources[0].state = ResourceState::OfflinePending;
    assert_eq!(next_input_breaks(&mut c), "R7");
}

#[test]
fn r7_an_outstanding_call_on_a_resource_that_is_not_pending() {
    let mut c = cluster();
    c.handle_input(0, move_to_n2()).unwrap(); // vm1 OfflinePending on n1
    c.resources[0].state = ResourceState::Online;
    assert_eq!(next_input_breaks(&mut c), "R7");
}

#[test]
fn r14_an_accepted_operation_that_is_no_longer_running() {
    let mut c = cluster();
    c.handle_input(0, move_to_n2()).unwrap();
    c.groups[0].open_op = Some(OpId(7));
    assert_eq!(next_input_breaks(&mut c), "R14");
}

#[test]
fn r10_an_operation_on_a_down_owner() {
    let mut c = cluster();
    c.handle_input(0, Input::CrashNode(N2)).unwrap();
    c.handle_input(0, Input::CrashNode(N1)).unwrap(); // g1 waits, owned by Down n1
    c.groups[0].operation = Some(Operation::recovery(false, None));
    assert_eq!(next_input_breaks(&mut c), "R10");
}

#[test]
fn r10_an_outstanding_call_off_the_owner() {
    let mut c = cluster();
    c.handle_input(0, move_to_n2()).unwrap();
    let op = c.groups[0].operation.as_mut().unwrap();
    let mut call = op.take_waiting().unwrap();
    call.node = N2;
    op.pending(call).unwrap();
    assert_eq!(next_input_breaks(&mut c), "R10");
}

#[test]
fn r16_a_queued_move_with_a_call_outstanding() {
    let mut c = cluster();
    c.handle_input(0, Input::Busy(R)).unwrap();
    c.handle_input(0, move_to_n2()).unwrap(); // ERROR_RETRY: queued
    assert!(c.queued(G));
    c.resources[0].state = ResourceState::OfflinePending;
    let call = Outstanding {
        resource: R,
        node: N1,
        kind: CallKind::Offline,
        started: 0,
    };
    c.groups[0]
        .operation
        .as_mut()
        .unwrap()
        .pending(call)
        .unwrap();
    assert_eq!(next_input_breaks(&mut c), "R16");
}

// ---- transition checks ----

#[test]
fn r13_a_second_operation_on_a_group() {
    let mut c = cluster();
    c.handle_input(0, move_to_n2()).unwrap();
    let err = c.install(G, Operation::restart(R)).unwrap_err();
    assert_eq!(err.rule(), "R13");
}

#[test]
fn r14_a_second_completion() {
    let mut c = cluster();
    c.handle_input(0, move_to_n2()).unwrap();
    c.handle_input(0, Input::CompleteOffline(R)).unwrap();
    c.handle_input(0, Input::CompleteOnline(R)).unwrap(); // the move completed
    let err = c
        .complete(G, OpId(0), crate::types::ErrorCode::ERROR_SUCCESS)
        .unwrap_err();
    assert_eq!(err.rule(), "R14");
}

#[test]
fn r10_ownership_passing_with_an_active_resource() {
    let mut c = cluster();
    let err = c.transfer(G, Some(N1), N2).unwrap_err(); // vm1 is Online on n1
    assert_eq!(err.rule(), "R10");
}

#[test]
fn r10_an_open_while_open_on_another_node() {
    let mut c = cluster();
    let err = c.open(N2, R).unwrap_err();
    assert_eq!(err.rule(), "R10");
}

#[test]
fn d5_a_client_call_handled_as_an_event() {
    let mut c = cluster();
    let call = Input::OnlineResource {
        resource: "vm1".into(),
    };
    assert_eq!(c.handle_event(call).unwrap_err().rule(), "D5");
}

#[test]
fn r14_the_drive_bound() {
    use crate::cluster::drive::tests::DRIVE_BOUND;
    // A move whose resource is already Offline: Transfer, then OnlineV2 on n2 — two actions,
    // against a bound lowered to one.
    let mut c = cluster();
    c.resources[0].state = ResourceState::Offline;
    let ends = MoveEnds {
        source: N1,
        dest: N2,
        flags: MoveGroupFlags::empty(),
    };
    c.groups[0].open_op = Some(OpId(0));
    c.groups[0].operation = Some(Operation::move_group(OpId(0), ends));
    DRIVE_BOUND.set(Some(1));
    let err = c.drive(G);
    DRIVE_BOUND.set(None);
    let err = err.unwrap_err();
    assert_eq!(err.rule(), "R14");
    assert!(err.detail().contains("within 1 actions"), "{err}");
}

// ---- the debug-only pair checks ----

#[cfg(debug_assertions)]
#[test]
fn r11_d5_r13_the_pair_checks_fire_on_a_doctored_snapshot() {
    use crate::cluster::Output;
    use crate::types::ErrorCode;
    let mut c = cluster();
    let before = c.view();
    // R11: the persistent state differs from the snapshot, with no write in the outputs.
    let mut doctored = before.clone();
    doctored.persistent[0] = PersistentState::Offline;
    assert_eq!(
        c.check_pairs(&doctored, 0, false).unwrap_err().rule(),
        "R11"
    );
    // D5: a client call whose outputs do not start with its Returned.
    c.emit(Output::Completed {
        op: OpId(0),
        result: ErrorCode::ERROR_SUCCESS,
    });
    assert_eq!(c.check_pairs(&before, 0, true).unwrap_err().rule(), "D5");
    // R13: a rejected call that did more, or changed the view.
    let start = c.out.len();
    c.emit(Output::Returned {
        code: ErrorCode::ERROR_INVALID_STATE,
        op: None,
    });
    assert!(c.check_pairs(&before, start, true).is_ok());
    let mut doctored = before.clone();
    doctored.locked[0] = true;
    assert_eq!(
        c.check_pairs(&doctored, start, true).unwrap_err().rule(),
        "R13"
    );
    c.emit(Output::Completed {
        op: OpId(0),
        result: ErrorCode::ERROR_SUCCESS,
    });
    assert_eq!(
        c.check_pairs(&before, start, true).unwrap_err().rule(),
        "R13"
    );
}
