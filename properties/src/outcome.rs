//! What a run found, as data (issue 14): the exit codes, and the typed report that
//! `--json` prints and `--junit` turns into JUnit XML ([`crate::junit`]).
//!
//! Every subcommand builds one [`Report`] of [`Phase`]s; the report's [`Status`] is the worst
//! of its phases' and decides the exit code ([`Status::exit_code`], docs/exit-codes.md):
//!
//! | code | status | meaning |
//! |---|---|---|
//! | 0 | `passed` | everything ran to completion and held |
//! | 1 | `failed` | a property, an expectation or a lockstep comparison failed (with a reason) |
//! | 2 | — | bad input (command line, profile, variables, files): nothing ran |
//! | 3 | `incomplete` | a budget (time, states, memory, cases) stopped a phase first; nothing failed in what ran |
//! | 4 | `nothing_ran` | a phase had nothing to run (an empty folder, no scenario) |
//!
//! The JSON Schema of the report is `docs/report.schema.json` (validated by
//! `properties/tests/cli_output.rs`).

use std::collections::BTreeMap;

use serde::Serialize;

/// Exit code: everything held.
pub const EXIT_PASSED: u8 = 0;
/// Exit code: something failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad input; nothing ran.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: a budget stopped the run before it covered what was asked; nothing failed.
pub const EXIT_INCOMPLETE: u8 = 3;
/// Exit code: there was nothing to run.
pub const EXIT_NOTHING_RAN: u8 = 4;

/// The schema id of [`Report`] (`docs/report.schema.json`).
pub const SCHEMA: &str = "offline-v2/report/1";

/// The status of a phase, a scenario or a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ran to completion; everything held.
    Passed,
    /// Something failed.
    Failed,
    /// A budget stopped it first; nothing failed in what ran.
    Incomplete,
    /// Nothing to run.
    NothingRan,
}

impl Status {
    /// The exit code of a run with this status.
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Passed => EXIT_PASSED,
            Status::Failed => EXIT_FAILED,
            Status::Incomplete => EXIT_INCOMPLETE,
            Status::NothingRan => EXIT_NOTHING_RAN,
        }
    }

    /// The worse of two statuses: failed, then nothing ran, then incomplete, then passed.
    #[must_use]
    pub fn worst(self, other: Status) -> Status {
        let rank = |s: Status| match s {
            Status::Passed => 0,
            Status::Incomplete => 1,
            Status::NothingRan => 2,
            Status::Failed => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// How the summary table shows it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "ok",
            Status::Failed => "FAIL",
            Status::Incomplete => "INCOMPLETE",
            Status::NothingRan => "EMPTY",
        }
    }
}

/// One run of a subcommand.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The subcommand (`verify`, `check`, `replay`, …).
    pub command: String,
    /// The worst phase status.
    pub status: Status,
    /// The process exit code ([`Status::exit_code`]).
    pub exit_code: u8,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// The budget the run obeyed, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<crate::budget::Budget>,
    /// The resource DLL the run drove, if it drove one ([`crate::cli::dll_json`]: path,
    /// resource type, exports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dll: Option<serde_json::Value>,
    /// The phases in the order they ran.
    pub phases: Vec<Phase>,
}

impl Report {
    /// A report of `phases`, its status the worst of theirs (no phase: nothing ran).
    #[must_use]
    pub fn new(command: &str, seconds: f64, phases: Vec<Phase>) -> Self {
        let status = if phases.is_empty() {
            Status::NothingRan
        } else {
            phases
                .iter()
                .fold(Status::Passed, |acc, p| acc.worst(p.status))
        };
        Report {
            schema: SCHEMA,
            command: command.to_owned(),
            status,
            exit_code: status.exit_code(),
            seconds,
            budget: None,
            dll: None,
            phases,
        }
    }

    /// The report as pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// One phase of a run (model check, random conformance, corpus replay, …).
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// A stable id (`model_check`, `conformance_random`, `corpus`, …).
    pub id: String,
    /// What ran, for people.
    pub title: String,
    /// Its status.
    pub status: Status,
    /// Why it is not `passed` (always set otherwise: a failure is never without a reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// What it covered (e.g. `unique_states`, `cases`, `paths`, `steps`, `scenarios`).
    pub covered: BTreeMap<String, u64>,
    /// What it was asked to cover, where known (e.g. `cases` budget, `paths` in total).
    pub planned: BTreeMap<String, u64>,
    /// Property verdicts (model checking).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<PropertyOutcome>,
    /// Scenario results (replay).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<ScenarioOutcome>,
    /// Other failures (conformance divergences), each with its reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
}

impl Phase {
    /// A phase that passed, with nothing recorded yet.
    #[must_use]
    pub fn new(id: &str, title: &str) -> Self {
        Phase {
            id: id.to_owned(),
            title: title.to_owned(),
            status: Status::Passed,
            reason: None,
            seconds: 0.0,
            covered: BTreeMap::new(),
            planned: BTreeMap::new(),
            properties: Vec::new(),
            scenarios: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Records a covered count.
    pub fn cover(&mut self, what: &str, n: u64) -> &mut Self {
        self.covered.insert(what.to_owned(), n);
        self
    }

    /// Records a planned count.
    pub fn plan(&mut self, what: &str, n: u64) -> &mut Self {
        self.planned.insert(what.to_owned(), n);
        self
    }

    /// Lowers the status to `status` (if worse) with its reason; reasons accumulate.
    pub fn mark(&mut self, status: Status, reason: impl Into<String>) -> &mut Self {
        self.status = self.status.worst(status);
        let reason = reason.into();
        self.reason = Some(match self.reason.take() {
            Some(r) if !r.is_empty() => format!("{r}; {reason}"),
            _ => reason,
        });
        self
    }
}

/// A property's verdict in a report.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyOutcome {
    /// The property's name.
    pub name: String,
    /// `always`, `eventually` or `sometimes`.
    pub kind: String,
    /// `holds`, `fails` or `unknown`.
    pub verdict: crate::model_check::Verdict,
    /// The counterexample (or, for `sometimes`, the example) found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
}

/// A path of the model as replayable steps, with what changed after each.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    /// The steps in order.
    pub steps: Vec<TraceStep>,
    /// For a liveness counterexample: the operations still not complete at its end.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub never_completes: Vec<String>,
}

/// One step of a [`Trace`].
#[derive(Debug, Clone, Serialize)]
pub struct TraceStep {
    /// The SPEC §7 step (a call or an event) as it appears in a scenario file.
    pub step: serde_json::Value,
    /// What the step produced, with names (return code, DLL calls, completions).
    pub outputs: Vec<String>,
    /// What changed in the state, with names.
    pub changes: Vec<Change>,
}

/// One change of the state after a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed, with names (e.g. `group g1 owner`, `resource vm1 state`).
    pub what: String,
    /// Its value before the step.
    pub from: String,
    /// Its value after the step.
    pub to: String,
}

/// A scenario's result in a report.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioOutcome {
    /// The file.
    pub file: String,
    /// The scenario's name.
    pub name: String,
    /// `passed` or `failed`.
    pub status: Status,
    /// Steps applied.
    pub steps: u64,
    /// Seconds.
    pub seconds: f64,
    /// Each failing step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<StepFailureOutcome>,
}

/// A failing step of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct StepFailureOutcome {
    /// 0-based step index (absent when the scenario could not be set up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// What was compared.
    pub what: String,
    /// What was expected.
    pub expected: String,
    /// What each side produced, by side name.
    pub produced: BTreeMap<String, String>,
    /// The sides that diverged.
    pub diverged: Vec<String>,
}

/// A failure that is not a scenario step (e.g. a conformance divergence).
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// Which case failed (e.g. the fixture and its shrunk length).
    pub case: String,
    /// Why, readable.
    pub message: String,
    /// Where the shrunk scenario was written, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_status_decides_the_exit_code() {
        let mut a = Phase::new("a", "A");
        let mut b = Phase::new("b", "B");
        assert_eq!(Report::new("t", 0.0, vec![a.clone()]).exit_code, 0);
        b.mark(Status::Incomplete, "time limit");
        assert_eq!(
            Report::new("t", 0.0, vec![a.clone(), b.clone()]).exit_code,
            3
        );
        a.mark(Status::NothingRan, "no scenario");
        assert_eq!(
            Report::new("t", 0.0, vec![a.clone(), b.clone()]).exit_code,
            4
        );
        b.mark(Status::Failed, "R10");
        assert_eq!(Report::new("t", 0.0, vec![a, b.clone()]).exit_code, 1);
        assert_eq!(b.reason.as_deref(), Some("time limit; R10"));
        assert_eq!(Report::new("t", 0.0, vec![]).exit_code, 4);
    }
}
