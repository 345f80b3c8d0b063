//! MoveGroupEx: first leg, ownership transfer, bring-up on D, return to source, queueing and
//! cancel (R15–R18, D9–D14).

use super::flags::OfflineContext;
use super::state::{Adoption, CallEnd, CallKind, Job, MoveEnds, Network, Phase};
use super::Cluster;
use crate::resource_dll::ResourceDll;
use crate::types::{ErrorCode, GroupId, PersistentState, ResourceId, ResourceState};

/// The rollback after an aborted first leg, a cancel or a return: bring the group to its
/// persistent state on the owner, then complete with `code` (D11, D13, R16, R18).
fn settle_then(code: ErrorCode) -> Phase {
    Phase::Settle {
        next: 0,
        result: Some(code),
        adoption: Adoption::None,
    }
}

impl<D: ResourceDll> Cluster<D> {
    /// One action of a move job (see `jobs::advance`).
    pub(super) fn advance_move(&mut self, group: GroupId, job: Job) -> bool {
        let Some(ends) = job.ends else {
            debug_assert!(false, "a move job knows its ends");
            return false;
        };
        let resources = &self.groups[group.index()].resources;
        match job.phase {
            Phase::FirstLeg { next, network } => {
                let Some(&resource) = resources.get(next) else {
                    // D10: every resource is Offline on S; ownership passes to D.
                    self.transfer(group, Some(ends.source), ends.dest);
                    self.set_phase(
                        group,
                        Phase::BringUp {
                            next: 0,
                            first_failure: None,
                        },
                    );
                    return true;
                };
                if self.resources[resource.index()].state == ResourceState::Offline {
                    // R15/D9: Offline ones are skipped (no call).
                    self.set_phase(
                        group,
                        Phase::FirstLeg {
                            next: next + 1,
                            network: Network::Needed,
                        },
                    );
                    return true;
                }
                let context = first_leg_context(ends, job.ignore, network);
                #[cfg(feature = "seeded-bugs")]
                if self.bug == crate::seeded::SeededBug::PersistentWriteOnMove {
                    self.write_persistent(resource, PersistentState::Offline);
                }
                if let Some(end) = self.call_offline(group, resource, context) {
                    self.ended(group, resource, CallKind::Offline, end);
                }
                true
            }
            Phase::Queued { .. } => false, // R16: waits for a tick or a cancel
            Phase::BringUp {
                next,
                first_failure,
            } => {
                let Some(&resource) = resources.get(next) else {
                    // R15/R17: every resource was tried on D; the move is settled.
                    self.finish(
                        group,
                        Some(first_failure.unwrap_or(ErrorCode::ERROR_SUCCESS)),
                    );
                    return false;
                };
                let res = self.resources[resource.index()];
                if res.persistent == PersistentState::Offline || res.state == ResourceState::Online
                {
                    // D10: only persistent-Online resources are brought up.
                    self.set_phase(
                        group,
                        Phase::BringUp {
                            next: next + 1,
                            first_failure,
                        },
                    );
                    return true;
                }
                if let Some(end) = self.call_online(group, resource) {
                    self.ended(group, resource, CallKind::Online, end);
                }
                true
            }
            Phase::Return { next, code } => {
                let Some(&resource) = resources.get(next) else {
                    // D14: Close on D, Open on S, then S brings the group to its persistent state.
                    self.transfer(group, Some(ends.dest), ends.source);
                    self.set_phase(group, settle_then(code));
                    return true;
                };
                if self.resources[resource.index()].state == ResourceState::Offline {
                    self.set_phase(
                        group,
                        Phase::Return {
                            next: next + 1,
                            code,
                        },
                    );
                    return true;
                }
                // R17/R12: 0x08|0x40 (|0x01), DestinationNodeName = S.
                let context = OfflineContext::ReturnLeg {
                    source: ends.source,
                    ignore_resource_status: job.ignore,
                };
                if let Some(end) = self.call_offline(group, resource, context) {
                    self.ended(group, resource, CallKind::Offline, end);
                }
                true
            }
            Phase::UserOffline { .. }
            | Phase::UserOnline { .. }
            | Phase::Settle { .. }
            | Phase::Restart { .. } => {
                debug_assert!(false, "not a move phase");
                false
            }
        }
    }

    /// A move's call ended (the host view is already updated): the next phase, or `None` to
    /// leave the phase as it is.
    pub(super) fn move_ended(
        &mut self,
        _group: GroupId,
        job: Job,
        resource: ResourceId,
        end: CallEnd,
    ) -> Option<Phase> {
        let ends = job.ends?;
        Some(match job.phase {
            Phase::FirstLeg { next, network } => match end {
                CallEnd::Done => Phase::FirstLeg {
                    next: next + 1,
                    network: Network::Needed,
                },
                // D9/R12: a forced move retries at once without the network (I3: whichever
                // attempt of this resource answered it, once per resource).
                CallEnd::Refused(ErrorCode::ERROR_HOST_UNREACHABLE)
                    if job.ignore && network == Network::Needed =>
                {
                    Phase::FirstLeg {
                        next,
                        network: Network::Ignored,
                    }
                }
                // R16/D12: queued, retried at ticks with the same flags.
                CallEnd::Refused(ErrorCode::ERROR_RETRY) if ends.queue_enabled() => Phase::Queued {
                    next,
                    network,
                    last_attempt: self.now,
                },
                // D11: RETRY without QUEUE, LOCKED_STATUS, HOST_UNREACHABLE without IGNORE,
                // GEN_FAILURE, a failed pending offline (and any other answer, I14): roll back
                // on S, then complete.
                CallEnd::Failed(code) | CallEnd::Refused(code) => settle_then(code),
            },
            Phase::BringUp {
                next,
                first_failure,
            } => match end {
                CallEnd::Done => Phase::BringUp {
                    next: next + 1,
                    first_failure,
                },
                // R17/D14: the first failure on D decides.
                CallEnd::Failed(code) | CallEnd::Refused(code) if ends.return_to_source() => {
                    Phase::Return { next: 0, code }
                }
                CallEnd::Failed(code) | CallEnd::Refused(code) => Phase::BringUp {
                    next: next + 1,
                    first_failure: first_failure.or(Some(code)),
                },
            },
            Phase::Return { next, code } => {
                if let CallEnd::Refused(_) = end {
                    // R17: a return leg never stops: error answer → Terminate → Offline.
                    self.terminate(resource);
                }
                // A pending return offline that failed leaves the resource Failed; go on.
                Phase::Return {
                    next: next + 1,
                    code,
                }
            }
            Phase::Queued { .. }
            | Phase::UserOffline { .. }
            | Phase::UserOnline { .. }
            | Phase::Settle { .. }
            | Phase::Restart { .. } => {
                debug_assert!(false, "no call ends in {:?}", job.phase);
                return None;
            }
        })
    }

    /// R16/D12: at a tick, re-call OfflineV2 of a queued move once its interval has passed.
    pub(super) fn retry_if_due(&mut self, group: GroupId) {
        let Some(job) = self.groups[group.index()].job else {
            return;
        };
        if let Phase::Queued {
            next,
            network,
            last_attempt,
        } = job.phase
        {
            if self.now >= last_attempt.saturating_add(self.config.retry_interval) {
                // The retry is a first-leg attempt with the same flags; ERROR_RETRY again
                // queues it again (last_attempt = now), anything else goes on in flight.
                self.set_phase(group, Phase::FirstLeg { next, network });
                self.drive(group);
            }
        }
    }

    /// R18: drop the queued move; the group returns to its persistent state on S and the move
    /// completes with ERROR_CANCELLED once settled.
    pub(super) fn cancel_queued(&mut self, group: GroupId) {
        debug_assert!(self.queued(group));
        self.set_phase(group, settle_then(ErrorCode::ERROR_CANCELLED));
        self.drive(group);
    }
}

/// R12 context of a first-leg attempt.
fn first_leg_context(ends: MoveEnds, ignore: bool, network: Network) -> OfflineContext {
    OfflineContext::MoveFirstLeg {
        dest: ends.dest,
        ignore_resource_status: ignore,
        return_to_source: ends.return_to_source(),
        queue_enabled: ends.queue_enabled(),
        second_attempt_without_network: network == Network::Ignored,
    }
}
