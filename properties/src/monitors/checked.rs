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
//!
//! SPEC §6's "eventually" are two more `always` properties, a bounded response (P7):
//! `§6-complete` (every accepted operation completes) and `§6-held` (no group stays held while
//! a node is Up) hold in a state when the deterministic fair continuation from it
//! ([`Checked::fair_actions`]: pending work completes, locks, busy flags, links and Down nodes
//! heal, time passes) reaches, within K steps ([`response_bound`]), a state where the monitors
//! saw every accepted operation complete and every group answers the held-probe
//! ([`Checked::probe`], R13 check 4) with ERROR_SUCCESS; [`Monitored::reach`] memoizes the
//! distances. SPEC §6's four "sometimes" are `sometimes` properties over the witness bits
//! (`live`, P8) that the transition into a state completed ([`Watched::seen`]); [`check`]
//! reports them as reached or not ([`Summary::reached`]), apart from the broken properties.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use offline_v2::types::ResourceState;
use stateright::{Checker, Expectation, Model, Property};

use super::input::{returned, SUCCESS};
use super::live::SOMETIMES;
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
    /// SPEC §6's fair environment in `s` (P7): the environment actions that complete or heal,
    /// in the order the fair continuation prefers them — pending work completes; a busy flag,
    /// a lock, a broken link, a Down node heals; time passes (to the next deadline, R16/R19).
    /// The bounded-response check takes the first. Defined from the environment's facts (what
    /// is pending in the DLL, what is broken, the next deadline), never from the engine's
    /// phase, and offered whatever the fault budget.
    fn fair_actions(&self, s: &Self::State, out: &mut Vec<Self::Action>);
    /// A client call asking whether group `group`, owned by `owner`, is held (P7):
    /// MoveGroupEx of the group to its owner, answered ERROR_INVALID_STATE while it is held
    /// (R13 check 4) and ERROR_SUCCESS, changing nothing, otherwise (check 5).
    fn probe(&self, group: u8, owner: u8) -> Self::Action;
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
    /// The §6 "sometimes" witness bits the last transition completed (`live`, P8).
    pub seen: u8,
}

/// How far, in fair steps (P7), each §6 "eventually" condition is from a state; `None` when
/// the fair continuation does not reach it within the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// Every accepted operation has completed (the monitors saw its `Completed`).
    pub completed: Option<u16>,
    /// No group held while a node is Up (nothing in flight, pending or queued in what the
    /// monitors saw, and every group's probe answered ERROR_SUCCESS).
    pub settled: Option<u16>,
}

/// The fair continuation's verdict at one state: (every op completed, no group held) and,
/// when not settled, why (for messages).
struct Here {
    completed: bool,
    settled: bool,
    why: String,
}

/// A [`Checked`] system with the monitors as its properties.
pub struct Monitored<C: Checked> {
    /// The system.
    pub system: C,
    /// K of the bounded response (P7).
    bound: u16,
    /// Memo of [`Monitored::reach`], by fingerprint of (system state, monitors' state).
    memo: Mutex<HashMap<u64, Reach>>,
    /// Past it, states get no successors and no liveness verdict (set by [`check`] from its
    /// time limit): stateright's single-thread BFS looks at its own timeout only when its
    /// queue of pending states runs empty, which on these checks overshot a 3 s limit by 9 s.
    deadline: Option<Instant>,
    /// Set once the search is over, so that rebuilding counterexample paths (which replays
    /// `actions`) sees every state's actions again.
    searched: AtomicBool,
}

impl<C: Checked> Monitored<C> {
    /// Wraps `system`; K of the bounded response is [`response_bound`] of its topology.
    pub fn new(system: C) -> Self {
        let bound = response_bound(system.topology());
        Self {
            system,
            bound,
            memo: Mutex::new(HashMap::new()),
            deadline: None,
            searched: AtomicBool::new(false),
        }
    }

    /// Whether the time limit of the running [`check`] has passed.
    fn past_deadline(&self) -> bool {
        !self.searched.load(Ordering::Relaxed) && self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Forgets every memoized [`Monitored::reach`] (to compare with fresh computations).
    pub fn forget(&self) {
        if let Ok(mut m) = self.memo.lock() {
            m.clear();
        }
    }

    /// K of the bounded response (P7).
    #[must_use]
    pub fn bound(&self) -> u16 {
        self.bound
    }

    /// The §6 conditions at one state of a fair continuation, judged from what the monitors
    /// observed: their open operations, the host view of the last record, and (only when
    /// nothing is seen in flight) one probe per group (P7).
    fn here(&self, inner: &C::State, mon: &MonitorState) -> Here {
        let topo = self.system.topology();
        let p = mon.progress();
        let completed = p.all_completed();
        if !completed {
            let ids: Vec<String> = p.open().iter().map(|o| format!("op {}", o.id)).collect();
            return Here {
                completed,
                settled: false,
                why: format!("accepted, not completed: {}", ids.join(", ")),
            };
        }
        if !p.any_up() {
            // "while a node is Up": with every node Down a held group is no violation.
            return Here {
                completed,
                settled: true,
                why: String::new(),
            };
        }
        let view = mon.view();
        if let Some(r) = view.state.iter().position(|s| {
            matches!(
                s,
                ResourceState::OnlinePending | ResourceState::OfflinePending
            )
        }) {
            return Here {
                completed,
                settled: false,
                why: format!(
                    "{} is {:?} in the host view",
                    topo.resource_name(u8::try_from(r).unwrap_or(u8::MAX)),
                    view.state[r]
                ),
            };
        }
        if let Some(g) = view.queued.iter().position(|q| *q) {
            return Here {
                completed,
                settled: false,
                why: format!(
                    "group {} is queued",
                    topo.group_name(u8::try_from(g).unwrap_or(u8::MAX))
                ),
            };
        }
        for (g, &owner) in view.owner.iter().enumerate() {
            let g8 = u8::try_from(g).unwrap_or(u8::MAX);
            let answer = self
                .system
                .step(inner, &self.system.probe(g8, owner))
                .and_then(|(_, rec)| returned(&rec));
            if let Some((code, _)) = answer.filter(|(c, _)| *c != SUCCESS) {
                return Here {
                    completed,
                    settled: false,
                    why: format!(
                        "group {} is held: MoveGroupEx to its owner {} answers {} (R13 check 4)",
                        topo.group_name(g8),
                        topo.node_name(owner),
                        offline_v2::types::ErrorCode(code)
                    ),
                };
            }
        }
        Here {
            completed,
            settled: true,
            why: String::new(),
        }
    }

    /// The first fair step from `inner`, with the monitors fed its record.
    fn fair_step(&self, inner: &C::State, mon: &MonitorState) -> Option<(C::State, MonitorState)> {
        let mut acts = Vec::new();
        self.system.fair_actions(inner, &mut acts);
        let a = acts.first()?;
        let (next, rec) = self.system.step(inner, a)?;
        let mut mon = mon.clone();
        let mut out = Vec::new();
        mon.observe(self.system.topology(), self.system.rules(), &rec, &mut out);
        Some((next, mon))
    }

    /// How far the fair continuation from this state is from each §6 "eventually" condition
    /// (P7), memoized: the continuation is deterministic, so a state's distance is one more
    /// than its fair successor's.
    #[must_use]
    pub fn reach(&self, inner: &C::State, monitors: &MonitorState) -> Reach {
        let key = |i: &C::State, m: &MonitorState| {
            let mut h = DefaultHasher::new();
            i.hash(&mut h);
            m.hash(&mut h);
            h.finish()
        };
        let never = Reach {
            completed: None,
            settled: None,
        };
        let mut path: Vec<(u64, bool, bool)> = Vec::new();
        let (mut inner, mut mon) = (inner.clone(), monitors.clone());
        let tail;
        let mut cache_path = true;
        loop {
            let k = key(&inner, &mon);
            if let Some(r) = self.memo.lock().ok().and_then(|m| m.get(&k).copied()) {
                tail = r;
                break;
            }
            if path.iter().any(|(p, _, _)| *p == k) {
                // The fair continuation loops: what the path has not reached it never reaches.
                // Only the first state is cached (a state inside the loop could reach a
                // condition that holds earlier on the loop, after wrapping around).
                tail = never;
                cache_path = false;
                break;
            }
            if path.len() > usize::from(self.bound) {
                // Only the first state is decided; the later ones may still reach it.
                tail = never;
                cache_path = false;
                break;
            }
            let here = self.here(&inner, &mon);
            path.push((k, here.completed, here.settled));
            if here.settled {
                tail = never; // unused: every component is 0 here
                break;
            }
            match self.fair_step(&inner, &mon) {
                Some((i, m)) => (inner, mon) = (i, m),
                None => {
                    tail = never; // stuck: no fair action left
                    break;
                }
            }
        }
        let bound = self.bound;
        let next = |now: bool, d: Option<u16>| {
            if now {
                Some(0)
            } else {
                d.filter(|d| *d < bound).map(|d| d + 1)
            }
        };
        let mut result = tail;
        let mut memo = self.memo.lock().ok();
        for (i, (k, completed, settled)) in path.iter().enumerate().rev() {
            result = Reach {
                completed: next(*completed, result.completed),
                settled: next(*settled, result.settled),
            };
            if cache_path || i == 0 {
                if let Some(m) = memo.as_mut() {
                    m.insert(*k, result);
                }
            }
        }
        if path.is_empty() {
            return tail;
        }
        result
    }

    /// The verdict of `rule` on `path` (a counterexample of a check): a monitor's violation
    /// ([`Self::explain`]), a bounded-response one ([`Self::explain_liveness`]), or none for
    /// the system's own checks ("own").
    #[must_use]
    pub fn explain_rule(&self, rule: &str, path: &[C::Action]) -> Option<Violation> {
        match rule {
            "own" => None,
            "§6-complete" => self.explain_liveness(path, "§6-complete"),
            "§6-held" => self.explain_liveness(path, "§6-held"),
            _ => self.explain(path),
        }
    }

    /// Replays `path` and runs the fair continuation from its end, describing where it
    /// stands after K fair steps (a bounded-response counterexample, P7).
    #[must_use]
    pub fn explain_liveness(&self, path: &[C::Action], rule: &'static str) -> Option<Violation> {
        let topo = self.system.topology();
        let mut s = self.system.init();
        let mut mon = MonitorState::new(topo);
        let mut out = Vec::new();
        for a in path {
            let (next, rec) = self.system.step(&s, a)?;
            mon.observe(topo, self.system.rules(), &rec, &mut out);
            s = next;
        }
        let mut steps = 0;
        let mut here = self.here(&s, &mon);
        while steps < self.bound {
            let done = if rule == "§6-complete" {
                here.completed
            } else {
                here.settled
            };
            if done {
                return None;
            }
            let Some((i, m)) = self.fair_step(&s, &mon) else {
                break;
            };
            (s, mon) = (i, m);
            steps += 1;
            here = self.here(&s, &mon);
        }
        Some(Violation {
            rule,
            step: path.len(),
            what: if rule == "§6-complete" {
                "an accepted operation does not complete under the fair environment (§6, R14)"
                    .into()
            } else {
                "a group stays held while a node is Up under the fair environment (§6, R13 check 4)"
                    .into()
            },
            expected: format!("within {} fair steps (P7)", self.bound),
            observed: format!("after {steps} fair steps: {}", here.why),
        })
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

/// K of the bounded response for `topo` (P7): the model's M3 bound,
/// 16·(resources+1)·groups + 4·nodes + 16.
#[must_use]
pub fn response_bound(topo: &Topology) -> u16 {
    let k = 16 * (topo.resources.len() + 1) * topo.groups.len().max(1) + 4 * topo.nodes.len() + 16;
    u16::try_from(k).unwrap_or(u16::MAX)
}

/// The §6 "eventually" properties (bounded response, P7); the first word is the rule.
pub const EVENTUALLY: [&str; 2] = [
    "§6-complete every accepted operation completes within K fair steps (monitor)",
    "§6-held no group stays held while a node is Up within K fair steps (monitor)",
];

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

/// Judged only on states no safety property or own check has already failed (their paths
/// are counterexamples already and have no successors).
fn live<C: Checked>(m: &Monitored<C>, s: &Watched<C::State>) -> Option<Reach> {
    (s.broken == 0 && m.system.own_check_failed(&s.inner).is_none() && !m.past_deadline())
        .then(|| m.reach(&s.inner, &s.monitors))
}

fn completes<C: Checked>(m: &Monitored<C>, s: &Watched<C::State>) -> bool {
    live(m, s).is_none_or(|r| r.completed.is_some())
}

fn settles<C: Checked>(m: &Monitored<C>, s: &Watched<C::State>) -> bool {
    live(m, s).is_none_or(|r| r.settled.is_some())
}

fn seen<C: Checked, const I: usize>(_: &Monitored<C>, s: &Watched<C::State>) -> bool {
    s.seen & SOMETIMES[I].0 != 0
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
            seen: 0,
        }]
    }

    fn actions(&self, s: &Self::State, out: &mut Vec<Self::Action>) {
        if s.broken == 0
            && self.system.own_check_failed(&s.inner).is_none()
            && !self.past_deadline()
        {
            self.system.actions(&s.inner, out);
        }
    }

    fn next_state(&self, s: &Self::State, a: Self::Action) -> Option<Self::State> {
        let (inner, rec) = self.system.step(&s.inner, &a)?;
        let mut monitors = s.monitors.clone();
        let mut out = Vec::new();
        let seen = monitors.observe(self.system.topology(), self.system.rules(), &rec, &mut out);
        let broken = out.iter().fold(0, |m, v| m | super::rule_bit(v.rule));
        Some(Watched {
            inner,
            monitors,
            broken,
            seen,
        })
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let rules = self.system.rules();
        (0..NAMES.len())
            .filter(|&i| i >= RULES.len() || rules & (1 << i) != 0)
            .filter_map(|i| Some(Property::always(NAMES[i], condition::<C>(i)?)))
            .chain([
                Property::always(EVENTUALLY[0], completes::<C>),
                Property::always(EVENTUALLY[1], settles::<C>),
                Property::sometimes(SOMETIMES[0].1, seen::<C, 0>),
                Property::sometimes(SOMETIMES[1].1, seen::<C, 1>),
                Property::sometimes(SOMETIMES[2].1, seen::<C, 2>),
                Property::sometimes(SOMETIMES[3].1, seen::<C, 3>),
            ])
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

impl<A> Broken<A> {
    /// `property` broken on `path`: its rule and, replayed, the monitor's verdict (what
    /// [`check`] and [`shortest`] both report).
    fn of<C: Checked<Action = A>>(
        model: &Monitored<C>,
        property: &'static str,
        path: Vec<A>,
    ) -> Self {
        let rule = rule_of_property(property).to_owned();
        let violation = model.explain_rule(&rule, &path);
        Self {
            property,
            rule,
            path,
            violation,
        }
    }
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
    /// Broken safety and bounded-response properties, by name (not the "sometimes" ones).
    pub broken: Vec<Broken<A>>,
    /// Each §6 "sometimes" property (P8) and whether the check reached a witness of it (when
    /// the check is complete, not reached means unreachable in this configuration).
    pub reached: Vec<(&'static str, bool)>,
}

impl<A> Summary<A> {
    /// The "sometimes" properties not reached.
    #[must_use]
    pub fn not_reached(&self) -> Vec<&'static str> {
        self.reached
            .iter()
            .filter(|(_, r)| !r)
            .map(|(n, _)| *n)
            .collect()
    }

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
pub fn check<C: Checked>(mut model: Monitored<C>, limits: Limits) -> Summary<C::Action> {
    let start = Instant::now();
    model.deadline = limits.timeout.map(|t| start + t);
    let all = model.properties();
    let properties = all.iter().map(|p| p.name).collect();
    let sometimes: Vec<&'static str> = all
        .iter()
        .filter(|p| p.expectation == Expectation::Sometimes)
        .map(|p| p.name)
        .collect();
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
    model.searched.store(true, Ordering::Relaxed);
    let discoveries = checker.discoveries();
    let reached = sometimes
        .iter()
        .map(|&name| (name, discoveries.contains_key(name)))
        .collect();
    let mut broken: Vec<Broken<C::Action>> = discoveries
        .into_iter()
        .filter(|(property, _)| !sometimes.contains(property))
        .map(|(property, path)| Broken::of(model, property, path.into_actions()))
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
        reached,
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
    // A "sometimes" property (P8) is found where its condition holds (reached), every other
    // where it fails (broken).
    let sometimes = |p: &Property<Monitored<C>>| p.expectation == Expectation::Sometimes;
    let mut found: Vec<Option<Vec<C::Action>>> = vec![None; properties.len()];
    let (mut generated, mut depth, mut complete) = (0usize, 0usize, true);
    let mut actions = Vec::new();
    while let Some((s, at, d)) = queue.pop_front() {
        depth = depth.max(d);
        for (i, p) in properties.iter().enumerate() {
            if found[i].is_none() && (p.condition)(model, &s) == sometimes(p) {
                found[i] = Some(path_to(&nodes, at));
            }
        }
        if properties
            .iter()
            .zip(&found)
            .all(|(p, f)| sometimes(p) || f.is_some())
        {
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
    let reached = properties
        .iter()
        .zip(&found)
        .filter(|(p, _)| sometimes(p))
        .map(|(p, f)| (p.name, f.is_some()))
        .collect();
    let mut broken: Vec<Broken<C::Action>> = found
        .into_iter()
        .zip(&properties)
        .filter(|(_, p)| !sometimes(p))
        .filter_map(|(path, p)| Some(Broken::of(model, p.name, path?)))
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
        reached,
    }
}
