//! The CI property run: the larger configuration, DFS + symmetry, when
//! `OFFLINE_V2_MODEL_LARGE=1` (otherwise the test returns at once).

use std::time::Instant;

use offline_v2_model::ModelConfig;
use stateright::{Checker, Model};

fn threads() -> usize {
    std::env::var("OFFLINE_V2_MODEL_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2)
}

#[test]
fn large_configuration_dfs_symmetry() {
    if std::env::var("OFFLINE_V2_MODEL_LARGE").as_deref() != Ok("1") {
        println!("skipped: set OFFLINE_V2_MODEL_LARGE=1 to check the larger configuration");
        return;
    }
    let cfg = ModelConfig::large();
    let n = threads();
    let t = Instant::now();
    let checker = cfg.checker().symmetry().threads(n).spawn_dfs().join();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "large DFS+symmetry ({n} threads): states={}, unique={}, depth={}, sec={secs:.2}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth()
    );
    checker.assert_properties();
}
