//! Conformance of the implementation (through the loaded cdylib) against the model (issue 5):
//! random lockstep runs that shrink and are kept as scenario files, and exhaustive
//! model-guided paths with transition coverage. Budgets: OFFLINE_V2_CASES, OFFLINE_V2_DEPTH,
//! OFFLINE_V2_SECONDS (README).

use std::path::PathBuf;
use std::time::Instant;

use offline_v2::loader::LoadedDll;
use offline_v2_model::config::ModelConfig;
use offline_v2_properties::budget;
use offline_v2_properties::conformance::{
    fixtures, reachable_coverage, regression, run_exhaustive, run_random, scenario_of_setup,
    write_scenario,
};

fn dll() -> LoadedDll {
    LoadedDll::open_built().expect("the reference cdylib is built")
}

#[test]
fn random_lockstep_runs_agree_and_failures_become_regressions() {
    let dll = dll();
    let deadline = Instant::now() + budget::seconds();
    for setup in fixtures() {
        let outcome = run_random(&setup, &dll, budget::cases(), 24, deadline, &|_| {});
        println!(
            "conformance {}: {} cases, {} lockstep steps",
            outcome.fixture, outcome.cases, outcome.steps
        );
        if let Some((steps, reason)) = outcome.failure {
            let name = format!("conformance-{}-{}-steps", setup.name, steps.len());
            let scenario = regression(&setup, &name, &steps);
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions");
            let path = write_scenario(&dir, &scenario).expect("write the regression");
            panic!(
                "impl and model diverged on {}: {reason}\nshrunk to {} steps, kept as {}",
                setup.name,
                steps.len(),
                path.display()
            );
        }
        assert!(outcome.cases > 0, "no case ran within the time budget");
    }
}

#[test]
fn every_model_path_up_to_the_depth_replays_on_the_implementation() {
    let dll = dll();
    let cfg = ModelConfig::default();
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    let started = Instant::now();
    let outcome = run_exhaustive(
        &cfg,
        &setup,
        &dll,
        budget::depth(),
        started + budget::seconds(),
        &|_| {},
    );
    if let Some((steps, reason)) = &outcome.failure {
        panic!("model path {steps:?} diverged:\n{reason}");
    }
    let (reachable, states) = reachable_coverage(&cfg, &setup);
    let exercised = outcome
        .coverage
        .triples
        .intersection(&reachable.triples)
        .count();
    let pct = 100.0 * exercised as f64 / reachable.triples.len().max(1) as f64;
    println!(
        "conformance: {} of {} model paths of depth {} replayed in {:.1}s; \
         transition coverage {exercised}/{} = {pct:.1}% of the triples reachable in {states} model states",
        outcome.replayed,
        outcome.paths,
        outcome.depth,
        started.elapsed().as_secs_f64(),
        reachable.triples.len()
    );
    assert!(
        outcome.replayed > 0,
        "no path replayed within the time budget"
    );
    assert!(exercised > 0);
}

#[test]
fn all_128_offline_v2_flag_combinations_agree_in_every_dll_state() {
    let dll = dll();
    let out = offline_v2_properties::conformance::flag_sweep(&dll);
    assert!(
        out.failures.is_empty(),
        "{} of {} sweep runs diverged; first: {:?}",
        out.failures.len(),
        out.runs,
        out.failures.first()
    );
    let combos: std::collections::BTreeSet<u32> =
        out.coverage.offline_flags.keys().map(|(f, _)| *f).collect();
    assert_eq!(combos.len(), 128, "every combination was called");
    println!(
        "flag sweep: {} lockstep runs, 128 combinations × 9 DLL states × dest/no dest",
        out.runs
    );
}
