//! Issue 14, first list: budgets are limits, bad input is an error and never a panic, empty
//! inputs are "nothing ran" (exit 4), a run stopped by its budget is "incomplete" (exit 3) and
//! says what it covered. The time checks are limits with a generous margin for a shared
//! machine, never benchmarks.

mod cli_common;
use cli_common::{bin, json_of, temp_dir, text};

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs `cmd`, returning its output and wall-clock time.
fn timed(cmd: &mut Command) -> (Output, Duration) {
    let started = Instant::now();
    let o = cmd.output().expect("the binary runs");
    (o, started.elapsed())
}

/// The generous allowance on top of 10% of a limit: process start, loading the DLL, draining
/// the checker, on a shared 2-core machine.
const SLACK: Duration = Duration::from_secs(3);

#[test]
fn verify_stops_at_its_time_limit_and_reports_incomplete_with_what_it_covered() {
    // The run: far more cases than fit; it printed nothing for 200 s before.
    let limit = Duration::from_secs(6);
    let dir = temp_dir("deadline");
    let (o, took) = timed(
        bin()
            .args(["verify", "--json"])
            .env("OFFLINE_V2_CASES", "4000000000")
            .env("OFFLINE_V2_SECONDS", "6")
            .env("CARGO_TARGET_DIR", &dir),
    );
    let (out, err) = text(&o);
    assert!(
        took <= limit + limit / 10 + SLACK,
        "took {took:?} for a {limit:?} limit\n{err}"
    );
    assert_eq!(o.status.code(), Some(3), "incomplete:\n{out}\n{err}");
    let v = json_of(&out);
    assert_eq!(v["status"], "incomplete", "{out}");
    let conformance = &v["phases"][1];
    assert_eq!(conformance["status"], "incomplete", "{out}");
    let reason = conformance["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("time limit reached after") && reason.contains("/8000000000 random cases"),
        "{reason}"
    );
    assert!(
        conformance["covered"]["cases"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{out}"
    );
    // Nothing failed, so nothing says FAIL.
    assert!(!out.contains("\"status\": \"failed\""), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deep_exhaustive_paths_stop_at_the_deadline_instead_of_failing() {
    // OFFLINE_V2_DEPTH=40 took 31.6 s and 3.1 GB, then printed FAIL with no reason.
    let limit = Duration::from_secs(5);
    let dir = temp_dir("depth");
    let (o, took) = timed(
        bin()
            .args(["verify", "--quiet"])
            .env("OFFLINE_V2_CASES", "1")
            .env("OFFLINE_V2_DEPTH", "40")
            .env("OFFLINE_V2_SECONDS", "5")
            .env("CARGO_TARGET_DIR", &dir),
    );
    let (out, err) = text(&o);
    assert!(took <= limit + limit / 10 + SLACK, "took {took:?}\n{err}");
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    assert!(
        out.contains("INCOMPLETE") && out.contains("model paths of depth 40 (not all)"),
        "{out}"
    );
    assert!(!out.contains("FAIL "), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_obeys_its_time_state_and_memory_limits() {
    // `--calls 255 --timeout 5` ran 150 s with 8.7 GB before.
    let (o, took) = timed(bin().args(["check", "--calls", "255", "--timeout", "2", "--json"]));
    let (out, err) = text(&o);
    let limit = Duration::from_secs(2);
    assert!(took <= limit + limit / 10 + SLACK, "took {took:?}\n{err}");
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    let v = json_of(&out);
    let phase = &v["phases"][0];
    assert!(
        phase["reason"]
            .as_str()
            .is_some_and(|r| r.contains("time limit of 2 s reached")),
        "{out}"
    );
    // An incomplete run decides nothing it did not see: no `always` property "holds".
    let props = phase["properties"].as_array().expect("properties");
    assert!(
        props
            .iter()
            .filter(|p| p["kind"] == "always")
            .all(|p| p["verdict"] == "unknown"),
        "{out}"
    );

    let o = bin()
        .args(["check", "--calls", "255", "--max-states", "5000", "--json"])
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    let v = json_of(&out);
    let unique = v["phases"][0]["covered"]["unique_states"]
        .as_u64()
        .expect("count");
    assert!(unique >= 5000, "{out}");
    assert!(
        v["phases"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("state limit of 5000 unique states reached")),
        "{out}"
    );

    // The native checker keeps 8-byte fingerprints: 64 MiB is about 2 M states of this
    // configuration (7 s with 2 threads).
    let o = bin()
        .args([
            "check",
            "--nodes",
            "3",
            "--groups",
            "2",
            "--calls",
            "4",
            "--faults",
            "2",
            "--threads",
            "2",
            "--max-memory",
            "64",
            "--timeout",
            "300",
            "--json",
        ])
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    assert!(out.contains("memory limit of 64 MiB reached"), "{out}");

    // stateright's checker too is stopped at the deadline (its own timeout alone let a single
    // BFS thread run on, U2).
    let (o, took) = timed(bin().args([
        "check",
        "--engine",
        "stateright",
        "--strategy",
        "bfs",
        "--calls",
        "255",
        "--timeout",
        "2",
        "--json",
    ]));
    let (out, err) = text(&o);
    assert!(took <= limit + limit / 10 + SLACK, "took {took:?}\n{err}");
    assert_eq!(o.status.code(), Some(3), "{out}\n{err}");
    assert!(out.contains("time limit of 2 s reached"), "{out}");
}

#[test]
fn the_former_panics_exit_2_with_a_message() {
    let o = bin()
        .args(["verify", "--quiet"])
        .env("OFFLINE_V2_SECONDS", "18446744073709551615")
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(
        err.contains("OFFLINE_V2_SECONDS") && err.contains("out of range"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.is_empty(), "nothing ran: {out}");

    // A busy port.
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
    let port = taken.local_addr().expect("addr").port().to_string();
    let o = bin()
        .args(["explore", "--port", &port])
        .output()
        .expect("runs");
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot listen on 127.0.0.1:") && !err.contains("panicked"),
        "{err}"
    );

    for (args, says) in [
        (
            vec!["verify", "--profile", "nightly"],
            "no profile \"nightly\"",
        ),
        (vec!["check", "--timeout", "0"], "--timeout"),
        (vec!["check", "--threads", "0"], "--threads"),
        (vec!["check", "--max-memory", "1"], "--max-memory"),
    ] {
        let o = bin().args(&args).output().expect("runs");
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn empty_inputs_exit_with_the_nothing_ran_code() {
    let empty = temp_dir("empty");
    let o = bin()
        .args(["replay", empty.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(4), "{out}");
    assert!(out.contains("nothing ran: no scenario file in"), "{out}");

    let target = temp_dir("empty-target");
    let o = bin()
        .args([
            "verify",
            "--quiet",
            "--scenarios",
            empty.to_str().expect("utf-8"),
        ])
        .env("OFFLINE_V2_CASES", "2")
        .env("OFFLINE_V2_DEPTH", "1")
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(4), "{out}\n{err}");
    assert!(
        out.contains("EMPTY") && out.contains("no scenario file in"),
        "{out}"
    );
    assert!(!out.contains("FAIL"), "{out}");
    // Its reports went to the target directory given (the one `reports` reads).
    assert!(target.join("reports/model-check.json").is_file());
    assert!(target.join("reports/conformance.json").is_file());
    let _ = std::fs::remove_dir_all(&empty);
    let _ = std::fs::remove_dir_all(&target);
}

#[test]
fn the_profile_file_sets_the_budget_and_variables_override_it() {
    let o = bin()
        .args(["profile", "--profile", "ci", "--shell"])
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("export OFFLINE_V2_PROFILE=ci\n")
            && out.contains("export OFFLINE_V2_CASES=512\n")
            && out.contains("export OFFLINE_V2_MODEL_LARGE=1\n"),
        "{out}"
    );
    let o = bin()
        .args(["profile", "--profile", "ci", "--shell"])
        .env("OFFLINE_V2_CASES", "9")
        .output()
        .expect("runs");
    let (out, _) = text(&o);
    assert!(out.contains("export OFFLINE_V2_CASES=9\n"), "{out}");
}
