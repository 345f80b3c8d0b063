//! The DLL-rule monitor inside lockstep conformance judges the reference DLL's answers on its
//! own: with the seeded DLL bug `ReservedIgnored` switched on, a replay of the implementation
//! alone (no model to compare with) fails naming R1; without the bug the same replay passes,
//! and the monitor did judge every DLL call (it is not vacuous).

use std::path::Path;

use offline_v2::abi::types::control_op;
use offline_v2::loader::LoadedDll;
use offline_v2::seeded::SeededBug;
use offline_v2_properties::conform::monitor::StartedBy;
use offline_v2_properties::conform::monitored::{DllRulesChecker, MonitorLog, MonitoredDll};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::replay::{Replay, ReplayReport, Side};
use offline_v2_properties::scenario::Scenario;

const SCENARIO: &str = r#"{
  "name": "raw calls the DLL must reject",
  "nodes": ["n1", "n2"],
  "groups": [ { "name": "g1", "owner": "n1",
                "resources": [ { "name": "vm1", "persistent": "online" } ] } ],
  "steps": [
    { "call": "move_group", "group": "g1", "dest": "n2", "flags": [] },
    { "event": "complete_offline", "resource": "vm1" },
    { "event": "complete_online", "resource": "vm1" },
    { "call": "raw_offline_v2", "node": "n2", "resource": "vm1", "dest": null, "flags": 1,
      "inbuf": null, "inbuf_size": 0, "reserved": 7 }
  ]
}"#;

/// Replays the scenario on the implementation alone, every DLL call monitored.
fn impl_alone(bug: SeededBug) -> (ReplayReport, MonitorLog) {
    let scenario = Scenario::parse(SCENARIO, Path::new("inline.json")).expect("a scenario");
    let dll = LoadedDll::open_built().expect("the reference cdylib is built");
    let log = MonitorLog::new(StartedBy::StartupEx);
    let dlls: Vec<_> = dll
        .instances(2)
        .expect("instances")
        .into_iter()
        .enumerate()
        .map(|(node, d)| {
            let name: Vec<u16> = bug.name().encode_utf16().collect();
            d.send_control_raw(control_op::SEEDED_BUG, &name);
            MonitoredDll::new(d, node, log.clone())
        })
        .collect();
    let mut imp = ImplSide::new(&scenario, dlls).expect("set up");
    let report = Replay::new(&scenario)
        .with(DllRulesChecker::new(log.clone()))
        .run(&mut [&mut imp as &mut dyn Side]);
    (report, log)
}

#[test]
fn the_monitor_alone_catches_a_seeded_dll_bug_in_lockstep() {
    let (report, log) = impl_alone(SeededBug::ReservedIgnored);
    let failure = report
        .failures
        .iter()
        .find(|f| f.what.contains("DLL rule R1"))
        .unwrap_or_else(|| panic!("the monitor did not name R1: {:?}", report.failures));
    assert_eq!(failure.step, 3, "{failure}");
    assert_eq!(log.violations().len(), 1);
}

#[test]
fn without_the_bug_the_monitor_judges_every_call_and_passes() {
    let (report, log) = impl_alone(SeededBug::None);
    assert!(report.passed(), "{:?}", report.failures);
    assert!(log.violations().is_empty());
    // Opens on n1, the move's OfflineV2 and Close on n1, Open and OnlineV2 on n2, the raw
    // call, and the callbacks between: all judged.
    assert!(log.events() >= 7, "{} events judged", log.events());
}
