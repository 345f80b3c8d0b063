//! Whether each group is *held*: lockstep after every step (F9).
//!
//! SPEC §3 gives a group "at most one operation in flight", and the SPEC makes its being busy
//! observable: R13 check 4 answers ERROR_INVALID_STATE to a client call on a group that "is
//! held (an operation in flight, a rollback, return, failover or restart still settling)",
//! R14 holds a group until it has settled "and so is a group whose owner is Down", R20 holds a
//! recovering group without a completion, and §6 requires that no group stays held while a
//! node is Up. Two sides that differ on it answer a later client call differently; comparing
//! it after every step reports the difference where it arises, not at that later call. SPEC §7
//! has no expectation of it (`check` has `queued`, not `held`).

use crate::replay::{StepChecker, StepFailure, StepView};

/// Compares, per group, whether the sides hold it after every step.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeldGroups;

impl StepChecker for HeldGroups {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        let Some((a, b)) = step.pair() else {
            return;
        };
        let (Some(x), Some(y)) = (a.held_after, b.held_after) else {
            return;
        };
        if x == y {
            return;
        }
        let groups = &step.names.0.groups;
        let show = |held: &[bool]| {
            (0..x.len().max(y.len()))
                .filter(|&g| x.get(g) != y.get(g))
                .map(|g| {
                    let name = groups.get(g).map_or("?", |gr| gr.name.as_str());
                    let state = match held.get(g) {
                        Some(true) => "held",
                        Some(false) => "not held",
                        None => "?",
                    };
                    format!("{name}: {state}")
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        failures.push(step.divergence(
            "which groups are held after the step",
            vec![show(x), show(y)],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::checker::testing::{initial_view, scenario};
    use crate::replay::{FailureKind, Names, SideStep};

    fn judge(held: [Option<&[bool]>; 2]) -> Vec<StepFailure> {
        let s = scenario(r#"[{"event":"crash_node","node":"n1"}]"#);
        let names = Names(&s);
        let view = initial_view();
        let sides: Vec<SideStep<'_>> = held
            .iter()
            .zip(["impl", "model"])
            .map(|(h, name)| SideStep {
                name,
                outputs: &[],
                before: &view,
                after: &view,
                dll_after: None,
                held_after: *h,
            })
            .collect();
        let step = StepView {
            names: &names,
            index: 0,
            step: &s.steps[0],
            sides: &sides,
        };
        let mut failures = Vec::new();
        HeldGroups.check_step(&step, &mut failures);
        failures
    }

    #[test]
    fn the_same_answer_holds_a_different_one_diverges_naming_the_group() {
        assert!(judge([Some(&[true]), Some(&[true])]).is_empty());
        assert!(
            judge([Some(&[true]), None]).is_empty(),
            "a side that cannot tell"
        );
        let f = judge([Some(&[true]), Some(&[false])]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, FailureKind::Divergence);
        assert_eq!(
            f[0].what,
            "impl and model disagree on which groups are held after the step (lockstep)"
        );
        assert_eq!(f[0].produced[0].1, "g1: held");
        assert_eq!(f[0].produced[1].1, "g1: not held");
    }
}
