//! `offline-v2`: the front door of the suite. `--help` on every subcommand explains it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use offline_v2::loader::{find_cdylib, LoadedDll};
use offline_v2_properties::corpus::{load_all, scenario_files};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::model_side::ModelSide;
use offline_v2_properties::replay::{replay, ReplayReport, Side};
use offline_v2_properties::scenario::Scenario;

/// Formal model and property-based verification of the WSFC OfflineV2 entry point.
///
/// The implementation (the reference resource DLL, its host and the cluster coordinator) and an
/// independent stateright model are checked against ../shared/SPEC.md and against each other.
#[derive(Parser)]
#[command(name = "offline-v2", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
}

#[derive(clap::Args)]
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Replay(args) => cmd_replay(&args),
    }
}

/// Exit code of a run: 0 all held, 1 a failing expectation, 2 bad input.
const EXIT_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

fn load_dll(path: Option<&PathBuf>) -> Result<LoadedDll, String> {
    let path = match path {
        Some(p) => p.clone(),
        None => find_cdylib().map_err(|e| e.to_string())?,
    };
    LoadedDll::open(&path).map_err(|e| e.to_string())
}

/// Replays one scenario on the implementation (through `dll`), returning its report.
fn replay_one(scenario: &Scenario, dll: &LoadedDll, which: Sides) -> Result<ReplayReport, String> {
    let dlls = dll
        .instances(scenario.nodes.len())
        .map_err(|e| e.to_string())?;
    let mut imp = ImplSide::new(scenario, dlls).map_err(|e| e.to_string())?;
    let mut model = ModelSide::new(scenario);
    Ok(match which {
        Sides::Both => replay(scenario, &mut [&mut imp as &mut dyn Side, &mut model]),
        Sides::Impl => replay(scenario, &mut [&mut imp as &mut dyn Side]),
        Sides::Model => replay(scenario, &mut [&mut model as &mut dyn Side]),
    })
}

fn cmd_replay(args: &ReplayArgs) -> ExitCode {
    let files = match scenario_files(&args.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let scenarios = match load_all(&files) {
        Ok(s) => s,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!(
                "{} malformed scenario file(s); nothing was run",
                errors.len()
            );
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let dll = match load_dll(args.dll.as_ref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for s in &scenarios {
        match replay_one(s, &dll, args.sides) {
            Ok(report) if report.passed() => {
                passed += 1;
                if !args.quiet {
                    println!("ok    {} ({} steps)", s.file.display(), report.steps);
                }
            }
            Ok(report) => {
                failed += 1;
                println!("FAIL  {} — {}", s.file.display(), s.name);
                for f in &report.failures {
                    print!("{f}");
                }
            }
            Err(e) => {
                failed += 1;
                println!("FAIL  {}: {e}", s.file.display());
            }
        }
    }
    println!("replay: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}
