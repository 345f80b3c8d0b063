//! `offline-v2 verify`: the main job, in three phases — model checking of the default
//! configuration ([`model_check_phase`]), conformance of the implementation against the model
//! ([`conformance_phase`]) and the scenario corpus ([`corpus_phase`]). Each phase returns a
//! typed result; [`Summary`] turns them into the table (or `--json`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use offline_v2::loader::LoadedDll;
use offline_v2::types::ErrorCode;
use offline_v2_model::config::ModelConfig;
use serde::Serialize;
use serde_json::json;

use super::replay::{replay_files, Sides};
use super::{bad_input, describe_dll, dll_json, exit_code, load_dll};
use crate::budget;
use crate::conformance::{
    fixtures, flag_sweep, reachable_coverage, regression, run_exhaustive, run_random,
    scenario_of_setup, write_scenario, Coverage,
};
use crate::model_check::{self, CheckOptions, CheckResult, Engine, Strategy};
use crate::scenario::Scenario;

/// Options of `verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// Scenario folders to replay (default: properties/scenarios and properties/regressions).
    #[arg(long)]
    scenarios: Vec<PathBuf>,
    /// The resource DLL to drive (default: the built reference cdylib, or $OFFLINE_V2_DLL).
    #[arg(long)]
    dll: Option<PathBuf>,
    /// The resource type to ask StartupEx for (default: the reference's, or
    /// $OFFLINE_V2_RESOURCE_TYPE).
    #[arg(long, value_name = "NAME")]
    resource_type: Option<String>,
    /// Print only the summary.
    #[arg(long, short)]
    quiet: bool,
    /// Print the summary as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    json: bool,
}

/// Runs `verify`.
#[must_use]
pub fn run(args: &VerifyArgs) -> ExitCode {
    if let Err(e) = budget::validate() {
        return bad_input(e);
    }
    let dll = match load_dll(args.dll.as_ref(), args.resource_type.as_deref()) {
        Ok(d) => d,
        Err(e) => return bad_input(e),
    };
    let progress = Progress::new(!args.quiet && !args.json);
    let cfg = ModelConfig::default();
    let model = model_check_phase(&cfg, &progress);
    write_report("model-check.json", &model.report_json());
    let conformance = conformance_phase(&cfg, &dll, &progress);
    write_report("conformance.json", &conformance.report_json());
    let dirs = if args.scenarios.is_empty() {
        default_scenario_dirs()
    } else {
        args.scenarios.clone()
    };
    let corpus = match corpus_phase(&dirs, &dll, &progress) {
        Ok(c) => c,
        Err(code) => return code,
    };
    progress.finish();
    let summary = Summary {
        rows: vec![model.row(), conformance.row(), corpus.row()],
        dll: Some((describe_dll(&dll), dll_json(&dll))),
    };
    if args.json {
        println!("{}", summary.json());
    } else {
        print!("{}", summary.table());
    }
    exit_code(summary.ok())
}

/// One spinner on stderr naming the phase running (none with `--quiet` or `--json`; plain
/// lines when stderr is not a terminal).
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(shown: bool) -> Self {
        Self(shown.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        }))
    }

    fn say(&self, text: &str) {
        match &self.0 {
            Some(bar) if !bar.is_hidden() => {
                bar.println(text);
                bar.set_message(text.to_owned());
            }
            Some(_) => eprintln!("{text}"),
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Phase 1: the model check of the default configuration (native checker, exhaustive).
#[derive(Debug, Clone)]
pub struct ModelCheckPhase {
    /// The configuration, described.
    pub description: String,
    /// What the checker found.
    pub result: CheckResult,
}

/// Runs phase 1.
fn model_check_phase(cfg: &ModelConfig, progress: &Progress) -> ModelCheckPhase {
    let description = model_check::describe(cfg);
    progress.say(&format!(
        "model checking the default configuration: {description}"
    ));
    let result = model_check::run(&CheckOptions {
        config: cfg.clone(),
        threads: 1,
        engine: Engine::Native,
        strategy: Strategy::Dfs,
        symmetry: false,
        timeout: None,
        progress: false,
    });
    ModelCheckPhase {
        description,
        result,
    }
}

impl ModelCheckPhase {
    /// The properties that failed.
    #[must_use]
    pub fn failed(&self) -> Vec<&'static str> {
        self.result
            .properties
            .iter()
            .filter(|p| !p.holds)
            .map(|p| p.name)
            .collect()
    }

    /// `model-check.json`.
    #[must_use]
    pub fn report_json(&self) -> serde_json::Value {
        model_check::report_json(
            "default",
            &self.description,
            std::slice::from_ref(&self.result),
        )
    }

    /// The summary row.
    #[must_use]
    pub fn row(&self) -> SummaryRow {
        let r = &self.result;
        SummaryRow {
            what: "model check (default config)",
            amount: format!(
                "{} unique states, depth {}, {} properties",
                r.unique,
                r.depth,
                r.properties.len()
            ),
            failed: dash_or(&self.failed().join(", ")),
            seconds: r.seconds,
            ok: r.passed(),
        }
    }
}

/// One conformance divergence (a shrunk random case, a model path or a flag-sweep run).
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    /// Which case.
    pub case: String,
    /// The step (0: the report text names the step).
    pub step: usize,
    /// The replay report.
    pub message: String,
}

/// Phase 2: conformance — random lockstep runs, every model path up to a depth, the flag
/// sweep, and the transition coverage of the model paths.
#[derive(Debug, Clone, Default)]
pub struct ConformancePhase {
    /// Random cases run.
    pub cases: u32,
    /// Model paths enumerated.
    pub paths: usize,
    /// Model paths replayed before the deadline.
    pub replayed: usize,
    /// Depth of the model paths.
    pub depth: usize,
    /// Flag-sweep runs.
    pub sweep_runs: usize,
    /// Lockstep steps applied in all runs.
    pub steps: u64,
    /// Reachable (action, flags, outcome) triples the model paths exercised.
    pub exercised: usize,
    /// Reachable triples in the bounded model.
    pub reachable: usize,
    /// What every run exercised.
    pub coverage: Coverage,
    /// Every divergence found.
    pub failures: Vec<Divergence>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Runs phase 2 within the budget (`OFFLINE_V2_CASES`, `_DEPTH`, `_SECONDS`).
fn conformance_phase(cfg: &ModelConfig, dll: &LoadedDll, progress: &Progress) -> ConformancePhase {
    let started = Instant::now();
    let deadline = started + budget::seconds();
    let mut phase = ConformancePhase::default();
    for setup in fixtures() {
        progress.say(&format!(
            "conformance: random lockstep runs on {}",
            setup.name
        ));
        random_runs(&mut phase, &setup, dll, deadline);
    }
    let model_setup = scenario_of_setup(&cfg.setup, "model-default");
    progress.say(&format!(
        "conformance: every model path up to depth {}",
        budget::depth()
    ));
    model_paths(&mut phase, cfg, &model_setup, dll, deadline);
    progress.say("conformance: all 128 OfflineV2 flag combinations in every DLL state");
    let sweep = flag_sweep(dll);
    phase.sweep_runs = sweep.runs;
    phase.coverage.merge(&sweep.coverage);
    for (case, reason) in sweep.failures {
        println!("conformance failure in the flag sweep ({case}): {reason}");
        phase.failures.push(Divergence {
            case,
            step: 0,
            message: reason,
        });
    }
    phase.seconds = started.elapsed().as_secs_f64();
    phase
}

/// Random lockstep runs on one fixture; a failure is shrunk and kept in `regressions/`.
fn random_runs(phase: &mut ConformancePhase, setup: &Scenario, dll: &LoadedDll, deadline: Instant) {
    let out = run_random(setup, dll, budget::cases(), 24, deadline, &|_| {});
    phase.cases += out.cases;
    phase.steps += out.steps;
    phase.coverage.merge(&out.coverage);
    if let Some((shrunk, reason)) = out.failure {
        let name = format!("conformance-{}-{}-steps", setup.name, shrunk.len());
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions");
        let kept = write_scenario(&dir, &regression(setup, &name, &shrunk))
            .map_or_else(|e| format!("(not kept: {e})"), |p| p.display().to_string());
        println!(
            "conformance failure on {}: {reason}\nshrunk scenario kept as {kept}",
            setup.name
        );
        phase.failures.push(Divergence {
            case: name,
            step: 0,
            message: reason,
        });
    }
}

/// Every model path up to `budget::depth()`, and the share of reachable triples they cover.
fn model_paths(
    phase: &mut ConformancePhase,
    cfg: &ModelConfig,
    model_setup: &Scenario,
    dll: &LoadedDll,
    deadline: Instant,
) {
    let exhaustive = run_exhaustive(cfg, model_setup, dll, budget::depth(), deadline, &|_| {});
    phase.coverage.merge(&exhaustive.coverage);
    phase.steps += exhaustive.steps;
    phase.paths = exhaustive.paths;
    phase.replayed = exhaustive.replayed;
    phase.depth = exhaustive.depth;
    if let Some((_, reason)) = exhaustive.failure {
        println!("conformance failure on a model path: {reason}");
        phase.failures.push(Divergence {
            case: "model path".into(),
            step: 0,
            message: reason,
        });
    }
    let (reachable, _) = reachable_coverage(cfg, model_setup);
    phase.exercised = exhaustive
        .coverage
        .triples
        .intersection(&reachable.triples)
        .count();
    phase.reachable = reachable.triples.len();
}

impl ConformancePhase {
    /// Exercised share of the reachable triples, in percent.
    #[must_use]
    pub fn coverage_percent(&self) -> f64 {
        100.0 * self.exercised as f64 / self.reachable.max(1) as f64
    }

    /// Every check held and at least one model path ran.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.failures.is_empty() && self.replayed > 0
    }

    /// `conformance.json`.
    #[must_use]
    pub fn report_json(&self) -> serde_json::Value {
        json!({
            "schema": 1,
            "runner": "proptest lockstep + exhaustive model paths (impl through the loaded cdylib vs model)",
            "cases": self.cases,
            "paths": self.replayed,
            "flag_sweep_runs": self.sweep_runs,
            "depth": self.depth,
            "steps": self.steps,
            "seconds": self.seconds.max(1e-6),
            "transition_coverage": { "exercised": self.exercised, "reachable": self.reachable },
            "failures": self.failures,
            "offline_v2_calls": self.coverage.offline_flags.iter().map(|((flags, code), n)| json!({
                "flags": flags, "outcome": ErrorCode(*code).to_string(), "count": n
            })).collect::<Vec<_>>(),
        })
    }

    /// The summary row.
    #[must_use]
    pub fn row(&self) -> SummaryRow {
        SummaryRow {
            what: "conformance (impl vs model, lockstep)",
            amount: format!(
                "{} random cases + {}/{} model paths (depth {}) + {} flag-sweep runs, {} steps, coverage {:.0}%",
                self.cases,
                self.replayed,
                self.paths,
                self.depth,
                self.sweep_runs,
                self.steps,
                self.coverage_percent()
            ),
            failed: if self.failures.is_empty() {
                "-".into()
            } else {
                format!("{} divergence(s)", self.failures.len())
            },
            seconds: self.seconds,
            ok: self.ok(),
        }
    }
}

/// Phase 3: the scenario corpus and kept regressions, replayed in lockstep.
#[derive(Debug, Clone, Default)]
pub struct CorpusPhase {
    /// Scenarios that held.
    pub passed: usize,
    /// Files of the scenarios that failed.
    pub failed: Vec<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Runs phase 3.
///
/// # Errors
/// Exit 2 if a file is malformed (nothing is replayed then).
fn corpus_phase(
    dirs: &[PathBuf],
    dll: &LoadedDll,
    progress: &Progress,
) -> Result<CorpusPhase, ExitCode> {
    let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    progress.say(&format!("replaying scenarios in {}", shown.join(", ")));
    let started = Instant::now();
    let out = replay_files(dirs, dll, Sides::Both, true)?;
    Ok(CorpusPhase {
        passed: out.passed,
        failed: out.failed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl CorpusPhase {
    /// The summary row.
    #[must_use]
    pub fn row(&self) -> SummaryRow {
        SummaryRow {
            what: "scenario corpus (impl + model)",
            amount: format!("{} scenarios", self.passed + self.failed.len()),
            failed: dash_or(&self.failed.join(", ")),
            seconds: self.seconds,
            ok: self.failed.is_empty() && self.passed > 0,
        }
    }
}

/// One row of the summary table.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    /// The phase.
    pub what: &'static str,
    /// How much ran.
    pub amount: String,
    /// What failed, or `-`.
    pub failed: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The phase held.
    pub ok: bool,
}

/// The summary of a `verify` run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// One row per phase.
    pub rows: Vec<SummaryRow>,
    /// The DLL driven: a line for the table and its JSON (path, resource type, exports).
    pub dll: Option<(String, serde_json::Value)>,
}

impl Summary {
    /// Every phase held.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.rows.iter().all(|r| r.ok)
    }

    /// `--json`: `{ "ok": …, "rows": [ {what, amount, failed, seconds, ok} ] }`.
    #[must_use]
    pub fn json(&self) -> String {
        let v = json!({
            "ok": self.ok(),
            "rows": self.rows,
            "dll": self.dll.as_ref().map(|(_, j)| j),
        });
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// The table and the final line.
    #[must_use]
    pub fn table(&self) -> String {
        let mut out = self
            .dll
            .as_ref()
            .map_or_else(String::new, |(line, _)| format!("\nDLL: {line}\n"));
        out.push_str(&format!(
            "\n{:<38} {:<6} {:>8}  how much / what failed\n",
            "what ran", "result", "seconds"
        ));
        for r in &self.rows {
            let failed = if r.ok {
                String::new()
            } else {
                format!(" — failed: {}", r.failed)
            };
            out.push_str(&format!(
                "{:<38} {:<6} {:>8.1}  {}{failed}\n",
                r.what,
                if r.ok { "ok" } else { "FAIL" },
                r.seconds,
                r.amount,
            ));
        }
        let verdict = if self.ok() {
            "everything held"
        } else {
            "FAILED"
        };
        out.push_str(&format!("\nverify: {verdict}\n"));
        out
    }
}

/// `-` for an empty text.
fn dash_or(text: &str) -> String {
    if text.is_empty() {
        "-".into()
    } else {
        text.to_owned()
    }
}

/// `properties/scenarios` and `properties/regressions` (from the working directory if it is
/// the workspace, else from this crate's folder).
fn default_scenario_dirs() -> Vec<PathBuf> {
    let here = Path::new("properties");
    let base = if here.join("scenarios").is_dir() {
        here.to_path_buf()
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    };
    ["scenarios", "regressions"]
        .iter()
        .map(|d| base.join(d))
        .filter(|p| p.is_dir())
        .collect()
}

/// Writes a report for the `reports` tool into `target/reports/` (a warning if it cannot).
fn write_report(name: &str, value: &serde_json::Value) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/reports");
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::write(
            dir.join(name),
            serde_json::to_string_pretty(value).unwrap_or_default(),
        )
    });
    if let Err(e) = written {
        eprintln!("warning: cannot write {}: {e}", dir.join(name).display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ok: bool) -> SummaryRow {
        SummaryRow {
            what: "phase",
            amount: "3 things".into(),
            failed: if ok { "-".into() } else { "x.json".into() },
            seconds: 0.25,
            ok,
        }
    }

    #[test]
    fn the_summary_fails_if_one_phase_fails_and_names_what_failed() {
        let good = Summary {
            rows: vec![row(true), row(true)],
            dll: None,
        };
        assert!(good.ok());
        assert!(good.table().ends_with("verify: everything held\n"));
        let bad = Summary {
            rows: vec![row(true), row(false)],
            dll: Some(("libx.so".into(), serde_json::json!({ "path": "libx.so" }))),
        };
        assert!(!bad.ok());
        let table = bad.table();
        assert!(table.contains("FAIL"), "{table}");
        assert!(table.contains("3 things — failed: x.json"), "{table}");
        assert!(table.ends_with("verify: FAILED\n"));
        let v: serde_json::Value = serde_json::from_str(&bad.json()).expect("JSON");
        assert_eq!(v["ok"], false);
        assert_eq!(v["rows"][1]["failed"], "x.json");
        assert_eq!(v["dll"]["path"], "libx.so");
        assert!(table.starts_with("\nDLL: libx.so\n"), "{table}");
    }

    #[test]
    fn conformance_is_not_ok_without_a_model_path_or_with_a_divergence() {
        let mut phase = ConformancePhase {
            replayed: 1,
            ..ConformancePhase::default()
        };
        assert!(phase.ok());
        phase.replayed = 0;
        assert!(!phase.ok(), "nothing replayed is not a pass");
        phase.replayed = 1;
        phase.failures.push(Divergence {
            case: "c".into(),
            step: 0,
            message: "m".into(),
        });
        assert!(!phase.ok());
        assert_eq!(phase.row().failed, "1 divergence(s)");
    }

    #[test]
    fn an_empty_corpus_is_not_a_pass() {
        let phase = CorpusPhase::default();
        assert!(!phase.row().ok);
        let phase = CorpusPhase {
            passed: 2,
            failed: vec!["a.json".into()],
            seconds: 0.0,
        };
        assert_eq!(phase.row().failed, "a.json");
        assert_eq!(phase.row().amount, "3 scenarios");
    }
}
