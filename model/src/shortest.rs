//! A plain single-threaded BFS over [`step`](crate::step) that returns the *shortest* action
//! sequence to a state violating a predicate (M6: stateright 0.31's BFS overwrites an
//! `always` discovery with later ones of the same 1,500-state block, so its counterexamples
//! are short but not always shortest).

use std::collections::{HashMap, VecDeque};

use stateright::Model;

use crate::{step, Action, ModelConfig, State};

/// The shortest sequence of enumerated actions from the initial state to a state where `ok`
/// is false, or None if every reachable state satisfies it.
#[must_use]
pub fn shortest_counterexample(
    cfg: &ModelConfig,
    ok: fn(&ModelConfig, &State) -> bool,
) -> Option<Vec<Action>> {
    let init = crate::initial_state(cfg);
    let mut parent: HashMap<State, Option<(State, Action)>> = HashMap::new();
    parent.insert(init.clone(), None);
    let mut queue = VecDeque::from([init]);
    let mut actions = Vec::new();
    while let Some(s) = queue.pop_front() {
        if !ok(cfg, &s) {
            let mut trace = Vec::new();
            let mut cur = s;
            while let Some(Some((prev, a))) = parent.get(&cur).cloned() {
                trace.push(a);
                cur = prev;
            }
            trace.reverse();
            return Some(trace);
        }
        actions.clear();
        cfg.actions(&s, &mut actions);
        for a in actions.drain(..) {
            let next = step(cfg, &s, &a).0;
            if !parent.contains_key(&next) {
                parent.insert(next.clone(), Some((s.clone(), a)));
                queue.push_back(next);
            }
        }
    }
    None
}
