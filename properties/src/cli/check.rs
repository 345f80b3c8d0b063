//! `offline-v2 check`: model-check one configuration, print every property's verdict, and
//! optionally write the first counterexample as a replayable SPEC §7 scenario.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use offline_v2_model::actions::Action;

use super::{bad_input, exit_code, ConfigArgs};
use crate::conformance::{regression, scenario_of_setup, step_of_action};
use crate::model_check::{self, CheckOptions, CheckResult, Strategy};
use crate::scenario::Scenario;
use crate::scenario_json;

/// Options of `check`.
#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Checker threads (BFS counterexamples are shortest only with 1).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Search order.
    #[arg(long, value_enum, default_value_t = Strategy::Bfs)]
    strategy: Strategy,
    /// Symmetry reduction over interchangeable nodes and groups (needs --strategy dfs).
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
    let cfg = args.config.config();
    let setup = scenario_of_setup(&cfg.setup, "counterexample");
    let result = model_check::run(&CheckOptions {
        config: cfg.clone(),
        threads: args.threads,
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
        print_result(&description, &result, &setup);
    }
    if let Some(file) = &args.emit_scenario {
        if let Err(code) = emit_scenario(file, &result, &setup) {
            return code;
        }
    }
    exit_code(result.passed())
}

/// The verdicts as text, with each counterexample as a numbered trace.
fn print_result(description: &str, result: &CheckResult, setup: &Scenario) {
    println!("configuration: {description}");
    println!(
        "states={}, unique={}, depth={}, sec={:.2}{}",
        result.states,
        result.unique,
        result.depth,
        result.seconds,
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

/// One line per action, as the scenario step it becomes.
fn print_trace(setup: &Scenario, path: &[Action]) {
    for (i, a) in path.iter().enumerate() {
        let step = step_of_action(setup, a);
        let text = scenario_json::to_json(&Scenario {
            steps: vec![step],
            ..setup.clone()
        });
        let line = text["steps"][0].to_string();
        println!("    {:>3}. {line}", i + 1);
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
    let steps: Vec<_> = p
        .path
        .iter()
        .flatten()
        .map(|a| step_of_action(setup, a))
        .collect();
    let scenario = regression(setup, &format!("counterexample of {}", p.name), &steps);
    std::fs::write(file, scenario_json::to_text(&scenario))
        .map_err(|e| bad_input(format!("cannot write {}: {e}", file.display())))?;
    eprintln!(
        "counterexample of {:?} written to {}",
        p.name,
        file.display()
    );
    Ok(())
}
