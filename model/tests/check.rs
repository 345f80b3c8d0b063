//! Exhaustive model checking of the default configurations with both checkers, and the
//! pinned state counts (regression anchors, as stateright's own tests pin them). Each pin says
//! why the number is right; none is copied from one checker's output alone.

use std::time::Instant;

use offline_v2_model::explore::{explore, Options};
use offline_v2_model::properties::fair_steps_to_quiescence;
use offline_v2_model::{
    initial_state, step_into, Bounds, Discard, Faults, ModelConfig, Setup, State,
};
use stateright::{Checker, Model};
use std::sync::atomic::Ordering::Relaxed;

/// The default configuration's unique states. Why this number: stateright's BFS and the
/// native checker (1 and 2 threads) are independent explorers of the same `Model` and must
/// both reach it (`default_configuration_both_checkers_agree`); it changes only with the
/// model, and the commit that changes it says why.
const DEFAULT_UNIQUE: u64 = 2_278;

/// A configuration small enough to count by hand: 2 nodes, 1 group of 1 resource (persistent
/// Online, pending work), 1 call among {OfflineResourceEx without flags, OnlineResourceEx,
/// CancelGroupOperation}, no fault. Its reachable states are exactly:
///  1. the initial state;
///  2. after OnlineResourceEx (nothing to do, persistent Online rewritten) or
///     CancelGroupOperation (rejected): the initial situation with the call budget spent;
///  3. after OfflineResourceEx: persistent Offline, OfflineV2 pending (a user offline);
///  4. from 3, `complete_offline` or the R19 timeout (Terminate): Offline, idle — the same
///     state either way, since the model keeps no clock and no history;
///  5. from 3, `fail_offline`: Failed, idle.
fn hand_countable() -> ModelConfig {
    ModelConfig {
        setup: Setup::uniform(2, 1, 1),
        bounds: Bounds {
            calls: 1,
            faults: 0,
            offline_flags: vec![0],
            move_flags: vec![],
            null_dest: false,
            probe_rejections: false,
            raw_calls: false,
            faults_enabled: Faults::parse("fail").expect("fail is a fault kind"),
        },
        ..ModelConfig::default()
    }
}

#[test]
fn a_hand_countable_configuration_has_exactly_the_states_counted_by_hand() {
    let mut cfg = hand_countable();
    cfg.witnesses = false;
    let native = explore(&cfg, Options::default());
    assert!(native.passed(), "{:?}", native.verdicts);
    assert_eq!(native.unique, 5);
    let bfs = cfg.clone().checker().spawn_bfs().join();
    assert_eq!(bfs.unique_state_count(), 5);
}

#[test]
fn default_configuration_both_checkers_agree() {
    let mut cfg = ModelConfig::default();
    let t = Instant::now();
    let native = explore(&cfg, Options::default());
    println!(
        "default native DFS: states={}, unique={}, depth={}, sec={:.3}",
        native.states, native.unique, native.depth, native.seconds
    );
    assert!(native.passed(), "{:?}", native.verdicts);
    assert_eq!(native.unique, DEFAULT_UNIQUE);
    let two = explore(
        &cfg,
        Options {
            threads: 2,
            ..Options::default()
        },
    );
    assert_eq!((two.unique, two.states), (native.unique, native.states));
    // stateright explores the same Model; without witness marks in the states (the native
    // checker collects them from transitions) the state sets are the same.
    cfg.witnesses = false;
    let bfs = cfg.clone().checker().spawn_bfs().join();
    bfs.assert_properties();
    assert_eq!(bfs.unique_state_count() as u64, native.unique);
    println!("both checkers: {:.2}s", t.elapsed().as_secs_f64());
}

#[test]
fn the_progress_counts_unique_states_and_its_stop_flag_stops_the_run() {
    let cfg = ModelConfig::default();
    let progress = offline_v2_model::explore::Progress::default();
    let full = offline_v2_model::explore::explore_with(&cfg, Options::default(), &progress);
    assert!(full.complete);
    assert_eq!(progress.unique.load(Relaxed), full.unique);
    // Stopped from outside before it starts: it ends after its first poll, incomplete.
    let stopped = offline_v2_model::explore::Progress::default();
    stopped.stop.store(true, Relaxed);
    let out = offline_v2_model::explore::explore_with(&cfg, Options::default(), &stopped);
    assert!(!out.complete && !out.passed());
    assert!(
        out.unique < full.unique,
        "{} of {}",
        out.unique,
        full.unique
    );
}

#[test]
fn default_configuration_with_witness_marks_in_stateright() {
    // stateright judges `sometimes` on states, so there the transition's witness mark lives in
    // the state it produced: a few more states, every property still holds and is reached.
    let checker = ModelConfig::default().checker().spawn_bfs().join();
    println!(
        "default stateright BFS with witness marks: states={}, unique={}",
        checker.state_count(),
        checker.unique_state_count()
    );
    checker.assert_properties();
    assert!(checker.unique_state_count() as u64 > DEFAULT_UNIQUE);
}

/// The bound K of the bounded-response property (M3) has a margin: the largest number of fair
/// steps any reachable state of the default configuration needs is printed and must stay well
/// below K.
#[test]
fn bounded_response_margin() {
    let cfg = ModelConfig::default();
    let init = initial_state(&cfg);
    let mut seen = std::collections::HashSet::from([init]);
    let mut stack = vec![init];
    let mut worst = 0;
    let mut actions = Vec::new();
    while let Some(s) = stack.pop() {
        let k = fair_steps_to_quiescence(&cfg, &s).unwrap_or(usize::MAX);
        worst = worst.max(k);
        actions.clear();
        cfg.actions(&s, &mut actions);
        for a in &actions {
            let t: State = step_into(&cfg, &s, a, &mut Discard);
            if seen.insert(t) {
                stack.push(t);
            }
        }
    }
    println!(
        "bounded response: worst {worst} fair steps over {} states, K = {}",
        seen.len(),
        cfg.response_bound()
    );
    assert!(worst * 2 <= cfg.response_bound());
}

/// The default set-up and budgets with every allowed client flag combination (8 offline,
/// 16 move).
#[test]
fn every_flag_combination() {
    let mut cfg = ModelConfig::default();
    cfg.bounds = cfg.bounds.clone().every_flag_combination();
    let out = explore(&cfg, Options::default());
    println!(
        "every flag combination: states={}, unique={}, depth={}, sec={:.2}",
        out.states, out.unique, out.depth, out.seconds
    );
    assert!(out.passed(), "{:?}", out.verdicts);
}

/// The mixed set-up (a persistent-Offline resource with synchronous work).
#[test]
fn mixed_configuration() {
    let out = explore(&ModelConfig::mixed(), Options::default());
    println!(
        "mixed: states={}, unique={}, depth={}, sec={:.2}",
        out.states, out.unique, out.depth, out.seconds
    );
    assert!(out.passed(), "{:?}", out.verdicts);
}

/// Issue 11's smallest row, (3,1,1,3,2), with every fault kind including injected panics and
/// raw calls: every property holds.
#[test]
fn every_fault_kind_and_raw_calls() {
    let mut cfg = ModelConfig::table(3, 1, 1, 2, 2);
    cfg.bounds.faults_enabled = Faults::all();
    cfg.bounds.raw_calls = true;
    cfg.bounds.probe_rejections = true;
    let out = explore(&cfg, Options::default());
    println!(
        "all faults + raw calls: states={}, unique={}, sec={:.2}",
        out.states, out.unique, out.seconds
    );
    assert!(out.passed(), "{:?}", out.verdicts);
}
