//! Running a checker on the model with progress output, and its results as data (the
//! `model-check.json` of `reports/README.md`).
//!
//! Two engines: the model's native parallel checker (`offline_v2_model::explore`, M17: DFS
//! per thread, symmetry by canonical form, paths found afterwards by a shortest BFS), and
//! stateright's own BFS/DFS on the same `Model` (for comparison, and for stateright's
//! discovery semantics). Both obey the run's limits (U2): the deadline, the unique-state limit
//! and the memory limit stop either engine, the run is then incomplete and a property it did
//! not decide is `unknown`; the counterexample searches after the run share its deadline.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

mod budgeted;

use offline_v2_model::actions::Action;
use offline_v2_model::config::ModelConfig;
use offline_v2_model::explore::{self, Kind};
use offline_v2_model::properties::{catalog, Judge};
use offline_v2_model::shortest::shortest_path;
use serde_json::json;
use stateright::{Checker, Expectation, Model};

/// Which checker explores the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The model's own parallel checker (fast, small memory).
    Native,
    /// stateright's checkers.
    Stateright,
}

/// Search order (stateright: BFS keeps whole states in its queue; symmetry only with DFS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// Breadth-first (stateright only).
    Bfs,
    /// Depth-first.
    Dfs,
}

/// How to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The model configuration.
    pub config: ModelConfig,
    /// Checker threads.
    pub threads: usize,
    /// Which checker.
    pub engine: Engine,
    /// Search order (stateright).
    pub strategy: Strategy,
    /// Symmetry reduction over interchangeable nodes and groups (stateright: DFS only).
    pub symmetry: bool,
    /// Stop after this long (the result is then incomplete).
    pub timeout: Option<Duration>,
    /// Stop once this many unique states were generated (the result is then incomplete).
    pub max_states: Option<u64>,
    /// Stop when the process's resident memory exceeds this many MiB (incomplete).
    pub memory_mb: Option<u64>,
    /// Show progress on stderr (a spinner on a terminal, else a line every few seconds).
    pub progress: bool,
}

impl CheckOptions {
    /// Options for `config` with the native engine, one thread, no symmetry, no limits, no
    /// progress.
    #[must_use]
    pub fn new(config: ModelConfig) -> Self {
        CheckOptions {
            config,
            threads: 1,
            engine: Engine::Native,
            strategy: Strategy::Dfs,
            symmetry: false,
            timeout: None,
            max_states: None,
            memory_mb: None,
            progress: false,
        }
    }
}

/// Why a checker run stopped before it covered the whole state space (U2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The time limit (seconds).
    Deadline(u64),
    /// The unique-state limit.
    States(u64),
    /// The memory limit (MiB).
    Memory(u64),
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Deadline(s) => write!(f, "time limit of {s} s reached"),
            StopReason::States(n) => write!(f, "state limit of {n} unique states reached"),
            StopReason::Memory(mb) => write!(f, "memory limit of {mb} MiB reached"),
        }
    }
}

/// A property's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It holds (for `sometimes`: an example was found).
    Holds,
    /// It fails: a counterexample (for `sometimes`: the whole space has no example).
    Fails,
    /// Not decided: the run stopped before it covered the state space and found nothing.
    Unknown,
}

/// One property's verdict.
#[derive(Debug, Clone)]
pub struct PropertyVerdict {
    /// Its name.
    pub name: &'static str,
    /// `always`, `eventually` or `sometimes`.
    pub expectation: &'static str,
    /// The checker found a path for it (a counterexample, or an example for `sometimes`).
    pub discovered: bool,
    /// The property holds: no counterexample, or (sometimes) an example exists.
    pub holds: bool,
    /// Holds, fails, or unknown (an incomplete run that found nothing).
    pub verdict: Verdict,
    /// The shortest counterexample's actions (failing `always`/`eventually` properties), or
    /// stateright's example of a `sometimes`; `None` if the budget ran out before it was found.
    pub path: Option<Vec<Action>>,
}

/// What one checker run found.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// Threads used.
    pub threads: usize,
    /// States generated (transitions taken, duplicates included).
    pub states: usize,
    /// Unique states.
    pub unique: usize,
    /// Maximum depth.
    pub depth: usize,
    /// Wall-clock seconds of the exploration (not of the counterexample searches).
    pub seconds: f64,
    /// False when a limit stopped the search.
    pub complete: bool,
    /// The limit that stopped it, if one did.
    pub stopped: Option<StopReason>,
    /// Peak resident memory of the process so far (VmHWM), in KiB, where the OS tells it.
    pub peak_rss_kib: Option<u64>,
    /// Every property.
    pub properties: Vec<PropertyVerdict>,
}

impl CheckResult {
    /// Every property holds and the search was complete.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.complete && self.properties.iter().all(|p| p.holds)
    }

    /// Some property has a counterexample (whether or not the search was complete).
    #[must_use]
    pub fn failed(&self) -> bool {
        self.properties.iter().any(|p| p.verdict == Verdict::Fails)
    }

    /// Unique states per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.unique as f64 / self.seconds.max(1e-9)
    }
}

/// The process's peak resident set size (`VmHWM` of `/proc/self/status`), in KiB.
#[must_use]
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The process's resident memory in MiB (Linux `/proc`; `None` elsewhere).
#[must_use]
pub fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// The limits of one run, checked by a watcher every 20 ms.
struct Limits<'a> {
    opts: &'a CheckOptions,
    deadline: Option<Instant>,
}

impl Limits<'_> {
    /// The first limit reached, if any, given the unique states so far.
    fn reached(&self, unique: u64) -> Option<StopReason> {
        let opts = self.opts;
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            opts.timeout.map(|t| StopReason::Deadline(t.as_secs()))
        } else if opts.max_states.is_some_and(|n| unique >= n) {
            opts.max_states.map(StopReason::States)
        } else if let (Some(limit), Some(now)) = (opts.memory_mb, resident_mb()) {
            (now >= limit).then_some(StopReason::Memory(limit))
        } else {
            None
        }
    }
}

/// Runs the checker as `opts` says, obeying its limits (U2).
#[must_use]
pub fn run(opts: &CheckOptions) -> CheckResult {
    let started = Instant::now();
    let limits = Limits {
        opts,
        deadline: opts
            .timeout
            .map(|t| crate::budget::deadline_after(started, t)),
    };
    match opts.engine {
        Engine::Native => run_native(&limits),
        Engine::Stateright => run_stateright(&limits, started),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Always => "always",
        Kind::Eventually => "eventually",
        Kind::Sometimes => "sometimes",
    }
}

/// The shortest path to a violation of the named property (None for `sometimes`), or None
/// when the deadline comes first (checked every 256 states of the search).
fn counterexample(cfg: &ModelConfig, name: &str, deadline: Option<Instant>) -> Option<Vec<Action>> {
    let prop = catalog(cfg).into_iter().find(|p| p.name == name)?;
    let mut seen = 0u64;
    let mut gave_up = false;
    // The search stops at the first state the target accepts: out of time counts as found,
    // and its path is then thrown away.
    let mut out_of_time = || {
        seen += 1;
        gave_up =
            gave_up || (seen.is_multiple_of(256) && deadline.is_some_and(|d| Instant::now() >= d));
        gave_up
    };
    let path = match prop.judge {
        Judge::Always(ok) => shortest_path(cfg, |s, _| out_of_time() || !ok(cfg, s)),
        Judge::Eventually(ok) => shortest_path(cfg, |s, terminal| {
            out_of_time() || (terminal && !ok(cfg, s))
        }),
        Judge::Sometimes(_) | Judge::Witnessed(_) => None,
    };
    path.filter(|_| !gave_up)
}

/// Holds, fails or unknown from what a run discovered.
fn verdict(discovered: bool, sometimes: bool, complete: bool) -> Verdict {
    match (discovered, sometimes, complete) {
        (true, true, _) | (false, false, true) => Verdict::Holds,
        (true, false, _) | (false, true, true) => Verdict::Fails,
        (false, _, false) => Verdict::Unknown,
    }
}

/// The native checker (M17), stopped through its progress's stop flag when a limit is
/// reached (its own timeout is set too). Its judgements need no re-check after a stop: it
/// judges `eventually` only at states with no enabled action in the real model.
fn run_native(limits: &Limits<'_>) -> CheckResult {
    let opts = limits.opts;
    let threads = opts.threads.max(1);
    let shared = explore::Progress::default();
    let done = std::sync::atomic::AtomicBool::new(false);
    let options = explore::Options {
        threads,
        symmetry: opts.symmetry,
        timeout: opts.timeout,
    };
    let mut progress = crate::progress::Progress::new("check", opts.progress);
    let (outcome, mut stopped) = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut stopped = None;
            while !done.load(Ordering::Relaxed) {
                let unique = shared.unique.load(Ordering::Relaxed);
                if stopped.is_none() {
                    stopped = limits.reached(unique);
                    if stopped.is_some() {
                        shared.stop.store(true, Ordering::Relaxed);
                    }
                }
                progress.update(&[
                    ("states", shared.states.load(Ordering::Relaxed)),
                    ("unique", unique),
                    ("depth", shared.depth.load(Ordering::Relaxed) as u64),
                ]);
                std::thread::sleep(Duration::from_millis(20));
            }
            (stopped, progress)
        });
        let out = explore::explore_with(&opts.config, options, &shared);
        done.store(true, Ordering::Relaxed);
        let (stopped, mut progress) = watcher
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        progress.finish(&[
            ("states", out.states),
            ("unique", out.unique),
            ("depth", out.depth as u64),
        ]);
        (out, stopped)
    });
    if !outcome.complete && stopped.is_none() {
        // The explorer's own timeout came before the watcher's next poll.
        stopped = Some(opts.timeout.map_or(StopReason::Deadline(0), |t| {
            StopReason::Deadline(t.as_secs())
        }));
    }
    let complete = outcome.complete;
    let peak = peak_rss_kib();
    let properties = outcome
        .verdicts
        .iter()
        .map(|v| {
            let sometimes = v.kind == Kind::Sometimes;
            let verdict = verdict(v.discovered, sometimes, complete);
            PropertyVerdict {
                name: v.name,
                expectation: kind_name(v.kind),
                discovered: v.discovered,
                holds: verdict == Verdict::Holds,
                verdict,
                path: (v.discovered && !sometimes)
                    .then(|| counterexample(&opts.config, v.name, limits.deadline))
                    .flatten(),
            }
        })
        .collect();
    CheckResult {
        threads,
        states: usize::try_from(outcome.states).unwrap_or(usize::MAX),
        unique: usize::try_from(outcome.unique).unwrap_or(usize::MAX),
        depth: outcome.depth,
        seconds: outcome.seconds,
        complete,
        stopped,
        peak_rss_kib: peak,
        properties,
    }
}

fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Eventually => "eventually",
        Expectation::Sometimes => "sometimes",
    }
}

/// stateright's checker on the [`budgeted::Budgeted`] wrapper: its own `timeout` and
/// `target_state_count` are set, and a watcher also stops the search itself at a limit
/// (stateright 0.31 checks its timeout only when a thread runs out of local work, which a
/// single BFS thread never does until the end).
fn run_stateright(limits: &Limits<'_>, started: Instant) -> CheckResult {
    let opts = limits.opts;
    let deadline = limits.deadline;
    let model = budgeted::Budgeted::new(opts.config.clone());
    let stop = model.stop_flag();
    let mut builder = model.checker().threads(opts.threads.max(1));
    if let Some(t) = opts.timeout {
        builder = builder.timeout(t);
    }
    if let Some(n) = opts.max_states {
        builder = builder.target_state_count(usize::try_from(n).unwrap_or(usize::MAX));
    }
    let mut progress = crate::progress::Progress::new("check", opts.progress);
    let mut stopped = None;
    let limit_reached = |unique: u64| limits.reached(unique);
    macro_rules! wait {
        ($checker:expr) => {{
            let checker = $checker;
            loop {
                let unique = checker.unique_state_count() as u64;
                if stopped.is_none() {
                    stopped = limit_reached(unique);
                    if stopped.is_some() {
                        // Also when stateright's own timeout closed its market first: its
                        // worker may still be expanding its local queue (see above).
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                if checker.is_done() {
                    break;
                }
                progress.update(&[
                    ("states", checker.state_count() as u64),
                    ("unique", unique),
                    ("depth", checker.max_depth() as u64),
                ]);
                std::thread::sleep(Duration::from_millis(20));
            }
            let checker = checker.join();
            // Paths are rebuilt from action indices: the model must offer its actions again.
            stop.store(false, std::sync::atomic::Ordering::Relaxed);
            (
                checker.state_count(),
                checker.unique_state_count(),
                checker.max_depth(),
                checker.discoveries(),
            )
        }};
    }
    let (states, unique, depth, discoveries) = match (opts.strategy, opts.symmetry) {
        (Strategy::Bfs, _) => wait!(builder.spawn_bfs()),
        (Strategy::Dfs, false) => wait!(builder.spawn_dfs()),
        (Strategy::Dfs, true) => wait!(builder.symmetry().spawn_dfs()),
    };
    progress.finish(&[
        ("states", states as u64),
        ("unique", unique as u64),
        ("depth", depth as u64),
    ]);
    // stateright's own state limit may have stopped it between two polls.
    if stopped.is_none() && opts.max_states.is_some_and(|n| unique as u64 >= n) {
        stopped = opts.max_states.map(StopReason::States);
    }
    let complete = stopped.is_none();
    let seconds = started.elapsed().as_secs_f64();
    let properties = opts
        .config
        .properties()
        .into_iter()
        .map(|p| {
            let found = discoveries
                .get(p.name)
                .cloned()
                .map(stateright::Path::into_actions);
            verdict_of(opts, &p, found, complete, deadline)
        })
        .collect();
    CheckResult {
        threads: opts.threads.max(1),
        states,
        unique,
        depth,
        seconds,
        complete,
        stopped,
        peak_rss_kib: peak_rss_kib(),
        properties,
    }
}

/// The verdict of one property from what the checker discovered.
fn verdict_of(
    opts: &CheckOptions,
    p: &stateright::Property<ModelConfig>,
    found: Option<Vec<Action>>,
    complete: bool,
    deadline: Option<Instant>,
) -> PropertyVerdict {
    let cfg = &opts.config;
    let path = match (found, &p.expectation) {
        // stateright's BFS reports a short, not always the shortest, counterexample (M6):
        // re-search with a plain BFS, within what is left of the budget.
        (Some(found), Expectation::Always) => Some(
            budgeted::shortest_violation(cfg, p.condition, deadline, opts.max_states)
                .unwrap_or(found),
        ),
        // An `eventually` discovery of a stopped run may sit at a state the stop made
        // terminal: keep it only if it is a real terminal state of the unbounded model.
        (Some(found), Expectation::Eventually) if !complete => {
            budgeted::real_eventually_counterexample(cfg, p.condition, &found).then_some(found)
        }
        (found, _) => found,
    };
    let discovered = path.is_some();
    let sometimes = matches!(p.expectation, Expectation::Sometimes);
    let verdict = verdict(discovered, sometimes, complete);
    PropertyVerdict {
        name: p.name,
        expectation: expectation_name(&p.expectation),
        discovered,
        holds: verdict == Verdict::Holds,
        verdict,
        path,
    }
}

/// The `model-check.json` document (schema 1 of `reports/README.md`) for runs of one
/// configuration.
#[must_use]
pub fn report_json(config: &str, description: &str, runs: &[CheckResult]) -> serde_json::Value {
    let props = runs.first().map_or_else(Vec::new, |r| {
        r.properties
            .iter()
            .map(|p| {
                let mut v = json!({ "name": p.name, "expectation": p.expectation, "discovered": p.discovered, "verdict": p.verdict });
                if let (Some(path), serde_json::Value::Object(m)) = (&p.path, &mut v) {
                    m.insert("path".into(), json!(path.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>()));
                }
                v
            })
            .collect()
    });
    json!({
        "schema": 1,
        "config": config,
        "description": description,
        "runs": runs.iter().map(|r| json!({
            "threads": r.threads, "unique_states": r.unique, "states_generated": r.states,
            "max_depth": r.depth, "seconds": r.seconds.max(1e-6), "complete": r.complete,
            "stopped": r.stopped.map(|s| s.to_string()), "peak_rss_kib": r.peak_rss_kib,
        })).collect::<Vec<_>>(),
        "properties": props,
    })
}

/// A one-line description of a configuration.
#[must_use]
pub fn describe(cfg: &ModelConfig) -> String {
    let s = &cfg.setup;
    let b = &cfg.bounds;
    let f = &b.faults_enabled;
    let per_group: Vec<String> = s
        .groups
        .iter()
        .map(|g| g.resources.len().to_string())
        .collect();
    let kinds: Vec<&str> = [
        (f.lock, "lock"),
        (f.busy, "busy"),
        (f.crash, "crash"),
        (f.net, "net"),
        (f.embedded, "embedded"),
        (f.fail_work, "fail"),
        (f.panic, "panic"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect();
    format!(
        "{} nodes, {} group(s) of [{}] resources, {} calls ({} offline × {} move flag sets{}), {} faults ({})",
        s.nodes.len(),
        s.groups.len(),
        per_group.join(", "),
        b.calls,
        b.offline_flags.len(),
        b.move_flags.len(),
        if b.null_dest { ", null destination too" } else { "" },
        b.faults,
        kinds.join(",")
    )
}
