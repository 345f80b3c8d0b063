//! Measures model checking on 1 and 2 threads (SPEC §8: a measurement, never a timed test).
//!
//! `cargo run --release -p offline-v2-model --example threads -- [default|medium|large|N,G,R,C,F] [bfs|dfs|sym]`

use std::time::Instant;

use offline_v2_model::ModelConfig;
use stateright::{Checker, Model};

fn config(which: &str) -> ModelConfig {
    match which {
        "large" => ModelConfig::large(),
        "medium" => ModelConfig::medium(),
        "default" => ModelConfig::default(),
        row => {
            let v: Vec<usize> = row.split(',').filter_map(|x| x.parse().ok()).collect();
            let [n, g, r, c, f] = v[..] else {
                panic!("expected default, medium, large or N,G,R,C,F");
            };
            let small = |x: usize| u8::try_from(x).unwrap_or(u8::MAX);
            ModelConfig::table(n, g, r, small(c), small(f))
        }
    }
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "default".into());
    let how = std::env::args().nth(2).unwrap_or_else(|| "sym".into());
    let threads: Vec<usize> = std::env::args().nth(3).map_or(vec![1, 2], |t| {
        t.split(',').filter_map(|x| x.parse().ok()).collect()
    });
    let mut cfg = config(&which);
    if std::env::var("NOWIT").is_ok() {
        cfg.witnesses = false;
    }
    if how.starts_with("native") {
        for threads in threads {
            let o = offline_v2_model::explore::explore(
                &cfg,
                offline_v2_model::explore::Options {
                    threads,
                    symmetry: how == "native-sym",
                    timeout: None,
                },
            );
            let failed: Vec<&str> = o
                .verdicts
                .iter()
                .filter(|v| !v.holds())
                .map(|v| v.name)
                .collect();
            println!(
                "{which} {how} threads={threads}: states={}, unique={}, depth={}, sec={:.2}, failed={failed:?}",
                o.states, o.unique, o.depth, o.seconds
            );
        }
        return;
    }
    for threads in threads {
        let t = Instant::now();
        let b = cfg.clone().checker().threads(threads);
        let c: Box<dyn Checker<ModelConfig>> = match how.as_str() {
            "bfs" => Box::new(b.spawn_bfs().join()),
            "dfs" => Box::new(b.spawn_dfs().join()),
            _ => Box::new(b.symmetry().spawn_dfs().join()),
        };
        let failed: Vec<&str> = cfg
            .properties()
            .iter()
            .filter(|p| {
                c.discovery(p.name).is_some()
                    != (p.expectation == stateright::Expectation::Sometimes)
            })
            .map(|p| p.name)
            .collect();
        println!(
            "{which} {how} threads={threads}: states={}, unique={}, depth={}, sec={:.2}, failed={failed:?}",
            c.state_count(),
            c.unique_state_count(),
            c.max_depth(),
            t.elapsed().as_secs_f64()
        );
    }
}
