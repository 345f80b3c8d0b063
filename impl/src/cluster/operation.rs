//! [`Operation`]: one group's in-flight work — an accepted client operation, a recovery (R20)
//! or an embedded-failure restart (R21) — and the [`Action`]s it asks of the host.
//!
//! An operation owns its phase and the phase's cursor over the group's resources, its one
//! outstanding DLL call, and the deadlines that follow from them (R16 retry, R19 timeout). It
//! advances itself from what happened: [`Operation::next_action`] says what the host must do
//! next, [`Operation::pending`] and [`Operation::ended`] report how a call went,
//! [`Operation::timeout_due`] and [`Operation::retry_due`] are its timers. It never calls a DLL
//! and never writes the host view — the dispatcher ([`Cluster`](super::Cluster)) does both and
//! reports back, as quinn-proto's `Connection` hands work to the streams it owns.

use super::flags::OfflineContext;
use super::invariants::{ensure, InvariantViolation};
use super::phase::{Adoption, CallEnd, MoveEnds, Network, Outstanding, Phase, RestartStep};
use super::state::ResourceHost;
use crate::types::{ErrorCode, NodeId, OpId, PersistentState, ResourceId, ResourceState};

/// What an [`Operation`] asks the host to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `OfflineV2` on the group's owner with R12's flags for `context`; report the answer.
    Offline {
        /// The resource.
        resource: ResourceId,
        /// Why (R12).
        context: OfflineContext,
    },
    /// `OnlineV2` on the group's owner; report the answer.
    Online {
        /// The resource.
        resource: ResourceId,
    },
    /// `Terminate` on the owner: the resource is Offline (R14, R17: an offline that never
    /// stops).
    Terminate {
        /// The resource.
        resource: ResourceId,
    },
    /// Ownership passes (D10, D14): Close on `from`, then Open on `to`, in declaration order.
    Transfer {
        /// The node that closes.
        from: NodeId,
        /// The node that opens and owns the group afterwards.
        to: NodeId,
    },
    /// The operation is over and the group settled (R14): remove it, and complete its client
    /// operation with `result` (None for a recovery or a restart).
    Finish {
        /// The completion code.
        result: Option<ErrorCode>,
    },
    /// Nothing until an event: a call is outstanding, or the move is queued (R16).
    Wait,
}

/// The part of the host view an operation reads: its group's resources, in declaration order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupView<'a> {
    /// The group's resources, in declaration order.
    pub members: &'a [ResourceId],
    /// Every resource's host record, indexed by [`ResourceId`].
    pub resources: &'a [ResourceHost],
}

impl GroupView<'_> {
    /// The first resource of the group at or after position `from` whose host record is
    /// `wanted`: its position, id and record.
    fn find(
        &self,
        from: usize,
        wanted: impl Fn(&ResourceHost) -> bool,
    ) -> Option<(usize, ResourceId, ResourceHost)> {
        let rest = self.members.get(from..)?;
        rest.iter().enumerate().find_map(|(offset, &resource)| {
            let res = self.resources[resource.index()];
            wanted(&res).then_some((from + offset, resource, res))
        })
    }
}

/// A group's in-flight (or queued, or settling) work: while it exists the group is held (R14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Operation {
    /// The accepted operation it completes, if any (recovery and restart have none).
    op: Option<OpId>,
    /// The client passed IGNORE_RESOURCE_STATUS (R12 0x01, R14).
    ignore: bool,
    /// Set while a move or its rollback runs (R20: "source or destination").
    ends: Option<MoveEnds>,
    /// The outstanding call, if any (at most one per group).
    waiting: Option<Outstanding>,
    /// A Terminate owed before anything else (R14, R17: an error answer → Terminate).
    terminate: Option<ResourceId>,
    /// What comes next.
    phase: Phase,
}

impl Operation {
    fn new(op: Option<OpId>, ignore: bool, ends: Option<MoveEnds>, phase: Phase) -> Self {
        Self {
            op,
            ignore,
            ends,
            waiting: None,
            terminate: None,
            phase,
        }
    }

    /// OfflineResourceEx (D6).
    pub fn user_offline(op: OpId, resource: ResourceId, context: OfflineContext) -> Self {
        let ignore = matches!(
            context,
            OfflineContext::UserOffline {
                ignore_resource_status: true,
                ..
            }
        );
        let phase = Phase::UserOffline {
            resource,
            context,
            result: None,
        };
        Self::new(Some(op), ignore, None, phase)
    }

    /// OnlineResourceEx (D7).
    pub fn user_online(op: OpId, resource: ResourceId) -> Self {
        let phase = Phase::UserOnline {
            resource,
            result: None,
        };
        Self::new(Some(op), false, None, phase)
    }

    /// MoveGroupEx S→D (R15, D9).
    pub fn move_group(op: OpId, ends: MoveEnds) -> Self {
        let ignore = ends
            .flags
            .contains(crate::types::MoveGroupFlags::IGNORE_RESOURCE_STATUS);
        let phase = Phase::FirstLeg {
            next: 0,
            network: Network::Needed,
        };
        Self::new(Some(op), ignore, Some(ends), phase)
    }

    /// The restart of an embedded failure (R21, D18): no completion.
    pub fn restart(resource: ResourceId) -> Self {
        let phase = Phase::Restart {
            resource,
            step: RestartStep::Offline,
        };
        Self::new(None, false, None, phase)
    }

    /// A recovery (R20, D17): a D13 pass with no completion, carrying the aborted operation's
    /// IGNORE (I5), that first waits for `inherited`, a call the aborted operation left
    /// pending (R14, I6).
    pub fn recovery(ignore: bool, inherited: Option<Outstanding>) -> Self {
        let adoption = if inherited.is_some() {
            Adoption::Inherited
        } else {
            Adoption::Own
        };
        let phase = Phase::Settle {
            next: 0,
            result: None,
            adoption,
        };
        let mut operation = Self::new(None, ignore, None, phase);
        operation.waiting = inherited;
        operation
    }

    // ---- getters ----

    /// The client operation it completes, if any.
    pub fn op(&self) -> Option<OpId> {
        self.op
    }
    /// The client passed IGNORE_RESOURCE_STATUS.
    pub fn ignore(&self) -> bool {
        self.ignore
    }
    /// The outstanding call.
    pub fn waiting(&self) -> Option<Outstanding> {
        self.waiting
    }
    /// The resource and node of the outstanding call.
    #[inline]
    pub fn waiting_on(&self) -> Option<(ResourceId, NodeId)> {
        self.waiting.as_ref().map(|w| (w.resource, w.node))
    }
    /// The outstanding call, if it is on `resource` at `node` (R7).
    pub fn outstanding_on(&self, resource: ResourceId, node: NodeId) -> Option<Outstanding> {
        self.waiting
            .filter(|w| w.resource == resource && w.node == node)
    }
    /// The move is queued (R16, R13 check 3).
    pub fn is_queued(&self) -> bool {
        matches!(self.phase, Phase::Queued { .. })
    }
    /// The current phase.
    #[cfg(test)]
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// A move (or its rollback) whose source or destination is `node` (R20).
    pub fn touches(&self, node: NodeId) -> bool {
        self.ends
            .is_some_and(|e| e.source == node || e.dest == node)
    }
    /// Where a group owned by the crashed node fails over, if not to the first Up node: S,
    /// during a move with RETURN_TO_SOURCE whose destination died after ownership passed (R20).
    pub fn failover_to(&self, crashed: NodeId, owned: bool) -> Option<NodeId> {
        self.ends
            .and_then(|e| (owned && e.dest == crashed && e.return_to_source()).then_some(e.source))
    }

    // ---- timers ----

    /// The earliest logical time the operation remembers (its outstanding call's start, its
    /// queued move's last attempt), if any.
    pub fn earliest_time(&self) -> Option<u64> {
        let queued = match self.phase {
            Phase::Queued { last_attempt, .. } => Some(last_attempt),
            _ => None,
        };
        match (self.waiting.map(|w| w.started), queued) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves every time the operation remembers `by` ms earlier (time translation, I18).
    pub fn shift_time(&mut self, by: u64) {
        if let Some(w) = &mut self.waiting {
            w.started = w.started.saturating_sub(by);
        }
        if let Phase::Queued { last_attempt, .. } = &mut self.phase {
            *last_attempt = last_attempt.saturating_sub(by);
        }
    }

    /// The next logical time at which this operation has something to do on a tick: its R19
    /// timeout, or its R16 retry.
    pub fn deadline(&self, pending_timeout: u64, retry_interval: u64) -> Option<u64> {
        if let Some(w) = self.waiting {
            return Some(w.started.saturating_add(pending_timeout));
        }
        match self.phase {
            Phase::Queued { last_attempt, .. } => Some(last_attempt.saturating_add(retry_interval)),
            _ => None,
        }
    }

    /// R19: the outstanding call, if it has been pending for `pending_timeout` or more.
    pub fn timeout_due(&self, now: u64, pending_timeout: u64) -> Option<Outstanding> {
        self.waiting
            .filter(|w| now.saturating_sub(w.started) >= pending_timeout)
    }

    /// R16/D12: if the queued move's interval has passed, it becomes a first-leg attempt with
    /// the same flags again (ERROR_RETRY queues it again, anything else goes on in flight).
    pub fn retry_due(&mut self, now: u64, retry_interval: u64) -> bool {
        let Phase::Queued {
            next,
            network,
            last_attempt,
        } = self.phase
        else {
            return false;
        };
        if now < last_attempt.saturating_add(retry_interval) {
            return false;
        }
        self.phase = Phase::FirstLeg { next, network };
        true
    }

    // ---- what happened ----

    /// The call the last [`Action`] asked for is pending (ERROR_IO_PENDING).
    pub fn pending(&mut self, call: Outstanding) -> Result<(), InvariantViolation> {
        ensure!(
            self.waiting.is_none(),
            "R7",
            "one outstanding call per group: {call:?} while {:?} is pending",
            self.waiting
        );
        self.waiting = Some(call);
        Ok(())
    }

    /// The outstanding call ended (a status callback, or R19): it is no longer outstanding.
    pub fn take_waiting(&mut self) -> Option<Outstanding> {
        self.waiting.take()
    }

    /// Drops a queued move (R18): the group returns to its persistent state on S, then the
    /// move completes with ERROR_CANCELLED.
    pub fn cancel(&mut self) -> Result<(), InvariantViolation> {
        ensure!(
            self.is_queued(),
            "R18",
            "cancel of an operation that is not queued ({:?})",
            self.phase
        );
        self.phase = Phase::settle_then(ErrorCode::ERROR_CANCELLED);
        Ok(())
    }

    /// A call on `resource` ended at `now` (synchronously, by callback or by R19), and the host
    /// view already shows it: move the phase on.
    #[inline]
    pub fn ended(
        &mut self,
        resource: ResourceId,
        end: CallEnd,
        now: u64,
    ) -> Result<(), InvariantViolation> {
        self.phase = match self.phase {
            Phase::UserOffline {
                resource, context, ..
            } => Phase::UserOffline {
                resource,
                context,
                result: Some(end.code()), // R23; R19: a timed-out offline succeeds
            },
            Phase::UserOnline { resource, .. } => Phase::UserOnline {
                resource,
                result: Some(end.code()), // R23
            },
            Phase::Settle {
                next,
                result,
                adoption,
            } => {
                self.terminate_if_refused(resource, end); // R14: such an offline never stops
                let next = match adoption {
                    // R14/I6: the awaited call is not this pass's attempt: the pass starts now.
                    Adoption::Inherited => next,
                    Adoption::Own => next + 1,
                };
                Phase::Settle {
                    next,
                    result,
                    adoption: Adoption::Own,
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
            Phase::FirstLeg { next, network } => self.first_leg_ended(next, network, end, now)?,
            Phase::BringUp {
                next,
                first_failure,
            } => self.bring_up_ended(next, first_failure, end)?,
            Phase::Return { next, code } => {
                self.move_ends()?;
                self.terminate_if_refused(resource, end); // R17: a return leg never stops
                                                          // A pending return offline that failed leaves the resource Failed; go on.
                Phase::Return {
                    next: next + 1,
                    code,
                }
            }
            Phase::Queued { .. } => {
                return Err(InvariantViolation::new(
                    "R16",
                    format!("a call on {resource:?} ended while the move is queued"),
                ))
            }
        };
        Ok(())
    }

    fn terminate_if_refused(&mut self, resource: ResourceId, end: CallEnd) {
        if let CallEnd::Refused(_) = end {
            self.terminate = Some(resource);
        }
    }

    fn move_ends(&self) -> Result<MoveEnds, InvariantViolation> {
        self.ends.ok_or_else(|| {
            InvariantViolation::new("R15", format!("a move phase without its ends: {self:?}"))
        })
    }

    fn first_leg_ended(
        &self,
        next: usize,
        network: Network,
        end: CallEnd,
        now: u64,
    ) -> Result<Phase, InvariantViolation> {
        let ends = self.move_ends()?;
        Ok(match end {
            CallEnd::Done => Phase::FirstLeg {
                next: next + 1,
                network: Network::Needed,
            },
            // D9/R12: a forced move retries at once without the network (I3: whichever
            // attempt of this resource answered it, once per resource).
            CallEnd::Refused(ErrorCode::ERROR_HOST_UNREACHABLE)
                if self.ignore && network == Network::Needed =>
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
                last_attempt: now,
            },
            // D11: RETRY without QUEUE, LOCKED_STATUS, HOST_UNREACHABLE without IGNORE,
            // GEN_FAILURE, a failed pending offline (and any other answer, I14): roll back on
            // S, then complete.
            CallEnd::Failed(code) | CallEnd::Refused(code) => Phase::settle_then(code),
        })
    }

    fn bring_up_ended(
        &self,
        next: usize,
        first_failure: Option<ErrorCode>,
        end: CallEnd,
    ) -> Result<Phase, InvariantViolation> {
        let ends = self.move_ends()?;
        Ok(match end {
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
        })
    }

    // ---- what to do next ----

    /// What the host must do next. Resources that need nothing are passed over here (no
    /// action, the cursor moves to the next one that does); a phase that ends hands over to
    /// the next one.
    #[inline]
    pub fn next_action(&mut self, group: GroupView<'_>) -> Result<Action, InvariantViolation> {
        if let Some(resource) = self.terminate.take() {
            return Ok(Action::Terminate { resource });
        }
        if self.waiting.is_some() {
            return Ok(Action::Wait);
        }
        Ok(match self.phase {
            Phase::UserOffline {
                result: Some(code), ..
            }
            | Phase::UserOnline {
                result: Some(code), ..
            } => Action::Finish { result: Some(code) },
            Phase::UserOffline {
                resource,
                context,
                result: None,
            } => Action::Offline { resource, context },
            Phase::UserOnline {
                resource,
                result: None,
            } => Action::Online { resource },
            Phase::Restart { resource, step } => restart_action(resource, step),
            Phase::Queued { .. } => Action::Wait, // R16: waits for a tick or a cancel
            Phase::Settle { next, result, .. } => self.next_settle(group, next, result),
            Phase::FirstLeg { next, network } => self.next_first_leg(group, next, network)?,
            Phase::BringUp {
                next,
                first_failure,
            } => self.next_bring_up(group, next, first_failure),
            Phase::Return { next, code } => self.next_return(group, next, code)?,
        })
    }

    /// D13: one pass in declaration order over resources not at their persistent target (a
    /// Failed resource with target Offline included, I12).
    fn next_settle(
        &mut self,
        group: GroupView<'_>,
        next: usize,
        result: Option<ErrorCode>,
    ) -> Action {
        let Some((index, resource, res)) =
            group.find(next, |res| res.state != res.persistent.target())
        else {
            return Action::Finish { result };
        };
        self.phase = Phase::Settle {
            next: index,
            result,
            adoption: Adoption::Own,
        };
        match res.persistent {
            PersistentState::Online => Action::Online { resource },
            // R14: 0x40 (plus 0x01 if the client passed IGNORE), no destination.
            PersistentState::Offline => Action::Offline {
                resource,
                context: OfflineContext::ToPersistentOffline {
                    ignore_resource_status: self.ignore,
                },
            },
        }
    }

    /// R15/D9: the source-side offlines, Offline resources skipped (no call); then ownership
    /// passes to D (D10).
    fn next_first_leg(
        &mut self,
        group: GroupView<'_>,
        next: usize,
        network: Network,
    ) -> Result<Action, InvariantViolation> {
        let ends = self.move_ends()?;
        let Some((index, resource, _)) =
            group.find(next, |res| res.state != ResourceState::Offline)
        else {
            // D10: every resource is Offline on S; ownership passes to D.
            self.phase = Phase::BringUp {
                next: 0,
                first_failure: None,
            };
            return Ok(Action::Transfer {
                from: ends.source,
                to: ends.dest,
            });
        };
        // A resource's first attempt needs the network (R12); a skip starts a new resource.
        let network = if index == next {
            network
        } else {
            Network::Needed
        };
        self.phase = Phase::FirstLeg {
            next: index,
            network,
        };
        let context = OfflineContext::MoveFirstLeg {
            dest: ends.dest,
            ignore_resource_status: self.ignore,
            return_to_source: ends.return_to_source(),
            queue_enabled: ends.queue_enabled(),
            second_attempt_without_network: network == Network::Ignored,
        };
        Ok(Action::Offline { resource, context })
    }

    /// R15/D10: D brings the persistent-Online resources up, one at a time; R17 decides on a
    /// failure.
    fn next_bring_up(
        &mut self,
        group: GroupView<'_>,
        next: usize,
        first_failure: Option<ErrorCode>,
    ) -> Action {
        let wanted = |res: &ResourceHost| {
            res.persistent == PersistentState::Online && res.state != ResourceState::Online
        };
        let Some((index, resource, _)) = group.find(next, wanted) else {
            // R15/R17: every resource was tried on D; the move is settled.
            let result = first_failure.unwrap_or(ErrorCode::ERROR_SUCCESS);
            return Action::Finish {
                result: Some(result),
            };
        };
        self.phase = Phase::BringUp {
            next: index,
            first_failure,
        };
        Action::Online { resource }
    }

    /// R17/D14: D offlines what is not Offline, then ownership goes back to S, which settles.
    fn next_return(
        &mut self,
        group: GroupView<'_>,
        next: usize,
        code: ErrorCode,
    ) -> Result<Action, InvariantViolation> {
        let ends = self.move_ends()?;
        let Some((index, resource, _)) =
            group.find(next, |res| res.state != ResourceState::Offline)
        else {
            // D14: Close on D, Open on S, then S brings the group to its persistent state.
            self.phase = Phase::settle_then(code);
            return Ok(Action::Transfer {
                from: ends.dest,
                to: ends.source,
            });
        };
        self.phase = Phase::Return { next: index, code };
        // R17/R12: 0x08|0x40 (|0x01), DestinationNodeName = S.
        let context = OfflineContext::ReturnLeg {
            source: ends.source,
            ignore_resource_status: self.ignore,
        };
        Ok(Action::Offline { resource, context })
    }
}

/// R21/D18: OfflineV2(0x10|0x40), then OnlineV2, then over (no completion).
fn restart_action(resource: ResourceId, step: RestartStep) -> Action {
    match step {
        RestartStep::Offline => Action::Offline {
            resource,
            context: OfflineContext::EmbeddedFailureRestart,
        },
        RestartStep::Online => Action::Online { resource },
        RestartStep::Done => Action::Finish { result: None },
    }
}

#[cfg(test)]
#[path = "operation_tests.rs"]
mod tests;
