//! The SPEC §6 property monitors (`properties/src/monitors/`, issue 10).
//!
//! * The whole public corpus and every kept regression hold under every monitor on the
//!   implementation alone (no model).
//! * Each monitor has a hand-made trace that breaks exactly its rule, and names it.
//! * Seeded bugs of the implementation, judged by the monitors alone (no model, no lockstep).
//! * Trace files: `StepRecord`s round-trip through JSON lines.

use offline_v2_properties::checked::{bfs_configs, ImplSystem, ModelSystem};
use offline_v2_properties::monitors::checked::{shortest, Checked, Monitored};
use offline_v2_properties::seeded_table::{lockstep_cell, write_rows, Measure, SeededRow};
use std::path::{Path, PathBuf};

use offline_v2::abi::types::control_op;
use offline_v2::loader::LoadedDll;
use offline_v2::reference::ReferenceDll;
use offline_v2::seeded::SeededBug;
use offline_v2::types::{NodeId, PersistentState, ResourceState};
use offline_v2_model::bugs::Bug;
use offline_v2_model::config::ModelConfig;
use offline_v2_properties::conformance::{
    fixtures, model_paths, scenario_of_setup, steps_of_path, steps_strategy,
};
use offline_v2_properties::impl_side::{input_of_call, ImplSide};
use offline_v2_properties::model_side::{model_setup, ModelSide};
use offline_v2_properties::monitors::checked::{check, Limits};
use offline_v2_properties::monitors::{
    live, MonitorChecker, MonitorState, Monitors, StepRecord, Topology, Violation, ALL_RULES,
};
use offline_v2_properties::replay::{CallObs, Obs, ObsEntry, Replay, ReplayReport, Side};
use offline_v2_properties::scenario::{Scenario, Step};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

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

/// A corpus file as the table names it: `scenarios/<file>`.
fn corpus_name(f: &Path) -> String {
    f.file_name().map_or_else(String::new, |n| {
        format!("scenarios/{}", n.to_string_lossy())
    })
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
        Topology::new(&header.nodes, &header.groups, &header.config).expect("topology"),
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
        dll: None,
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

// ---------------------------------------------------------------------------------------
// Seeded bugs, judged by the monitors alone: the buggy implementation runs with no model and
// no lockstep comparison — only the SPEC monitors (and the implementation's own always-on
// assertions, I17, which are reported separately). Inputs: the public corpus (its own
// expectations ignored), random step sequences on the conformance fixtures, and every model
// path of the default configuration up to depth 3 (the model only enumerates inputs there;
// it is never asked what should happen).

/// Who caught a seeded bug first on one input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Caught {
    /// A SPEC monitor, naming its rule.
    Monitor(String),
    /// The implementation's own invariant (I17), by panicking.
    Assertion,
}

fn utf16(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

/// Runs `steps` on a fresh implementation over the loaded cdylib with `bug` switched on, under
/// the monitors only; (who caught it, the monitor's text) or None.
fn alone(
    setup: &Scenario,
    steps: &[Step],
    dll: &LoadedDll,
    bug: SeededBug,
) -> Option<(Caught, String)> {
    let mut s = setup.clone();
    s.steps = steps.to_vec();
    let dlls = dll.instances(s.nodes.len()).ok()?;
    let mut side = ImplSide::new(&s, dlls).ok()?;
    side.cluster_mut().set_seeded_bug(bug);
    let name = utf16(if bug.in_dll() {
        bug.name()
    } else {
        SeededBug::None.name()
    });
    for n in 0..s.nodes.len() {
        let node = NodeId(u8::try_from(n).unwrap_or(u8::MAX));
        let _ = side
            .cluster()
            .dll(node)
            .send_control_raw(control_op::SEEDED_BUG, &name);
    }
    // Step by step without panicking on the implementation's own invariants (I17), so that
    // the monitors also judge the step where those stop the run (its outputs so far).
    let topo = Topology::new(&s.nodes, &s.groups, &s.config).ok()?;
    let mut monitors = Monitors::all(topo);
    for (index, step) in s.steps.iter().enumerate() {
        let input = match step {
            Step::Call { call, .. } => input_of_call(&side, call),
            Step::Event(e) => side.input_of_event(e),
            _ => continue,
        };
        let (outputs, assertion) = match side.try_run(input) {
            Ok(o) => (o, None),
            Err((o, text)) => (o, Some(text)),
        };
        let rec = StepRecord {
            index,
            input: step.clone(),
            outputs,
            view: side.view(),
            dll: side.dll_states(),
        };
        if let Some(v) = monitors.observe(&rec).into_iter().next() {
            let also = assertion.map_or(String::new(), |a| {
                format!(" (the implementation's own check also fired there: {a})")
            });
            return Some((Caught::Monitor(v.rule.to_owned()), format!("{v}{also}")));
        }
        if let Some(a) = assertion {
            return Some((Caught::Assertion, a));
        }
    }
    None
}

/// The first catch of `bug` by a monitor over the inputs described above: (who, input,
/// steps, text); if no monitor catches it anywhere, the first catch by the implementation's
/// own assertion (which stops a run before the monitors could see what follows).
fn hunt_alone(bug: SeededBug, dll: &LoadedDll) -> Option<(Caught, String, usize, String)> {
    let mut assertion = None;
    let mut judge =
        |setup: &Scenario, steps: &[Step], input: String| match alone(setup, steps, dll, bug) {
            Some((Caught::Assertion, text)) => {
                assertion.get_or_insert((Caught::Assertion, input, steps.len(), text));
                None
            }
            Some((who, text)) => Some((who, input, steps.len(), text)),
            None => None,
        };
    for f in files("scenarios") {
        let s = Scenario::load(&f).expect("parses");
        if let Some(found) = judge(&s, &s.steps, corpus_name(&f)) {
            return Some(found);
        }
    }
    let mut runner = TestRunner::deterministic();
    for setup in fixtures() {
        let strategy = steps_strategy(&setup, 24);
        for case in 0..256 {
            let steps = strategy.new_tree(&mut runner).expect("a case").current();
            let input = format!("random case {case} on {}", setup.name);
            if let Some(found) = judge(&setup, &steps, input) {
                return Some(found);
            }
        }
    }
    let cfg = ModelConfig::default();
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    for (i, path) in model_paths(&cfg, 3).iter().enumerate() {
        let steps = steps_of_path(&setup, path);
        if let Some(found) = judge(&setup, &steps, format!("model path {i} (depth 3)")) {
            return Some(found);
        }
    }
    assertion
}

fn quiet_cluster_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_cluster = info
                .location()
                .is_some_and(|l| l.file().replace('\\', "/").contains("src/cluster/"));
            if !in_cluster {
                previous(info);
            }
        }));
    });
}

/// A bug's shortest counterexample: a breadth-first search of the monitored model check (the
/// monitors as the properties of a check of the implementation or of the model alone), over
/// [`bfs_configs`], smallest first.
#[derive(Debug, Clone)]
struct Shortest {
    /// The configuration that exposed it.
    config: &'static str,
    /// Unique states of that search.
    states: usize,
    /// The monitor's rule, or "own" for the system's own checks.
    rule: String,
    /// Other monitors' rules broken by a counterexample of the same length.
    also: Vec<String>,
    /// The counterexample's length.
    steps: usize,
    /// The monitor's verdict (or the own check's property).
    text: String,
}

impl Shortest {
    /// `monitor R14 (also R3-queue)`.
    fn caught_by(&self) -> String {
        if self.also.is_empty() {
            format!("monitor {}", self.rule)
        } else {
            format!("monitor {} (also {})", self.rule, self.also.join(", "))
        }
    }

    fn input(&self) -> String {
        format!(
            "BFS of {}, depth {} ({} states)",
            self.config, self.steps, self.states
        )
    }
}

/// Bounds a search by states only (no wall clock: the result must not depend on the
/// machine); the configurations of [`bfs_configs`] stay far below it.
const BFS_MAX_STATES: usize = 500_000;

/// The shortest counterexample in the first configuration of [`bfs_configs`] where the
/// check of `system(cfg)` breaks a monitor — or, if none does in any, its own checks.
/// Each path is checked to break its rule at its last step and not before (what a shortest
/// counterexample of a safety property must do: a prefix that already broke it would be
/// shorter).
fn bfs_shortest<C: Checked>(system: impl Fn(ModelConfig) -> C) -> Option<Shortest> {
    let mut own = None;
    for (config, cfg) in bfs_configs() {
        let monitored = Monitored::new(system(cfg));
        let s = shortest(&monitored, BFS_MAX_STATES);
        assert!(s.complete, "{config}: the search is exhaustive");
        if s.broken.is_empty() {
            println!(
                "  BFS of {config}: nothing broken ({} states, {:.1}s)",
                s.unique, s.seconds
            );
        }
        let of = |b: &offline_v2_properties::monitors::checked::Broken<C::Action>| Shortest {
            config,
            states: s.unique,
            rule: b.rule.clone(),
            also: s
                .broken
                .iter()
                .filter(|o| o.rule != "own" && o.rule != b.rule && o.path.len() == b.path.len())
                .map(|o| o.rule.clone())
                .collect(),
            steps: b.path.len(),
            text: b
                .violation
                .as_ref()
                .map_or_else(|| b.property.to_owned(), ToString::to_string),
        };
        if let Some(b) = s.shortest_by_monitor() {
            let v = b.violation.as_ref().expect("a monitor's verdict");
            let prefix = &b.path[..b.path.len() - 1];
            if b.rule.starts_with("§6") {
                // Bounded response (P7): the path's last state is the first whose fair
                // continuation fails; the state before it still had one that succeeds.
                assert_eq!(
                    monitored.explain_rule(&b.rule, prefix),
                    None,
                    "{config}: {} already failed one step earlier",
                    b.rule
                );
            } else {
                assert_eq!(
                    v.step + 1,
                    b.path.len(),
                    "{config}: broken at the last step"
                );
                assert_eq!(monitored.explain(prefix), None);
            }
            return Some(of(b));
        }
        if own.is_none() {
            own = s.own_check().map(of);
        }
    }
    own
}

/// The implementation with `bug` switched on (host bugs only: the check's DLLs are the
/// in-process reference, which the check never asks for a raw call with Reserved != 0).
fn impl_system(bug: SeededBug) -> impl Fn(ModelConfig) -> ImplSystem {
    move |cfg| {
        let mut system = ImplSystem::new(cfg).expect("the set-up is valid");
        system.initial_mut().set_seeded_bug(bug);
        system
    }
}

/// Which seeded bugs the monitors catch on the implementation alone, and which not (printed
/// as a table; `-- --nocapture`), with the shortest counterexample (BFS of the
/// implementation's monitored model check, I18) or, where that check cannot express the
/// bug's input, the first catch of the older hunt (corpus, random cases, model paths). The
/// expected outcome per bug is pinned, so a monitor that stops catching one fails here, and
/// so does one that starts (update the table in the report then).
#[test]
fn seeded_bugs_judged_by_the_monitors_alone() {
    quiet_cluster_panics();
    let dll = LoadedDll::open_built().expect("the reference cdylib is built");
    let started = std::time::Instant::now();
    // The controls: with no bug, nothing is caught on the same inputs.
    assert!(
        bfs_shortest(impl_system(SeededBug::None)).is_none(),
        "no bug, no catch (BFS)"
    );
    assert_eq!(hunt_alone(SeededBug::None, &dll), None, "no bug, no catch");
    let expected: &[(SeededBug, Option<&str>)] = &[
        (SeededBug::NoDoNotUpdateOnReturnLeg, Some("R12")),
        (SeededBug::PersistentWriteOnMove, Some("R11")),
        // The implementation's own R14 check (I17) stops the step before the second
        // completion is emitted: nothing observable is wrong, so no monitor can see it.
        (SeededBug::SecondCompletionAfterCancel, Some("assertion")),
        (SeededBug::LockedWithoutIgnore, Some("R13")),
        (SeededBug::ReturningWithReturnToSource, Some("R12")),
        (SeededBug::OwnerLostOnCrash, Some("R10")),
        (SeededBug::ReservedIgnored, Some("R1")),
        (SeededBug::TimeoutOffByOne, Some("R19")),
    ];
    let mut table = vec!["seeded bug | caught first by | on | steps".to_owned()];
    let mut got = Vec::new();
    let mut rows = Vec::new();
    for &(bug, _) in expected {
        // The DLL bug needs a raw call with Reserved != 0, which the check's actions (the
        // model's `raw_calls`) do not offer: the hunt is its fallback.
        let bfs = if bug.in_dll() {
            None
        } else {
            bfs_shortest(impl_system(bug))
        };
        let also = bfs.as_ref().map_or_else(Vec::new, |b| b.also.clone());
        let (found, measure, input) = match bfs {
            Some(b) => {
                let who = if b.rule == "own" {
                    Caught::Assertion
                } else {
                    Caught::Monitor(b.rule.clone())
                };
                let input = b.input();
                (
                    Some((who, input.clone(), b.steps, b.text)),
                    Measure::Bfs,
                    Some(input),
                )
            }
            None => {
                let found = hunt_alone(bug, &dll);
                let why = if bug.in_dll() {
                    "the check offers no raw call with Reserved != 0"
                } else {
                    "no configuration of the BFS exposes it"
                };
                let input = found
                    .as_ref()
                    .map(|(_, input, ..)| format!("{input} ({why})"));
                (found, Measure::FirstFound, input)
            }
        };
        rows.push(SeededRow {
            side: "impl".into(),
            bug: bug.name().into(),
            column: "impl-monitors".into(),
            caught_by: found.as_ref().map(|(who, ..)| match who {
                Caught::Monitor(rule) if also.is_empty() => format!("monitor {rule}"),
                Caught::Monitor(rule) => format!("monitor {rule} (also {})", also.join(", ")),
                Caught::Assertion => "impl assertion I17".to_owned(),
            }),
            steps: found.as_ref().map(|(_, _, len, _)| *len),
            measure: found.as_ref().map(|_| measure),
            input,
            replay: None,
        });
        let row = match &found {
            Some((Caught::Monitor(rule), input, len, _)) => {
                format!("{} | monitor {rule} | {input} | {len}", bug.name())
            }
            Some((Caught::Assertion, input, len, _)) => {
                format!("{} | impl assertion (I17) | {input} | {len}", bug.name())
            }
            None => format!("{} | not caught by the monitors alone | — | —", bug.name()),
        };
        table.push(row);
        got.push((
            bug,
            found.map(|(who, _, _, text)| match who {
                Caught::Monitor(rule) => (rule, text),
                Caught::Assertion => ("assertion".to_owned(), text),
            }),
        ));
    }
    println!("{}", table.join("\n"));
    println!("{:.1}s", started.elapsed().as_secs_f64());
    // The measured rows of the seeded-bug table (reports/conformance.md).
    write_rows("impl-monitors", &rows).expect("the seeded-bug rows are written");
    // Lengths that follow from the bug alone (what it needs at the least, and that this
    // suffices in the smallest configuration): the BFS must find exactly these.
    let justified: &[(SeededBug, usize)] = &[
        // A move call: its first leg writes persistent Offline in the same step.
        (SeededBug::PersistentWriteOnMove, 1),
        // A crash of the group's owner: the recovery's calls go to the Down owner at once.
        (SeededBug::OwnerLostOnCrash, 1),
        // A call left pending, then the tick that reaches the timeout (no one input both
        // calls and lets time pass).
        (SeededBug::TimeoutOffByOne, 2),
        // A move with RETURN_TO_SOURCE, its first leg's offline completing (the online on
        // the destination starts), that online failing: the return leg's OfflineV2 is in
        // the third step, and no step can be left out.
        (SeededBug::NoDoNotUpdateOnReturnLeg, 3),
    ];
    for (bug, steps) in justified {
        let row = rows.iter().find(|r| r.bug == bug.name()).expect("a row");
        assert_eq!(
            (row.steps, row.measure),
            (Some(*steps), Some(Measure::Bfs)),
            "{}",
            bug.name()
        );
    }
    for ((bug, want), (_, found)) in expected.iter().zip(&got) {
        assert_eq!(
            found.as_ref().map(|(rule, _)| rule.as_str()),
            *want,
            "{}: {}",
            bug.name(),
            found.as_ref().map_or("", |(_, t)| t.as_str())
        );
    }
}

#[test]
fn r13_check_7_a_move_of_a_locked_group_accepted_without_ignore() {
    let s = scenario(
        r#"[{"event":"lock","resource":"vm1"},
            {"call":"move_group","group":"g1","dest":"n2","flags":[]}]"#,
    );
    let (topo, mut records) = trace_of(&s);
    let rec = at(&mut records, 1);
    assert_eq!(
        rec.outputs,
        vec![Obs::Returned {
            code: 5960,
            op: None
        }]
    );
    // Accepted instead (and nothing else happens in the step).
    rec.outputs[0] = Obs::Returned {
        code: 997,
        op: Some(0),
    };
    breaks_exactly(&topo, &records, "R13", 1);
}

#[test]
fn r19_a_pending_offline_not_terminated_at_the_timeout() {
    let s = scenario(
        r#"[{"call":"offline_resource","resource":"vm1","flags":[]},
            {"event":"tick","ms":179999},
            {"event":"tick","ms":1}]"#,
    );
    let (topo, mut records) = trace_of(&s);
    let rec = at(&mut records, 2);
    let before = rec.outputs.len();
    rec.outputs
        .retain(|o| !matches!(o, Obs::Call(c) if c.entry == ObsEntry::Terminate));
    assert_eq!(rec.outputs.len() + 1, before, "the tick Terminated vm1");
    breaks_exactly(&topo, &records, "R19", 2);
}

#[test]
fn r1_a_raw_call_with_reserved_set_answered_success() {
    let s = scenario(
        r#"[{"call":"raw_offline_v2","node":"n1","resource":"vm1","dest":null,"flags":0,
             "inbuf":null,"inbuf_size":0,"reserved":1}]"#,
    );
    let (topo, mut records) = trace_of(&s);
    let rec = at(&mut records, 0);
    assert_eq!(rec.outputs, vec![Obs::Returned { code: 87, op: None }]);
    rec.outputs[0] = Obs::Returned {
        code: 997,
        op: None,
    };
    breaks_exactly(&topo, &records, "R1", 0);
}

// ---------------------------------------------------------------------------------------
// Trace files through the command line: `replay --trace` of the public corpus passes
// `monitor`; one flag bit changed by hand fails it naming R12, the step and both values;
// a file that is not a trace is bad input.

fn offline_v2(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_offline-v2"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn replay_trace_of_the_corpus_passes_monitor_and_one_flipped_flag_bit_fails_it() {
    let dir = std::env::temp_dir().join(format!("offline-v2-monitor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let trace = dir.join("corpus.jsonl");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let o = offline_v2(&[
        "replay".as_ref(),
        "--quiet".as_ref(),
        "--trace".as_ref(),
        trace.as_os_str(),
        corpus.as_os_str(),
    ]);
    assert!(
        o.status.success(),
        "replay: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = offline_v2(&["monitor".as_ref(), trace.as_os_str()]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("every monitor held"), "{out}");
    let headers = std::fs::read_to_string(&trace)
        .expect("the trace")
        .lines()
        .filter(|l| l.starts_with("{\"trace\""))
        .count();
    assert_eq!(headers, files("scenarios").len(), "one header per scenario");

    // Hand edit: the first OfflineV2 of a move (flags with DO_NOT_UPDATE 0x40) loses that bit.
    let text = std::fs::read_to_string(&trace).expect("the trace");
    let mut edited = Vec::new();
    let mut done = None;
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
        if done.is_none() && v.get("trace").is_none() {
            let index = v["index"].as_u64();
            if let Some(outs) = v["outputs"].as_array_mut() {
                for o in outs {
                    let flags = o["flags"].as_u64().unwrap_or(0);
                    if o["out"] == "call" && o["entry"] == "OfflineV2" && flags & 0x42 == 0x42 {
                        o["flags"] = (flags ^ 0x40).into();
                        done = Some((index, flags));
                        break;
                    }
                }
            }
        }
        edited.push(v.to_string());
    }
    let (step, flags) = done.expect("the corpus has a move with RETURN_TO_SOURCE");
    let bad = dir.join("edited.jsonl");
    std::fs::write(&bad, edited.join("\n")).expect("write");
    let o = offline_v2(&["monitor".as_ref(), bad.as_os_str()]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    let step = step.expect("records have an index");
    assert!(
        out.contains(&format!("R12 violated at step {step}")),
        "{out}"
    );
    assert!(
        out.contains(&format!("expected: flags {flags:#04x}")),
        "{out}"
    );
    assert!(
        out.contains(&format!("observed: flags {:#04x}", flags ^ 0x40)),
        "{out}"
    );

    // Not a trace: exit 2 with the line.
    let junk = dir.join("junk.jsonl");
    std::fs::write(&junk, "{\"index\":0}\n").expect("write");
    let o = offline_v2(&["monitor".as_ref(), junk.as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 1"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_record_that_does_not_fit_its_header_is_bad_input() {
    let (_, records) = trace_of(&scenario(RETURN_TO_SOURCE));
    let header = offline_v2_properties::monitors::TraceHeader::of(&scenario(RETURN_TO_SOURCE));
    let mut rec = records[0].clone();
    rec.view.owner = vec![0, 0]; // two groups in a one-group cluster
    let text = format!(
        "{}\n{}\n",
        serde_json::to_string(&header).expect("header"),
        serde_json::to_string(&rec).expect("record")
    );
    let err = offline_v2_properties::monitors::check_trace(text.as_bytes()).expect_err("bad input");
    assert!(err.to_string().starts_with("line 2:"), "{err}");
    // And a clean one passes.
    let text = format!(
        "{}\n{}\n",
        serde_json::to_string(&header).expect("header"),
        serde_json::to_string(&records[0]).expect("record")
    );
    let verdict = offline_v2_properties::monitors::check_trace(text.as_bytes()).expect("a trace");
    assert_eq!((verdict.traces, verdict.steps), (1, 1));
    assert!(verdict.violation.is_none());
}

/// The same monitors on the model side of the corpus replay (the model is a second, independent
/// engine: a monitor that fires on it and not on the implementation names a misreading of one
/// of them).
#[test]
fn the_corpus_holds_under_every_monitor_on_the_model_too() {
    let mut failures = Vec::new();
    for f in files("scenarios").into_iter().chain(files("regressions")) {
        let s = Scenario::load(&f).expect("parses");
        let mut model =
            offline_v2_properties::model_side::ModelSide::new(&s).expect("model set-up");
        let report = Replay::new(&s)
            .with(MonitorChecker::new(&s, "model"))
            .run(&mut [&mut model as &mut dyn Side]);
        for x in report
            .failures
            .iter()
            .filter(|x| x.what.contains("SPEC monitor"))
        {
            failures.push(format!("{}: {x}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// The model's deliberate bugs (`offline_v2_model::bugs::Bug`), judged by the same monitors on
// the model alone (no implementation, no lockstep): the corpus, random steps on the fixtures
// and every path of the broken model's default configuration up to depth 3.

fn model_alone(setup: &Scenario, steps: &[Step], bug: Bug) -> Option<String> {
    let mut s = setup.clone();
    s.steps = steps.to_vec();
    let cfg = ModelConfig::from_setup(model_setup(&s)).with_bug(bug);
    let mut model = ModelSide::with_config(&s, cfg).ok()?;
    let report = Replay::new(&s)
        .with(MonitorChecker::new(&s, "model"))
        .run(&mut [&mut model as &mut dyn Side]);
    report
        .failures
        .iter()
        .find(|f| f.what.contains("SPEC monitor"))
        .map(ToString::to_string)
}

fn hunt_model(bug: Bug) -> Option<(String, String, usize)> {
    for f in files("scenarios") {
        let s = Scenario::load(&f).expect("parses");
        if let Some(text) = model_alone(&s, &s.steps, bug) {
            return Some((text, corpus_name(&f), s.steps.len()));
        }
    }
    let mut runner = TestRunner::deterministic();
    for setup in fixtures() {
        let strategy = steps_strategy(&setup, 24);
        for case in 0..256 {
            let steps = strategy.new_tree(&mut runner).expect("a case").current();
            if let Some(text) = model_alone(&setup, &steps, bug) {
                return Some((
                    text,
                    format!("random case {case} on {}", setup.name),
                    steps.len(),
                ));
            }
        }
    }
    let cfg = ModelConfig::default().with_bug(bug);
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    for (i, path) in model_paths(&cfg, 3).iter().enumerate() {
        let steps = steps_of_path(&setup, path);
        if let Some(text) = model_alone(&setup, &steps, bug) {
            return Some((text, format!("model path {i} (depth 3)"), steps.len()));
        }
    }
    // Last, the monitored model check of the default configuration: the same monitors as the
    // properties of an exhaustive check, with SPEC §6's bounded response (P7), which replays
    // cannot judge (a finite trace ending with an operation in flight breaks no rule).
    let summary = check(
        ModelSystem::new(cfg).ok()?.monitored(),
        Limits {
            max_states: Some(2_000_000),
            timeout: None,
        },
    );
    summary.broken.iter().find_map(|b| {
        let v = b.violation.as_ref()?;
        Some((
            format!("monitored check: {} {v}", v.rule),
            format!(
                "monitored model check (default configuration){}",
                if v.rule.starts_with("§6") {
                    ", then the fair continuation"
                } else {
                    ""
                }
            ),
            b.path.len(),
        ))
    })
}

/// Which model bugs the monitors catch on the model alone (printed; `-- --nocapture`), pinned,
/// with the shortest counterexample (BFS of the model's monitored check; the model's own
/// transition checks left out: this column is the monitors'), the older hunt as the fallback.
/// The liveness bugs are not safety violations: no replay shows them, the monitored check's
/// bounded response (P7) does.
#[test]
fn model_bugs_judged_by_the_monitors_alone() {
    let started = std::time::Instant::now();
    let model_system =
        |bug: Bug| move |cfg: ModelConfig| ModelSystem::new(cfg.with_bug(bug)).expect("valid");
    assert!(
        bfs_shortest(model_system(Bug::None)).is_none(),
        "the real model holds (BFS)"
    );
    assert_eq!(hunt_model(Bug::None), None, "the real model holds");
    let mut table = vec!["model bug | caught by | on | steps".to_owned()];
    let mut got = Vec::new();
    let mut rows = Vec::new();
    for bug in Bug::ALL {
        // (rule, text, input, steps, measure, cell)
        let found = match bfs_shortest(model_system(bug)) {
            Some(b) if b.rule != "own" => Some((
                b.rule.clone(),
                b.text.clone(),
                b.input(),
                b.steps,
                Measure::Bfs,
                b.caught_by(),
            )),
            own => hunt_model(bug).map(|(text, input, len)| {
                let rule = text.split_whitespace().nth(2).unwrap_or("?").to_owned();
                // A state the model's own transition checks mark has no successors (the
                // model's `enumerate::actions`), so they can end every path before the step
                // where a monitor would see the bug.
                let why = own.map_or_else(
                    || "no configuration of the BFS exposes it".to_owned(),
                    |o| {
                        format!(
                            "the BFS finds only the model's own transition checks, at depth {} \
                             of {}, which end the path before a monitor sees the bug",
                            o.steps, o.config
                        )
                    },
                );
                let input = format!("{input} ({why})");
                let cell = format!("monitor {rule}");
                (rule, text, input, len, Measure::FirstFound, cell)
            }),
        };
        table.push(match &found {
            Some((_, _, input, len, _, cell)) => format!("{bug:?} | {cell} | {input} | {len}"),
            None => format!("{bug:?} | not caught by the monitors alone | — | —"),
        });
        rows.push(SeededRow {
            side: "model".into(),
            bug: format!("{bug:?}"),
            column: "model-monitors".into(),
            caught_by: found.as_ref().map(|f| f.5.clone()),
            steps: found.as_ref().map(|f| f.3),
            measure: found.as_ref().map(|f| f.4),
            input: found.as_ref().map(|f| f.2.clone()),
            replay: None,
        });
        got.push((bug, found.as_ref().map(|f| f.0.clone()), found.map(|f| f.1)));
    }
    println!("{}", table.join("\n"));
    println!("{:.1}s", started.elapsed().as_secs_f64());
    // The measured rows of the seeded-bug table (reports/conformance.md).
    write_rows("model-monitors", &rows).expect("the seeded-bug rows are written");
    let expected: &[(Bug, Option<&str>)] = &[
        (Bug::ReturnLegWithoutDnu, Some("R12")),
        (Bug::FirstLegRtsWithoutDnu, Some("R12")),
        (Bug::MoveUpdatesPersistent, Some("R11")),
        (Bug::CancelCompletesTwice, Some("R14")),
        (Bug::DllIgnoresLock, Some("R4")),
        (Bug::CrashLosesOwner, Some("R10")),
        // The write of a rejected call breaks R11 and R13 at once; R11's monitor runs first.
        (Bug::RejectedOnlineWritesPersistent, Some("R11")),
        // The move queued a second time gets the id of the move already queued (the model
        // numbers a group's queued move by its slot), so R14's fresh-id check breaks at the
        // same step as "one queued operation", and runs first.
        (Bug::SecondQueuedMove, Some("R14")),
        // Liveness: nothing observable is wrong at any step; the bounded response of the
        // monitored model check (P7) catches them — the queued move never completes, and the
        // recovered group stays held (the probe answers ERROR_INVALID_STATE).
        (Bug::RetryNeverFires, Some("§6-complete")),
        (Bug::RecoveryNeverSettles, Some("§6-held")),
        (Bug::DestSkipsLastResource, Some("R14")),
        // The aborted operations never complete, so the next accepted one on the group is a
        // second operation in flight.
        (Bug::CrashForgetsCompletion, Some("R3-queue")),
    ];
    assert_eq!(expected.len(), Bug::ALL.len(), "every model bug is pinned");
    for (bug, want) in expected {
        let (_, rule, text) = got.iter().find(|(b, _, _)| b == bug).expect("listed");
        assert_eq!(
            rule.as_deref(),
            *want,
            "{bug:?}: {}",
            text.as_deref().unwrap_or("")
        );
    }
}

#[test]
fn the_records_carry_the_dll_side_state() {
    let (_, records) = trace_of(&scenario(RETURN_TO_SOURCE));
    let last = records.last().expect("records");
    // After the return, g1 is on n1: vm1 Online (2) and disk1 Online in n1's DLL, nothing
    // held on n2.
    assert_eq!(
        last.dll,
        Some(vec![vec![Some(2), Some(2)], vec![None, None]]),
        "{last:?}"
    );
}

#[test]
fn r13_a_rejected_call_that_changes_the_dll_side_state() {
    let (topo, mut records) = trace_of(&scenario(QUEUED));
    records.retain(|r| r.index <= 4);
    let rec = at(&mut records, 4); // rejected: unknown destination
    let dll = rec.dll.as_mut().expect("the DLL-side state");
    assert_eq!(dll[0][1], Some(2), "disk1 Online on n1");
    dll[0][1] = Some(3);
    breaks_exactly(&topo, &records, "R13", 4);
}

#[test]
fn r10_a_resource_active_in_the_dll_of_a_node_that_does_not_own_it() {
    let (topo, mut records) = trace_of(&scenario(RETURN_TO_SOURCE));
    let last = records.last_mut().expect("records");
    let step = last.index;
    last.dll.as_mut().expect("the DLL-side state")[1][0] = Some(2); // vm1 Online on n2 too
    breaks_exactly(&topo, &records, "R10", step);
}

// ---------------------------------------------------------------------------------------
// The model's deliberate bugs in lockstep with the (correct) implementation: the same inputs
// as `hunt_model` (corpus, random steps on the fixtures, model paths to depth 3), the
// standard comparators only (no monitors), the first input whose replay diverges.

fn lockstep_with_model_bug(
    setup: &Scenario,
    steps: &[Step],
    bug: Bug,
    dll: &LoadedDll,
) -> Option<String> {
    let mut s = setup.clone();
    s.steps = steps.to_vec();
    let cfg = ModelConfig::from_setup(model_setup(&s)).with_bug(bug);
    let mut model = ModelSide::with_config(&s, cfg).ok()?;
    let mut imp = ImplSide::new(&s, dll.instances(s.nodes.len()).ok()?).ok()?;
    let report = Replay::new(&s).run(&mut [&mut imp as &mut dyn Side, &mut model]);
    report
        .failures
        .iter()
        .find(|f| f.kind == offline_v2_properties::replay::FailureKind::Divergence)
        .map(ToString::to_string)
}

/// A model bug's lockstep failure: where it was found, the set-up, the steps, the reason.
struct LockstepCatch {
    input: String,
    setup: Scenario,
    steps: Vec<Step>,
    what: String,
}

fn hunt_model_lockstep(bug: Bug, dll: &LoadedDll) -> Option<LockstepCatch> {
    let found = |input: String, setup: &Scenario, steps: &[Step]| {
        lockstep_with_model_bug(setup, steps, bug, dll).map(|what| LockstepCatch {
            input,
            setup: setup.clone(),
            steps: steps.to_vec(),
            what,
        })
    };
    for f in files("scenarios") {
        let s = Scenario::load(&f).expect("parses");
        let name = f
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into());
        if let Some(c) = found(name, &s, &s.steps) {
            return Some(c);
        }
    }
    let mut runner = TestRunner::deterministic();
    for setup in fixtures() {
        let strategy = steps_strategy(&setup, 24);
        for case in 0..256 {
            let steps = strategy.new_tree(&mut runner).expect("a case").current();
            let input = format!("random case {case} on {}", setup.name);
            if let Some(c) = found(input, &setup, &steps) {
                return Some(c);
            }
        }
    }
    let cfg = ModelConfig::default().with_bug(bug);
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    for (i, path) in model_paths(&cfg, 3).iter().enumerate() {
        let steps = steps_of_path(&setup, path);
        if let Some(c) = found(format!("model path {i} (depth 3)"), &setup, &steps) {
            return Some(c);
        }
    }
    None
}

/// Shrinks a lockstep catch of `bug` one step at a time: a step is dropped while the shorter
/// run still diverges with the bug and agrees without it (so the divergence stays the bug's),
/// until no single step can go. Short, not proven shortest.
fn shrink_model_lockstep(c: LockstepCatch, bug: Bug, dll: &LoadedDll) -> LockstepCatch {
    let mut c = c;
    let mut changed = true;
    while changed {
        changed = false;
        for i in (0..c.steps.len()).rev() {
            let mut shorter = c.steps.clone();
            shorter.remove(i);
            let Some(what) = lockstep_with_model_bug(&c.setup, &shorter, bug, dll) else {
                continue;
            };
            if lockstep_with_model_bug(&c.setup, &shorter, Bug::None, dll).is_none() {
                c.steps = shorter;
                c.what = what;
                changed = true;
            }
        }
    }
    c
}

/// Which model bugs lockstep with the implementation catches (printed; `-- --nocapture`),
/// written as the `lockstep` column of the model rows of the seeded-bug table.
#[test]
fn model_bugs_judged_by_lockstep() {
    let dll = LoadedDll::open_built().expect("the reference cdylib is built");
    let started = std::time::Instant::now();
    assert!(
        hunt_model_lockstep(Bug::None, &dll).is_none(),
        "the real model agrees with the implementation on the same inputs"
    );
    let mut rows = Vec::new();
    for bug in Bug::ALL {
        let found = hunt_model_lockstep(bug, &dll).map(|c| {
            let first = c.steps.len();
            let c = shrink_model_lockstep(c, bug, &dll);
            // The shrunk steps still diverge with the bug, and only with it.
            assert!(lockstep_with_model_bug(&c.setup, &c.steps, bug, &dll).is_some());
            assert!(lockstep_with_model_bug(&c.setup, &c.steps, Bug::None, &dll).is_none());
            (c, first)
        });
        println!(
            "{bug:?}: {}",
            found.as_ref().map_or_else(
                || "not caught".to_owned(),
                |(c, first)| format!(
                    "{} on {}, shrunk from {first} to {} steps",
                    lockstep_cell(&c.what),
                    c.input,
                    c.steps.len()
                )
            )
        );
        rows.push(SeededRow {
            side: "model".into(),
            bug: format!("{bug:?}"),
            column: "lockstep".into(),
            caught_by: found.as_ref().map(|(c, _)| lockstep_cell(&c.what)),
            steps: found.as_ref().map(|(c, _)| c.steps.len()),
            measure: found.as_ref().map(|_| Measure::Shrunk),
            input: found.as_ref().map(|(c, first)| {
                format!("{} ({first} steps), shrunk one step at a time", c.input)
            }),
            replay: None,
        });
    }
    println!("{:.1}s", started.elapsed().as_secs_f64());
    write_rows("lockstep-model", &rows).expect("the seeded-bug rows are written");
    // Pinned: every model bug diverges from the implementation somewhere on these inputs —
    // the liveness ones too (RecoveryNeverSettles by the held-group comparator, F9).
    let caught = |bug: Bug| {
        rows.iter()
            .find(|r| r.bug == format!("{bug:?}"))
            .and_then(|r| r.caught_by.clone())
            .unwrap_or_default()
    };
    for bug in Bug::ALL {
        assert!(caught(bug).starts_with("lockstep: "), "{bug:?} not caught");
    }
    assert!(
        caught(Bug::RecoveryNeverSettles).contains("which groups are held"),
        "{}",
        caught(Bug::RecoveryNeverSettles)
    );
}

// ---------------------------------------------------------------------------------------
// SPEC §6 "sometimes" as the monitors recognise them (P8): each pattern on a real trace of the
// implementation, and the same trace with the one observation it rests on edited away.

/// The witness bits a trace completes (OR over its records).
fn witnessed(topo: &Topology, records: &[StepRecord]) -> u8 {
    let mut m = MonitorState::new(topo);
    let mut out = Vec::new();
    records
        .iter()
        .fold(0, |seen, r| seen | m.observe(topo, ALL_RULES, r, &mut out))
}

#[test]
fn sometimes_a_return_to_source_that_ends_online_on_s() {
    let (topo, mut records) = trace_of(&scenario(RETURN_TO_SOURCE));
    assert_eq!(witnessed(&topo, &records), live::RETURN_ONLINE);
    // The same trace ending with vm1 Failed on S: a return, but not one that ends Online.
    records.last_mut().expect("records").view.state[0] = ResourceState::Failed;
    assert_eq!(witnessed(&topo, &records), 0);
}

#[test]
fn sometimes_a_queued_move_that_is_cancelled() {
    let (topo, mut records) = trace_of(&scenario(QUEUED));
    assert_eq!(witnessed(&topo, &records), live::CANCELLED);
    // The cancel answered ERROR_INVALID_STATE (nothing queued to drop): no witness.
    let cancel = at(&mut records, 5);
    for o in &mut cancel.outputs {
        if let Obs::Returned { code, .. } = o {
            *code = 5023; // ERROR_INVALID_STATE
        }
    }
    assert_eq!(witnessed(&topo, &records), 0);
}

#[test]
fn sometimes_a_timeout_then_terminate() {
    let steps = r#"[
        {"call":"online_resource","resource":"vm1"},
        {"call":"offline_resource","resource":"vm1","flags":[],"reason":"none"},
        {"event":"tick","ms":180000}]"#;
    let (topo, mut records) = trace_of(&scenario(steps));
    assert_eq!(witnessed(&topo, &records), live::TIMEOUT_TERMINATE);
    // The same tick without its Terminate (as if nothing had timed out): no witness.
    at(&mut records, 2)
        .outputs
        .retain(|o| !matches!(o, Obs::Call(c) if c.entry == ObsEntry::Terminate));
    assert_eq!(witnessed(&topo, &records), 0);
}

#[test]
fn sometimes_a_do_not_update_offline_then_a_failover_brings_it_back() {
    let dnu = r#"[
        {"call":"offline_resource","resource":"vm1","flags":["DO_NOT_UPDATE_PERSISTENT_STATE"],"reason":"none"},
        {"event":"complete_offline","resource":"vm1"},
        {"event":"crash_node","node":"n1"},
        {"event":"complete_online","resource":"vm1"}]"#;
    let (topo, records) = trace_of(&scenario(dnu));
    assert_eq!(witnessed(&topo, &records), live::DNU_FAILOVER);
    // With a client OnlineResourceEx between the offline and the crash, vm1 comes back on n2
    // by the failover too, but after an online: not "a DO_NOT_UPDATE offline followed by a
    // failover that brings it back".
    let online_first = r#"[
        {"call":"offline_resource","resource":"vm1","flags":["DO_NOT_UPDATE_PERSISTENT_STATE"],"reason":"none"},
        {"event":"complete_offline","resource":"vm1"},
        {"call":"online_resource","resource":"vm1"},
        {"event":"complete_online","resource":"vm1"},
        {"event":"crash_node","node":"n1"},
        {"event":"complete_online","resource":"vm1"}]"#;
    let (topo, records) = trace_of(&scenario(online_first));
    assert_eq!(
        records.last().expect("records").view.state[0],
        ResourceState::Online
    );
    assert_eq!(witnessed(&topo, &records), 0);
}
