//! The pure, total transition function: [`step`] (observations as a `Vec`) and [`step_into`]
//! (observations into any [`Sink`], allocation-free). Both run the transition checks of
//! `monitor.rs`, which mark a violation in the state they return.

use crate::action::Action;
use crate::bugs::Bug;
use crate::config::ModelConfig;
use crate::monitor::Monitor;
use crate::state::{State, MAX_GROUPS};
use crate::vocab::{Discard, Observation, Persist, Sink};

/// The initial state of a configuration (D4: every resource opened on its group's owner, in
/// the state named by its persistent field; all nodes Up; full budgets).
#[must_use]
pub fn initial_state(cfg: &ModelConfig) -> State {
    let shape = cfg.shape();
    let mut s = State::empty(shape);
    for (g, gs) in cfg.setup.groups.iter().take(MAX_GROUPS).enumerate() {
        let owner = gs.owner.min(usize::from(shape.nodes).saturating_sub(1));
        s.set_owner(g, u8::try_from(owner).unwrap_or(0));
        for (i, r) in gs
            .resources
            .iter()
            .enumerate()
            .take(usize::from(shape.len[g]))
        {
            let x = shape.global(g, i);
            s.set_persistent(x, r.persistent);
            s.set_host(x, r.persistent.target());
            s.set_dll(x, r.persistent.target());
        }
    }
    s.calls_left = cfg.bounds.calls;
    s.faults_left = cfg.bounds.faults;
    s
}

/// Applies ANY action to a state (total: an event with nothing to act on changes nothing but
/// the exploration budget) and returns the new state and what an outside observer sees, in
/// order (D5).
#[must_use]
pub fn step(cfg: &ModelConfig, state: &State, action: &Action) -> (State, Vec<Observation>) {
    let mut out = Vec::new();
    let next = step_into(cfg, state, action, &mut out);
    (next, out)
}

/// [`step`] with the observations sent to `sink`; allocates nothing. The transition checks
/// run on the way (a violation is marked in the returned state, sticky).
pub fn step_into<S: Sink>(
    cfg: &ModelConfig,
    state: &State,
    action: &Action,
    sink: &mut S,
) -> State {
    let (mut next, witness) = step_witnessed(cfg, state, action, sink);
    if cfg.witnesses {
        next.set_witness(witness);
    }
    next
}

/// [`step_into`] that returns what the transition witnessed ([`crate::state::witness`]) beside
/// the state instead of marking it in the state (which then carries no witness mark): the
/// native checker collects the bits, so the `sometimes` properties add no states.
pub fn step_witnessed<S: Sink>(
    cfg: &ModelConfig,
    state: &State,
    action: &Action,
    sink: &mut S,
) -> (State, u16) {
    let mut monitor = Monitor::new(state, action, sink);
    let mut next = run(cfg, state, action, &mut monitor);
    let (violations, witness) = monitor.finish(&next);
    next.add_violations(violations);
    let witness = witness | next.witness();
    next.set_witness(0);
    (next, witness)
}

/// The engine alone, without the transition checks (the bounded-response simulation).
pub(crate) fn advance(cfg: &ModelConfig, state: &State, action: &Action) -> State {
    run(cfg, state, action, &mut Discard)
}

fn run<S: Sink>(cfg: &ModelConfig, state: &State, action: &Action, sink: &mut S) -> State {
    let mut s = *state;
    s.set_witness(0);
    let mut cx = Cx { cfg, s, out: sink };
    cx.apply(action);
    let mut s = cx.s;
    if action.is_call() {
        s.calls_left = s.calls_left.saturating_sub(1);
    } else if action.is_fault() {
        s.faults_left = s.faults_left.saturating_sub(1);
    }
    s
}

/// The transition context: the state being built and where observations go.
pub(crate) struct Cx<'a, S: Sink> {
    pub(crate) cfg: &'a ModelConfig,
    pub(crate) s: State,
    pub(crate) out: &'a mut S,
}

impl<S: Sink> Cx<'_, S> {
    fn apply(&mut self, a: &Action) {
        match *a {
            Action::OfflineResource {
                resource, flags, ..
            } => self.offline_resource(resource, flags),
            Action::OnlineResource { resource } => self.online_resource(resource),
            Action::MoveGroup { group, dest, flags } => self.move_group(group, dest, flags),
            Action::CancelGroupOperation { group, reserved } => self.cancel(group, reserved),
            Action::RawOfflineV2 { node, call } => self.raw(node, call),
            _ => self.event(a),
        }
    }

    pub(crate) fn emit(&mut self, o: Observation) {
        self.out.emit(o);
    }

    pub(crate) fn bug(&self, b: Bug) -> bool {
        self.cfg.bug == b
    }

    pub(crate) fn witness(&mut self, w: u16) {
        self.s.set_witness(self.s.witness() | w);
    }

    /// A declared global resource index.
    pub(crate) fn resource(&self, x: Option<usize>) -> Option<usize> {
        x.filter(|&r| r < self.s.shape().resources())
    }

    /// A declared group index.
    pub(crate) fn group(&self, x: Option<usize>) -> Option<usize> {
        x.filter(|&g| g < usize::from(self.s.shape().groups))
    }

    pub(crate) fn node_ok(&self, n: u8) -> bool {
        n < self.s.shape().nodes
    }

    pub(crate) fn group_of(&self, r: usize) -> usize {
        self.s.shape().group_of(r)
    }

    /// Global indices of group `g`'s resources.
    pub(crate) fn members(&self, g: usize) -> std::ops::Range<usize> {
        let sh = self.s.shape();
        let base = usize::from(sh.base[g]);
        base..base + usize::from(sh.len[g])
    }

    pub(crate) fn owner(&self, g: usize) -> u8 {
        u8::try_from(self.s.owner(g)).unwrap_or(0)
    }

    /// R11: persistent state written durably, before any DLL call it precedes (D5).
    pub(crate) fn write_persistent(&mut self, r: usize, p: Persist) {
        self.s.set_persistent(r, p);
        self.emit(Observation::PersistentWrite {
            resource: r,
            state: p,
        });
    }

    /// R14: the group's operation completes.
    pub(crate) fn complete(&mut self, g: usize, result: u32) {
        self.emit(Observation::Completed {
            op: u32::try_from(g).unwrap_or(u32::MAX),
            result,
        });
    }

    /// The answer of a client call (always the first observation, D5).
    pub(crate) fn returned(&mut self, code: u32, op: Option<usize>) {
        self.emit(Observation::Returned {
            code,
            op: op.and_then(|g| u32::try_from(g).ok()),
        });
    }
}
