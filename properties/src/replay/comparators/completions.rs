//! Completions (R14): lockstep, and `check_completions` — exactly the completions since the
//! previous `check_completions`, each named by the step of the call that was accepted.

use offline_v2::types::ErrorCode;

use super::{lines_or_nothing, lockstep};
use crate::replay::{Obs, ObsKind, StepChecker, StepFailure, StepView};
use crate::scenario::Step;

/// What one side completed since the previous `check_completions`.
#[derive(Debug, Clone, Default)]
struct Log {
    /// (operation id, result) in completion order.
    completions: Vec<(u32, u32)>,
    /// operation id → index of the step whose call returned it.
    op_steps: Vec<(u32, usize)>,
}

impl Log {
    /// The completions as `step N → CODE` lines; the log is emptied.
    fn drain(&mut self) -> Vec<String> {
        let op_steps = &self.op_steps;
        self.completions
            .drain(..)
            .map(|(op, result)| {
                let step = op_steps
                    .iter()
                    .find(|(o, _)| *o == op)
                    .map_or_else(|| format!("op {op}"), |(_, s)| format!("step {s}"));
                format!("{step} → {}", ErrorCode(result))
            })
            .collect()
    }
}

/// Compares completions between the sides and with `check_completions`.
#[derive(Debug, Clone, Default)]
pub struct Completions {
    logs: Vec<Log>,
}

impl StepChecker for Completions {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        lockstep(step, "the completions", ObsKind::Completed, failures);
        self.logs.resize_with(step.sides.len(), Log::default);
        for (log, side) in self.logs.iter_mut().zip(step.sides) {
            for o in side.outputs {
                match *o {
                    Obs::Returned { op: Some(op), .. } => log.op_steps.push((op, step.index)),
                    Obs::Completed { op, result } => log.completions.push((op, result)),
                    _ => {}
                }
            }
        }
        let Step::CheckCompletions(expected) = step.step else {
            return;
        };
        let want: Vec<String> = expected
            .iter()
            .map(|c| format!("step {} → {}", c.step, c.result))
            .collect();
        let got: Vec<Vec<String>> = self.logs.iter_mut().map(Log::drain).collect();
        failures.extend(step.expectation(
            "check_completions",
            &lines_or_nothing(&want),
            &got,
            |g| *g == want,
            |g| lines_or_nothing(g),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::checker::testing::{initial_view, judge, scenario};
    use crate::replay::FailureKind;

    const STEPS: &str = r#"[{"call":"offline_resource","resource":"vm1"},
        {"event":"complete_offline","resource":"vm1"},
        {"check_completions":[{"step":0,"result":"ERROR_SUCCESS"}]}]"#;

    fn accepted() -> Vec<Obs> {
        vec![Obs::Returned {
            code: 997,
            op: Some(0),
        }]
    }

    fn completed(result: u32) -> Vec<Obs> {
        vec![Obs::Completed { op: 0, result }]
    }

    #[test]
    fn a_completion_is_named_by_the_step_that_was_accepted() {
        let s = scenario(STEPS);
        let v = initial_view();
        let views = [v.clone(), v];
        let mut c = Completions::default();
        assert!(judge(&mut c, &s, 0, &[accepted(), accepted()], &views).is_empty());
        assert!(judge(&mut c, &s, 1, &[completed(0), completed(0)], &views).is_empty());
        assert!(judge(&mut c, &s, 2, &[vec![], vec![]], &views).is_empty());
    }

    #[test]
    fn a_wrong_result_fails_the_check_and_diverges() {
        let s = scenario(STEPS);
        let v = initial_view();
        let views = [v.clone(), v];
        let mut c = Completions::default();
        assert!(judge(&mut c, &s, 0, &[accepted(), accepted()], &views).is_empty());
        let f = judge(&mut c, &s, 1, &[completed(0), completed(31)], &views);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, FailureKind::Divergence);
        assert_eq!(
            f[0].what,
            "impl and model disagree on the completions (lockstep)"
        );
        let f = judge(&mut c, &s, 2, &[vec![], vec![]], &views);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, FailureKind::Expectation);
        assert_eq!(f[0].expected, "step 0 → ERROR_SUCCESS");
        assert_eq!(f[0].diverged, ["model"]);
        assert_eq!(f[0].produced[1].1, "step 0 → ERROR_GEN_FAILURE");
    }

    #[test]
    fn a_missing_completion_shows_nothing() {
        let s = scenario(STEPS);
        let v = initial_view();
        let views = [v.clone(), v];
        let mut c = Completions::default();
        assert!(judge(&mut c, &s, 0, &[accepted(), accepted()], &views).is_empty());
        let f = judge(&mut c, &s, 2, &[vec![], vec![]], &views);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].produced[0].1, "(nothing)");
    }
}
