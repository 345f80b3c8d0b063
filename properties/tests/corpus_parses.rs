//! The public scenario corpus (`properties/scenarios/`, SPEC §7) is well formed: every file
//! parses, there are enough of them, every SPEC rule R1–R23 is exercised by at least one file
//! (named in its file name or its `description`), and every file states at least one
//! expectation (`expect`, `check`, `check_calls` or `check_completions`). The last test replays
//! the whole corpus on the implementation (the cluster over the in-process reference DLL, one
//! instance per node): `offline-v2 replay properties/scenarios` does the same through the
//! loaded cdylib.

use std::path::{Path, PathBuf};

use offline_v2::reference::ReferenceDll;
use offline_v2_properties::impl_side::ImplSide;
use offline_v2_properties::replay::{replay, Side};
use offline_v2_properties::scenario::{Scenario, Step};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("properties/scenarios exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// The `description` of a scenario file.
fn description(file: &Path) -> String {
    Scenario::load(file)
        .expect("parses")
        .description
        .unwrap_or_default()
}

/// Whether `text` names rule `rule` (e.g. "R1") as a whole word: "R1" but not "R12".
fn names_rule(text: &str, rule: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    upper.match_indices(rule).any(|(i, _)| {
        let before = upper[..i].chars().next_back();
        let after = upper[i + rule.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn every_scenario_parses() {
    let files = corpus_files();
    let mut errors = Vec::new();
    for f in &files {
        if let Err(e) = Scenario::load(f) {
            errors.push(e.to_string());
        }
    }
    assert!(
        errors.is_empty(),
        "malformed scenarios:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_corpus_has_at_least_forty_files() {
    let n = corpus_files().len();
    assert!(n >= 40, "only {n} scenario files");
}

#[test]
fn every_rule_is_covered_by_a_file_name_or_description() {
    let files = corpus_files();
    let texts: Vec<String> = files
        .iter()
        .map(|f| {
            let stem = f
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .replace('-', " ");
            format!("{stem} {}", description(f))
        })
        .collect();
    let missing: Vec<String> = (1..=23)
        .map(|n| format!("R{n}"))
        .filter(|r| !texts.iter().any(|t| names_rule(t, r)))
        .collect();
    assert!(missing.is_empty(), "rules no scenario names: {missing:?}");
}

#[test]
fn every_file_has_an_expectation() {
    for f in corpus_files() {
        let s = Scenario::load(&f).expect("parses");
        let has = s.steps.iter().any(|step| match step {
            Step::Call { expect, .. } => expect.is_some(),
            Step::Check(_) | Step::CheckCalls(_) | Step::CheckCompletions(_) => true,
            Step::Event(_) => false,
        });
        assert!(has, "{} states no expectation", f.display());
    }
}

#[test]
fn every_call_states_its_expected_return() {
    for f in corpus_files() {
        let s = Scenario::load(&f).expect("parses");
        for (i, step) in s.steps.iter().enumerate() {
            if let Step::Call { expect, .. } = step {
                assert!(expect.is_some(), "{}: step {i} has no expect", f.display());
            }
        }
    }
}

#[test]
fn every_file_is_named_after_a_rule() {
    for f in corpus_files() {
        let stem = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let first = stem.split('-').next().unwrap_or_default();
        let ok = first.len() > 1
            && first.starts_with('r')
            && first[1..]
                .parse::<u32>()
                .is_ok_and(|n| (1..=23).contains(&n));
        assert!(
            ok,
            "{} is not named after the rule it covers first (r<N>-...)",
            f.display()
        );
    }
}

#[test]
fn rule_names_are_matched_as_whole_words() {
    assert!(names_rule("r12 r17 spec example", "R12"));
    assert!(!names_rule("r12 r17 spec example", "R1"));
    assert!(names_rule("R1 (validation)", "R1"));
    assert!(!names_rule("OfflineV2", "R2"));
}

#[test]
fn the_corpus_holds_on_the_implementation() {
    let mut failures = Vec::new();
    for f in corpus_files() {
        let s = Scenario::load(&f).expect("parses");
        let dlls = (0..s.nodes.len()).map(|_| ReferenceDll::new()).collect();
        let mut side = ImplSide::new(&s, dlls).expect("the implementation accepts the set-up");
        let mut sides: [&mut dyn Side; 1] = [&mut side];
        let report = replay(&s, &mut sides);
        if !report.passed() {
            let mut text = format!("{}:\n", f.display());
            for failure in &report.failures {
                text.push_str(&failure.to_string());
            }
            failures.push(text);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The committed JSON Schema (`docs/scenario.schema.json`, what editors validate against)
/// accepts every corpus file and kept regression, and rejects what the parser rejects for
/// its form (a typo in a key, an unknown flag or call, a wrong type).
#[test]
fn the_json_schema_accepts_the_corpus_and_rejects_malformed_steps() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("the schema is committed"))
            .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut files = corpus_files();
    files.extend(
        std::fs::read_dir(regressions)
            .into_iter()
            .flatten()
            .map(|e| e.expect("readable directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json")),
    );
    for f in &files {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(f).expect("readable")).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
    let head = r#""nodes":["n1"],"groups":[{"name":"g","owner":"n1","resources":[{"name":"r","persistent":"online"}]}]"#;
    // Names in any case, numbers for flags and codes, comments: valid for both.
    let good = r#"[{"call":"move_group","group":"g","flags":["queue_enabled",64],"expect":"error_io_pending","comment":"c"},
        {"check":{"state":{"r":"onlinePENDING"},"persistent":{"r":"ONLINE"}},"comment":"c"},
        {"check_calls":[{"node":"n1","entry":"offlinev2","resource":"r","flags":["do_not_update_persistent_state"],"result":997}]},
        {"call":"raw_offline_v2","node":"n1","resource":"undeclared","inbuf":"00Ff","expect":5007}]"#;
    let value: serde_json::Value =
        serde_json::from_str(&format!("{{{head},\"steps\":{good}}}")).expect("JSON");
    assert!(
        validator.is_valid(&value),
        "{:#?}",
        validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    Scenario::parse(&value.to_string(), Path::new("good.json")).expect("the parser accepts it");
    for bad in [
        r#"[{"call":"move_group","group":"g","flags":["RETURN_TO_SOURCE"]}]"#,
        r#"[{"call":"fly"}]"#,
        r#"[{"event":"tick","ms":1,"extra":true}]"#,
        r#"[{"event":"tick","ms":"ten"}]"#,
        r#"[{"check":{"state":{"r":"Sleeping"}}}]"#,
        r#"[{"call":"raw_offline_v2","node":"n1","resid":1,"resource":"r"}]"#,
        r#"[{"check_calls":[{"node":"n1","entry":"Open","resource":"r"}]}]"#,
    ] {
        let value: serde_json::Value =
            serde_json::from_str(&format!("{{{head},\"steps\":{bad}}}")).expect("JSON");
        assert!(!validator.is_valid(&value), "the schema accepts {bad}");
        let parsed = Scenario::parse(&value.to_string(), Path::new("bad.json"));
        assert!(parsed.is_err(), "the parser accepts {bad}");
    }
}
