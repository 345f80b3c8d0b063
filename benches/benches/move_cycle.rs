#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! SPEC §8: a full move with RETURN_TO_SOURCE_NODE_ON_ERROR and a failure on the destination
//! through `Cluster::step`, per cycle (three inputs; see `offline_v2_benches::move_cycle`).
//!
//! Same-run baseline: `calibration`, a fixed CPU workload (1000 LCG rounds), so the ratio
//! `return_to_source_cycle / calibration` is comparable across machines and loads.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use offline_v2::types::ErrorCode;
use offline_v2_benches::knobs::{calibration, slowdown_spins, spin, CALIBRATION_ROUNDS};
use offline_v2_benches::move_cycle::MoveCycle;

fn move_cycle(c: &mut Criterion) {
    let slow = slowdown_spins();
    let mut group = c.benchmark_group("move_cycle");
    group.bench_function("calibration", |b| {
        b.iter(|| calibration(black_box(CALIBRATION_ROUNDS)));
    });
    let mut cycle = MoveCycle::new();
    assert_eq!(cycle.run(), Some(ErrorCode::ERROR_GEN_FAILURE));
    assert!(cycle.at_start());
    group.bench_function("return_to_source_cycle", |b| {
        b.iter(|| {
            black_box(cycle.run());
            spin(slow);
        });
    });
    assert!(cycle.at_start(), "every cycle ends where it started");
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = move_cycle
}
criterion_main!(benches);
