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
    /// Step records read.
    pub steps: usize,
    /// The rules checked.
    pub rules: Vec<&'static str>,
    /// The first violation (checking stops there).
    pub violation: Option<Violation>,
}

/// Reads a trace (header line, then one [`StepRecord`] per line; blank lines are skipped) and
/// runs every monitor over it, stopping at the first violation.
///
/// # Errors
/// [`TraceError`] for an unreadable file, a missing or wrong header, or a line that is not a
/// record — with its line number.
pub fn check_trace(input: impl BufRead) -> Result<TraceVerdict, TraceError> {
    let mut lines = input.lines().enumerate();
    let (header, line_no) = loop {
        match lines.next() {
            None => return Err(TraceError::Empty),
            Some((i, line)) => {
                let line = line?;
                if !line.trim().is_empty() {
                    break (line, i + 1);
                }
            }
        }
    };
    let header: TraceHeader = serde_json::from_str(&header).map_err(|e| TraceError::Line {
        line: line_no,
        message: format!("not a trace header: {e}"),
    })?;
    if header.trace != TraceHeader::FORMAT {
        return Err(TraceError::Line {
            line: line_no,
            message: format!(
                "unknown trace format {:?} (this checker reads {:?})",
                header.trace,
                TraceHeader::FORMAT
            ),
        });
    }
    let topo = Topology::new(&header.nodes, &header.groups, &header.config).map_err(|e| {
        TraceError::Line {
            line: line_no,
            message: e.to_string(),
        }
    })?;
    let mut monitors = Monitors::all(topo);
    let mut verdict = TraceVerdict {
        rules: monitors.rules(),
        ..TraceVerdict::default()
    };
    for (i, line) in lines {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: StepRecord = serde_json::from_str(&line).map_err(|e| TraceError::Line {
            line: i + 1,
            message: format!("not a step record: {e}"),
        })?;
        verdict.steps += 1;
        if let Some(v) = monitors.observe(&rec).into_iter().next() {
            verdict.violation = Some(v);
            break;
        }
    }
    Ok(verdict)
}
