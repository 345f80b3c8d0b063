//! The return code of a client or raw call: lockstep, and the step's `expect` (SPEC §7).

use offline_v2::types::ErrorCode;

use super::lockstep;
use crate::replay::{Obs, ObsKind, StepChecker, StepFailure, StepView};
use crate::scenario::Step;

/// Compares each call's `Returned` between the sides and with `expect`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReturnCode;

impl StepChecker for ReturnCode {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        lockstep(step, "the return code", ObsKind::Returned, failures);
        let Step::Call {
            expect: Some(code), ..
        } = step.step
        else {
            return;
        };
        let got: Vec<Option<u32>> = step
            .sides
            .iter()
            .map(|s| {
                s.outputs.iter().find_map(|o| match o {
                    Obs::Returned { code, .. } => Some(*code),
                    _ => None,
                })
            })
            .collect();
        failures.extend(step.expectation(
            "return code",
            &code.to_string(),
            &got,
            |g| *g == Some(code.0),
            |g| g.map_or("no return".into(), |c| ErrorCode(c).to_string()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::checker::testing::{initial_view, judge, scenario};
    use crate::replay::FailureKind;

    fn returned(code: u32, op: Option<u32>) -> Vec<Obs> {
        vec![Obs::Returned { code, op }]
    }

    #[test]
    fn holds_when_both_sides_return_the_expected_code() {
        let s = scenario(r#"[{"call":"online_resource","resource":"vm1","expect":0}]"#);
        let v = initial_view();
        let f = judge(
            &mut ReturnCode,
            &s,
            0,
            &[returned(0, None), returned(0, None)],
            &[v.clone(), v],
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_different_code_on_one_side_is_a_divergence_and_a_failed_expect() {
        let s =
            scenario(r#"[{"call":"online_resource","resource":"vm1","expect":"ERROR_SUCCESS"}]"#);
        let v = initial_view();
        let f = judge(
            &mut ReturnCode,
            &s,
            0,
            &[returned(0, None), returned(997, Some(0))],
            &[v.clone(), v],
        );
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].kind, FailureKind::Divergence);
        assert_eq!(
            f[0].what,
            "impl and model disagree on the return code (lockstep)"
        );
        assert!(f[0].produced[1]
            .1
            .contains("returned ERROR_IO_PENDING (op 0)"));
        assert_eq!(f[1].kind, FailureKind::Expectation);
        assert_eq!(f[1].what, "return code");
        assert_eq!(f[1].diverged, ["model"]);
        assert_eq!(f[1].produced[1].1, "ERROR_IO_PENDING");
    }

    #[test]
    fn both_sides_wrong_alike_is_only_a_failed_expect() {
        let s = scenario(r#"[{"call":"online_resource","resource":"vm1","expect":5023}]"#);
        let v = initial_view();
        let f = judge(
            &mut ReturnCode,
            &s,
            0,
            &[returned(0, None), returned(0, None)],
            &[v.clone(), v],
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].diverged, ["impl", "model"]);
        assert_eq!(f[0].expected, "ERROR_INVALID_STATE");
    }
}
