//! The monitors as a replay [`StepChecker`]: every step of the implementation side becomes a
//! [`StepRecord`] and is judged by [`Monitors`]; a violation is a failure naming the rule.

use std::io::Write;

use super::{Monitors, StepRecord, Topology, TraceHeader, Violation};
use crate::replay::{FailureKind, Names, StepChecker, StepFailure, StepView};
use crate::scenario::Scenario;

/// Runs [`Monitors`] on one side of a replay (by name, normally "impl"), and optionally
/// writes every record to a JSON-lines trace (`docs/trace-format.md`).
pub struct MonitorChecker<'w> {
    side: &'static str,
    monitors: Option<Monitors>,
    trace: Option<&'w mut dyn Write>,
    /// The first error writing the trace, if any.
    pub trace_error: Option<std::io::Error>,
}

impl<'w> MonitorChecker<'w> {
    /// Monitors for the side named `side` of a replay of `scenario`. A set-up the monitors
    /// cannot index (more than 255 of a kind) is not monitored.
    #[must_use]
    pub fn new(scenario: &Scenario, side: &'static str) -> Self {
        Self {
            side,
            monitors: Topology::new(&scenario.nodes, &scenario.groups, &scenario.config)
                .ok()
                .map(Monitors::all),
            trace: None,
            trace_error: None,
        }
    }

    /// Also writes the trace of the monitored side to `out`: the header of `scenario` now,
    /// one record per call or event step as it runs.
    #[must_use]
    pub fn with_trace(mut self, scenario: &Scenario, out: &'w mut dyn Write) -> Self {
        let header = TraceHeader::of(scenario);
        if let Err(e) = write_line(out, &header) {
            self.trace_error = Some(e);
        }
        self.trace = Some(out);
        self
    }
}

fn write_line<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// A monitor violation as a replay failure (it stops the run, like a divergence: the
/// monitor's picture of the run is no longer trustworthy after it).
#[must_use]
pub fn failure_of(side: &'static str, v: &Violation) -> StepFailure {
    StepFailure {
        step: v.step,
        kind: FailureKind::Divergence,
        what: format!("{} violated: {} (SPEC monitor)", v.rule, v.what),
        expected: v.expected.clone(),
        produced: vec![(side, v.observed.clone())],
        diverged: vec![side],
    }
}

impl StepChecker for MonitorChecker<'_> {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        let Some(side) = step.sides.iter().find(|s| s.name == self.side) else {
            return;
        };
        let Some(rec) = StepRecord::of_side(step.index, step.step, side) else {
            return;
        };
        if let Some(out) = self.trace.as_deref_mut() {
            if self.trace_error.is_none() {
                if let Err(e) = write_line(out, &rec) {
                    self.trace_error = Some(e);
                }
            }
        }
        if let Some(m) = &mut self.monitors {
            failures.extend(m.observe(&rec).iter().map(|v| failure_of(self.side, v)));
        }
    }

    fn wants_dll_view(&self) -> bool {
        true
    }

    fn finish(&mut self, _names: &Names<'_>, _failures: &mut Vec<StepFailure>) {
        if let Some(out) = self.trace.as_deref_mut() {
            if let Err(e) = out.flush() {
                self.trace_error.get_or_insert(e);
            }
        }
    }
}
