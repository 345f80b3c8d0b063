//! Non-vacuity: every deliberately broken variant is caught by the property it breaks.

use std::collections::BTreeSet;

use offline_v2_model::properties::{self, names};
use offline_v2_model::shortest::shortest_counterexample;
use offline_v2_model::{Bug, ModelConfig};
use stateright::{Checker, HasDiscoveries, Model};

/// BFS until `property` has a discovery; asserts it is a counterexample and returns its length.
fn caught(bug: Bug, property: &'static str) -> usize {
    let cfg = ModelConfig::default().with_bug(bug);
    let check = properties::all(&cfg)
        .into_iter()
        .find(|p| p.name == property)
        .map(|p| p.condition);
    if let Some(cond) = check.filter(|_| !property.starts_with("eventually")) {
        let trace = shortest_counterexample(&cfg, cond)
            .unwrap_or_else(|| panic!("{bug:?}: no shortest counterexample for {property:?}"));
        println!(
            "{bug:?}: shortest counterexample of {} actions: {trace:?}",
            trace.len()
        );
    }
    let cfg = ModelConfig::default().with_bug(bug);
    let checker = cfg
        .checker()
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::from([property])))
        .spawn_bfs()
        .join();
    let path = checker.discovery(property).unwrap_or_else(|| {
        panic!(
            "{bug:?}: no counterexample for {property:?} ({} states)",
            checker.unique_state_count()
        )
    });
    let actions = path.into_actions();
    let len = actions.len();
    println!("  {actions:?}");
    println!("{bug:?} breaks {property:?}: counterexample of {len} actions");
    len
}

#[test]
fn return_leg_without_dnu_breaks_r12() {
    assert!(caught(Bug::ReturnLegWithoutDnu, names::R12) > 0);
}

#[test]
fn first_leg_rts_without_dnu_breaks_r12() {
    assert!(caught(Bug::FirstLegRtsWithoutDnu, names::R12) > 0);
}

#[test]
fn move_updates_persistent_breaks_r11() {
    assert!(caught(Bug::MoveUpdatesPersistent, names::R11) > 0);
}

#[test]
fn cancel_completes_twice_breaks_r14() {
    assert!(caught(Bug::CancelCompletesTwice, names::R14) > 0);
}

#[test]
fn dll_ignores_lock_breaks_r4() {
    assert!(caught(Bug::DllIgnoresLock, names::R4) > 0);
}

#[test]
fn crash_loses_owner_breaks_r10() {
    assert!(caught(Bug::CrashLosesOwner, names::R10) > 0);
}

#[test]
fn rejected_online_writes_persistent_breaks_r13() {
    assert!(caught(Bug::RejectedOnlineWritesPersistent, names::R13) > 0);
}

#[test]
fn second_queued_move_breaks_one_queued() {
    assert!(caught(Bug::SecondQueuedMove, names::QUEUE) > 0);
}

#[test]
fn recovery_never_settles_breaks_bounded_response() {
    assert!(caught(Bug::RecoveryNeverSettles, names::RESPONSE) > 0);
}

#[test]
fn recovery_never_settles_is_also_caught_by_eventually() {
    // A stuck recovery reaches terminal states (nothing left to do): `eventually` sees it (M2).
    assert!(caught(Bug::RecoveryNeverSettles, names::EV_SETTLE) > 0);
}

#[test]
fn crash_forgets_completion_breaks_eventually_every_operation_completes() {
    // R20: the `eventually` property sees it at the terminal states the budgets create.
    assert!(caught(Bug::CrashForgetsCompletion, names::EV_COMPLETE) > 0);
    assert!(caught(Bug::CrashForgetsCompletion, names::RESPONSE) > 0);
}

#[test]
fn dest_skips_last_resource_breaks_at_target() {
    assert!(caught(Bug::DestSkipsLastResource, names::TARGET) > 0);
}

/// M2: a queued move that is never retried while time stands still is a lasso (`tick` loops
/// on the same state). stateright's `eventually` reports violations only at terminal states,
/// so the exhaustive run finds NO counterexample for it; the bounded-response property does.
#[test]
fn retry_never_fires_is_missed_by_eventually_but_caught_by_bounded_response() {
    let checker = ModelConfig::default()
        .with_bug(Bug::RetryNeverFires)
        .checker()
        .spawn_bfs()
        .join();
    assert!(checker.is_done());
    assert!(
        checker.discovery(names::EV_COMPLETE).is_none(),
        "eventually unexpectedly caught the lasso"
    );
    let path = checker
        .discovery(names::RESPONSE)
        .unwrap_or_else(|| panic!("bounded response missed RetryNeverFires"));
    println!(
        "RetryNeverFires breaks {:?}: counterexample of {} actions; {:?} silent",
        names::RESPONSE,
        path.into_actions().len(),
        names::EV_COMPLETE
    );
}

/// Every bug of `Bug::ALL` has a test above.
#[test]
fn every_bug_is_listed() {
    assert_eq!(Bug::ALL.len(), 12);
}
