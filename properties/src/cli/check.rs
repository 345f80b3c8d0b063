//! `offline-v2 check`: model-check one configuration within a budget, print every property's
//! verdict — a counterexample as the state after each step (only what changed, with names),
//! the violated property named, and for liveness the operation that never completes — and
//! optionally write the first counterexample as a replayable SPEC §7 scenario that names its
//! origin.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use offline_v2_model::bugs::Bug;
use offline_v2_model::config::ModelConfig;

use super::{bad_input, finish, resolve_budget, ConfigArgs, ProfileArg};
use crate::conformance::{regression, scenario_of_setup, steps_of_path};
use crate::describe;
use crate::model_check::{self, CheckOptions, CheckResult, Engine, Strategy, Verdict};
use crate::outcome::{Phase, PropertyOutcome, Report, Status};
use crate::scenario::Scenario;

/// Options of `check`.
#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Checker threads.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: u16,
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
    /// Stop after this many seconds (default: the profile's `seconds`); the result is then
    /// incomplete (exit 3).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    timeout: Option<u64>,
    /// Stop after this many unique states (default: the profile's `max_states`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_states: Option<u64>,
    /// Stop when resident memory exceeds this many MiB (default: the profile's `memory_mb`).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(64..))]
    max_memory: Option<u64>,
    /// Write the first counterexample as a replayable SPEC §7 scenario file.
    #[arg(long, value_name = "FILE")]
    emit_scenario: Option<PathBuf>,
    /// Print the report as JSON (docs/report.schema.json).
    #[arg(long)]
    json: bool,
    /// Print the run as the `model-check.json` document of reports/README.md instead (the
    /// input of `reports model-check`; scripts/model-table.sh collects these).
    #[arg(long, conflicts_with = "json")]
    model_check_json: bool,
    /// Also write the report as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Model-check the implementation itself instead of the model: a `Cluster` over the
    /// in-process reference DLL, on the same configuration and budgets, with the SPEC §6
    /// monitors as its properties (stateright BFS, one thread; `--timeout` and `--max-states`
    /// apply; `--engine`, `--strategy`, `--symmetry`, `--max-memory` and `--bug` do not).
    #[arg(long = "impl", conflicts_with = "emit_scenario")]
    implementation: bool,
    #[command(flatten)]
    profile: ProfileArg,
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
    let budget = match resolve_budget(&args.profile) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let started = Instant::now();
    let cfg = match args.config.config() {
        Ok(cfg) => cfg,
        Err(e) => return bad_input(e),
    };
    if args.implementation {
        return run_impl(args, budget, cfg, started);
    }
    let setup = scenario_of_setup(&cfg.setup, "counterexample");
    let result = model_check::run(&CheckOptions {
        config: cfg.clone(),
        threads: usize::from(args.threads),
        engine: args.engine,
        strategy: args.strategy,
        symmetry: args.symmetry,
        timeout: Some(Duration::from_secs(args.timeout.unwrap_or(budget.seconds))),
        max_states: args.max_states.or(budget.max_states),
        memory_mb: args.max_memory.or(budget.memory_mb),
        progress: !args.json && !args.model_check_json,
    });
    let description = model_check::describe(&cfg);
    let phase = phase_of(&result, &description, Some((&setup, &cfg)));
    if args.model_check_json {
        let v = model_check::report_json("check", &description, std::slice::from_ref(&result));
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else if !args.json {
        println!("configuration: {description}");
        println!(
            "checker: {:?} {:?}, {} thread(s), symmetry {}",
            args.engine,
            args.strategy,
            result.threads,
            if args.symmetry { "on" } else { "off" }
        );
        print_result(&result, &phase);
    }
    if let Some(file) = &args.emit_scenario {
        if let Err(code) = emit_scenario(file, &result, &setup, &cfg, args.config.bug()) {
            return code;
        }
    }
    let mut report = Report::new("check", started.elapsed().as_secs_f64(), vec![phase]);
    report.budget = Some(budget);
    finish(&report, args.json, args.junit.as_deref())
}

/// `check --impl`: the implementation's model check (`crate::checked::ImplSystem`) reported
/// like a model check — the same text, `--json`, `--model-check-json` and JUnit — with one
/// `always` property per monitor (R10…R19), one for the implementation's own checks (I17),
/// the two §6 bounded-response properties (`§6-complete`, `§6-held`, P7) and the four §6
/// `sometimes` (P8).
fn run_impl(
    args: &CheckArgs,
    budget: crate::budget::Budget,
    cfg: ModelConfig,
    started: Instant,
) -> ExitCode {
    let max_states = args.max_states.or(budget.max_states);
    let timeout = args.timeout.unwrap_or(budget.seconds);
    let (result, summary) = match impl_check(&cfg, max_states, timeout) {
        Ok(r) => r,
        Err(e) => return bad_input(e.to_string()),
    };
    let description = format!("implementation: {}", model_check::describe(&cfg));
    let mut phase = phase_of(&result, &description, None);
    for b in &summary.broken {
        if let Some(v) = &b.violation {
            phase.mark(
                Status::Failed,
                format!("{} after {} steps: {v}", b.property, b.path.len()),
            );
        }
    }
    if args.model_check_json {
        let v = model_check::report_json("check-impl", &description, std::slice::from_ref(&result));
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else if !args.json {
        println!("configuration: {description}");
        println!("checker: stateright Bfs over the implementation, 1 thread, SPEC §6 monitors");
        print_result(&result, &phase);
        for b in &summary.broken {
            let steps: Vec<String> = b.path.iter().map(|a| format!("{a:?}")).collect();
            println!("counterexample for {}: {}", b.property, steps.join(" -> "));
            if let Some(v) = &b.violation {
                println!("{v}");
            }
        }
    }
    let mut report = Report::new("check", started.elapsed().as_secs_f64(), vec![phase]);
    report.budget = Some(budget);
    finish(&report, args.json, args.junit.as_deref())
}

/// The implementation's model check of `cfg` (`crate::checked::ImplSystem` with the monitors
/// as properties, BFS, within `max_states` unique states and `timeout` seconds) as a model
/// [`CheckResult`] (no action paths: its actions are not model actions) and the check's own
/// summary (counterexamples with the monitors' verdicts).
///
/// # Errors
/// A set-up the implementation or the monitors refuse.
pub fn impl_check(
    cfg: &ModelConfig,
    max_states: Option<u64>,
    timeout: u64,
) -> Result<
    (
        CheckResult,
        crate::monitors::checked::Summary<crate::checked::ImplAction>,
    ),
    crate::checked::CheckedError,
> {
    use crate::monitors::checked::{check, Limits};
    let system = crate::checked::ImplSystem::new(cfg.clone())?;
    let summary = check(
        system.monitored(),
        Limits {
            max_states: max_states.and_then(|n| usize::try_from(n).ok()),
            timeout: Some(Duration::from_secs(timeout)),
        },
    );
    let stopped = (!summary.complete).then_some(match max_states {
        Some(n) if summary.unique as u64 >= n => model_check::StopReason::States(n),
        _ => model_check::StopReason::Deadline(timeout),
    });
    let properties = summary
        .properties
        .iter()
        .map(|&name| {
            // SPEC §6 "sometimes" (P8): holds once reached; fails only when a complete check
            // never reached it.
            if let Some(&(_, reached)) = summary.reached.iter().find(|(n, _)| *n == name) {
                let verdict = if reached {
                    Verdict::Holds
                } else if summary.complete {
                    Verdict::Fails
                } else {
                    Verdict::Unknown
                };
                return model_check::PropertyVerdict {
                    name,
                    expectation: "sometimes",
                    discovered: reached,
                    holds: reached,
                    verdict,
                    path: None,
                };
            }
            let broken = summary.broken.iter().any(|b| b.property == name);
            let verdict = if broken {
                Verdict::Fails
            } else if summary.complete {
                Verdict::Holds
            } else {
                Verdict::Unknown
            };
            model_check::PropertyVerdict {
                name,
                expectation: "always",
                discovered: broken,
                holds: !broken,
                verdict,
                path: None,
            }
        })
        .collect();
    let result = CheckResult {
        threads: 1,
        states: summary.states,
        unique: summary.unique,
        depth: summary.depth,
        seconds: summary.seconds,
        complete: summary.complete,
        stopped,
        peak_rss_kib: model_check::peak_rss_kib(),
        properties,
    };
    Ok((result, summary))
}

fn is_liveness(p: &model_check::PropertyVerdict) -> bool {
    p.expectation == "eventually" || p.name.starts_with("bounded response")
}

/// A checker run as a report phase (`model_check`): covered `unique_states`, `states`,
/// `depth`; one [`PropertyOutcome`] per property, with its trace when `names` are given.
#[must_use]
pub fn phase_of(
    result: &CheckResult,
    title: &str,
    names: Option<(&Scenario, &ModelConfig)>,
) -> Phase {
    let mut phase = Phase::new("model_check", title);
    phase.seconds = result.seconds;
    phase
        .cover("unique_states", result.unique as u64)
        .cover("states", result.states as u64)
        .cover("depth", result.depth as u64)
        .cover("threads", result.threads as u64);
    for p in &result.properties {
        let trace = match (names, &p.path, p.verdict) {
            (Some((setup, cfg)), Some(path), Verdict::Fails) => {
                describe::trace(setup, cfg, path, is_liveness(p)).ok()
            }
            _ => None,
        };
        phase.properties.push(PropertyOutcome {
            name: p.name.to_owned(),
            kind: p.expectation.to_owned(),
            verdict: p.verdict,
            trace,
        });
    }
    let failed: Vec<&str> = result
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Fails)
        .map(|p| p.name)
        .collect();
    if !failed.is_empty() {
        phase.mark(Status::Failed, format!("violated: {}", failed.join(", ")));
    }
    if let Some(stop) = result.stopped {
        let unknown = result
            .properties
            .iter()
            .filter(|p| p.verdict == Verdict::Unknown)
            .count();
        phase.mark(
            Status::Incomplete,
            format!(
                "{stop} after {} unique states (depth {}); {unknown} properties undecided",
                result.unique, result.depth
            ),
        );
    }
    phase
}

/// The verdicts as text, with each counterexample as a trace of states.
fn print_result(result: &CheckResult, phase: &Phase) {
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
        result
            .stopped
            .map_or_else(String::new, |s| format!(" (INCOMPLETE: {s})"))
    );
    for p in &phase.properties {
        let verdict = match p.verdict {
            Verdict::Holds => "holds",
            Verdict::Fails => "FAILS",
            Verdict::Unknown => "unknown",
        };
        println!("  {verdict:7}  {:10} {}", p.kind, p.name);
        if p.verdict != Verdict::Fails {
            continue;
        }
        match &p.trace {
            Some(trace) => {
                println!(
                    "    counterexample of {:?} ({} steps; after each: outputs, then what changed):",
                    p.name,
                    trace.steps.len()
                );
                print!("{}", describe::trace_text(trace));
                println!("    violated: {} ({})", p.name, p.kind);
            }
            None if p.kind == "sometimes" => {
                println!("    no example in the whole state space (a `sometimes` property must be reachable)");
            }
            None => println!("    (no path recorded)"),
        }
    }
}

/// Writes the first counterexample of `result` to `file` as a SPEC §7 scenario whose name says
/// where it came from (property, bug, configuration).
fn emit_scenario(
    file: &Path,
    result: &CheckResult,
    setup: &Scenario,
    cfg: &ModelConfig,
    bug: Option<Bug>,
) -> Result<(), ExitCode> {
    let counterexample = result
        .properties
        .iter()
        .find(|p| p.verdict == Verdict::Fails && p.path.is_some());
    let Some(p) = counterexample else {
        eprintln!("no counterexample: nothing written to {}", file.display());
        return Ok(());
    };
    let steps = steps_of_path(setup, p.path.as_deref().unwrap_or_default());
    let origin = match bug {
        Some(bug) => format!(
            "counterexample of {:?} found by offline-v2 check --bug {bug:?} on {}; replay it on the broken model with: offline-v2 replay --bug {bug:?} FILE",
            p.name,
            model_check::describe(cfg)
        ),
        None => format!(
            "counterexample of {:?} found by offline-v2 check on {}",
            p.name,
            model_check::describe(cfg)
        ),
    };
    let scenario = regression(setup, &origin, &steps);
    std::fs::write(file, scenario.to_text())
        .map_err(|e| bad_input(format!("cannot write {}: {e}", file.display())))?;
    eprintln!(
        "counterexample of {:?} written to {}",
        p.name,
        file.display()
    );
    Ok(())
}
