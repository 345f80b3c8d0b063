//! Unit tests of [`Operation`] on its own: no `Cluster`, no DLL. A fake host keeps one
//! group's host view, performs each [`Action`] as the dispatcher would, and answers each DLL
//! call from a script.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use super::*;
use crate::cluster::flags::offline_flags;
use crate::cluster::phase::CallKind;
use crate::types::ResourceState as S;
use crate::types::{GroupId, MoveGroupFlags as M, OfflineFlags, PersistentState as P};

const SRC: NodeId = NodeId(0);
const DST: NodeId = NodeId(1);
const A: ResourceId = ResourceId(0);
const B: ResourceId = ResourceId(1);
const C: ResourceId = ResourceId(2);
const E: ErrorCode = ErrorCode::ERROR_SUCCESS;
const PENDING: ErrorCode = ErrorCode::ERROR_IO_PENDING;

/// One group's host view and what the host was asked to do.
struct Fake {
    members: Vec<ResourceId>,
    resources: Vec<ResourceHost>,
    now: u64,
    log: Vec<Action>,
}

impl Fake {
    fn new(resources: &[(P, S)]) -> Self {
        Self {
            members: (0..resources.len())
                .map(|i| ResourceId(u8::try_from(i).unwrap()))
                .collect(),
            resources: resources
                .iter()
                .map(|&(persistent, state)| ResourceHost {
                    group: GroupId(0),
                    state,
                    persistent,
                    locked: false,
                })
                .collect(),
            now: 0,
            log: Vec::new(),
        }
    }

    fn state(&self, r: ResourceId) -> S {
        self.resources[r.index()].state
    }

    /// Runs `op` until it waits or finishes, answering each DLL call from `script` in order.
    /// `Some(result)` when it finished.
    fn run(
        &mut self,
        op: &mut Operation,
        script: &[ErrorCode],
    ) -> Result<Option<Option<ErrorCode>>, InvariantViolation> {
        let mut answers = script.iter().copied();
        for _ in 0..64 {
            let view = GroupView {
                members: &self.members,
                resources: &self.resources,
            };
            let action = op.next_action(view)?;
            self.log.push(action);
            match action {
                Action::Wait => return Ok(None),
                Action::Finish { result } => return Ok(Some(result)),
                Action::Offline { resource, .. } => {
                    let code = answers.next().expect("the script answers every call");
                    self.answer(op, resource, CallKind::Offline, code)?;
                }
                Action::Online { resource } => {
                    let code = answers.next().expect("the script answers every call");
                    self.answer(op, resource, CallKind::Online, code)?;
                }
                Action::Terminate { resource } => {
                    self.resources[resource.index()].state = S::Offline;
                }
                Action::Transfer { .. } => {}
            }
        }
        panic!("the operation neither waited nor finished: {:?}", self.log);
    }

    fn answer(
        &mut self,
        op: &mut Operation,
        resource: ResourceId,
        kind: CallKind,
        code: ErrorCode,
    ) -> Result<(), InvariantViolation> {
        let state = &mut self.resources[resource.index()].state;
        if code == PENDING {
            *state = kind.pending_state();
            let call = Outstanding {
                resource,
                node: SRC,
                kind,
                started: self.now,
            };
            return op.pending(call);
        }
        let end = CallEnd::of_answer(kind, code);
        *state = end.host_state(kind, *state);
        op.ended(resource, end, self.now)
    }

    /// The outstanding call ends (a status callback, R7).
    fn callback(&mut self, op: &mut Operation, end: CallEnd) -> Result<(), InvariantViolation> {
        let call = op.take_waiting().expect("a call is outstanding");
        let state = &mut self.resources[call.resource.index()].state;
        *state = end.host_state(call.kind, *state);
        op.ended(call.resource, end, self.now)
    }
}

fn ends(flags: M) -> MoveEnds {
    MoveEnds {
        source: SRC,
        dest: DST,
        flags,
    }
}

fn first_leg(flags: M, second_attempt_without_network: bool) -> OfflineContext {
    OfflineContext::MoveFirstLeg {
        dest: DST,
        ignore_resource_status: flags.contains(M::IGNORE_RESOURCE_STATUS),
        return_to_source: flags.contains(M::RETURN_TO_SOURCE_NODE_ON_ERROR),
        queue_enabled: flags.contains(M::QUEUE_ENABLED),
        second_attempt_without_network,
    }
}

#[test]
fn r15_d10_a_move_offlines_what_is_not_offline_transfers_and_brings_up_persistent_online() {
    let mut fake = Fake::new(&[
        (P::Online, S::Online),
        (P::Offline, S::Offline),
        (P::Online, S::Online),
    ]);
    let mut op = Operation::move_group(OpId(7), ends(M::empty()));
    let done = fake.run(&mut op, &[E, E, E, E]).unwrap();
    assert_eq!(done, Some(Some(E)));
    let leg = first_leg(M::empty(), false);
    assert_eq!(
        fake.log,
        [
            Action::Offline {
                resource: A,
                context: leg
            },
            Action::Offline {
                resource: C,
                context: leg
            },
            Action::Transfer { from: SRC, to: DST },
            Action::Online { resource: A },
            Action::Online { resource: C },
            Action::Finish { result: Some(E) },
        ]
    );
    assert_eq!(
        offline_flags(leg),
        OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE
    ); // R12
}

#[test]
fn r16_d12_a_queued_move_waits_for_its_retry_deadline_and_a_cancel_settles_it() {
    let retry = ErrorCode::ERROR_RETRY;
    let mut fake = Fake::new(&[(P::Online, S::Online)]);
    let mut op = Operation::move_group(OpId(1), ends(M::QUEUE_ENABLED));
    assert_eq!(fake.run(&mut op, &[retry]).unwrap(), None);
    assert!(op.is_queued());
    assert_eq!(op.deadline(180_000, 100), Some(100));
    assert!(!op.retry_due(99, 100));
    assert!(op.retry_due(100, 100));
    // The retry repeats the attempt with the same flags; RETRY again queues it again.
    fake.now = 100;
    fake.log.clear();
    assert_eq!(fake.run(&mut op, &[retry]).unwrap(), None);
    let leg = first_leg(M::QUEUE_ENABLED, false);
    assert_eq!(
        fake.log,
        [
            Action::Offline {
                resource: A,
                context: leg
            },
            Action::Wait
        ]
    );
    assert_eq!(op.deadline(180_000, 100), Some(200));
    // R18: cancel → settle on S (nothing to do: A is Online) → ERROR_CANCELLED.
    op.cancel().unwrap();
    assert_eq!(
        fake.run(&mut op, &[]).unwrap(),
        Some(Some(ErrorCode::ERROR_CANCELLED))
    );
}

#[test]
fn r17_d14_a_refused_return_offline_is_terminated_then_s_settles_with_the_failure_code() {
    let gen = ErrorCode::ERROR_GEN_FAILURE;
    let mut fake = Fake::new(&[(P::Online, S::Online)]);
    let mut op = Operation::move_group(OpId(3), ends(M::RETURN_TO_SOURCE_NODE_ON_ERROR));
    // First leg ok, online on D fails, the return offline is refused, the online on S works.
    let script = [E, gen, ErrorCode::ERROR_INVALID_PARAMETER, E];
    assert_eq!(fake.run(&mut op, &script).unwrap(), Some(Some(gen)));
    let back = OfflineContext::ReturnLeg {
        source: SRC,
        ignore_resource_status: false,
    };
    assert_eq!(
        fake.log[1..],
        [
            Action::Transfer { from: SRC, to: DST },
            Action::Online { resource: A },
            Action::Offline {
                resource: A,
                context: back
            },
            Action::Terminate { resource: A },
            Action::Transfer { from: DST, to: SRC },
            Action::Online { resource: A },
            Action::Finish { result: Some(gen) },
        ]
    );
    assert_eq!(fake.state(A), S::Online);
}

#[test]
fn d9_i3_a_forced_move_recalls_an_unreachable_resource_once_without_the_network() {
    let unreachable = ErrorCode::ERROR_HOST_UNREACHABLE;
    let flags = M::IGNORE_RESOURCE_STATUS;
    let mut fake = Fake::new(&[(P::Online, S::Online), (P::Online, S::Online)]);
    let mut op = Operation::move_group(OpId(0), ends(flags));
    fake.run(&mut op, &[unreachable, E, E, E, E]).unwrap();
    assert_eq!(
        fake.log[..3],
        [
            Action::Offline {
                resource: A,
                context: first_leg(flags, false)
            },
            Action::Offline {
                resource: A,
                context: first_leg(flags, true)
            },
            // The next resource's first attempt needs the network again.
            Action::Offline {
                resource: B,
                context: first_leg(flags, false)
            },
        ]
    );
}

#[test]
fn r14_i6_a_recovery_waits_for_its_inherited_call_which_is_not_its_attempt() {
    let mut fake = Fake::new(&[(P::Online, S::OnlinePending), (P::Online, S::Online)]);
    let inherited = Outstanding {
        resource: A,
        node: SRC,
        kind: CallKind::Online,
        started: 0,
    };
    let mut op = Operation::recovery(false, Some(inherited));
    assert_eq!(op.op(), None);
    assert_eq!(fake.run(&mut op, &[]).unwrap(), None); // waits
    assert_eq!(op.deadline(100, 10), Some(100)); // R19
    assert_eq!(op.timeout_due(99, 100), None);
    assert_eq!(op.timeout_due(100, 100), Some(inherited));
    // The inherited call fails: A is Failed, and the pass gives it its one attempt.
    fake.callback(&mut op, CallEnd::Failed(ErrorCode::ERROR_GEN_FAILURE))
        .unwrap();
    assert_eq!(fake.state(A), S::Failed);
    fake.log.clear();
    assert_eq!(fake.run(&mut op, &[PENDING]).unwrap(), None);
    assert_eq!(fake.log, [Action::Online { resource: A }, Action::Wait]);
    // That attempt fails too: Failed is final for this pass (D13); B needs nothing.
    fake.callback(&mut op, CallEnd::Failed(ErrorCode::ERROR_GEN_FAILURE))
        .unwrap();
    assert_eq!(fake.run(&mut op, &[]).unwrap(), Some(None)); // no completion
}

#[test]
fn d13_i12_r14_a_pass_offlines_a_failed_resource_with_target_offline_and_terminates_a_refusal() {
    let mut fake = Fake::new(&[(P::Offline, S::Failed), (P::Offline, S::Online)]);
    let mut op = Operation::recovery(true, None);
    let refused = ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS;
    assert_eq!(fake.run(&mut op, &[E, refused]).unwrap(), Some(None));
    let settle = OfflineContext::ToPersistentOffline {
        ignore_resource_status: true, // I5
    };
    assert_eq!(
        fake.log,
        [
            Action::Offline {
                resource: A,
                context: settle
            },
            Action::Offline {
                resource: B,
                context: settle
            },
            Action::Terminate { resource: B }, // R14: such an offline never stops
            Action::Finish { result: None },
        ]
    );
    assert_eq!((fake.state(A), fake.state(B)), (S::Offline, S::Offline));
}

#[test]
fn r21_a_restart_offlines_then_onlines_and_a_failed_offline_skips_the_online() {
    let mut fake = Fake::new(&[(P::Online, S::Failed)]);
    let mut op = Operation::restart(A);
    assert_eq!(fake.run(&mut op, &[E, E]).unwrap(), Some(None));
    assert_eq!(fake.state(A), S::Online);
    let mut fake = Fake::new(&[(P::Online, S::Failed)]);
    let mut op = Operation::restart(A);
    let gen = ErrorCode::ERROR_GEN_FAILURE;
    assert_eq!(fake.run(&mut op, &[gen]).unwrap(), Some(None));
    assert_eq!(
        fake.log.len(),
        2,
        "no OnlineV2 after a failed restart offline"
    );
}

#[test]
fn r23_user_operations_complete_with_the_call_result() {
    let mut fake = Fake::new(&[(P::Offline, S::Online)]);
    let context = OfflineContext::UserOffline {
        ignore_resource_status: false,
        do_not_update_persistent_state: false,
    };
    let mut op = Operation::user_offline(OpId(0), A, context);
    assert_eq!(fake.run(&mut op, &[PENDING]).unwrap(), None);
    fake.callback(&mut op, CallEnd::Done).unwrap(); // R19: a timed-out offline is Done too
    assert_eq!(fake.run(&mut op, &[]).unwrap(), Some(Some(E)));
    let mut op = Operation::user_online(OpId(1), A);
    let gen = ErrorCode::ERROR_GEN_FAILURE;
    assert_eq!(fake.run(&mut op, &[gen]).unwrap(), Some(Some(gen)));
    assert_eq!(fake.state(A), S::Failed);
}

// ---- the operation's own invariants fire ----

#[test]
fn r7_a_second_outstanding_call_is_a_violation() {
    let mut fake = Fake::new(&[(P::Online, S::Online)]);
    let mut op = Operation::user_online(OpId(0), A);
    fake.run(&mut op, &[PENDING]).unwrap();
    let again = op.waiting().unwrap();
    assert_eq!(op.pending(again).unwrap_err().rule(), "R7");
}

#[test]
fn r16_a_call_ending_while_queued_is_a_violation() {
    let mut fake = Fake::new(&[(P::Online, S::Online)]);
    let mut op = Operation::move_group(OpId(0), ends(M::QUEUE_ENABLED));
    fake.run(&mut op, &[ErrorCode::ERROR_RETRY]).unwrap();
    let err = op.ended(A, CallEnd::Done, 0).unwrap_err();
    assert_eq!(err.rule(), "R16");
}

#[test]
fn r18_cancel_of_an_operation_that_is_not_queued_is_a_violation() {
    let mut op = Operation::move_group(OpId(0), ends(M::QUEUE_ENABLED));
    assert_eq!(op.cancel().unwrap_err().rule(), "R18");
    assert!(matches!(op.phase(), Phase::FirstLeg { .. }), "unchanged");
}

#[test]
fn r15_a_move_phase_without_its_ends_is_a_violation() {
    let fake = Fake::new(&[(P::Online, S::Online)]);
    let phase = Phase::FirstLeg {
        next: 0,
        network: Network::Needed,
    };
    let mut op = Operation::new(Some(OpId(0)), false, None, phase);
    let view = GroupView {
        members: &fake.members,
        resources: &fake.resources,
    };
    assert_eq!(op.next_action(view).unwrap_err().rule(), "R15");
    let mut op = Operation::new(
        Some(OpId(0)),
        false,
        None,
        Phase::Return { next: 0, code: E },
    );
    assert_eq!(op.ended(A, CallEnd::Done, 0).unwrap_err().rule(), "R15");
}
