//! Conformance of the implementation (through the loaded cdylib) against the model (issue 5):
//! random lockstep runs (swarm testing) that shrink and are kept as scenario files, and
//! exhaustive model-guided paths, with a committed transition-coverage floor (issue 10).
//! Budgets are counts (OFFLINE_V2_CASES, OFFLINE_V2_DEPTH); OFFLINE_V2_SECONDS is only a
//! safety cap, and a run it stops FAILS here (README "Budgets").

use std::path::PathBuf;
use std::time::Instant;

use offline_v2::loader::LoadedDll;
use offline_v2_model::config::ModelConfig;
use offline_v2_properties::budget;
use offline_v2_properties::conformance::{
    check_coverage_floor, coverage_floor_applies, fixtures, reachable_coverage, regression,
    run_exhaustive, run_random, run_random_traced, scenario_of_setup, steps_strategy_of,
    write_scenario, Coverage, StepKind, COVERAGE_FLOOR,
};

fn dll() -> LoadedDll {
    LoadedDll::open_built().expect("the reference cdylib is built")
}

/// The random lockstep runs of the default budget on every fixture; every planned case must
/// run (the wall clock is only a safety cap).
fn random_runs(dll: &LoadedDll) -> Coverage {
    let mut coverage = Coverage::default();
    for setup in fixtures() {
        let deadline = budget::deadline();
        let outcome = run_random(&setup, dll, budget::cases(), 24, deadline, &|_| {});
        println!(
            "conformance {}: {} cases, {} lockstep steps",
            outcome.fixture, outcome.cases, outcome.steps
        );
        let hint = outcome.replay_hint();
        if let Some((steps, reason)) = outcome.failure {
            let name = format!("conformance-{}-{}-steps", setup.name, steps.len());
            let scenario = regression(&setup, &name, &steps);
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions");
            let path = write_scenario(&dir, &scenario).expect("write the regression");
            panic!(
                "impl and model diverged on {}: {hint} {reason}\nshrunk to {} steps, kept as {}",
                setup.name,
                steps.len(),
                path.display()
            );
        }
        assert!(
            outcome.complete,
            "the safety cap (OFFLINE_V2_SECONDS={}) stopped {} after {} of {} cases: the budget \
             is a count of cases, raise the cap",
            budget::seconds().as_secs(),
            setup.name,
            outcome.cases,
            budget::cases()
        );
        coverage.merge(&outcome.coverage);
    }
    coverage
}

/// Random lockstep runs (swarm) and every model path up to the depth agree, and together
/// exercise at least [`COVERAGE_FLOOR`] of the (action, flags, outcome) triples reachable in
/// the default model configuration.
#[test]
fn random_runs_and_every_model_path_agree_above_the_coverage_floor() {
    let dll = dll();
    let started = Instant::now();
    let mut exercised = random_runs(&dll);
    let cfg = ModelConfig::default();
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    let outcome = run_exhaustive(
        &cfg,
        &setup,
        &dll,
        budget::depth(),
        budget::deadline(),
        &|_| {},
    );
    if let Some((steps, reason)) = &outcome.failure {
        panic!("model path {steps:?} diverged:\n{reason}");
    }
    assert!(
        outcome.complete,
        "the safety cap (OFFLINE_V2_SECONDS={}) stopped the model paths after {} of depth {}: \
         raise the cap",
        budget::seconds().as_secs(),
        outcome.replayed,
        outcome.depth
    );
    exercised.merge(&outcome.coverage);
    let (reachable, states) = reachable_coverage(&cfg, &setup);
    let hit = check_coverage_floor(&exercised, &reachable, 0).unwrap_or(0);
    println!(
        "conformance: {} model paths of depth {} replayed in {:.1}s; transition coverage \
         (random + paths) {hit}/{} of the triples reachable in {states} model states \
         (floor {COVERAGE_FLOOR})",
        outcome.replayed,
        outcome.depth,
        started.elapsed().as_secs_f64(),
        reachable.triples.len()
    );
    if !coverage_floor_applies(budget::cases(), budget::depth()) {
        println!("coverage floor not judged: the budget is below the one it was measured at");
        return;
    }
    if let Err(e) = check_coverage_floor(&exercised, &reachable, COVERAGE_FLOOR) {
        panic!("{e}");
    }
}

/// The floor can fail: a generator restricted to two kinds (OnlineResource calls and ticks)
/// exercises fewer triples than the floor, and the failure names uncovered transitions
/// (e.g. every `move_group` one, which such a generator never makes).
#[test]
fn a_restricted_generator_falls_below_the_coverage_floor_and_is_named() {
    let dll = dll();
    let cfg = ModelConfig::default();
    let model_setup = scenario_of_setup(&cfg.setup, "model-default");
    let (reachable, _) = reachable_coverage(&cfg, &model_setup);
    let mut exercised = Coverage::default();
    for setup in fixtures() {
        let strategy = steps_strategy_of(&setup, &[StepKind::OnlineResource, StepKind::Tick], 24);
        let out = run_random_traced(
            &setup,
            &dll,
            &strategy,
            budget::cases(),
            budget::deadline(),
            &|_| {},
            None,
        );
        assert!(out.failure.is_none(), "{:?}", out.failure);
        exercised.merge(&out.coverage);
    }
    let e = check_coverage_floor(&exercised, &reachable, COVERAGE_FLOOR)
        .expect_err("a two-kind generator must fall below the floor");
    assert!(e.contains("below the committed floor"), "{e}");
    assert!(
        e.contains("move_group"),
        "names an uncovered transition: {e}"
    );
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
