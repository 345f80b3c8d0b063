//! Helpers for the cluster tests: a config builder by names and a harness over the
//! in-process reference DLL.
#![allow(dead_code, unused_imports, missing_docs, clippy::unwrap_used)]

pub mod mini_dll;

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

// ---- seeded random runs (shared by the fuzz and differential tests) ----

use offline_v2::cluster::RawResid;
use offline_v2::resource_dll::{RawDest, RawOfflineV2};

/// A tiny deterministic generator (a seed reproduces a run).
pub struct Lcg(pub u64);
impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

pub const NODES: [&str; 3] = ["n1", "n2", "n3"];
pub const GROUPS: [&str; 2] = ["g1", "g2"];
pub const RESOURCES: [&str; 4] = ["a", "b", "c", "d"];

pub fn random_config(rng: &mut Lcg) -> Builder {
    let mut pick = |name: &str| {
        let r = if rng.below(2) == 0 {
            on(name)
        } else {
            off(name)
        };
        if rng.below(3) == 0 {
            sync(r)
        } else {
            r
        }
    };
    let (a, b, c, d) = (pick("a"), pick("b"), pick("c"), pick("d"));
    Builder::new(&NODES)
        .group("g1", "n1", vec![a, b])
        .group("g2", "n2", vec![c, d])
        .timeouts(500, 100)
}

pub fn random_input(rng: &mut Lcg) -> Input {
    let r = ResourceId(u8::try_from(rng.below(4)).unwrap());
    let n = NodeId(u8::try_from(rng.below(3)).unwrap());
    let name = |rng: &mut Lcg, names: &[&str]| {
        let i = usize::try_from(rng.below(names.len() as u64 + 1)).unwrap();
        names.get(i).copied().unwrap_or("nope").to_owned()
    };
    match rng.below(22) {
        0 | 1 => Input::OfflineResource {
            resource: name(rng, &RESOURCES),
            flags: OfflineResourceFlags::from_bits_retain(u32::try_from(rng.below(9)).unwrap()),
            reason: OfflineReason::None,
        },
        2 | 3 => Input::OnlineResource {
            resource: name(rng, &RESOURCES),
        },
        4..=6 => Input::MoveGroup {
            group: name(rng, &GROUPS),
            dest: if rng.below(4) == 0 {
                None
            } else {
                Some(name(rng, &NODES))
            },
            flags: MoveGroupFlags::from_bits_retain(u32::try_from(rng.below(16)).unwrap()),
        },
        7 => Input::CancelGroupOperation {
            group: name(rng, &GROUPS),
            reserved: u32::from(rng.below(8) == 0),
        },
        8 => Input::CompleteOffline(r),
        9 => Input::FailOffline(r),
        10 => Input::CompleteOnline(r),
        11 => Input::FailOnline(r),
        12 => Input::Tick { ms: rng.below(300) },
        13 => Input::Lock(r),
        14 => Input::Unlock(r),
        15 => Input::Busy(r),
        16 => Input::Unbusy(r),
        17 => Input::NetDown {
            from: n,
            to: NodeId(u8::try_from(rng.below(3)).unwrap()),
        },
        18 => {
            if rng.below(3) == 0 {
                Input::CrashNode(n)
            } else {
                Input::StartNode(n)
            }
        }
        19 => Input::EmbeddedFailure(r),
        20 => Input::InjectPanic(r),
        _ => Input::RawOfflineV2 {
            node: n,
            call: RawOfflineV2 {
                resid: RawResid::Of(r),
                dest: RawDest::Null,
                flags: u32::try_from(rng.below(0x80)).unwrap(),
                inbuf: None,
                inbuf_size: 0,
                reserved: 0,
            },
        },
    }
}
