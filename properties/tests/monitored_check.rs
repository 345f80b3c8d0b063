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
use std::collections::HashMap;

use offline_v2_properties::monitors::checked::{
    check, rule_of_property, shortest, Checked, Limits, Monitored, Summary, Watched,
};
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

/// Whether some path of at most `depth` actions from the initial state reaches a state that
/// breaks a monitor (the system's own checks left out): an iterative-deepening search written
/// apart from stateright's checkers (a state is expanded again only when reached with more
/// depth left than before), to cross-check that the BFS counterexamples of the seeded-bug
/// table (P7) are shortest.
fn a_monitor_breaks_within<C: Checked>(m: &Monitored<C>, depth: usize) -> bool {
    let monitors: Vec<_> = m
        .properties()
        .into_iter()
        .filter(|p| rule_of_property(p.name) != "own")
        .collect();
    let mut best: HashMap<Watched<C::State>, usize> = HashMap::new();
    let mut stack: Vec<(Watched<C::State>, usize)> =
        m.init_states().into_iter().map(|s| (s, depth)).collect();
    while let Some((s, left)) = stack.pop() {
        if monitors.iter().any(|p| !(p.condition)(m, &s)) {
            return true;
        }
        if left == 0 || best.get(&s).is_some_and(|&l| l >= left) {
            continue;
        }
        best.insert(s.clone(), left);
        let mut actions = Vec::new();
        m.actions(&s, &mut actions);
        for a in actions {
            if let Some(next) = m.next_state(&s, a) {
                stack.push((next, left - 1));
            }
        }
    }
    false
}

fn seeded(bug: SeededBug) -> Monitored<ImplSystem> {
    let mut system = ImplSystem::new(small()).expect("the set-up is valid");
    system.initial_mut().set_seeded_bug(bug);
    system.monitored()
}

/// The length of the shortest monitor counterexample [`shortest`] (plain BFS) reports.
fn bfs_length(bug: SeededBug) -> usize {
    shortest(&seeded(bug), 2_000_000)
        .shortest_by_monitor()
        .map(|b| b.path.len())
        .expect("a monitor catches the bug")
}

/// The BFS lengths of the seeded-bug table (P7) are shortest: the independent search finds a
/// monitor broken within that many steps and not within one fewer. The cross-check is not
/// vacuous: it refutes the counterexample stateright's own BFS checker reports for the same
/// bug (`check`; stateright 0.31 replaces an `always` discovery with later, longer paths,
/// M6) as a shortest one.
#[test]
fn the_bfs_counterexamples_are_shortest_and_stateright_ones_need_not_be() {
    for bug in [
        SeededBug::PersistentWriteOnMove,
        SeededBug::NoDoNotUpdateOnReturnLeg,
        SeededBug::TimeoutOffByOne,
    ] {
        let n = bfs_length(bug);
        let m = seeded(bug);
        assert!(a_monitor_breaks_within(&m, n), "{}: within {n}", bug.name());
        assert!(
            !a_monitor_breaks_within(&m, n - 1),
            "{}: BFS said {n} steps, a shorter counterexample exists",
            bug.name()
        );
    }
    // The broken variant: stateright's BFS discovery for the same bug.
    let bug = SeededBug::PersistentWriteOnMove;
    let stateright_len = check(seeded(bug), limits())
        .broken
        .iter()
        .filter(|b| b.rule != "own")
        .map(|b| b.path.len())
        .min()
        .expect("stateright finds a monitor counterexample");
    println!(
        "{}: plain BFS {} steps, stateright's BFS {stateright_len}",
        bug.name(),
        bfs_length(bug)
    );
    assert!(
        a_monitor_breaks_within(&seeded(bug), stateright_len - 1),
        "stateright's {stateright_len} steps would pass as shortest"
    );
}
