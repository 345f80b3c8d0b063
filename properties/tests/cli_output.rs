//! Issue 14, structured output: `--json` of verify, check and replay validated against the
//! committed JSON Schema (docs/report.schema.json), the JUnit file of `verify --junit` parsed,
//! and the plain progress lines without a terminal.

mod cli_common;
use cli_common::{bin, temp_dir, text};

use std::path::PathBuf;

fn schema() -> jsonschema::Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/report.schema.json");
    let text = std::fs::read_to_string(&path).expect("the committed schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

/// Parses `out` as JSON and validates it against the schema, printing every error.
fn valid(out: &str) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"));
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{out}", errors.join("\n"));
    v
}

#[test]
fn verify_json_matches_the_schema_and_its_junit_file_parses() {
    let dir = temp_dir("verify");
    let junit = dir.join("verify.xml");
    let o = bin()
        .args([
            "verify",
            "--json",
            "--junit",
            junit.to_str().expect("utf-8"),
        ])
        .env("OFFLINE_V2_CASES", "4")
        .env("OFFLINE_V2_DEPTH", "1")
        .env("CARGO_TARGET_DIR", &dir)
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let v = valid(&out);
    assert_eq!(v["budget"]["cases"], 4, "{out}");
    // The DLL it drove is in the report (path, resource type, exports).
    assert!(v["dll"]["path"].is_string(), "{out}");
    assert_eq!(v["dll"]["exports"]["control"], true, "{out}");
    let props = v["phases"][0]["properties"].as_array().expect("properties");
    assert!(props.len() >= 10, "{out}");
    assert!(props.iter().all(|p| p["verdict"] == "holds"), "{out}");

    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<&str> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(names, ["model_check", "conformance", "corpus"], "{xml}");
    let cases: usize = suites
        .iter()
        .map(|s| s.children().filter(|n| n.has_tag_name("testcase")).count())
        .sum();
    assert_eq!(
        root.attribute("tests").and_then(|t| t.parse().ok()),
        Some(cases),
        "{xml}"
    );
    assert_eq!(root.attribute("failures"), Some("0"), "{xml}");
    // One case per property and per corpus scenario.
    let corpus = suites[2]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(
        Some(corpus as u64),
        v["phases"][2]["covered"]["scenarios"].as_u64(),
        "{xml}"
    );
    assert!(xml.contains("name=\"always R10 single owner\""), "{xml}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_json_of_a_broken_model_names_the_property_and_shows_the_states() {
    let dir = temp_dir("check");
    let junit = dir.join("check.xml");
    let o = bin()
        .args([
            "check",
            "--bug",
            "RetryNeverFires",
            "--json",
            "--junit",
            junit.to_str().expect("utf-8"),
        ])
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    let v = valid(&out);
    let phase = &v["phases"][0];
    assert!(
        phase["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("violated: ")),
        "{out}"
    );
    let failing: Vec<&serde_json::Value> = phase["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .filter(|p| p["verdict"] == "fails")
        .collect();
    assert!(!failing.is_empty(), "{out}");
    // A failing `sometimes` has no path (no example anywhere); every other failure has one.
    assert!(failing.iter().any(|p| p["kind"] == "sometimes"), "{out}");
    for p in failing.iter().filter(|p| p["kind"] != "sometimes") {
        let steps = p["trace"]["steps"].as_array().expect("a trace");
        assert!(!steps.is_empty(), "{out}");
        // Every step is a SPEC §7 step (no Rust Debug text), with named changes.
        assert!(
            steps
                .iter()
                .all(|s| s["step"]["call"].is_string() || s["step"]["event"].is_string()),
            "{out}"
        );
        assert!(
            steps
                .iter()
                .any(|s| s["changes"].as_array().is_some_and(|c| !c.is_empty())),
            "{out}"
        );
    }
    // The liveness counterexample says which operation never completes.
    let live = failing
        .iter()
        .find(|p| {
            p["kind"] == "eventually"
                || p["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("bounded response"))
        })
        .expect("a liveness property fails");
    let never = live["trace"]["never_completes"]
        .as_array()
        .expect("never_completes");
    assert!(
        never.iter().any(|op| op
            .as_str()
            .is_some_and(|t| t.starts_with("op ") && t.contains("\"call\""))),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, failing.len(), "{xml}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_json_matches_the_schema_for_passing_and_failing_scenarios() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let file = corpus.join("r12-r17-spec-example-return-to-source.json");
    let o = bin()
        .args(["replay", "--json", file.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let v = valid(&out);
    assert!(v["dll"]["resource_type"].is_string(), "{out}");
    assert_eq!(v["phases"][0]["scenarios"][0]["status"], "passed", "{out}");

    let dir = temp_dir("replay");
    let edited = std::fs::read_to_string(&file).expect("read").replacen(
        r#""owner": {"g1": "n1"}"#,
        r#""owner": {"g1": "n2"}"#,
        1,
    );
    let bad = dir.join("edited.json");
    std::fs::write(&bad, edited).expect("write");
    let o = bin()
        .args(["replay", "--json", bad.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let v = valid(&out);
    let failure = &v["phases"][0]["scenarios"][0]["failures"][0];
    assert_eq!(failure["step"], 4, "{out}");
    assert_eq!(failure["what"], "owner g1", "{out}");
    assert!(
        failure["produced"]["impl"].is_string() && failure["produced"]["model"].is_string(),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_schema_rejects_what_it_should() {
    // Non-vacuity: the schema is not `true`.
    let validator = schema();
    let good = serde_json::json!({
        "schema": "offline-v2/report/1", "command": "replay", "status": "failed", "exit_code": 1,
        "seconds": 0.5, "phases": [{ "id": "replay", "title": "t", "status": "failed",
        "reason": "x.json", "seconds": 0.1, "covered": {"scenarios": 1}, "planned": {} }]
    });
    assert!(validator.is_valid(&good));
    for (pointer, value) in [
        ("/status", serde_json::json!("ok")),
        ("/exit_code", serde_json::json!(0)),
        ("/phases/0/covered/scenarios", serde_json::json!("1")),
        ("/phases/0/status", serde_json::json!("FAIL")),
    ] {
        let mut bad = good.clone();
        *bad.pointer_mut(pointer).expect("pointer") = value;
        assert!(!validator.is_valid(&bad), "{pointer} accepted");
    }
    let mut no_reason = good.clone();
    no_reason["phases"][0]
        .as_object_mut()
        .expect("object")
        .remove("reason");
    assert!(
        !validator.is_valid(&no_reason),
        "a failed phase without a reason"
    );
}

#[test]
fn without_a_terminal_check_prints_progress_lines() {
    let o = bin()
        .args(["check"])
        .env("OFFLINE_V2_PROGRESS_SECONDS", "0.2")
        .output()
        .expect("runs");
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("progress: check "))
        .collect();
    assert!(!lines.is_empty(), "{err}");
    for l in &lines {
        for field in ["elapsed=", " states=", " unique=", " rate="] {
            assert!(l.contains(field), "{field} in {l}");
        }
    }
    assert!(lines.last().is_some_and(|l| l.ends_with("(done)")), "{err}");
}
