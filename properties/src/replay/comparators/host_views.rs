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
            for row in rows(step.names, check) {
                let got: Vec<String> = step
                    .sides
                    .iter()
                    .map(|s| (row.shown)(step.names, s.after, row.index))
                    .collect();
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

/// How a host view shows entry `index` of one map (`?` when it has no such entry).
type Shown = fn(&Names<'_>, &HostView, usize) -> String;

/// One checked entry: what, the expected text, and where and how a view shows it.
struct Row {
    what: String,
    expected: String,
    index: usize,
    shown: Shown,
}

impl Row {
    fn new(map: &str, name: &str, expected: String, index: usize, shown: Shown) -> Self {
        Self {
            what: format!("{map} {name}"),
            expected,
            index,
            shown,
        }
    }
}

fn text<T: ToString>(entry: Option<T>) -> String {
    entry.map_or_else(|| "?".to_owned(), |x| x.to_string())
}

/// One row per entry of one map of a `check`.
fn each<T>(
    map: &str,
    entries: &[(String, T)],
    index: impl Fn(&str) -> usize,
    expected: impl Fn(&T) -> String,
    shown: Shown,
) -> Vec<Row> {
    entries
        .iter()
        .map(|(name, x)| Row::new(map, name, expected(x), index(name), shown))
        .collect()
}

/// The rows of a `check`, in the order owner, state, persistent, locked, queued.
fn rows(names: &Names<'_>, c: &Check) -> Vec<Row> {
    let g = |x: &str| names.group_index(x);
    let r = |x: &str| names.resource_index(x);
    let owner: Shown = |n, v, i| n.node(*v.owner.get(i).unwrap_or(&u8::MAX)).to_owned();
    let state: Shown = |_, v, i| text(v.state.get(i).map(|x| x.name()));
    let persistent: Shown = |_, v, i| text(v.persistent.get(i).map(|x| x.name()));
    let locked: Shown = |_, v, i| text(v.locked.get(i));
    let queued: Shown = |_, v, i| text(v.queued.get(i));
    let mut rows = each("owner", &c.owner, g, String::clone, owner);
    rows.extend(each("state", &c.state, r, |x| x.name().into(), state));
    rows.extend(each(
        "persistent",
        &c.persistent,
        r,
        |x| x.name().into(),
        persistent,
    ));
    rows.extend(each("locked", &c.locked, r, bool::to_string, locked));
    rows.extend(each("queued", &c.queued, g, bool::to_string, queued));
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
