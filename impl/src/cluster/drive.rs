//! Running one group's [`Operation`]: installing it, acting on each [`Action`] it asks for
//! until it waits or finishes, and completing its client operation exactly once (R14).

use super::invariants::{ensure, InvariantViolation};
use super::operation::{Action, GroupView, Operation};
use super::phase::{CallEnd, CallKind};
use super::{Cluster, Output};
use crate::resource_dll::ResourceDll;
use crate::types::{ErrorCode, GroupId, OpId, ResourceId};

impl<D: ResourceDll> Cluster<D> {
    /// Installs an operation on an idle group and runs it as far as it goes.
    pub(super) fn start(
        &mut self,
        group: GroupId,
        operation: Operation,
    ) -> Result<(), InvariantViolation> {
        self.install(group, operation)?;
        self.drive(group)
    }

    /// Installs an operation on an idle group without running it (R20 recovery, D19).
    pub(super) fn install(
        &mut self,
        group: GroupId,
        operation: Operation,
    ) -> Result<(), InvariantViolation> {
        let slot = &mut self.groups[group.index()].operation;
        ensure!(
            slot.is_none(),
            "R13",
            "one operation per group: {group:?} already runs {slot:?}"
        );
        *slot = Some(operation);
        Ok(())
    }

    /// The group's operation (there must be one).
    #[inline]
    pub(super) fn operation_mut(
        &mut self,
        group: GroupId,
    ) -> Result<&mut Operation, InvariantViolation> {
        self.groups[group.index()]
            .operation
            .as_mut()
            .ok_or_else(|| {
                InvariantViolation::new("R14", format!("{group:?} has no operation to advance"))
            })
    }

    /// At most this many actions in one drive of a group: a move with RETURN_TO_SOURCE whose
    /// every step answers at once takes at most 7 per resource plus 3 (two first-leg attempts,
    /// one bring-up, a return offline and its Terminate, a settle call and its Terminate; two
    /// transfers and a finish). Past it, something loops (TigerBeetle: every loop has a bound).
    fn drive_bound(&self, group: GroupId) -> usize {
        #[cfg(test)]
        if let Some(bound) = tests::DRIVE_BOUND.get() {
            return bound; // a test lowers it to see the check fire
        }
        16 * (self.groups[group.index()].resources.len() + 1)
    }

    /// Runs the group's operation until it waits (an outstanding call, or queued) or finishes.
    pub(super) fn drive(&mut self, group: GroupId) -> Result<(), InvariantViolation> {
        let bound = self.drive_bound(group);
        for _ in 0..bound {
            let action = {
                let host = &mut self.groups[group.index()];
                let Some(operation) = host.operation.as_mut() else {
                    return Ok(());
                };
                let view = GroupView {
                    members: &host.resources,
                    resources: &self.resources,
                };
                operation.next_action(view)?
            };
            match action {
                Action::Wait => return Ok(()),
                Action::Finish { result } => return self.finish(group, result),
                Action::Offline { resource, context } => {
                    self.call_offline(group, resource, context)?;
                }
                Action::Online { resource } => self.call_online(group, resource)?,
                Action::Terminate { resource } => self.terminate(resource),
                Action::Transfer { from, to } => self.transfer(group, Some(from), to)?,
            }
        }
        Err(InvariantViolation::new(
            "R14",
            format!("{group:?} did not wait or settle within {bound} actions"),
        ))
    }

    /// A call of the group's operation on `resource` ended (now, by callback, or by R19):
    /// the host view first (R7, R8, R19, D16), then the operation moves on.
    #[inline]
    pub(super) fn call_ended(
        &mut self,
        group: GroupId,
        resource: ResourceId,
        kind: CallKind,
        end: CallEnd,
    ) -> Result<(), InvariantViolation> {
        let state = &mut self.resources[resource.index()].state;
        *state = end.host_state(kind, *state);
        let now = self.now;
        self.operation_mut(group)?.ended(resource, end, now)
    }

    /// The operation is over: the group is settled (R14). Completes its client operation, if
    /// any, once.
    fn finish(
        &mut self,
        group: GroupId,
        result: Option<ErrorCode>,
    ) -> Result<(), InvariantViolation> {
        let operation = self.groups[group.index()].operation.take();
        let Some(operation) = operation else {
            return Ok(());
        };
        // A call still outstanding would leave its resource pending with no call: the scan
        // after the input reports it (R7).
        match (operation.op(), result) {
            (Some(op), Some(result)) => {
                self.complete(group, op, result)?;
                #[cfg(feature = "seeded-bugs")]
                if self.bug == crate::seeded::SeededBug::SecondCompletionAfterCancel
                    && result == ErrorCode::ERROR_CANCELLED
                {
                    self.complete(group, op, result)?;
                }
                Ok(())
            }
            (None, None) => Ok(()),
            (op, result) => Err(InvariantViolation::new(
                "R14",
                format!("{group:?}: an operation completes with a code ({op:?}, {result:?})"),
            )),
        }
    }

    /// R14: each accepted operation completes exactly once.
    pub(super) fn complete(
        &mut self,
        group: GroupId,
        op: OpId,
        result: ErrorCode,
    ) -> Result<(), InvariantViolation> {
        let open = &mut self.groups[group.index()].open_op;
        ensure!(
            *open == Some(op),
            "R14",
            "{op:?} completes with {result:?}, but the open operation of {group:?} is {open:?} \
             (completed twice, or never accepted)"
        );
        *open = None;
        self.emit(Output::Completed { op, result });
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    thread_local! {
        /// A lower drive bound for the current test thread (`invariants_tests`).
        pub static DRIVE_BOUND: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    }
}
