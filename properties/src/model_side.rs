//! The model as a replay [`Side`], through a refinement mapping (issue 11, M15).
//!
//! The model knows nothing of names, UTF-16, clocks or operation numbers: this adapter maps
//! a scenario's names to the model's indices and a raw call's destination string to the
//! model's syntax classes; it keeps the concrete time the abstract model leaves out — when
//! each group's outstanding call was made and when its queued move last answered
//! ERROR_RETRY — so that a `tick {ms}` becomes the abstract `Timeout`/`Retry` events that are
//! due, per group in declaration order, timeout before retry (D15, I9); and it numbers the
//! operations (the model names each by its group) 0, 1, … in acceptance order.
//!
//! The other direction — an abstract model path made concrete for the implementation — is
//! [`ModelSide::concrete_tick`]: a `Timeout` is a `tick` just long enough for the group's
//! call to reach `pending_timeout`, a `Retry` one that reaches the last attempt +
//! `retry_interval`.

use offline_v2::types::{NodeName, PersistentState, ResourceState};
use offline_v2_model::actions::{
    initial_state, step, Action, Dest, DestArg, RawCall as ModelRawCall, ResidArg,
};
use offline_v2_model::config::{GroupSetup, ModelConfig, ResourceSetup, Setup, WorkMode};
use offline_v2_model::vocab::{codes, Entry, Observation, Persist, RState};
use offline_v2_model::State;

use crate::replay::{CallObs, DllView, HostView, Obs, ObsEntry, Side};
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

/// The concrete time and operation numbers the abstract model leaves out.
#[derive(Debug, Clone, Default)]
struct Clock {
    /// Logical ms since set-up (R22).
    now: u64,
    /// Per group: when its outstanding call was made (R19).
    started: Vec<Option<u64>>,
    /// Per group: when its queued move's last attempt answered ERROR_RETRY (R16).
    tried: Vec<Option<u64>>,
    /// Per group: the number of its operation in flight.
    ops: Vec<Option<u32>>,
    next_op: u32,
}

/// The model under replay.
pub struct ModelSide {
    cfg: ModelConfig,
    state: State,
    clock: Clock,
    nodes: Vec<String>,
    groups: Vec<String>,
    resources: Vec<String>,
}

impl ModelSide {
    /// Sets up `scenario` on the model.
    ///
    /// # Errors
    /// The set-up exceeds what the model holds (`Setup::validate`).
    pub fn new(scenario: &Scenario) -> Result<Self, String> {
        Self::with_config(scenario, ModelConfig::from_setup(model_setup(scenario)))
    }

    /// Sets up `scenario` on a given model configuration (e.g. one with a deliberate bug).
    ///
    /// # Errors
    /// As [`ModelSide::new`].
    pub fn with_config(scenario: &Scenario, cfg: ModelConfig) -> Result<Self, String> {
        cfg.setup.validate()?;
        let groups = cfg.setup.groups.len();
        let state = initial_state(&cfg);
        Ok(Self {
            cfg,
            state,
            clock: Clock {
                started: vec![None; groups],
                tried: vec![None; groups],
                ops: vec![None; groups],
                ..Clock::default()
            },
            nodes: scenario.nodes.clone(),
            groups: scenario.groups.iter().map(|g| g.name.clone()).collect(),
            resources: scenario.resource_names().map(str::to_owned).collect(),
        })
    }

    /// The model state now.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Puts the model in `state` (the Explorer shows any state of the search with names). The
    /// concrete clock is left as it is: only [`ModelSide::concrete_tick`] reads it.
    pub fn set_state(&mut self, state: State) {
        self.state = state;
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
            call: ModelRawCall {
                resid: match &raw.resid {
                    RawResidSpec::Resource(r) => ResidArg::Held(self.resource(r)),
                    RawResidSpec::Value(_) => ResidArg::Forged,
                },
                dest: self.raw_dest(&raw.node, raw.dest.as_deref()),
                flags: raw.flags,
                inbuf_null: raw.inbuf.is_none(),
                inbuf_size: raw.inbuf_size,
                reserved: raw.reserved,
            },
        }
    }

    fn raw_dest(&self, node: &str, dest: Option<&str>) -> DestArg {
        let Some(d) = dest else {
            return DestArg::None;
        };
        match (NodeName::new(d), self.nodes.iter().position(|n| n == d)) {
            (Err(_), _) => DestArg::Invalid,
            (Ok(_), Some(i)) => u8::try_from(i).map_or(DestArg::Invalid, DestArg::Valid),
            // A valid name of no declared node: the DLL checks only syntax (R1) and a link
            // to it is never down (R5), exactly like the calling node's own name.
            (Ok(_), None) => DestArg::Valid(self.node(node)),
        }
    }

    /// The model action of a scenario event other than `tick` (time is [`ModelSide::tick`]).
    #[must_use]
    pub fn action_of_event(&self, event: &Event) -> Option<Action> {
        Some(match event {
            Event::CompleteOffline(r) => Action::CompleteOffline(self.resource(r)),
            Event::FailOffline(r) => Action::FailOffline(self.resource(r)),
            Event::CompleteOnline(r) => Action::CompleteOnline(self.resource(r)),
            Event::FailOnline(r) => Action::FailOnline(self.resource(r)),
            Event::Tick(_) => return None,
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
        })
    }

    /// Applies one abstract model action, returning the common observations.
    pub fn apply(&mut self, action: &Action) -> Vec<Obs> {
        let (next, observations) = step(&self.cfg, &self.state, action);
        self.state = next;
        self.follow(&observations);
        observations.into_iter().map(|o| self.obs_of(o)).collect()
    }

    /// `tick {ms}`: time advances; then, per group in declaration order, its R19 timeout
    /// fires if its call has been pending for `pending_timeout`, then its R16 retry if the
    /// last attempt was `retry_interval` ago (D15, I9).
    pub fn tick(&mut self, ms: u64) -> Vec<Obs> {
        self.clock.now = self.clock.now.saturating_add(ms);
        let now = self.clock.now;
        let mut out = Vec::new();
        for g in 0..self.clock.started.len() {
            let due = |t: Option<u64>, wait: u64| t.is_some_and(|t| now.saturating_sub(t) >= wait);
            if due(self.clock.started[g], self.cfg.setup.pending_timeout) {
                out.extend(self.apply(&Action::Timeout(g)));
            }
            if due(self.clock.tried[g], self.cfg.setup.retry_interval) {
                out.extend(self.apply(&Action::Retry(g)));
            }
        }
        out
    }

    /// The `tick` that makes an abstract `Timeout`/`Retry` happen now: just long enough for
    /// the group's outstanding call to reach `pending_timeout`, or its queued move to reach
    /// the last attempt + `retry_interval`. None for any other action, or when the group has
    /// no such call or queued move.
    #[must_use]
    pub fn concrete_tick(&self, action: &Action) -> Option<u64> {
        let (at, wait) = match *action {
            Action::Timeout(g) => (
                self.clock.started.get(g).copied()??,
                self.cfg.setup.pending_timeout,
            ),
            Action::Retry(g) => (
                self.clock.tried.get(g).copied()??,
                self.cfg.setup.retry_interval,
            ),
            _ => return None,
        };
        Some(at.saturating_add(wait).saturating_sub(self.clock.now))
    }

    /// Updates the concrete timers after an abstract step (the refinement mapping of time).
    fn follow(&mut self, observations: &[Observation]) {
        let now = self.clock.now;
        for g in 0..self.clock.started.len() {
            let made = |answer: u32, offline_only: bool| {
                observations.iter().any(|o| match *o {
                    Observation::Call {
                        entry,
                        resource,
                        result,
                        ..
                    } => {
                        let ours = entry == Entry::OfflineV2
                            || (!offline_only && entry == Entry::OnlineV2);
                        ours && result == answer
                            && self.cfg.setup.locate(resource).map(|x| x.0) == Some(g)
                    }
                    _ => false,
                })
            };
            if self.state.outstanding(g).is_none() {
                self.clock.started[g] = None;
            } else if made(codes::ERROR_IO_PENDING, false) {
                self.clock.started[g] = Some(now);
            }
            if !self.state.queued(g) {
                self.clock.tried[g] = None;
            } else if made(codes::ERROR_RETRY, true) {
                self.clock.tried[g] = Some(now);
            }
        }
    }

    /// The common observation of one model observation, with the operations numbered in
    /// acceptance order as the implementation numbers them.
    fn obs_of(&mut self, o: Observation) -> Obs {
        match (o, obs_of(o)) {
            (Observation::Returned { op: Some(g), .. }, Obs::Returned { code, .. }) => {
                let number = self.clock.next_op;
                self.clock.next_op += 1;
                if let Some(slot) = self.clock.ops.get_mut(g as usize) {
                    *slot = Some(number);
                }
                Obs::Returned {
                    code,
                    op: Some(number),
                }
            }
            (Observation::Completed { op: g, result }, _) => Obs::Completed {
                op: self
                    .clock
                    .ops
                    .get_mut(g as usize)
                    .and_then(Option::take)
                    .unwrap_or(u32::MAX),
                result,
            },
            (_, common) => common,
        }
    }
}

/// The common observation of one model observation; an operation keeps the model's name for
/// it (its group's index) — [`ModelSide`] numbers them in acceptance order instead.
#[must_use]
pub fn obs_of(o: Observation) -> Obs {
    let idx = |i: usize| u8::try_from(i).unwrap_or(u8::MAX);
    match o {
        Observation::Returned { code, op } => Obs::Returned { code, op },
        Observation::Completed { op, result } => Obs::Completed { op, result },
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
        match (event, self.action_of_event(event)) {
            (Event::Tick(t), _) => self.tick(t.ms),
            (_, Some(action)) => self.apply(&action),
            (_, None) => Vec::new(),
        }
    }

    fn view(&self) -> HostView {
        host_view_of(&self.state, self.groups.len(), self.resources.len())
    }

    /// R13 check 4, R14, R20: the model's own reading of held (something in flight or
    /// settling, or the owner Down).
    fn held_groups(&self) -> Option<Vec<bool>> {
        Some((0..self.groups.len()).map(|g| self.state.held(g)).collect())
    }

    /// The model's copy of the DLL-side state (SPEC §3) in the implementation's shape: per
    /// node, per resource, the `CLUSTER_RESOURCE_STATE` value of what the owner's instance
    /// believes, `None` where no instance holds a RESID for it (a non-owner, a Down node).
    fn dll_view(&self) -> Option<DllView> {
        let s = &self.state;
        Some(
            (0..self.nodes.len())
                .map(|n| {
                    (0..self.resources.len())
                        .map(|r| s.dll_state_on(n, r).map(|x| state_of(x).cluster_value()))
                        .collect()
                })
                .collect(),
        )
    }
}

/// The host view of a model state with `groups` groups and `n` resources (SPEC §7 `check`).
#[must_use]
pub fn host_view_of(s: &State, groups: usize, n: usize) -> HostView {
    HostView {
        owner: (0..groups)
            .map(|g| u8::try_from(s.owner(g)).unwrap_or(u8::MAX))
            .collect(),
        queued: (0..groups).map(|g| s.queued(g)).collect(),
        state: (0..n)
            .map(|r| s.resource_state(r).map_or(ResourceState::Failed, state_of))
            .collect(),
        persistent: (0..n)
            .map(|r| {
                s.persistent_of(r)
                    .map_or(PersistentState::Offline, persistent_of)
            })
            .collect(),
        locked: (0..n).map(|r| s.locked_host(r).unwrap_or(false)).collect(),
    }
}
