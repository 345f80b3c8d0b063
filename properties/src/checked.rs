//! The two systems the monitors check exhaustively (issue 10), each a [`Checked`] for the one
//! wrapper [`Monitored`]:
//!
//! - [`ImplSystem`]: the implementation itself — a [`Cluster`] over the in-process reference
//!   DLL ([`ReferenceDll`], the same core the cdylib exports), whose `Clone + Hash + Eq`
//!   (I18) make it a model-checker state. Its actions come from the same [`ModelConfig`] as the
//!   model's: the client calls of [`client_calls`] while the call budget lasts, the faults the
//!   configuration enables while the fault budget lasts (each offered only when it changes
//!   something, as the model offers them), the outcomes of pending DLL work, and time: one
//!   `tick` to the cluster's next deadline ([`Cluster::poll_timeout`], R16/R19).
//! - [`ModelSystem`]: the model (`offline_v2_model`), its observations mapped to the common
//!   record by [`crate::model_side`].
//!
//! The two state counts differ because the implementation's state holds what the model
//! abstracts (M14, M15): the logical clock, the next operation id, every RESID generation
//! and the DLL instances' own words.

use offline_v2::cluster::Cluster;
use offline_v2::reference::ReferenceDll;
use offline_v2::types::{NodeId, NodeState, ResourceId, ResourceState};
use offline_v2_model::enumerate::client_calls;
use offline_v2_model::{Action, ModelConfig, Observation, State};

use crate::conformance::{scenario_of_setup, step_of_action};
use crate::impl_side::{dll_view_of, host_view_of, input_of_call, obs_of, ImplSide};
use crate::monitors::checked::{Checked, Monitored};
use crate::monitors::{StepRecord, Topology, TopologyError, ALL_RULES};
use crate::replay::Obs;
use crate::scenario::{Event, Scenario, Step};

/// The small configurations the seeded-bug table (`crate::seeded_table`) searches
/// breadth-first for each bug's shortest counterexample, smallest first: the first in which
/// the monitored check catches the bug gives the row. Each is the default bounds (2 client
/// calls of the default flag sets, 1 fault of lock/busy/crash/embedded, failing work) on
/// `Setup::uniform(2, 1, k)`: one group of one resource, of two resources (the default
/// configuration), then of one resource with a third client call. (Two groups of one
/// resource, 21k states of the implementation, exposed no further bug: it is left out.)
#[must_use]
pub fn bfs_configs() -> Vec<(&'static str, ModelConfig)> {
    use offline_v2_model::Setup;
    let of = |groups: usize, per_group: usize, calls: u8| {
        let mut cfg = ModelConfig {
            setup: Setup::uniform(2, groups, per_group),
            ..ModelConfig::default()
        };
        cfg.bounds.calls = calls;
        cfg
    };
    vec![
        (
            "2 nodes, 1 group x 1 resource, 2 calls, 1 fault",
            of(1, 1, 2),
        ),
        (
            "2 nodes, 1 group x 2 resources, 2 calls, 1 fault (default)",
            of(1, 2, 2),
        ),
        (
            "2 nodes, 1 group x 1 resource, 3 calls, 1 fault",
            of(1, 1, 3),
        ),
    ]
}

/// Why a configuration cannot be model-checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckedError {
    /// The monitors cannot index the set-up.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// The implementation refuses the set-up.
    #[error(transparent)]
    Setup(#[from] crate::impl_side::SetupError),
    /// The model cannot hold the set-up.
    #[error("the model cannot hold the set-up: {0}")]
    Model(String),
}

/// One action of the implementation's model check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImplAction {
    /// A client call, fault or outcome, named as the model names it (mapped to the scenario
    /// step by [`step_of_action`]).
    Do(Action),
    /// Time passes to the cluster's next deadline: a `tick` of this many ms (R16, R19, R22).
    Tick(u64),
}

/// A state of the implementation's model check: the cluster and what is left of the budgets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImplState {
    /// The cluster, DLL instances included (I18).
    pub cluster: Cluster<ReferenceDll>,
    /// Client calls left (issue 11's budget).
    pub calls_left: u8,
    /// Faults and heals left.
    pub faults_left: u8,
    /// The rule of the cluster's own invariant (I17) a step broke, if one did.
    pub assertion: Option<&'static str>,
}

/// The implementation as a checked system.
pub struct ImplSystem {
    cfg: ModelConfig,
    scenario: Scenario,
    topo: Topology,
    /// Resolves names for the cluster's inputs; its cluster is the initial state.
    side: ImplSide<ReferenceDll>,
}

impl ImplSystem {
    /// The implementation set up as `cfg` declares, with `cfg`'s budgets.
    ///
    /// # Errors
    /// [`CheckedError`] if the set-up cannot be monitored or built.
    pub fn new(cfg: ModelConfig) -> Result<Self, CheckedError> {
        let scenario = scenario_of_setup(&cfg.setup, "impl-check");
        let topo = Topology::new(&scenario.nodes, &scenario.groups, &scenario.config)?;
        let dlls = (0..scenario.nodes.len())
            .map(|_| ReferenceDll::new())
            .collect();
        let side = ImplSide::new(&scenario, dlls)?;
        Ok(Self {
            cfg,
            scenario,
            topo,
            side,
        })
    }

    /// The initial cluster, to adjust before the check (e.g. a seeded bug in a test).
    pub fn initial_mut(&mut self) -> &mut Cluster<ReferenceDll> {
        self.side.cluster_mut()
    }

    /// The scenario step of an action (for writing a counterexample as a scenario).
    #[must_use]
    pub fn step_of(&self, a: &ImplAction) -> Step {
        match a {
            ImplAction::Do(a) => step_of_action(&self.scenario, a),
            ImplAction::Tick(ms) => Step::Event(Event::Tick((*ms).into())),
        }
    }

    /// The set-up as a scenario without steps.
    #[must_use]
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The system wrapped with the monitors as properties.
    #[must_use]
    pub fn monitored(self) -> Monitored<Self> {
        Monitored::new(self)
    }

    fn dll_state(c: &Cluster<ReferenceDll>, r: ResourceId) -> Option<ResourceState> {
        let owner = c.owner(c.group_of(r));
        let resid = c.resid(r, owner)?;
        offline_v2::resource_dll::ResourceDll::dll_state(c.dll(owner), resid).flatten()
    }

    fn outcomes(&self, c: &Cluster<ReferenceDll>, out: &mut Vec<ImplAction>) {
        let fail = self.cfg.bounds.faults_enabled.fail_work;
        let (_, _, resources) = c.counts();
        for r in 0..resources {
            let id = ResourceId(byte(r));
            if c.node_state(c.owner(c.group_of(id))) != NodeState::Up {
                continue;
            }
            match Self::dll_state(c, id) {
                Some(ResourceState::OfflinePending) => {
                    out.push(ImplAction::Do(Action::CompleteOffline(r)));
                    if fail {
                        out.push(ImplAction::Do(Action::FailOffline(r)));
                    }
                }
                Some(ResourceState::OnlinePending) => {
                    out.push(ImplAction::Do(Action::CompleteOnline(r)));
                    if fail {
                        out.push(ImplAction::Do(Action::FailOnline(r)));
                    }
                }
                _ => {}
            }
        }
        if let Some(at) = c.poll_timeout() {
            out.push(ImplAction::Tick(at.saturating_sub(c.now())));
        }
    }

    fn faults(&self, c: &Cluster<ReferenceDll>, out: &mut Vec<ImplAction>) {
        let f = &self.cfg.bounds.faults_enabled;
        let (nodes, _, resources) = c.counts();
        let mut push = |a: Action| out.push(ImplAction::Do(a));
        for r in 0..resources {
            let id = ResourceId(byte(r));
            let g = c.group_of(id);
            let owner_up = c.node_state(c.owner(g)) == NodeState::Up;
            if f.lock {
                push(if c.environment_locked(id) {
                    Action::Unlock(r)
                } else {
                    Action::Lock(r)
                });
            }
            if f.busy {
                push(if c.environment_busy(id) {
                    Action::Unbusy(r)
                } else {
                    Action::Busy(r)
                });
            }
            let restartable = owner_up
                && !c.held(g)
                && c.resource_state(id) == ResourceState::Online
                && Self::dll_state(c, id) == Some(ResourceState::Online);
            if f.embedded && restartable {
                push(Action::EmbeddedFailure(r));
            }
            if f.panic && owner_up {
                push(Action::InjectPanic(r));
            }
        }
        for a in 0..nodes {
            let a8 = byte(a);
            if f.net {
                for b in a + 1..nodes {
                    let b8 = byte(b);
                    push(if c.link_down(NodeId(a8), NodeId(b8)) {
                        Action::NetUp(a8, b8)
                    } else {
                        Action::NetDown(a8, b8)
                    });
                }
            }
            if f.crash {
                push(if c.node_state(NodeId(a8)) == NodeState::Up {
                    Action::CrashNode(a8)
                } else {
                    Action::StartNode(a8)
                });
            }
        }
    }
}

fn byte(i: usize) -> u8 {
    u8::try_from(i).unwrap_or(u8::MAX)
}

impl Checked for ImplSystem {
    type State = ImplState;
    type Action = ImplAction;

    fn topology(&self) -> &Topology {
        &self.topo
    }

    fn init(&self) -> ImplState {
        ImplState {
            cluster: self.side.cluster().clone(),
            calls_left: self.cfg.bounds.calls,
            faults_left: self.cfg.bounds.faults,
            assertion: None,
        }
    }

    fn actions(&self, s: &ImplState, out: &mut Vec<ImplAction>) {
        if s.calls_left > 0 {
            let mut calls = Vec::new();
            client_calls(&self.cfg, &self.cfg.shape(), &mut calls);
            out.extend(calls.into_iter().map(ImplAction::Do));
        }
        self.outcomes(&s.cluster, out);
        if s.faults_left > 0 {
            self.faults(&s.cluster, out);
        }
    }

    fn step(&self, s: &ImplState, a: &ImplAction) -> Option<(ImplState, StepRecord)> {
        let step = self.step_of(a);
        let input = match &step {
            Step::Call { call, .. } => input_of_call(&self.side, call),
            Step::Event(e) => self.side.input_of_event(e),
            _ => return None,
        };
        let mut next = s.clone();
        if let ImplAction::Do(a) = a {
            if a.is_call() {
                next.calls_left = next.calls_left.saturating_sub(1);
            } else if a.is_fault() {
                next.faults_left = next.faults_left.saturating_sub(1);
            }
        }
        let now = next.cluster.now();
        let result = next.cluster.handle_input(now, input);
        let mut outputs: Vec<Obs> = Vec::new();
        while let Some(o) = next.cluster.poll_output() {
            outputs.push(obs_of(o));
        }
        if let Err(v) = result {
            next.assertion = Some(v.rule());
        }
        // Time translation (I18): states that differ only by the absolute clock are one.
        next.cluster.rebase_clock();
        let rec = StepRecord {
            index: 0,
            input: step,
            outputs,
            view: host_view_of(&next.cluster),
            dll: dll_view_of(&next.cluster),
        };
        Some((next, rec))
    }

    fn own_check_failed(&self, s: &ImplState) -> Option<&'static str> {
        s.assertion
    }

    /// SPEC §6's fair environment (P7) on the cluster's environment: pending work in the
    /// owner's DLL completes; a busy flag, a lock, a broken link, a Down node heals; else time
    /// passes to the cluster's next deadline (R16's retry, R19's timeout).
    fn fair_actions(&self, s: &ImplState, out: &mut Vec<ImplAction>) {
        let c = &s.cluster;
        let (nodes, _, resources) = c.counts();
        let mut push = |a: Action| out.push(ImplAction::Do(a));
        for r in 0..resources {
            let id = ResourceId(byte(r));
            if c.node_state(c.owner(c.group_of(id))) != NodeState::Up {
                continue;
            }
            match Self::dll_state(c, id) {
                Some(ResourceState::OfflinePending) => push(Action::CompleteOffline(r)),
                Some(ResourceState::OnlinePending) => push(Action::CompleteOnline(r)),
                _ => {}
            }
        }
        for r in 0..resources {
            if c.environment_busy(ResourceId(byte(r))) {
                push(Action::Unbusy(r));
            }
        }
        for r in 0..resources {
            if c.environment_locked(ResourceId(byte(r))) {
                push(Action::Unlock(r));
            }
        }
        for a in 0..nodes {
            for b in a + 1..nodes {
                if c.link_down(NodeId(byte(a)), NodeId(byte(b))) {
                    push(Action::NetUp(byte(a), byte(b)));
                }
            }
        }
        for n in 0..nodes {
            if c.node_state(NodeId(byte(n))) != NodeState::Up {
                push(Action::StartNode(byte(n)));
            }
        }
        if let Some(at) = c.poll_timeout() {
            out.push(ImplAction::Tick(at.saturating_sub(c.now())));
        }
    }

    fn probe(&self, group: u8, owner: u8) -> ImplAction {
        ImplAction::Do(probe_action(group, owner))
    }
}

/// MoveGroupEx of `group` to `owner`, no flags: the held-probe of P7.
fn probe_action(group: u8, owner: u8) -> Action {
    Action::MoveGroup {
        group: Some(usize::from(group)),
        dest: offline_v2_model::Dest::Node(owner),
        flags: 0,
    }
}

/// The model as a checked system: its states, its actions ([`ModelConfig`]'s enumeration),
/// its observations as records.
pub struct ModelSystem {
    cfg: ModelConfig,
    scenario: Scenario,
    topo: Topology,
}

impl ModelSystem {
    /// The model of `cfg` (witness marks off: they are not observable and only multiply the
    /// states, M2).
    ///
    /// # Errors
    /// [`CheckedError`] if the set-up cannot be monitored or held.
    pub fn new(mut cfg: ModelConfig) -> Result<Self, CheckedError> {
        cfg.setup.validate().map_err(CheckedError::Model)?;
        cfg.witnesses = false;
        let scenario = scenario_of_setup(&cfg.setup, "model-check");
        let topo = Topology::new(&scenario.nodes, &scenario.groups, &scenario.config)?;
        Ok(Self {
            cfg,
            scenario,
            topo,
        })
    }

    /// The configuration checked.
    #[must_use]
    pub fn config(&self) -> &ModelConfig {
        &self.cfg
    }

    /// The system wrapped with the monitors as properties.
    #[must_use]
    pub fn monitored(self) -> Monitored<Self> {
        Monitored::new(self)
    }
}

impl Checked for ModelSystem {
    type State = State;
    type Action = Action;

    fn topology(&self) -> &Topology {
        &self.topo
    }

    /// Every monitor but R19 (P6): the model has no clock (M15) — a `Timeout` is an event,
    /// not a `tick` of a known length — so "Terminated at the tick that reaches
    /// `pending_timeout`" is not observable on its transitions.
    fn rules(&self) -> u16 {
        ALL_RULES & !crate::monitors::rule_bit("R19")
    }

    fn init(&self) -> State {
        offline_v2_model::initial_state(&self.cfg)
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        offline_v2_model::enumerate::actions(&self.cfg, s, out);
    }

    fn step(&self, s: &State, a: &Action) -> Option<(State, StepRecord)> {
        let mut observations: Vec<Observation> = Vec::new();
        let next = offline_v2_model::step_into(&self.cfg, s, a, &mut observations);
        let rec = StepRecord {
            index: 0,
            input: step_of_action(&self.scenario, a),
            outputs: observations
                .into_iter()
                .map(crate::model_side::obs_of)
                .collect(),
            view: crate::model_side::host_view_of(
                &next,
                self.topo.groups.len(),
                self.topo.resources.len(),
            ),
            dll: None,
        };
        Some((next, rec))
    }

    fn own_check_failed(&self, s: &State) -> Option<&'static str> {
        (s.violations() != 0).then_some("model transition checks (monitor.rs)")
    }

    /// SPEC §6's fair environment (P7) on the model's environment: pending work in the DLL
    /// of an Up owner completes; a busy flag, a lock, a broken link, a Down node heals; else
    /// time passes — the model has no clock (M15), so time is its two timed events: the retry
    /// of a group the host view shows queued (R16), the timeout of a call the host view shows
    /// pending (R19). Written here from those facts, not taken from the model's own M3
    /// continuation.
    fn fair_actions(&self, s: &State, out: &mut Vec<Action>) {
        let sh = s.shape();
        let nr = sh.resources();
        let ng = usize::from(sh.groups);
        for r in 0..nr {
            if !s.is_up(s.owner(sh.group_of(r))) {
                continue;
            }
            match s.dll(r) {
                offline_v2_model::RState::OfflinePending => out.push(Action::CompleteOffline(r)),
                offline_v2_model::RState::OnlinePending => out.push(Action::CompleteOnline(r)),
                _ => {}
            }
        }
        out.extend((0..nr).filter(|&r| s.busy(r)).map(Action::Unbusy));
        out.extend((0..nr).filter(|&r| s.locked(r)).map(Action::Unlock));
        for a in 0..sh.nodes {
            for b in a + 1..sh.nodes {
                if !s.link_up(a, b) {
                    out.push(Action::NetUp(a, b));
                }
            }
        }
        out.extend(
            (0..sh.nodes)
                .filter(|&n| !s.is_up(usize::from(n)))
                .map(Action::StartNode),
        );
        out.extend((0..ng).filter(|&g| s.queued(g)).map(Action::Retry));
        let members = |g: usize| (0..nr).filter(move |&r| sh.group_of(r) == g);
        out.extend(
            (0..ng)
                .filter(|&g| members(g).any(|r| s.host(r).is_pending()))
                .map(Action::Timeout),
        );
    }

    fn probe(&self, group: u8, owner: u8) -> Action {
        probe_action(group, owner)
    }
}
