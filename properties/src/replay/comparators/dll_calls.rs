//! The host's DLL calls: lockstep on every call (Open and Close included), and `check_calls`
//! — exactly the OnlineV2, OfflineV2 and Terminate calls since the previous `check_calls`, in
//! call order (SPEC §7).

use std::fmt::Write as _;

use offline_v2::types::flag_names;

use super::{lines_or_nothing, lockstep};
use crate::replay::{CallObs, Names, Obs, ObsKind, StepChecker, StepFailure, StepView};
use crate::scenario::{CallEntry, ExpectedCall, Step};

/// Compares DLL calls between the sides and with `check_calls`.
#[derive(Debug, Clone, Default)]
pub struct DllCalls {
    /// Per side: the listed calls since the previous `check_calls`.
    since_check: Vec<Vec<CallObs>>,
}

impl StepChecker for DllCalls {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        lockstep(step, "the DLL calls", ObsKind::Call, failures);
        self.since_check.resize_with(step.sides.len(), Vec::new);
        for (log, side) in self.since_check.iter_mut().zip(step.sides) {
            log.extend(side.outputs.iter().filter_map(|o| match o {
                Obs::Call(c) if c.entry.listed().is_some() => Some(*c),
                _ => None,
            }));
        }
        if let Step::CheckCalls(expected) = step.step {
            let got: Vec<Vec<CallObs>> = self.since_check.iter_mut().map(std::mem::take).collect();
            failures.extend(judge(step, expected, &got));
        }
    }
}

/// Whether an observed call is the expected one: node, entry, resource, destination and the
/// exact flag bits, and the answer when both know it (F5).
fn is(names: &Names<'_>, got: &CallObs, want: &ExpectedCall) -> bool {
    names.expected_call(got).is_some_and(|mut seen| {
        if seen.result.is_none() || want.result.is_none() {
            seen.result = want.result;
        }
        seen == *want
    })
}

/// One expected call as text, in the same form as [`Names::obs`].
fn expected_text(c: &ExpectedCall) -> String {
    let mut s = format!("{}: {:?}({}", c.node, c.entry, c.resource);
    if c.entry == CallEntry::OfflineV2 {
        let _ = write!(
            s,
            ", dest {}, [{}]",
            c.dest.as_deref().unwrap_or("null"),
            flag_names(&c.flags).join("|")
        );
    }
    s.push(')');
    if let Some(r) = c.result {
        let _ = write!(s, " = {r}");
    }
    s
}

fn judge(
    step: &StepView<'_>,
    expected: &[ExpectedCall],
    got: &[Vec<CallObs>],
) -> Option<StepFailure> {
    let names = step.names;
    let ok = |g: &Vec<CallObs>| {
        g.len() == expected.len() && g.iter().zip(expected).all(|(c, e)| is(names, c, e))
    };
    let show = |g: &Vec<CallObs>| {
        let lines: Vec<String> = g.iter().map(|c| names.obs(&Obs::Call(*c))).collect();
        lines_or_nothing(&lines)
    };
    let want: Vec<String> = expected.iter().map(expected_text).collect();
    step.expectation("check_calls", &lines_or_nothing(&want), got, ok, show)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::checker::testing::{initial_view, judge as run, scenario};
    use crate::replay::{FailureKind, ObsEntry};

    const STEPS: &str = r#"[{"call":"move_group","group":"g1","dest":"n2"},
        {"check_calls":[{"node":"n1","entry":"OfflineV2","resource":"vm1","dest":"n2",
                         "flags":["DO_NOT_UPDATE_PERSISTENT_STATE"],"result":"ERROR_IO_PENDING"}]}]"#;

    fn offline(flags: u32, result: Option<u32>) -> Obs {
        Obs::Call(CallObs {
            node: 0,
            entry: ObsEntry::OfflineV2,
            resource: 0,
            dest: Some(1),
            flags,
            result,
        })
    }

    fn open() -> Obs {
        Obs::Call(CallObs {
            node: 1,
            entry: ObsEntry::Open,
            resource: 0,
            dest: None,
            flags: 0,
            result: Some(0),
        })
    }

    #[test]
    fn check_calls_holds_on_the_calls_since_the_last_check() {
        let s = scenario(STEPS);
        let v = initial_view();
        let views = [v.clone(), v];
        let mut c = DllCalls::default();
        let out = vec![offline(0x40, Some(997)), open()];
        assert!(run(&mut c, &s, 0, &[out.clone(), out], &views).is_empty());
        let f = run(&mut c, &s, 1, &[vec![], vec![]], &views);
        assert!(
            f.is_empty(),
            "Open is not listed, the answer matches: {f:?}"
        );
        // The log was drained: a second check would see nothing.
        assert!(c.since_check.iter().all(Vec::is_empty));
    }

    #[test]
    fn wrong_flags_fail_check_calls_on_both_sides_with_both_lists() {
        let s = scenario(STEPS);
        let v = initial_view();
        let views = [v.clone(), v];
        let mut c = DllCalls::default();
        let out = vec![offline(0x42, Some(997))];
        assert!(run(&mut c, &s, 0, &[out.clone(), out], &views).is_empty());
        let f = run(&mut c, &s, 1, &[vec![], vec![]], &views);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, FailureKind::Expectation);
        assert_eq!(f[0].what, "check_calls");
        assert_eq!(
            f[0].expected,
            "n1: OfflineV2(vm1, dest n2, [DO_NOT_UPDATE_PERSISTENT_STATE]) = ERROR_IO_PENDING"
        );
        assert_eq!(
            f[0].produced[0].1,
            "n1: OfflineV2(vm1, dest n2, [RETURN_TO_SOURCE_NODE_ON_ERROR|DO_NOT_UPDATE_PERSISTENT_STATE]) = ERROR_IO_PENDING"
        );
        assert_eq!(f[0].diverged, ["impl", "model"]);
    }

    #[test]
    fn a_wrong_answer_fails_but_an_unknown_answer_does_not() {
        let s = scenario(STEPS);
        let v = initial_view();
        let views = [v.clone(), v];
        let mut c = DllCalls::default();
        let out = [vec![offline(0x40, Some(0))], vec![offline(0x40, None)]];
        // One side does not know the answer: lockstep ignores it (Obs::matches).
        assert!(run(&mut c, &s, 0, &out, &views).is_empty());
        let f = run(&mut c, &s, 1, &[vec![], vec![]], &views);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].diverged, ["impl"]);
    }

    #[test]
    fn a_call_only_one_side_makes_is_a_divergence() {
        let s = scenario(STEPS);
        let v = initial_view();
        let mut c = DllCalls::default();
        let f = run(
            &mut c,
            &s,
            0,
            &[vec![offline(0x40, Some(997))], vec![]],
            &[v.clone(), v],
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, FailureKind::Divergence);
        assert_eq!(
            f[0].what,
            "impl and model disagree on the DLL calls (lockstep)"
        );
        assert_eq!(f[0].produced[1].1, "    (nothing)");
    }
}
