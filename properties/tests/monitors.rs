//! The SPEC §6 property monitors (`properties/src/monitors/`, issue 10).
//!
//! * The whole public corpus and every kept regression hold under every monitor on the
//!   implementation alone (no model).
//! * Each monitor has a hand-made trace that breaks exactly its rule, and names it.
//! * Seeded bugs of the implementation, judged by the monitors alone (no model, no lockstep).
//! * Trace files: `StepRecord`s round-trip through JSON lines.

use std::path::{Path, PathBuf};

use offline_v2::reference::ReferenceDll;
use offline_v2::types::{PersistentState, ResourceState};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::monitors::{MonitorChecker, Monitors, StepRecord, Topology, Violation};
use offline_v2_properties::replay::{CallObs, Obs, ObsEntry, Replay, ReplayReport, Side};
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

// ---------------------------------------------------------------------------------------
// Hand-made traces: a correct trace of a small scenario, then one record edited so that it
// breaks exactly one rule. The unedited trace passes every monitor (the control).

/// Two nodes; `g1` on `n1` with `vm1` (pending work) and `disk1` (synchronous), both Online.
fn scenario(steps: &str) -> Scenario {
    let text = format!(
        r#"{{"name":"t","nodes":["n1","n2"],"groups":[{{"name":"g1","owner":"n1","resources":[
            {{"name":"vm1","persistent":"online"}},
            {{"name":"disk1","persistent":"online","offline":"sync","online":"sync"}}]}}],
            "steps":{steps}}}"#
    );
    Scenario::parse(&text, Path::new("t.json")).expect("the test scenario parses")
}

/// The implementation's trace of `s` (header + records), through the same writer as
/// `replay --trace`.
fn trace_of(s: &Scenario) -> (Topology, Vec<StepRecord>) {
    let mut buf: Vec<u8> = Vec::new();
    {
        let dlls = (0..s.nodes.len()).map(|_| ReferenceDll::new()).collect();
        let mut side = ImplSide::new(s, dlls).expect("set-up");
        let mut checker = MonitorChecker::new(s, "impl").with_trace(s, &mut buf);
        let report = Replay::new(s)
            .with(&mut checker)
            .run(&mut [&mut side as &mut dyn Side]);
        assert!(
            report.passed(),
            "the unedited run holds: {:?}",
            report.failures
        );
        assert!(checker.trace_error.is_none());
    }
    let text = String::from_utf8(buf).expect("a trace is UTF-8");
    let mut lines = text.lines();
    let header: offline_v2_properties::monitors::TraceHeader =
        serde_json::from_str(lines.next().expect("a header")).expect("the header reads back");
    let records = lines
        .map(|l| serde_json::from_str(l).expect("every record reads back"))
        .collect();
    (
        Topology::new(&header.nodes, &header.groups).expect("topology"),
        records,
    )
}

/// Every violation of `records`, in order.
fn judge(topo: &Topology, records: &[StepRecord]) -> Vec<Violation> {
    let mut m = Monitors::all(topo.clone());
    records.iter().flat_map(|r| m.observe(r)).collect()
}

/// The record of step `index`.
fn at(records: &mut [StepRecord], index: usize) -> &mut StepRecord {
    records
        .iter_mut()
        .find(|r| r.index == index)
        .expect("a record of that step")
}

/// The edited trace breaks exactly `rule`, at step `step`, and nothing else.
fn breaks_exactly(topo: &Topology, records: &[StepRecord], rule: &str, step: usize) {
    let v = judge(topo, records);
    assert!(!v.is_empty(), "the edit is caught as {rule}");
    for x in &v {
        assert_eq!(x.rule, rule, "only {rule} is broken; got {x}");
        assert_eq!(x.step, step, "{x}");
    }
    let text = v[0].to_string();
    assert!(
        text.starts_with(&format!("{rule} violated at step {step}")),
        "{text}"
    );
    assert!(
        text.contains("expected:") && text.contains("observed:"),
        "{text}"
    );
}

fn offline_call(rec: &mut StepRecord, resource: u8) -> &mut CallObs {
    rec.outputs
        .iter_mut()
        .find_map(|o| match o {
            Obs::Call(c) if c.entry == ObsEntry::OfflineV2 && c.resource == resource => Some(c),
            _ => None,
        })
        .expect("an OfflineV2 of that resource")
}

const RETURN_TO_SOURCE: &str = r#"[
    {"call":"move_group","group":"g1","dest":"n2","flags":["RETURN_TO_SOURCE_NODE_ON_ERROR"]},
    {"event":"complete_offline","resource":"vm1"},
    {"event":"fail_online","resource":"vm1"},
    {"event":"complete_online","resource":"vm1"}]"#;

#[test]
fn the_unedited_traces_pass_every_monitor() {
    for steps in [RETURN_TO_SOURCE, QUEUED] {
        let (topo, records) = trace_of(&scenario(steps));
        assert!(!records.is_empty());
        assert_eq!(judge(&topo, &records), Vec::<Violation>::new());
    }
}

#[test]
fn r12_one_flag_bit_changed_on_the_first_leg() {
    let (topo, mut records) = trace_of(&scenario(RETURN_TO_SOURCE));
    let c = offline_call(at(&mut records, 0), 0);
    assert_eq!(
        c.flags, 0x42,
        "the first leg: RETURN_TO_SOURCE | DO_NOT_UPDATE"
    );
    c.flags ^= 0x40; // drop DO_NOT_UPDATE_PERSISTENT_STATE
    breaks_exactly(&topo, &records, "R12", 0);
    let v = judge(&topo, &records);
    assert!(
        v[0].expected.contains("0x42") && v[0].observed.contains("0x02"),
        "{}",
        v[0]
    );
}

#[test]
fn r12_return_leg_without_0x08_or_with_the_wrong_destination() {
    let (topo, mut records) = trace_of(&scenario(RETURN_TO_SOURCE));
    // Step 2: vm1 fails on n2 before disk1 was brought online there; the return leg offlines
    // the Failed vm1 on n2 with 0x48, dest n1 (R17: answered at once by R3).
    let original = records.clone();
    let c = offline_call(at(&mut records, 2), 0);
    assert_eq!((c.node, c.flags, c.dest), (1, 0x48, Some(0)));
    c.flags = 0x40;
    breaks_exactly(&topo, &records, "R12", 2);
    let mut records = original;
    offline_call(at(&mut records, 2), 0).dest = None;
    breaks_exactly(&topo, &records, "R12", 2);
}

#[test]
fn r11_a_move_that_writes_persistent_state() {
    let (topo, mut records) = trace_of(&scenario(RETURN_TO_SOURCE));
    let rec = at(&mut records, 0);
    // The same value as before, so only the write itself is wrong (the view stays right).
    rec.outputs.insert(
        1,
        Obs::PersistentWrite {
            resource: 0,
            state: PersistentState::Online,
        },
    );
    breaks_exactly(&topo, &records, "R11", 0);
}

#[test]
fn r11_the_write_after_the_first_dll_call() {
    let s = scenario(r#"[{"call":"offline_resource","resource":"vm1","flags":[]}]"#);
    let (topo, mut records) = trace_of(&s);
    let rec = at(&mut records, 0);
    let w = rec
        .outputs
        .iter()
        .position(|o| matches!(o, Obs::PersistentWrite { .. }))
        .expect("a user offline writes");
    let write = rec.outputs.remove(w);
    rec.outputs.push(write); // now after the OfflineV2
    breaks_exactly(&topo, &records, "R11", 0);
}

#[test]
fn r10_a_call_on_a_node_that_does_not_hold_the_resource() {
    let (topo, mut records) = trace_of(&scenario(RETURN_TO_SOURCE));
    // Step 3: n1 brings vm1 back online after the return; say it ran on n2 instead.
    let rec = at(&mut records, 3);
    let mut moved = false;
    for o in &mut rec.outputs {
        if let Obs::Call(c) = o {
            if c.entry == ObsEntry::OnlineV2 && !moved {
                c.node = 1;
                moved = true;
            }
        }
    }
    assert!(moved, "step 3 has an OnlineV2");
    breaks_exactly(&topo, &records, "R10", 3);
}

#[test]
fn r10_a_resource_online_away_from_its_owner() {
    let (topo, mut records) = trace_of(&scenario(RETURN_TO_SOURCE));
    // After the last step the group is on n1 and vm1 Online; show the owner as n2.
    let last = records.last_mut().expect("records");
    last.view.owner[0] = 1;
    let step = last.index;
    breaks_exactly(&topo, &records, "R10", step);
}

const QUEUED: &str = r#"[
    {"event":"busy","resource":"vm1"},
    {"call":"move_group","group":"g1","dest":"n2","flags":["QUEUE_ENABLED"]},
    {"call":"online_resource","resource":"vm1"},
    {"event":"lock","resource":"vm1"},
    {"call":"move_group","group":"g1","dest":"nowhere","flags":[]},
    {"call":"cancel_group_operation","group":"g1","reserved":0}]"#;

#[test]
fn r4_a_locked_resource_taken_offline_without_0x01() {
    let (topo, mut records) = trace_of(&scenario(QUEUED));
    // After step 3 vm1 is locked; a hand-made retry of the queued first leg (0x44, no 0x01)
    // that the DLL answers ERROR_IO_PENDING instead of LOCKED_STATUS.
    records.retain(|r| r.index <= 3);
    let mut view = records.last().expect("records").view.clone();
    view.state[0] = ResourceState::OfflinePending;
    view.queued[0] = false;
    records.push(StepRecord {
        index: 4,
        input: serde_json::from_str(r#"{"event":"tick","ms":1000}"#).expect("a step"),
        outputs: vec![Obs::Call(CallObs {
            node: 0,
            entry: ObsEntry::OfflineV2,
            resource: 0,
            dest: Some(1),
            flags: 0x44,
            result: Some(997),
        })],
        view,
    });
    breaks_exactly(&topo, &records, "R4", 4);
}

#[test]
fn r13_a_rejected_call_that_calls_the_dll() {
    let (topo, mut records) = trace_of(&scenario(QUEUED));
    // Step 4 is rejected (unknown destination, 5042); make it call OnlineV2 anyway.
    let rec = at(&mut records, 4);
    assert_eq!(rec.outputs.len(), 1);
    rec.outputs.push(Obs::Call(CallObs {
        node: 0,
        entry: ObsEntry::OnlineV2,
        resource: 1,
        dest: None,
        flags: 0,
        result: Some(0),
    }));
    records.retain(|r| r.index <= 4);
    breaks_exactly(&topo, &records, "R13", 4);
}

#[test]
fn r13_a_rejected_call_that_changes_the_host_view() {
    let (topo, mut records) = trace_of(&scenario(QUEUED));
    records.retain(|r| r.index <= 4);
    at(&mut records, 4).view.locked[1] = true;
    breaks_exactly(&topo, &records, "R13", 4);
}

#[test]
fn r14_a_second_completion() {
    let (topo, mut records) = trace_of(&scenario(QUEUED));
    // Step 5 cancels the queued move, which completes with ERROR_CANCELLED; complete it twice.
    let rec = at(&mut records, 5);
    let done = *rec
        .outputs
        .iter()
        .find(|o| matches!(o, Obs::Completed { .. }))
        .expect("the cancelled move completes in the same step (vm1 goes back at once)");
    rec.outputs.push(done);
    breaks_exactly(&topo, &records, "R14", 5);
}

#[test]
fn r14_a_completion_before_the_group_settled() {
    let (topo, mut records) = trace_of(&scenario(RETURN_TO_SOURCE));
    let last = records.last_mut().expect("records");
    assert!(last
        .outputs
        .iter()
        .any(|o| matches!(o, Obs::Completed { .. })));
    last.view.state[0] = ResourceState::OnlinePending;
    let step = last.index;
    // (R10 is fine: vm1 pending on its owner n1.)
    breaks_exactly(&topo, &records, "R14", step);
}

#[test]
fn one_queued_operation_a_call_on_a_queued_group_not_refused_as_queued() {
    let (topo, mut records) = trace_of(&scenario(QUEUED));
    // Step 2 (online of vm1 while g1 is queued) answers ERROR_CLUSTER_GROUP_QUEUED; say
    // ERROR_INVALID_STATE instead (still a rejection that changes nothing: R13 holds).
    let rec = at(&mut records, 2);
    assert_eq!(
        rec.outputs,
        vec![Obs::Returned {
            code: 5959,
            op: None
        }]
    );
    rec.outputs[0] = Obs::Returned {
        code: 5023,
        op: None,
    };
    breaks_exactly(&topo, &records, "R3-queue", 2);
}

#[test]
fn one_queued_operation_a_second_operation_accepted() {
    let (topo, mut records) = trace_of(&scenario(QUEUED));
    // Step 2 accepted as a second operation on the queued group (and nothing else happens).
    at(&mut records, 2).outputs[0] = Obs::Returned {
        code: 997,
        op: Some(7),
    };
    records.retain(|r| r.index <= 2);
    let v = judge(&topo, &records);
    assert!(
        v.iter()
            .any(|x| x.rule == "R3-queue" && x.what.contains("second operation")),
        "{v:?}"
    );
}
