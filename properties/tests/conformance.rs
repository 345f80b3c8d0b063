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
    fixtures, lockstep, model_paths, reachable_coverage, regression, scenario_of_setup,
    step_of_action, steps_strategy, write_scenario, Coverage,
};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

fn dll() -> LoadedDll {
    LoadedDll::open_built().expect("the reference cdylib is built")
}

#[test]
fn random_lockstep_runs_agree_and_failures_become_regressions() {
    let dll = dll();
    let deadline = Instant::now() + budget::seconds();
    for setup in fixtures() {
        let mut runner = TestRunner::new(Config {
            cases: budget::cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&steps_strategy(&setup, 24), |steps| {
            if Instant::now() > deadline {
                return Ok(());
            }
            let (report, _) =
                lockstep(&setup, &steps, &dll, &|_| {}).map_err(TestCaseError::fail)?;
            if report.passed() {
                Ok(())
            } else {
                Err(TestCaseError::fail(report.failures[0].to_string()))
            }
        });
        if let Err(TestError::Fail(reason, steps)) = result {
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
    }
}

#[test]
fn every_model_path_up_to_the_depth_replays_on_the_implementation() {
    let dll = dll();
    let cfg = ModelConfig::default();
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    let depth = budget::depth();
    let started = Instant::now();
    let deadline = started + budget::seconds();
    let paths = model_paths(&cfg, depth);
    let mut coverage = Coverage::default();
    let mut replayed = 0usize;
    for path in &paths {
        if Instant::now() > deadline {
            break;
        }
        let steps: Vec<_> = path.iter().map(|a| step_of_action(&setup, a)).collect();
        let (report, model_log) = lockstep(&setup, &steps, &dll, &|_| {}).expect("set-up");
        assert!(
            report.passed(),
            "model path {path:?} diverged:\n{}",
            report
                .failures
                .iter()
                .map(ToString::to_string)
                .collect::<String>()
        );
        for (step, observed) in steps.iter().zip(&model_log) {
            coverage.record(step, observed);
        }
        replayed += 1;
    }
    let (reachable, states) = reachable_coverage(&cfg, &setup);
    let exercised = coverage.triples.intersection(&reachable.triples).count();
    let pct = 100.0 * exercised as f64 / reachable.triples.len().max(1) as f64;
    println!(
        "conformance: {replayed} of {} model paths of depth {depth} replayed in {:.1}s; \
         transition coverage {exercised}/{} = {pct:.1}% of the triples reachable in {states} model states",
        paths.len(),
        started.elapsed().as_secs_f64(),
        reachable.triples.len()
    );
    assert!(replayed > 0, "no path replayed within the time budget");
    assert!(exercised > 0);
}
