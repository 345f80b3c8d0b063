//! Measures model checking on 1 and 2 threads (SPEC §8: a measurement, never a timed test).
//!
//! `cargo run --release -p offline-v2-model --example threads -- [default|medium|large]`

use std::time::Instant;

use offline_v2_model::ModelConfig;
use stateright::{Checker, Model};

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "default".into());
    let cfg = match which.as_str() {
        "large" => ModelConfig::large(),
        "medium" => ModelConfig::medium(),
        _ => ModelConfig::default(),
    };
    for threads in [1, 2] {
        let t = Instant::now();
        let c = cfg.clone().checker().threads(threads).spawn_bfs().join();
        println!(
            "{which} BFS           threads={threads}: states={}, unique={}, depth={}, sec={:.2}",
            c.state_count(),
            c.unique_state_count(),
            c.max_depth(),
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let c = cfg
            .clone()
            .checker()
            .symmetry()
            .threads(threads)
            .spawn_dfs()
            .join();
        println!(
            "{which} DFS+symmetry  threads={threads}: states={}, unique={}, depth={}, sec={:.2}",
            c.state_count(),
            c.unique_state_count(),
            c.max_depth(),
            t.elapsed().as_secs_f64()
        );
    }
}
