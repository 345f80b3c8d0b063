//! The DLL-side state (SPEC §3 "DLL-side view, per node: the set of opened RESIDs and what
//! each believes about its resource"): lockstep after every step.
//!
//! The SPEC fixes it through the DLL rules: R2 (only the group's owner holds a RESID), R3–R8
//! (what OfflineV2/OnlineV2 leave it in), R19 as amended (Terminate leaves the DLL's copy
//! Offline whatever its state, also after an online timeout the host records as Failed) and
//! R20 (a node that goes Down loses its instance: it holds nothing, and one that starts again
//! comes up empty). Both sides must agree on every (node, resource) entry of the
//! [`DllView`]: the state value where the host holds a RESID, and *where* it holds one — a
//! RESID held on one side and not on the other is a divergence, since R2 makes it observable
//! (a raw call through it answers ERROR_RESOURCE_NOT_FOUND or not). A side that cannot show
//! its DLL-side state at all (a DLL without the state export, [`Side::dll_view`] `None`) is
//! not compared (F8). SPEC §7 has no expectation of it (`check` shows the host's view).
//!
//! [`Side::dll_view`]: crate::replay::Side::dll_view

use offline_v2::types::ResourceState;

use crate::replay::{DllView, Names, StepChecker, StepFailure, StepView};

/// Compares the sides' DLL-side states after every step.
#[derive(Debug, Clone, Copy, Default)]
pub struct DllStates;

impl StepChecker for DllStates {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        let Some((a, b)) = step.pair() else {
            return;
        };
        let (Some(x), Some(y)) = (a.dll_after, b.dll_after) else {
            return;
        };
        let diffs = differences(step.names, x, y);
        if !diffs.is_empty() {
            let show = |pick: fn(&Diff) -> &str| {
                diffs
                    .iter()
                    .map(|d| format!("{} on {}: {}", d.resource, d.node, pick(d)))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            failures.push(step.divergence(
                "the DLL-side state after the step",
                vec![show(|d| &d.left), show(|d| &d.right)],
            ));
        }
    }

    fn wants_dll_view(&self) -> bool {
        true
    }
}

/// One (node, resource) entry where the sides differ, named and shown.
struct Diff {
    node: String,
    resource: String,
    left: String,
    right: String,
}

/// Every entry where `x` and `y` differ, node-major, in declaration order (an entry one view
/// lacks shows as `?`).
fn differences(names: &Names<'_>, x: &DllView, y: &DllView) -> Vec<Diff> {
    let nodes = x.len().max(y.len());
    let mut out = Vec::new();
    for n in 0..nodes {
        let (row_x, row_y) = (x.get(n), y.get(n));
        let len = row_x.map_or(0, Vec::len).max(row_y.map_or(0, Vec::len));
        for r in 0..len {
            let ex = row_x.and_then(|row| row.get(r)).copied();
            let ey = row_y.and_then(|row| row.get(r)).copied();
            if ex != ey {
                let index = |i: usize| u8::try_from(i).unwrap_or(u8::MAX);
                out.push(Diff {
                    node: names.node(index(n)).to_owned(),
                    resource: names.resource(index(r)).to_owned(),
                    left: entry(ex),
                    right: entry(ey),
                });
            }
        }
    }
    out
}

/// One entry as text: the state's SPEC name, `unknown RESID` (the host holds a RESID the DLL
/// does not know), `no RESID` (the host holds none there), `?` (no such entry).
fn entry(e: Option<Option<i32>>) -> String {
    match e {
        None => "?".to_owned(),
        Some(None) => "no RESID".to_owned(),
        Some(Some(-1)) => "unknown RESID".to_owned(),
        Some(Some(v)) => ResourceState::from_cluster_value(v)
            .map_or_else(|| format!("state value {v}"), |s| s.name().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::checker::testing::{judge_dll, scenario};
    use crate::replay::FailureKind;

    const ONLINE: i32 = 2;
    const OFFLINE: i32 = 3;
    const FAILED: i32 = 4;

    /// n1 holds vm1 and disk1 (owner), n2 holds nothing.
    fn owned(vm1: i32, disk1: i32) -> DllView {
        vec![vec![Some(vm1), Some(disk1)], vec![None, None]]
    }

    #[test]
    fn equal_views_hold() {
        let s = scenario(r#"[{"event":"tick","ms":1}]"#);
        let v = owned(ONLINE, ONLINE);
        let f = judge_dll(&mut DllStates, &s, 0, &[Some(v.clone()), Some(v)]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_different_state_diverges_naming_resource_node_and_both_values() {
        // SPEC R19 amended: after an online timeout the DLL's copy is Offline; a side that
        // left it Failed (the model before the amendment) must be caught.
        let s = scenario(r#"[{"event":"tick","ms":1}]"#);
        let f = judge_dll(
            &mut DllStates,
            &s,
            0,
            &[Some(owned(OFFLINE, ONLINE)), Some(owned(FAILED, ONLINE))],
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, FailureKind::Divergence);
        assert_eq!(
            f[0].what,
            "impl and model disagree on the DLL-side state after the step (lockstep)"
        );
        assert_eq!(f[0].produced[0].1, "vm1 on n1: Offline");
        assert_eq!(f[0].produced[1].1, "vm1 on n1: Failed");
    }

    #[test]
    fn a_resid_held_on_one_side_only_diverges() {
        // R2/R20: a Down node holds nothing; one side still showing a RESID there differs.
        let s = scenario(r#"[{"event":"crash_node","node":"n1"}]"#);
        let a = vec![vec![None, None], vec![Some(OFFLINE), None]];
        let mut b = a.clone();
        b[0][0] = Some(-1);
        let f = judge_dll(&mut DllStates, &s, 0, &[Some(a), Some(b)]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].produced[0].1, "vm1 on n1: no RESID");
        assert_eq!(f[0].produced[1].1, "vm1 on n1: unknown RESID");
    }

    #[test]
    fn a_side_that_cannot_tell_is_not_compared() {
        let s = scenario(r#"[{"event":"tick","ms":1}]"#);
        let f = judge_dll(&mut DllStates, &s, 0, &[Some(owned(ONLINE, ONLINE)), None]);
        assert!(f.is_empty(), "{f:?}");
        assert!(DllStates.wants_dll_view());
    }
}
