//! Nodes going Down and coming back (R20, D17, D19): aborting what ran there, placing each
//! affected group, and the recovery [`Operation`] that brings it to its persistent state.

use super::invariants::InvariantViolation;
use super::operation::Operation;
use super::phase::Outstanding;
use super::Cluster;
use crate::resource_dll::{ResourceDll, WorkloadControl};
use crate::types::{ErrorCode, GroupId, NodeId, NodeState, ResourceState};

/// A group to recover after a crash (R20).
#[derive(Debug, Clone, Copy)]
struct Recovery {
    group: GroupId,
    /// The aborted operation's client IGNORE_RESOURCE_STATUS (I5).
    ignore: bool,
    /// An outstanding call on the (Up) owner, inherited from the aborted operation (R14, I6).
    inherited: Option<Outstanding>,
    /// Where to fail over if the owner is Down (R20: S for a move with RETURN_TO_SOURCE
    /// whose destination died after ownership passed).
    prefer: Option<NodeId>,
}

impl<D: ResourceDll> Cluster<D> {
    /// R20/D17/D19: a node goes Down. First every operation touching it completes with
    /// ERROR_CLUSTER_NODE_DOWN, in group declaration order; then each affected group is placed
    /// — it stays on its Up owner or fails over (Open on the new owner) —; then every placed
    /// group runs its recovery, all in declaration order.
    pub(super) fn crash(&mut self, node: NodeId) -> Result<(), InvariantViolation> {
        if self.nodes.get(node.index()) != Some(&NodeState::Up) {
            return Ok(()); // already Down (or undeclared): nothing to act on
        }
        self.nodes[node.index()] = NodeState::Down;
        // The instance forgets every RESID and all pending work; its callbacks are dropped.
        self.dlls[node.index()].control(WorkloadControl::Reset);
        self.callbacks.clear();
        self.dlls[node.index()].take_callbacks(&mut self.callbacks);
        self.callbacks.clear();
        self.resids
            .iter_mut()
            .for_each(|on| on[node.index()] = None);
        // Every resource it owned is Offline in the host view (R10).
        for group in self.groups.iter().filter(|g| g.owner == node) {
            for r in &group.resources {
                self.resources[r.index()].state = ResourceState::Offline;
            }
        }
        let mut recoveries = Vec::new();
        for group in self.group_ids() {
            if let Some(recovery) = self.abort(group, node)? {
                recoveries.push(recovery);
            }
        }
        let mut placed = Vec::with_capacity(recoveries.len());
        for recovery in recoveries {
            if self.place(recovery)? {
                placed.push(recovery.group);
            }
        }
        for group in placed {
            self.drive(group)?;
        }
        Ok(())
    }

    /// R20: if the group is owned by the crashed node, or its operation touches it, the
    /// operation ends now (completing with ERROR_CLUSTER_NODE_DOWN) and the group is to be
    /// recovered.
    fn abort(
        &mut self,
        group: GroupId,
        crashed: NodeId,
    ) -> Result<Option<Recovery>, InvariantViolation> {
        let owned = self.groups[group.index()].owner == crashed;
        let operation = self.groups[group.index()].operation;
        let Some(operation) = operation.filter(|op| owned || op.touches(crashed)) else {
            return Ok(owned.then_some(Recovery {
                group,
                ignore: false,
                inherited: None,
                prefer: None,
            }));
        };
        self.groups[group.index()].operation = None;
        if let Some(op) = operation.op() {
            self.complete(group, op, ErrorCode::ERROR_CLUSTER_NODE_DOWN)?;
        }
        Ok(Some(Recovery {
            group,
            ignore: operation.ignore(),
            // A call on an Up owner is not abandoned (I6); the Down owner's calls are gone.
            inherited: if owned { None } else { operation.waiting() },
            prefer: operation.failover_to(crashed, owned),
        }))
    }

    /// R20/D17: keep the group on its Up owner or fail it over (Open on the new owner, no
    /// Close on the dead node), and install its recovery without running it. `false`: no Up
    /// node, the group waits, owned by the Down node (R10).
    fn place(&mut self, recovery: Recovery) -> Result<bool, InvariantViolation> {
        let group = recovery.group;
        let owner = self.groups[group.index()].owner;
        let is_up = |n: NodeId| self.nodes[n.index()] == NodeState::Up;
        let target = if is_up(owner) {
            owner
        } else if let Some(s) = recovery.prefer.filter(|&s| is_up(s)) {
            s
        } else if let Some(first) = self.up_nodes().next() {
            first
        } else {
            return Ok(false);
        };
        // Seeded bug: the recovery runs, but ownership stays with the Down node.
        #[cfg(feature = "seeded-bugs")]
        let target = if self.bug == crate::seeded::SeededBug::OwnerLostOnCrash {
            owner
        } else {
            target
        };
        if target != owner {
            self.transfer(group, None, target)?; // D17
        }
        self.install(
            group,
            Operation::recovery(recovery.ignore, recovery.inherited),
        )?;
        Ok(true)
    }

    /// R20/D17: a node starts again, empty; the groups waiting for a node recover on it, one
    /// at a time in declaration order: Open on this node, then recovery (I2).
    pub(super) fn start_node(&mut self, node: NodeId) -> Result<(), InvariantViolation> {
        if self.nodes.get(node.index()) != Some(&NodeState::Down) {
            return Ok(());
        }
        // The groups waiting for a node (R10): owned by a Down node — possibly this one, whose
        // instance was reset, so their resources are open nowhere.
        let waiting: Vec<GroupId> = self
            .group_ids()
            .filter(|g| self.nodes[self.groups[g.index()].owner.index()] == NodeState::Down)
            .collect();
        self.nodes[node.index()] = NodeState::Up;
        self.dlls[node.index()].control(WorkloadControl::Reset);
        self.drain(node);
        self.configure_instance(node, false);
        for group in waiting {
            self.transfer(group, None, node)?; // D17: Open, even if it was the owner
            self.start(group, Operation::recovery(false, None))?;
        }
        Ok(())
    }
}
