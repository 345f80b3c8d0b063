//! The SPEC §6 property monitors (`properties/src/monitors/`, issue 10).
//!
//! * The whole public corpus and every kept regression hold under every monitor on the
//!   implementation alone (no model).
//! * Each monitor has a hand-made trace that breaks exactly its rule, and names it.
//! * Seeded bugs of the implementation, judged by the monitors alone (no model, no lockstep).
//! * Trace files: `StepRecord`s round-trip through JSON lines.

use std::path::{Path, PathBuf};

use offline_v2::reference::ReferenceDll;
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::monitors::{MonitorChecker, Monitors, StepRecord, Topology, Violation};
use offline_v2_properties::replay::{FailureKind, Replay, ReplayReport, Side};
use offline_v2_properties::scenario::Scenario;

fn files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .expect("the folder exists")
            .map(|e| e.expect("readable directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
    files.sort();
    files
}

/// Replays `s` on the implementation alone (in-process reference DLL) with the monitors.
fn monitored(s: &Scenario) -> ReplayReport {
    let dlls = (0..s.nodes.len()).map(|_| ReferenceDll::new()).collect();
    let mut side = ImplSide::new(s, dlls).expect("the implementation accepts the set-up");
    Replay::new(s)
        .with(MonitorChecker::new(s, "impl"))
        .run(&mut [&mut side as &mut dyn Side])
}

#[test]
fn the_corpus_and_the_regressions_hold_under_every_monitor() {
    let mut failures = Vec::new();
    let mut count = 0;
    for f in files("scenarios").into_iter().chain(files("regressions")) {
        let s = Scenario::load(&f).expect("parses");
        count += 1;
        let report = monitored(&s);
        let monitor_failures: Vec<String> = report
            .failures
            .iter()
            .filter(|x| x.what.contains("SPEC monitor"))
            .map(ToString::to_string)
            .collect();
        if !monitor_failures.is_empty() {
            failures.push(format!("{}:\n{}", f.display(), monitor_failures.join("\n")));
        }
    }
    assert!(count >= 80, "the corpus is there ({count} files)");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
