//! The per-step checker interface of [`Replay`](super::Replay), and what a checker sees.

use super::{DllView, FailureKind, HostView, Names, Obs, StepFailure};
use crate::scenario::Step;

/// One side at one step: what it produced and its host view before and after.
#[derive(Debug, Clone, Copy)]
pub struct SideStep<'a> {
    /// The side's name ("impl" or "model").
    pub name: &'static str,
    /// Its outputs for this step, in order (D5); empty for a check step.
    pub outputs: &'a [Obs],
    /// Its host view before the step.
    pub before: &'a HostView,
    /// Its host view after the step (equal to `before` for a check step).
    pub after: &'a HostView,
    /// Its DLL-side state after the step, when the side shows it and a checker asked for it
    /// ([`StepChecker::wants_dll_view`]).
    pub dll_after: Option<&'a DllView>,
    /// Per group, whether it is held after the step ([`Side::held_groups`]), when the side
    /// shows it.
    ///
    /// [`Side::held_groups`]: super::Side::held_groups
    pub held_after: Option<&'a [bool]>,
}

/// Everything a [`StepChecker`] sees of one step.
#[derive(Clone, Copy)]
pub struct StepView<'a> {
    /// The scenario's names (and, through `names.0`, the whole scenario).
    pub names: &'a Names<'a>,
    /// 0-based index of the step in `steps`.
    pub index: usize,
    /// The step: a call, an event or a check.
    pub step: &'a Step,
    /// Every side, in the order given to the replay (one or two).
    pub sides: &'a [SideStep<'a>],
}

/// A check that runs after every step of a replay, on every side.
///
/// The comparators in [`comparators`](super::comparators) implement it; so can SPEC §6
/// property monitors, added with [`Replay::with`](super::Replay::with).
pub trait StepChecker {
    /// Judges one step; pushes what failed onto `failures`. A
    /// [`FailureKind::Divergence`] stops the run after this step.
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>);

    /// Called once after the last step run (also when the run stopped early). Default: nothing.
    fn finish(&mut self, _names: &Names<'_>, _failures: &mut Vec<StepFailure>) {}

    /// Whether this checker reads [`SideStep::dll_after`] (the replay then asks each side for
    /// its DLL-side state after every step). Default: no.
    fn wants_dll_view(&self) -> bool {
        false
    }
}

/// A borrowed checker checks as the checker does (so a caller can read its state after the
/// run, e.g. [`crate::monitors::MonitorChecker`]'s trace error).
impl<T: StepChecker + ?Sized> StepChecker for &mut T {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        (**self).check_step(step, failures);
    }

    fn finish(&mut self, names: &Names<'_>, failures: &mut Vec<StepFailure>) {
        (**self).finish(names, failures);
    }

    fn wants_dll_view(&self) -> bool {
        (**self).wants_dll_view()
    }
}

impl StepView<'_> {
    /// The two sides, when there are two (lockstep comparisons need both).
    #[must_use]
    pub fn pair(&self) -> Option<(&SideStep<'_>, &SideStep<'_>)> {
        match self.sides {
            [a, b] => Some((a, b)),
            _ => None,
        }
    }

    /// A lockstep divergence at this step: `what` differs between the two sides, each of
    /// which produced `shown[i]`.
    #[must_use]
    pub fn divergence(&self, what: &str, shown: Vec<String>) -> StepFailure {
        let who: Vec<&'static str> = self.sides.iter().map(|s| s.name).collect();
        StepFailure {
            step: self.index,
            kind: FailureKind::Divergence,
            what: format!("{} disagree on {what} (lockstep)", who.join(" and ")),
            expected: format!("the same {what} from both sides"),
            produced: who.iter().copied().zip(shown).collect(),
            diverged: who,
        }
    }

    /// Judges one expectation on every side: `got[i]` is what side `i` shows, `ok` says
    /// whether it meets `expected`, `show` prints it. `None` if every side meets it.
    pub fn expectation<T>(
        &self,
        what: &str,
        expected: &str,
        got: &[T],
        ok: impl Fn(&T) -> bool,
        show: impl Fn(&T) -> String,
    ) -> Option<StepFailure> {
        let diverged: Vec<&'static str> = self
            .sides
            .iter()
            .zip(got)
            .filter(|(_, g)| !ok(g))
            .map(|(s, _)| s.name)
            .collect();
        (!diverged.is_empty()).then(|| StepFailure {
            step: self.index,
            kind: FailureKind::Expectation,
            what: what.to_owned(),
            expected: expected.to_owned(),
            produced: self
                .sides
                .iter()
                .zip(got)
                .map(|(s, g)| (s.name, show(g)))
                .collect(),
            diverged,
        })
    }
}

/// Test fixtures: a small scenario and a way to judge one step with fabricated outputs.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use offline_v2::types::{PersistentState, ResourceState};

    use super::{SideStep, StepChecker, StepView};
    use crate::replay::{DllView, HostView, Names, Obs, StepFailure};
    use crate::scenario::{Scenario, Step};

    /// Two nodes, one group `g1` on `n1` with `vm1` and `disk1`, both Online; `steps` as given.
    pub(crate) fn scenario(steps: &str) -> Scenario {
        let text = format!(
            r#"{{"nodes":["n1","n2"],"groups":[{{"name":"g1","owner":"n1","resources":[
                {{"name":"vm1","persistent":"online"}},{{"name":"disk1","persistent":"online"}}]}}],
                "steps":{steps}}}"#
        );
        Scenario::parse(&text, Path::new("t.json")).expect("the fixture parses")
    }

    /// The initial host view of [`scenario`].
    pub(crate) fn initial_view() -> HostView {
        HostView {
            owner: vec![0],
            queued: vec![false],
            state: vec![ResourceState::Online; 2],
            persistent: vec![PersistentState::Online; 2],
            locked: vec![false; 2],
        }
    }

    /// Runs `checker` on step `index` of `s`, where side `i` ("impl", then "model") produced
    /// `outputs[i]` and shows `views[i]` after the step.
    pub(crate) fn judge(
        checker: &mut dyn StepChecker,
        s: &Scenario,
        index: usize,
        outputs: &[Vec<Obs>],
        views: &[HostView],
    ) -> Vec<StepFailure> {
        let names = Names(s);
        let before = initial_view();
        let sides: Vec<SideStep<'_>> = outputs
            .iter()
            .zip(views)
            .zip(["impl", "model"])
            .map(|((o, v), name)| SideStep {
                name,
                outputs: o,
                before: &before,
                after: v,
                dll_after: None,
                held_after: None,
            })
            .collect();
        let step: &Step = &s.steps[index];
        let view = StepView {
            names: &names,
            index,
            step,
            sides: &sides,
        };
        let mut failures = Vec::new();
        checker.check_step(&view, &mut failures);
        failures
    }

    /// Runs `checker` on step `index` of `s` (a non-check step), where side `i` ("impl",
    /// then "model") produced nothing, shows the initial host view and `dll[i]` as its
    /// DLL-side state after the step.
    pub(crate) fn judge_dll(
        checker: &mut dyn StepChecker,
        s: &Scenario,
        index: usize,
        dll: &[Option<DllView>],
    ) -> Vec<StepFailure> {
        let names = Names(s);
        let view = initial_view();
        let sides: Vec<SideStep<'_>> = dll
            .iter()
            .zip(["impl", "model"])
            .map(|(d, name)| SideStep {
                name,
                outputs: &[],
                before: &view,
                after: &view,
                dll_after: d.as_ref(),
                held_after: None,
            })
            .collect();
        let step_view = StepView {
            names: &names,
            index,
            step: &s.steps[index],
            sides: &sides,
        };
        let mut failures = Vec::new();
        checker.check_step(&step_view, &mut failures);
        failures
    }
}
