#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! SPEC §8: conformance throughput — lockstep steps per second (criterion throughput =
//! lockstep steps per iteration; the report compares time per step):
//! - `lockstep`: the conformance runner of `properties/` (`run_exhaustive`): every path of the
//!   default model configuration up to depth [`DEPTH`], each replayed on the implementation
//!   (through the loaded cdylib, fresh instances per path) and on the model in lockstep,
//!   compared after every step — deterministic, unlike the random (proptest) runs, whose
//!   generation and shrinking would dominate;
//! - `corpus_replay`: the scenario corpus (`properties/scenarios/`, `properties/regressions/`)
//!   replayed on `Cluster` over the in-process `ReferenceDll` and on the model in lockstep.
//!
//! Same-run baseline: `calibration` (a fixed CPU workload).

mod common;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use offline_v2::loader::LoadedDll;
use offline_v2::reference::ReferenceDll;
use offline_v2_benches::knobs::{calibration, slowdown_spins, spin, CALIBRATION_ROUNDS};
use offline_v2_model::ModelConfig;
use offline_v2_properties::conformance::{run_exhaustive, scenario_of_setup};
use offline_v2_properties::corpus::{load_all, scenario_files};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::model_side::ModelSide;
use offline_v2_properties::replay::{replay, Side};
use offline_v2_properties::scenario::Scenario;

/// Depth of the model paths replayed by the `lockstep` bench.
const DEPTH: usize = 2;

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
        let mut model = ModelSide::new(s).expect("the model holds every corpus set-up");
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

/// Replays every model path up to [`DEPTH`] in lockstep; returns the steps applied. Panics on
/// a divergence.
fn lockstep_paths(cfg: &ModelConfig, setup: &Scenario, dll: &LoadedDll) -> u64 {
    let far = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    let out = run_exhaustive(cfg, setup, dll, DEPTH, far, &|_| {});
    assert!(
        out.failure.is_none(),
        "lockstep divergence: {:?}",
        out.failure
    );
    assert_eq!(out.replayed, out.paths, "every path replayed");
    out.steps
}

fn conformance(c: &mut Criterion) {
    let slow = slowdown_spins();
    let dll =
        LoadedDll::open_built().expect("the reference cdylib is built (cargo build -p offline-v2)");
    let cfg = ModelConfig::default();
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    let path_steps = lockstep_paths(&cfg, &setup, &dll);
    let scenarios = corpus();
    let corpus_steps = replay_all(&scenarios);
    eprintln!(
        "conformance: {path_steps} lockstep steps over the model paths of depth {DEPTH} (cdylib {}); \
         corpus: {} scenarios, {corpus_steps} steps",
        dll.path().display(),
        scenarios.len()
    );
    let mut group = c.benchmark_group("conformance");
    group.bench_function("calibration", |b| {
        b.iter(|| calibration(black_box(CALIBRATION_ROUNDS)));
    });
    group.throughput(Throughput::Elements(path_steps));
    group.bench_function("lockstep", |b| {
        b.iter(|| {
            black_box(lockstep_paths(&cfg, &setup, &dll));
            spin(slow);
        });
    });
    group.throughput(Throughput::Elements(corpus_steps as u64));
    group.bench_function("corpus_replay", |b| {
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
