//! Helpers for the cluster tests: a config builder by names and a harness over the
//! in-process reference DLL.
#![allow(dead_code, unused_imports, missing_docs, clippy::unwrap_used)]

use offline_v2::cluster::{
    Cluster, ClusterConfig, ClusterView, DllCall, Entry, GroupConfig, Input, Output,
    ResourceConfig, DEFAULT_PENDING_TIMEOUT, DEFAULT_RETRY_INTERVAL,
};
use offline_v2::reference::ReferenceDll;
use offline_v2::types::{
    ErrorCode, GroupId, MoveGroupFlags, NodeId, NodeName, OfflineFlags, OfflineReason,
    OfflineResourceFlags, OpId, PersistentState, ResourceId, ResourceState, WorkMode,
};

pub use offline_v2::types::{ErrorCode as E, OfflineFlags as F, ResourceState as S};

/// A resource declaration: `on("vm1")` / `off("vm1")`, modes pending unless changed.
pub fn on(name: &str) -> ResourceConfig {
    ResourceConfig {
        name: name.to_owned(),
        persistent: PersistentState::Online,
        offline: WorkMode::Pending,
        online: WorkMode::Pending,
    }
}
pub fn off(name: &str) -> ResourceConfig {
    ResourceConfig {
        persistent: PersistentState::Offline,
        ..on(name)
    }
}
/// Both modes sync.
pub fn sync(mut r: ResourceConfig) -> ResourceConfig {
    r.offline = WorkMode::Sync;
    r.online = WorkMode::Sync;
    r
}

/// Builds a [`ClusterConfig`] by names.
pub struct Builder {
    config: ClusterConfig,
}

impl Builder {
    pub fn new(nodes: &[&str]) -> Self {
        Self {
            config: ClusterConfig {
                pending_timeout: DEFAULT_PENDING_TIMEOUT,
                retry_interval: DEFAULT_RETRY_INTERVAL,
                nodes: nodes.iter().map(|n| NodeName::new(n).unwrap()).collect(),
                groups: Vec::new(),
            },
        }
    }
    pub fn group(mut self, name: &str, owner: &str, resources: Vec<ResourceConfig>) -> Self {
        let owner = self
            .config
            .nodes
            .iter()
            .position(|n| n.as_str() == owner)
            .unwrap();
        self.config.groups.push(GroupConfig {
            name: name.to_owned(),
            owner: NodeId(u8::try_from(owner).unwrap()),
            resources,
        });
        self
    }
    pub fn timeouts(mut self, pending_timeout: u64, retry_interval: u64) -> Self {
        self.config.pending_timeout = pending_timeout;
        self.config.retry_interval = retry_interval;
        self
    }
    pub fn config(self) -> ClusterConfig {
        self.config
    }
    pub fn build(self) -> H {
        let dlls = (0..self.config.nodes.len())
            .map(|_| ReferenceDll::new())
            .collect();
        H {
            c: Cluster::new(self.config, dlls).unwrap(),
        }
    }
}

/// The SPEC §7 two-node, one-resource cluster.
pub fn two_nodes_one_vm() -> H {
    Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("vm1")])
        .build()
}

/// Harness.
pub struct H {
    pub c: Cluster<ReferenceDll>,
}

impl H {
    pub fn n(&self, name: &str) -> NodeId {
        self.c.node_id(name).unwrap()
    }
    pub fn g(&self, name: &str) -> GroupId {
        self.c.group_id(name).unwrap()
    }
    pub fn r(&self, name: &str) -> ResourceId {
        self.c.resource_id(name).unwrap()
    }
    pub fn state(&self, name: &str) -> ResourceState {
        self.c.resource_state(self.r(name))
    }
    pub fn persistent(&self, name: &str) -> PersistentState {
        self.c.persistent(self.r(name))
    }
    pub fn owner(&self, group: &str) -> &str {
        self.c.node_name(self.c.owner(self.g(group)))
    }
    pub fn view(&self) -> ClusterView {
        self.c.view()
    }
    pub fn step(&mut self, input: Input) -> Vec<Output> {
        self.c.step(input)
    }
    pub fn offline(&mut self, resource: &str, flags: OfflineResourceFlags) -> Vec<Output> {
        self.step(Input::OfflineResource {
            resource: resource.to_owned(),
            flags,
            reason: OfflineReason::UserRequested,
        })
    }
    pub fn online(&mut self, resource: &str) -> Vec<Output> {
        self.step(Input::OnlineResource {
            resource: resource.to_owned(),
        })
    }
    pub fn move_group(
        &mut self,
        group: &str,
        dest: Option<&str>,
        flags: MoveGroupFlags,
    ) -> Vec<Output> {
        self.step(Input::MoveGroup {
            group: group.to_owned(),
            dest: dest.map(str::to_owned),
            flags,
        })
    }
    pub fn cancel(&mut self, group: &str, reserved: u32) -> Vec<Output> {
        self.step(Input::CancelGroupOperation {
            group: group.to_owned(),
            reserved,
        })
    }
    /// Applies an event built from a resource id.
    pub fn ev(&mut self, make: fn(ResourceId) -> Input, resource: &str) -> Vec<Output> {
        let r = self.r(resource);
        self.step(make(r))
    }
    pub fn tick(&mut self, ms: u64) -> Vec<Output> {
        self.step(Input::Tick { ms })
    }
    pub fn crash(&mut self, node: &str) -> Vec<Output> {
        let n = self.n(node);
        self.step(Input::CrashNode(n))
    }
    pub fn start(&mut self, node: &str) -> Vec<Output> {
        let n = self.n(node);
        self.step(Input::StartNode(n))
    }
    pub fn net_down(&mut self, a: &str, b: &str) -> Vec<Output> {
        let (from, to) = (self.n(a), self.n(b));
        self.step(Input::NetDown { from, to })
    }

    // ---- expected outputs, by names ----

    pub fn off_call(
        &self,
        node: &str,
        res: &str,
        dest: Option<&str>,
        flags: OfflineFlags,
        result: ErrorCode,
    ) -> Output {
        Output::DllCall(DllCall {
            node: self.n(node),
            entry: Entry::OfflineV2,
            resource: self.r(res),
            dest: dest.map(|d| self.n(d)),
            flags,
            result,
        })
    }
    pub fn void_call(&self, entry: Entry, node: &str, res: &str, result: ErrorCode) -> Output {
        Output::DllCall(DllCall {
            node: self.n(node),
            entry,
            resource: self.r(res),
            dest: None,
            flags: OfflineFlags::empty(),
            result,
        })
    }
    pub fn on_call(&self, node: &str, res: &str, result: ErrorCode) -> Output {
        self.void_call(Entry::OnlineV2, node, res, result)
    }
    pub fn term(&self, node: &str, res: &str) -> Output {
        self.void_call(Entry::Terminate, node, res, E::ERROR_SUCCESS)
    }
    pub fn open(&self, node: &str, res: &str) -> Output {
        self.void_call(Entry::Open, node, res, E::ERROR_SUCCESS)
    }
    pub fn close(&self, node: &str, res: &str) -> Output {
        self.void_call(Entry::Close, node, res, E::ERROR_SUCCESS)
    }
    pub fn write(&self, res: &str, state: PersistentState) -> Output {
        Output::PersistentWrite {
            resource: self.r(res),
            state,
        }
    }
}

pub fn accepted(op: u32) -> Output {
    Output::Returned {
        code: E::ERROR_IO_PENDING,
        op: Some(OpId(op)),
    }
}
pub fn returned(code: ErrorCode) -> Output {
    Output::Returned { code, op: None }
}
pub fn completed(op: u32, result: ErrorCode) -> Output {
    Output::Completed {
        op: OpId(op),
        result,
    }
}

/// Only what `check_calls` lists: OnlineV2, OfflineV2, Terminate.
pub fn calls(outputs: &[Output]) -> Vec<Output> {
    outputs
        .iter()
        .filter(|o| {
            matches!(o, Output::DllCall(c) if matches!(c.entry, Entry::OnlineV2 | Entry::OfflineV2 | Entry::Terminate))
        })
        .copied()
        .collect()
}

/// Only the completions.
pub fn completions(outputs: &[Output]) -> Vec<Output> {
    outputs
        .iter()
        .filter(|o| matches!(o, Output::Completed { .. }))
        .copied()
        .collect()
}

pub const NO_OFF: OfflineResourceFlags = OfflineResourceFlags::empty();
pub const NO_MOVE: MoveGroupFlags = MoveGroupFlags::empty();
/// 0x40, the flag of every non-user offline (R12).
pub const DNU: OfflineFlags = OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE;

/// Silences the reference DLL's injected panics (R8 turns them into ERROR_GEN_FAILURE); every
/// other panic is reported as usual.
pub fn quiet_injected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info
                .payload()
                .downcast_ref::<offline_v2::reference::InjectedPanic>()
                .is_none()
            {
                default(info);
            }
        }));
    });
}
