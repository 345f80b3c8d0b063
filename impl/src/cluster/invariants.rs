//! Always-on invariants (TigerBeetle style, issue 12; I17): [`InvariantViolation`], the error a
//! broken invariant raises, and the structural checks run after every input.
//!
//! A violation is never "note it and go on": it stops the input where it was found, is
//! returned by [`Cluster::handle_input`], and poisons the cluster — every later input returns
//! the same violation, since the state can no longer be trusted. [`Cluster::step`] panics with
//! it. The checks here are the cheap structural ones (no allocation, linear in the cluster's
//! size) and run in release builds too; the snapshot comparison of R13 ("a rejected call
//! changes nothing", which the `&self` admission checks of `calls` already guarantee) allocates
//! and runs in debug builds only.

use super::state::GroupHost;
use super::{Cluster, Output};
use crate::resource_dll::ResourceDll;
use crate::types::{ErrorCode, NodeState, ResourceState};

/// A broken invariant of the cluster core: a bug in the coordinator (or a DLL that floods it
/// with callbacks), never a consequence of bad input — bad input gets an error code (R13).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("cluster invariant violated ({rule}): {detail}")]
pub struct InvariantViolation {
    /// The rule or decision the broken invariant stands for (`"R10"`, `"R14"`, `"D5"`, …).
    pub rule: &'static str,
    /// What was found, with the ids involved.
    pub detail: String,
}

impl InvariantViolation {
    /// A violation of `rule`.
    #[cold]
    #[must_use]
    pub fn new(rule: &'static str, detail: String) -> Self {
        Self { rule, detail }
    }
}

/// `ensure!(condition, "R10", "format", args…)`: returns an [`InvariantViolation`] from the
/// enclosing function unless `condition` holds (the message is formatted only then).
macro_rules! ensure {
    ($condition:expr, $rule:expr, $($detail:tt)+) => {
        if !$condition {
            return Err($crate::cluster::InvariantViolation::new($rule, format!($($detail)+)));
        }
    };
}
pub(crate) use ensure;

impl<D: ResourceDll> Cluster<D> {
    /// R10, R7, R14 and R16 on the whole state, after every input.
    pub(super) fn check_invariants(&self) -> Result<(), InvariantViolation> {
        ensure!(
            self.deferred.is_empty(),
            "R7",
            "{} callbacks left unprocessed",
            self.deferred.len()
        );
        for (g, group) in self.groups.iter().enumerate() {
            self.check_group(g, group)?;
        }
        Ok(())
    }

    fn check_group(&self, g: usize, group: &GroupHost) -> Result<(), InvariantViolation> {
        // R10: one owner, a declared node.
        let Some(&owner_state) = self.nodes.get(group.owner.index()) else {
            return Err(InvariantViolation::new(
                "R10",
                format!("group #{g} is owned by undeclared {:?}", group.owner),
            ));
        };
        let owner_up = owner_state == NodeState::Up;
        let waiting = group.operation.and_then(|op| op.waiting());
        for &r in &group.resources {
            let res = &self.resources[r.index()];
            ensure!(
                res.group.index() == g,
                "R10",
                "{r:?} is listed in group #{g}"
            );
            // R10: active only on the owner, and the owner is Up; a Down owner's are Offline.
            ensure!(
                owner_up || res.state == ResourceState::Offline,
                "R10",
                "{r:?} is {:?} on its Down owner {:?}",
                res.state,
                group.owner
            );
            // R2/R10: open on at most one node, the owner.
            for (n, resids) in self.resids.iter().enumerate() {
                ensure!(
                    resids[r.index()].is_none() || n == group.owner.index(),
                    "R10",
                    "{r:?} is open on node #{n}, off its owner {:?}",
                    group.owner
                );
            }
            // R7: a pending state is the host's outstanding call, and only that.
            let pending = matches!(
                res.state,
                ResourceState::OnlinePending | ResourceState::OfflinePending
            );
            ensure!(
                pending == waiting.is_some_and(|w| w.resource == r),
                "R7",
                "{r:?} is {:?} while the outstanding call of group #{g} is {waiting:?}",
                res.state
            );
        }
        // R14: the open client operation is the running one's; an operation runs on an Up
        // owner; its call is on the owner; a queued move has no call outstanding (R16).
        let running = group.operation.and_then(|op| op.op());
        ensure!(
            group.open_op == running,
            "R14",
            "group #{g}: open operation {:?}, running {running:?}",
            group.open_op
        );
        if let Some(operation) = &group.operation {
            ensure!(
                owner_up,
                "R10",
                "group #{g} runs {operation:?} on a Down owner"
            );
            ensure!(
                waiting.is_none_or(|w| w.node == group.owner),
                "R10",
                "group #{g} waits for {waiting:?} off its owner {:?}",
                group.owner
            );
            ensure!(
                !operation.is_queued() || waiting.is_none(),
                "R16",
                "group #{g} is queued with a call outstanding"
            );
        }
        Ok(())
    }

    /// Pair checks over one input, in release builds too: R11 a persistent state changes only
    /// with a `PersistentWrite` of it; D5 a client call's outputs start with its one
    /// `Returned`; R13 a rejected call outputs nothing else.
    pub(super) fn check_step(
        &self,
        start: usize,
        is_client_call: bool,
    ) -> Result<(), InvariantViolation> {
        let outputs = self.out.range(start..);
        for (r, (old, new)) in self
            .persistent_before
            .iter()
            .zip(&self.resources)
            .enumerate()
        {
            if *old != new.persistent {
                let written = outputs.clone().any(|o| {
                    matches!(o, Output::PersistentWrite { resource, state }
                        if resource.index() == r && *state == new.persistent)
                });
                ensure!(
                    written,
                    "R11",
                    "the persistent state of resource #{r} changed without a write"
                );
            }
        }
        if !is_client_call {
            return Ok(());
        }
        let mut returned = outputs.filter(|o| matches!(o, Output::Returned { .. }));
        let first = self.out.get(start);
        ensure!(
            matches!(first, Some(Output::Returned { .. })) && returned.nth(1).is_none(),
            "D5",
            "a client call's outputs start with its one Returned: {:?}",
            self.out.range(start..).collect::<Vec<_>>()
        );
        if let Some(Output::Returned { code, op: None }) = first {
            ensure!(
                *code == ErrorCode::ERROR_SUCCESS || self.out.len() == start + 1,
                "R13",
                "a call rejected with {code:?} did more: {:?}",
                self.out.range(start..).collect::<Vec<_>>()
            );
        }
        Ok(())
    }

    /// R13 (debug builds; it takes a snapshot): a rejected client call changes nothing.
    #[cfg(debug_assertions)]
    pub(super) fn check_rejection(
        &self,
        before: &super::ClusterView,
        start: usize,
        is_client_call: bool,
    ) -> Result<(), InvariantViolation> {
        if let (true, Some(Output::Returned { code, op: None })) =
            (is_client_call, self.out.get(start))
        {
            ensure!(
                *code == ErrorCode::ERROR_SUCCESS || self.view() == *before,
                "R13",
                "a call rejected with {code:?} changed the host view"
            );
        }
        Ok(())
    }
}
