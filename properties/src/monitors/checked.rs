//! The monitors as the properties of a model check (issue 10): one wrapper, [`Monitored`],
//! turns any system that can say what one step did — as a [`StepRecord`] — into a stateright
//! [`Model`] whose state carries the monitors' state ([`MonitorState`]) next to the system's,
//! and whose properties are the monitors: one `always` property per rule (R10, R11, R12, R4,
//! R13, R14, one queued operation, R19, R1), failing in a state reached by a transition whose
//! record broke that rule.
//!
//! The same wrapper checks the implementation (`crate::checked::ImplSystem`, a `Cluster` over
//! the in-process reference DLL) and the model (`crate::checked::ModelSystem`); only the small
//! [`Checked`] trait differs. A state with a violation has no successors: the path to it is the
//! counterexample, and [`Monitored::explain`] replays it to name the rule, the step and both
//! values.

use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration, Instant};

use stateright::{Checker, Model, Property};

use super::{MonitorState, StepRecord, Topology, Violation, RULES};

/// A system the monitors can check exhaustively: a value state, its actions, and what one
/// step did as an observer sees it.
pub trait Checked: Send + Sync + Sized + 'static {
    /// The system's state: everything that decides its future, as a value.
    type State: Clone + Debug + Hash + Eq + Send + Sync;
    /// One action (a client call, an event, a tick).
    type Action: Clone + Debug + PartialEq + Send + Sync;

    /// The cluster as declared (gives the record's indices their meaning).
    fn topology(&self) -> &Topology;
    /// The rules (a mask over [`RULES`]) the monitors judge this system by.
    fn rules(&self) -> u16 {
        super::ALL_RULES
    }
    /// The initial state.
    fn init(&self) -> Self::State;
    /// The actions enabled in `s`.
    fn actions(&self, s: &Self::State, out: &mut Vec<Self::Action>);
    /// The successor of `s` under `a` and the record of that step (with `index` 0; the
    /// monitors read it only for messages). `None` if `a` is not a step (nothing happens).
    fn step(&self, s: &Self::State, a: &Self::Action) -> Option<(Self::State, StepRecord)>;
    /// The system's own checks failed in `s` (the implementation's I17 invariants, the model's
    /// transition checks): a separate property, so a monitor's verdict stays its own.
    fn own_check_failed(&self, s: &Self::State) -> Option<&'static str>;
}

/// A state of the wrapped check: the system's state, the monitors' state, and the rules the
/// transition into it broke (a mask over [`RULES`]; bit [`RULES`]`.len()` is "trace").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Watched<S> {
    /// The system's state.
    pub inner: S,
    /// Every monitor's state.
    pub monitors: MonitorState,
    /// The rules the last transition broke.
    pub broken: u16,
}

/// A [`Checked`] system with the monitors as its properties.
pub struct Monitored<C: Checked> {
    /// The system.
    pub system: C,
}

impl<C: Checked> Monitored<C> {
    /// Wraps `system`.
    pub fn new(system: C) -> Self {
        Self { system }
    }

    /// Replays `path` from the initial state with indexed records and returns the first
    /// violation a monitor reports (the rule, step and both values of a counterexample).
    #[must_use]
    pub fn explain(&self, path: &[C::Action]) -> Option<Violation> {
        let topo = self.system.topology();
        let mut s = self.system.init();
        let mut monitors = MonitorState::new(topo);
        let mut out = Vec::new();
        for (index, a) in path.iter().enumerate() {
            let (next, mut rec) = self.system.step(&s, a)?;
            rec.index = index;
            monitors.observe(topo, self.system.rules(), &rec, &mut out);
            if let Some(v) = out.first() {
                return Some(v.clone());
            }
            s = next;
        }
        None
    }
}

/// The property names: the monitors' rules, "trace", and the system's own checks.
const NAMES: [&str; 11] = [
    "R10 single owner (monitor)",
    "R11 persistent writes (monitor)",
    "R12 exact OfflineV2 flags (monitor)",
    "R4 locked needs IGNORE (monitor)",
    "R13 rejected calls change nothing (monitor)",
    "R14 one completion, settled (monitor)",
    "R3-queue one queued operation (monitor)",
    "R19 timeout fires (monitor)",
    "R1 raw argument validation (monitor)",
    "trace record fits the topology (monitor)",
    "own checks of the system",
];

/// The rule a property name stands for ("R12"; "trace"; "own" for the system's checks).
#[must_use]
pub fn rule_of_property(name: &str) -> &str {
    match name.split(' ').next() {
        Some("own") | None => "own",
        Some(rule) => rule,
    }
}

fn holds<C: Checked, const I: usize>(m: &Monitored<C>, s: &Watched<C::State>) -> bool {
    if I < NAMES.len() - 1 {
        s.broken & (1 << I) == 0
    } else {
        m.system.own_check_failed(&s.inner).is_none()
    }
}

type Condition<C> = fn(&Monitored<C>, &Watched<<C as Checked>::State>) -> bool;

fn condition<C: Checked>(i: usize) -> Option<Condition<C>> {
    Some(match i {
        0 => holds::<C, 0>,
        1 => holds::<C, 1>,
        2 => holds::<C, 2>,
        3 => holds::<C, 3>,
        4 => holds::<C, 4>,
        5 => holds::<C, 5>,
        6 => holds::<C, 6>,
        7 => holds::<C, 7>,
        8 => holds::<C, 8>,
        9 => holds::<C, 9>,
        10 => holds::<C, 10>,
        _ => return None,
    })
}

impl<C: Checked> Model for Monitored<C> {
    type State = Watched<C::State>;
    type Action = C::Action;

    fn init_states(&self) -> Vec<Self::State> {
        vec![Watched {
            inner: self.system.init(),
            monitors: MonitorState::new(self.system.topology()),
            broken: 0,
        }]
    }

    fn actions(&self, s: &Self::State, out: &mut Vec<Self::Action>) {
        if s.broken == 0 && self.system.own_check_failed(&s.inner).is_none() {
            self.system.actions(&s.inner, out);
        }
    }

    fn next_state(&self, s: &Self::State, a: Self::Action) -> Option<Self::State> {
        let (inner, rec) = self.system.step(&s.inner, &a)?;
        let mut monitors = s.monitors.clone();
        let mut out = Vec::new();
        monitors.observe(self.system.topology(), self.system.rules(), &rec, &mut out);
        let broken = out.iter().fold(0, |m, v| m | super::rule_bit(v.rule));
        Some(Watched {
            inner,
            monitors,
            broken,
        })
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let rules = self.system.rules();
        (0..NAMES.len())
            .filter(|&i| i >= RULES.len() || rules & (1 << i) != 0)
            .filter_map(|i| Some(Property::always(NAMES[i], condition::<C>(i)?)))
            .collect()
    }
}

/// Limits of one wrapped check (U2): it stops at whichever comes first, and is then
/// incomplete.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Stop after this many unique states.
    pub max_states: Option<usize>,
    /// Stop after this long.
    pub timeout: Option<Duration>,
}

/// A property the check found broken, with a counterexample (the shortest one from
/// [`shortest`]; from [`check`], one stateright's BFS found, which need not be: M6).
#[derive(Debug, Clone)]
pub struct Broken<A> {
    /// The property's name.
    pub property: &'static str,
    /// The rule ("R12"; "own" for the system's own checks).
    pub rule: String,
    /// The actions from the initial state.
    pub path: Vec<A>,
    /// The monitor's verdict on the replayed path (`None` for the system's own checks).
    pub violation: Option<Violation>,
}

/// What one wrapped check found.
#[derive(Debug, Clone)]
pub struct Summary<A> {
    /// Unique states.
    pub unique: usize,
    /// States generated, duplicates included.
    pub states: usize,
    /// Maximum depth reached.
    pub depth: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// False when a limit stopped it.
    pub complete: bool,
    /// Every property checked, by name.
    pub properties: Vec<&'static str>,
    /// Broken properties, by name.
    pub broken: Vec<Broken<A>>,
}

impl<A> Summary<A> {
    /// The rules broken, sorted.
    #[must_use]
    pub fn rules(&self) -> Vec<&str> {
        let mut r: Vec<&str> = self.broken.iter().map(|b| b.rule.as_str()).collect();
        r.sort_unstable();
        r
    }

    /// The shortest counterexample of a monitor (the system's own checks left out): in a
    /// summary of [`shortest`] each property's path is the shortest to a state breaking it,
    /// so the shortest of those is the shortest input on which a monitor catches anything. Ties: the monitor that runs first (the order of
    /// [`Self::properties`], the one a trace's verdict names when several rules break at the
    /// same step).
    #[must_use]
    pub fn shortest_by_monitor(&self) -> Option<&Broken<A>> {
        let order = |b: &Broken<A>| self.properties.iter().position(|p| *p == b.property);
        self.broken
            .iter()
            .filter(|b| b.rule != "own")
            .min_by_key(|b| (b.path.len(), order(b)))
    }

    /// The shortest counterexample of the system's own checks (the implementation's I17
    /// invariants, the model's transition checks), if they failed.
    #[must_use]
    pub fn own_check(&self) -> Option<&Broken<A>> {
        self.broken.iter().find(|b| b.rule == "own")
    }
}

/// Checks `model` with stateright's breadth-first checker within `limits` (its state counts;
/// its counterexamples are short but need not be shortest — stateright 0.31 overwrites an
/// `always` discovery with later ones, M6 — see [`shortest`]).
pub fn check<C: Checked>(model: Monitored<C>, limits: Limits) -> Summary<C::Action> {
    let start = Instant::now();
    let properties = model.properties().iter().map(|p| p.name).collect();
    let mut builder = model.checker();
    if let Some(n) = limits.max_states {
        builder = builder.target_state_count(n);
    }
    if let Some(t) = limits.timeout {
        builder = builder.timeout(t);
    }
    let checker = builder.spawn_bfs().join();
    let seconds = start.elapsed().as_secs_f64();
    let unique = checker.unique_state_count();
    let complete = limits.max_states.is_none_or(|n| unique < n)
        && limits.timeout.is_none_or(|t| start.elapsed() < t);
    let model = checker.model();
    let mut broken: Vec<Broken<C::Action>> = checker
        .discoveries()
        .into_iter()
        .map(|(property, path)| {
            let path = path.into_actions();
            let rule = rule_of_property(property).to_owned();
            let violation = if rule == "own" {
                None
            } else {
                model.explain(&path)
            };
            Broken {
                property,
                rule,
                path,
                violation,
            }
        })
        .collect();
    broken.sort_by_key(|b| b.property);
    Summary {
        unique,
        states: checker.state_count(),
        depth: checker.max_depth(),
        seconds,
        complete,
        properties,
        broken,
    }
}

/// Every property of `model` with its *shortest* counterexample: a plain single-threaded
/// breadth-first search (a FIFO queue, each state kept once with its parent and the action
/// from it; a property's first violating state, in BFS order, is never replaced — unlike
/// stateright 0.31's BFS, M6). Stops once every property is broken, or after `max_states`
/// unique states (then incomplete). No wall clock: the same result on every machine.
pub fn shortest<C: Checked>(model: &Monitored<C>, max_states: usize) -> Summary<C::Action> {
    use std::collections::{HashSet, VecDeque};
    let start = Instant::now();
    let properties = model.properties();
    let names: Vec<&'static str> = properties.iter().map(|p| p.name).collect();
    // Per state: its parent's index and the action from it.
    let mut nodes: Vec<(usize, Option<C::Action>)> = Vec::new();
    let mut seen: HashSet<Watched<C::State>> = HashSet::new();
    let mut queue: VecDeque<(Watched<C::State>, usize, usize)> = VecDeque::new();
    for s in model.init_states() {
        if seen.insert(s.clone()) {
            nodes.push((usize::MAX, None));
            queue.push_back((s, nodes.len() - 1, 0));
        }
    }
    let path_to = |nodes: &[(usize, Option<C::Action>)], mut i: usize| {
        let mut path = Vec::new();
        while let Some((parent, Some(a))) = nodes.get(i) {
            path.push(a.clone());
            i = *parent;
        }
        path.reverse();
        path
    };
    let mut found: Vec<Option<Vec<C::Action>>> = vec![None; properties.len()];
    let (mut generated, mut depth, mut complete) = (0usize, 0usize, true);
    let mut actions = Vec::new();
    while let Some((s, at, d)) = queue.pop_front() {
        depth = depth.max(d);
        for (i, p) in properties.iter().enumerate() {
            if found[i].is_none() && !(p.condition)(model, &s) {
                found[i] = Some(path_to(&nodes, at));
            }
        }
        if found.iter().all(Option::is_some) {
            break;
        }
        model.actions(&s, &mut actions);
        for a in actions.drain(..) {
            let Some(next) = model.next_state(&s, a.clone()) else {
                continue;
            };
            generated += 1;
            if seen.contains(&next) {
                continue;
            }
            if seen.len() >= max_states {
                complete = false;
                queue.clear();
                break;
            }
            seen.insert(next.clone());
            nodes.push((at, Some(a)));
            queue.push_back((next, nodes.len() - 1, d + 1));
        }
    }
    let mut broken: Vec<Broken<C::Action>> = found
        .into_iter()
        .zip(&names)
        .filter_map(|(path, &property)| {
            let path = path?;
            let rule = rule_of_property(property).to_owned();
            let violation = if rule == "own" {
                None
            } else {
                model.explain(&path)
            };
            Some(Broken {
                property,
                rule,
                path,
                violation,
            })
        })
        .collect();
    broken.sort_by_key(|b| b.property);
    Summary {
        unique: seen.len(),
        states: generated,
        depth,
        seconds: start.elapsed().as_secs_f64(),
        complete,
        properties: names,
        broken,
    }
}
