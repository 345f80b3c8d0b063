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

use super::operation::Operation;
use super::state::GroupHost;
use super::Cluster;
#[cfg(debug_assertions)]
use super::Output;
use crate::resource_dll::ResourceDll;
#[cfg(debug_assertions)]
use crate::types::ErrorCode;
use crate::types::{NodeState, ResourceState};

/// A broken invariant of the cluster core: a bug in the coordinator (or a DLL that floods it
/// with callbacks), never a consequence of bad input — bad input gets an error code (R13).
/// One pointer wide, so that `Result<(), InvariantViolation>` costs nothing on the hot path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("cluster invariant violated ({}): {}", .0.rule, .0.detail)]
pub struct InvariantViolation(Box<Broken>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Broken {
    rule: &'static str,
    detail: String,
}

impl InvariantViolation {
    /// A violation of `rule`.
    #[cold]
    #[must_use]
    pub fn new(rule: &'static str, detail: String) -> Self {
        Self(Box::new(Broken { rule, detail }))
    }
    /// The rule or decision the broken invariant stands for (`"R10"`, `"R14"`, `"D5"`, …).
    #[must_use]
    pub fn rule(&self) -> &'static str {
        self.0.rule
    }
    /// What was found, with the ids involved.
    #[must_use]
    pub fn detail(&self) -> &str {
        &self.0.detail
    }
}

/// `ensure!(condition, "R10", "format", args…)`: returns an [`InvariantViolation`] from the
/// enclosing function unless `condition` holds. The message is formatted only then, in a cold
/// function that owns copies of its arguments, so the check costs a compare and a branch.
macro_rules! ensure {
    ($condition:expr, $rule:expr, $($detail:tt)+) => {
        if !$condition {
            return Err($crate::cluster::invariants::broken($rule, move || format!($($detail)+)));
        }
    };
}
pub(crate) use ensure;

/// The violation `ensure!` returns (cold, out of line).
#[cold]
#[inline(never)]
pub(crate) fn broken(rule: &'static str, detail: impl FnOnce() -> String) -> InvariantViolation {
    InvariantViolation::new(rule, detail())
}

impl<D: ResourceDll> Cluster<D> {
    /// R10, R7, R14 and R16 on the whole state, after every input: a fast yes/no over every
    /// group, and only when it says no, the same checks again with messages (`explain`).
    #[inline(always)]
    pub(super) fn check_invariants(&self) -> Result<(), InvariantViolation> {
        for group in &self.groups {
            if !self.group_holds(group) {
                return Err(self.explain());
            }
        }
        Ok(())
    }

    /// The checks of [`Cluster::explain_group`], without messages (one branch-light pass).
    #[inline]
    fn group_holds(&self, group: &GroupHost) -> bool {
        let owner = group.owner.index();
        let Some(&owner_state) = self.nodes.get(owner) else {
            return false;
        };
        let owner_up = owner_state == NodeState::Up;
        let mut waiting = None;
        let mut running = None;
        if let Some(op) = &group.operation {
            waiting = op.waiting_on();
            running = op.op();
            let call_ok = match waiting {
                Some((_, node)) => !op.is_queued() & (node == group.owner),
                None => true,
            };
            if !(owner_up & call_ok) {
                return false;
            }
        }
        if group.open_op != running {
            return false;
        }
        for &r in &group.resources {
            let state = self.resources[r.index()].state;
            let pending = matches!(
                state,
                ResourceState::OnlinePending | ResourceState::OfflinePending
            );
            let is_waiting = matches!(waiting, Some((w, _)) if w == r);
            let active_ok = owner_up | (state == ResourceState::Offline);
            if !(active_ok & (pending == is_waiting)) {
                return false;
            }
        }
        true
    }

    /// R2/R10: resource #`r` is open (has a RESID) on no node but `owner`.
    #[inline]
    fn open_only_on(&self, r: usize, owner: usize) -> bool {
        let mut only = true;
        for (n, resid) in self.resids[r].iter().enumerate() {
            only &= resid.is_none() | (n == owner);
        }
        only
    }

    /// Which invariant is broken, and where (cold: only after `group_holds` said no).
    #[cold]
    #[inline(never)]
    fn explain(&self) -> InvariantViolation {
        for (g, group) in self.groups.iter().enumerate() {
            if let Err(violation) = self.explain_group(g, group) {
                return violation;
            }
        }
        InvariantViolation::new(
            "R10",
            "the fast check failed, but no check explains it".into(),
        )
    }

    fn explain_group(&self, g: usize, group: &GroupHost) -> Result<(), InvariantViolation> {
        // R10: one owner, a declared node.
        let Some(&owner_state) = self.nodes.get(group.owner.index()) else {
            return Err(InvariantViolation::new(
                "R10",
                format!("group #{g} is owned by undeclared {:?}", group.owner),
            ));
        };
        let owner_up = owner_state == NodeState::Up;
        let waiting = group.operation.as_ref().and_then(Operation::waiting);
        for &r in &group.resources {
            let state = self.resources[r.index()].state;
            // R10: active only on the owner, and the owner is Up; a Down owner's are Offline.
            ensure!(
                owner_up || state == ResourceState::Offline,
                "R10",
                "{r:?} is {state:?} on its Down owner {:?}",
                group.owner
            );
            // R2/R10: open on at most one node, the owner.
            ensure!(
                self.open_only_on(r.index(), group.owner.index()),
                "R10",
                "{r:?} is open off its owner {:?}",
                group.owner
            );
            // R7: a pending state is the host's outstanding call, and only that.
            let pending = matches!(
                state,
                ResourceState::OnlinePending | ResourceState::OfflinePending
            );
            ensure!(
                pending == waiting.is_some_and(|w| w.resource == r),
                "R7",
                "{r:?} is {state:?} while the outstanding call of group #{g} is {waiting:?}"
            );
        }
        // R14: the open client operation is the running one's; an operation runs on an Up
        // owner; its call is on the owner; a queued move has no call outstanding (R16).
        let running = group.operation.as_ref().and_then(Operation::op);
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

    /// Pair checks over one input (debug builds: they take a snapshot, and the structure of
    /// `calls` already guarantees them — the R13 admission checks are `&self`, every client
    /// call emits its `Returned` before anything else, and `write_persistent`, the only writer
    /// of a persistent state, emits the write): R11 a persistent state changes only with a
    /// `PersistentWrite` of it; D5 a client call's outputs start with its one `Returned`;
    /// R13 a rejected call outputs nothing else and changes nothing.
    #[cfg(debug_assertions)]
    pub(super) fn check_pairs(
        &self,
        before: &super::ClusterView,
        start: usize,
        is_client_call: bool,
    ) -> Result<(), InvariantViolation> {
        let outputs = &self.out[start..];
        for (r, (old, new)) in before.persistent.iter().zip(&self.resources).enumerate() {
            if *old != new.persistent {
                let written = outputs.iter().any(|o| {
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
        let returned = outputs
            .iter()
            .filter(|o| matches!(o, Output::Returned { .. }))
            .count();
        ensure!(
            matches!(outputs.first(), Some(Output::Returned { .. })) && returned == 1,
            "D5",
            "a client call's outputs start with its one Returned: {outputs:?}"
        );
        if let Some(Output::Returned { code, op: None }) = outputs.first() {
            let rejected = *code != ErrorCode::ERROR_SUCCESS;
            ensure!(
                !rejected || outputs.len() == 1,
                "R13",
                "a call rejected with {code:?} did more: {outputs:?}"
            );
            ensure!(
                !rejected || self.view() == *before,
                "R13",
                "a call rejected with {code:?} changed the host view"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "invariants_tests.rs"]
mod tests;
