//! `offline-v2`: the front door of the suite. `--help` on every subcommand explains it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use offline_v2::loader::{find_cdylib, LoadedDll};
use offline_v2_model::bugs::Bug;
use offline_v2_model::config::{Faults, ModelConfig};
use offline_v2_properties::budget;
use offline_v2_properties::conformance::{
    fixtures, flag_sweep, reachable_coverage, regression, run_exhaustive, run_random,
    scenario_of_setup, steps_of_path, write_scenario, Coverage,
};
use offline_v2_properties::corpus::{load_all, scenario_files};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::model_check::{self, CheckOptions, Engine, Strategy};
use offline_v2_properties::model_side::ModelSide;
use offline_v2_properties::replay::{replay, ReplayReport, Side};
use offline_v2_properties::scenario::Scenario;
use offline_v2_properties::scenario_json;
use serde_json::json;

/// Formal model and property-based verification of the WSFC OfflineV2 entry point.
///
/// The implementation (the reference resource DLL, its host and the cluster coordinator) and an
/// independent stateright model are checked against ../shared/SPEC.md and against each other.
/// Exit codes: 0 everything held, 1 something failed, 2 bad input (command line or files).
#[derive(Parser)]
#[command(name = "offline-v2", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: model-check the default configuration, run the conformance budget
    /// (impl vs model) and replay the scenario corpus; print one summary table.
    ///
    /// Budgets come from OFFLINE_V2_CASES, OFFLINE_V2_DEPTH and OFFLINE_V2_SECONDS (README).
    /// It also writes target/reports/model-check.json and conformance.json for the reports.
    ///
    /// Example: offline-v2 verify --json > summary.json
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),
    /// Model-check a configuration of the stateright model and print every property's verdict.
    ///
    /// A counterexample is printed as a numbered trace and can be written as a replayable
    /// SPEC §7 scenario with --emit-scenario.
    ///
    /// Example: offline-v2 check --nodes 4 --groups 2 --resources 1 --calls 3 --faults 2 --symmetry --threads 2
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
    /// Replay SPEC §7 scenario files on the implementation and the model, step by step.
    ///
    /// Every file is parsed first: a malformed one is reported with its JSON path and nothing
    /// runs (exit 2). Then each scenario runs on the implementation (DLL calls through the
    /// loaded cdylib) and on the model; any difference between them, or from an expectation,
    /// is reported with the step index, the expectation, what each side produced and which
    /// side diverged (exit 1).
    ///
    /// Example: offline-v2 replay properties/scenarios
    #[command(verbatim_doc_comment)]
    Replay(ReplayArgs),
    /// Serve stateright's Explorer on 127.0.0.1 to browse the model's states in a browser.
    ///
    /// Example: offline-v2 explore --port 3000   (then open http://127.0.0.1:3000)
    #[command(verbatim_doc_comment)]
    Explore(ExploreArgs),
}

#[derive(Args)]
struct VerifyArgs {
    /// Scenario folders to replay (default: properties/scenarios and properties/regressions).
    #[arg(long)]
    scenarios: Vec<PathBuf>,
    /// The resource DLL to drive (default: the built reference cdylib, or $OFFLINE_V2_DLL).
    #[arg(long)]
    dll: Option<PathBuf>,
    /// Print only the summary.
    #[arg(long, short)]
    quiet: bool,
    /// Print the summary as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    json: bool,
}

#[derive(Args, Clone)]
struct ConfigArgs {
    /// Nodes (2–8).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=8))]
    nodes: u8,
    /// Groups (1–8).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
    groups: u8,
    /// Resources per group (1–7; at most 16 in all).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=7))]
    resources: u8,
    /// Budget of client calls: every call costs one, rejected ones too (OfflineResourceEx
    /// with each of the 8 sets of {IGNORE, FORCE_WITH_TERMINATION, DO_NOT_UPDATE},
    /// OnlineResourceEx, MoveGroupEx with each of the 8 sets of {IGNORE, RETURN_TO_SOURCE,
    /// QUEUE_ENABLED} to every node and to null, CancelGroupOperation).
    #[arg(long, default_value_t = 2)]
    calls: u8,
    /// Budget of faults: every fault and every heal costs one (lock/unlock, busy/unbusy,
    /// crash/start, net_down/net_up, embedded_failure, inject_panic), each offered only when
    /// it changes something. Outcomes of pending calls (complete, fail, time out) and
    /// retries of queued moves are free.
    #[arg(long, default_value_t = 1)]
    faults: u8,
    /// Which faults, comma-separated: lock, busy, crash, net, embedded, fail (failing pending
    /// work, free), panic — or all, none.
    #[arg(long, default_value = "lock,busy,crash,net,embedded,fail", value_parser = Faults::parse)]
    fault_kinds: Faults,
    /// Check a deliberately broken variant of the model (non-vacuity), e.g. ReturnLegWithoutDnu.
    #[arg(long, value_parser = parse_bug)]
    bug: Option<Bug>,
}

fn parse_bug(text: &str) -> Result<Bug, String> {
    let wanted: String = text.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    Bug::ALL
        .into_iter()
        .find(|b| format!("{b:?}").eq_ignore_ascii_case(&wanted))
        .ok_or_else(|| {
            let names: Vec<String> = Bug::ALL.iter().map(|b| format!("{b:?}")).collect();
            format!("unknown bug {text:?}; one of: {}", names.join(", "))
        })
}

impl ConfigArgs {
    /// The configuration of issue 11's budgets (`ModelConfig::table`).
    fn config(&self) -> Result<ModelConfig, String> {
        let mut cfg = ModelConfig::table(
            usize::from(self.nodes),
            usize::from(self.groups),
            usize::from(self.resources),
            self.calls,
            self.faults,
        );
        cfg.bounds.faults_enabled = self.fault_kinds.clone();
        if let Some(bug) = self.bug {
            cfg = cfg.with_bug(bug);
        }
        cfg.setup.validate()?;
        Ok(cfg)
    }
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Checker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Which checker: the model's native parallel checker, or stateright's.
    #[arg(long, value_enum, default_value_t = Engine::Native)]
    engine: Engine,
    /// Search order (bfs: stateright only).
    #[arg(long, value_enum, default_value_t = Strategy::Dfs)]
    strategy: Strategy,
    /// Symmetry reduction over interchangeable nodes and groups (DFS only).
    #[arg(long)]
    symmetry: bool,
    /// Stop after this many seconds (the result is then marked incomplete).
    #[arg(long)]
    timeout: Option<u64>,
    /// Write the first counterexample as a replayable SPEC §7 scenario file.
    #[arg(long, value_name = "FILE")]
    emit_scenario: Option<PathBuf>,
    /// Print the summary as JSON (model-check.json schema).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ReplayArgs {
    /// Scenario files or folders (searched recursively for *.json).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The resource DLL to drive (default: the built reference cdylib, or $OFFLINE_V2_DLL).
    #[arg(long)]
    dll: Option<PathBuf>,
    /// Only print failures and the final line.
    #[arg(long, short)]
    quiet: bool,
    /// Which sides to run: both (lockstep, the default), impl or model.
    #[arg(long, value_enum, default_value_t = Sides::Both)]
    sides: Sides,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Sides {
    Both,
    Impl,
    Model,
}

#[derive(Args)]
struct ExploreArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

/// Exit code of a run: 0 all held, 1 a failing expectation, 2 bad input.
const EXIT_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Verify(args) => cmd_verify(&args),
        Command::Check(args) => cmd_check(&args),
        Command::Replay(args) => cmd_replay(&args),
        Command::Explore(args) => cmd_explore(&args),
    }
}

fn load_dll(path: Option<&PathBuf>) -> Result<LoadedDll, String> {
    let path = match path {
        Some(p) => p.clone(),
        None => find_cdylib().map_err(|e| e.to_string())?,
    };
    LoadedDll::open(&path).map_err(|e| e.to_string())
}

/// Replays one scenario on the implementation (through `dll`) and/or the model.
fn replay_one(scenario: &Scenario, dll: &LoadedDll, which: Sides) -> Result<ReplayReport, String> {
    let dlls = dll
        .instances(scenario.nodes.len())
        .map_err(|e| e.to_string())?;
    let mut imp = ImplSide::new(scenario, dlls).map_err(|e| e.to_string())?;
    let mut model = ModelSide::new(scenario)?;
    Ok(match which {
        Sides::Both => replay(scenario, &mut [&mut imp as &mut dyn Side, &mut model]),
        Sides::Impl => replay(scenario, &mut [&mut imp as &mut dyn Side]),
        Sides::Model => replay(scenario, &mut [&mut model as &mut dyn Side]),
    })
}

/// Outcome of replaying a set of scenarios.
struct CorpusOutcome {
    passed: usize,
    failed: Vec<String>,
}

/// Parses every file first (exit 2 on any malformed one), then replays each.
fn replay_files(
    paths: &[PathBuf],
    dll: &LoadedDll,
    which: Sides,
    quiet: bool,
) -> Result<CorpusOutcome, ExitCode> {
    let files = scenario_files(paths).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    let scenarios = load_all(&files).map_err(|errors| {
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!(
            "{} malformed scenario file(s); nothing was run",
            errors.len()
        );
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    let mut out = CorpusOutcome {
        passed: 0,
        failed: Vec::new(),
    };
    for s in &scenarios {
        match replay_one(s, dll, which) {
            Ok(report) if report.passed() => {
                out.passed += 1;
                if !quiet {
                    println!("ok    {} ({} steps)", s.file.display(), report.steps);
                }
            }
            Ok(report) => {
                println!("FAIL  {} — {}", s.file.display(), s.name);
                for f in &report.failures {
                    print!("{f}");
                }
                out.failed.push(s.file.display().to_string());
            }
            Err(e) => {
                println!("FAIL  {}: {e}", s.file.display());
                out.failed.push(s.file.display().to_string());
            }
        }
    }
    Ok(out)
}

fn cmd_replay(args: &ReplayArgs) -> ExitCode {
    let dll = match load_dll(args.dll.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    match replay_files(&args.paths, &dll, args.sides, args.quiet) {
        Err(code) => code,
        Ok(out) => {
            println!("replay: {} passed, {} failed", out.passed, out.failed.len());
            if out.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_FAILED)
            }
        }
    }
}

fn print_trace(setup: &Scenario, path: &[offline_v2_model::actions::Action]) {
    for (i, step) in steps_of_path(setup, path).into_iter().enumerate() {
        let text = scenario_json::to_json(&Scenario {
            steps: vec![step],
            ..setup.clone()
        });
        let line = text["steps"][0].to_string();
        println!("    {:>3}. {line}", i + 1);
    }
}

fn cmd_check(args: &CheckArgs) -> ExitCode {
    if args.symmetry && args.strategy != Strategy::Dfs {
        eprintln!("error: --symmetry needs --strategy dfs (stateright applies symmetry reduction only to DFS)");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    if args.strategy == Strategy::Bfs && args.engine == Engine::Native {
        eprintln!(
            "error: --strategy bfs needs --engine stateright (the native checker is depth-first)"
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let cfg = match args.config.config() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let setup = scenario_of_setup(&cfg.setup, "counterexample");
    let result = model_check::run(&CheckOptions {
        config: cfg.clone(),
        threads: args.threads,
        engine: args.engine,
        strategy: args.strategy,
        symmetry: args.symmetry,
        timeout: args.timeout.map(Duration::from_secs),
        progress: !args.json,
    });
    if args.json {
        let v = model_check::report_json(
            "check",
            &model_check::describe(&cfg),
            std::slice::from_ref(&result),
        );
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        print_check(&cfg, args, &result, &setup);
    }
    if let Some(file) = &args.emit_scenario {
        if let Err(code) = emit_counterexample(&result, &setup, file) {
            return code;
        }
    }
    if result.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn print_check(
    cfg: &ModelConfig,
    args: &CheckArgs,
    result: &model_check::CheckResult,
    setup: &Scenario,
) {
    println!("configuration: {}", model_check::describe(cfg));
    println!(
        "checker: {:?} {:?}, {} thread(s), symmetry {}",
        args.engine,
        args.strategy,
        result.threads,
        if args.symmetry { "on" } else { "off" }
    );
    let peak = result.peak_rss_kib.map_or_else(
        || "?".to_owned(),
        |k| format!("{:.1} MB", k as f64 / 1024.0),
    );
    println!(
        "states={}, unique={}, depth={}, sec={:.2}, peak RSS={peak}, unique/s={:.0}{}",
        result.states,
        result.unique,
        result.depth,
        result.seconds,
        result.rate(),
        if result.complete {
            ""
        } else {
            " (incomplete: timeout)"
        }
    );
    for p in &result.properties {
        let verdict = if p.holds { "holds" } else { "FAILS" };
        println!("  {verdict:5}  {:10} {}", p.expectation, p.name);
        if !p.holds {
            if let Some(path) = &p.path {
                println!("    counterexample ({} steps):", path.len());
                print_trace(setup, path);
            } else {
                println!("    no example found (a `sometimes` property must be reachable)");
            }
        }
    }
}

fn emit_counterexample(
    result: &model_check::CheckResult,
    setup: &Scenario,
    file: &Path,
) -> Result<(), ExitCode> {
    let counterexample = result
        .properties
        .iter()
        .find(|p| !p.holds && p.path.is_some());
    let Some(p) = counterexample else {
        eprintln!("no counterexample: nothing written to {}", file.display());
        return Ok(());
    };
    let steps = steps_of_path(setup, p.path.as_deref().unwrap_or_default());
    let scenario = regression(setup, &format!("counterexample of {}", p.name), &steps);
    if let Err(e) = std::fs::write(file, scenario_json::to_text(&scenario)) {
        eprintln!("error: cannot write {}: {e}", file.display());
        return Err(ExitCode::from(EXIT_BAD_INPUT));
    }
    eprintln!(
        "counterexample of {:?} written to {}",
        p.name,
        file.display()
    );
    Ok(())
}

fn cmd_explore(args: &ExploreArgs) -> ExitCode {
    use stateright::Model;
    let cfg = match args.config.config() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let address = ("127.0.0.1", args.port);
    println!(
        "Explorer of {} on http://127.0.0.1:{} (Ctrl-C to stop)",
        model_check::describe(&cfg),
        args.port
    );
    cfg.checker().serve(address);
    ExitCode::SUCCESS
}

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

/// One row of the verify summary.
struct Row {
    what: &'static str,
    amount: String,
    failed: String,
    seconds: f64,
    ok: bool,
}

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

#[allow(clippy::too_many_lines)]
fn cmd_verify(args: &VerifyArgs) -> ExitCode {
    if let Err(e) = budget::validate() {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let dll = match load_dll(args.dll.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    // One spinner on stderr shows the phase running (quiet with --quiet or --json).
    let spinner = (!args.quiet && !args.json).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let say = |text: &str| {
        match &spinner {
            Some(bar) if !bar.is_hidden() => {
                bar.println(text);
                bar.set_message(text.to_owned());
            }
            Some(_) => eprintln!("{text}"), // stderr is not a terminal: plain lines
            None => {}
        }
    };
    let mut rows = Vec::new();

    // 1. Model checking of the default configuration (BFS, exhaustive).
    let cfg = ModelConfig::default();
    say(&format!(
        "model checking the default configuration: {}",
        model_check::describe(&cfg)
    ));
    let check = model_check::run(&CheckOptions {
        config: cfg.clone(),
        threads: 1,
        engine: Engine::Native,
        strategy: Strategy::Dfs,
        symmetry: false,
        timeout: None,
        progress: false,
    });
    let failed_props: Vec<&str> = check
        .properties
        .iter()
        .filter(|p| !p.holds)
        .map(|p| p.name)
        .collect();
    write_report(
        "model-check.json",
        &model_check::report_json(
            "default",
            &model_check::describe(&cfg),
            std::slice::from_ref(&check),
        ),
    );
    rows.push(Row {
        what: "model check (default config)",
        amount: format!(
            "{} unique states, depth {}, {} properties",
            check.unique,
            check.depth,
            check.properties.len()
        ),
        failed: if failed_props.is_empty() {
            "-".into()
        } else {
            failed_props.join(", ")
        },
        seconds: check.seconds,
        ok: check.passed(),
    });

    // 2. Conformance: random lockstep runs and exhaustive model-guided paths.
    let started = Instant::now();
    let deadline = started + budget::seconds();
    let mut coverage = Coverage::default();
    let mut cases = 0u32;
    let mut steps = 0u64;
    let mut failures = Vec::new();
    for setup in fixtures() {
        say(&format!(
            "conformance: random lockstep runs on {}",
            setup.name
        ));
        let out = run_random(&setup, &dll, budget::cases(), 24, deadline, &|_| {});
        cases += out.cases;
        steps += out.steps;
        coverage.merge(&out.coverage);
        if let Some((shrunk, reason)) = out.failure {
            let name = format!("conformance-{}-{}-steps", setup.name, shrunk.len());
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions");
            let kept = write_scenario(&dir, &regression(&setup, &name, &shrunk))
                .map_or_else(|e| format!("(not kept: {e})"), |p| p.display().to_string());
            println!(
                "conformance failure on {}: {reason}\nshrunk scenario kept as {kept}",
                setup.name
            );
            failures.push(json!({ "case": name, "step": 0, "message": reason }));
        }
    }
    let model_setup = scenario_of_setup(&cfg.setup, "model-default");
    say(&format!(
        "conformance: every model path up to depth {}",
        budget::depth()
    ));
    let exhaustive = run_exhaustive(&cfg, &model_setup, &dll, budget::depth(), deadline, &|_| {});
    coverage.merge(&exhaustive.coverage);
    steps += exhaustive.steps;
    if let Some((_, reason)) = &exhaustive.failure {
        println!("conformance failure on a model path: {reason}");
        failures.push(json!({ "case": "model path", "step": 0, "message": reason }));
    }
    say("conformance: all 128 OfflineV2 flag combinations in every DLL state");
    let sweep = flag_sweep(&dll);
    coverage.merge(&sweep.coverage);
    for (case, reason) in &sweep.failures {
        println!("conformance failure in the flag sweep ({case}): {reason}");
        failures.push(json!({ "case": case, "step": 0, "message": reason }));
    }
    let (reachable, _) = reachable_coverage(&cfg, &model_setup);
    let exercised = exhaustive
        .coverage
        .triples
        .intersection(&reachable.triples)
        .count();
    let pct = 100.0 * exercised as f64 / reachable.triples.len().max(1) as f64;
    let conf_secs = started.elapsed().as_secs_f64();
    write_report(
        "conformance.json",
        &json!({
            "schema": 1,
            "runner": "proptest lockstep + exhaustive model paths (impl through the loaded cdylib vs model)",
            "cases": cases,
            "paths": exhaustive.replayed,
        "flag_sweep_runs": sweep.runs,
            "depth": exhaustive.depth,
            "steps": steps,
            "seconds": conf_secs.max(1e-6),
            "transition_coverage": { "exercised": exercised, "reachable": reachable.triples.len() },
            "failures": failures,
            "offline_v2_calls": coverage.offline_flags.iter().map(|((flags, code), n)| json!({
                "flags": flags, "outcome": offline_v2::types::ErrorCode(*code).to_string(), "count": n
            })).collect::<Vec<_>>(),
        }),
    );
    rows.push(Row {
        what: "conformance (impl vs model, lockstep)",
        amount: format!(
            "{cases} random cases + {}/{} model paths (depth {}) + {} flag-sweep runs, {steps} steps, coverage {pct:.0}%",
            exhaustive.replayed, exhaustive.paths, exhaustive.depth, sweep.runs
        ),
        failed: if failures.is_empty() { "-".into() } else { format!("{} divergence(s)", failures.len()) },
        seconds: conf_secs,
        ok: failures.is_empty() && exhaustive.replayed > 0,
    });

    // 3. The scenario corpus and kept regressions, in lockstep.
    let dirs = if args.scenarios.is_empty() {
        default_scenario_dirs()
    } else {
        args.scenarios.clone()
    };
    say(&format!(
        "replaying scenarios in {}",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let started = Instant::now();
    let corpus = match replay_files(&dirs, &dll, Sides::Both, true) {
        Ok(c) => c,
        Err(code) => return code,
    };
    rows.push(Row {
        what: "scenario corpus (impl + model)",
        amount: format!("{} scenarios", corpus.passed + corpus.failed.len()),
        failed: if corpus.failed.is_empty() {
            "-".into()
        } else {
            corpus.failed.join(", ")
        },
        seconds: started.elapsed().as_secs_f64(),
        ok: corpus.failed.is_empty() && corpus.passed > 0,
    });

    if let Some(bar) = &spinner {
        bar.finish_and_clear();
    }
    let all_ok = rows.iter().all(|r| r.ok);
    if args.json {
        let v = json!({
            "ok": all_ok,
            "rows": rows.iter().map(|r| json!({
                "what": r.what, "amount": r.amount, "failed": r.failed, "seconds": r.seconds, "ok": r.ok
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!();
        println!(
            "{:<38} {:<6} {:>8}  how much / what failed",
            "what ran", "result", "seconds"
        );
        for r in &rows {
            println!(
                "{:<38} {:<6} {:>8.1}  {}{}",
                r.what,
                if r.ok { "ok" } else { "FAIL" },
                r.seconds,
                r.amount,
                if r.ok {
                    String::new()
                } else {
                    format!(" — failed: {}", r.failed)
                }
            );
        }
        println!(
            "\nverify: {}",
            if all_ok { "everything held" } else { "FAILED" }
        );
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}
