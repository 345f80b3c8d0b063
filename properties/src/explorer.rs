//! The model as `offline-v2 explore` shows it in stateright's Explorer (issue 14, U9): each
//! state as a compact view of its named facts ([`describe::compact`]: nodes Up/Down, group
//! owners and queued moves, resource state, persistent state and lock), each action as the
//! SPEC §7 scenario step it is (`{"call":"move_group","group":"g1",...}`), and each step's
//! outcome as its outputs (return code, DLL calls with flag names, completions) followed by
//! the facts it changed. The plain model would show Rust `Debug` text of the packed state.
//!
//! The search itself is the model's: [`Named`] forwards actions, successors and properties to
//! the [`ModelConfig`] and only wraps each state with a handle to the names.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use offline_v2_model::actions::Action;
use offline_v2_model::config::ModelConfig;
use offline_v2_model::State;
use stateright::{Model, Property};

use crate::conformance::scenario_of_setup;
use crate::describe;
use crate::model_side::ModelSide;
use crate::replay::Names;
use crate::scenario::Scenario;

/// What names a state: the set-up as a scenario and a model side to read facts through.
struct Namer {
    scenario: Scenario,
    side: Mutex<ModelSide>,
}

impl Namer {
    fn facts(&self, state: &State) -> Vec<(String, String)> {
        let mut side = self.side.lock().unwrap_or_else(PoisonError::into_inner);
        side.set_state(*state);
        describe::facts(&self.scenario, &side)
    }

    /// The outputs of `action` from `state`, then the facts it changed.
    fn outcome(&self, state: &State, action: &Action) -> String {
        let mut side = self.side.lock().unwrap_or_else(PoisonError::into_inner);
        side.set_state(*state);
        let before = describe::facts(&self.scenario, &side);
        let outputs = side.apply(action);
        let after = describe::facts(&self.scenario, &side);
        let names = Names(&self.scenario);
        let mut text: String = outputs
            .iter()
            .map(|o| format!("→ {}\n", names.obs(o)))
            .collect();
        for c in describe::changes(&before, &after) {
            text.push_str(&format!("{}: {} → {}\n", c.what, c.from, c.to));
        }
        text
    }
}

/// A model state with the names to show it by (equality and hash: the state only).
#[derive(Clone)]
pub struct NamedState {
    /// The model's state.
    pub state: State,
    namer: Arc<Namer>,
}

impl PartialEq for NamedState {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

impl Eq for NamedState {}

impl Hash for NamedState {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.state.hash(h);
    }
}

impl fmt::Debug for NamedState {
    /// The compact view (the Explorer prints states with `{:#?}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe::compact(&self.namer.facts(&self.state)))
    }
}

/// The model configuration as the Explorer shows it.
pub struct Named {
    cfg: ModelConfig,
    props: Vec<Property<ModelConfig>>,
    namer: Arc<Namer>,
}

impl Named {
    /// `cfg` with its set-up's names (nodes n1…, groups g1…, resources r1…).
    ///
    /// # Errors
    /// The set-up exceeds what the model holds.
    pub fn new(cfg: ModelConfig) -> Result<Self, String> {
        let scenario = scenario_of_setup(&cfg.setup, "explore");
        let side = ModelSide::with_config(&scenario, cfg.clone())?;
        let props = cfg.properties();
        if props.len() > MAX_PROPERTIES {
            return Err(format!(
                "the Explorer forwards at most {MAX_PROPERTIES} properties, the model has {}",
                props.len()
            ));
        }
        Ok(Named {
            cfg,
            props,
            namer: Arc::new(Namer {
                scenario,
                side: Mutex::new(side),
            }),
        })
    }

    fn named(&self, state: State) -> NamedState {
        NamedState {
            state,
            namer: Arc::clone(&self.namer),
        }
    }

    /// The SPEC §7 step of `action` as one line of JSON; a `Timeout`/`Retry` (M15) as the `tick`
    /// it abstracts, without a length: the Explorer's states carry no clock.
    #[must_use]
    pub fn step_text(&self, action: &Action) -> String {
        let scenario = &self.namer.scenario;
        match action {
            Action::Timeout(g) | Action::Retry(g) => {
                let group = scenario.groups.get(*g).map_or("?", |x| x.name.as_str());
                let what = if matches!(action, Action::Timeout(_)) {
                    "pending_timeout of the group's outstanding call"
                } else {
                    "retry_interval of the group's queued move"
                };
                format!(r#"{{"event":"tick"}} ({what} reached, group {group})"#)
            }
            other => describe::step_json(scenario, other).to_string(),
        }
    }
}

/// How many properties the wrapper can forward (one function per index).
pub const MAX_PROPERTIES: usize = 32;

fn forward<const I: usize>(m: &Named, s: &NamedState) -> bool {
    m.props
        .get(I)
        .is_none_or(|p| (p.condition)(&m.cfg, &s.state))
}

macro_rules! forwarders {
    ($($i:literal)*) => {
        fn condition(i: usize) -> fn(&Named, &NamedState) -> bool {
            match i {
                $($i => forward::<$i>,)*
                _ => forward::<{ MAX_PROPERTIES - 1 }>,
            }
        }
    };
}
forwarders!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
    31);

impl Model for Named {
    type State = NamedState;
    type Action = Action;

    fn init_states(&self) -> Vec<NamedState> {
        self.cfg
            .init_states()
            .into_iter()
            .map(|s| self.named(s))
            .collect()
    }

    fn actions(&self, state: &NamedState, actions: &mut Vec<Action>) {
        self.cfg.actions(&state.state, actions);
    }

    fn next_state(&self, last: &NamedState, action: Action) -> Option<NamedState> {
        self.cfg
            .next_state(&last.state, action)
            .map(|s| self.named(s))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.props
            .iter()
            .enumerate()
            .map(|(i, p)| Property {
                expectation: p.expectation.clone(),
                name: p.name,
                condition: condition(i),
            })
            .collect()
    }

    fn within_boundary(&self, state: &NamedState) -> bool {
        self.cfg.within_boundary(&state.state)
    }

    fn format_action(&self, action: &Action) -> String {
        self.step_text(action)
    }

    fn format_step(&self, last: &NamedState, action: Action) -> Option<String> {
        Some(self.namer.outcome(&last.state, &action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_spec_steps_and_states_named_facts_where_the_plain_model_shows_debug_text() {
        let cfg = ModelConfig::default();
        let named = Named::new(cfg.clone()).expect("the default set-up");
        let init = named.init_states().remove(0);
        let mut actions = Vec::new();
        named.actions(&init, &mut actions);
        let mv = actions
            .iter()
            .find(|a| matches!(a, Action::MoveGroup { .. }))
            .copied()
            .expect("a move is enabled");
        // The plain model (what the Explorer showed before) names neither.
        assert!(cfg.format_action(&mv).starts_with("MoveGroup"));
        assert!(!format!("{:#?}", init.state).contains("owner n1"));
        let text = named.format_action(&mv);
        assert!(
            text.starts_with(r#"{"call":"move_group","group":"g1""#),
            "{text}"
        );
        let view = format!("{init:#?}");
        assert!(view.contains("node n1: Up\n"), "{view}");
        assert!(
            view.contains("group g1: owner n1, queued move no\n"),
            "{view}"
        );
        assert!(view.contains("resource r1: state Online"), "{view}");
        let outcome = named.format_step(&init, mv).expect("an outcome");
        assert!(outcome.starts_with("→ returned "), "{outcome}");
        // Properties are the model's.
        assert_eq!(named.properties().len(), cfg.properties().len());
        let prop = &named.properties()[0];
        assert!((prop.condition)(&named, &init));
    }
}
