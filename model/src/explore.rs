//! A parallel explicit-state checker specialised for this model (M17).
//!
//! stateright's own checkers spend most of their time outside the model here: its DFS keeps a
//! `Vec` of action indices per pending state (an allocation per new state), hashes every
//! property's name into a `DashMap` for every state, and its visited `DashSet` insert was 39%
//! of a (4,2,1,2,2) run. This checker keeps what the model needs and no more:
//!
//! - states are `Copy` (no allocation per state or per step, `tests/alloc.rs`);
//! - the visited set is a sharded open-addressing table of 64-bit fingerprints
//!   ([`crate::state::fingerprint`]) with a small per-thread cache of recent duplicates;
//! - each thread runs a depth-first search on its own stack; a thread that runs dry takes
//!   half of another thread's stack (the oldest half, the biggest subtrees) from a shared pool;
//! - properties are judged without paths: `always` and `sometimes` on each state, witnessed
//!   `sometimes` on each transition, `eventually` at terminal states; the first violating
//!   state of each property is kept, and its shortest path is found afterwards by a plain
//!   BFS ([`crate::shortest`]) — the path of a parallel search is neither shortest nor needed
//!   until a property fails;
//! - with symmetry, the successor's canonical form ([`crate::symmetry::canonical`]) is what
//!   is fingerprinted and explored (any member of the orbit stands for it: every property is
//!   invariant under renaming).

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::action::Action;
use crate::config::ModelConfig;
use crate::enumerate::actions;
use crate::properties::{catalog, Judge, Prop};
use crate::state::{fingerprint, State};
use crate::step::{initial_state, step_witnessed};
use crate::symmetry::canonical;
use crate::vocab::Discard;

/// How to explore.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Fingerprint canonical forms (M16).
    pub symmetry: bool,
    /// Stop when this much time has passed (the outcome is then incomplete).
    pub timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            threads: 1,
            symmetry: false,
            timeout: None,
        }
    }
}

/// One property's verdict.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Its name.
    pub name: &'static str,
    /// How it was judged.
    pub kind: Kind,
    /// A counterexample (always/eventually) or an example (sometimes) exists.
    pub discovered: bool,
    /// The first violating state found (always/eventually).
    pub state: Option<State>,
}

impl Verdict {
    /// The property holds.
    #[must_use]
    pub fn holds(&self) -> bool {
        self.discovered == (self.kind == Kind::Sometimes)
    }
}

/// The three kinds of stateright properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// In every reachable state.
    Always,
    /// At every terminal state.
    Eventually,
    /// In some reachable state or transition.
    Sometimes,
}

/// What a run found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Transitions taken (successor states generated, duplicates included).
    pub states: u64,
    /// Distinct states (fingerprints) visited.
    pub unique: u64,
    /// Deepest state (actions from the initial state).
    pub depth: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// False when the timeout or [`Progress::stop`] stopped it.
    pub complete: bool,
    /// Every property of [`catalog`].
    pub verdicts: Vec<Verdict>,
}

impl Outcome {
    /// Every property holds and the run was complete.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.complete && self.verdicts.iter().all(Verdict::holds)
    }
}

/// A state to expand and its depth.
type Job = (State, u32);

/// The shared part of a run.
struct Shared<'a> {
    cfg: &'a ModelConfig,
    opts: Options,
    props: Vec<Prop>,
    seen: FpSet,
    pool: Mutex<Pool>,
    wake: Condvar,
    hungry: AtomicUsize,
    stop: AtomicBool,
    deadline: Option<Instant>,
    progress: &'a Progress,
    witnessed: AtomicU16,
    found: AtomicU64,
    first: Mutex<Vec<Option<State>>>,
}

/// Work handed between threads.
struct Pool {
    chunks: Vec<Vec<Job>>,
    idle: usize,
    done: bool,
}

/// How far a run is, for a progress display (updated every 1024 states per thread), and a
/// way to stop it from outside (a watcher enforcing a state or memory limit).
#[derive(Debug, Default)]
pub struct Progress {
    /// Transitions taken so far.
    pub states: AtomicU64,
    /// Distinct states found so far (the initial state included).
    pub unique: AtomicU64,
    /// Deepest state so far.
    pub depth: AtomicUsize,
    /// Set it to stop the run: every thread stops within 1024 states of its next poll and the
    /// outcome is incomplete.
    pub stop: AtomicBool,
}

/// Explores the whole state space of `cfg` (or until the timeout) and judges every property.
#[must_use]
pub fn explore(cfg: &ModelConfig, opts: Options) -> Outcome {
    explore_with(cfg, opts, &Progress::default())
}

/// [`explore`], reporting how far it is in `progress`.
#[must_use]
pub fn explore_with(cfg: &ModelConfig, opts: Options, progress: &Progress) -> Outcome {
    let started = Instant::now();
    let mut native = cfg.clone();
    native.witnesses = false; // the states carry no witness marks; transitions report them
    let props = catalog(cfg);
    let threads = opts.threads.max(1);
    let shared = Shared {
        cfg: &native,
        opts,
        props,
        seen: FpSet::new(),
        pool: Mutex::new(Pool {
            chunks: Vec::new(),
            idle: 0,
            done: false,
        }),
        wake: Condvar::new(),
        hungry: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        // A deadline beyond what an Instant can hold is no deadline (no overflow panic).
        deadline: opts.timeout.and_then(|t| started.checked_add(t)),
        progress,
        witnessed: AtomicU16::new(0),
        found: AtomicU64::new(0),
        first: Mutex::new(Vec::new()),
    };
    let mut init = initial_state(&native);
    if opts.symmetry {
        init = canonical(&init);
    }
    shared.seen.insert(fingerprint(&init));
    progress.unique.fetch_add(1, Ordering::Relaxed);
    lock(&shared.pool).chunks.push(vec![(init, 0)]);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| Worker::new(&shared).run());
        }
    });
    finish(&shared, started, threads)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn finish(shared: &Shared<'_>, started: Instant, _threads: usize) -> Outcome {
    let found = shared.found.load(Ordering::Relaxed);
    let witnessed = shared.witnessed.load(Ordering::Relaxed);
    let first = lock(&shared.first).clone();
    let verdicts = shared
        .props
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (kind, discovered) = match p.judge {
                Judge::Always(_) => (Kind::Always, found & (1 << i) != 0),
                Judge::Eventually(_) => (Kind::Eventually, found & (1 << i) != 0),
                Judge::Sometimes(_) => (Kind::Sometimes, found & (1 << i) != 0),
                Judge::Witnessed(bit) => (Kind::Sometimes, witnessed & bit != 0),
            };
            Verdict {
                name: p.name,
                kind,
                discovered,
                state: first.get(i).copied().flatten(),
            }
        })
        .collect();
    Outcome {
        states: shared.progress.states.load(Ordering::Relaxed),
        unique: shared.seen.len(),
        depth: shared.progress.depth.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
        complete: !shared.stop.load(Ordering::Relaxed),
        verdicts,
    }
}

/// One thread's search.
struct Worker<'s, 'a> {
    shared: &'s Shared<'a>,
    stack: Vec<Job>,
    actions: Vec<Action>,
    cache: Box<[u64; CACHE]>,
    states: u64,
    unique: u64,
    witnessed: u16,
    depth: usize,
}

/// Recent fingerprints per thread (a direct-mapped filter of duplicates).
const CACHE: usize = 1 << 12;

impl<'s, 'a> Worker<'s, 'a> {
    fn new(shared: &'s Shared<'a>) -> Self {
        Self {
            shared,
            stack: Vec::new(),
            actions: Vec::new(),
            cache: Box::new([0; CACHE]),
            states: 0,
            unique: 0,
            witnessed: 0,
            depth: 0,
        }
    }

    fn run(mut self) {
        let mut expanded = 0u64;
        while self.refill() {
            while let Some((s, depth)) = self.stack.pop() {
                self.expand(&s, depth);
                expanded += 1;
                if expanded.is_multiple_of(1024) && !self.poll() {
                    self.stack.clear();
                    break;
                }
            }
        }
        self.report();
        self.shared
            .witnessed
            .fetch_or(self.witnessed, Ordering::Relaxed);
    }

    /// Adds this thread's counts to the shared progress.
    fn report(&mut self) {
        let p = self.shared.progress;
        p.states
            .fetch_add(std::mem::take(&mut self.states), Ordering::Relaxed);
        p.unique
            .fetch_add(std::mem::take(&mut self.unique), Ordering::Relaxed);
        p.depth.fetch_max(self.depth, Ordering::Relaxed);
    }

    /// Every 1024 states: shares work with a hungry thread; false once the run must stop.
    fn poll(&mut self) -> bool {
        self.report();
        let sh = self.shared;
        if sh.progress.stop.load(Ordering::Relaxed)
            || sh.deadline.is_some_and(|d| Instant::now() >= d)
        {
            sh.stop.store(true, Ordering::Relaxed);
        }
        if sh.stop.load(Ordering::Relaxed) {
            return false;
        }
        if sh.hungry.load(Ordering::Relaxed) > 0 && self.stack.len() >= 2 {
            let half = self.stack.len() / 2;
            let chunk: Vec<Job> = self.stack.drain(..half).collect();
            lock(&sh.pool).chunks.push(chunk);
            sh.wake.notify_one();
        }
        true
    }

    /// Takes a chunk from the pool, waiting while other threads still work; false when the
    /// whole space is explored (or the run stopped).
    fn refill(&mut self) -> bool {
        let sh = self.shared;
        let mut pool = lock(&sh.pool);
        loop {
            if pool.done || sh.stop.load(Ordering::Relaxed) {
                pool.done = true;
                sh.wake.notify_all();
                return false;
            }
            if let Some(chunk) = pool.chunks.pop() {
                self.stack = chunk;
                return true;
            }
            pool.idle += 1;
            if pool.idle == sh.opts.threads.max(1) {
                pool.done = true;
                sh.wake.notify_all();
                return false;
            }
            sh.hungry.fetch_add(1, Ordering::Relaxed);
            pool = sh.wake.wait(pool).unwrap_or_else(PoisonError::into_inner);
            sh.hungry.fetch_sub(1, Ordering::Relaxed);
            pool.idle -= 1;
        }
    }

    /// Judges `s` and pushes its new successors.
    fn expand(&mut self, s: &State, depth: u32) {
        let sh = self.shared;
        self.depth = self.depth.max(depth as usize);
        self.actions.clear();
        actions(sh.cfg, s, &mut self.actions);
        self.judge(s, self.actions.is_empty());
        for k in 0..self.actions.len() {
            let a = self.actions[k];
            let (mut next, w) = step_witnessed(sh.cfg, s, &a, &mut Discard);
            self.witnessed |= w;
            self.states += 1;
            if sh.opts.symmetry {
                next = canonical(&next);
            }
            let fp = fingerprint(&next);
            let slot = &mut self.cache[(fp as usize) & (CACHE - 1)];
            if *slot == fp {
                continue;
            }
            *slot = fp;
            if sh.seen.insert(fp) {
                self.unique += 1;
                self.stack.push((next, depth + 1));
            }
        }
    }

    fn judge(&self, s: &State, terminal: bool) {
        let sh = self.shared;
        let found = sh.found.load(Ordering::Relaxed);
        for (i, p) in sh.props.iter().enumerate() {
            let bit = 1u64 << i;
            let hit = match p.judge {
                Judge::Always(f) => !f(sh.cfg, s),
                Judge::Eventually(f) => terminal && !f(sh.cfg, s),
                Judge::Sometimes(f) => found & bit == 0 && f(sh.cfg, s),
                Judge::Witnessed(_) => false,
            };
            if hit && found & bit == 0 {
                self.record(i, s);
            }
        }
    }

    fn record(&self, i: usize, s: &State) {
        let sh = self.shared;
        let mut first = lock(&sh.first);
        if first.len() < sh.props.len() {
            first.resize(sh.props.len(), None);
        }
        if first[i].is_none() {
            first[i] = Some(*s);
        }
        sh.found.fetch_or(1 << i, Ordering::Relaxed);
    }
}

/// A set of 64-bit fingerprints (never 0): 64 shards, each an open-addressing table with
/// linear probing behind its own lock, grown by doubling at 3/4 load.
pub struct FpSet {
    shards: Vec<Mutex<Table>>,
}

struct Table {
    slots: Vec<u64>,
    len: usize,
}

const SHARDS: usize = 64;

impl Table {
    fn insert(&mut self, fp: u64) -> bool {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = (fp as usize) & mask;
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = fp;
                    self.len += 1;
                    return true;
                }
                x if x == fp => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        self.len = 0;
        for fp in old.into_iter().filter(|&x| x != 0) {
            self.insert(fp);
        }
    }
}

impl FpSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Table {
                        slots: Vec::new(),
                        len: 0,
                    })
                })
                .collect(),
        }
    }

    /// Inserts `fp`; true if it was not there.
    pub fn insert(&self, fp: u64) -> bool {
        let shard = (fp >> 58) as usize % SHARDS;
        lock(&self.shards[shard]).insert(fp.max(1))
    }

    /// Fingerprints in the set.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.shards.iter().map(|t| lock(t).len as u64).sum()
    }

    /// The set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for FpSet {
    fn default() -> Self {
        Self::new()
    }
}
