//! Environment events: time (R19, R16, D15), callbacks (R7), crashes and recovery (R20, D17),
//! embedded failures (R21, D18), and the workload controls (D2).

use super::state::{Adoption, CallEnd, CallKind, Job, Outstanding, Phase, RestartStep};
use super::{Cluster, Input, STEP_BOUND};
use crate::resource_dll::{DllCallback, ResourceDll, WorkloadControl};
use crate::types::{ErrorCode, GroupId, NodeId, NodeState, ResourceId, ResourceState};

/// A group to recover after a crash (R20).
#[derive(Debug, Clone, Copy)]
struct Recovery {
    group: GroupId,
    /// The aborted operation's client IGNORE_RESOURCE_STATUS (I5).
    ignore: bool,
    /// An outstanding call on the (Up) owner, inherited from the aborted job (I6).
    waiting: Option<Outstanding>,
    /// How the recovery's pass treats the inherited call's end (I6).
    adoption: Adoption,
    /// Where to fail over if the owner is Down (R20: S for a move with RETURN_TO_SOURCE
    /// whose destination died after ownership passed).
    prefer: Option<NodeId>,
}

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
    /// Applies an environment event (SPEC §7 events).
    pub(super) fn handle_event(&mut self, input: Input) {
        match input {
            Input::CompleteOffline(r) => self.tell_up_instances(r, Told::CompleteOffline),
            Input::FailOffline(r) => self.tell_up_instances(r, Told::FailOffline),
            Input::CompleteOnline(r) => self.tell_up_instances(r, Told::CompleteOnline),
            Input::FailOnline(r) => self.tell_up_instances(r, Told::FailOnline),
            Input::Lock(r) => self.set_env_flag(r, true, true),
            Input::Unlock(r) => self.set_env_flag(r, true, false),
            Input::Busy(r) => self.set_env_flag(r, false, true),
            Input::Unbusy(r) => self.set_env_flag(r, false, false),
            Input::NetDown { from, to } => self.set_link(from, to, false),
            Input::NetUp { from, to } => self.set_link(from, to, true),
            Input::Tick { ms } => self.tick(ms),
            Input::CrashNode(node) => self.crash(node),
            Input::StartNode(node) => self.start(node),
            Input::EmbeddedFailure(r) => self.embedded_failure(r),
            Input::InjectPanic(r) => {
                // D2: to the owner's instance only, ignored if the owner is Down.
                if let Some(owner) = self.up_owner_of(r) {
                    self.dlls[owner.index()].control(WorkloadControl::InjectPanic(
                        &self.names.resource_names[r.index()],
                    ));
                    self.drain(owner);
                }
            }
            Input::OfflineResource { .. }
            | Input::OnlineResource { .. }
            | Input::MoveGroup { .. }
            | Input::CancelGroupOperation { .. }
            | Input::RawOfflineV2 { .. } => debug_assert!(false, "a call, not an event"),
        }
    }

    fn up_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len())
            .filter(|&n| self.nodes[n] == NodeState::Up)
            .map(|n| NodeId(super::small(n)))
    }

    fn up_owner_of(&self, resource: ResourceId) -> Option<NodeId> {
        let res = self.resources.get(resource.index())?;
        let owner = self.groups[res.group.index()].owner;
        (self.nodes[owner.index()] == NodeState::Up).then_some(owner)
    }

    /// D2: `complete_*`/`fail_*` go to every Up instance; only one with such pending work acts.
    /// Callbacks are processed after every instance was told (`run_deferred`, I10).
    fn tell_up_instances(&mut self, resource: ResourceId, told: Told) {
        if resource.index() >= self.resources.len() {
            return;
        }
        for n in 0..self.nodes.len() {
            if self.nodes[n] == NodeState::Up {
                self.dlls[n].control(told.control(&self.names.resource_names[resource.index()]));
                self.drain(NodeId(super::small(n)));
            }
        }
    }

    /// D2: lock/unlock/busy/unbusy go to every Up instance (they follow the resource, R9).
    fn set_env_flag(&mut self, resource: ResourceId, lock: bool, on: bool) {
        let r = resource.index();
        if r >= self.resources.len() {
            return;
        }
        if lock {
            self.env.locked[r] = on;
        } else {
            self.env.busy[r] = on;
        }
        let control = match (lock, on) {
            (true, true) => Told::Lock,
            (true, false) => Told::Unlock,
            (false, true) => Told::Busy,
            (false, false) => Told::Unbusy,
        };
        self.tell_up_instances(resource, control);
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
                let name = self.config.nodes[there.index()];
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
    fn tick(&mut self, ms: u64) {
        self.now = self.now.saturating_add(ms);
        for g in 0..self.groups.len() {
            let group = GroupId(super::small(g));
            self.timeout_if_due(group);
            self.retry_if_due(group);
        }
    }

    /// R19: an outstanding call pending for `pending_timeout` or more → Terminate (once: the
    /// call is no longer outstanding afterwards).
    fn timeout_if_due(&mut self, group: GroupId) {
        let Some(job) = self.groups[group.index()].job else {
            return;
        };
        let Some(w) = job.waiting else {
            return;
        };
        if self.now.saturating_sub(w.started) < self.config.pending_timeout {
            return;
        }
        // Seeded bug: `>` instead of `>=` (the timeout fires one tick late).
        #[cfg(feature = "seeded-bugs")]
        if self.bug == crate::seeded::SeededBug::TimeoutOffByOne
            && self.now.saturating_sub(w.started) == self.config.pending_timeout
        {
            return;
        }
        self.clear_waiting(group);
        self.terminate(w.resource);
        let end = match w.kind {
            // R19: the offline goes on as if it had succeeded (ERROR_TIMEOUT only logged).
            CallKind::Offline => CallEnd::Done,
            // R19: Failed with ERROR_TIMEOUT; the operation goes on as after a failed online.
            CallKind::Online => CallEnd::Failed(ErrorCode::ERROR_TIMEOUT),
        };
        self.ended(group, w.resource, w.kind, end);
        self.drive(group);
    }

    fn clear_waiting(&mut self, group: GroupId) {
        if let Some(job) = self.groups[group.index()].job.as_mut() {
            job.waiting = None;
        }
    }

    /// Processes the callbacks deferred by `drain` (R7, R21), in arrival order.
    pub(super) fn run_deferred(&mut self) {
        for _ in 0..STEP_BOUND {
            let Some((node, callback)) = self.deferred.pop_front() else {
                return;
            };
            match callback {
                DllCallback::Status { resource, state } => self.status(node, resource, state),
                DllCallback::EmbeddedFailure { resource, .. } => {
                    self.signal_failure(node, resource);
                }
                DllCallback::LockedMode { .. } => {} // applied at once in `drain`
            }
        }
        debug_assert!(false, "callback storm beyond the bound");
    }

    /// R7: a status callback ends the host's outstanding call on that resource, whichever
    /// call started the work; otherwise it is unsolicited and ignored.
    fn status(&mut self, node: NodeId, resource: ResourceId, state: ResourceState) {
        if self.nodes[node.index()] == NodeState::Down {
            return; // R20
        }
        let Some(w) = self.outstanding_on(resource, node) else {
            return;
        };
        let end = match (w.kind, state) {
            (_, ResourceState::OnlinePending | ResourceState::OfflinePending) => return,
            (CallKind::Offline, ResourceState::Offline)
            | (CallKind::Online, ResourceState::Online) => CallEnd::Done,
            // I4: any other end of the work is a failure (ERROR_GEN_FAILURE, Failed).
            _ => CallEnd::Failed(ErrorCode::ERROR_GEN_FAILURE),
        };
        let group = self.resources[resource.index()].group;
        self.clear_waiting(group);
        self.ended(group, resource, w.kind, end);
        self.drive(group);
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
        self.dlls[owner.index()].control(WorkloadControl::EmbeddedFailure(
            &self.names.resource_names[resource.index()],
        ));
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
    fn signal_failure(&mut self, node: NodeId, resource: ResourceId) {
        if self.up_owner_of(resource) != Some(node) || !self.restart_allowed(resource) {
            return;
        }
        self.resources[resource.index()].state = ResourceState::Failed;
        let group = self.resources[resource.index()].group;
        let job = Job::new(
            None,
            false,
            None,
            Phase::Restart {
                resource,
                step: RestartStep::Offline,
            },
        );
        self.start_job(group, job);
    }

    /// R20/D17: a node goes Down.
    fn crash(&mut self, node: NodeId) {
        if self.nodes.get(node.index()) != Some(&NodeState::Up) {
            return; // already Down (or undeclared): nothing to act on
        }
        self.nodes[node.index()] = NodeState::Down;
        // The instance forgets every RESID and all pending work; its callbacks are dropped.
        self.dlls[node.index()].control(WorkloadControl::Reset);
        self.callbacks.clear();
        self.dlls[node.index()].take_callbacks(&mut self.callbacks);
        self.callbacks.clear();
        self.resids[node.index()].iter_mut().for_each(|r| *r = None);
        // Every resource it owned is Offline in the host view (R10).
        for g in 0..self.groups.len() {
            if self.groups[g].owner == node {
                for i in 0..self.groups[g].resources.len() {
                    let r = self.groups[g].resources[i];
                    self.resources[r.index()].state = ResourceState::Offline;
                }
            }
        }
        // R20, D19: first every operation touching the node completes at once, in group
        // declaration order; then each affected group is placed — it stays on its Up owner or
        // fails over (Open on the new owner) —; then every placed group runs its recovery, all
        // in declaration order.
        let mut recoveries = Vec::new();
        for g in 0..self.groups.len() {
            let group = GroupId(super::small(g));
            let owned = self.groups[g].owner == node;
            let job = self.groups[g].job;
            let touches = job.is_some_and(|j| {
                owned || j.ends.is_some_and(|e| e.source == node || e.dest == node)
            });
            let recovery = match (touches, job) {
                (true, Some(job)) => {
                    self.groups[g].job = None;
                    if let Some(op) = job.op {
                        self.complete(op, ErrorCode::ERROR_CLUSTER_NODE_DOWN);
                    }
                    let prefer = job.ends.and_then(|e| {
                        (owned && e.dest == node && e.return_to_source()).then_some(e.source)
                    });
                    let waiting = if owned { None } else { job.waiting };
                    Recovery {
                        group,
                        ignore: job.ignore,
                        waiting,
                        // R14: the recovery is a new pass; it first waits for the inherited
                        // call, which is not its attempt (I6).
                        adoption: if waiting.is_some() {
                            Adoption::Foreign
                        } else {
                            Adoption::None
                        },
                        prefer,
                    }
                }
                _ if owned => Recovery {
                    group,
                    ignore: false,
                    waiting: None,
                    adoption: Adoption::None,
                    prefer: None,
                },
                _ => continue,
            };
            recoveries.push(recovery);
        }
        let mut placed = Vec::new();
        for recovery in recoveries {
            let group = recovery.group;
            if self.place(recovery) {
                placed.push(group);
            }
        }
        for group in placed {
            self.drive(group);
        }
    }

    /// R20/D17: keep the group on its Up owner or fail it over (Open on the new owner, no
    /// Close on the dead node), and install its recovery job without running it. `false`:
    /// no Up node, the group waits, owned by the Down node (R10).
    fn place(&mut self, recovery: Recovery) -> bool {
        let group = recovery.group;
        let owner = self.groups[group.index()].owner;
        let target = if self.nodes[owner.index()] == NodeState::Up {
            owner
        } else if let Some(s) = recovery
            .prefer
            .filter(|s| self.nodes[s.index()] == NodeState::Up)
        {
            s
        } else if let Some(first) = self.up_nodes().next() {
            first
        } else {
            return false;
        };
        // Seeded bug: the recovery runs, but ownership stays with the Down node.
        #[cfg(feature = "seeded-bugs")]
        if self.bug == crate::seeded::SeededBug::OwnerLostOnCrash {
            self.install_recovery(group, recovery.ignore, recovery.waiting, recovery.adoption);
            return true;
        }
        if target != owner {
            self.transfer(group, None, target); // D17
        }
        self.install_recovery(group, recovery.ignore, recovery.waiting, recovery.adoption);
        true
    }

    /// Installs (without running) a recovery job: a D13 pass with no operation (R20).
    fn install_recovery(
        &mut self,
        group: GroupId,
        ignore: bool,
        waiting: Option<Outstanding>,
        adoption: Adoption,
    ) {
        let mut job = Job::new(
            None,
            ignore,
            None,
            Phase::Settle {
                next: 0,
                result: None,
                adoption,
            },
        );
        job.waiting = waiting;
        debug_assert!(self.groups[group.index()].job.is_none());
        self.groups[group.index()].job = Some(job);
    }

    /// R20/D17: a node starts again, empty; waiting groups recover on it.
    fn start(&mut self, node: NodeId) {
        if self.nodes.get(node.index()) != Some(&NodeState::Down) {
            return;
        }
        // The groups waiting for a node (R10): owned by a Down node — possibly this one, whose
        // instance was reset, so their resources are open nowhere.
        let waiting: Vec<GroupId> = (0..self.groups.len())
            .filter(|&g| self.nodes[self.groups[g].owner.index()] == NodeState::Down)
            .map(|g| GroupId(super::small(g)))
            .collect();
        self.nodes[node.index()] = NodeState::Up;
        self.dlls[node.index()].control(WorkloadControl::Reset);
        self.drain(node);
        self.configure_instance(node, false);
        // One group at a time, in declaration order: Open on this node, then recovery (I2).
        for group in waiting {
            debug_assert!(self.groups[group.index()].job.is_none());
            self.transfer(group, None, node); // D17: Open, even if it was the owner
            self.install_recovery(group, false, None, Adoption::None);
            self.drive(group);
        }
    }
}
