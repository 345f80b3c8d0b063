#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! SPEC §8: conformance throughput — lockstep steps per second of the scenario-corpus replay
//! (`properties/scenarios/`, and `properties/regressions/` if present): every scenario is
//! replayed on the implementation (`Cluster` over the in-process `ReferenceDll`) and on the
//! model in lockstep, set-up included, exactly as `offline-v2 replay` compares them.
//! Criterion reports steps/second (throughput = lockstep steps per corpus pass).
//!
//! Not (yet) measured: proptest/quickcheck-generated lockstep conformance runs — `properties/`
//! has no such runner at the time of writing; this bench replays the committed corpus only.
//!
//! Same-run baseline: `calibration` (a fixed CPU workload), for `conformance.lockstep`.

mod common;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use offline_v2::reference::ReferenceDll;
use offline_v2_benches::knobs::{calibration, slowdown_spins, spin, CALIBRATION_ROUNDS};
use offline_v2_properties::corpus::{load_all, scenario_files};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::model_side::ModelSide;
use offline_v2_properties::replay::{replay, Side};
use offline_v2_properties::scenario::Scenario;

fn corpus() -> Vec<Scenario> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../properties");
    let dirs: Vec<PathBuf> = ["scenarios", "regressions"]
        .iter()
        .map(|d| root.join(d))
        .filter(|d| d.is_dir())
        .collect();
    let files = scenario_files(&dirs).expect("the corpus folders list");
    load_all(&files).unwrap_or_else(|e| panic!("malformed scenarios: {e:#?}"))
}

/// Replays every scenario in lockstep; returns the steps applied. Panics on a divergence:
/// a failing corpus is a bug to fix, not a speed to measure.
fn replay_all(scenarios: &[Scenario]) -> usize {
    let mut steps = 0;
    for s in scenarios {
        let dlls = (0..s.nodes.len()).map(|_| ReferenceDll::new()).collect();
        let mut imp = ImplSide::new(s, dlls).expect("scenario set-up");
        let mut model = ModelSide::new(s);
        let report = replay(s, &mut [&mut imp as &mut dyn Side, &mut model]);
        assert!(
            report.passed(),
            "{}: {:?}",
            s.file.display(),
            report.failures
        );
        steps += report.steps;
    }
    steps
}

fn conformance(c: &mut Criterion) {
    let slow = slowdown_spins();
    let scenarios = corpus();
    let steps = replay_all(&scenarios);
    eprintln!(
        "conformance: {} scenarios, {steps} lockstep steps per pass",
        scenarios.len()
    );
    let mut group = c.benchmark_group("conformance");
    group.bench_function("calibration", |b| {
        b.iter(|| calibration(black_box(CALIBRATION_ROUNDS)));
    });
    group.throughput(Throughput::Elements(steps as u64));
    group.bench_function("lockstep", |b| {
        b.iter(|| {
            black_box(replay_all(black_box(&scenarios)));
            spin(slow);
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = conformance
}
criterion_main!(benches);
