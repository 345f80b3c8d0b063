//! A [`Report`] as JUnit XML for CI (`--junit FILE`, issue 14): one `<testsuite>` per phase,
//! one `<testcase>` per property, scenario or failure of it (or one for the phase itself when
//! it has none). A failed case carries `<failure message=…>` with the reason; an incomplete or
//! empty phase's cases carry `<skipped message=…>` (the run's exit code still says 3 or 4).

use std::fmt::Write as _;

use crate::model_check::Verdict;
use crate::outcome::{Phase, Report, Status};

/// XML-escapes text for an attribute or element.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// One `<testcase>`.
struct Case {
    name: String,
    seconds: f64,
    outcome: CaseOutcome,
}

enum CaseOutcome {
    Passed,
    Failed { message: String, text: String },
    Skipped { message: String },
}

fn cases_of(phase: &Phase) -> Vec<Case> {
    let skipped = |why: &str| CaseOutcome::Skipped {
        message: why.to_owned(),
    };
    let reason = phase.reason.clone().unwrap_or_default();
    let mut cases = Vec::new();
    for p in &phase.properties {
        let outcome = match p.verdict {
            Verdict::Holds => CaseOutcome::Passed,
            Verdict::Fails => CaseOutcome::Failed {
                message: format!("{} property fails: {}", p.kind, p.name),
                text: p
                    .trace
                    .as_ref()
                    .map(|t| serde_json::to_string_pretty(t).unwrap_or_default())
                    .unwrap_or_default(),
            },
            Verdict::Unknown => skipped(&format!("incomplete: {reason}")),
        };
        cases.push(Case {
            name: format!("{} {}", p.kind, p.name),
            seconds: 0.0,
            outcome,
        });
    }
    for s in &phase.scenarios {
        let outcome = match s.status {
            Status::Passed => CaseOutcome::Passed,
            Status::Failed => CaseOutcome::Failed {
                message: s.failures.first().map_or_else(
                    || "failed".to_owned(),
                    |f| match f.step {
                        Some(i) => format!("step {i}: {}", f.what),
                        None => f.what.clone(),
                    },
                ),
                text: serde_json::to_string_pretty(&s.failures).unwrap_or_default(),
            },
            other => skipped(other.label()),
        };
        cases.push(Case {
            name: s.file.clone(),
            seconds: s.seconds,
            outcome,
        });
    }
    for f in &phase.failures {
        cases.push(Case {
            name: f.case.clone(),
            seconds: 0.0,
            outcome: CaseOutcome::Failed {
                message: f.message.lines().next().unwrap_or_default().to_owned(),
                text: f.message.clone(),
            },
        });
    }
    let phase_case = match phase.status {
        // The phase's own verdict, when its items do not already carry it.
        Status::Passed if cases.is_empty() => Some(CaseOutcome::Passed),
        Status::Failed
            if !cases
                .iter()
                .any(|c| matches!(c.outcome, CaseOutcome::Failed { .. })) =>
        {
            Some(CaseOutcome::Failed {
                message: reason.clone(),
                text: reason.clone(),
            })
        }
        Status::Incomplete => Some(skipped(&format!("incomplete: {reason}"))),
        Status::NothingRan => Some(skipped(&format!("nothing ran: {reason}"))),
        _ => None,
    };
    if let Some(outcome) = phase_case {
        cases.insert(
            0,
            Case {
                name: phase.title.clone(),
                seconds: phase.seconds,
                outcome,
            },
        );
    }
    cases
}

/// The report as a JUnit XML document.
#[must_use]
pub fn to_junit(report: &Report) -> String {
    let mut suites = String::new();
    let (mut total, mut failures, mut skipped) = (0usize, 0usize, 0usize);
    for phase in &report.phases {
        let cases = cases_of(phase);
        let f = cases
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::Failed { .. }))
            .count();
        let s = cases
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::Skipped { .. }))
            .count();
        total += cases.len();
        failures += f;
        skipped += s;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\" time=\"{:.3}\">",
            escape(&phase.id),
            cases.len(),
            phase.seconds
        );
        for c in &cases {
            let _ = write!(
                suites,
                "    <testcase classname=\"offline-v2.{}.{}\" name=\"{}\" time=\"{:.3}\"",
                escape(&report.command),
                escape(&phase.id),
                escape(&c.name),
                c.seconds
            );
            match &c.outcome {
                CaseOutcome::Passed => suites.push_str("/>\n"),
                CaseOutcome::Failed { message, text } => {
                    let _ = writeln!(
                        suites,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        escape(message),
                        escape(text)
                    );
                }
                CaseOutcome::Skipped { message } => {
                    let _ = writeln!(
                        suites,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(message)
                    );
                }
            }
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"offline-v2 {}\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">\n{suites}</testsuites>\n",
        escape(&report.command),
        report.seconds
    )
}

/// Writes the report's JUnit XML to `path`.
///
/// # Errors
/// The I/O error, if any.
pub fn write(report: &Report, path: &std::path::Path) -> std::io::Result<()> {
    std::fs::write(path, to_junit(report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Failure, Phase, Report};

    #[test]
    fn failures_skips_and_escapes() {
        let mut ok = Phase::new("model_check", "model check");
        ok.cover("unique_states", 3);
        let mut bad = Phase::new("conformance", "conformance <impl & model>");
        bad.mark(Status::Failed, "1 divergence");
        bad.failures.push(Failure {
            case: "two-nodes \"3 steps\"".into(),
            message: "step 2: R12 <flags>\nmore".into(),
            scenario: None,
        });
        let mut late = Phase::new("corpus", "scenario corpus");
        late.mark(Status::Incomplete, "time limit of 5 s reached");
        let xml = to_junit(&Report::new("verify", 1.0, vec![ok, bad, late]));
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("name=\"two-nodes &quot;3 steps&quot;\""),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"step 2: R12 &lt;flags&gt;\">"),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped message=\"incomplete: time limit of 5 s reached\"/>"),
            "{xml}"
        );
        assert!(!xml.contains("<impl &"), "{xml}");
    }
}
