//! Environment events other than node crashes: time (R16, R19, D15), status callbacks (R7),
//! embedded failures (R21, D18), and the workload controls told to the instances (D2).

use super::invariants::InvariantViolation;
use super::operation::Operation;
use super::phase::{CallEnd, CallKind};
use super::{Cluster, Input};
use crate::resource_dll::{DllCallback, ResourceDll, WorkloadControl};
use crate::types::{ErrorCode, GroupId, NodeId, NodeState, ResourceId, ResourceState};

/// Upper bound on the callbacks one input can make the host process (TigerBeetle style: every
/// loop is bounded; a DLL that floods the host breaks it).
const CALLBACK_BOUND: usize = 1 << 16;

/// A per-resource workload control told to every Up instance (D2).
#[derive(Debug, Clone, Copy)]
enum Told {
    CompleteOffline,
    FailOffline,
    CompleteOnline,
    FailOnline,
    Lock,
    Unlock,
    Busy,
    Unbusy,
}

impl Told {
    fn control(self, name: &str) -> WorkloadControl<'_> {
        match self {
            Self::CompleteOffline => WorkloadControl::CompleteOffline(name),
            Self::FailOffline => WorkloadControl::FailOffline(name),
            Self::CompleteOnline => WorkloadControl::CompleteOnline(name),
            Self::FailOnline => WorkloadControl::FailOnline(name),
            Self::Lock => WorkloadControl::Lock(name),
            Self::Unlock => WorkloadControl::Unlock(name),
            Self::Busy => WorkloadControl::Busy(name),
            Self::Unbusy => WorkloadControl::Unbusy(name),
        }
    }
}

impl<D: ResourceDll> Cluster<D> {
    /// Applies an environment event (SPEC §7 events; a table: one line per event).
    pub(super) fn handle_event(&mut self, input: Input) -> Result<(), InvariantViolation> {
        match input {
            Input::CompleteOffline(r) => self.tell_up_instances(r, Told::CompleteOffline),
            Input::FailOffline(r) => self.tell_up_instances(r, Told::FailOffline),
            Input::CompleteOnline(r) => self.tell_up_instances(r, Told::CompleteOnline),
            Input::FailOnline(r) => self.tell_up_instances(r, Told::FailOnline),
            Input::Lock(r) => self.set_env_flag(r, Told::Lock),
            Input::Unlock(r) => self.set_env_flag(r, Told::Unlock),
            Input::Busy(r) => self.set_env_flag(r, Told::Busy),
            Input::Unbusy(r) => self.set_env_flag(r, Told::Unbusy),
            Input::NetDown { from, to } => self.set_link(from, to, false),
            Input::NetUp { from, to } => self.set_link(from, to, true),
            Input::Tick { ms } => return self.tick(ms),
            Input::CrashNode(node) => return self.crash(node),
            Input::StartNode(node) => return self.start_node(node),
            Input::EmbeddedFailure(r) => self.embedded_failure(r),
            Input::InjectPanic(r) => self.inject_panic(r),
            Input::OfflineResource { .. }
            | Input::OnlineResource { .. }
            | Input::MoveGroup { .. }
            | Input::CancelGroupOperation { .. }
            | Input::RawOfflineV2 { .. } => {
                return Err(InvariantViolation::new(
                    "D5",
                    format!("a client call handled as an event: {input:?}"),
                ))
            }
        }
        Ok(())
    }

    pub(super) fn up_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.node_ids()
            .filter(|n| self.nodes[n.index()] == NodeState::Up)
    }

    fn up_owner_of(&self, resource: ResourceId) -> Option<NodeId> {
        let res = self.resources.get(resource.index())?;
        let owner = self.groups[res.group.index()].owner;
        (self.nodes[owner.index()] == NodeState::Up).then_some(owner)
    }

    /// D2: `inject_panic` goes to the owner's instance only, ignored if the owner is Down.
    fn inject_panic(&mut self, resource: ResourceId) {
        if let Some(owner) = self.up_owner_of(resource) {
            let name = &self.tables.resource_names[resource.index()];
            self.dlls[owner.index()].control(WorkloadControl::InjectPanic(name));
            self.drain(owner);
        }
    }

    /// D2: `complete_*`/`fail_*` go to every Up instance; only one with such pending work acts.
    /// Callbacks are processed after every instance was told (`run_deferred`, I10).
    fn tell_up_instances(&mut self, resource: ResourceId, told: Told) {
        if resource.index() >= self.resources.len() {
            return;
        }
        for node in self.node_ids() {
            if self.nodes[node.index()] == NodeState::Up {
                let name = &self.tables.resource_names[resource.index()];
                self.dlls[node.index()].control(told.control(name));
                self.drain(node);
            }
        }
    }

    /// D2: lock/unlock/busy/unbusy go to every Up instance (they follow the resource, R9).
    fn set_env_flag(&mut self, resource: ResourceId, told: Told) {
        let r = resource.index();
        if r >= self.resources.len() {
            return;
        }
        match told {
            Told::Lock | Told::Unlock => self.env.locked[r] = matches!(told, Told::Lock),
            _ => self.env.busy[r] = matches!(told, Told::Busy),
        }
        self.tell_up_instances(resource, told);
    }

    /// D2: net_down/net_up go to both ends (if Up).
    fn set_link(&mut self, a: NodeId, b: NodeId, up: bool) {
        if a.index() >= self.nodes.len() || b.index() >= self.nodes.len() || a == b {
            return;
        }
        let pair = (a.min(b), a.max(b));
        if up {
            self.env.links_down.remove(&pair);
        } else {
            self.env.links_down.insert(pair);
        }
        for (here, there) in [(a, b), (b, a)] {
            if self.nodes[here.index()] == NodeState::Up {
                let name = self.tables.config.nodes[there.index()];
                let control = if up {
                    WorkloadControl::NetUp(name)
                } else {
                    WorkloadControl::NetDown(name)
                };
                self.control(here, control);
            }
        }
    }

    /// D15: advance `now`, then per group in declaration order: its R19 timeout, then its R16
    /// retry (I9).
    fn tick(&mut self, ms: u64) -> Result<(), InvariantViolation> {
        self.now = self.now.saturating_add(ms);
        for group in self.group_ids() {
            self.timeout_if_due(group)?;
            self.retry_if_due(group)?;
        }
        Ok(())
    }

    /// R19: an outstanding call pending for `pending_timeout` or more → Terminate (once: the
    /// call is no longer outstanding afterwards).
    fn timeout_if_due(&mut self, group: GroupId) -> Result<(), InvariantViolation> {
        let (now, timeout) = (self.now, self.tables.config.pending_timeout);
        let Some(operation) = self.groups[group.index()].operation.as_mut() else {
            return Ok(());
        };
        let Some(w) = operation.timeout_due(now, timeout) else {
            return Ok(());
        };
        // Seeded bug: `>` instead of `>=` (the timeout fires one tick late).
        #[cfg(feature = "seeded-bugs")]
        if self.bug == crate::seeded::SeededBug::TimeoutOffByOne
            && now.saturating_sub(w.started) == timeout
        {
            return Ok(());
        }
        operation.take_waiting();
        self.terminate(w.resource);
        let end = match w.kind {
            // R19: the offline goes on as if it had succeeded (ERROR_TIMEOUT only logged).
            CallKind::Offline => CallEnd::Done,
            // R19: Failed with ERROR_TIMEOUT; the operation goes on as after a failed online.
            CallKind::Online => CallEnd::Failed(ErrorCode::ERROR_TIMEOUT),
        };
        self.call_ended(group, w.resource, w.kind, end)?;
        self.drive(group)
    }

    /// R16/D12: at a tick, re-call OfflineV2 of a queued move once its interval has passed.
    fn retry_if_due(&mut self, group: GroupId) -> Result<(), InvariantViolation> {
        let (now, interval) = (self.now, self.tables.config.retry_interval);
        let due = self.groups[group.index()]
            .operation
            .as_mut()
            .is_some_and(|op| op.retry_due(now, interval));
        if due {
            self.drive(group)?;
        }
        Ok(())
    }

    /// Processes the callbacks deferred by `drain` (R7, R21), in arrival order.
    pub(super) fn run_deferred(&mut self) -> Result<(), InvariantViolation> {
        for _ in 0..CALLBACK_BOUND {
            let Some((node, callback)) = self.deferred.pop_front() else {
                return Ok(());
            };
            match callback {
                DllCallback::Status { resource, state } => self.status(node, resource, state)?,
                DllCallback::EmbeddedFailure { resource, .. } => {
                    self.signal_failure(node, resource)?;
                }
                DllCallback::LockedMode { .. } => {} // applied at once in `drain`
            }
        }
        Err(InvariantViolation::new(
            "R7",
            format!("more than {CALLBACK_BOUND} callbacks to process in one input"),
        ))
    }

    /// R7: a status callback ends the host's outstanding call on that resource, whichever
    /// call started the work; otherwise it is unsolicited and ignored.
    fn status(
        &mut self,
        node: NodeId,
        resource: ResourceId,
        state: ResourceState,
    ) -> Result<(), InvariantViolation> {
        if self.nodes[node.index()] == NodeState::Down {
            return Ok(()); // R20
        }
        let Some(w) = self.outstanding_on(resource, node) else {
            return Ok(());
        };
        let end = match (w.kind, state) {
            (_, ResourceState::OnlinePending | ResourceState::OfflinePending) => return Ok(()),
            (CallKind::Offline, ResourceState::Offline)
            | (CallKind::Online, ResourceState::Online) => CallEnd::Done,
            // I4: any other end of the work is a failure (ERROR_GEN_FAILURE, Failed).
            _ => CallEnd::Failed(ErrorCode::ERROR_GEN_FAILURE),
        };
        let group = self.resources[resource.index()].group;
        self.operation_mut(group)?.take_waiting();
        self.call_ended(group, resource, w.kind, end)?;
        self.drive(group)
    }

    /// D18: the event acts only if the resource is Online, its owner Up, its group not held
    /// and nothing queued; the owner's instance is then told and reports through SignalFailure.
    fn embedded_failure(&mut self, resource: ResourceId) {
        if !self.restart_allowed(resource) {
            return; // R21: ignored
        }
        let Some(owner) = self.up_owner_of(resource) else {
            return;
        };
        let name = &self.tables.resource_names[resource.index()];
        self.dlls[owner.index()].control(WorkloadControl::EmbeddedFailure(name));
        self.drain(owner);
    }

    fn restart_allowed(&self, resource: ResourceId) -> bool {
        let Some(res) = self.resources.get(resource.index()) else {
            return false;
        };
        res.state == ResourceState::Online
            && self.up_owner_of(resource).is_some()
            && !self.held(res.group)
            && !self.queued(res.group)
    }

    /// R21: SignalFailure from the owner: the resource is Failed; restart it once (I11).
    fn signal_failure(
        &mut self,
        node: NodeId,
        resource: ResourceId,
    ) -> Result<(), InvariantViolation> {
        if self.up_owner_of(resource) != Some(node) || !self.restart_allowed(resource) {
            return Ok(());
        }
        self.resources[resource.index()].state = ResourceState::Failed;
        let group = self.resources[resource.index()].group;
        self.start(group, Operation::restart(resource))
    }
}
