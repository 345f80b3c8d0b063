//! Independent stateright model of the OfflineV2 cluster (SPEC §3–§6): a specification, not
//! a second implementation. Its state holds only what SPEC §3 makes observable and what the
//! future depends on, in a fixed-size layout (issue 11, M14–M18).
//!
//! One file per concern: [`vocab`] (codes, flags, states, observations), [`state`] (the
//! compact state), [`config`] (set-up and budgets), [`action`] (the actions), [`step`] (the
//! pure transition function), `dll`/`host`/`calls`/`flows`/`events` (the rules, by who acts),
//! `monitor` (the §6 safety properties as transition checks), [`enumerate`] (what the checker
//! tries), [`properties`] (§6 as stateright properties), [`symmetry`] (the canonical form),
//! [`bugs`] (deliberately broken variants), [`shortest`] (true shortest counterexamples).
//! The model never depends on the implementation crate.

pub mod action;
pub mod bugs;
mod calls;
pub mod config;
mod dll;
pub mod enumerate;
mod events;
pub mod explore;
mod flows;
mod host;
mod monitor;
pub mod properties;
pub mod shortest;
pub mod state;
pub mod step;
pub mod symmetry;
pub mod vocab;

pub use action::{Action, Dest, DestArg, RawCall, ResidArg};
pub use bugs::Bug;
pub use calls::null_destination;
pub use config::{Bounds, Faults, GroupSetup, ModelConfig, ResourceSetup, Setup, WorkMode};
pub use state::{Job, Move, MovePhase, NodeSym, Recover, Shape, State};
pub use step::{initial_state, step, step_into, step_witnessed};
pub use vocab::{codes, oflags, Discard, Entry, Observation, Persist, RState, Sink};

/// The pre-issue-11 module paths, kept for callers: `actions::{step, Action, …}`.
pub mod actions {
    pub use crate::action::{Action, Dest, DestArg, RawCall, ResidArg};
    pub use crate::step::{initial_state, step, step_into};
}

use stateright::{Model, Property};

impl Model for ModelConfig {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![initial_state(self)]
    }

    /// Every client call (each configured flag combination and destination) while the call
    /// budget lasts, every fault and heal that changes something while the fault budget
    /// lasts, and the free outcomes: pending work completes or fails, an outstanding call
    /// times out, a queued move is retried.
    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        enumerate::actions(self, s, out);
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        Some(step_into(self, s, &a, &mut Discard))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all(self)
    }
}

/// Getters the conformance layer compares with the implementation's host view.
impl State {
    /// Host view: state of the resource numbered `global` in declaration order.
    #[must_use]
    pub fn resource_state(&self, global: usize) -> Option<RState> {
        (global < self.shape().resources()).then(|| self.host(global))
    }

    /// Persistent state of a resource.
    #[must_use]
    pub fn persistent_of(&self, global: usize) -> Option<Persist> {
        (global < self.shape().resources()).then(|| self.persistent(global))
    }

    /// Host view: locked.
    #[must_use]
    pub fn locked_host(&self, global: usize) -> Option<bool> {
        (global < self.shape().resources()).then(|| self.host_locked(global))
    }

    /// DLL-side view (SPEC §3): what node `node`'s DLL instance believes about the resource
    /// numbered `global`, if that instance holds a RESID for it — only the group's owner, and
    /// only while it is Up (R2; a node that starts again comes up empty, R20). `None` for a
    /// node or resource the configuration does not declare.
    #[must_use]
    pub fn dll_state_on(&self, node: usize, global: usize) -> Option<RState> {
        let known = global < self.shape().resources() && node < usize::from(self.shape().nodes);
        (known && self.holds(node, global)).then(|| self.dll(global))
    }
}
