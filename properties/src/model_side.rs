//! The model as a replay [`Side`]: `offline_v2_model::step` applied to a model [`State`].
//!
//! The model knows nothing of names or UTF-16: this adapter maps a scenario's names to the
//! model's indices, and a raw call's destination string to the model's syntax classes.

use offline_v2::types::{NodeName, PersistentState, ResourceState};
use offline_v2_model::actions::{initial_state, step, Action, Dest, DestArg, ResidArg};
use offline_v2_model::config::{GroupSetup, ModelConfig, ResourceSetup, Setup, WorkMode};
use offline_v2_model::state::{Entry, Observation, Persist, RState, State};

use crate::replay::{CallObs, HostView, Obs, ObsEntry, Side};
use crate::scenario::{Call, Event, RawCall, RawResidSpec, Scenario};

/// The model [`Setup`] a scenario declares.
#[must_use]
pub fn model_setup(s: &Scenario) -> Setup {
    let mode = |m: offline_v2::types::WorkMode| match m {
        offline_v2::types::WorkMode::Sync => WorkMode::Sync,
        offline_v2::types::WorkMode::Pending => WorkMode::Pending,
    };
    Setup {
        nodes: s.nodes.clone(),
        groups: s
            .groups
            .iter()
            .map(|g| GroupSetup {
                name: g.name.clone(),
                owner: s.nodes.iter().position(|n| *n == g.owner).unwrap_or(0),
                resources: g
                    .resources
                    .iter()
                    .map(|r| ResourceSetup {
                        name: r.name.clone(),
                        persistent: persist_of(r.persistent),
                        offline: mode(r.offline),
                        online: mode(r.online),
                    })
                    .collect(),
            })
            .collect(),
        pending_timeout: s.config.pending_timeout,
        retry_interval: s.config.retry_interval,
    }
}

fn persist_of(p: PersistentState) -> Persist {
    match p {
        PersistentState::Online => Persist::Online,
        PersistentState::Offline => Persist::Offline,
    }
}

fn persistent_of(p: Persist) -> PersistentState {
    match p {
        Persist::Online => PersistentState::Online,
        Persist::Offline => PersistentState::Offline,
    }
}

fn state_of(s: RState) -> ResourceState {
    match s {
        RState::Offline => ResourceState::Offline,
        RState::OnlinePending => ResourceState::OnlinePending,
        RState::Online => ResourceState::Online,
        RState::OfflinePending => ResourceState::OfflinePending,
        RState::Failed => ResourceState::Failed,
    }
}

/// The model under replay.
pub struct ModelSide {
    cfg: ModelConfig,
    state: State,
    nodes: Vec<String>,
    groups: Vec<String>,
    resources: Vec<String>,
}

impl ModelSide {
    /// Sets up `scenario` on the model.
    #[must_use]
    pub fn new(scenario: &Scenario) -> Self {
        Self::with_config(scenario, ModelConfig::from_setup(model_setup(scenario)))
    }

    /// Sets up `scenario` on a given model configuration (e.g. one with a deliberate bug).
    #[must_use]
    pub fn with_config(scenario: &Scenario, cfg: ModelConfig) -> Self {
        let state = initial_state(&cfg);
        Self {
            cfg,
            state,
            nodes: scenario.nodes.clone(),
            groups: scenario.groups.iter().map(|g| g.name.clone()).collect(),
            resources: scenario.resource_names().map(str::to_owned).collect(),
        }
    }

    /// The model state now.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    fn node(&self, name: &str) -> u8 {
        self.nodes
            .iter()
            .position(|n| n == name)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(u8::MAX)
    }

    fn resource(&self, name: &str) -> usize {
        self.resources
            .iter()
            .position(|n| n == name)
            .unwrap_or(usize::MAX)
    }

    /// The model action of a scenario call.
    #[must_use]
    pub fn action_of_call(&self, call: &Call) -> Action {
        match call {
            Call::OfflineResource(c) => Action::OfflineResource {
                resource: self.resources.iter().position(|n| *n == c.resource),
                flags: c.flags.bits(),
                reason: c.reason.value(),
            },
            Call::OnlineResource(r) => Action::OnlineResource {
                resource: self.resources.iter().position(|n| *n == r.resource),
            },
            Call::MoveGroup(c) => Action::MoveGroup {
                group: self.groups.iter().position(|n| *n == c.group),
                dest: match &c.dest {
                    None => Dest::Null,
                    Some(d) => match self.nodes.iter().position(|n| n == d) {
                        Some(i) => u8::try_from(i).map_or(Dest::Unknown, Dest::Node),
                        None => Dest::Unknown,
                    },
                },
                flags: c.flags.bits(),
            },
            Call::CancelGroupOperation(c) => Action::CancelGroupOperation {
                group: self.groups.iter().position(|n| *n == c.group),
                reserved: c.reserved,
            },
            Call::RawOfflineV2(raw) => self.action_of_raw(raw),
        }
    }

    /// The model action of a raw call: the model knows nodes by index and a destination only
    /// by its syntax class.
    fn action_of_raw(&self, raw: &RawCall) -> Action {
        Action::RawOfflineV2 {
            node: self.node(&raw.node),
            resid: match &raw.resid {
                RawResidSpec::Resource(r) => ResidArg::Held(self.resource(r)),
                RawResidSpec::Value(_) => ResidArg::Forged,
            },
            dest: match &raw.dest {
                None => DestArg::None,
                Some(d) => match (NodeName::new(d), self.nodes.iter().position(|n| n == d)) {
                    (Err(_), _) => DestArg::Invalid,
                    (Ok(_), Some(i)) => u8::try_from(i).map_or(DestArg::Invalid, DestArg::Valid),
                    // A valid name of no declared node: the DLL checks only syntax (R1) and a
                    // link to it is never down (R5), exactly like the calling node's own name,
                    // which the model knows.
                    (Ok(_), None) => DestArg::Valid(self.node(&raw.node)),
                },
            },
            flags: raw.flags,
            inbuf_null: raw.inbuf.is_none(),
            inbuf_size: raw.inbuf_size,
            reserved: raw.reserved,
        }
    }

    /// The model action of a scenario event.
    #[must_use]
    pub fn action_of_event(&self, event: &Event) -> Action {
        match event {
            Event::CompleteOffline(r) => Action::CompleteOffline(self.resource(r)),
            Event::FailOffline(r) => Action::FailOffline(self.resource(r)),
            Event::CompleteOnline(r) => Action::CompleteOnline(self.resource(r)),
            Event::FailOnline(r) => Action::FailOnline(self.resource(r)),
            Event::Tick(t) => Action::Tick(t.ms),
            Event::Lock(r) => Action::Lock(self.resource(r)),
            Event::Unlock(r) => Action::Unlock(self.resource(r)),
            Event::Busy(r) => Action::Busy(self.resource(r)),
            Event::Unbusy(r) => Action::Unbusy(self.resource(r)),
            Event::NetDown(l) => Action::NetDown(self.node(&l.from), self.node(&l.to)),
            Event::NetUp(l) => Action::NetUp(self.node(&l.from), self.node(&l.to)),
            Event::CrashNode(n) => Action::CrashNode(self.node(n)),
            Event::StartNode(n) => Action::StartNode(self.node(n)),
            Event::EmbeddedFailure(r) => Action::EmbeddedFailure(self.resource(r)),
            Event::InjectPanic(r) => Action::InjectPanic(self.resource(r)),
        }
    }

    /// Applies a model action, returning the common observations.
    pub fn apply(&mut self, action: &Action) -> Vec<Obs> {
        let (next, observations) = step(&self.cfg, &self.state, action);
        self.state = next;
        observations.into_iter().map(obs_of).collect()
    }
}

/// The common observation of one model observation.
#[must_use]
pub fn obs_of(o: Observation) -> Obs {
    let idx = |i: usize| u8::try_from(i).unwrap_or(u8::MAX);
    match o {
        Observation::Returned { code, op } => Obs::Returned { code, op },
        Observation::Call {
            node,
            entry,
            resource,
            dest,
            flags,
            result,
        } => Obs::Call(CallObs {
            node,
            entry: match entry {
                Entry::Open => ObsEntry::Open,
                Entry::Close => ObsEntry::Close,
                Entry::OnlineV2 => ObsEntry::OnlineV2,
                Entry::OfflineV2 => ObsEntry::OfflineV2,
                Entry::Terminate => ObsEntry::Terminate,
            },
            resource: idx(resource),
            dest,
            flags: u32::from(flags),
            result: Some(result),
        }),
        Observation::PersistentWrite { resource, state } => Obs::PersistentWrite {
            resource: idx(resource),
            state: persistent_of(state),
        },
        Observation::Completed { op, result } => Obs::Completed { op, result },
    }
}

impl Side for ModelSide {
    fn name(&self) -> &'static str {
        "model"
    }

    fn call(&mut self, call: &Call) -> Vec<Obs> {
        let action = self.action_of_call(call);
        self.apply(&action)
    }

    fn event(&mut self, event: &Event) -> Vec<Obs> {
        let action = self.action_of_event(event);
        self.apply(&action)
    }

    fn view(&self) -> HostView {
        let s = &self.state;
        let cfg = &self.cfg;
        let n = self.resources.len();
        HostView {
            owner: (0..self.groups.len())
                .map(|g| u8::try_from(s.owner(g)).unwrap_or(u8::MAX))
                .collect(),
            queued: (0..self.groups.len()).map(|g| s.queued(g)).collect(),
            state: (0..n)
                .map(|r| {
                    s.resource_state(cfg, r)
                        .map_or(ResourceState::Failed, state_of)
                })
                .collect(),
            persistent: (0..n)
                .map(|r| {
                    s.persistent(cfg, r)
                        .map_or(PersistentState::Offline, persistent_of)
                })
                .collect(),
            locked: (0..n)
                .map(|r| s.locked_host(cfg, r).unwrap_or(false))
                .collect(),
        }
    }
}
