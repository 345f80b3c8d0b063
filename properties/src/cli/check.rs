//! `offline-v2 check`: model-check one configuration, print every property's verdict, and
//! optionally write the first counterexample as a replayable SPEC §7 scenario.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use offline_v2_model::actions::Action;

use super::{bad_input, exit_code, ConfigArgs};
use crate::conformance::{regression, scenario_of_setup, steps_of_path};
use crate::model_check::{self, CheckOptions, CheckResult, Engine, Strategy};
use crate::scenario::Scenario;

/// Options of `check`.
#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Checker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Which checker: the model's native parallel checker, or stateright's.
    #[arg(long, value_enum, default_value_t = Engine::Native)]
    engine: Engine,
    /// Search order (bfs: stateright only; counterexamples are always the shortest, found by a
    /// BFS once a property fails).
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

/// Runs `check`.
#[must_use]
pub fn run(args: &CheckArgs) -> ExitCode {
    if args.symmetry && args.strategy != Strategy::Dfs {
        return bad_input(
            "--symmetry needs --strategy dfs (stateright applies symmetry reduction only to DFS)",
        );
    }
    if args.strategy == Strategy::Bfs && args.engine == Engine::Native {
        return bad_input(
            "--strategy bfs needs --engine stateright (the native checker is depth-first)",
        );
    }
    let cfg = match args.config.config() {
        Ok(cfg) => cfg,
        Err(e) => return bad_input(e),
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
    let description = model_check::describe(&cfg);
    if args.json {
        let v = model_check::report_json("check", &description, std::slice::from_ref(&result));
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!("configuration: {description}");
        println!(
            "checker: {:?} {:?}, {} thread(s), symmetry {}",
            args.engine,
            args.strategy,
            result.threads,
            if args.symmetry { "on" } else { "off" }
        );
        print_result(&result, &setup);
    }
    if let Some(file) = &args.emit_scenario {
        if let Err(code) = emit_scenario(file, &result, &setup) {
            return code;
        }
    }
    exit_code(result.passed())
}

/// The verdicts as text, with each counterexample as a numbered trace.
fn print_result(result: &CheckResult, setup: &Scenario) {
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
        if p.holds {
            continue;
        }
        if let Some(path) = &p.path {
            println!("    counterexample ({} steps):", path.len());
            print_trace(setup, path);
        } else {
            println!("    no example found (a `sometimes` property must be reachable)");
        }
    }
}

/// One line per action, as the scenario step it becomes (a `Timeout`/`Retry` as the `tick`
/// that makes it due, M15).
fn print_trace(setup: &Scenario, path: &[Action]) {
    for (i, step) in steps_of_path(setup, path).into_iter().enumerate() {
        let step = serde_json::to_value(step).unwrap_or_default();
        println!("    {:>3}. {step}", i + 1);
    }
}

/// Writes the first counterexample of `result` to `file` as a SPEC §7 scenario.
fn emit_scenario(file: &Path, result: &CheckResult, setup: &Scenario) -> Result<(), ExitCode> {
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
    std::fs::write(file, scenario.to_text())
        .map_err(|e| bad_input(format!("cannot write {}: {e}", file.display())))?;
    eprintln!(
        "counterexample of {:?} written to {}",
        p.name,
        file.display()
    );
    Ok(())
}
