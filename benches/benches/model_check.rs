#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! SPEC §8: model-check throughput of the medium model configuration (issue 11's row
//! (3,2,1,2,1), exhausted by the model's native checker), with 1 and with 2 checker threads. Criterion reports states/second (throughput = unique states
//! per check); the report's metric `model_check.speedup_2_threads` is
//! time(`threads_1`) / time(`threads_2`) (target ≥ 1.7×), and `model_check.one_thread` is
//! `threads_1` over the `calibration` workload of the same run.
//!
//! Each sample is one whole check; the profile's sample count applies (criterion's minimum
//! is 10), so this is the slowest bench: `scripts/bench.sh --only model_check`.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use offline_v2_benches::knobs::{calibration, slowdown_spins, spin, CALIBRATION_ROUNDS};
use offline_v2_model::explore::{explore, Options};
use offline_v2_model::ModelConfig;

/// Unique states of one exhaustive check of `config` on `threads` threads.
fn check(config: &ModelConfig, threads: usize) -> usize {
    let out = explore(
        config,
        Options {
            threads,
            ..Options::default()
        },
    );
    usize::try_from(out.unique).unwrap_or(usize::MAX)
}

fn model_check(c: &mut Criterion) {
    let slow = slowdown_spins();
    let config = ModelConfig::medium();
    let states = check(&config, 1);
    assert_eq!(
        check(&config, 2),
        states,
        "1 and 2 threads explore the same state space"
    );
    eprintln!("model_check: medium configuration, {states} unique states");

    let mut group = c.benchmark_group("model_check");
    group.bench_function("calibration", |b| {
        b.iter(|| calibration(black_box(CALIBRATION_ROUNDS)));
    });
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(1));
    group.throughput(Throughput::Elements(states as u64));
    for threads in [1, 2] {
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| {
                black_box(check(&config, threads));
                spin(slow);
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = model_check
}
criterion_main!(benches);
