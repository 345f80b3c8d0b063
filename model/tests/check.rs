//! Exhaustive model checking of the default configuration (BFS, shortest counterexamples),
//! and of the larger configuration when `OFFLINE_V2_MODEL_LARGE=1` (DFS + symmetry).

use std::time::Instant;

use offline_v2_model::ModelConfig;
use stateright::{Checker, Model};

/// Pinned `unique_state_count()` of the default configuration (regression anchor, as
/// stateright's own tests do). Change it only with a reason in the commit message.
const DEFAULT_UNIQUE: usize = 0;

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
    if DEFAULT_UNIQUE != 0 {
        assert_eq!(checker.unique_state_count(), DEFAULT_UNIQUE);
    }
}
