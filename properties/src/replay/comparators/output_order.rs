//! The interleaving of a step's outputs (D5: `Returned` first, then writes, calls and
//! completions in the order they happen). Reported only when every kind agrees on its own —
//! the other comparators already name a difference within one kind.

use crate::replay::{same_of_kind, same_outputs, ObsKind, StepChecker, StepFailure, StepView};

/// Compares the whole output sequence of each step between the sides.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOrder;

const KINDS: [ObsKind; 4] = [
    ObsKind::Returned,
    ObsKind::Call,
    ObsKind::PersistentWrite,
    ObsKind::Completed,
];

impl StepChecker for OutputOrder {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        let Some((a, b)) = step.pair() else {
            return;
        };
        if same_outputs(a.outputs, b.outputs) {
            return;
        }
        let each_kind_agrees = KINDS.iter().all(|&k| same_of_kind(a.outputs, b.outputs, k));
        if each_kind_agrees {
            failures.push(step.divergence(
                "the order of the outputs (D5)",
                vec![step.names.list(a.outputs), step.names.list(b.outputs)],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use offline_v2::types::PersistentState;

    use super::*;
    use crate::replay::checker::testing::{initial_view, judge, scenario};
    use crate::replay::{CallObs, Obs, ObsEntry};

    fn outputs(write_first: bool) -> Vec<Obs> {
        let write = Obs::PersistentWrite {
            resource: 0,
            state: PersistentState::Offline,
        };
        let call = Obs::Call(CallObs {
            node: 0,
            entry: ObsEntry::OfflineV2,
            resource: 0,
            dest: None,
            flags: 0,
            result: Some(997),
        });
        let returned = Obs::Returned {
            code: 997,
            op: Some(0),
        };
        if write_first {
            vec![returned, write, call]
        } else {
            vec![returned, call, write]
        }
    }

    #[test]
    fn a_call_before_its_persistent_write_on_one_side_diverges() {
        let s = scenario(r#"[{"call":"offline_resource","resource":"vm1"}]"#);
        let v = initial_view();
        let views = [v.clone(), v];
        let same = judge(
            &mut OutputOrder,
            &s,
            0,
            &[outputs(true), outputs(true)],
            &views,
        );
        assert!(same.is_empty(), "{same:?}");
        let f = judge(
            &mut OutputOrder,
            &s,
            0,
            &[outputs(true), outputs(false)],
            &views,
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            f[0].what,
            "impl and model disagree on the order of the outputs (D5) (lockstep)"
        );
    }

    #[test]
    fn a_difference_within_one_kind_is_left_to_that_kinds_comparator() {
        let s = scenario(r#"[{"call":"offline_resource","resource":"vm1"}]"#);
        let v = initial_view();
        let mut other = outputs(true);
        other.pop();
        let f = judge(
            &mut OutputOrder,
            &s,
            0,
            &[outputs(true), other],
            &[v.clone(), v],
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
