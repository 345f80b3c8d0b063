//! `cargo test` replays the whole public corpus (`properties/scenarios/`) and every kept
//! regression (`properties/regressions/`) on the implementation — DLL calls through the loaded
//! cdylib — and on the model, in lockstep (SPEC §7).

use std::path::PathBuf;

use offline_v2::loader::LoadedDll;
use offline_v2::types::ResourceState;
use offline_v2_properties::corpus::{load_all, scenario_files};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::model_side::ModelSide;
use offline_v2_properties::replay::{replay, DllView, FailureKind, HostView, Obs, Side};
use offline_v2_properties::scenario::Scenario;

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

/// The model as it read SPEC R19 before the amendment: after a Terminate it shows the DLL's
/// copy of a resource the host holds Failed as Failed, not Offline. Only the DLL-side state
/// changes; calls, writes, completions and the host view stay the model's.
struct FailedAfterTerminate(ModelSide);

impl Side for FailedAfterTerminate {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn call(&mut self, call: &offline_v2_properties::scenario::Call) -> Vec<Obs> {
        self.0.call(call)
    }
    fn event(&mut self, event: &offline_v2_properties::scenario::Event) -> Vec<Obs> {
        self.0.event(event)
    }
    fn view(&self) -> HostView {
        self.0.view()
    }
    fn dll_view(&self) -> Option<DllView> {
        let host = self.0.view();
        let mut dll = self.0.dll_view()?;
        for node in &mut dll {
            for (r, entry) in node.iter_mut().enumerate() {
                let offline = ResourceState::Offline.cluster_value();
                if *entry == Some(offline) && host.state[r] == ResourceState::Failed {
                    *entry = Some(ResourceState::Failed.cluster_value());
                }
            }
        }
        Some(dll)
    }
}

/// An online that times out (R19): Terminate, Failed for the host, Offline in the DLL.
const ONLINE_TIMEOUT: &str = r#"{"nodes":["n1","n2"],"groups":[{"name":"g1","owner":"n1",
    "resources":[{"name":"vm1","persistent":"offline"}]}],
    "steps":[{"call":"online_resource","resource":"vm1","expect":"ERROR_IO_PENDING"},
             {"event":"tick","ms":180000},
             {"check":{"state":{"vm1":"Failed"}}}]}"#;

#[test]
fn lockstep_catches_a_side_whose_dll_state_differs_after_a_terminate() {
    let s = Scenario::parse(ONLINE_TIMEOUT, std::path::Path::new("online-timeout.json"))
        .expect("the scenario parses");
    let dll =
        LoadedDll::open_built().expect("the reference cdylib is built (cargo build -p offline-v2)");
    // Control: the real model agrees with the implementation on every step, DLL side included.
    let mut imp = ImplSide::new(&s, dll.instances(2).expect("instances")).expect("set-up");
    let mut model = ModelSide::new(&s).expect("set-up");
    assert!(imp.dll_view().is_some() && model.dll_view().is_some());
    let report = replay(&s, &mut [&mut imp as &mut dyn Side, &mut model]);
    assert!(report.passed(), "{:?}", report.failures);
    // The broken side: the DLL-side state comparator (SPEC §3, R19 amended) stops the run at
    // the tick, naming the resource, the node and both values; nothing else differs.
    let mut imp = ImplSide::new(&s, dll.instances(2).expect("instances")).expect("set-up");
    let mut broken = FailedAfterTerminate(ModelSide::new(&s).expect("set-up"));
    let report = replay(&s, &mut [&mut imp as &mut dyn Side, &mut broken]);
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    let f = &report.failures[0];
    assert_eq!((f.step, f.kind), (1, FailureKind::Divergence), "{f}");
    assert!(f.what.contains("the DLL-side state"), "{f}");
    assert_eq!(f.produced[0], ("impl", "vm1 on n1: Offline".to_owned()));
    assert_eq!(f.produced[1], ("model", "vm1 on n1: Failed".to_owned()));
}

/// A model that forgets half of R14's "held": a group whose owner is Down is not held unless
/// something is in flight. Only `held_groups` changes.
struct DownOwnerNotHeld(ModelSide);

impl Side for DownOwnerNotHeld {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn call(&mut self, call: &offline_v2_properties::scenario::Call) -> Vec<Obs> {
        self.0.call(call)
    }
    fn event(&mut self, event: &offline_v2_properties::scenario::Event) -> Vec<Obs> {
        self.0.event(event)
    }
    fn view(&self) -> HostView {
        self.0.view()
    }
    fn dll_view(&self) -> Option<DllView> {
        self.0.dll_view()
    }
    fn held_groups(&self) -> Option<Vec<bool>> {
        let s = self.0.state();
        Some((0..s.shape().groups.into()).map(|g| !s.idle(g)).collect())
    }
}

/// The only node goes Down: its group waits (R10, R20) and is held (R14); it starts again.
const ONLY_NODE_DOWN: &str = r#"{"nodes":["n1"],"groups":[{"name":"g1","owner":"n1",
    "resources":[{"name":"vm1","persistent":"online"}]}],
    "steps":[{"event":"crash_node","node":"n1"},
             {"call":"online_resource","resource":"vm1","expect":"ERROR_INVALID_STATE"}]}"#;

#[test]
fn lockstep_catches_a_side_that_differs_on_which_groups_are_held() {
    let s = Scenario::parse(ONLY_NODE_DOWN, std::path::Path::new("only-node-down.json"))
        .expect("the scenario parses");
    let dll =
        LoadedDll::open_built().expect("the reference cdylib is built (cargo build -p offline-v2)");
    // Control: both sides hold the group while its only node is Down (R13 check 4 answers it).
    let mut imp = ImplSide::new(&s, dll.instances(1).expect("instances")).expect("set-up");
    let mut model = ModelSide::new(&s).expect("set-up");
    assert_eq!(imp.held_groups(), Some(vec![false]));
    let report = replay(&s, &mut [&mut imp as &mut dyn Side, &mut model]);
    assert!(report.passed(), "{:?}", report.failures);
    assert_eq!(imp.held_groups(), Some(vec![true]));
    // The broken side is caught at the crash, before any call could show it.
    let mut imp = ImplSide::new(&s, dll.instances(1).expect("instances")).expect("set-up");
    let mut broken = DownOwnerNotHeld(ModelSide::new(&s).expect("set-up"));
    let report = replay(&s, &mut [&mut imp as &mut dyn Side, &mut broken]);
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    let f = &report.failures[0];
    assert_eq!((f.step, f.kind), (0, FailureKind::Divergence), "{f}");
    assert!(f.what.contains("which groups are held"), "{f}");
    assert_eq!(f.produced[0], ("impl", "g1: held".to_owned()));
    assert_eq!(f.produced[1], ("model", "g1: not held".to_owned()));
}
