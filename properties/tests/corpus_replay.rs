//! `cargo test` replays the whole public corpus (`properties/scenarios/`) and every kept
//! regression (`properties/regressions/`) on the implementation — DLL calls through the loaded
//! cdylib — and on the model, in lockstep (SPEC §7).

use std::path::PathBuf;

use offline_v2::loader::LoadedDll;
use offline_v2_properties::corpus::{load_all, scenario_files};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::model_side::ModelSide;
use offline_v2_properties::replay::{replay, Side};

fn folder(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn replay_folder(name: &str) -> usize {
    let dir = folder(name);
    if !dir.exists() {
        return 0;
    }
    let files = scenario_files(&[dir]).expect("the folder lists");
    let scenarios = load_all(&files).unwrap_or_else(|errors| {
        panic!("malformed scenarios: {errors:#?}");
    });
    let dll =
        LoadedDll::open_built().expect("the reference cdylib is built (cargo build -p offline-v2)");
    let mut failures = Vec::new();
    for s in &scenarios {
        let dlls = dll.instances(s.nodes.len()).expect("instances");
        let mut imp = ImplSide::new(s, dlls).expect("set-up");
        let mut model = ModelSide::new(s).expect("the model holds every corpus set-up");
        let report = replay(s, &mut [&mut imp as &mut dyn Side, &mut model]);
        if !report.passed() {
            let text: String = report.failures.iter().map(ToString::to_string).collect();
            failures.push(format!("{}:\n{text}", s.file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
    scenarios.len()
}

#[test]
fn the_public_corpus_replays_on_impl_and_model() {
    let n = replay_folder("scenarios");
    assert!(n >= 1, "the corpus is empty");
}

#[test]
fn every_kept_regression_replays() {
    replay_folder("regressions");
}
