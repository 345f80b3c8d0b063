//! The standard comparators of a replay, one per kind of check (see the table in
//! [`crate::replay`]). Each compares the two sides in lockstep (a
//! [`Divergence`](crate::replay::FailureKind::Divergence)) and, where SPEC §7 has one, the
//! scenario's expectation of that kind on each side (an
//! [`Expectation`](crate::replay::FailureKind::Expectation) failure).

mod completions;
mod dll_calls;
mod dll_states;
mod held_groups;
mod host_views;
mod output_order;
mod persistent_writes;
mod return_code;

pub use completions::Completions;
pub use dll_calls::DllCalls;
pub use dll_states::DllStates;
pub use held_groups::HeldGroups;
pub use host_views::HostViews;
pub use output_order::OutputOrder;
pub use persistent_writes::PersistentWrites;
pub use return_code::ReturnCode;

use super::{of_kind, same_of_kind, ObsKind, StepChecker, StepFailure, StepView};

/// Every standard comparator, in the order their failures are reported within a step.
#[must_use]
pub fn standard<'s>() -> Vec<Box<dyn StepChecker + 's>> {
    vec![
        Box::new(ReturnCode),
        Box::new(DllCalls::default()),
        Box::new(PersistentWrites),
        Box::new(Completions::default()),
        Box::new(HostViews),
        Box::new(DllStates),
        Box::new(HeldGroups),
        Box::new(OutputOrder),
    ]
}

/// Lockstep on the observations of one `kind`: with two sides, they must agree one by one.
fn lockstep(step: &StepView<'_>, what: &str, kind: ObsKind, failures: &mut Vec<StepFailure>) {
    let Some((a, b)) = step.pair() else {
        return;
    };
    if !same_of_kind(a.outputs, b.outputs, kind) {
        let (x, y) = (of_kind(a.outputs, kind), of_kind(b.outputs, kind));
        failures.push(step.divergence(what, vec![step.names.list(&x), step.names.list(&y)]));
    }
}

/// `(nothing)` for an empty list, else its lines.
fn lines_or_nothing(lines: &[String]) -> String {
    if lines.is_empty() {
        "(nothing)".to_owned()
    } else {
        lines.join("\n")
    }
}
