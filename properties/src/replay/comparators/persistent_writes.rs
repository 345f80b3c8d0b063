//! Persistent-state writes (R11): both sides write the same values in the same order.
//! SPEC §7 has no expectation of writes (a `check` of `persistent` is the host view).

use super::lockstep;
use crate::replay::{ObsKind, StepChecker, StepFailure, StepView};

/// Compares the `PersistentWrite`s of every step between the sides.
#[derive(Debug, Clone, Copy, Default)]
pub struct PersistentWrites;

impl StepChecker for PersistentWrites {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        lockstep(
            step,
            "the persistent writes",
            ObsKind::PersistentWrite,
            failures,
        );
    }
}

#[cfg(test)]
mod tests {
    use offline_v2::types::PersistentState;

    use super::*;
    use crate::replay::checker::testing::{initial_view, judge, scenario};
    use crate::replay::Obs;

    fn write(state: PersistentState) -> Vec<Obs> {
        vec![
            Obs::Returned {
                code: 997,
                op: Some(0),
            },
            Obs::PersistentWrite { resource: 0, state },
        ]
    }

    #[test]
    fn the_same_writes_hold_and_a_different_value_diverges() {
        let s = scenario(r#"[{"call":"offline_resource","resource":"vm1"}]"#);
        let v = initial_view();
        let views = [v.clone(), v];
        let same = judge(
            &mut PersistentWrites,
            &s,
            0,
            &[
                write(PersistentState::Offline),
                write(PersistentState::Offline),
            ],
            &views,
        );
        assert!(same.is_empty(), "{same:?}");
        let f = judge(
            &mut PersistentWrites,
            &s,
            0,
            &[
                write(PersistentState::Offline),
                write(PersistentState::Online),
            ],
            &views,
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            f[0].what,
            "impl and model disagree on the persistent writes (lockstep)"
        );
        assert_eq!(f[0].produced[0].1, "    persistent vm1 := Offline");
        assert_eq!(f[0].produced[1].1, "    persistent vm1 := Online");
    }

    #[test]
    fn a_missing_write_diverges() {
        let s = scenario(r#"[{"call":"offline_resource","resource":"vm1"}]"#);
        let v = initial_view();
        let f = judge(
            &mut PersistentWrites,
            &s,
            0,
            &[
                write(PersistentState::Offline),
                write(PersistentState::Offline)[..1].to_vec(),
            ],
            &[v.clone(), v],
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].produced[1].1, "    (nothing)");
    }
}
