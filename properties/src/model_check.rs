//! Running a checker on the model, and its results as data (the `model-check.json` of
//! `reports/README.md`).
//!
//! Two engines: the model's native parallel checker (`offline_v2_model::explore`, M17: DFS
//! per thread, symmetry by canonical form, paths found afterwards by a shortest BFS), and
//! stateright's own BFS/DFS on the same `Model` (for comparison, and for stateright's
//! discovery semantics).

use std::time::{Duration, Instant};

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
    /// Search order.
    pub strategy: Strategy,
    /// Symmetry reduction over interchangeable nodes and groups (DFS only).
    pub symmetry: bool,
    /// Stop after this long (the result is then incomplete).
    pub timeout: Option<Duration>,
    /// Show a spinner with the state count on stderr.
    pub progress: bool,
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
    /// The shortest counterexample's actions (failing `always`/`eventually` properties).
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
    /// False when the timeout stopped the search.
    pub complete: bool,
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

/// Runs the checker as `opts` says.
#[must_use]
pub fn run(opts: &CheckOptions) -> CheckResult {
    let spinner = opts.progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(format!("model checking ({:?} engine)", opts.engine).to_lowercase());
        bar
    });
    let result = match opts.engine {
        Engine::Native => run_native(opts, spinner.as_ref()),
        Engine::Stateright => run_stateright(opts, spinner.as_ref()),
    };
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    result
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Always => "always",
        Kind::Eventually => "eventually",
        Kind::Sometimes => "sometimes",
    }
}

/// The shortest path to a violation of the named property (None for `sometimes`).
fn counterexample(cfg: &ModelConfig, name: &str) -> Option<Vec<Action>> {
    let prop = catalog(cfg).into_iter().find(|p| p.name == name)?;
    match prop.judge {
        Judge::Always(ok) => shortest_path(cfg, |s, _| !ok(cfg, s)),
        Judge::Eventually(ok) => shortest_path(cfg, |s, terminal| terminal && !ok(cfg, s)),
        Judge::Sometimes(_) | Judge::Witnessed(_) => None,
    }
}

fn run_native(opts: &CheckOptions, spinner: Option<&indicatif::ProgressBar>) -> CheckResult {
    let threads = opts.threads.max(1);
    let progress = explore::Progress::default();
    let done = std::sync::atomic::AtomicBool::new(false);
    let options = explore::Options {
        threads,
        symmetry: opts.symmetry,
        timeout: opts.timeout,
    };
    let outcome = std::thread::scope(|scope| {
        if let Some(bar) = spinner {
            scope.spawn(|| {
                use std::sync::atomic::Ordering::Relaxed;
                while !done.load(Relaxed) {
                    bar.set_message(format!(
                        "model checking: {} transitions, depth {}",
                        progress.states.load(Relaxed),
                        progress.depth.load(Relaxed)
                    ));
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        let out = explore::explore_with(&opts.config, options, &progress);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        out
    });
    let peak = peak_rss_kib();
    let properties = outcome
        .verdicts
        .iter()
        .map(|v| PropertyVerdict {
            name: v.name,
            expectation: kind_name(v.kind),
            discovered: v.discovered,
            holds: v.holds(),
            path: (!v.holds() && v.kind != Kind::Sometimes)
                .then(|| counterexample(&opts.config, v.name))
                .flatten(),
        })
        .collect();
    CheckResult {
        threads,
        states: usize::try_from(outcome.states).unwrap_or(usize::MAX),
        unique: usize::try_from(outcome.unique).unwrap_or(usize::MAX),
        depth: outcome.depth,
        seconds: outcome.seconds,
        complete: outcome.complete,
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

fn run_stateright(opts: &CheckOptions, spinner: Option<&indicatif::ProgressBar>) -> CheckResult {
    let started = Instant::now();
    let mut builder = opts.config.clone().checker().threads(opts.threads.max(1));
    if let Some(t) = opts.timeout {
        builder = builder.timeout(t);
    }
    let checker: Box<dyn Checker<ModelConfig>> = match (opts.strategy, opts.symmetry) {
        (Strategy::Bfs, _) => Box::new(builder.spawn_bfs()),
        (Strategy::Dfs, false) => Box::new(builder.spawn_dfs()),
        (Strategy::Dfs, true) => Box::new(builder.symmetry().spawn_dfs()),
    };
    while !checker.is_done() {
        if let Some(bar) = spinner {
            bar.set_message(format!(
                "model checking (stateright): {} unique states, depth {}",
                checker.unique_state_count(),
                checker.max_depth()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let discoveries = checker.discoveries();
    let seconds = started.elapsed().as_secs_f64();
    let complete = opts.timeout.is_none_or(|t| started.elapsed() < t);
    let properties = opts
        .config
        .properties()
        .into_iter()
        .map(|p| {
            let found = discoveries.contains_key(p.name);
            let sometimes = matches!(p.expectation, Expectation::Sometimes);
            PropertyVerdict {
                name: p.name,
                expectation: expectation_name(&p.expectation),
                discovered: found,
                holds: found == sometimes,
                path: (found && !sometimes)
                    .then(|| counterexample(&opts.config, p.name))
                    .flatten(),
            }
        })
        .collect();
    CheckResult {
        threads: opts.threads.max(1),
        states: checker.state_count(),
        unique: checker.unique_state_count(),
        depth: checker.max_depth(),
        seconds,
        complete,
        peak_rss_kib: peak_rss_kib(),
        properties,
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
                let mut v = json!({ "name": p.name, "expectation": p.expectation, "discovered": p.discovered });
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
            "peak_rss_kib": r.peak_rss_kib,
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
