//! `offline-v2 monitor TRACE.jsonl`: runs the SPEC §6 property monitors (`crate::monitors`)
//! over a JSON-lines trace (`docs/trace-format.md`), as written by `replay --trace` or by any
//! host that records the same observables. Exit 0: every monitor held; 1: a violation (the
//! rule, the step, the expected and the observed value are printed); 2: the file cannot be
//! read or is not a trace.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{bad_input, EXIT_FAILED};
use crate::monitors::check_trace;

/// Options of `monitor`.
#[derive(Args)]
pub struct MonitorArgs {
    /// The trace: JSON lines, a header line then one step record per line
    /// (docs/trace-format.md); several header + records blocks may follow each other.
    trace: PathBuf,
}

/// Runs `monitor`.
#[must_use]
pub fn run(args: &MonitorArgs) -> ExitCode {
    let file = match std::fs::File::open(&args.trace) {
        Ok(f) => f,
        Err(e) => return bad_input(format!("cannot read {}: {e}", args.trace.display())),
    };
    let verdict = match check_trace(std::io::BufReader::new(file)) {
        Ok(v) => v,
        Err(e) => return bad_input(format!("{}: {e}", args.trace.display())),
    };
    match &verdict.violation {
        None => {
            println!(
                "monitor: ok — {} steps in {} trace(s), every monitor held ({})",
                verdict.steps,
                verdict.traces,
                verdict.rules.join(", ")
            );
            ExitCode::SUCCESS
        }
        Some((v, line, name)) => {
            println!(
                "monitor: FAILED — {}, line {line} (trace {name:?}):\n{v}",
                args.trace.display()
            );
            ExitCode::from(EXIT_FAILED)
        }
    }
}
