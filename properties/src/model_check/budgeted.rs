//! A model wrapper that lets a watcher stop stateright's search at once (U2), and the budgeted
//! searches around a checker run.
//!
//! Once the stop flag is set, [`Budgeted`] offers no more actions and answers every property
//! with its neutral value (`always`/`eventually` hold, `sometimes` has no example), so the
//! checker drains its queue without expanding or reporting anything new, and frees it. A
//! discovery made before the stop is genuine for `always` and `sometimes`; an `eventually`
//! discovery could sit at a state the stop made terminal, so the caller re-checks it on the
//! real model ([`real_eventually_counterexample`]).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use stateright::{Expectation, Model, Property};

/// `inner` with a stop flag.
pub struct Budgeted<M: Model> {
    inner: M,
    props: Vec<Property<M>>,
    stop: Arc<AtomicBool>,
}

impl<M: Model> Budgeted<M> {
    /// Wraps `inner` (at most [`MAX_PROPERTIES`] properties are forwarded).
    pub fn new(inner: M) -> Self {
        let props = inner.properties();
        assert!(
            props.len() <= MAX_PROPERTIES,
            "the budget wrapper forwards at most {MAX_PROPERTIES} properties"
        );
        Budgeted {
            inner,
            props,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The flag that stops the search when set.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// How many properties the wrapper can forward (one monomorphized function per index).
pub const MAX_PROPERTIES: usize = 48;

/// Property `I` of the wrapped model, or its neutral value once stopped.
fn forward<M: Model, const I: usize>(m: &Budgeted<M>, s: &M::State) -> bool {
    let Some(p) = m.props.get(I) else {
        return true;
    };
    if m.stopped() {
        return !matches!(p.expectation, Expectation::Sometimes);
    }
    (p.condition)(&m.inner, s)
}

macro_rules! forwarders {
    ($($i:literal)*) => {
        fn condition<M: Model>(i: usize) -> fn(&Budgeted<M>, &M::State) -> bool {
            match i {
                $($i => forward::<M, $i>,)*
                _ => forward::<M, { MAX_PROPERTIES - 1 }>,
            }
        }
    };
}
forwarders!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
    31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47);

impl<M: Model> Model for Budgeted<M> {
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<Self::State> {
        self.inner.init_states()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        if !self.stopped() {
            self.inner.actions(state, actions);
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.inner.next_state(last, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.props
            .iter()
            .enumerate()
            .map(|(i, p)| Property {
                expectation: p.expectation.clone(),
                name: p.name,
                condition: condition::<M>(i),
            })
            .collect()
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        self.inner.within_boundary(state)
    }
}

/// Each reached state's predecessor and the action that led to it (`None`: an initial state).
type Parents<M> = HashMap<<M as Model>::State, Option<(<M as Model>::State, <M as Model>::Action)>>;

/// The shortest action sequence from an initial state to a state where `ok` is false (plain
/// BFS over `model`), or `None` if there is none or the deadline or state limit comes first.
pub fn shortest_violation<M>(
    model: &M,
    ok: fn(&M, &M::State) -> bool,
    deadline: Option<Instant>,
    max_states: Option<u64>,
) -> Option<Vec<M::Action>>
where
    M: Model,
    M::State: Clone + Eq + Hash,
    M::Action: Clone,
{
    let mut parent: Parents<M> = HashMap::new();
    let mut queue = VecDeque::new();
    for init in model.init_states() {
        if parent.insert(init.clone(), None).is_none() {
            queue.push_back(init);
        }
    }
    let mut actions = Vec::new();
    let mut visited = 0u64;
    while let Some(s) = queue.pop_front() {
        visited += 1;
        if visited % 256 == 1 && deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        if !ok(model, &s) {
            let mut trace = Vec::new();
            let mut cur = s;
            while let Some(Some((prev, a))) = parent.get(&cur).cloned() {
                trace.push(a);
                cur = prev;
            }
            trace.reverse();
            return Some(trace);
        }
        if max_states.is_some_and(|n| parent.len() as u64 >= n) {
            continue;
        }
        model.actions(&s, &mut actions);
        for a in actions.drain(..) {
            let Some(next) = model.next_state(&s, a.clone()) else {
                continue;
            };
            if model.within_boundary(&next) && !parent.contains_key(&next) {
                parent.insert(next.clone(), Some((s.clone(), a)));
                queue.push_back(next);
            }
        }
    }
    None
}

/// Whether `path` is an `eventually` counterexample of the unwrapped model as stateright
/// judges one (M2): `holds` is false at every state of the path and its last state has no
/// successor within the boundary.
pub fn real_eventually_counterexample<M>(
    model: &M,
    holds: fn(&M, &M::State) -> bool,
    path: &[M::Action],
) -> bool
where
    M: Model,
    M::Action: Clone,
{
    let Some(mut state) = model.init_states().into_iter().next() else {
        return false;
    };
    if holds(model, &state) {
        return false;
    }
    for a in path {
        match model.next_state(&state, a.clone()) {
            Some(next) if !holds(model, &next) => state = next,
            _ => return false,
        }
    }
    let mut actions = Vec::new();
    model.actions(&state, &mut actions);
    actions.into_iter().all(|a| {
        model
            .next_state(&state, a)
            .is_none_or(|next| !model.within_boundary(&next))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    /// Counts up from 0 to `max`; "always below 1000" fails only beyond the reachable range,
    /// "eventually reaches max" holds on the full space.
    struct Counter {
        max: u32,
    }

    impl Model for Counter {
        type State = u32;
        type Action = ();
        fn init_states(&self) -> Vec<u32> {
            vec![0]
        }
        fn actions(&self, s: &u32, out: &mut Vec<()>) {
            if *s < self.max {
                out.push(());
            }
        }
        fn next_state(&self, s: &u32, (): ()) -> Option<u32> {
            Some(s + 1)
        }
        fn properties(&self) -> Vec<Property<Self>> {
            vec![
                Property::<Self>::always("below 1000", |_, s| *s < 1000),
                Property::<Self>::eventually("reaches max", |m, s| *s == m.max),
                Property::<Self>::sometimes("passes 10", |_, s| *s > 10),
            ]
        }
    }

    #[test]
    fn a_stopped_search_ends_at_once_and_reports_nothing_new() {
        let model = Budgeted::new(Counter { max: 5000 });
        let stop = model.stop_flag();
        stop.store(true, Ordering::Relaxed);
        let checker = model.checker().spawn_bfs().join();
        assert_eq!(checker.unique_state_count(), 1, "nothing expanded");
        // The stop made state 0 terminal: the raw discovery of `eventually` is an artefact,
        // which the re-check on the real model rejects.
        let d = checker.discoveries();
        assert!(!d.contains_key("below 1000") && !d.contains_key("passes 10"));
        let inner = Counter { max: 5000 };
        let holds = inner.properties()[1].condition;
        assert!(!real_eventually_counterexample(&inner, holds, &[]));
    }

    #[test]
    fn an_unstopped_wrapper_checks_like_the_model() {
        let checker = Budgeted::new(Counter { max: 2000 })
            .checker()
            .spawn_bfs()
            .join();
        let d = checker.discoveries();
        assert!(d.contains_key("below 1000") && d.contains_key("passes 10"));
        assert!(!d.contains_key("reaches max"));
        assert_eq!(checker.unique_state_count(), 2001);
    }

    #[test]
    fn the_shortest_violation_is_shortest_and_obeys_its_limits() {
        let m = Counter { max: 2000 };
        let ok = m.properties()[0].condition;
        let path = shortest_violation(&m, ok, None, None).expect("found");
        assert_eq!(path.len(), 1000);
        assert!(shortest_violation(&m, ok, None, Some(10)).is_none());
        assert!(shortest_violation(&m, ok, Some(Instant::now()), None).is_none());
    }

    #[test]
    fn a_real_eventually_counterexample_is_recognised() {
        // max 3: "eventually reaches 7" fails at the terminal state 3.
        struct Short;
        impl Model for Short {
            type State = u32;
            type Action = ();
            fn init_states(&self) -> Vec<u32> {
                vec![0]
            }
            fn actions(&self, s: &u32, out: &mut Vec<()>) {
                if *s < 3 {
                    out.push(());
                }
            }
            fn next_state(&self, s: &u32, (): ()) -> Option<u32> {
                Some(s + 1)
            }
        }
        let holds: fn(&Short, &u32) -> bool = |_, s| *s == 7;
        assert!(real_eventually_counterexample(&Short, holds, &[(), (), ()]));
        assert!(!real_eventually_counterexample(&Short, holds, &[(), ()]));
    }
}
