//! The host view (the refinement mapping): lockstep after every step, and `check` — partial
//! maps of owner, state, persistent, locked and queued (SPEC §7).

use crate::replay::{HostView, Names, StepChecker, StepFailure, StepView};
use crate::scenario::{Check, Step};

/// Compares the host views between the sides and with `check`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostViews;

impl StepChecker for HostViews {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        if let Some((a, b)) = step.pair() {
            if a.after != b.after {
                failures.push(step.divergence(
                    "the host view after the step",
                    vec![step.names.view(a.after), step.names.view(b.after)],
                ));
            }
        }
        if let Step::Check(check) = step.step {
            let views: Vec<&HostView> = step.sides.iter().map(|s| s.after).collect();
            for row in rows(step.names, check) {
                let got: Vec<String> = views.iter().map(|v| (row.shown)(v)).collect();
                failures.extend(step.expectation(
                    &row.what,
                    &row.expected,
                    &got,
                    |g| g.eq_ignore_ascii_case(&row.expected),
                    Clone::clone,
                ));
            }
        }
    }
}

/// One checked entry: what, the expected text, and how a view shows it.
struct Row<'a> {
    what: String,
    expected: String,
    shown: Box<dyn Fn(&HostView) -> String + 'a>,
}

/// The rows of a `check`, in the order owner, state, persistent, locked, queued.
fn rows<'a>(names: &'a Names<'a>, check: &'a Check) -> Vec<Row<'a>> {
    let mut rows: Vec<Row<'a>> = Vec::new();
    for (g, n) in &check.owner {
        let gi = names.group_index(g);
        rows.push(Row {
            what: format!("owner {g}"),
            expected: n.clone(),
            shown: Box::new(move |v| {
                names
                    .node(v.owner.get(gi).copied().unwrap_or(u8::MAX))
                    .to_owned()
            }),
        });
    }
    for (r, s) in &check.state {
        let ri = names.resource_index(r);
        rows.push(Row {
            what: format!("state {r}"),
            expected: s.name().to_owned(),
            shown: Box::new(move |v| v.state.get(ri).map_or("?", |x| x.name()).to_owned()),
        });
    }
    for (r, s) in &check.persistent {
        let ri = names.resource_index(r);
        rows.push(Row {
            what: format!("persistent {r}"),
            expected: s.name().to_owned(),
            shown: Box::new(move |v| v.persistent.get(ri).map_or("?", |x| x.name()).to_owned()),
        });
    }
    for (r, b) in &check.locked {
        let ri = names.resource_index(r);
        rows.push(Row {
            what: format!("locked {r}"),
            expected: b.to_string(),
            shown: Box::new(move |v| v.locked.get(ri).map_or("?".into(), ToString::to_string)),
        });
    }
    for (g, b) in &check.queued {
        let gi = names.group_index(g);
        rows.push(Row {
            what: format!("queued {g}"),
            expected: b.to_string(),
            shown: Box::new(move |v| v.queued.get(gi).map_or("?".into(), ToString::to_string)),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use offline_v2::types::ResourceState;

    use super::*;
    use crate::replay::checker::testing::{initial_view, judge, scenario};
    use crate::replay::FailureKind;

    const STEPS: &str = r#"[{"check":{"owner":{"g1":"n1"},"state":{"vm1":"online"},
        "persistent":{"disk1":"Online"},"locked":{"vm1":false},"queued":{"g1":false}}}]"#;

    #[test]
    fn a_matching_view_holds_names_case_insensitively() {
        let s = scenario(STEPS);
        let v = initial_view();
        let f = judge(&mut HostViews, &s, 0, &[vec![], vec![]], &[v.clone(), v]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn every_wrong_entry_is_one_failure_naming_the_entry() {
        let s = scenario(STEPS);
        let mut v = initial_view();
        v.owner[0] = 1;
        v.state[0] = ResourceState::Failed;
        v.locked[0] = true;
        let f = judge(&mut HostViews, &s, 0, &[vec![]], &[v]);
        let what: Vec<&str> = f.iter().map(|x| x.what.as_str()).collect();
        assert_eq!(what, ["owner g1", "state vm1", "locked vm1"], "{f:?}");
        assert_eq!(f[0].produced, [("impl", "n2".to_owned())]);
        assert_eq!(f[1].expected, "Online");
        assert!(f.iter().all(|x| x.kind == FailureKind::Expectation));
    }

    #[test]
    fn different_views_after_a_step_diverge() {
        let s = scenario(r#"[{"event":"lock","resource":"vm1"}]"#);
        let a = initial_view();
        let mut b = a.clone();
        b.locked[0] = true;
        let f = judge(&mut HostViews, &s, 0, &[vec![], vec![]], &[a, b]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, FailureKind::Divergence);
        assert_eq!(
            f[0].what,
            "impl and model disagree on the host view after the step (lockstep)"
        );
        assert!(f[0].produced[1]
            .1
            .contains("vm1: Online, persistent Online, locked"));
    }
}
