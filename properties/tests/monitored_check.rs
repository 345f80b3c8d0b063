//! The SPEC §6 monitors as the properties of exhaustive model checks (issue 10): the
//! implementation itself (`Cluster` over the in-process reference DLL) and the model, through
//! the one wrapper `monitors::checked::Monitored`. Each check prints its state counts; each is
//! shown to fail on a deliberately broken variant with the monitor's rule named.
//!
//! Budgets: `OFFLINE_V2_MAX_STATES` and `OFFLINE_V2_SECONDS` bound every run
//! (`properties/src/budget.rs`); the configurations here finish well inside the defaults.

use offline_v2::seeded::SeededBug;
use offline_v2_model::{Bug, ModelConfig, Setup};
use offline_v2_properties::budget;
use offline_v2_properties::checked::{ImplSystem, ModelSystem};
use offline_v2_properties::monitors::checked::{check, Limits, Summary};
use stateright::{Checker, Model};

fn limits() -> Limits {
    let b = budget::current();
    Limits {
        max_states: b
            .max_states
            .and_then(|n| usize::try_from(n).ok())
            .or(Some(2_000_000)),
        timeout: Some(budget::seconds()),
    }
}

/// The small configuration the implementation is checked on in `cargo test`: 2 nodes, one
/// group of one resource (persistent Online, pending work), the default bounds (2 client
/// calls of the default flag sets, 1 fault of lock/busy/crash/embedded, failing work).
fn small() -> ModelConfig {
    ModelConfig {
        setup: Setup::uniform(2, 1, 1),
        ..ModelConfig::default()
    }
}

fn impl_check(
    cfg: ModelConfig,
    bug: SeededBug,
) -> Summary<offline_v2_properties::checked::ImplAction> {
    let mut system = ImplSystem::new(cfg).expect("the set-up is valid");
    system.initial_mut().set_seeded_bug(bug);
    check(system.monitored(), limits())
}

fn show<A: std::fmt::Debug>(what: &str, s: &Summary<A>) {
    println!(
        "{what}: unique states={}, states={}, depth={}, {:.2}s, complete={}",
        s.unique, s.states, s.depth, s.seconds, s.complete
    );
    for b in &s.broken {
        println!(
            "  broken: {} after {} steps: {}",
            b.property,
            b.path.len(),
            b.violation
                .as_ref()
                .map_or_else(|| "(own check)".to_owned(), ToString::to_string)
        );
    }
}

#[test]
fn the_implementation_passes_every_monitor_on_the_small_configuration() {
    let s = impl_check(small(), SeededBug::None);
    show(
        "impl model check (2 nodes, 1 group x 1 resource, 2 calls, 1 fault)",
        &s,
    );
    assert!(s.complete, "the small configuration is exhausted");
    assert!(s.broken.is_empty(), "{:?}", s.rules());
    assert!(s.unique > 100, "the check explored the configuration");
}

/// R11: a move writes persistent state (seeded host bug). The monitor names R11; the
/// implementation's own checks (I17) do not see it.
#[test]
fn the_implementation_check_catches_a_move_that_writes_persistent_state_as_r11() {
    let s = impl_check(small(), SeededBug::PersistentWriteOnMove);
    show("impl model check, seeded PersistentWriteOnMove", &s);
    assert_eq!(s.rules(), vec!["R11"]);
    let v = s.broken[0].violation.as_ref().expect("a monitor verdict");
    assert_eq!(v.rule, "R11");
    assert!(v.to_string().contains("R11 violated"), "{v}");
}

/// R12: the return leg's OfflineV2 lacks DO_NOT_UPDATE 0x40 (seeded host bug; needs a move
/// with RETURN_TO_SOURCE whose online on the destination fails: R17).
#[test]
fn the_implementation_check_catches_a_return_leg_without_0x40_as_r12() {
    let s = impl_check(small(), SeededBug::NoDoNotUpdateOnReturnLeg);
    show("impl model check, seeded NoDoNotUpdateOnReturnLeg", &s);
    assert!(s.rules().contains(&"R12"), "{:?}", s.rules());
    let b = s
        .broken
        .iter()
        .find(|b| b.rule == "R12")
        .expect("R12 broken");
    let v = b.violation.as_ref().expect("a monitor verdict");
    assert!(v.expected.contains("0x4"), "{v}");
}

#[test]
fn the_default_model_configuration_passes_every_monitor() {
    let cfg = ModelConfig::default();
    let plain = {
        let mut c = cfg.clone();
        c.witnesses = false;
        let t = std::time::Instant::now();
        let n = c.checker().spawn_bfs().join().unique_state_count();
        println!(
            "plain model (default configuration, BFS): unique states={n}, {:.2}s",
            t.elapsed().as_secs_f64()
        );
        n
    };
    let s = check(ModelSystem::new(cfg).expect("valid").monitored(), limits());
    show("model with the monitors (default configuration)", &s);
    println!(
        "unique states: plain model {plain}, with the monitors' state {}",
        s.unique
    );
    assert!(s.complete);
    assert!(s.broken.is_empty(), "{:?}", s.rules());
    assert!(
        s.unique >= plain,
        "the monitors' state only refines the model's"
    );
}

/// A model bug caught by the wrapped check with the monitor's rule named: a move writes
/// persistent Offline on its source (model `Bug::MoveUpdatesPersistent`, R11).
#[test]
fn the_wrapped_model_check_catches_a_model_bug_as_r11() {
    let cfg = ModelConfig::default().with_bug(Bug::MoveUpdatesPersistent);
    let s = check(ModelSystem::new(cfg).expect("valid").monitored(), limits());
    show("model with the monitors, Bug::MoveUpdatesPersistent", &s);
    assert!(s.rules().contains(&"R11"), "{:?}", s.rules());
    let b = s
        .broken
        .iter()
        .find(|b| b.rule == "R11")
        .expect("R11 broken");
    assert_eq!(b.violation.as_ref().map(|v| v.rule), Some("R11"));
}
