//! `offline-v2 replay`: every file is parsed first (exit 2 on any malformed one), then each
//! scenario is replayed on the implementation (through a loaded DLL) and/or the model — the
//! real one, or with `--bug NAME` a deliberately broken one, which then fails where it
//! diverges from the implementation.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use offline_v2::loader::LoadedDll;
use offline_v2_model::bugs::Bug;
use offline_v2_model::config::ModelConfig;

use super::{
    bad_input, describe_dll, dll_json, finish, load_dll, open_trace, parse_bug, EXIT_BAD_INPUT,
};
use crate::corpus::{load_all, scenario_files};
use crate::impl_side::ImplSide;
use crate::model_side::{model_setup, ModelSide};
use crate::monitors::MonitorChecker;
use crate::outcome::{Phase, Report, ScenarioOutcome, Status, StepFailureOutcome};
use crate::replay::{Replay, ReplayReport, Side, StepFailure};
use crate::scenario::Scenario;

/// Options of `replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// Scenario files or folders (searched recursively for *.json).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The resource DLL to drive (default: the built reference cdylib, or $OFFLINE_V2_DLL).
    #[arg(long)]
    dll: Option<PathBuf>,
    /// The resource type to ask StartupEx for (default: the reference's, or
    /// $OFFLINE_V2_RESOURCE_TYPE).
    #[arg(long, value_name = "NAME")]
    resource_type: Option<String>,
    /// Only print failures and the final line.
    #[arg(long, short)]
    quiet: bool,
    /// Which sides to run: both (lockstep, the default), impl or model.
    #[arg(long, value_enum, default_value_t = Sides::Both)]
    sides: Sides,
    /// Replay on a deliberately broken model (e.g. the bug a `check --bug` counterexample
    /// came from): the run fails at the first step where it diverges.
    #[arg(long, value_parser = parse_bug)]
    bug: Option<Bug>,
    /// Print the report as JSON on stdout (docs/report.schema.json).
    #[arg(long)]
    json: bool,
    /// Also write the report as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the implementation's trace to FILE as JSON lines (docs/trace-format.md): per
    /// scenario a header line, then one record per call or event step. Check it with
    /// `offline-v2 monitor FILE`.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
}

/// Which sides a replay runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sides {
    /// Implementation and model in lockstep.
    Both,
    /// The implementation only (expectations only).
    Impl,
    /// The model only (expectations only).
    Model,
}

/// What a replay prints on stdout as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Print {
    /// One line per scenario, failures with their report.
    All,
    /// Failures only.
    Failures,
    /// Nothing (`--json`).
    Nothing,
}

/// How to replay a set of scenarios.
#[derive(Debug, Clone, Copy)]
pub struct ReplayOptions {
    /// Which sides.
    pub sides: Sides,
    /// A deliberately broken model instead of the real one.
    pub bug: Option<Bug>,
    /// Scenarios not started by then are not run (the phase is then incomplete).
    pub deadline: Option<Instant>,
    /// What to print.
    pub print: Print,
}

/// Runs `replay`.
#[must_use]
pub fn run(args: &ReplayArgs) -> ExitCode {
    let started = Instant::now();
    let dll = match load_dll(args.dll.as_ref(), args.resource_type.as_deref()) {
        Ok(d) => d,
        Err(e) => return bad_input(e),
    };
    let scenarios = match load_scenarios(&args.paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let print = match (args.json, args.quiet) {
        (true, _) => Print::Nothing,
        (false, true) => Print::Failures,
        (false, false) => Print::All,
    };
    let options = ReplayOptions {
        sides: args.sides,
        bug: args.bug,
        deadline: None,
        print,
    };
    let mut trace_file = match open_trace(args.trace.as_deref()) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let trace = trace_file.as_mut().map(|w| w as &mut dyn Write);
    let mut phase = replay_phase_traced(
        "replay",
        "scenario replay",
        &scenarios,
        &dll,
        options,
        trace,
    );
    if let Some(mut w) = trace_file {
        if let Err(e) = w.flush() {
            return bad_input(format!("cannot write the trace: {e}"));
        }
    }
    if phase.status == Status::NothingRan {
        let shown: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        phase.reason = Some(format!("no scenario file in {}", shown.join(", ")));
    }
    let mut report = Report::new("replay", started.elapsed().as_secs_f64(), vec![phase]);
    report.dll = Some(dll_json(&dll));
    if !args.json {
        let p = &report.phases[0];
        let count = |k: &str| p.covered.get(k).copied().unwrap_or(0);
        println!(
            "replay: {} passed, {} failed — DLL {}",
            count("passed"),
            count("failed"),
            describe_dll(&dll)
        );
        if let (Status::NothingRan, Some(reason)) = (p.status, &p.reason) {
            println!("replay: nothing ran: {reason}");
        }
    }
    finish(&report, args.json, args.junit.as_deref())
}

/// Finds and parses every scenario file under `paths`, printing every error and returning exit
/// 2 if one is malformed or a path does not exist.
///
/// # Errors
/// The exit code of bad input.
pub fn load_scenarios(paths: &[PathBuf]) -> Result<Vec<Scenario>, ExitCode> {
    let files = scenario_files(paths).map_err(bad_input)?;
    load_all(&files).map_err(|errors| {
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!(
            "{} malformed scenario file(s); nothing was run",
            errors.len()
        );
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// Replays one scenario on the implementation (through `dll`) and/or the model (`bug`: a
/// deliberately broken one).
///
/// # Errors
/// A text if the implementation cannot be set up (DLL instances, set-up refused).
pub fn replay_one(
    scenario: &Scenario,
    dll: &LoadedDll,
    which: Sides,
    bug: Option<Bug>,
) -> Result<ReplayReport, String> {
    replay_one_traced(scenario, dll, which, bug, None)
}

/// [`replay_one`], with the SPEC monitors on the implementation side (`crate::monitors`), and
/// its trace written to `trace` when given (`docs/trace-format.md`).
///
/// # Errors
/// As [`replay_one`], or a text if the trace cannot be written.
pub fn replay_one_traced(
    scenario: &Scenario,
    dll: &LoadedDll,
    which: Sides,
    bug: Option<Bug>,
    trace: Option<&mut dyn Write>,
) -> Result<ReplayReport, String> {
    let dlls = dll
        .instances(scenario.nodes.len())
        .map_err(|e| e.to_string())?;
    let mut imp = ImplSide::new(scenario, dlls).map_err(|e| e.to_string())?;
    let mut cfg = ModelConfig::from_setup(model_setup(scenario));
    if let Some(bug) = bug {
        cfg = cfg.with_bug(bug);
    }
    let mut model = ModelSide::with_config(scenario, cfg)?;
    let mut monitors = MonitorChecker::new(scenario, "impl");
    if let Some(out) = trace {
        monitors = monitors.with_trace(scenario, out);
    }
    let pipeline = Replay::new(scenario).with(&mut monitors);
    let report = match which {
        Sides::Both => pipeline.run(&mut [&mut imp as &mut dyn Side, &mut model]),
        Sides::Impl => pipeline.run(&mut [&mut imp as &mut dyn Side]),
        Sides::Model => pipeline.run(&mut [&mut model as &mut dyn Side]),
    };
    match monitors.trace_error.take() {
        Some(e) => Err(format!("cannot write the trace: {e}")),
        None => Ok(report),
    }
}

fn failure_outcome(f: &StepFailure) -> StepFailureOutcome {
    StepFailureOutcome {
        step: Some(f.step as u64),
        what: f.what.clone(),
        expected: f.expected.clone(),
        produced: f
            .produced
            .iter()
            .map(|(side, text)| ((*side).to_owned(), text.clone()))
            .collect(),
        diverged: f.diverged.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Replays `scenarios` as one report phase: covered `scenarios`, `passed`, `failed`, `steps`;
/// planned `scenarios`. No scenario: nothing ran; the deadline before the last: incomplete.
#[must_use]
pub fn replay_phase(
    id: &str,
    title: &str,
    scenarios: &[Scenario],
    dll: &LoadedDll,
    options: ReplayOptions,
) -> Phase {
    replay_phase_traced(id, title, scenarios, dll, options, None)
}

/// [`replay_phase`], writing the implementation's trace of every scenario to `trace` (one
/// header line per scenario, then its records; `docs/trace-format.md`).
#[must_use]
pub fn replay_phase_traced(
    id: &str,
    title: &str,
    scenarios: &[Scenario],
    dll: &LoadedDll,
    options: ReplayOptions,
    mut trace: Option<&mut dyn Write>,
) -> Phase {
    let started = Instant::now();
    let mut phase = Phase::new(id, title);
    phase.plan("scenarios", scenarios.len() as u64);
    let (mut passed, mut steps) = (0u64, 0u64);
    let mut failed = Vec::new();
    for s in scenarios {
        if options.deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let one = Instant::now();
        let file = s.file.display().to_string();
        let out = trace.as_mut().map(|t| &mut **t as &mut dyn Write);
        let outcome = match replay_one_traced(s, dll, options.sides, options.bug, out) {
            Ok(report) => {
                steps += report.steps as u64;
                if report.passed() && options.print == Print::All {
                    println!("ok    {file} ({} steps)", report.steps);
                }
                if !report.passed() && options.print != Print::Nothing {
                    println!("FAIL  {file} — {}", s.name);
                    for f in &report.failures {
                        print!("{f}");
                    }
                }
                ScenarioOutcome {
                    file: file.clone(),
                    name: s.name.clone(),
                    status: if report.passed() {
                        Status::Passed
                    } else {
                        Status::Failed
                    },
                    steps: report.steps as u64,
                    seconds: one.elapsed().as_secs_f64(),
                    failures: report.failures.iter().map(failure_outcome).collect(),
                }
            }
            Err(e) => {
                if options.print != Print::Nothing {
                    println!("FAIL  {file}: {e}");
                }
                ScenarioOutcome {
                    file: file.clone(),
                    name: s.name.clone(),
                    status: Status::Failed,
                    steps: 0,
                    seconds: one.elapsed().as_secs_f64(),
                    failures: vec![StepFailureOutcome {
                        step: None,
                        what: format!("set-up: {e}"),
                        expected: "the implementation can be set up".into(),
                        produced: std::collections::BTreeMap::new(),
                        diverged: vec!["impl".into()],
                    }],
                }
            }
        };
        if outcome.status == Status::Passed {
            passed += 1;
        } else {
            failed.push(file);
        }
        phase.scenarios.push(outcome);
    }
    let ran = phase.scenarios.len() as u64;
    phase
        .cover("scenarios", ran)
        .cover("passed", passed)
        .cover("failed", failed.len() as u64)
        .cover("steps", steps);
    if scenarios.is_empty() {
        phase.mark(Status::NothingRan, "no scenario to replay");
    } else if !failed.is_empty() {
        phase.mark(Status::Failed, format!("failed: {}", failed.join(", ")));
    }
    if (ran as usize) < scenarios.len() {
        phase.mark(
            Status::Incomplete,
            format!(
                "time limit reached after {ran} of {} scenarios",
                scenarios.len()
            ),
        );
    }
    phase.seconds = started.elapsed().as_secs_f64();
    phase
}
