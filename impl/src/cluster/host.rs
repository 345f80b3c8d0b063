//! The resource host: DLL calls and their outputs, callbacks, ownership transfer (R2, R7,
//! R12, R20, D10, D16).

use super::flags::{self, offline_destination, offline_flags, OfflineContext};
use super::invariants::{ensure, InvariantViolation};
use super::phase::{CallEnd, CallKind, Outstanding};
use super::{Cluster, DllCall, Entry, Output};
use crate::resource_dll::{DllCallback, Resid, ResourceDll, WorkloadControl};
use crate::types::{
    ErrorCode, GroupId, NodeId, NodeState, OfflineFlags, ResourceId, ResourceState,
};

impl<D: ResourceDll> Cluster<D> {
    /// Sends a workload control to a node's instance and drains its callbacks (D1, D2).
    pub(super) fn control(&mut self, node: NodeId, control: WorkloadControl<'_>) -> ErrorCode {
        let code = self.dlls[node.index()].control(control);
        self.drain(node);
        code
    }

    /// Drains a node's callbacks. Lock changes apply at once (D3); status callbacks that end
    /// the host's outstanding call on that node, and embedded failures, are deferred until the
    /// current action is over; everything else is unsolicited and ignored (R7, R20).
    pub(super) fn drain(&mut self, node: NodeId) {
        let mut buffer = std::mem::take(&mut self.callbacks);
        buffer.clear();
        self.dlls[node.index()].take_callbacks(&mut buffer);
        for callback in buffer.drain(..) {
            self.accept_callback(node, callback);
        }
        self.callbacks = buffer;
    }

    fn accept_callback(&mut self, node: NodeId, callback: DllCallback) {
        if self.nodes[node.index()] == NodeState::Down {
            return; // R20: late callbacks from a Down node are ignored.
        }
        match callback {
            DllCallback::LockedMode { resource, locked } => {
                if let Some(res) = self.resources.get_mut(resource.index()) {
                    res.locked = locked; // D3
                }
            }
            DllCallback::Status { resource, .. } => {
                if self.outstanding_on(resource, node).is_some() {
                    self.deferred.push_back((node, callback)); // R7
                }
                // else: unsolicited (no outstanding call, or a raw call's work), ignored (R7).
            }
            DllCallback::EmbeddedFailure { resource, .. } => {
                if resource.index() < self.resources.len() {
                    self.deferred.push_back((node, callback)); // R21, checked when processed
                }
            }
        }
    }

    /// The host's outstanding call on `resource` at `node`, if any.
    pub(super) fn outstanding_on(&self, resource: ResourceId, node: NodeId) -> Option<Outstanding> {
        let res = self.resources.get(resource.index())?;
        let operation = self.groups[res.group.index()].operation.as_ref()?;
        operation.outstanding_on(resource, node)
    }

    /// `OpenV2` of `resource` on `node` (R2). A refused open leaves the resource Failed in
    /// the host view (I7).
    pub(super) fn open(
        &mut self,
        node: NodeId,
        resource: ResourceId,
    ) -> Result<Option<Resid>, InvariantViolation> {
        let n = node.index();
        // R2/R10: a resource is open on one node at most (Close, or a crash, came first).
        ensure!(
            self.resids[resource.index()].iter().all(Option::is_none),
            "R10",
            "{resource:?} is opened on {node:?} while still open on another node"
        );
        // D3: the DLL reports a lock at Open; no report means unlocked (I15).
        self.resources[resource.index()].locked = false;
        let name = &self.tables.resource_names[resource.index()];
        let resid = self.dlls[n].open(resource, name);
        self.resids[resource.index()][n] = resid;
        let result = if resid.is_some() {
            ErrorCode::ERROR_SUCCESS
        } else {
            self.resources[resource.index()].state = ResourceState::Failed;
            ErrorCode::ERROR_GEN_FAILURE
        };
        self.push_void_call(node, Entry::Open, resource, result);
        self.drain(node);
        Ok(resid)
    }

    /// `Close` of `resource` on `node`, if open there.
    fn close(&mut self, node: NodeId, resource: ResourceId) {
        let n = node.index();
        let Some(resid) = self.resids[resource.index()][n].take() else {
            return;
        };
        self.dlls[n].close(resid);
        self.push_void_call(node, Entry::Close, resource, ErrorCode::ERROR_SUCCESS);
        self.drain(node);
    }

    /// `Terminate` on the group's owner: the resource is Offline with its work dropped (D16).
    pub(super) fn terminate(&mut self, resource: ResourceId) {
        let node = self.groups[self.resources[resource.index()].group.index()].owner;
        let n = node.index();
        if let Some(resid) = self.resids[resource.index()][n] {
            self.dlls[n].terminate(resid);
            self.push_void_call(node, Entry::Terminate, resource, ErrorCode::ERROR_SUCCESS);
            self.drain(node);
        }
        self.resources[resource.index()].state = ResourceState::Offline;
    }

    fn push_void_call(
        &mut self,
        node: NodeId,
        entry: Entry,
        resource: ResourceId,
        result: ErrorCode,
    ) {
        self.emit(Output::DllCall(DllCall {
            node,
            entry,
            resource,
            dest: None,
            flags: OfflineFlags::empty(),
            result,
        }));
    }

    /// Ownership passes (D10): Close on `from` for each resource in declaration order (none
    /// when `from` is Down, D17), then Open on `to` for each.
    pub(super) fn transfer(
        &mut self,
        group: GroupId,
        from: Option<NodeId>,
        to: NodeId,
    ) -> Result<(), InvariantViolation> {
        let count = self.groups[group.index()].resources.len();
        if let Some(from) = from {
            for i in 0..count {
                let r = self.groups[group.index()].resources[i];
                self.close(from, r);
            }
        }
        self.groups[group.index()].owner = to;
        for i in 0..count {
            let r = self.groups[group.index()].resources[i];
            // R10, R17: nothing active moves (a return leg whose pending work failed carries a
            // Failed resource).
            let state = self.resources[r.index()].state;
            ensure!(
                matches!(state, ResourceState::Offline | ResourceState::Failed),
                "R10",
                "{r:?} of {group:?} is {state:?} when ownership passes to {to:?}"
            );
            self.open(to, r)?;
        }
        Ok(())
    }

    /// `OfflineV2` on the group's owner with R12's flags for `context`; the answer goes to
    /// the group's operation.
    pub(super) fn call_offline(
        &mut self,
        group: GroupId,
        resource: ResourceId,
        context: OfflineContext,
    ) -> Result<(), InvariantViolation> {
        let node = self.groups[group.index()].owner;
        let flags = offline_flags(context); // R12
        if let Some(broken) = flags::r12_exclusion(flags) {
            return Err(InvariantViolation::new(
                "R12",
                format!("{flags:?} for {context:?}: {broken}"),
            ));
        }
        #[cfg(feature = "seeded-bugs")]
        let flags = self.seeded_flags(context, resource, flags);
        let dest = offline_destination(context);
        let code = match self.resids[resource.index()][node.index()] {
            Some(resid) => {
                let dest_name = dest.map(|d| self.tables.config.nodes[d.index()]);
                let code = self.dlls[node.index()].offline_v2(resid, dest_name, flags);
                self.emit(Output::DllCall(DllCall {
                    node,
                    entry: Entry::OfflineV2,
                    resource,
                    dest,
                    flags,
                    result: code,
                }));
                // Callbacks made during the call are not for an outstanding call (D16).
                self.drain(node);
                code
            }
            None => ErrorCode::ERROR_RESOURCE_NOT_FOUND, // I7: nothing to call.
        };
        self.answered(group, node, resource, CallKind::Offline, code)
    }

    /// The seeded host bugs of an OfflineV2 call (tests only, [`crate::seeded`]).
    #[cfg(feature = "seeded-bugs")]
    fn seeded_flags(
        &mut self,
        context: OfflineContext,
        resource: ResourceId,
        mut flags: OfflineFlags,
    ) -> OfflineFlags {
        use crate::seeded::SeededBug;
        match (context, self.bug) {
            (OfflineContext::ReturnLeg { .. }, SeededBug::NoDoNotUpdateOnReturnLeg) => {
                flags.remove(OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE);
            }
            (OfflineContext::ReturnLeg { .. }, SeededBug::ReturningWithReturnToSource) => {
                flags.insert(OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR);
            }
            (OfflineContext::MoveFirstLeg { .. }, SeededBug::PersistentWriteOnMove) => {
                self.write_persistent(resource, crate::types::PersistentState::Offline);
            }
            _ => {}
        }
        flags
    }

    /// `OnlineV2` on the group's owner; the answer goes to the group's operation.
    pub(super) fn call_online(
        &mut self,
        group: GroupId,
        resource: ResourceId,
    ) -> Result<(), InvariantViolation> {
        let node = self.groups[group.index()].owner;
        let code = match self.resids[resource.index()][node.index()] {
            Some(resid) => {
                let code = self.dlls[node.index()].online_v2(resid);
                self.push_void_call(node, Entry::OnlineV2, resource, code);
                self.drain(node);
                code
            }
            None => ErrorCode::ERROR_RESOURCE_NOT_FOUND, // I7
        };
        self.answered(group, node, resource, CallKind::Online, code)
    }

    /// The DLL answered a host call: pending (R7: the call is outstanding until a callback or
    /// R19), or ended now.
    #[inline]
    fn answered(
        &mut self,
        group: GroupId,
        node: NodeId,
        resource: ResourceId,
        kind: CallKind,
        code: ErrorCode,
    ) -> Result<(), InvariantViolation> {
        if code != ErrorCode::ERROR_IO_PENDING {
            return self.call_ended(group, resource, kind, CallEnd::of_answer(kind, code));
        }
        self.resources[resource.index()].state = kind.pending_state();
        let started = self.now;
        self.operation_mut(group)?.pending(Outstanding {
            resource,
            node,
            kind,
            started,
        })
    }
}
