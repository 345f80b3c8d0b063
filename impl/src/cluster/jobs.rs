//! Driving a group's job: user offline/online (D6, D7, R23), bringing a group to its
//! persistent state (D13, R14), the embedded-failure restart (R21, D18), and completion (R14).

use super::flags::OfflineContext;
use super::state::{Adoption, CallEnd, CallKind, Job, Phase, RestartStep};
use super::{Cluster, Output, STEP_BOUND};
use crate::resource_dll::ResourceDll;
use crate::types::{ErrorCode, GroupId, OpId, PersistentState, ResourceId, ResourceState};

impl<D: ResourceDll> Cluster<D> {
    /// Installs a job on an idle group and runs it as far as it goes.
    pub(super) fn start_job(&mut self, group: GroupId, job: Job) {
        debug_assert!(
            self.groups[group.index()].job.is_none(),
            "one job per group"
        );
        self.groups[group.index()].job = Some(job);
        self.drive(group);
    }

    /// Runs the group's job until it waits (an outstanding call, or queued) or finishes.
    pub(super) fn drive(&mut self, group: GroupId) {
        for _ in 0..STEP_BOUND {
            let Some(job) = self.groups[group.index()].job else {
                return;
            };
            if job.waiting.is_some() || !self.advance(group, job) {
                return;
            }
        }
        debug_assert!(false, "R14: a job did not settle within the bound");
    }

    /// One action of the job; `false` when it must wait or has finished.
    fn advance(&mut self, group: GroupId, job: Job) -> bool {
        match job.phase {
            Phase::UserOffline {
                result: Some(code), ..
            }
            | Phase::UserOnline {
                result: Some(code), ..
            } => {
                self.finish(group, Some(code));
                false
            }
            Phase::UserOffline {
                resource,
                context,
                result: None,
            } => {
                if let Some(end) = self.call_offline(group, resource, context) {
                    self.ended(group, resource, CallKind::Offline, end);
                }
                true
            }
            Phase::UserOnline {
                resource,
                result: None,
            } => {
                if let Some(end) = self.call_online(group, resource) {
                    self.ended(group, resource, CallKind::Online, end);
                }
                true
            }
            Phase::Settle { next, result, .. } => self.advance_settle(group, job, next, result),
            Phase::Restart { resource, step } => {
                let end = match step {
                    RestartStep::Offline => self
                        .call_offline(group, resource, OfflineContext::EmbeddedFailureRestart)
                        .map(|end| (CallKind::Offline, end)),
                    RestartStep::Online => self
                        .call_online(group, resource)
                        .map(|end| (CallKind::Online, end)),
                    RestartStep::Done => {
                        self.finish(group, None); // R21: no completion
                        return false;
                    }
                };
                if let Some((kind, end)) = end {
                    self.ended(group, resource, kind, end);
                }
                true
            }
            Phase::FirstLeg { .. }
            | Phase::Queued { .. }
            | Phase::BringUp { .. }
            | Phase::Return { .. } => self.advance_move(group, job),
        }
    }

    /// D13: one pass in declaration order over resources not at their persistent target
    /// (a Failed resource with target Offline included, I12).
    fn advance_settle(
        &mut self,
        group: GroupId,
        job: Job,
        next: usize,
        result: Option<ErrorCode>,
    ) -> bool {
        let Some(&resource) = self.groups[group.index()].resources.get(next) else {
            self.finish(group, result);
            return false;
        };
        let res = self.resources[resource.index()];
        if res.state == res.persistent.target() {
            self.set_phase(
                group,
                Phase::Settle {
                    next: next + 1,
                    result,
                    adoption: Adoption::None,
                },
            );
            return true;
        }
        let end = match res.persistent {
            PersistentState::Online => self
                .call_online(group, resource)
                .map(|end| (CallKind::Online, end)),
            // R14: 0x40 (plus 0x01 if the client passed IGNORE), no destination.
            PersistentState::Offline => self
                .call_offline(
                    group,
                    resource,
                    OfflineContext::ToPersistentOffline {
                        ignore_resource_status: job.ignore,
                    },
                )
                .map(|end| (CallKind::Offline, end)),
        };
        if let Some((kind, end)) = end {
            self.ended(group, resource, kind, end);
        }
        true
    }

    pub(super) fn set_phase(&mut self, group: GroupId, phase: Phase) {
        if let Some(job) = self.groups[group.index()].job.as_mut() {
            job.phase = phase;
        }
    }

    /// A host call on `resource` ended (now, by callback, or by timeout): update the host view
    /// (R7, R8, R19, D16), then let the group's job react.
    pub(super) fn ended(
        &mut self,
        group: GroupId,
        resource: ResourceId,
        kind: CallKind,
        end: CallEnd,
    ) {
        let state = &mut self.resources[resource.index()].state;
        match (kind, end) {
            (CallKind::Offline, CallEnd::Done) => *state = ResourceState::Offline,
            (CallKind::Online, CallEnd::Done) => *state = ResourceState::Online,
            (_, CallEnd::Failed(_)) | (_, CallEnd::Refused(ErrorCode::ERROR_GEN_FAILURE)) => {
                *state = ResourceState::Failed;
            }
            (CallKind::Offline, CallEnd::Refused(_)) => {} // stays as it was (R23)
            (CallKind::Online, CallEnd::Refused(_)) => *state = ResourceState::Failed, // I4
        }
        let Some(job) = self.groups[group.index()].job else {
            return;
        };
        let phase = match job.phase {
            Phase::UserOffline {
                resource, context, ..
            } => Phase::UserOffline {
                resource,
                context,
                result: Some(match end {
                    CallEnd::Done => ErrorCode::ERROR_SUCCESS, // incl. R19 timeout
                    CallEnd::Failed(code) | CallEnd::Refused(code) => code, // R23
                }),
            },
            Phase::UserOnline { resource, .. } => Phase::UserOnline {
                resource,
                result: Some(match end {
                    CallEnd::Done => ErrorCode::ERROR_SUCCESS,
                    CallEnd::Failed(code) | CallEnd::Refused(code) => code, // R23
                }),
            },
            Phase::Settle {
                next,
                result,
                adoption,
            } => {
                if let CallEnd::Refused(_) = end {
                    // R14: such an offline never stops: error answer → Terminate → Offline.
                    self.terminate(resource);
                }
                Phase::Settle {
                    next: match adoption {
                        // R14/I6: the awaited call is not the new pass's attempt; the pass
                        // starts now, from the first resource.
                        Adoption::Foreign => next,
                        Adoption::None => next + 1,
                    },
                    result,
                    adoption: Adoption::None,
                }
            }
            Phase::Restart { resource, step } => Phase::Restart {
                resource,
                step: match (step, end) {
                    (RestartStep::Offline, CallEnd::Done) => RestartStep::Online,
                    // R21: the restart's OfflineV2 failed: the online is not tried.
                    _ => RestartStep::Done,
                },
            },
            Phase::FirstLeg { .. }
            | Phase::Queued { .. }
            | Phase::BringUp { .. }
            | Phase::Return { .. } => match self.move_ended(group, job, resource, end) {
                Some(phase) => phase,
                None => return,
            },
        };
        self.set_phase(group, phase);
    }

    /// The job is over: the group is settled (R14). Completes its operation, if any, once.
    pub(super) fn finish(&mut self, group: GroupId, result: Option<ErrorCode>) {
        let Some(job) = self.groups[group.index()].job.take() else {
            return;
        };
        debug_assert!(job.waiting.is_none());
        debug_assert_eq!(
            job.op.is_some(),
            result.is_some(),
            "an op completes with a code"
        );
        if let (Some(op), Some(result)) = (job.op, result) {
            self.complete(op, result);
            #[cfg(feature = "seeded-bugs")]
            if self.bug == crate::seeded::SeededBug::SecondCompletionAfterCancel
                && result == ErrorCode::ERROR_CANCELLED
            {
                self.complete(op, result);
            }
        }
    }

    /// R14: each accepted operation completes exactly once.
    pub(super) fn complete(&mut self, op: OpId, result: ErrorCode) {
        #[cfg(debug_assertions)]
        {
            assert!(self.completed.insert(op), "R14: {op:?} completed twice");
            assert!(op.0 < self.next_op, "R14: {op:?} was never accepted");
        }
        self.out.push(Output::Completed { op, result });
    }
}
