//! Checking a JSON-lines trace file with the monitors (`offline-v2 monitor TRACE.jsonl`).

use std::io::BufRead;

use super::{Monitors, StepRecord, Topology, TraceHeader, Violation};

/// Why a trace cannot be checked (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be read.
    #[error("cannot read the trace: {0}")]
    Io(#[from] std::io::Error),
    /// The file is empty.
    #[error(
        "the trace is empty: its first line must be the header {{\"trace\": \"{}\", …}}",
        TraceHeader::FORMAT
    )]
    Empty,
    /// A line is not what the format says.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong (serde's message with its position).
        message: String,
    },
}

/// What checking a whole trace found.
#[derive(Debug, Clone, Default)]
pub struct TraceVerdict {
    /// Traces (header lines) read: a file may hold the traces of several scenarios.
    pub traces: usize,
    /// Step records read.
    pub steps: usize,
    /// The rules checked.
    pub rules: Vec<&'static str>,
    /// The first violation (checking stops there), with the 1-based line of its record and
    /// the name of its trace.
    pub violation: Option<(Violation, usize, String)>,
}

/// Reads a trace file — a header line, then one [`StepRecord`] per line, possibly followed by
/// more header + records blocks (one per scenario); blank lines are skipped — and runs every
/// monitor over each block from a fresh start, stopping at the first violation.
///
/// # Errors
/// [`TraceError`] for an unreadable file, a missing or wrong header, or a line that is not a
/// record — with its line number.
pub fn check_trace(input: impl BufRead) -> Result<TraceVerdict, TraceError> {
    let mut verdict = TraceVerdict::default();
    let mut current: Option<(Monitors, String)> = None;
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| TraceError::Line {
            line: line_no,
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| bad(format!("not JSON: {e}")))?;
        if value.get("trace").is_some() {
            let header: TraceHeader = serde_json::from_value(value)
                .map_err(|e| bad(format!("not a trace header: {e}")))?;
            if header.trace != TraceHeader::FORMAT {
                return Err(bad(format!(
                    "unknown trace format {:?} (this checker reads {:?})",
                    header.trace,
                    TraceHeader::FORMAT
                )));
            }
            let topo = Topology::new(&header.nodes, &header.groups, &header.config)
                .map_err(|e| bad(e.to_string()))?;
            let monitors = Monitors::all(topo);
            verdict.rules = monitors.rules();
            verdict.traces += 1;
            current = Some((monitors, header.name));
            continue;
        }
        let Some((monitors, name)) = current.as_mut() else {
            return Err(bad(format!(
                "a step record before any header (the first line must be {{\"trace\": \"{}\", …}})",
                TraceHeader::FORMAT
            )));
        };
        let rec: StepRecord =
            serde_json::from_value(value).map_err(|e| bad(format!("not a step record: {e}")))?;
        verdict.steps += 1;
        if let Some(v) = monitors.observe(&rec).into_iter().next() {
            if v.rule == "trace" {
                // A record that does not fit its header is bad input, not a broken rule.
                return Err(bad(format!("{}: {}", v.what, v.expected)));
            }
            verdict.violation = Some((v, line_no, name.clone()));
            return Ok(verdict);
        }
    }
    if verdict.traces == 0 {
        return Err(TraceError::Empty);
    }
    Ok(verdict)
}
