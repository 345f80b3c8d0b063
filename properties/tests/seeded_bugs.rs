//! Non-vacuity of conformance (issue 5): each seeded bug ([`SeededBug`], feature
//! `seeded-bugs`, enabled for this crate's tests only) is switched on through the lockstep
//! `tweak`, and the *same* conformance the suite runs — random lockstep on
//! [`conformance::fixtures`] with [`budget::cases`] cases of up to 24 steps, and every model
//! path of [`ModelConfig::default`] up to [`budget::depth`] — must catch it under the default
//! budget (the swarm generator of issue 10, with no weights tuned to these bugs; the default
//! cases were raised from 64 to 256 for it, because swarm testing first catches the two
//! return-leg bugs at case 105 with the default seed). Budgets are counts: the wall clock
//! (OFFLINE_V2_SECONDS) is only a safety cap, and a run it stops says so. Each test prints the shrunk failure as a SPEC §7 scenario (stdout only; nothing is
//! written to `properties/regressions/`) and how quickly it was caught. The control test runs
//! the same with [`SeededBug::None`] and must pass.
//!
//! Run with `cargo test -p offline-v2-properties --test seeded_bugs -- --nocapture` to see
//! the scenarios.

use offline_v2_properties::seeded_table::{lockstep_cell, write_rows, Measure, SeededRow};
use std::time::Instant;

use offline_v2::abi::types::control_op;
use offline_v2::loader::LoadedDll;
use offline_v2::seeded::SeededBug;
use offline_v2::types::{ErrorCode, NodeId};
use offline_v2_model::config::ModelConfig;
use offline_v2_properties::budget;
use offline_v2_properties::conformance::{
    self, fixtures, lockstep_guarded, regression, run_exhaustive, run_random, scenario_of_setup,
    LockstepDll,
};
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::scenario::{Scenario, Step};

/// Random steps per case, as the suite's own conformance test.
const MAX_LEN: usize = 24;

fn dll() -> LoadedDll {
    LoadedDll::open_built().expect("the reference cdylib is built")
}

/// Panics raised by `Cluster`'s debug invariants during a seeded run are expected (they are
/// one way a bug is caught); keep them off stderr. Every other panic is printed as before.
fn quiet_cluster_invariant_panics() {
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

fn utf16(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

/// Switches `bug` on in a fresh implementation: host bugs on the `Cluster`, the DLL bug in
/// every node's instance through the control export (SPEC §1a, op SEEDED_BUG).
fn switch_on(bug: SeededBug, imp: &mut ImplSide<LockstepDll>) {
    imp.cluster_mut().set_seeded_bug(bug);
    let (nodes, _, _) = imp.cluster().counts();
    let name = utf16(if bug.in_dll() {
        bug.name()
    } else {
        SeededBug::None.name()
    });
    for n in 0..nodes {
        let node = NodeId(u8::try_from(n).unwrap_or(u8::MAX));
        // Checked once up front (`dll_accepts_seeded_bugs`); a refusal here would make the
        // DLL bug silently absent, which that check rules out.
        let _ = imp
            .cluster()
            .dll(node)
            .send_control_raw(control_op::SEEDED_BUG, &name);
    }
}

/// The loaded cdylib must be the feature build (else the DLL bug could not be switched on,
/// and its test would prove nothing).
fn dll_accepts_seeded_bugs(dll: &LoadedDll) {
    let instance = dll.instance().expect("an instance");
    let answer = instance.send_control_raw(
        control_op::SEEDED_BUG,
        &utf16(SeededBug::ReservedIgnored.name()),
    );
    assert_eq!(
        answer,
        ErrorCode::ERROR_SUCCESS,
        "the loaded cdylib {} is not a `seeded-bugs` build (answer {answer}); rebuild with \
         `cargo test -p offline-v2-properties`",
        dll.path().display()
    );
    assert_eq!(
        instance.send_control_raw(control_op::SEEDED_BUG, &utf16("NoSuchBug")),
        ErrorCode::ERROR_INVALID_PARAMETER
    );
}

/// How one bug fared under the default budget.
struct Hunt {
    lines: Vec<String>,
    /// The smallest failure found.
    smallest: Option<Smallest>,
}

/// A failure kept by a hunt.
struct Smallest {
    setup: Scenario,
    steps: Vec<Step>,
    reason: String,
    /// Where it was found ("random case N on <fixture>, shrunk", "model path N (depth D)").
    input: String,
    /// How to replay it (the seed of a random case).
    replay: Option<String>,
}

fn hunt(bug: SeededBug) -> Hunt {
    quiet_cluster_invariant_panics();
    let dll = dll();
    dll_accepts_seeded_bugs(&dll);
    let tweak = move |imp: &mut ImplSide<LockstepDll>| switch_on(bug, imp);
    let mut hunt = Hunt {
        lines: Vec::new(),
        smallest: None,
    };
    // A failure counts only if it is the bug's: the shrunk steps must agree without it (this
    // rules out a divergence the suite also finds with no bug, such as an open finding).
    let attributable = |setup: &Scenario, steps: &[Step]| {
        lockstep_guarded(setup, steps, &dll, &|imp| switch_on(SeededBug::None, imp))
            .is_ok_and(|(report, _)| report.passed())
    };
    let mut keep = |found: Smallest| {
        if !attributable(&found.setup, &found.steps) {
            return false;
        }
        if hunt
            .smallest
            .as_ref()
            .is_none_or(|s| found.steps.len() < s.steps.len())
        {
            hunt.smallest = Some(found);
        }
        true
    };
    let mut lines = Vec::new();
    let started = Instant::now();
    for setup in fixtures() {
        let out = run_random(
            &setup,
            &dll,
            budget::cases(),
            MAX_LEN,
            budget::deadline(),
            &tweak,
        );
        let capped = if out.complete {
            String::new()
        } else {
            format!(
                " — INCOMPLETE: the safety cap OFFLINE_V2_SECONDS={} stopped it",
                budget::seconds().as_secs()
            )
        };
        let replay = Some(out.replay_hint());
        match (out.failure, out.caught_at) {
            (Some((steps, reason)), at) => {
                let len = steps.len();
                let own = keep(Smallest {
                    setup: setup.clone(),
                    steps,
                    reason,
                    input: format!(
                        "random case {} on {}, shrunk",
                        at.map_or_else(|| "?".to_owned(), |a| a.to_string()),
                        setup.name
                    ),
                    replay,
                });
                lines.push(format!(
                    "random on {}: caught at case {} of {} (cases incl. shrinking: {}), shrunk to {} steps{}",
                    setup.name,
                    at.map_or_else(|| "?".to_owned(), |a| a.to_string()),
                    budget::cases(),
                    out.cases,
                    len,
                    if own { "" } else { " — NOT the bug's: diverges without it too" }
                ));
            }
            (None, _) => lines.push(format!(
                "random on {}: not caught in {} cases{capped}",
                setup.name, out.cases
            )),
        }
    }
    let cfg = ModelConfig::default();
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    let out = run_exhaustive(
        &cfg,
        &setup,
        &dll,
        budget::depth(),
        budget::deadline(),
        &tweak,
    );
    match out.failure {
        Some((steps, reason)) => {
            let len = steps.len();
            let own = keep(Smallest {
                setup: setup.clone(),
                steps,
                reason,
                input: format!("model path {} (depth {})", out.replayed, out.depth),
                replay: None,
            });
            lines.push(format!(
                "model paths (depth {}): caught at path {} of {}, {} steps{}",
                out.depth,
                out.replayed,
                out.paths,
                len,
                if own {
                    ""
                } else {
                    " — NOT the bug's: diverges without it too"
                }
            ));
        }
        None => lines.push(format!(
            "model paths (depth {}): not caught in {} of {} paths",
            out.depth, out.replayed, out.paths
        )),
    }
    lines.push(format!("{:.1}s", started.elapsed().as_secs_f64()));
    hunt.lines = lines;
    hunt
}

/// Asserts the bug was caught, and prints how and the shrunk scenario.
fn caught(bug: SeededBug) {
    let hunt = hunt(bug);
    println!("seeded bug {}:", bug.name());
    for line in &hunt.lines {
        println!("  {line}");
    }
    let Some(Smallest {
        setup,
        steps,
        reason,
        input,
        replay,
    }) = hunt.smallest
    else {
        panic!(
            "seeded bug {} was NOT caught by the default budget:\n  {}",
            bug.name(),
            hunt.lines.join("\n  ")
        );
    };
    // The measured row of the seeded-bug table (reports/conformance.md).
    let row = SeededRow {
        side: "impl".into(),
        bug: bug.name().into(),
        column: "lockstep".into(),
        caught_by: Some(lockstep_cell(&reason)),
        steps: Some(steps.len()),
        measure: Some(Measure::Shrunk),
        input: Some(input),
        replay: replay.map(|r| r.trim_matches(['(', ')']).to_owned()),
    };
    write_rows(&format!("lockstep-{}", bug.name()), &[row]).expect("the row is written");
    let name = format!("seeded-{}-{}-steps", bug.name(), steps.len());
    let scenario = regression(&setup, &name, &steps);
    println!("  why: {}", reason.lines().next().unwrap_or_default());
    println!(
        "  shrunk scenario (SPEC §7; expectations are the model's answers):\n{}",
        scenario.to_text()
    );
}

#[test]
fn control_without_a_seeded_bug_the_same_runs_pass() {
    let dll = dll();
    dll_accepts_seeded_bugs(&dll);
    let tweak = |imp: &mut ImplSide<LockstepDll>| switch_on(SeededBug::None, imp);
    let mut failures = Vec::new();
    for setup in fixtures() {
        let out = run_random(
            &setup,
            &dll,
            budget::cases(),
            MAX_LEN,
            budget::deadline(),
            &tweak,
        );
        println!("control random on {}: {} cases", setup.name, out.cases);
        if !out.complete {
            failures.push(format!(
                "{}: the safety cap stopped it after {} of {} cases (budgets are counts)",
                setup.name,
                out.cases,
                budget::cases()
            ));
        }
        if let Some((steps, reason)) = out.failure {
            failures.push(format!("{}: {reason}\nsteps: {steps:?}", setup.name));
        }
    }
    let cfg = ModelConfig::default();
    let setup = scenario_of_setup(&cfg.setup, "model-default");
    let out = run_exhaustive(
        &cfg,
        &setup,
        &dll,
        budget::depth(),
        budget::deadline(),
        &tweak,
    );
    println!(
        "control model paths (depth {}): {} of {} replayed",
        out.depth, out.replayed, out.paths
    );
    if !out.complete {
        failures.push(format!(
            "the safety cap stopped the model paths after {} (budgets are counts)",
            out.replayed
        ));
    }
    if let Some((steps, reason)) = out.failure {
        failures.push(format!("model path: {reason}\nsteps: {steps:?}"));
    }
    assert!(
        failures.is_empty(),
        "the control run diverged without a seeded bug:\n{}",
        failures.join("\n")
    );
}

#[test]
fn r12_r17_no_do_not_update_on_return_leg_is_caught() {
    caught(SeededBug::NoDoNotUpdateOnReturnLeg);
}

#[test]
fn r11_persistent_write_on_move_is_caught() {
    caught(SeededBug::PersistentWriteOnMove);
}

#[test]
fn r14_r18_second_completion_after_cancel_is_caught() {
    caught(SeededBug::SecondCompletionAfterCancel);
}

#[test]
fn r4_r13_locked_without_ignore_is_caught() {
    caught(SeededBug::LockedWithoutIgnore);
}

#[test]
fn r1_r12_returning_with_return_to_source_is_caught() {
    caught(SeededBug::ReturningWithReturnToSource);
}

#[test]
fn r10_r20_owner_lost_on_crash_is_caught() {
    caught(SeededBug::OwnerLostOnCrash);
}

#[test]
fn r1_reserved_ignored_in_the_dll_is_caught() {
    caught(SeededBug::ReservedIgnored);
}

#[test]
fn r19_timeout_off_by_one_is_caught() {
    caught(SeededBug::TimeoutOffByOne);
}

#[test]
fn every_seeded_bug_has_a_test_and_a_name() {
    for bug in SeededBug::ALL {
        assert_eq!(SeededBug::from_name(bug.name()), Some(bug));
        assert_ne!(bug, SeededBug::None);
    }
    assert_eq!(SeededBug::ALL.len(), 8);
    // Silence "unused" for the re-exported module path used in docs.
    let _ = conformance::FORGED_RESID;
}
