//! One conformance run: load a DLL, say what it exports, start it, run a plan through a
//! [`Session`], and report — in this process ([`execute`]) or in a child process
//! ([`run_isolated`]) so that a DLL that crashes or hangs becomes a reported violation
//! instead of taking the checker down.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use offline_v2::abi::host::StartError;
use offline_v2::loader::LoadedDll;
use offline_v2::types::ErrorCode;
use serde::{Deserialize, Serialize};

use super::event::unusual_args;
use super::monitor::{StartedBy, Violation};
use super::plan::{self, Phase, Plan, PlanOptions, Step, Target};
use super::rules::{self, Rule};
use super::session::{Outcome, Session, SessionOptions, TraceLine};

/// Everything a run needs (the child process reads it as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The DLL file.
    pub dll: PathBuf,
    /// The type asked of StartupEx.
    pub resource_type: String,
    /// Resource names, by index.
    pub names: Vec<String>,
    /// Random calls.
    pub calls: usize,
    /// Seed of the plan.
    pub seed: u64,
    /// Longest wait for a status callback, ms.
    pub pending_wait_ms: u64,
    /// Listening time after the last wait, ms.
    pub grace_ms: u64,
    /// Stop starting steps after this many ms.
    pub time_limit_ms: u64,
}

/// What the DLL exports and how it was started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// `StartupEx` exported.
    pub startup_ex: bool,
    /// Classic `Startup` exported.
    pub startup: bool,
    /// Reference control export.
    pub control: bool,
    /// Reference release export.
    pub release: bool,
    /// Reference state export.
    pub state: bool,
    /// Which start-up routine the run used.
    pub started_by: StartedBy,
    /// The table's Version.
    pub table_version: u32,
    /// The table's TableSize.
    pub table_size: u32,
    /// Each V4 entry and whether it is non-NULL.
    pub entries: Vec<(String, bool)>,
}

impl Probe {
    /// `StartupEx yes, Startup yes, control export no, …`.
    #[must_use]
    pub fn exports(&self) -> String {
        offline_v2::loader::Capabilities {
            startup_ex: self.startup_ex,
            startup: self.startup,
            control: self.control,
            release: self.release,
            state: self.state,
        }
        .summary()
    }

    /// What the checker can and cannot do with this DLL.
    #[must_use]
    pub fn what_runs(&self) -> Vec<String> {
        let mut lines = Vec::new();
        lines.push(if self.control {
            "control export: the checker also plays the workload (sets locks, busy, cut \
             links and work modes, finishes or fails pending work) and still judges every \
             answer black-box"
                .to_owned()
        } else {
            "no control export: the DLL's workload is its own; its lock, busy state, \
             reachability and timing are nondeterminism the checker allows"
                .to_owned()
        });
        if self.started_by == StartedBy::Startup {
            lines.push(
                "started with the classic Startup (no StartupEx): no SetResourceLockedMode, \
                 so R4 is checked only as \"never LOCKED_STATUS with 0x01\""
                    .to_owned(),
            );
        }
        let missing: Vec<&str> = self
            .entries
            .iter()
            .filter(|(n, present)| !present && !matches!(n.as_str(), "Arbitrate" | "Release"))
            .map(|(n, _)| n.as_str())
            .collect();
        if !missing.is_empty() {
            lines.push(format!(
                "NULL table entries (never called): {}",
                missing.join(", ")
            ));
        }
        lines
    }
}

/// A DLL crash or hang, seen by the parent process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    /// The step that was running.
    pub step: usize,
    /// What happened (`SIGSEGV`, `hang`, …).
    pub what: String,
}

/// The result of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Bad input (exit 2): the DLL cannot be loaded, started or opened.
    pub bad_input: Option<String>,
    /// Exports and start-up.
    pub probe: Option<Probe>,
    /// The plan that ran.
    pub plan: Plan,
    /// Resource names, by index.
    pub names: Vec<String>,
    /// How the run ended.
    pub outcome: Outcome,
    /// A crash or hang of the DLL (isolated runs only).
    pub stop: Option<Stop>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl RunResult {
    fn bad(message: String) -> Self {
        Self {
            bad_input: Some(message),
            ..Self::default()
        }
    }

    /// The rule broken and the step that showed it, from a violation or a crash.
    #[must_use]
    pub fn failure(&self) -> Option<Failure> {
        if let Some((step, v)) = &self.outcome.violation {
            return Some(Failure {
                rule: v.rule,
                step: *step,
                message: v.message.clone(),
                resource: v.resource,
            });
        }
        let stop = self.stop.as_ref()?;
        let step = self.plan.steps.get(stop.step);
        let (rule, why) = step.map_or((Rule::R8, "the DLL crashed"), stop_rule);
        let text = step.map_or_else(|| "a step".to_owned(), |s| describe_step(s, &self.names));
        let hang = stop.what == "hang";
        let message = if hang {
            format!(
                "{text} did not return (a deadlock or an endless loop inside the DLL): every \
                 entry point returns, whatever the thread and re-entrancy (R8)"
            )
        } else {
            format!(
                "the DLL crashed the host process ({}) inside {text}: {why}",
                stop.what
            )
        };
        Some(Failure {
            rule: if hang { Rule::R8 } else { rule },
            step: stop.step,
            message,
            resource: step.and_then(Step::resource),
        })
    }
}

/// A rule broken in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The rule.
    pub rule: Rule,
    /// The plan step that showed it.
    pub step: usize,
    /// What happened.
    pub message: String,
    /// The resource concerned, if one.
    pub resource: Option<u8>,
}

/// Which rule a crash inside `step` breaks.
fn stop_rule(step: &Step) -> (Rule, &'static str) {
    let forged = |t: &Target| !matches!(t, Target::Resource(_));
    match step {
        Step::Offline {
            dest,
            flags,
            inbuf,
            inbuf_size,
            reserved,
            ..
        } if rules::offline_invalid(&super::event::OfflineCall {
            resid: 1,
            dest: dest.clone(),
            flags: *flags,
            inbuf: *inbuf,
            inbuf_size: *inbuf_size,
            reserved: *reserved,
        })
        .is_some() =>
        {
            (
                Rule::R1,
                "R1 rejects these arguments with ERROR_INVALID_PARAMETER, reading no further \
                 than they reach (a DestinationNodeName at most 16 units)",
            )
        }
        Step::Offline { target, .. }
        | Step::Online { target, .. }
        | Step::Terminate { target }
        | Step::Close { target }
            if forged(target) =>
        {
            (
                Rule::R2,
                "an unknown, closed or forged RESID answers ERROR_RESOURCE_NOT_FOUND: never a \
                 crash, never UB",
            )
        }
        _ => (
            Rule::R8,
            "faults and panics never cross the C ABI (ERROR_GEN_FAILURE and a Failed report)",
        ),
    }
}

/// `OfflineV2(r1, dest "N2", flags 0x41)`, … — a step for people, with resource names from
/// `names` (by index).
#[must_use]
pub fn describe_step(step: &Step, names: &[String]) -> String {
    let name = |r: &u8| {
        names
            .get(usize::from(*r))
            .map_or_else(|| format!("resource #{r}"), |n| format!("{n:?}"))
    };
    let t = |t: &Target| match t {
        Target::Resource(r) => name(r),
        Target::Stale(r) => format!("the closed RESID of {}", name(r)),
        Target::Zero => "RESID 0".into(),
        Target::Forged(v) => format!("forged RESID {v:#x}"),
    };
    match step {
        Step::Open { resource } => format!("OpenV2({})", name(resource)),
        Step::Close { target } => format!("Close({})", t(target)),
        Step::Terminate { target } => format!("Terminate({})", t(target)),
        Step::Offline {
            target,
            dest,
            flags,
            inbuf,
            inbuf_size,
            reserved,
        } => {
            format!(
                "OfflineV2({}, dest {}, flags {flags:#04x}{})",
                t(target),
                dest.describe(),
                unusual_args(*inbuf, *inbuf_size, *reserved)
            )
        }
        Step::Online {
            target,
            inbuf,
            inbuf_size,
            reserved,
        } => {
            format!(
                "OnlineV2({}{})",
                t(target),
                unusual_args(*inbuf, *inbuf_size, *reserved)
            )
        }
        Step::Wait { .. } => "wait for owed callbacks".into(),
        Step::Control(c) => format!("workload control {c:?} (control export)"),
    }
}

fn start_message(config: &RunConfig, error: StartError) -> String {
    let dll = config.dll.display();
    let ty = &config.resource_type;
    match error {
        StartError::Startup(ErrorCode::ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND) => format!(
            "StartupEx of {dll} refused the resource type {ty:?} \
             (ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND): pass the type the DLL implements with \
             --resource-type NAME"
        ),
        StartError::Startup(ErrorCode::ERROR_REVISION_MISMATCH) => format!(
            "StartupEx of {dll} refused resource API version 0x400 (ERROR_REVISION_MISMATCH): \
             OfflineV2 needs a V4 function table"
        ),
        StartError::Startup(code) => format!(
            "StartupEx of {dll} for resource type {ty:?} answered {code} ({}): the DLL did not \
             start",
            code.0
        ),
        StartError::BadTable(why) => {
            format!("StartupEx of {dll} returned an unusable function table: {why}")
        }
    }
}

/// Loads, starts and probes the DLL of `config`; `Err` is bad input.
fn load(config: &RunConfig) -> Result<(offline_v2::abi::host::TableDll, Probe), String> {
    let dll = LoadedDll::open(&config.dll).map_err(|e| e.to_string())?;
    // A resource DLL stays loaded until the process ends, as in a resource monitor: its
    // own threads may still run (K5).
    std::mem::forget(dll.clone());
    let caps = dll.capabilities();
    let table = dll
        .entries()
        .start(&config.resource_type)
        .map_err(|e| start_message(config, e))?;
    let probe = Probe {
        startup_ex: caps.startup_ex,
        startup: caps.startup,
        control: caps.control,
        release: caps.release,
        state: caps.state,
        started_by: if caps.startup_ex {
            StartedBy::StartupEx
        } else {
            StartedBy::Startup
        },
        table_version: table.version(),
        table_size: table.table_size(),
        entries: table
            .entry_presence()
            .iter()
            .map(|(n, p)| ((*n).to_owned(), *p))
            .collect(),
    };
    Ok((table, probe))
}

/// Runs `config` in this process: the plan given, or the seeded one. Writes `dir/plan.json`
/// and the trace `dir/trace.jsonl` when `dir` is given. A DLL that crashes takes this
/// process with it ([`run_isolated`] does not).
#[must_use]
pub fn execute(config: &RunConfig, plan: Option<Plan>, dir: Option<&Path>) -> RunResult {
    let started = Instant::now();
    let (table, probe) = match load(config) {
        Ok(x) => x,
        Err(e) => return RunResult::bad(e),
    };
    let plan = plan.unwrap_or_else(|| {
        plan::make(&PlanOptions {
            resources: u8::try_from(config.names.len()).unwrap_or(u8::MAX),
            calls: config.calls,
            seed: config.seed,
            control: probe.control,
        })
    });
    let mut trace: Option<BufWriter<File>> = None;
    if let Some(dir) = dir {
        if let Err(e) = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(dir.join("plan.json"), to_json(&plan)))
        {
            return RunResult::bad(format!("cannot write to {}: {e}", dir.display()));
        }
        match File::create(dir.join("trace.jsonl")) {
            Ok(f) => trace = Some(BufWriter::new(f)),
            Err(e) => {
                return RunResult::bad(format!("cannot write {}: {e}", dir.display()));
            }
        }
    }
    let options = SessionOptions {
        names: config.names.clone(),
        pending_wait: Duration::from_millis(config.pending_wait_ms),
        grace: Duration::from_millis(config.grace_ms),
        deadline: Some(started + Duration::from_millis(config.time_limit_ms)),
    };
    let outcome = {
        let writer = trace.as_mut().map(|w| w as &mut dyn Write);
        let mut session = Session::new(table, probe.started_by, probe.control, options, writer);
        let outcome = session.run(&plan);
        if let Some(bad) = unopened(&plan, &session, config) {
            return RunResult::bad(bad);
        }
        outcome
    };
    RunResult {
        bad_input: None,
        probe: Some(probe),
        plan,
        names: config.names.clone(),
        outcome,
        stop: None,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Bad input: resources the set-up could not open (every check on them would pass vacuously).
fn unopened(plan: &Plan, session: &Session<'_>, config: &RunConfig) -> Option<String> {
    let setup_opens = plan
        .steps
        .iter()
        .zip(&plan.phases)
        .filter(|(s, p)| **p == Phase::Setup && matches!(s, Step::Open { .. }))
        .count();
    let refused = session.refused_at_setup();
    if setup_opens == 0 || refused.is_empty() {
        return None;
    }
    let names: Vec<&str> = refused
        .iter()
        .filter_map(|&r| config.names.get(usize::from(r)).map(String::as_str))
        .collect();
    Some(format!(
        "OpenV2 of {} answered NULL (with a NULL ResourceKey, as SPEC §1a allows): nothing \
         could be checked on {}; pass names the DLL opens with --resource NAME",
        config.dll.display(),
        names.join(", ")
    ))
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The child side of [`run_isolated`]: reads `dir/config.json` (and `dir/replay.json`, a
/// plan, if present), runs, and writes `dir/result.json`.
///
/// # Errors
/// A text if the directory's files cannot be read or written.
pub fn child_main(dir: &Path) -> Result<(), String> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    let config: RunConfig = read("config.json")
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))?;
    let plan = match read("replay.json") {
        Ok(t) => Some(serde_json::from_str::<Plan>(&t).map_err(|e| e.to_string())?),
        Err(_) => None,
    };
    let result = execute(&config, plan, Some(dir));
    std::fs::write(dir.join("result.json"), to_json(&result)).map_err(|e| e.to_string())
}

/// How long a child may go without writing to its trace before it is declared hung.
#[derive(Debug, Clone, Copy)]
pub struct Watchdog {
    /// A call that takes longer than this (beyond a Wait's own bound) is a hang.
    pub hang: Duration,
}

/// Runs `config` in a child process (`exe conform --child DIR`, `exe` = this program): a
/// DLL that crashes, or a call that never returns, is reported as a [`Stop`] on the step
/// that was running instead of ending the checker.
#[must_use]
pub fn run_isolated(
    exe: &Path,
    config: &RunConfig,
    plan: Option<&Plan>,
    dir: &Path,
    watchdog: Watchdog,
) -> RunResult {
    let prepared = std::fs::create_dir_all(dir)
        .and_then(|()| {
            for stale in ["result.json", "replay.json", "trace.jsonl", "plan.json"] {
                let _ = std::fs::remove_file(dir.join(stale));
            }
            std::fs::write(dir.join("config.json"), to_json(config))
        })
        .and_then(|()| match plan {
            Some(p) => std::fs::write(dir.join("replay.json"), to_json(p)),
            None => Ok(()),
        });
    if let Err(e) = prepared {
        return RunResult::bad(format!("cannot write to {}: {e}", dir.display()));
    }
    let stderr = File::create(dir.join("child.stderr")).map_or(Stdio::null(), Stdio::from);
    let child = Command::new(exe)
        .arg("conform")
        .arg("--child")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return RunResult::bad(format!("cannot start {}: {e}", exe.display())),
    };
    let status = match watch(&mut child, config, dir, watchdog) {
        Ok(status) => status,
        Err(()) => return stopped(dir, "hang".into(), &config.names),
    };
    if let Ok(text) = std::fs::read_to_string(dir.join("result.json")) {
        if let Ok(result) = serde_json::from_str::<RunResult>(&text) {
            return result;
        }
    }
    let what = status.map_or_else(|| "an unknown end".to_owned(), describe_status);
    let result = stopped(dir, what.clone(), &config.names);
    if result.plan.steps.is_empty() {
        let err = std::fs::read_to_string(dir.join("child.stderr")).unwrap_or_default();
        return RunResult::bad(format!(
            "the DLL ended the checker's child process ({what}) before its first call (while \
             loading or starting it){}",
            if err.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", err.trim())
            }
        ));
    }
    result
}

/// Waits for the child; `Err` (after killing it) when it wrote nothing to its trace for longer
/// than a call may take, or ran past every bound.
fn watch(
    child: &mut std::process::Child,
    config: &RunConfig,
    dir: &Path,
    watchdog: Watchdog,
) -> Result<Option<std::process::ExitStatus>, ()> {
    let pending = Duration::from_millis(config.pending_wait_ms);
    let limit = Duration::from_millis(config.time_limit_ms) + pending + watchdog.hang * 2;
    let started = Instant::now();
    let trace = dir.join("trace.jsonl");
    let mut last = (0u64, Instant::now());
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) => {}
            Err(_) => return Ok(None),
        }
        let size = std::fs::metadata(&trace).map_or(0, |m| m.len());
        if size != last.0 {
            last = (size, Instant::now());
        }
        if last.1.elapsed() > watchdog.hang + pending || started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn describe_status(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => "SIGILL",
                6 => "SIGABRT",
                7 => "SIGBUS",
                8 => "SIGFPE",
                11 => "SIGSEGV",
                _ => "a signal",
            };
            return format!("{name}, signal {sig}");
        }
    }
    format!("exit status {status}")
}

/// A result for a child that crashed or hung: the plan it wrote and the step of its last
/// `begin` line.
fn stopped(dir: &Path, what: String, names: &[String]) -> RunResult {
    let plan: Plan = std::fs::read_to_string(dir.join("plan.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut step = None;
    let mut steps_run = 0;
    let mut violation: Option<(usize, Violation)> = None;
    if let Ok(f) = File::open(dir.join("trace.jsonl")) {
        for line in BufReader::new(f).lines().map_while(Result::ok) {
            let Ok(l) = serde_json::from_str::<TraceLine>(&line) else {
                continue;
            };
            steps_run = steps_run.max(l.step + 1);
            if l.begin.is_some() {
                step = Some(l.step);
            } else if l.event.is_some() && step == Some(l.step) {
                step = None;
            }
            if violation.is_none() {
                violation = l.violation.map(|v| (l.step, v));
            }
        }
    }
    let stop_step = step.unwrap_or(steps_run.saturating_sub(1));
    RunResult {
        bad_input: None,
        probe: None,
        plan,
        names: names.to_vec(),
        outcome: Outcome {
            steps_run,
            violation,
            ..Outcome::default()
        },
        stop: Some(Stop {
            step: stop_step,
            what,
        }),
        seconds: 0.0,
    }
}
