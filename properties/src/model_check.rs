//! Running the stateright checker on the model with progress output, and its results as data
//! (the `model-check.json` of `reports/README.md`).

use std::time::{Duration, Instant};

mod budgeted;

use offline_v2_model::actions::Action;
use offline_v2_model::config::ModelConfig;
use serde_json::json;
use stateright::{Checker, Expectation, Model};

/// BFS (shortest counterexamples with one thread) or DFS (with symmetry reduction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// Breadth-first.
    Bfs,
    /// Depth-first (symmetry reduction applies only here).
    Dfs,
}

/// How to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The model configuration.
    pub config: ModelConfig,
    /// Checker threads.
    pub threads: usize,
    /// Search order.
    pub strategy: Strategy,
    /// Symmetry reduction over interchangeable nodes and groups (DFS only).
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
    /// Options for `config` with one thread, BFS, no symmetry, no limits, no progress.
    #[must_use]
    pub fn new(config: ModelConfig) -> Self {
        CheckOptions {
            config,
            threads: 1,
            strategy: Strategy::Bfs,
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
    /// The discovered path's actions.
    pub path: Option<Vec<Action>>,
}

/// What one checker run found.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// Threads used.
    pub threads: usize,
    /// States generated.
    pub states: usize,
    /// Unique states.
    pub unique: usize,
    /// Maximum depth.
    pub depth: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// False when a limit stopped the search.
    pub complete: bool,
    /// The limit that stopped it, if one did.
    pub stopped: Option<StopReason>,
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
}

fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Eventually => "eventually",
        Expectation::Sometimes => "sometimes",
    }
}

/// The process's resident memory in MiB (Linux `/proc`; `None` elsewhere).
#[must_use]
pub fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// Runs the checker as `opts` says, obeying its limits (U2): stateright's own `timeout` and
/// `target_state_count` are set, and a watcher also stops the search itself at the deadline,
/// the state limit or the memory limit (stateright 0.31 checks its timeout only when a thread
/// runs out of local work, which a single BFS thread never does until the end).
#[must_use]
pub fn run(opts: &CheckOptions) -> CheckResult {
    let started = Instant::now();
    let deadline = opts
        .timeout
        .map(|t| crate::budget::deadline_after(started, t));
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
    // The first limit reached, if any, given the unique states so far.
    let limit_reached = |unique: u64| {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            opts.timeout.map(|t| StopReason::Deadline(t.as_secs()))
        } else if opts.max_states.is_some_and(|n| unique >= n) {
            opts.max_states.map(StopReason::States)
        } else if let (Some(limit), Some(now)) = (opts.memory_mb, resident_mb()) {
            (now >= limit).then_some(StopReason::Memory(limit))
        } else {
            None
        }
    };
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
        seconds: started.elapsed().as_secs_f64(),
        complete,
        stopped,
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
    let verdict = match (discovered, sometimes, complete) {
        (true, true, _) | (false, false, true) => Verdict::Holds,
        (true, false, _) | (false, true, true) => Verdict::Fails,
        (false, _, false) => Verdict::Unknown,
    };
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
            "stopped": r.stopped.map(|s| s.to_string())
        })).collect::<Vec<_>>(),
        "properties": props,
    })
}

/// A one-line description of a configuration.
#[must_use]
pub fn describe(cfg: &ModelConfig) -> String {
    let s = &cfg.setup;
    let per_group: Vec<String> = s
        .groups
        .iter()
        .map(|g| g.resources.len().to_string())
        .collect();
    format!(
        "{} nodes, {} group(s) of [{}] resources, {} calls, {} faults, pending_timeout {}, retry_interval {}",
        s.nodes.len(),
        s.groups.len(),
        per_group.join(", "),
        cfg.bounds.calls,
        cfg.bounds.faults,
        s.pending_timeout,
        s.retry_interval
    )
}
