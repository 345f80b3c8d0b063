//! Running the stateright checker on the model with progress output, and its results as data
//! (the `model-check.json` of `reports/README.md`).

use std::time::{Duration, Instant};

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
    /// False when the timeout stopped the search.
    pub complete: bool,
    /// Every property.
    pub properties: Vec<PropertyVerdict>,
}

impl CheckResult {
    /// Every property holds and the search was complete.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.complete && self.properties.iter().all(|p| p.holds)
    }
}

fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Eventually => "eventually",
        Expectation::Sometimes => "sometimes",
    }
}

/// Runs the checker as `opts` says.
#[must_use]
pub fn run(opts: &CheckOptions) -> CheckResult {
    let started = Instant::now();
    let mut builder = opts.config.clone().checker().threads(opts.threads.max(1));
    if let Some(t) = opts.timeout {
        builder = builder.timeout(t);
    }
    let spinner = opts.progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    macro_rules! wait {
        ($checker:expr) => {{
            let checker = $checker;
            while !checker.is_done() {
                if let Some(bar) = &spinner {
                    bar.set_message(format!(
                        "model checking: {} unique states, depth {}",
                        checker.unique_state_count(),
                        checker.max_depth()
                    ));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let checker = checker.join();
            let discoveries = checker.discoveries();
            (
                checker.state_count(),
                checker.unique_state_count(),
                checker.max_depth(),
                discoveries,
            )
        }};
    }
    let (states, unique, depth, discoveries) = match (opts.strategy, opts.symmetry) {
        (Strategy::Bfs, _) => wait!(builder.spawn_bfs()),
        (Strategy::Dfs, false) => wait!(builder.spawn_dfs()),
        (Strategy::Dfs, true) => wait!(builder.symmetry().spawn_dfs()),
    };
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    let complete = opts.timeout.is_none_or(|t| started.elapsed() < t);
    let properties = opts
        .config
        .properties()
        .into_iter()
        .map(|p| {
            let path = discoveries
                .get(p.name)
                .cloned()
                .map(stateright::Path::into_actions);
            // stateright's BFS reports a short, not always the shortest, counterexample (M6):
            // for an `always` property re-search with the model's own shortest-path BFS.
            let path = match path {
                Some(found) if matches!(p.expectation, Expectation::Always) => Some(
                    offline_v2_model::shortest::shortest_counterexample(&opts.config, p.condition)
                        .unwrap_or(found),
                ),
                other => other,
            };
            let discovered = path.is_some();
            let sometimes = matches!(p.expectation, Expectation::Sometimes);
            PropertyVerdict {
                name: p.name,
                expectation: expectation_name(&p.expectation),
                discovered,
                holds: discovered == sometimes,
                path,
            }
        })
        .collect();
    CheckResult {
        threads: opts.threads.max(1),
        states,
        unique,
        depth,
        seconds,
        complete,
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
            "max_depth": r.depth, "seconds": r.seconds.max(1e-6), "complete": r.complete
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
