//! The `offline-v2` command line: one module per subcommand (`verify`, `check`, `replay`,
//! `explore`; `schema` prints [`crate::scenario::json_schema`]); `src/main.rs` only calls
//! [`main`]. `--help` on every subcommand explains it.
//!
//! Exit codes (docs/exit-codes.md, [`crate::outcome`]): 0 everything held, 1 a check failed,
//! 2 bad input (command line, profile, budget variables, scenario files, an unloadable DLL, a
//! busy port), 3 incomplete (a budget stopped the run; nothing failed in what ran), 4 nothing
//! ran (no scenario in the folders given).

pub mod check;
pub mod conform;
pub mod explore;
pub mod monitor;
pub mod profile;
pub mod replay;
pub mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use offline_v2::loader::{find_cdylib, LoadedDll};
use offline_v2_model::bugs::Bug;
use offline_v2_model::config::{Faults, ModelConfig};

use crate::budget::Budget;
use crate::outcome::Report;
pub use crate::outcome::{
    EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INCOMPLETE, EXIT_NOTHING_RAN, EXIT_PASSED,
};

/// Formal model and property-based verification of the WSFC OfflineV2 entry point.
///
/// The implementation (the reference resource DLL, its host and the cluster coordinator) and an
/// independent stateright model are checked against ../shared/SPEC.md and against each other.
/// Exit codes: 0 everything held, 1 something failed, 2 bad input (command line, profile,
/// variables or files; nothing ran), 3 incomplete (a budget stopped it first; nothing failed),
/// 4 nothing ran (e.g. no scenario in the folders given). Budgets: offline-v2.toml profiles.
#[derive(Parser)]
#[command(name = "offline-v2", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: model-check the default configuration, run the conformance budget
    /// (impl vs model) and replay the scenario corpus; print one summary table.
    ///
    /// One budget for the whole run comes from a profile of offline-v2.toml (--profile, or
    /// OFFLINE_V2_PROFILE; default `default`), each OFFLINE_V2_* variable overriding its key.
    /// A phase stopped by the budget is INCOMPLETE (exit 3) and says what it covered. It also
    /// writes $CARGO_TARGET_DIR/reports/{model-check,conformance}.json for the reports, and a
    /// shrunk conformance failure under $CARGO_TARGET_DIR/regressions/ (`promote` keeps it).
    ///
    /// Example: offline-v2 verify --profile ci --json > report.json --junit verify.xml
    #[command(verbatim_doc_comment)]
    Verify(verify::VerifyArgs),
    /// Model-check a configuration of the stateright model and print every property's verdict.
    ///
    /// A counterexample is printed step by step with the outputs and the state changes after
    /// each step, and can be written as a replayable SPEC §7 scenario with --emit-scenario.
    /// The run obeys the profile's time, state and memory limits (or --timeout, --max-states,
    /// --max-memory); a run they stop is INCOMPLETE (exit 3).
    ///
    /// Example: offline-v2 check --nodes 4 --groups 2 --resources 1 --calls 3 --faults 2 --symmetry --threads 2
    #[command(verbatim_doc_comment)]
    Check(check::CheckArgs),
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
    Replay(replay::ReplayArgs),
    /// Check a JSON-lines trace of a cluster run with the SPEC §6 property monitors.
    ///
    /// The trace (docs/trace-format.md) is what `replay --trace FILE` writes, or what any host
    /// records of the same observables: each step's input, return code, DLL calls (entry,
    /// node, resource, exact flags, destination, answer), persistent writes, completions and
    /// the host view after it. Monitors (R1, R4, R10–R14, R19, one queued operation per group)
    /// judge it from the SPEC alone. Exit 0 every monitor held; 1 a violation, printed with
    /// the rule, the step and both values; 2 the file is not a readable trace.
    ///
    /// Example: offline-v2 replay --sides impl --trace run.jsonl properties/scenarios && offline-v2 monitor run.jsonl
    #[command(verbatim_doc_comment)]
    Monitor(monitor::MonitorArgs),
    /// Serve stateright's Explorer on 127.0.0.1 to browse the model's states in a browser.
    ///
    /// Example: offline-v2 explore --port 3000   (then open http://127.0.0.1:3000)
    #[command(verbatim_doc_comment)]
    Explore(explore::ExploreArgs),
    /// Print the resolved budget of a profile of offline-v2.toml (variables applied).
    ///
    /// Example: eval "$(offline-v2 profile --profile ci --shell)"
    #[command(verbatim_doc_comment)]
    Profile(profile::ProfileArgs),
    /// Keep shrunk conformance failures (written under $CARGO_TARGET_DIR/regressions/) in
    /// properties/regressions/, which every verify and `cargo test` replays.
    ///
    /// Example: offline-v2 promote target/regressions/conformance-two-nodes-5-steps.json
    #[command(verbatim_doc_comment)]
    Promote(profile::PromoteArgs),
    /// Print the JSON Schema of SPEC §7 scenario files (docs/scenario.schema.json), for
    /// editors that validate and complete scenario files.
    ///
    /// Example: offline-v2 schema > docs/scenario.schema.json
    #[command(verbatim_doc_comment)]
    Schema,
    /// Check any resource DLL against the DLL rules R1-R9, black-box (docs/conform.md).
    ///
    /// Loads the shared library (StartupEx, else the classic Startup), acts as its host with a
    /// real callback table and sends every invalid-input class of R1, RESIDs that are 0, forged
    /// or closed, all 128 OfflineV2 flag combinations on every resource, calls on pending work
    /// and seeded random calls. Each answer and callback is judged against what R1–R9 allow
    /// given what the DLL reported so far; its lock, busy state, reachability and timing are its
    /// own. The DLL runs in a child process: a crash or a call that never returns is a
    /// violation, not the end of the checker. On a violation the run is shrunk to a minimal
    /// reproducer (replayed on fresh loads) and the command exits 1; bad input (no such file, not
    /// a DLL, no StartupEx/Startup, the type refused, a resource it cannot open) exits 2.
    ///
    /// Writes DIR/trace.jsonl (every call, answer and callback) and, on a violation,
    /// DIR/repro.json (replay it with --replay). docs/conform.md explains the output.
    ///
    /// Example: offline-v2 conform --dll build/libc_resource.so --resource-type "OfflineV2 C Example"
    #[command(verbatim_doc_comment)]
    Conform(conform::ConformArgs),
}

/// Parses the command line and runs the subcommand.
#[must_use]
pub fn main() -> ExitCode {
    run(Cli::parse())
}

/// Runs a parsed command line.
#[must_use]
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Verify(args) => verify::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Explore(args) => explore::run(&args),
        Command::Monitor(args) => monitor::run(&args),
        Command::Profile(args) => profile::run(&args),
        Command::Promote(args) => profile::promote(&args),
        Command::Schema => {
            println!("{}", crate::scenario::json_schema_text());
            ExitCode::SUCCESS
        }
        Command::Conform(args) => conform::run(&args),
    }
}

/// `--profile NAME`: the budget profile of offline-v2.toml.
#[derive(Args, Clone, Default)]
pub struct ProfileArg {
    /// The budget profile of offline-v2.toml (default: $OFFLINE_V2_PROFILE, else `default`).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
}

/// The budget of `profile` (variables applied), or exit 2 with the reason.
///
/// # Errors
/// The exit code of bad input.
pub fn resolve_budget(profile: &ProfileArg) -> Result<Budget, ExitCode> {
    Budget::resolve(profile.profile.as_deref()).map_err(bad_input)
}

/// Prints `report` as JSON (if `json`), writes it as JUnit XML (if `junit`), and returns its
/// exit code (2 if the JUnit file cannot be written).
#[must_use]
pub fn finish(report: &Report, json: bool, junit: Option<&std::path::Path>) -> ExitCode {
    if json {
        println!("{}", report.to_json());
    }
    if let Some(path) = junit {
        if let Err(e) = crate::junit::write(report, path) {
            return bad_input(format!("cannot write {}: {e}", path.display()));
        }
    }
    ExitCode::from(report.exit_code)
}

/// The model configuration options shared by `check` and `explore`: issue 11's budgets.
#[derive(Args, Clone)]
pub struct ConfigArgs {
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
    /// it changes something. Outcomes of pending calls (complete, fail, time out) and retries
    /// of queued moves are free.
    #[arg(long, default_value_t = 1)]
    faults: u8,
    /// Which faults, comma-separated: lock, busy, crash, net, embedded, fail (failing pending
    /// work, free), panic — or all, none.
    #[arg(long, default_value = "lock,busy,crash,net,embedded,fail", value_parser = Faults::parse)]
    fault_kinds: Faults,
    /// Initial owners: spread (group k on node k, round-robin) or first (every group on the
    /// first node, which makes interchangeable groups symmetric from the start).
    #[arg(long, value_enum, default_value_t = Owners::Spread)]
    owners: Owners,
    /// Check a deliberately broken variant of the model (non-vacuity), e.g. ReturnLegWithoutDnu.
    #[arg(long, value_parser = parse_bug)]
    bug: Option<Bug>,
}

/// Where the groups start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Owners {
    /// Round-robin over the nodes.
    Spread,
    /// All on the first node.
    First,
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
    /// The deliberate bug asked for, if any.
    #[must_use]
    pub fn bug(&self) -> Option<Bug> {
        self.bug
    }

    /// The model configuration these options describe (`ModelConfig::table`).
    ///
    /// # Errors
    /// The set-up exceeds what the model holds.
    pub fn config(&self) -> Result<ModelConfig, String> {
        let mut cfg = ModelConfig::table(
            usize::from(self.nodes),
            usize::from(self.groups),
            usize::from(self.resources),
            self.calls,
            self.faults,
        );
        cfg.bounds.faults_enabled = self.fault_kinds.clone();
        if self.owners == Owners::First {
            for g in &mut cfg.setup.groups {
                g.owner = 0;
            }
        }
        if let Some(bug) = self.bug {
            cfg = cfg.with_bug(bug);
        }
        cfg.setup.validate()?;
        Ok(cfg)
    }
}

/// Loads the resource DLL at `path`, or the built reference cdylib (or `$OFFLINE_V2_DLL`),
/// starting instances of `resource_type` if given. Scenarios and lockstep conformance drive
/// the workload through the control export, so a DLL without it is refused here with what to
/// do instead, rather than failing every scenario (issue 15).
///
/// # Errors
/// The loader's message (the callers exit [`EXIT_BAD_INPUT`]).
pub fn load_dll(path: Option<&PathBuf>, resource_type: Option<&str>) -> Result<LoadedDll, String> {
    let path = match path {
        Some(p) => p.clone(),
        None => find_cdylib().map_err(|e| e.to_string())?,
    };
    let mut dll = LoadedDll::open(&path).map_err(|e| e.to_string())?;
    if let Some(t) = resource_type {
        dll = dll.with_resource_type(t);
    }
    if let Some(why) = dll.capabilities().lockstep_blocker() {
        return Err(format!("{}: {why}", path.display()));
    }
    // One start up front: a refused resource type is one clear error, not one per scenario.
    dll.instance().map_err(|e| {
        format!(
            "{e} (resource type {:?}; pass the type the DLL implements with --resource-type \
             NAME)",
            dll.resource_type()
        )
    })?;
    Ok(dll)
}

/// `DLL path (resource type "…"; StartupEx yes, …)`: printed in every summary.
#[must_use]
pub fn describe_dll(dll: &LoadedDll) -> String {
    format!(
        "{} (resource type {:?}; {})",
        dll.path().display(),
        dll.resource_type(),
        dll.capabilities().summary()
    )
}

/// The DLL as JSON: path, resource type and exports.
#[must_use]
pub fn dll_json(dll: &LoadedDll) -> serde_json::Value {
    let c = dll.capabilities();
    serde_json::json!({
        "path": dll.path(),
        "resource_type": dll.resource_type(),
        "exports": {
            "StartupEx": c.startup_ex, "Startup": c.startup, "control": c.control,
            "release": c.release, "state": c.state,
        },
    })
}

/// Opens `--trace FILE` for writing (`replay` and `verify`); a file that cannot be created is
/// bad input (exit 2), named with the OS error.
fn open_trace(
    path: Option<&std::path::Path>,
) -> Result<Option<std::io::BufWriter<std::fs::File>>, ExitCode> {
    path.map(|p| {
        std::fs::File::create(p)
            .map(std::io::BufWriter::new)
            .map_err(|e| bad_input(format!("cannot write the trace {}: {e}", p.display())))
    })
    .transpose()
}

/// Prints `error: {message}` and returns [`EXIT_BAD_INPUT`].
fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}
