//! Seeded random walks over the maximal configuration (4 nodes, 3 groups × 3 resources):
//! no `always` property may fail. `OFFLINE_V2_MODEL_SEED` replays a seed;
//! `OFFLINE_V2_MODEL_SIM_STATES` sets the number of states (default 20 000).

use std::time::Instant;

use offline_v2_model::properties::names;
use offline_v2_model::ModelConfig;
use stateright::{Checker, Model, UniformChooser};

#[test]
fn maximal_configuration_simulation() {
    let seed: u64 = std::env::var("OFFLINE_V2_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0ff1_1e2e);
    let states: usize = std::env::var("OFFLINE_V2_MODEL_SIM_STATES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let t = Instant::now();
    let checker = ModelConfig::maximal()
        .checker()
        .target_state_count(states)
        .spawn_simulation(seed, UniformChooser)
        .join();
    println!(
        "maximal simulation seed={seed}: states={}, unique={}, depth={}, sec={:.2}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth(),
        t.elapsed().as_secs_f64()
    );
    for name in [
        names::R10,
        names::R11,
        names::R12,
        names::R4,
        names::R13,
        names::R14,
        names::QUEUE,
        names::TARGET,
        names::RESPONSE,
    ] {
        if let Some(path) = checker.discovery(name) {
            panic!("seed {seed}: {name:?} fails: {path}");
        }
    }
}
