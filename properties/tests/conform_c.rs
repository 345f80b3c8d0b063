//! `offline-v2 conform` on a resource DLL written in C (`examples/c-resource`, built with its
//! Makefile): the correct build passes, and every deliberately broken build fails naming the
//! rule it breaks, with a shrunk reproducer that fails the same way on a fresh load.

mod conform_common;

use conform_common::{c_args, c_dll, c_variants, conform, conform_with, out_dir, text};
use offline_v2_properties::cli::conform::Reproducer;
use offline_v2_properties::conform::Rule;

/// Each `-DBUG_…` build of `c_resource.c` and the rule it breaks (the comment at its
/// `#ifdef` says why).
const VARIANTS: [(&str, Rule); 16] = [
    ("RESERVED_IGNORED", Rule::R1),
    ("UNBOUNDED_DEST_SCAN", Rule::R1),
    ("RESID_IS_POINTER", Rule::R2),
    ("RESID_REUSED", Rule::R2),
    ("OFFLINE_RESTARTS", Rule::R3),
    ("IGNORE_0x01_WHEN_LOCKED", Rule::R4),
    ("LOCK_NOT_REPORTED", Rule::R4),
    ("UNREACHABLE_IGNORES_0x20", Rule::R5),
    ("RETRY_WITH_0x01", Rule::R6),
    ("TWO_CALLBACKS", Rule::R7),
    ("NO_ONLINE_CALLBACK", Rule::R7),
    ("ONLINE_RESERVED_IGNORED", Rule::R8),
    ("TERMINATE_WAITS_UNDER_LOCK", Rule::R8),
    ("LOCK_BEFORE_STATE", Rule::R9),
    ("RESID_BEFORE_VALIDATION", Rule::R9),
    ("ONLINE_CHECKS_LOCK", Rule::R9),
];

#[test]
fn every_variant_the_makefile_builds_has_a_test_and_every_rule_a_variant() {
    let mut built = c_variants();
    built.sort();
    let mut tested: Vec<String> = VARIANTS.iter().map(|(v, _)| (*v).to_owned()).collect();
    tested.sort();
    assert_eq!(built, tested);
    for rule in Rule::ALL {
        assert!(
            VARIANTS.iter().any(|(_, r)| *r == rule),
            "no C variant breaks {rule}"
        );
    }
}

#[test]
fn the_correct_c_dll_passes() {
    let dll = c_dll(None);
    let out = out_dir("c-correct");
    let o = conform(&c_args(&dll.to_string_lossy(), &out.to_string_lossy()));
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("conform: R1-R9 held"), "{stdout}");
    assert!(
        stdout.contains(&dll.display().to_string()),
        "the DLL path is printed"
    );
    assert!(stdout.contains("control export no"), "{stdout}");
    // Every phase ran, and the hidden environment showed up in the answers: the checker
    // allowed it rather than controlled it.
    for answer in [
        "OfflineV2 ERROR_CLUSTER_RESOURCE_LOCKED_STATUS",
        "OfflineV2 ERROR_RETRY",
        "OfflineV2 ERROR_HOST_UNREACHABLE",
        "OfflineV2 ERROR_IO_PENDING",
        "OnlineV2 ERROR_IO_PENDING",
        "OfflineV2 ERROR_INVALID_STATE",
    ] {
        assert!(stdout.contains(answer), "{answer} never seen:\n{stdout}");
    }
    assert!(!stdout.contains(" - "), "a phase did not run:\n{stdout}");
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).expect("trace written");
    assert!(trace.lines().count() > 1000, "the trace has every call");
}

#[test]
fn the_classic_startup_only_build_passes_and_says_what_it_cannot_check() {
    let dll = c_dll(Some("classic"));
    let out = out_dir("c-classic");
    let o = conform(&c_args(&dll.to_string_lossy(), &out.to_string_lossy()));
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("StartupEx no, Startup yes"), "{stdout}");
    assert!(
        stdout.contains("started with the classic Startup"),
        "{stdout}"
    );
}

/// Runs `variant` and checks the verdict, the rule, and the reproducer.
fn variant_fails_naming(variant: &str, rule: Rule) {
    let dll = c_dll(Some(variant));
    let out = out_dir(&format!("c-{variant}"));
    let (dll_text, out_text) = (dll.to_string_lossy(), out.to_string_lossy());
    let mut args = c_args(&dll_text, &out_text);
    let mut env = vec![];
    if variant == "TERMINATE_WAITS_UNDER_LOCK" {
        // Each replay of a hang costs the watchdog's time: a short one, fewer replays, and
        // work that is always still pending right after the call (so every replay hangs).
        for (option, value) in [("--hang-timeout", "1s"), ("--shrink-runs", "16")] {
            if let Some(i) = args.iter().position(|a| *a == option) {
                args[i + 1] = value;
            }
        }
        env.push(("CRES_MIN_DELAY_MS", "1"));
    }
    let o = conform_with(&args, &env);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{variant}:\n{stdout}\n{stderr}");
    let verdict = format!("conform: FAILED — {rule} at step");
    assert!(
        stdout.contains(&verdict),
        "{variant} must fail naming {rule}:\n{stdout}"
    );
    let repro: Reproducer = serde_json::from_str(
        &std::fs::read_to_string(out.join("repro.json")).expect("repro.json written"),
    )
    .expect("a reproducer");
    assert_eq!(repro.rule, rule);
    assert!(
        repro.reproduced,
        "{variant}: the reproducer failed on a fresh load"
    );
    assert!(
        !repro.plan.steps.is_empty() && repro.plan.steps.len() <= 16,
        "{variant}: the reproducer has {} steps",
        repro.plan.steps.len()
    );
    println!(
        "{variant}: {rule}, reproducer of {} steps",
        repro.plan.steps.len()
    );
}

macro_rules! variant_tests {
    ($($name:ident: $variant:literal,)*) => {$(
        #[test]
        fn $name() {
            let rule = VARIANTS
                .iter()
                .find(|(v, _)| *v == $variant)
                .map(|(_, r)| *r)
                .expect("listed in VARIANTS");
            variant_fails_naming($variant, rule);
        }
    )*};
}

variant_tests! {
    r1_reserved_ignored: "RESERVED_IGNORED",
    r1_unbounded_destination_scan_faults_on_the_guard_page: "UNBOUNDED_DEST_SCAN",
    r2_resid_is_a_pointer_and_a_forged_one_crashes: "RESID_IS_POINTER",
    r2_a_closed_resid_is_handed_out_again: "RESID_REUSED",
    r3_an_offline_resource_starts_work_again: "OFFLINE_RESTARTS",
    r4_ignores_0x01_when_locked: "IGNORE_0x01_WHEN_LOCKED",
    r4_locked_status_without_a_lock_report: "LOCK_NOT_REPORTED",
    r5_unreachable_despite_0x20: "UNREACHABLE_IGNORES_0x20",
    r6_retry_despite_0x01: "RETRY_WITH_0x01",
    r7_two_callbacks_for_one_pending_offline: "TWO_CALLBACKS",
    r7_a_pending_online_never_calls_back: "NO_ONLINE_CALLBACK",
    r8_online_does_not_validate_reserved: "ONLINE_RESERVED_IGNORED",
    r8_terminate_deadlocks_and_the_watchdog_reports_a_hang: "TERMINATE_WAITS_UNDER_LOCK",
    r9_lock_checked_before_the_state: "LOCK_BEFORE_STATE",
    r9_resid_looked_up_before_validation: "RESID_BEFORE_VALIDATION",
    r9_online_refuses_a_locked_resource: "ONLINE_CHECKS_LOCK",
}
