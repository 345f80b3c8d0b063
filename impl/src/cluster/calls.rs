//! Client calls and the R13 check order (R11, R13, R18, R19, R23, D5–D8): each admission
//! check is a `&self` function (a rejected call cannot change anything, R13); an accepted call
//! starts an [`Operation`] on its group.
//!
//! Every call returns at once with exactly one [`Output::Returned`], pushed before anything
//! else the call causes (D5).

use super::flags::OfflineContext;
use super::invariants::InvariantViolation;
use super::operation::Operation;
use super::phase::MoveEnds;
use super::{Cluster, Output, RawResid};
use crate::resource_dll::{RawOfflineV2, ResourceDll};
use crate::types::{
    ErrorCode, GroupId, MoveGroupFlags, NodeId, NodeState, OfflineResourceFlags, OpId,
    PersistentState, ResourceId, ResourceState,
};

/// The RESID passed by a raw call for a resource the node's DLL does not hold: never issued
/// by an `OpenV2` of this host (SPEC §7).
pub const NEVER_ISSUED_RESID: usize = usize::MAX - 1;

/// What R13 decided for an acceptable call.
enum Verdict<T> {
    /// Check 5: nothing to do, ERROR_SUCCESS.
    NothingToDo,
    /// Accepted as an operation.
    Accept(T),
}

impl<D: ResourceDll> Cluster<D> {
    fn returned(&mut self, code: ErrorCode, op: Option<OpId>) {
        self.emit(Output::Returned { code, op });
    }

    /// R11: written durably before any DLL call it precedes; every write is an output (I1).
    pub(super) fn write_persistent(&mut self, resource: ResourceId, state: PersistentState) {
        self.resources[resource.index()].persistent = state;
        self.emit(Output::PersistentWrite { resource, state });
    }

    /// R13: accepted as an operation of `group`. R13 checks 3 and 4 found the group free, so
    /// no operation of it is open (R14; were one open, the scan after the input would report
    /// that the open operation is not the running one's).
    fn accept(&mut self, group: GroupId) -> OpId {
        let op = OpId(self.next_op);
        self.next_op += 1;
        self.groups[group.index()].open_op = Some(op);
        self.returned(ErrorCode::ERROR_IO_PENDING, Some(op)); // R13
        op
    }

    /// R13 checks 3 and 4.
    fn check_group_free(&self, group: GroupId) -> Result<(), ErrorCode> {
        if self.queued(group) {
            return Err(ErrorCode::ERROR_CLUSTER_GROUP_QUEUED);
        }
        if self.held(group) {
            return Err(ErrorCode::ERROR_INVALID_STATE);
        }
        Ok(())
    }

    fn check_offline(
        &self,
        name: &str,
        flags: OfflineResourceFlags,
    ) -> Result<Verdict<ResourceId>, ErrorCode> {
        // 1. bad flag bits
        if flags.bits() & !OfflineResourceFlags::all().bits() != 0 {
            return Err(ErrorCode::ERROR_INVALID_PARAMETER);
        }
        // 2. unknown resource
        let resource = self
            .resource_id(name)
            .ok_or(ErrorCode::ERROR_RESOURCE_NOT_FOUND)?;
        // 3, 4.
        self.check_group_free(self.group_of(resource))?;
        let res = self.resources[resource.index()];
        // 5. D8: offline of an Offline resource.
        if res.state == ResourceState::Offline {
            return Ok(Verdict::NothingToDo);
        }
        // 6 does not apply. 7. locked, not Offline (Failed included), without IGNORE.
        if res.locked && !flags.contains(OfflineResourceFlags::IGNORE_RESOURCE_STATUS) {
            return Err(ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS);
        }
        Ok(Verdict::Accept(resource))
    }

    /// `OfflineResourceEx` (D6, R11, R19, R23).
    pub(super) fn offline_resource(
        &mut self,
        name: &str,
        flags: OfflineResourceFlags,
    ) -> Result<(), InvariantViolation> {
        let do_not_update = flags.contains(OfflineResourceFlags::DO_NOT_UPDATE_PERSISTENT_STATE);
        let resource = match self.check_offline(name, flags) {
            Err(code) => {
                self.returned(code, None);
                return Ok(());
            }
            Ok(Verdict::NothingToDo) => {
                self.returned(ErrorCode::ERROR_SUCCESS, None);
                if let (Some(resource), false) = (self.resource_id(name), do_not_update) {
                    self.write_persistent(resource, PersistentState::Offline); // R11, D8
                }
                return Ok(());
            }
            Ok(Verdict::Accept(resource)) => resource,
        };
        let group = self.group_of(resource);
        let op = self.accept(group);
        if !do_not_update {
            self.write_persistent(resource, PersistentState::Offline); // R11: before the DLL
        }
        if flags.contains(OfflineResourceFlags::FORCE_WITH_TERMINATION) {
            // R19/D6: Terminate instead of OfflineV2; Offline at once.
            self.terminate(resource);
            return self.complete(group, op, ErrorCode::ERROR_SUCCESS);
        }
        let context = OfflineContext::UserOffline {
            ignore_resource_status: flags.contains(OfflineResourceFlags::IGNORE_RESOURCE_STATUS),
            do_not_update_persistent_state: do_not_update,
        };
        self.start(group, Operation::user_offline(op, resource, context))
    }

    fn check_online(&self, name: &str) -> Result<Verdict<ResourceId>, ErrorCode> {
        // 1: no flags. 2.
        let resource = self
            .resource_id(name)
            .ok_or(ErrorCode::ERROR_RESOURCE_NOT_FOUND)?;
        // 3, 4 (D7: a Down owner holds the group).
        self.check_group_free(self.group_of(resource))?;
        // 5. D8: online of an Online resource.
        if self.resources[resource.index()].state == ResourceState::Online {
            return Ok(Verdict::NothingToDo);
        }
        // 7: OnlineResourceEx ignores locks.
        Ok(Verdict::Accept(resource))
    }

    /// `OnlineResourceEx` (D7, R11, R23).
    pub(super) fn online_resource(&mut self, name: &str) -> Result<(), InvariantViolation> {
        let resource = match self.check_online(name) {
            Err(code) => {
                self.returned(code, None);
                return Ok(());
            }
            Ok(Verdict::NothingToDo) => {
                self.returned(ErrorCode::ERROR_SUCCESS, None);
                if let Some(resource) = self.resource_id(name) {
                    self.write_persistent(resource, PersistentState::Online); // R11 (a), D8
                }
                return Ok(());
            }
            Ok(Verdict::Accept(resource)) => resource,
        };
        let group = self.group_of(resource);
        let op = self.accept(group);
        self.write_persistent(resource, PersistentState::Online); // R11: before the DLL
        self.start(group, Operation::user_online(op, resource))
    }

    /// R13 check 6 for a null `dest`: the first Up node after the owner in declaration order,
    /// wrapping around, never the owner.
    fn pick_destination(&self, owner: NodeId) -> Option<NodeId> {
        let count = self.nodes.len();
        let after = self.node_ids().skip(owner.index() + 1);
        let before = self.node_ids().take(owner.index().min(count));
        after
            .chain(before)
            .find(|n| self.nodes[n.index()] == NodeState::Up)
    }

    fn check_move(
        &self,
        group: &str,
        dest: Option<&str>,
        flags: MoveGroupFlags,
    ) -> Result<Verdict<(GroupId, NodeId)>, ErrorCode> {
        // 1. bad bits, FAILBACK (reserved).
        if flags.bits() & !MoveGroupFlags::all().bits() != 0
            || flags.contains(MoveGroupFlags::FAILBACK)
        {
            return Err(ErrorCode::ERROR_INVALID_PARAMETER);
        }
        // 2. unknown group, then unknown destination.
        let group = self
            .group_id(group)
            .ok_or(ErrorCode::ERROR_GROUP_NOT_FOUND)?;
        let dest = match dest {
            Some(name) => Some(
                self.node_id(name)
                    .ok_or(ErrorCode::ERROR_CLUSTER_NODE_NOT_FOUND)?,
            ),
            None => None,
        };
        // 3, 4.
        self.check_group_free(group)?;
        let owner = self.owner(group);
        // 5. destination = current owner.
        if dest == Some(owner) {
            return Ok(Verdict::NothingToDo);
        }
        // 6. destination Down, or no Up node other than the owner.
        let dest = match dest {
            Some(d) if self.nodes[d.index()] == NodeState::Down => {
                return Err(ErrorCode::ERROR_CLUSTER_NODE_DOWN)
            }
            Some(d) => d,
            None => self
                .pick_destination(owner)
                .ok_or(ErrorCode::ERROR_CLUSTER_NODE_DOWN)?,
        };
        // 7. a locked resource that is not Offline or Failed, without IGNORE.
        if !flags.contains(MoveGroupFlags::IGNORE_RESOURCE_STATUS) && self.locked_active(group) {
            return Err(ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS);
        }
        Ok(Verdict::Accept((group, dest)))
    }

    /// R13 check 7 for a move: a locked resource of the group that is not Offline or Failed.
    fn locked_active(&self, group: GroupId) -> bool {
        #[cfg(feature = "seeded-bugs")]
        if self.bug == crate::seeded::SeededBug::LockedWithoutIgnore {
            return false;
        }
        self.groups[group.index()].resources.iter().any(|r| {
            let res = &self.resources[r.index()];
            res.locked && !matches!(res.state, ResourceState::Offline | ResourceState::Failed)
        })
    }

    /// `MoveGroupEx` (R13, R15–R17, D9–D14).
    pub(super) fn move_group(
        &mut self,
        group: &str,
        dest: Option<&str>,
        flags: MoveGroupFlags,
    ) -> Result<(), InvariantViolation> {
        let (group, dest) = match self.check_move(group, dest, flags) {
            Err(code) => {
                self.returned(code, None);
                return Ok(());
            }
            Ok(Verdict::NothingToDo) => {
                self.returned(ErrorCode::ERROR_SUCCESS, None);
                return Ok(());
            }
            Ok(Verdict::Accept(accepted)) => accepted,
        };
        let op = self.accept(group);
        let ends = MoveEnds {
            source: self.owner(group),
            dest,
            flags,
        };
        self.start(group, Operation::move_group(op, ends))
    }

    /// `CancelGroupOperation` (R18).
    pub(super) fn cancel_group_operation(
        &mut self,
        group: &str,
        reserved: u32,
    ) -> Result<(), InvariantViolation> {
        let verdict = if reserved != 0 {
            Err(ErrorCode::ERROR_INVALID_PARAMETER)
        } else {
            match self.group_id(group) {
                None => Err(ErrorCode::ERROR_GROUP_NOT_FOUND),
                Some(group) if !self.queued(group) => Err(ErrorCode::ERROR_INVALID_STATE),
                Some(group) => Ok(group),
            }
        };
        match verdict {
            Err(code) => {
                self.returned(code, None);
                Ok(())
            }
            Ok(group) => {
                self.returned(ErrorCode::ERROR_SUCCESS, None);
                self.operation_mut(group)?.cancel()?;
                self.drive(group)
            }
        }
    }

    /// A raw `OfflineV2` on a node's export; the host is not told (SPEC §7, R20, I8).
    pub(super) fn raw_offline_v2(&mut self, node: NodeId, call: RawOfflineV2<RawResid>) {
        let Some(&state) = self.nodes.get(node.index()) else {
            // I8: an undeclared node index.
            return self.returned(ErrorCode::ERROR_CLUSTER_NODE_NOT_FOUND, None);
        };
        if state == NodeState::Down {
            return self.returned(ErrorCode::ERROR_CLUSTER_NODE_DOWN, None);
        }
        let value = match call.resid {
            RawResid::Value(value) => value,
            RawResid::Of(resource) => self
                .resids
                .get(resource.index())
                .and_then(|on| on[node.index()])
                .map_or(NEVER_ISSUED_RESID, |r| r.0.get()),
        };
        let call = call.with_resid(value);
        let code = self.dlls[node.index()].raw_offline_v2(&call);
        self.returned(code, None);
        self.drain(node);
    }
}
