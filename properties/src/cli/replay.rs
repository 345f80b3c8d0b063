//! `offline-v2 replay`: every file is parsed first (exit 2 on any malformed one), then each
//! scenario is replayed on the implementation (through a loaded DLL) and/or the model.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use offline_v2::loader::LoadedDll;

use super::{bad_input, describe_dll, exit_code, load_dll, EXIT_BAD_INPUT};
use crate::corpus::{load_all, scenario_files};
use crate::impl_side::ImplSide;
use crate::model_side::ModelSide;
use crate::replay::{replay, ReplayReport, Side};
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

/// Runs `replay`.
#[must_use]
pub fn run(args: &ReplayArgs) -> ExitCode {
    let dll = match load_dll(args.dll.as_ref(), args.resource_type.as_deref()) {
        Ok(d) => d,
        Err(e) => return bad_input(e),
    };
    match replay_files(&args.paths, &dll, args.sides, args.quiet) {
        Err(code) => code,
        Ok(out) => {
            println!(
                "replay: {} passed, {} failed — DLL {}",
                out.passed,
                out.failed.len(),
                describe_dll(&dll)
            );
            exit_code(out.failed.is_empty())
        }
    }
}

/// Outcome of replaying a set of scenarios.
#[derive(Debug, Clone, Default)]
pub struct CorpusOutcome {
    /// Scenarios that held.
    pub passed: usize,
    /// Files of the scenarios that failed.
    pub failed: Vec<String>,
}

/// Replays one scenario on the implementation (through `dll`) and/or the model.
///
/// # Errors
/// A text if the implementation cannot be set up (DLL instances, set-up refused).
pub fn replay_one(
    scenario: &Scenario,
    dll: &LoadedDll,
    which: Sides,
) -> Result<ReplayReport, String> {
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

/// Parses every file first (printing every error and returning exit 2 if one is malformed),
/// then replays each, printing one line per scenario (failures with their report).
///
/// # Errors
/// The exit code of bad input.
pub fn replay_files(
    paths: &[PathBuf],
    dll: &LoadedDll,
    which: Sides,
    quiet: bool,
) -> Result<CorpusOutcome, ExitCode> {
    let files = scenario_files(paths).map_err(bad_input)?;
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
    let mut out = CorpusOutcome::default();
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
