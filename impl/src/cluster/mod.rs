//! The sans-IO cluster coordinator and resource host (SPEC §5, R10–R23).
//!
//! [`Cluster`] is one deterministic state machine: [`Cluster::step`] takes one [`Input`] (a
//! client call or an environment event) and returns what happened, in order ([`Output`], D5).
//! Time is logical (R22): it only moves with [`Input::Tick`]. The DLL of each node is reached
//! only through [`ResourceDll`]; after every DLL call or control the host drains the DLL's
//! callbacks.
//!
//! Layout, one concern per module:
//! - [`state`]: the small named state (jobs, phases, the outstanding call);
//! - [`flags`]: R12 as a pure function;
//! - `calls`: client calls and the R13 check order;
//! - `jobs`: driving a group's job (user offline/online, D13 settle, R21 restart);
//! - `moves`: R15–R18;
//! - `events`: R19–R21 and the environment;
//! - `host`: DLL calls, callbacks, ownership transfer.

mod calls;
mod events;
pub mod flags;
mod host;
pub mod io;
mod jobs;
mod moves;
pub(crate) mod state;

use std::collections::{BTreeSet, HashMap, VecDeque};

pub use flags::{offline_destination, offline_flags, OfflineContext};
pub use io::*;

use crate::resource_dll::{DllCallback, Resid, ResourceDll, WorkloadControl};
use crate::types::{
    GroupId, NodeId, NodeState, OpId, PersistentState, ResourceId, ResourceState, WorkMode,
};
use state::{GroupHost, Job, Phase, ResourceHost};

/// Upper bound on the work one input can cause (TigerBeetle style: every loop is bounded).
const STEP_BOUND: usize = 1 << 16;

/// Why a [`ClusterConfig`] cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No node declared.
    #[error("a cluster needs at least one node")]
    NoNodes,
    /// More than 255 nodes, groups or resources (ids are `u8`).
    #[error("too many {what}: {count} (at most 255)")]
    TooMany {
        /// "nodes", "groups" or "resources".
        what: &'static str,
        /// How many were declared.
        count: usize,
    },
    /// A node name is declared twice.
    #[error("node {0:?} is declared twice")]
    DuplicateNode(String),
    /// A group name is declared twice.
    #[error("group {0:?} is declared twice")]
    DuplicateGroup(String),
    /// A resource name is declared twice (resource names are unique cluster-wide).
    #[error("resource {0:?} is declared twice")]
    DuplicateResource(String),
    /// An empty group or resource name.
    #[error("empty {0} name")]
    EmptyName(&'static str),
    /// A group's owner is not a declared node.
    #[error("group {group:?} is owned by node #{owner}, but only {nodes} nodes are declared")]
    OwnerOutOfRange {
        /// The group.
        group: String,
        /// The owner index.
        owner: usize,
        /// How many nodes exist.
        nodes: usize,
    },
    /// There must be exactly one DLL instance per node (D1).
    #[error("{dlls} DLL instances for {nodes} nodes (D1: one per node)")]
    DllCount {
        /// DLL instances given.
        dlls: usize,
        /// Nodes declared.
        nodes: usize,
    },
    /// The owner's DLL refused to open a resource at set-up (D4).
    #[error("node {node:?} could not open resource {resource:?} at set-up")]
    OpenFailed {
        /// The node.
        node: String,
        /// The resource.
        resource: String,
    },
}

/// The host's view of the whole cluster, for snapshots (R13: a rejected call changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterView {
    /// Logical time.
    pub now: u64,
    /// Per node.
    pub nodes: Vec<NodeState>,
    /// Per group: owner.
    pub owners: Vec<NodeId>,
    /// Per group: queued.
    pub queued: Vec<bool>,
    /// Per group: held.
    pub held: Vec<bool>,
    /// Per resource: state.
    pub states: Vec<ResourceState>,
    /// Per resource: persistent state.
    pub persistent: Vec<PersistentState>,
    /// Per resource: locked.
    pub locked: Vec<bool>,
}

/// What the environment is, as told to the DLL instances (D2): replayed to a node that starts.
#[derive(Debug, Clone, Default)]
struct Environment {
    locked: Vec<bool>,
    busy: Vec<bool>,
    /// Down links, as (lower, higher) node pairs.
    links_down: BTreeSet<(NodeId, NodeId)>,
}

/// Name lookups.
#[derive(Debug, Clone, Default)]
struct Names {
    nodes: HashMap<String, NodeId>,
    groups: HashMap<String, GroupId>,
    resources: HashMap<String, ResourceId>,
    resource_names: Vec<String>,
}

/// The cluster coordinator and resource host: one deterministic sans-IO state machine.
pub struct Cluster<D: ResourceDll> {
    config: ClusterConfig,
    dlls: Vec<D>,
    now: u64,
    nodes: Vec<NodeState>,
    groups: Vec<GroupHost>,
    resources: Vec<ResourceHost>,
    /// `resids[node][resource]`: the RESID that node's DLL gave the host (R2).
    resids: Vec<Vec<Option<Resid>>>,
    env: Environment,
    names: Names,
    next_op: u32,
    /// Outputs of the current step (swapped with the caller's buffer in `step_into`).
    out: Vec<Output>,
    /// Scratch buffer for `take_callbacks`.
    callbacks: Vec<DllCallback>,
    /// Callbacks that end an outstanding call or signal a failure, processed after the action
    /// that drained them (no re-entrancy).
    deferred: VecDeque<(NodeId, DllCallback)>,
    /// R14: every operation completes once.
    #[cfg(debug_assertions)]
    completed: std::collections::HashSet<OpId>,
    /// The switched-on seeded host bug (tests only).
    #[cfg(feature = "seeded-bugs")]
    bug: crate::seeded::SeededBug,
}

impl<D: ResourceDll> std::fmt::Debug for Cluster<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("view", &self.view())
            .finish_non_exhaustive()
    }
}

fn dense(index: usize, what: &'static str, count: usize) -> Result<u8, ConfigError> {
    u8::try_from(index).map_err(|_| ConfigError::TooMany { what, count })
}

/// The id of a dense index known to fit (validated at set-up).
fn small(index: usize) -> u8 {
    debug_assert!(index <= usize::from(u8::MAX));
    u8::try_from(index).unwrap_or(u8::MAX)
}

impl<D: ResourceDll> Cluster<D> {
    /// Validates `config` and sets the cluster up (D4): every node's DLL is told its local
    /// node and every resource's workload, then each resource is opened on its group's owner
    /// in the state named by its persistent field. Set-up produces no outputs.
    ///
    /// # Errors
    /// [`ConfigError`] when the configuration is not runnable.
    pub fn new(config: ClusterConfig, dlls: Vec<D>) -> Result<Self, ConfigError> {
        let names = Self::validate(&config, dlls.len())?;
        let node_count = config.nodes.len();
        let mut groups = Vec::with_capacity(config.groups.len());
        let mut resources = Vec::new();
        for (g, group) in config.groups.iter().enumerate() {
            let gid = GroupId(dense(g, "groups", config.groups.len())?);
            let mut ids = Vec::with_capacity(group.resources.len());
            for resource in &group.resources {
                let rid = ResourceId(dense(resources.len(), "resources", resources.len() + 1)?);
                ids.push(rid);
                resources.push(ResourceHost {
                    group: gid,
                    state: resource.persistent.target(),
                    persistent: resource.persistent,
                    locked: false,
                });
            }
            groups.push(GroupHost {
                owner: group.owner,
                resources: ids,
                job: None,
            });
        }
        let resource_count = resources.len();
        let mut cluster = Self {
            dlls,
            now: 0,
            nodes: vec![NodeState::Up; node_count],
            groups,
            resources,
            resids: vec![vec![None; resource_count]; node_count],
            env: Environment {
                locked: vec![false; resource_count],
                busy: vec![false; resource_count],
                links_down: BTreeSet::new(),
            },
            names,
            next_op: 0,
            out: Vec::new(),
            callbacks: Vec::new(),
            deferred: VecDeque::new(),
            #[cfg(debug_assertions)]
            completed: std::collections::HashSet::new(),
            #[cfg(feature = "seeded-bugs")]
            bug: crate::seeded::SeededBug::None,
            config,
        };
        // D4: local node and workload on every instance; running only on the owner.
        for n in 0..node_count {
            let node = NodeId(small(n));
            cluster.configure_instance(node, true);
        }
        for g in 0..cluster.groups.len() {
            let owner = cluster.groups[g].owner;
            for i in 0..cluster.groups[g].resources.len() {
                let r = cluster.groups[g].resources[i];
                if cluster.open(owner, r).is_none() {
                    return Err(ConfigError::OpenFailed {
                        node: cluster.node_name(owner).to_owned(),
                        resource: cluster.resource_name(r).to_owned(),
                    });
                }
            }
        }
        cluster.deferred.clear();
        cluster.out.clear(); // D4: set-up emits no outputs.
        cluster.check_invariants();
        Ok(cluster)
    }

    /// I13: what a runnable configuration is.
    fn validate(config: &ClusterConfig, dlls: usize) -> Result<Names, ConfigError> {
        let node_count = config.nodes.len();
        if node_count == 0 {
            return Err(ConfigError::NoNodes);
        }
        if dlls != node_count {
            return Err(ConfigError::DllCount {
                dlls,
                nodes: node_count,
            });
        }
        let mut names = Names::default();
        for (n, name) in config.nodes.iter().enumerate() {
            let id = NodeId(dense(n, "nodes", node_count)?);
            if names.nodes.insert(name.as_str().to_owned(), id).is_some() {
                return Err(ConfigError::DuplicateNode(name.as_str().to_owned()));
            }
        }
        let mut resource_index = 0usize;
        for (g, group) in config.groups.iter().enumerate() {
            if group.name.is_empty() {
                return Err(ConfigError::EmptyName("group"));
            }
            let id = GroupId(dense(g, "groups", config.groups.len())?);
            if names.groups.insert(group.name.clone(), id).is_some() {
                return Err(ConfigError::DuplicateGroup(group.name.clone()));
            }
            if group.owner.index() >= node_count {
                return Err(ConfigError::OwnerOutOfRange {
                    group: group.name.clone(),
                    owner: group.owner.index(),
                    nodes: node_count,
                });
            }
            for resource in &group.resources {
                if resource.name.is_empty() {
                    return Err(ConfigError::EmptyName("resource"));
                }
                let total: usize = config.groups.iter().map(|g| g.resources.len()).sum();
                let id = ResourceId(dense(resource_index, "resources", total)?);
                if names.resources.insert(resource.name.clone(), id).is_some() {
                    return Err(ConfigError::DuplicateResource(resource.name.clone()));
                }
                names.resource_names.push(resource.name.clone());
                resource_index += 1;
            }
        }
        Ok(names)
    }

    /// Tells a (fresh) instance its local node, every resource's workload and the current
    /// environment (D2, D4). `setup`: resources run on their owner (D4); otherwise the node
    /// comes up empty (R20).
    fn configure_instance(&mut self, node: NodeId, setup: bool) {
        let name = self.config.nodes[node.index()];
        self.control(node, WorkloadControl::SetLocalNode(name));
        for g in 0..self.config.groups.len() {
            for i in 0..self.config.groups[g].resources.len() {
                let running = setup
                    && self.config.groups[g].owner == node
                    && self.config.groups[g].resources[i].persistent == PersistentState::Online;
                let (offline, online): (WorkMode, WorkMode) = (
                    self.config.groups[g].resources[i].offline,
                    self.config.groups[g].resources[i].online,
                );
                let resource_name = std::mem::take(&mut self.config.groups[g].resources[i].name);
                self.control(
                    node,
                    WorkloadControl::Configure {
                        resource: &resource_name,
                        offline,
                        online,
                        running,
                    },
                );
                self.config.groups[g].resources[i].name = resource_name;
            }
        }
        if setup {
            return;
        }
        for r in 0..self.resources.len() {
            let name = std::mem::take(&mut self.names.resource_names[r]);
            if self.env.locked[r] {
                self.control(node, WorkloadControl::Lock(&name));
            }
            if self.env.busy[r] {
                self.control(node, WorkloadControl::Busy(&name));
            }
            self.names.resource_names[r] = name;
        }
        let down: Vec<(NodeId, NodeId)> = self.env.links_down.iter().copied().collect();
        for (a, b) in down {
            let other = if a == node {
                b
            } else if b == node {
                a
            } else {
                continue;
            };
            let other_name = self.config.nodes[other.index()];
            self.control(node, WorkloadControl::NetDown(other_name));
        }
    }

    /// Applies one input and returns what happened, in order (D5).
    pub fn step(&mut self, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        self.step_into(input, &mut out);
        out
    }

    /// Like [`Cluster::step`], appending the outputs to `out` (no allocation once `out` and the
    /// cluster's scratch buffers have grown).
    pub fn step_into(&mut self, input: Input, out: &mut Vec<Output>) {
        std::mem::swap(&mut self.out, out);
        let start = self.out.len();
        let is_client_call = matches!(
            input,
            Input::OfflineResource { .. }
                | Input::OnlineResource { .. }
                | Input::MoveGroup { .. }
                | Input::CancelGroupOperation { .. }
        );
        let before = cfg!(debug_assertions).then(|| self.view());
        match input {
            Input::OfflineResource {
                resource,
                flags,
                reason: _, // never changes behaviour (SPEC §7)
            } => self.offline_resource(&resource, flags),
            Input::OnlineResource { resource } => self.online_resource(&resource),
            Input::MoveGroup { group, dest, flags } => {
                self.move_group(&group, dest.as_deref(), flags);
            }
            Input::CancelGroupOperation { group, reserved } => {
                self.cancel_group_operation(&group, reserved);
            }
            Input::RawOfflineV2 { node, call } => self.raw_offline_v2(node, call),
            event => self.handle_event(event),
        }
        self.run_deferred();
        self.check_invariants();
        if let Some(before) = before {
            self.check_step(&before, start, is_client_call);
        }
        std::mem::swap(&mut self.out, out);
    }

    /// Pair assertions over one step (debug builds): R11 persistent state changes only with a
    /// `PersistentWrite`; R13 a rejected client call changes nothing and outputs only its
    /// `Returned`; D5 a client call's `Returned` comes first.
    fn check_step(&self, before: &ClusterView, start: usize, is_client_call: bool) {
        let outputs = &self.out[start..];
        for (r, (old, new)) in before.persistent.iter().zip(&self.resources).enumerate() {
            if *old != new.persistent {
                assert!(
                    outputs.iter().any(|o| matches!(o,
                        Output::PersistentWrite { resource, state }
                            if resource.index() == r && *state == new.persistent)),
                    "R11: persistent state of resource #{r} changed without a write"
                );
            }
        }
        if !is_client_call {
            return;
        }
        assert!(
            matches!(outputs.first(), Some(Output::Returned { .. })),
            "D5: Returned first"
        );
        if let Some(Output::Returned { code, op: None }) = outputs.first() {
            if *code != crate::types::ErrorCode::ERROR_SUCCESS {
                assert_eq!(outputs.len(), 1, "R13: a rejected call does nothing");
                assert_eq!(&self.view(), before, "R13: a rejected call changes nothing");
            }
        }
    }

    /// Switches a seeded host bug on (tests only; [`crate::seeded`]). The DLL bug
    /// ([`crate::seeded::SeededBug::ReservedIgnored`]) is switched through the control export
    /// instead; here it changes nothing.
    #[cfg(feature = "seeded-bugs")]
    pub fn set_seeded_bug(&mut self, bug: crate::seeded::SeededBug) {
        self.bug = bug;
    }

    /// The seeded host bug switched on.
    #[cfg(feature = "seeded-bugs")]
    #[must_use]
    pub fn seeded_bug(&self) -> crate::seeded::SeededBug {
        self.bug
    }

    fn new_op(&mut self) -> OpId {
        let op = OpId(self.next_op);
        self.next_op += 1;
        op
    }

    // ---- getters: the host view ----

    /// The configuration this cluster runs.
    #[must_use]
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }
    /// Logical time (R22).
    #[must_use]
    pub fn now(&self) -> u64 {
        self.now
    }
    /// The group's single owner (R10).
    #[must_use]
    pub fn owner(&self, group: GroupId) -> NodeId {
        self.groups[group.index()].owner
    }
    /// Up or Down.
    #[must_use]
    pub fn node_state(&self, node: NodeId) -> NodeState {
        self.nodes[node.index()]
    }
    /// The resource's state on its group's owner (host view).
    #[must_use]
    pub fn resource_state(&self, resource: ResourceId) -> ResourceState {
        self.resources[resource.index()].state
    }
    /// The durable intent (R11).
    #[must_use]
    pub fn persistent(&self, resource: ResourceId) -> PersistentState {
        self.resources[resource.index()].persistent
    }
    /// What SetResourceLockedMode said last (D3).
    #[must_use]
    pub fn locked(&self, resource: ResourceId) -> bool {
        self.resources[resource.index()].locked
    }
    /// The group has a queued move (R16, R13 check 3).
    #[must_use]
    pub fn queued(&self, group: GroupId) -> bool {
        self.groups[group.index()]
            .job
            .as_ref()
            .is_some_and(Job::is_queued)
    }
    /// The group is held: work in flight or settling, or its owner is Down (R13 check 4, R14).
    #[must_use]
    pub fn held(&self, group: GroupId) -> bool {
        let g = &self.groups[group.index()];
        g.job.is_some() || self.nodes[g.owner.index()] == NodeState::Down
    }
    /// The group of a resource.
    #[must_use]
    pub fn group_of(&self, resource: ResourceId) -> GroupId {
        self.resources[resource.index()].group
    }
    /// Number of nodes, groups and resources.
    #[must_use]
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.nodes.len(), self.groups.len(), self.resources.len())
    }
    /// A node by name.
    #[must_use]
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.names.nodes.get(name).copied()
    }
    /// A group by name.
    #[must_use]
    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.names.groups.get(name).copied()
    }
    /// A resource by name.
    #[must_use]
    pub fn resource_id(&self, name: &str) -> Option<ResourceId> {
        self.names.resources.get(name).copied()
    }
    /// A node's name.
    #[must_use]
    pub fn node_name(&self, node: NodeId) -> &str {
        self.config.nodes[node.index()].as_str()
    }
    /// A group's name.
    #[must_use]
    pub fn group_name(&self, group: GroupId) -> &str {
        &self.config.groups[group.index()].name
    }
    /// A resource's name.
    #[must_use]
    pub fn resource_name(&self, resource: ResourceId) -> &str {
        &self.names.resource_names[resource.index()]
    }
    /// One node's DLL instance (for tests and harnesses that inspect the DLL side).
    #[must_use]
    pub fn dll(&self, node: NodeId) -> &D {
        &self.dlls[node.index()]
    }
    /// The whole host view, comparable with `==`.
    #[must_use]
    pub fn view(&self) -> ClusterView {
        ClusterView {
            now: self.now,
            nodes: self.nodes.clone(),
            owners: self.groups.iter().map(|g| g.owner).collect(),
            queued: (0..self.groups.len())
                .map(|g| self.queued(GroupId(small(g))))
                .collect(),
            held: (0..self.groups.len())
                .map(|g| self.held(GroupId(small(g))))
                .collect(),
            states: self.resources.iter().map(|r| r.state).collect(),
            persistent: self.resources.iter().map(|r| r.persistent).collect(),
            locked: self.resources.iter().map(|r| r.locked).collect(),
        }
    }

    /// R10 and friends, asserted after every step (debug builds).
    fn check_invariants(&self) {
        if !cfg!(debug_assertions) {
            return;
        }
        for (g, group) in self.groups.iter().enumerate() {
            // R10: one owner, a declared node.
            assert!(group.owner.index() < self.nodes.len());
            let owner_up = self.nodes[group.owner.index()] == NodeState::Up;
            for &r in &group.resources {
                let res = &self.resources[r.index()];
                assert_eq!(res.group.index(), g);
                let active = matches!(
                    res.state,
                    ResourceState::OnlinePending
                        | ResourceState::Online
                        | ResourceState::OfflinePending
                );
                // R10: active only on the owner, and the owner is Up.
                assert!(
                    !active || owner_up,
                    "{r:?} is {:?} on a Down owner",
                    res.state
                );
                if !owner_up {
                    assert_eq!(res.state, ResourceState::Offline, "R10: Down owner");
                }
                // Open on at most one node: the owner (R2).
                for (n, resids) in self.resids.iter().enumerate() {
                    if resids[r.index()].is_some() {
                        assert_eq!(n, group.owner.index(), "{r:?} open off its owner");
                    }
                }
                // A pending state is the host's outstanding call, and only that.
                let pending = matches!(
                    res.state,
                    ResourceState::OnlinePending | ResourceState::OfflinePending
                );
                let waiting = group
                    .job
                    .and_then(|j| j.waiting)
                    .is_some_and(|w| w.resource == r);
                assert_eq!(pending, waiting, "{r:?} {:?} vs outstanding", res.state);
            }
            if let Some(job) = &group.job {
                assert!(owner_up, "a job runs only on an Up owner");
                if let Some(w) = job.waiting {
                    assert_eq!(w.node, group.owner);
                }
                if let Phase::Queued { .. } = job.phase {
                    assert!(job.waiting.is_none());
                }
            }
        }
    }
}
