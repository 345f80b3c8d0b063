//! The implementation as a replay [`Side`]: a [`Cluster`] over any [`ResourceDll`] backend.

use offline_v2::cluster::{
    Cluster, ClusterConfig, Entry, GroupConfig, Input, Output, RawResid, ResourceConfig,
};
use offline_v2::resource_dll::{RawDest, RawOfflineV2, ResourceDll};
use offline_v2::types::{GroupId, NodeId, NodeName, ResourceId};

use crate::replay::{CallObs, HostView, Obs, ObsEntry, Side};
use crate::scenario::{Call, Event, RawCall, RawResidSpec, Scenario};

/// Why a scenario cannot be set up on the implementation.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The cluster rejected the configuration.
    #[error("the implementation rejected the set-up: {0}")]
    Cluster(String),
    /// A node name the SPEC syntax refuses.
    #[error("invalid node name {0:?}")]
    NodeName(String),
}

/// The [`ClusterConfig`] a scenario declares.
///
/// # Errors
/// [`SetupError::NodeName`] for a name outside the SPEC §3 syntax (the parser already refuses
/// those, so this is defensive).
pub fn cluster_config(s: &Scenario) -> Result<ClusterConfig, SetupError> {
    let nodes = s
        .nodes
        .iter()
        .map(|n| NodeName::new(n).map_err(|_| SetupError::NodeName(n.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let node_index = |name: &str| {
        s.nodes
            .iter()
            .position(|n| n == name)
            .and_then(|i| u8::try_from(i).ok())
            .map_or(NodeId(0), NodeId)
    };
    Ok(ClusterConfig {
        pending_timeout: s.config.pending_timeout,
        retry_interval: s.config.retry_interval,
        nodes,
        groups: s
            .groups
            .iter()
            .map(|g| GroupConfig {
                name: g.name.clone(),
                owner: node_index(&g.owner),
                resources: g
                    .resources
                    .iter()
                    .map(|r| ResourceConfig {
                        name: r.name.clone(),
                        persistent: r.persistent,
                        offline: r.offline,
                        online: r.online,
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// The implementation under replay.
pub struct ImplSide<D: ResourceDll> {
    cluster: Cluster<D>,
    nodes: Vec<String>,
    resources: Vec<String>,
}

impl<D: ResourceDll> ImplSide<D> {
    /// Sets up `scenario` on a cluster whose node `i` drives `dlls[i]`.
    ///
    /// # Errors
    /// [`SetupError`] if the cluster refuses the configuration.
    pub fn new(scenario: &Scenario, dlls: Vec<D>) -> Result<Self, SetupError> {
        let config = cluster_config(scenario)?;
        let cluster = Cluster::new(config, dlls).map_err(|e| SetupError::Cluster(e.to_string()))?;
        Ok(Self {
            cluster,
            nodes: scenario.nodes.clone(),
            resources: scenario.resource_names().map(str::to_owned).collect(),
        })
    }

    /// The cluster, for inspection.
    pub fn cluster(&self) -> &Cluster<D> {
        &self.cluster
    }

    /// The cluster, to adjust it before a run (e.g. a seeded bug through a lockstep `tweak`).
    pub fn cluster_mut(&mut self) -> &mut Cluster<D> {
        &mut self.cluster
    }

    fn node(&self, name: &str) -> NodeId {
        NodeId(index(&self.nodes, name))
    }

    fn resource(&self, name: &str) -> ResourceId {
        ResourceId(index(&self.resources, name))
    }

    fn run(&mut self, input: Input) -> Vec<Obs> {
        self.cluster.step(input).into_iter().map(obs_of).collect()
    }

    /// Applies `input` without panicking on a broken cluster invariant (I17): the outputs,
    /// or the outputs made before the violation together with its message (the cluster is
    /// then poisoned). For running monitors on a step the implementation's own checks stop.
    ///
    /// # Errors
    /// The outputs so far and the violation's text.
    pub fn try_run(&mut self, input: Input) -> Result<Vec<Obs>, (Vec<Obs>, String)> {
        let now = self.cluster.now();
        let result = self.cluster.handle_input(now, input);
        let mut out = Vec::new();
        while let Some(o) = self.cluster.poll_output() {
            out.push(obs_of(o));
        }
        match result {
            Ok(()) => Ok(out),
            Err(v) => Err((out, v.to_string())),
        }
    }

    /// The implementation [`Input`] of a scenario event.
    #[must_use]
    pub fn input_of_event(&self, event: &Event) -> Input {
        match event {
            Event::CompleteOffline(r) => Input::CompleteOffline(self.resource(r)),
            Event::FailOffline(r) => Input::FailOffline(self.resource(r)),
            Event::CompleteOnline(r) => Input::CompleteOnline(self.resource(r)),
            Event::FailOnline(r) => Input::FailOnline(self.resource(r)),
            Event::Tick(t) => Input::Tick { ms: t.ms },
            Event::Lock(r) => Input::Lock(self.resource(r)),
            Event::Unlock(r) => Input::Unlock(self.resource(r)),
            Event::Busy(r) => Input::Busy(self.resource(r)),
            Event::Unbusy(r) => Input::Unbusy(self.resource(r)),
            Event::NetDown(link) => Input::NetDown {
                from: self.node(&link.from),
                to: self.node(&link.to),
            },
            Event::NetUp(link) => Input::NetUp {
                from: self.node(&link.from),
                to: self.node(&link.to),
            },
            Event::CrashNode(n) => Input::CrashNode(self.node(n)),
            Event::StartNode(n) => Input::StartNode(self.node(n)),
            Event::EmbeddedFailure(r) => Input::EmbeddedFailure(self.resource(r)),
            Event::InjectPanic(r) => Input::InjectPanic(self.resource(r)),
        }
    }
}

fn index(list: &[String], name: &str) -> u8 {
    list.iter()
        .position(|n| n == name)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

/// The common observation of one implementation output.
#[must_use]
pub fn obs_of(o: Output) -> Obs {
    match o {
        Output::Returned { code, op } => Obs::Returned {
            code: code.0,
            op: op.map(|o| o.0),
        },
        Output::DllCall(c) => Obs::Call(CallObs {
            node: c.node.0,
            entry: match c.entry {
                Entry::Open => ObsEntry::Open,
                Entry::Close => ObsEntry::Close,
                Entry::OnlineV2 => ObsEntry::OnlineV2,
                Entry::OfflineV2 => ObsEntry::OfflineV2,
                Entry::Terminate => ObsEntry::Terminate,
            },
            resource: c.resource.0,
            dest: c.dest.map(|d| d.0),
            flags: c.flags.bits(),
            result: Some(c.result.0),
        }),
        Output::PersistentWrite { resource, state } => Obs::PersistentWrite {
            resource: resource.0,
            state,
        },
        Output::Completed { op, result } => Obs::Completed {
            op: op.0,
            result: result.0,
        },
    }
}

/// The implementation [`Input`] of a scenario call (names resolved where the cluster wants ids).
pub fn input_of_call<D: ResourceDll>(side: &ImplSide<D>, call: &Call) -> Input {
    match call {
        Call::OfflineResource(c) => Input::OfflineResource {
            resource: c.resource.clone(),
            flags: c.flags,
            reason: c.reason,
        },
        Call::OnlineResource(r) => Input::OnlineResource {
            resource: r.resource.clone(),
        },
        Call::MoveGroup(c) => Input::MoveGroup {
            group: c.group.clone(),
            dest: c.dest.clone(),
            flags: c.flags,
        },
        Call::CancelGroupOperation(c) => Input::CancelGroupOperation {
            group: c.group.clone(),
            reserved: c.reserved,
        },
        Call::RawOfflineV2(raw) => Input::RawOfflineV2 {
            node: side.node(&raw.node),
            call: raw_offline_v2(side, raw),
        },
    }
}

/// The DLL arguments of a scenario raw call: a `resource` is named by its index (the cluster
/// passes the RESID the node holds, or a never-issued one — also for an undeclared name, I8);
/// a destination string is passed as NUL-terminated UTF-16.
fn raw_offline_v2<D: ResourceDll>(side: &ImplSide<D>, raw: &RawCall) -> RawOfflineV2<RawResid> {
    RawOfflineV2 {
        resid: match &raw.resid {
            RawResidSpec::Value(v) => RawResid::Value(usize::try_from(*v).unwrap_or(usize::MAX)),
            RawResidSpec::Resource(r) => RawResid::Of(side.resource(r)),
        },
        dest: match &raw.dest {
            None => RawDest::Null,
            Some(s) => RawDest::Units {
                units: s.encode_utf16().collect(),
                terminated: true,
            },
        },
        flags: raw.flags,
        inbuf: raw.inbuf.clone(),
        inbuf_size: raw.inbuf_size,
        reserved: raw.reserved,
    }
}

impl<D: ResourceDll> ImplSide<D> {
    /// The DLL-side state ([`crate::replay::DllView`]) through each node's
    /// [`ResourceDll::dll_state`], or `None` if a DLL cannot tell.
    #[must_use]
    pub fn dll_states(&self) -> Option<crate::replay::DllView> {
        dll_view_of(&self.cluster)
    }
}

/// The DLL-side state of every declared resource on every node of `cluster` (see
/// [`ImplSide::dll_states`]), or `None` if a DLL cannot tell.
#[must_use]
pub fn dll_view_of<D: ResourceDll>(cluster: &Cluster<D>) -> Option<crate::replay::DllView> {
    let (nodes, _, resources) = cluster.counts();
    (0..nodes)
        .map(|n| {
            let node = NodeId(u8::try_from(n).ok()?);
            (0..resources)
                .map(|r| {
                    let resource = ResourceId(u8::try_from(r).ok()?);
                    match cluster.resid(resource, node) {
                        None => Some(None),
                        Some(resid) => {
                            let state = cluster.dll(node).dll_state(resid)?;
                            Some(Some(state.map_or(-1, |s| s.cluster_value())))
                        }
                    }
                })
                .collect::<Option<Vec<_>>>()
        })
        .collect()
}

/// The host view of `cluster` (SPEC §7 `check`), declaration order.
#[must_use]
pub fn host_view_of<D: ResourceDll>(cluster: &Cluster<D>) -> HostView {
    let (_, groups, resources) = cluster.counts();
    let groups = (0..groups).filter_map(|g| u8::try_from(g).ok().map(GroupId));
    let resources = (0..resources).filter_map(|r| u8::try_from(r).ok().map(ResourceId));
    HostView {
        owner: groups.clone().map(|g| cluster.owner(g).0).collect(),
        queued: groups.map(|g| cluster.queued(g)).collect(),
        state: resources
            .clone()
            .map(|r| cluster.resource_state(r))
            .collect(),
        persistent: resources.clone().map(|r| cluster.persistent(r)).collect(),
        locked: resources.map(|r| cluster.locked(r)).collect(),
    }
}

impl<D: ResourceDll> Side for ImplSide<D> {
    fn name(&self) -> &'static str {
        "impl"
    }

    fn call(&mut self, call: &Call) -> Vec<Obs> {
        let input = input_of_call(self, call);
        self.run(input)
    }

    fn event(&mut self, event: &Event) -> Vec<Obs> {
        let input = self.input_of_event(event);
        self.run(input)
    }

    fn dll_view(&self) -> Option<crate::replay::DllView> {
        self.dll_states()
    }

    /// R13 check 4, R14, R20: [`Cluster::held`] per group.
    fn held_groups(&self) -> Option<Vec<bool>> {
        Some(
            (0..self.cluster.counts().1)
                .filter_map(|g| u8::try_from(g).ok().map(GroupId))
                .map(|g| self.cluster.held(g))
                .collect(),
        )
    }

    fn view(&self) -> HostView {
        host_view_of(&self.cluster)
    }
}
