//! The resource host: DLL calls, callbacks, ownership transfer (R2, R7, R20, D10, D16).

use super::flags::{offline_destination, offline_flags, OfflineContext};
use super::state::{CallEnd, CallKind, Outstanding};
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
        let job = self.groups[res.group.index()].job?;
        job.waiting
            .filter(|w| w.resource == resource && w.node == node)
    }

    /// `OpenV2` of `resource` on `node` (R2). A refused open leaves the resource Failed in
    /// the host view (I7).
    pub(super) fn open(&mut self, node: NodeId, resource: ResourceId) -> Option<Resid> {
        let n = node.index();
        // D3: the DLL reports a lock at Open; no report means unlocked (I15).
        self.resources[resource.index()].locked = false;
        let resid = self.dlls[n].open(resource, &self.names.resource_names[resource.index()]);
        self.resids[n][resource.index()] = resid;
        self.out.push(Output::DllCall(DllCall {
            node,
            entry: Entry::Open,
            resource,
            dest: None,
            flags: OfflineFlags::empty(),
            result: if resid.is_some() {
                ErrorCode::ERROR_SUCCESS
            } else {
                ErrorCode::ERROR_GEN_FAILURE
            },
        }));
        if resid.is_none() {
            self.resources[resource.index()].state = ResourceState::Failed;
        }
        self.drain(node);
        resid
    }

    /// `Close` of `resource` on `node`, if open there.
    pub(super) fn close(&mut self, node: NodeId, resource: ResourceId) {
        let n = node.index();
        let Some(resid) = self.resids[n][resource.index()].take() else {
            return;
        };
        self.dlls[n].close(resid);
        self.push_void_call(node, Entry::Close, resource);
        self.drain(node);
    }

    /// `Terminate` on the group's owner: the resource is Offline with its work dropped (D16).
    pub(super) fn terminate(&mut self, resource: ResourceId) {
        let node = self.groups[self.resources[resource.index()].group.index()].owner;
        let n = node.index();
        if let Some(resid) = self.resids[n][resource.index()] {
            self.dlls[n].terminate(resid);
            self.push_void_call(node, Entry::Terminate, resource);
            self.drain(node);
        }
        self.resources[resource.index()].state = ResourceState::Offline;
    }

    fn push_void_call(&mut self, node: NodeId, entry: Entry, resource: ResourceId) {
        self.out.push(Output::DllCall(DllCall {
            node,
            entry,
            resource,
            dest: None,
            flags: OfflineFlags::empty(),
            result: ErrorCode::ERROR_SUCCESS,
        }));
    }

    /// Ownership passes (D10): Close on `from` for each resource in declaration order (none
    /// when `from` is Down, D17), then Open on `to` for each.
    pub(super) fn transfer(&mut self, group: GroupId, from: Option<NodeId>, to: NodeId) {
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
            // R17: a return leg whose pending work failed carries a Failed resource.
            debug_assert!(matches!(
                self.resources[r.index()].state,
                ResourceState::Offline | ResourceState::Failed
            ));
            let _ = self.open(to, r);
        }
    }

    /// `OfflineV2` on the group's owner with R12's flags for `context`. `None`: the call is
    /// outstanding (ERROR_IO_PENDING); `Some`: it ended now.
    pub(super) fn call_offline(
        &mut self,
        group: GroupId,
        resource: ResourceId,
        context: OfflineContext,
    ) -> Option<CallEnd> {
        let node = self.groups[group.index()].owner;
        let flags = offline_flags(context); // R12
        #[cfg(feature = "seeded-bugs")]
        let flags = self.seeded_flags(context, flags);
        let dest = offline_destination(context);
        let code = match self.resids[node.index()][resource.index()] {
            Some(resid) => {
                let dest_name = dest.map(|d| self.config.nodes[d.index()]);
                let code = self.dlls[node.index()].offline_v2(resid, dest_name, flags);
                self.out.push(Output::DllCall(DllCall {
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

    /// The return-leg flag bugs (tests only, [`crate::seeded`]).
    #[cfg(feature = "seeded-bugs")]
    fn seeded_flags(&self, context: OfflineContext, mut flags: OfflineFlags) -> OfflineFlags {
        use crate::seeded::SeededBug;
        if let OfflineContext::ReturnLeg { .. } = context {
            if self.bug == SeededBug::NoDoNotUpdateOnReturnLeg {
                flags.remove(OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE);
            }
            if self.bug == SeededBug::ReturningWithReturnToSource {
                flags.insert(OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR);
            }
        }
        flags
    }

    /// `OnlineV2` on the group's owner. Same contract as [`Cluster::call_offline`].
    pub(super) fn call_online(&mut self, group: GroupId, resource: ResourceId) -> Option<CallEnd> {
        let node = self.groups[group.index()].owner;
        let code = match self.resids[node.index()][resource.index()] {
            Some(resid) => {
                let code = self.dlls[node.index()].online_v2(resid);
                self.out.push(Output::DllCall(DllCall {
                    node,
                    entry: Entry::OnlineV2,
                    resource,
                    dest: None,
                    flags: OfflineFlags::empty(),
                    result: code,
                }));
                self.drain(node);
                code
            }
            None => ErrorCode::ERROR_RESOURCE_NOT_FOUND, // I7
        };
        self.answered(group, node, resource, CallKind::Online, code)
    }

    fn answered(
        &mut self,
        group: GroupId,
        node: NodeId,
        resource: ResourceId,
        kind: CallKind,
        code: ErrorCode,
    ) -> Option<CallEnd> {
        if code == ErrorCode::ERROR_IO_PENDING {
            let pending = match kind {
                CallKind::Offline => ResourceState::OfflinePending,
                CallKind::Online => ResourceState::OnlinePending,
            };
            self.resources[resource.index()].state = pending;
            let job = self.groups[group.index()].job.as_mut();
            debug_assert!(job.is_some(), "a pending call belongs to a job");
            if let Some(job) = job {
                debug_assert!(job.waiting.is_none(), "one outstanding call per group");
                job.waiting = Some(Outstanding {
                    resource,
                    node,
                    kind,
                    started: self.now,
                });
            }
            return None;
        }
        Some(match (kind, code) {
            (_, ErrorCode::ERROR_SUCCESS) => CallEnd::Done,
            (CallKind::Offline, code) => CallEnd::Refused(code),
            (CallKind::Online, code) => CallEnd::Failed(code), // I4
        })
    }
}
