//! The `offline-v2` command line: help texts, exit codes on bad input, and a readable diff when
//! an expectation of a corpus file is edited (issue 6).

mod cli_common;
use cli_common::{bin, temp_dir, text};

use std::path::{Path, PathBuf};
use std::process::Output;

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

#[test]
fn every_subcommand_explains_itself_with_an_example() {
    for sub in ["verify", "check", "replay", "explore", "schema"] {
        let o = run(&[sub, "--help"]);
        let (out, _) = text(&o);
        assert!(o.status.success(), "{sub} --help fails");
        assert!(
            out.contains("Example:"),
            "{sub} --help has no example:\n{out}"
        );
    }
    let (out, _) = text(&run(&["--help"]));
    for sub in ["verify", "check", "replay", "explore", "schema"] {
        assert!(out.contains(sub), "top-level help lists {sub}");
    }
}

#[test]
fn a_malformed_scenario_exits_2_with_file_and_json_path_and_runs_nothing() {
    let dir = temp_dir("malformed");
    let good = dir.join("a-good.json");
    std::fs::copy(corpus("r12-r17-spec-example-return-to-source.json"), &good).expect("copy");
    let bad = dir.join("b-bad.json");
    std::fs::write(
        &bad,
        r#"{"nodes":["n1","n2"],"groups":[{"name":"g1","owner":"n1","resources":[{"name":"vm1","persistent":"online"}]}],
            "steps":[{"call":"move_group","group":"g1","dest":"n2","flags":["RETURN_TO_SOURCE"]}]}"#,
    )
    .expect("write");
    let o = run(&["replay", dir.to_str().expect("utf-8")]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        err.contains("b-bad.json") && err.contains("$.steps[0].flags[0]"),
        "{err}"
    );
    assert!(err.contains("unknown flag \"RETURN_TO_SOURCE\""), "{err}");
    assert!(
        !out.contains("ok "),
        "nothing may run before every file is valid:\n{out}"
    );
    for (content, path) in [
        ("{ not json", "$ (line 1"),
        (
            r#"{"nodes":["n1"],"groups":[],"steps":[{"event":"crash_node","node":"n7"}]}"#,
            "$.steps[0].node",
        ),
        (
            r#"{"nodes":["n1"],"groups":[],"steps":[{"event":"tick","ms":-1}]}"#,
            "$.steps[0].ms",
        ),
        (
            r#"{"nodes":["n1"],"groups":[],"steps":[{"call":"online_resource","resource":"x","expect":"ERROR_NOPE"}]}"#,
            "$.steps[0].expect",
        ),
    ] {
        std::fs::write(&bad, content).expect("write");
        let o = run(&["replay", bad.to_str().expect("utf-8")]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{content}: {err}");
        assert!(err.contains(path), "{content}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn editing_one_expectation_makes_replay_fail_with_a_readable_diff() {
    let dir = temp_dir("edited");
    let original = std::fs::read_to_string(corpus("r12-r17-spec-example-return-to-source.json"))
        .expect("read");
    // The first leg's flags, as the SPEC lists them, with DO_NOT_UPDATE removed.
    let edited = original.replacen(
        r#""dest": "n2", "flags": ["RETURN_TO_SOURCE_NODE_ON_ERROR", "DO_NOT_UPDATE_PERSISTENT_STATE"]"#,
        r#""dest": "n2", "flags": ["RETURN_TO_SOURCE_NODE_ON_ERROR"]"#,
        1,
    );
    assert_ne!(edited, original, "the edit applies");
    let file = dir.join("edited.json");
    std::fs::write(&file, edited).expect("write");
    let o = run(&["replay", file.to_str().expect("utf-8")]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("step 5: check_calls — diverged: impl, model"),
        "{out}"
    );
    assert!(
        out.contains("n1: OfflineV2(vm1, dest n2, [RETURN_TO_SOURCE_NODE_ON_ERROR])"),
        "the expectation is shown:\n{out}"
    );
    assert!(
        out.contains("impl produced:")
            && out.contains("model produced:")
            && out.contains("[RETURN_TO_SOURCE_NODE_ON_ERROR|DO_NOT_UPDATE_PERSISTENT_STATE]"),
        "both sides' calls are shown:\n{out}"
    );
    assert!(out.contains("replay: 0 passed, 1 failed"), "{out}");
    // A `check` expectation edited the same way names the entry and both sides' views.
    let edited = original.replacen(r#""owner": {"g1": "n1"}"#, r#""owner": {"g1": "n2"}"#, 1);
    assert_ne!(edited, original, "the check edit applies");
    std::fs::write(&file, edited).expect("write");
    let o = run(&["replay", file.to_str().expect("utf-8")]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("step 4: owner g1 — diverged: impl, model"),
        "{out}"
    );
    assert!(
        out.contains("impl produced:\n    n1") && out.contains("model produced:\n    n1"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_corpus_replays_clean_through_the_command_line() {
    let o = run(&["replay", "--quiet", corpus("").to_str().expect("utf-8")]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn bad_command_lines_exit_2_with_a_message() {
    for args in [
        vec!["check", "--nodes", "9"],
        vec![
            "check",
            "--engine",
            "stateright",
            "--strategy",
            "bfs",
            "--symmetry",
        ],
        vec!["check", "--bug", "no-such-bug"],
        vec!["replay"],
        vec!["replay", "/nonexistent/scenarios"],
        vec!["frobnicate"],
    ] {
        let o = run(&args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.trim().is_empty(), "{args:?} says why");
    }
    // A malformed budget variable is bad input too, and nothing runs.
    let o = bin()
        .args(["verify", "--quiet"])
        .env("OFFLINE_V2_DEPTH", "deep")
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(err.contains("OFFLINE_V2_DEPTH=\"deep\""), "{err}");
    assert!(out.is_empty(), "nothing ran: {out}");
    // A resource DLL that cannot be loaded is bad input.
    let o = run(&[
        "replay",
        "--dll",
        "/nonexistent/lib.so",
        "properties/scenarios",
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("/nonexistent/lib.so does not exist"), "{err}");
}

#[test]
fn check_finds_and_emits_a_counterexample_of_a_broken_model() {
    let dir = temp_dir("check");
    let file = dir.join("cx.json");
    let o = run(&[
        "check",
        "--bug",
        "ReturnLegWithoutDnu",
        "--emit-scenario",
        file.to_str().expect("utf-8"),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        out.contains("FAILS    always     R12 exact OfflineV2 flags"),
        "{out}"
    );
    assert!(
        out.contains("counterexample of \"R12 exact OfflineV2 flags\"")
            && out.contains("      1. "),
        "a numbered trace:\n{out}"
    );
    // The state after each step (only what changed, with names), the outputs with flag
    // names, and the violated property named.
    assert!(out.contains("group g1 owner: n1 → n2"), "{out}");
    assert!(
        out.contains("n2: OfflineV2(r2, dest n1, [RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR])"),
        "{out}"
    );
    assert!(
        out.contains("violated: R12 exact OfflineV2 flags (always)"),
        "{out}"
    );
    // The emitted scenario replays (its expectations are the real model's, so it passes on
    // the real implementation): the counterexample path itself is legal input.
    assert!(Path::new(&file).exists());
    let o = run(&["replay", file.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", text(&o).0);
    // The file names its origin, and on the broken model it fails where it diverges.
    let written = std::fs::read_to_string(&file).expect("read");
    assert!(
        written.contains("counterexample of \\\"R12 exact OfflineV2 flags\\\"")
            && written.contains("--bug ReturnLegWithoutDnu")
            && written.contains("2 nodes, 1 group(s)"),
        "{written}"
    );
    let o = run(&[
        "replay",
        "--bug",
        "ReturnLegWithoutDnu",
        file.to_str().expect("utf-8"),
    ]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("impl and model disagree on the DLL calls"),
        "{out}"
    );
    assert!(
        out.contains("[RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR]) = "),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_json_reports_every_phase_and_holds() {
    let o = bin()
        .args(["verify", "--json"])
        .env("OFFLINE_V2_CASES", "4")
        .env("OFFLINE_V2_DEPTH", "1")
        .output()
        .expect("the binary runs");
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("--json prints JSON only");
    assert_eq!(v["status"], "passed", "{out}");
    assert_eq!(v["exit_code"], 0, "{out}");
    let phases = v["phases"].as_array().expect("phases");
    let ids: Vec<&str> = phases.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, ["model_check", "conformance", "corpus"], "{out}");
    assert!(phases.iter().all(|p| p["status"] == "passed"), "{out}");
    assert!(
        phases[0]["covered"]["unique_states"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{out}"
    );
    assert_eq!(
        phases[1]["covered"]["cases"], 8,
        "4 cases on each of 2 fixtures: {out}"
    );
}

#[test]
fn check_model_check_json_is_the_input_of_the_reports_tool() {
    // scripts/model-table.sh collects these documents (reports/README.md, schema 1).
    let o = run(&["check", "--model-check-json"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["schema"], 1, "{out}");
    assert_eq!(v["runs"][0]["complete"], true, "{out}");
    assert!(
        v["runs"][0]["unique_states"]
            .as_u64()
            .is_some_and(|n| n > 1000),
        "{out}"
    );
    assert!(
        v["properties"].as_array().is_some_and(|p| p.len() >= 10),
        "{out}"
    );
    let o = run(&["check", "--model-check-json", "--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o).1);
}

/// `verify --trace FILE` writes the JSON-lines trace of its random cases, model paths and corpus phase
/// (docs/trace-format.md, the writer of `replay --trace`), and `offline-v2 monitor` holds on it (SPEC §6 monitors);
/// the same trace with one DO_NOT_UPDATE bit of a move's OfflineV2 removed fails R12 (exit 1),
/// so the check is not vacuous on this trace.
#[test]
fn verify_trace_passes_monitor_and_fails_it_when_one_flag_bit_is_edited() {
    let dir = temp_dir("verify-trace");
    let trace = dir.join("verify.jsonl");
    let o = bin()
        .args(["verify", "--quiet", "--trace"])
        .arg(&trace)
        .env("OFFLINE_V2_CASES", "4")
        .env("OFFLINE_V2_DEPTH", "1")
        .env("CARGO_TARGET_DIR", &dir)
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let text_of_trace = std::fs::read_to_string(&trace).expect("verify wrote the trace");
    let headers = text_of_trace
        .lines()
        .filter(|l| l.starts_with("{\"trace\""))
        .count();
    // One header per corpus scenario and per model path (depth 1: 26 paths of model-default).
    let paths = text_of_trace
        .lines()
        .filter(|l| l.starts_with("{\"trace\"") && l.contains("model-default"))
        .count();
    assert!(
        paths > 0 && headers > paths,
        "corpus and model paths: {headers}, {paths}"
    );
    // And one header per random lockstep case as generated: OFFLINE_V2_CASES=4 on each
    // conformance fixture (a passing run runs every planned case), each followed by its
    // records (a case has at least one step).
    let random: Vec<usize> = text_of_trace
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("{\"trace\"") && l.contains(" random case "))
        .map(|(i, _)| i)
        .collect();
    let fixtures = offline_v2_properties::conformance::fixtures();
    assert_eq!(random.len(), 4 * fixtures.len(), "random cases traced");
    for f in &fixtures {
        for case in 1..=4 {
            let name = format!("\"name\":\"{} random case {case}\"", f.name);
            assert!(text_of_trace.contains(&name), "{name} is in the trace");
        }
    }
    let lines: Vec<&str> = text_of_trace.lines().collect();
    assert!(
        random.iter().all(|&i| lines
            .get(i + 1)
            .is_some_and(|l| l.starts_with("{\"index\""))),
        "every random case has records"
    );
    let o = run(&["monitor", trace.to_str().expect("utf-8")]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("every monitor held"), "{out}");

    let mut edited = Vec::new();
    let mut done = false;
    for line in text_of_trace.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
        if !done && v.get("trace").is_none() {
            if let Some(outs) = v["outputs"].as_array_mut() {
                for o in outs {
                    let flags = o["flags"].as_u64().unwrap_or(0);
                    if o["out"] == "call" && o["entry"] == "OfflineV2" && flags & 0x42 == 0x42 {
                        o["flags"] = (flags ^ 0x40).into();
                        done = true;
                        break;
                    }
                }
            }
        }
        edited.push(v.to_string());
    }
    assert!(
        done,
        "the corpus trace has a move's OfflineV2 with DO_NOT_UPDATE"
    );
    let bad = dir.join("edited.jsonl");
    std::fs::write(&bad, edited.join("\n")).expect("write");
    let o = run(&["monitor", bad.to_str().expect("utf-8")]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("R12 violated at step"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
