//! `offline-v2 conform`: the command line of the conformance kit (issue 15,
//! `docs/conform.md`); the checker itself is [`crate::conform`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use offline_v2::abi::dll::RESOURCE_TYPE;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INCOMPLETE, EXIT_NOTHING_RAN};
use crate::conform::event::Event;
use crate::conform::monitor::{DllMonitor, StartedBy};
use crate::conform::plan::{Phase, Plan};
use crate::conform::rules::Rule;
use crate::conform::run::{self, describe_step, Failure, RunConfig, RunResult, Watchdog};
use crate::conform::session::TraceLine;
use crate::conform::shrink::{self, Shrunk};

/// The options of `offline-v2 conform` (the help text is on the subcommand).
#[derive(clap::Args, Debug, Clone)]
pub struct ConformArgs {
    /// The resource DLL (a shared library with the SPEC §1a interface).
    #[arg(long, value_name = "PATH", required_unless_present_any = ["check_trace", "child"])]
    pub dll: Option<PathBuf>,
    /// The resource type to ask StartupEx for.
    #[arg(long, value_name = "NAME", default_value = RESOURCE_TYPE)]
    pub resource_type: String,
    /// How many resources to open (named r0, r1, …), unless --resource names them.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u8).range(1..=64))]
    pub resources: u8,
    /// A resource name to open (repeat for several); replaces r0, r1, ….
    #[arg(long = "resource", value_name = "NAME")]
    pub resource_names: Vec<String>,
    /// Random calls after the systematic phases.
    #[arg(long, value_name = "K", default_value_t = 300)]
    pub calls: usize,
    /// Seed of every choice (default: $OFFLINE_V2_SEED, else a fixed seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Stop starting calls after this long (e.g. 90s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub time_limit: Duration,
    /// Longest wait for the status callback of ERROR_IO_PENDING work (then R7 is broken).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub pending_wait: Duration,
    /// How long to listen for late or duplicate callbacks at the end.
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = parse_duration)]
    pub grace: Duration,
    /// A call that has not returned after this long is a hang (R8).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub hang_timeout: Duration,
    /// Where the trace, the plan and the reproducer go.
    #[arg(long, value_name = "DIR", default_value = "offline-v2-conform")]
    pub out: PathBuf,
    /// Replays to spend shrinking a violation (0: keep the failing prefix as it is).
    #[arg(long, value_name = "N", default_value_t = 80)]
    pub shrink_runs: usize,
    /// Run a plan or reproducer file (DIR/repro.json, DIR/plan.json) instead of a seeded plan.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Judge a recorded trace (JSON lines of this format) without loading any DLL.
    #[arg(long, value_name = "FILE", conflicts_with = "dll")]
    pub check_trace: Option<PathBuf>,
    /// Run the DLL in this process (faster; a crash of the DLL then ends the checker).
    #[arg(long)]
    pub in_process: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Internal: run as the child process in DIR.
    #[arg(long, hide = true, value_name = "DIR")]
    pub child: Option<PathBuf>,
}

/// Parses `500ms`, `30s`, `2m` or a plain number of seconds.
///
/// # Errors
/// A message for anything else.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = t
        .find(|c: char| !c.is_ascii_digit())
        .map_or((t, "s"), |i| t.split_at(i));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 500ms, 30s, 2m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("{text:?} is not a duration (e.g. 500ms, 30s, 2m)")),
    }
}

/// A minimal reproducer as written to `DIR/repro.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reproducer {
    /// The DLL.
    pub dll: PathBuf,
    /// The resource type.
    pub resource_type: String,
    /// Resource names by index.
    pub resources: Vec<String>,
    /// The seed of the plan it was shrunk from.
    pub seed: u64,
    /// The rule broken.
    pub rule: Rule,
    /// The violation's message on the last replay.
    pub message: String,
    /// Replays made while shrinking.
    pub replays: usize,
    /// The failure reproduced on a fresh load.
    pub reproduced: bool,
    /// The steps.
    pub plan: Plan,
}

/// Runs the subcommand.
#[must_use]
pub fn run(args: &ConformArgs) -> ExitCode {
    if let Some(dir) = &args.child {
        return match run::child_main(dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_BAD_INPUT)
            }
        };
    }
    if let Some(trace) = &args.check_trace {
        return check_trace(trace);
    }
    match prepare(args) {
        Ok((config, plan)) => conform(args, &config, plan.as_ref()),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// The run's configuration and the plan to replay, if any; `Err` is bad input.
fn prepare(args: &ConformArgs) -> Result<(RunConfig, Option<Plan>), String> {
    crate::budget::validate()?;
    let dll = args.dll.clone().ok_or("--dll PATH is required")?;
    if dll.is_dir() {
        return Err(format!(
            "--dll {} is a directory, not a shared library: pass the DLL file itself",
            dll.display()
        ));
    }
    if !dll.exists() {
        return Err(format!("--dll {}: no such file", dll.display()));
    }
    let mut names: Vec<String> = if args.resource_names.is_empty() {
        (0..args.resources).map(|i| format!("r{i}")).collect()
    } else {
        args.resource_names.clone()
    };
    let mut plan = None;
    if let Some(file) = &args.replay {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if let Ok(r) = serde_json::from_str::<Reproducer>(&text) {
            if args.resource_names.is_empty() {
                names = r.resources;
            }
            plan = Some(r.plan);
        } else {
            let p: Plan = serde_json::from_str(&text).map_err(|e| {
                format!("{}: not a conform plan or reproducer: {e}", file.display())
            })?;
            plan = Some(p);
        }
    }
    if names.len() > 255 || names.iter().any(String::is_empty) {
        return Err("resource names must be 1 to 255 non-empty names".into());
    }
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Ok((
        RunConfig {
            dll,
            resource_type: args.resource_type.clone(),
            names,
            calls: args.calls,
            seed: args.seed.unwrap_or_else(crate::budget::seed),
            pending_wait_ms: millis(args.pending_wait),
            grace_ms: millis(args.grace),
            time_limit_ms: millis(args.time_limit),
        },
        plan,
    ))
}

/// One run, isolated unless `--in-process`.
fn one_run(args: &ConformArgs, config: &RunConfig, plan: Option<&Plan>, dir: &Path) -> RunResult {
    let exe = std::env::current_exe().ok();
    match exe {
        Some(exe) if !args.in_process => run::run_isolated(
            &exe,
            config,
            plan,
            dir,
            Watchdog {
                hang: args.hang_timeout,
            },
        ),
        _ => run::execute(config, plan.cloned(), Some(dir)),
    }
}

fn conform(args: &ConformArgs, config: &RunConfig, plan: Option<&Plan>) -> ExitCode {
    let dir = &args.out;
    let result = one_run(args, config, plan, &dir.join("run"));
    if let Some(bad) = &result.bad_input {
        eprintln!("error: {bad}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    for name in ["trace.jsonl", "plan.json"] {
        let _ = std::fs::copy(dir.join("run").join(name), dir.join(name));
    }
    let failure = result.failure();
    let repro = failure.as_ref().map(|f| {
        let mut replay = |p: &Plan| one_run(args, config, Some(p), &dir.join("shrink")).failure();
        let shrunk = shrink::shrink(&result.plan, f, args.shrink_runs, &mut replay);
        write_reproducer(config, f.rule, &shrunk, dir)
    });
    if args.json {
        print_json(config, &result, repro.as_ref(), dir);
    } else {
        print_summary(config, &result, repro.as_ref(), dir);
    }
    // docs/exit-codes.md: a violation fails (1) even if the time limit also came; a run the
    // time limit stopped before its plan's end is incomplete (3), not a pass.
    if failure.is_some() {
        ExitCode::from(EXIT_FAILED)
    } else if result.outcome.stopped_by_time {
        ExitCode::from(EXIT_INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    }
}

fn write_reproducer(
    config: &RunConfig,
    rule: Rule,
    s: &Shrunk,
    dir: &Path,
) -> (Reproducer, PathBuf) {
    let r = Reproducer {
        dll: config.dll.clone(),
        resource_type: config.resource_type.clone(),
        resources: config.names.clone(),
        seed: config.seed,
        rule,
        message: s.message.clone(),
        replays: s.runs,
        reproduced: s.reproduced,
        plan: s.plan.clone(),
    };
    let path = dir.join("repro.json");
    if let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&r).unwrap_or_default()) {
        eprintln!("warning: cannot write {}: {e}", path.display());
    }
    (r, path)
}

/// A phase's row: (phase, steps planned, steps run, ok).
fn phase_rows(result: &RunResult) -> Vec<(Phase, usize, usize, Option<bool>)> {
    let failed_at = result.failure().map(|f| f.step);
    let ran = result.outcome.steps_run;
    Phase::ALL
        .iter()
        .filter_map(|&phase| {
            let idx: Vec<usize> = (0..result.plan.phases.len())
                .filter(|&i| result.plan.phases[i] == phase)
                .collect();
            let (first, last) = (*idx.first()?, *idx.last()?);
            let done = idx.iter().filter(|&&i| i < ran).count();
            let ok = match failed_at {
                Some(at) if (first..=last).contains(&at) => Some(false),
                _ if done == idx.len() => Some(true),
                _ => None, // not (fully) run
            };
            Some((phase, idx.len(), done, ok))
        })
        .collect()
}

fn print_summary(
    config: &RunConfig,
    result: &RunResult,
    repro: Option<&(Reproducer, PathBuf)>,
    dir: &Path,
) {
    println!(
        "offline-v2 conform — {} (resource type {:?}, seed {}, resources {})",
        config.dll.display(),
        config.resource_type,
        config.seed,
        config.names.join(" ")
    );
    if let Some(p) = &result.probe {
        println!(
            "exports: {}; started with {:?} (table version {:#x}, size {})",
            p.exports(),
            p.started_by,
            p.table_version,
            p.table_size
        );
        for line in p.what_runs() {
            println!("  {line}");
        }
    }
    println!();
    println!("{:<40} {:<7} {:>11}", "what ran", "result", "steps");
    for (phase, planned, done, ok) in phase_rows(result) {
        let verdict = match ok {
            Some(true) => "ok",
            Some(false) => "FAIL",
            None => "-",
        };
        println!(
            "{:<40} {:<7} {:>5}/{:<5}",
            phase.describe(),
            verdict,
            done,
            planned
        );
    }
    let t = &result.outcome.tally;
    println!(
        "\ncallbacks: {} pending works started, {} completions, {} lock reports, {} late ones \
         ignored; longest wait {:.1} ms",
        t.pending,
        t.completions,
        t.lock_reports,
        t.late,
        result.outcome.longest_wait_us as f64 / 1000.0
    );
    let answers: Vec<String> = t.answers.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
    if !answers.is_empty() {
        println!("answers: {}", answers.join(", "));
    }
    println!("trace: {}", dir.join("trace.jsonl").display());
    if result.outcome.stopped_by_time {
        println!(
            "stopped by --time-limit after {} of {} steps",
            result.outcome.steps_run,
            result.plan.steps.len()
        );
    }
    match (result.failure(), repro) {
        (Some(f), Some(repro)) => print_failure(config, &f, repro),
        _ => println!(
            "\nconform: R1-R9 held ({} steps, {:.1} s)",
            result.outcome.steps_run, result.seconds
        ),
    }
}

/// Steps of a reproducer printed in full; a longer one shows its first and last half of this.
const LISTED: usize = 30;

/// The verdict line, then the minimal reproducer and how to replay it.
fn print_failure(config: &RunConfig, f: &Failure, (r, path): &(Reproducer, PathBuf)) {
    println!(
        "\nconform: FAILED — {} at step {}: {}",
        f.rule,
        f.step + 1,
        f.message
    );
    println!(
        "\nminimal reproducer: {} steps (from {}; {} replays{}), written to {}",
        r.plan.steps.len(),
        f.step + 1,
        r.replays,
        if r.reproduced {
            ""
        } else {
            "; it did NOT reproduce on a fresh load: the DLL is nondeterministic here"
        },
        path.display()
    );
    let n = r.plan.steps.len();
    for (i, s) in r.plan.steps.iter().enumerate() {
        // A long one is shown by its ends (the file has every step).
        if n > LISTED && (LISTED / 2..n - LISTED / 2).contains(&i) {
            if i == LISTED / 2 {
                println!("       … {} more steps …", n - LISTED);
            }
            continue;
        }
        println!("  {:>3}. {}", i + 1, describe_step(s, &r.resources));
    }
    if r.reproduced {
        println!("  → {}: {}", r.rule, r.message);
    }
    println!(
        "replay it: offline-v2 conform --dll {} --resource-type {:?} --replay {}",
        config.dll.display(),
        config.resource_type,
        path.display()
    );
}

fn print_json(
    config: &RunConfig,
    result: &RunResult,
    repro: Option<&(Reproducer, PathBuf)>,
    dir: &Path,
) {
    let failure = result.failure();
    let v = json!({
        "ok": failure.is_none(),
        "dll": config.dll,
        "resource_type": config.resource_type,
        "seed": config.seed,
        "resources": config.names,
        "exports": result.probe,
        "phases": phase_rows(result).iter().map(|(p, planned, done, ok)| json!({
            "phase": p, "what": p.describe(), "steps": planned, "ran": done, "ok": ok
        })).collect::<Vec<_>>(),
        "steps_run": result.outcome.steps_run,
        "stopped_by_time": result.outcome.stopped_by_time,
        "status": if failure.is_some() {
            "failed"
        } else if result.outcome.stopped_by_time {
            "incomplete"
        } else {
            "passed"
        },
        "tally": result.outcome.tally,
        "longest_wait_us": result.outcome.longest_wait_us,
        "seconds": result.seconds,
        "violation": failure.as_ref().map(|f| json!({
            "rule": f.rule, "step": f.step + 1, "message": f.message, "resource": f.resource
        })),
        "reproducer": repro.map(|(r, path)| json!({
            "path": path, "steps": r.plan.steps.len(), "reproduced": r.reproduced,
            "replays": r.replays
        })),
        "trace": dir.join("trace.jsonl"),
    });
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
}

/// `--check-trace FILE`: re-judges the events of a recorded trace.
fn check_trace(file: &Path) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let mut monitor = DllMonitor::new(StartedBy::StartupEx);
    let mut events = 0u64;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        // A conform trace line (numbered by plan step, from 1), or a bare event (by line).
        let (number, event): (u64, Event) = match serde_json::from_str::<TraceLine>(line) {
            Ok(TraceLine {
                started_by: Some(by),
                ..
            }) => {
                monitor = DllMonitor::new(by);
                continue;
            }
            Ok(TraceLine { begin: Some(_), .. }) => continue,
            Ok(TraceLine {
                event: Some(e),
                step,
                ..
            }) => (step as u64 + 1, e),
            _ => match serde_json::from_str::<Event>(line) {
                Ok(e) => (i as u64 + 1, e),
                Err(e) => {
                    eprintln!("error: {}:{}: not a trace line: {e}", file.display(), i + 1);
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            },
        };
        if let Err(v) = monitor.observe(number, &event) {
            println!("{}:{}: {v}", file.display(), i + 1);
            return ExitCode::from(EXIT_FAILED);
        }
        events += 1;
    }
    if events == 0 {
        // docs/exit-codes.md: nothing to judge is not a pass.
        println!("{}: no events: nothing was judged", file.display());
        return ExitCode::from(EXIT_NOTHING_RAN);
    }
    println!("{}: {events} events, R1-R9 held", file.display());
    ExitCode::SUCCESS
}
