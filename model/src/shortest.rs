//! A plain single-threaded BFS over [`step`](crate::step) that returns the *shortest* action
//! sequence to a state matching a predicate (M6: stateright 0.31's BFS overwrites an
//! `always` discovery with later ones of the same 1,500-state block, so its counterexamples
//! are short but not always shortest; the native checker, M17, keeps no paths at all).

use std::collections::{HashMap, VecDeque};

use crate::enumerate::actions;
use crate::state::fingerprint;
use crate::{step_into, Action, Discard, ModelConfig, State};

/// The shortest sequence of enumerated actions from the initial state to a state where `ok`
/// is false, or None if every reachable state satisfies it.
#[must_use]
pub fn shortest_counterexample(
    cfg: &ModelConfig,
    ok: fn(&ModelConfig, &State) -> bool,
) -> Option<Vec<Action>> {
    shortest_path(cfg, |s, _| !ok(cfg, s))
}

/// The shortest sequence of enumerated actions from the initial state to a state for which
/// `target(state, is_terminal)` holds. States are remembered by fingerprint, each with its
/// parent's fingerprint and the action from it.
#[must_use]
pub fn shortest_path(
    cfg: &ModelConfig,
    mut target: impl FnMut(&State, bool) -> bool,
) -> Option<Vec<Action>> {
    let init = crate::initial_state(cfg);
    let mut parent: HashMap<u64, Option<(u64, Action)>> = HashMap::new();
    parent.insert(fingerprint(&init), None);
    let mut queue = VecDeque::from([init]);
    let mut enabled = Vec::new();
    while let Some(s) = queue.pop_front() {
        enabled.clear();
        actions(cfg, &s, &mut enabled);
        if target(&s, enabled.is_empty()) {
            let mut trace = Vec::new();
            let mut cur = fingerprint(&s);
            while let Some(Some((prev, a))) = parent.get(&cur).copied() {
                trace.push(a);
                cur = prev;
            }
            trace.reverse();
            return Some(trace);
        }
        let here = fingerprint(&s);
        for a in &enabled {
            let next = step_into(cfg, &s, a, &mut Discard);
            let fp = fingerprint(&next);
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(fp) {
                e.insert(Some((here, *a)));
                queue.push_back(next);
            }
        }
    }
    None
}
