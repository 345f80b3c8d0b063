//! Exhaustive model checking of the default configuration (BFS, shortest counterexamples),
//! and of the larger configuration when `OFFLINE_V2_MODEL_LARGE=1` (DFS + symmetry).

use std::time::Instant;

use offline_v2_model::ModelConfig;
use stateright::{Checker, Model};

/// Pinned `unique_state_count()` of the default configuration (regression anchor, as
/// stateright's own tests do). Change it only with a reason in the commit message.
const DEFAULT_UNIQUE: usize = 56_715;

#[test]
fn default_configuration_bfs() {
    let t = Instant::now();
    let checker = ModelConfig::default().checker().spawn_bfs().join();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "default BFS: states={}, unique={}, depth={}, sec={secs:.2}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth()
    );
    checker.assert_properties();
    assert_eq!(checker.unique_state_count(), DEFAULT_UNIQUE);
}

/// The bound K of the bounded-response property (M3) has a margin: the largest number of fair
/// steps any reachable state of the default configuration needs is printed and must stay well
/// below K.
#[test]
fn bounded_response_margin() {
    use offline_v2_model::properties::fair_steps_to_quiescence;
    use offline_v2_model::{initial_state, step, State};
    use std::collections::{HashSet, VecDeque};
    let cfg = ModelConfig::default();
    let init = initial_state(&cfg);
    let mut seen: HashSet<State> = HashSet::from([init.clone()]);
    let mut queue = VecDeque::from([init]);
    let mut worst = 0;
    let mut actions = Vec::new();
    while let Some(s) = queue.pop_front() {
        let k = fair_steps_to_quiescence(&cfg, &s).unwrap_or(usize::MAX);
        worst = worst.max(k);
        actions.clear();
        cfg.actions(&s, &mut actions);
        for a in &actions {
            let t = step(&cfg, &s, a).0;
            if seen.insert(t.clone()) {
                queue.push_back(t);
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
/// 16 move), BFS.
#[test]
fn every_flag_combination_bfs() {
    let mut cfg = ModelConfig::default();
    cfg.bounds = cfg.bounds.clone().every_flag_combination();
    let t = Instant::now();
    let checker = cfg.checker().spawn_bfs().join();
    println!(
        "every flag combination BFS: states={}, unique={}, depth={}, sec={:.2}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth(),
        t.elapsed().as_secs_f64()
    );
    checker.assert_properties();
}

/// The mixed set-up (a persistent-Offline resource with synchronous work), BFS.
#[test]
fn mixed_configuration_bfs() {
    let t = Instant::now();
    let checker = ModelConfig::mixed().checker().spawn_bfs().join();
    println!(
        "mixed BFS: states={}, unique={}, depth={}, sec={:.2}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth(),
        t.elapsed().as_secs_f64()
    );
    checker.assert_properties();
}
