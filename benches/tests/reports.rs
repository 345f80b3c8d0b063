//! The `reports` tool on synthetic criterion output, baselines and producer JSON: verdicts,
//! exit codes, error messages, and non-vacuity (a slowed hot path fails the report).

use std::fs;
use std::path::Path;
use std::process::Command;

use offline_v2_benches::bench_report::{
    evaluate_metrics, load_estimates, BaselineFile, Direction, Metric, ReportError, Statistic,
    Verdict, METRICS,
};
use tempfile::TempDir;

fn write_estimate(criterion: &Path, id: &str, median_ns: f64) {
    let dir = criterion.join(id).join("new");
    fs::create_dir_all(&dir).expect("mkdir");
    let (group, function) = id.split_once('/').expect("group/function");
    let stat = |v: f64| {
        format!(
            r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{lo},"upper_bound":{hi}}},"point_estimate":{v},"standard_error":0.1}}"#,
            lo = v * 0.95,
            hi = v * 1.05
        )
    };
    let estimates = format!(
        r#"{{"mean":{m},"median":{md},"median_abs_dev":{m},"slope":null,"std_dev":{m}}}"#,
        m = stat(median_ns * 1.02),
        md = stat(median_ns)
    );
    fs::write(dir.join("estimates.json"), estimates).expect("write");
    // Three samples; the fastest runs at 0.9 × the median.
    let samples = format!(
        r#"{{"sampling_mode":"Linear","iters":[10.0,20.0,30.0],"times":[{},{},{}]}}"#,
        median_ns * 0.9 * 10.0,
        median_ns * 20.0,
        median_ns * 1.1 * 30.0
    );
    fs::write(dir.join("sample.json"), samples).expect("write");
    let meta = format!(
        r#"{{"group_id":"{group}","function_id":"{function}","value_str":null,"throughput":null,"full_id":"{id}","directory_name":"{id}","title":"{id}"}}"#
    );
    fs::write(dir.join("benchmark.json"), meta).expect("write");
}

/// A run of the hot-path group where OfflineV2 takes `offline_ns` and the empty call 1.5 ns.
fn hot_path_run(criterion: &Path, offline_ns: f64) {
    write_estimate(criterion, "offline_v2_hot_path/empty_call", 1.5);
    write_estimate(criterion, "offline_v2_hot_path/offline_sync", offline_ns);
    write_estimate(criterion, "offline_v2_hot_path/offline_invalid_flags", 6.0);
    write_estimate(criterion, "offline_v2_hot_path/offline_io_pending", 16.0);
    write_estimate(criterion, "offline_v2_hot_path/empty_pair", 2.6);
    write_estimate(criterion, "offline_v2_hot_path/offline_online_pair", 30.0);
}

fn reports(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reports"))
        .args(args)
        .output()
        .expect("run reports");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn a_slowed_hot_path_fails_the_report_and_a_normal_one_passes() {
    let tmp = TempDir::new().expect("tempdir");
    let (base_run, slow_run, out) = (
        tmp.path().join("base"),
        tmp.path().join("slow"),
        tmp.path().join("out"),
    );
    let baseline = tmp.path().join("baseline.json");
    hot_path_run(&base_run, 16.0);
    // 1. Establish the baseline, explicitly.
    let (code, _, err) = reports(&[
        "bench",
        "--criterion",
        s(&base_run),
        "--baseline",
        s(&baseline),
        "--out",
        s(&out),
        "--update-baseline",
    ]);
    assert_eq!(code, 0, "{err}");
    let file = BaselineFile::load(&baseline)
        .expect("load")
        .expect("written");
    assert!((file.metrics["hot_path.offline_sync"] - 16.0 / 1.5).abs() < 0.01);
    // 2. The same numbers pass.
    let (code, _, err) = reports(&[
        "bench",
        "--criterion",
        s(&base_run),
        "--baseline",
        s(&baseline),
        "--out",
        s(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    // 3. Within the band (+20%) passes.
    let near = tmp.path().join("near");
    hot_path_run(&near, 19.2);
    let (code, _, err) = reports(&[
        "bench",
        "--criterion",
        s(&near),
        "--baseline",
        s(&baseline),
        "--out",
        s(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    // 4. A slowed hot path (+60%) fails with exit code 1 and says which metric.
    hot_path_run(&slow_run, 25.6);
    let before = fs::read_to_string(&baseline).expect("read");
    let (code, _, err) = reports(&[
        "bench",
        "--criterion",
        s(&slow_run),
        "--baseline",
        s(&baseline),
        "--out",
        s(&out),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("hot_path.offline_sync"), "{err}");
    let md = fs::read_to_string(out.join("bench.md")).expect("bench.md");
    assert!(md.contains("**FAIL**"), "{md}");
    assert!(md.contains("REGRESSED"), "{md}");
    let svg = fs::read_to_string(out.join("bench.svg")).expect("bench.svg");
    assert!(svg.starts_with("<svg") && svg.contains("#d32f2f"), "{svg}");
    // 5. Reporting never touches the baseline.
    assert_eq!(fs::read_to_string(&baseline).expect("read"), before);
}

#[test]
fn a_lower_speed_up_is_a_regression_and_a_higher_one_is_not() {
    let metric = Metric {
        id: "speedup",
        bench: "g/two",
        baseline: "g/one",
        direction: Direction::HigherIsBetter,
        target: Some(1.7),
        what: "",
    };
    let tmp = TempDir::new().expect("tempdir");
    let baseline = BaselineFile {
        schema: 1,
        noise_band: 0.25,
        statistic: Statistic::Median,
        bands: std::collections::BTreeMap::new(),
        note: String::new(),
        metrics: [("speedup".to_owned(), 1.8)].into_iter().collect(),
        spread: std::collections::BTreeMap::new(),
    };
    let verdict = |one: f64, two: f64| {
        let dir = tmp.path().join(format!("{one}-{two}"));
        write_estimate(&dir, "g/one", one);
        write_estimate(&dir, "g/two", two);
        let est = load_estimates(&dir).expect("estimates");
        let r = evaluate_metrics(
            &[metric],
            &dir,
            &est,
            Some(&baseline),
            0.25,
            Statistic::Median,
        )
        .expect("eval");
        (r.rows[0].verdict, r.rows[0].target_met)
    };
    assert_eq!(verdict(100.0, 55.0), (Verdict::Ok, Some(true)));
    assert_eq!(verdict(100.0, 100.0), (Verdict::Regressed, Some(false)));
    assert_eq!(verdict(100.0, 30.0).0, Verdict::Improved);
}

#[test]
fn missing_or_malformed_criterion_output_is_a_clear_error() {
    let tmp = TempDir::new().expect("tempdir");
    let missing = tmp.path().join("nothing-here");
    let err = load_estimates(&missing).expect_err("no output");
    assert!(matches!(err, ReportError::NoCriterionOutput { .. }));
    assert!(err.to_string().contains("run the benches first"), "{err}");
    let (code, _, stderr) = reports(&["bench", "--criterion", s(&missing), "--out", s(tmp.path())]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no criterion estimates"), "{stderr}");

    let bad = tmp.path().join("bad");
    write_estimate(&bad, "offline_v2_hot_path/empty_call", 1.5);
    let file = bad.join("offline_v2_hot_path/empty_call/new/estimates.json");
    fs::write(&file, r#"{"mean": {"point_estimate": "fast"}}"#).expect("write");
    let err = load_estimates(&bad).expect_err("malformed");
    assert!(matches!(err, ReportError::MalformedEstimates { .. }));
    assert!(err.to_string().contains("estimates.json"), "{err}");

    write_estimate(&bad, "offline_v2_hot_path/empty_call", 0.0);
    let err = load_estimates(&bad).expect_err("zero time");
    assert!(matches!(err, ReportError::BadEstimate { .. }), "{err}");

    let unrelated = tmp.path().join("unrelated");
    write_estimate(&unrelated, "other/bench", 3.0);
    let est = load_estimates(&unrelated).expect("estimates");
    let err =
        offline_v2_benches::bench_report::evaluate(&unrelated, &est, None, 0.25, Statistic::Min)
            .expect_err("no metric");
    assert!(err.to_string().contains("other/bench"), "{err}");
}

#[test]
fn a_malformed_baseline_is_a_clear_error() {
    let tmp = TempDir::new().expect("tempdir");
    let run = tmp.path().join("run");
    hot_path_run(&run, 16.0);
    let baseline = tmp.path().join("baseline.json");
    fs::write(&baseline, r#"{"schema": 1, "metrics": 3}"#).expect("write");
    let (code, _, err) = reports(&[
        "bench",
        "--criterion",
        s(&run),
        "--baseline",
        s(&baseline),
        "--out",
        s(tmp.path()),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a valid baseline"), "{err}");
}

#[test]
fn every_metric_pairs_two_distinct_benches_with_unique_ids() {
    let mut ids: Vec<&str> = METRICS.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), METRICS.len());
    assert!(METRICS.iter().all(|m| m.bench != m.baseline));
}

const MODEL_CHECK: &str = r#"{
  "schema": 1, "config": "default", "description": "2 nodes, 1 group, 2 resources",
  "runs": [
    {"threads": 1, "unique_states": 120000, "states_generated": 500000, "max_depth": 31, "seconds": 10.0, "complete": true},
    {"threads": 2, "unique_states": 120000, "seconds": 5.6, "complete": true}
  ],
  "properties": [
    {"name": "R10 single owner", "expectation": "always", "discovered": false},
    {"name": "cancelled queued move", "expectation": "sometimes", "discovered": true, "path": ["MoveGroup", "Busy", "Cancel"]}
  ],
  "seeded_bugs": [{"bug": "drop 0x40 on return leg", "caught_by": "R12 exact flags"}]
}"#;

#[test]
fn model_check_report_renders_and_fails_on_a_violation() {
    let tmp = TempDir::new().expect("tempdir");
    let input = tmp.path().join("model-check.json");
    fs::write(&input, MODEL_CHECK).expect("write");
    let (code, _, err) = reports(&["model-check", "--input", s(&input), "--out", s(tmp.path())]);
    assert_eq!(code, 0, "{err}");
    let md = fs::read_to_string(tmp.path().join("model-check.md")).expect("md");
    assert!(md.contains("| 2 | 120000 |"), "{md}");
    assert!(md.contains("1.79×"), "speed-up 10/5.6: {md}");
    assert!(md.contains("**PASS**"), "{md}");

    let violated = MODEL_CHECK.replace(
        r#""expectation": "always", "discovered": false"#,
        r#""expectation": "always", "discovered": true, "path": ["MoveGroup", "CrashNode"]"#,
    );
    fs::write(&input, violated).expect("write");
    let (code, _, _) = reports(&["model-check", "--input", s(&input), "--out", s(tmp.path())]);
    assert_eq!(code, 1);
    let md = fs::read_to_string(tmp.path().join("model-check.md")).expect("md");
    assert!(md.contains("**violated**: MoveGroup → CrashNode"), "{md}");

    fs::write(&input, r#"{"schema": 1, "config": "default"}"#).expect("write");
    let (code, _, err) = reports(&["model-check", "--input", s(&input), "--out", s(tmp.path())]);
    assert_eq!(code, 2);
    assert!(
        err.contains("does not match the schema") && err.contains("runs"),
        "{err}"
    );
}

#[test]
fn conformance_report_has_the_128_row_coverage_matrix() {
    let tmp = TempDir::new().expect("tempdir");
    let input = tmp.path().join("conformance.json");
    fs::write(
        &input,
        r#"{"schema": 1, "runner": "proptest lockstep", "cases": 256, "steps": 9000, "seconds": 3.0,
            "offline_v2_calls": [
              {"flags": 66, "outcome": "ERROR_SUCCESS", "count": 40},
              {"flags": 66, "outcome": "997", "count": 10},
              {"flags": 10, "outcome": "ERROR_INVALID_PARAMETER", "count": 3},
              {"flags": 128, "outcome": "ERROR_INVALID_PARAMETER", "count": 2}
            ]}"#,
    )
    .expect("write");
    let (code, _, err) = reports(&["conformance", "--input", s(&input), "--out", s(tmp.path())]);
    assert_eq!(code, 0, "{err}");
    let md = fs::read_to_string(tmp.path().join("conformance.md")).expect("md");
    let rows = md.lines().filter(|l| l.starts_with("| 0x")).count();
    assert_eq!(rows, 128, "{md}");
    assert!(md.contains("| 0x42 RTS\\|DNU | 50 | 40 | · | 10 |"), "{md}");
    assert!(
        md.contains("2 of 128 combinations called; 1 of the 96 valid ones got past R1"),
        "{md}"
    );
    assert!(md.contains("ERROR_INVALID_PARAMETER ×2"), "{md}");
    assert!(
        md.contains("| 3000 |") || md.contains("3000"),
        "steps/s: {md}"
    );

    fs::write(
        &input,
        r#"{"schema": 1, "runner": "x", "cases": 1, "steps": 1, "seconds": 1.0,
            "offline_v2_calls": [{"flags": 0, "outcome": "ERROR_MAYBE", "count": 1}]}"#,
    )
    .expect("write");
    let (code, _, err) = reports(&["conformance", "--input", s(&input), "--out", s(tmp.path())]);
    assert_eq!(code, 2);
    assert!(err.contains("offline_v2_calls[0].outcome"), "{err}");
}

#[test]
fn throughput_benches_are_compared_per_element() {
    let tmp = TempDir::new().expect("tempdir");
    let run = tmp.path().join("run");
    write_estimate(&run, "conformance/calibration", 2000.0);
    write_estimate(&run, "conformance/lockstep", 30_000.0);
    let meta = run.join("conformance/lockstep/new/benchmark.json");
    let text = fs::read_to_string(&meta)
        .expect("read")
        .replace(r#""throughput":null"#, r#""throughput":{"Elements":10}"#);
    fs::write(&meta, text).expect("write");
    let est = load_estimates(&run).expect("estimates");
    assert_eq!(est["conformance/lockstep"].elements, Some(10));
    let report = offline_v2_benches::bench_report::evaluate(&run, &est, None, 0.25, Statistic::Min)
        .expect("eval");
    let row = report
        .rows
        .iter()
        .find(|r| r.metric.id == "conformance.lockstep")
        .expect("row");
    // 30 µs per pass of 10 steps = 3 µs per step, over a 2 µs calibration.
    assert!((row.now.expect("ran") - 1.5).abs() < 1e-9, "{row:?}");
}

#[test]
fn the_fastest_sample_is_the_default_statistic_and_the_median_a_fallback() {
    let tmp = TempDir::new().expect("tempdir");
    let run = tmp.path().join("run");
    hot_path_run(&run, 15.0);
    let est = load_estimates(&run).expect("estimates");
    let e = &est["offline_v2_hot_path/offline_sync"];
    assert!((e.min_ns.expect("samples") - 13.5).abs() < 1e-9);
    // Without sample.json for one side, the metric uses the median of both, and says so.
    fs::remove_file(run.join("offline_v2_hot_path/empty_call/new/sample.json")).expect("rm");
    let est = load_estimates(&run).expect("estimates");
    let r = offline_v2_benches::bench_report::evaluate(&run, &est, None, 0.25, Statistic::Min)
        .expect("eval");
    let row = &r.rows[0];
    assert!(row.fell_back);
    assert_eq!(row.times_ns, Some((15.0, 1.5)));
    assert!(r.to_markdown().contains("(median)"));

    fs::write(
        run.join("offline_v2_hot_path/offline_sync/new/sample.json"),
        r#"{"iters": [1.0], "times": []}"#,
    )
    .expect("write");
    let err = load_estimates(&run).expect_err("malformed samples");
    assert!(matches!(err, ReportError::MalformedSamples { .. }), "{err}");
}

#[test]
fn comparing_with_a_baseline_of_another_statistic_is_refused() {
    let tmp = TempDir::new().expect("tempdir");
    let run = tmp.path().join("run");
    hot_path_run(&run, 15.0);
    let baseline = tmp.path().join("baseline.json");
    let out = tmp.path().join("out");
    let args = [
        "bench",
        "--criterion",
        s(&run),
        "--baseline",
        s(&baseline),
        "--out",
        s(&out),
    ];
    let mut update = args.to_vec();
    update.extend(["--update-baseline", "--statistic", "median"]);
    assert_eq!(reports(&update).0, 0);
    let mut min = args.to_vec();
    min.extend(["--statistic", "min"]);
    let (code, _, err) = reports(&min);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("compare like with like"), "{err}");
    // Without --statistic the baseline's statistic is used.
    assert_eq!(reports(&args).0, 0);
}

#[test]
fn a_per_metric_band_overrides_the_global_one() {
    let tmp = TempDir::new().expect("tempdir");
    let (base_run, slow_run, out) = (
        tmp.path().join("base"),
        tmp.path().join("slow"),
        tmp.path().join("out"),
    );
    let baseline = tmp.path().join("baseline.json");
    hot_path_run(&base_run, 16.0);
    hot_path_run(&slow_run, 25.6); // +60%
    let args = |run: &Path| {
        reports(&[
            "bench",
            "--criterion",
            s(run),
            "--baseline",
            s(&baseline),
            "--out",
            s(&out),
        ])
    };
    let mut upd = vec![
        "bench",
        "--criterion",
        s(&base_run),
        "--baseline",
        s(&baseline),
    ];
    upd.extend(["--out", s(&out), "--update-baseline"]);
    assert_eq!(reports(&upd).0, 0);
    assert_eq!(args(&slow_run).0, 1);
    let mut file = BaselineFile::load(&baseline)
        .expect("load")
        .expect("exists");
    file.bands.insert("hot_path.offline_sync".into(), 0.75);
    file.save(&baseline).expect("save");
    let (code, _, err) = args(&slow_run);
    assert_eq!(code, 0, "{err}");
    let md = fs::read_to_string(out.join("bench.md")).expect("md");
    assert!(md.contains("| ±75% |"), "{md}");
    // Re-baselining keeps the per-metric bands.
    assert_eq!(reports(&upd).0, 0);
    let file = BaselineFile::load(&baseline)
        .expect("load")
        .expect("exists");
    assert_eq!(file.bands.get("hot_path.offline_sync"), Some(&0.75));
}

#[test]
fn require_all_fails_when_a_metric_was_not_run() {
    let tmp = TempDir::new().expect("tempdir");
    let run = tmp.path().join("run");
    hot_path_run(&run, 16.0);
    let out = tmp.path().join("out");
    let baseline = tmp.path().join("none.json");
    let base = [
        "bench",
        "--criterion",
        s(&run),
        "--baseline",
        s(&baseline),
        "--out",
        s(&out),
    ];
    assert_eq!(reports(&base).0, 0, "metrics not run are shown, not failed");
    let mut all = base.to_vec();
    all.push("--require-all");
    let (code, _, err) = reports(&all);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("move_cycle.return_to_source"), "{err}");
}

/// Every file under `dir`, by relative path, with its bytes.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under dir");
                files.insert(rel.display().to_string(), fs::read(&path).expect("read"));
            }
        }
    }
    files
}

/// Renders the model-check (with the committed issue-11 table), conformance and bench reports
/// from `inputs` into `out` and returns what was written.
fn render_all(inputs: &Path, out: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fs::create_dir_all(out).expect("mkdir");
    let table = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/model-table.json");
    fs::copy(&table, out.join("model-table.json")).expect("the committed model-table.json");
    for (kind, file) in [
        ("model-check", "model-check.json"),
        ("conformance", "conformance.json"),
    ] {
        let input = inputs.join(file);
        let (code, _, err) = reports(&[kind, "--input", s(&input), "--out", s(out)]);
        assert_eq!(code, 0, "{kind}: {err}");
    }
    let (code, _, err) = reports(&[
        "bench",
        "--criterion",
        s(&inputs.join("criterion")),
        "--baseline",
        s(&inputs.join("baseline.json")),
        "--out",
        s(out),
    ]);
    assert_eq!(code, 0, "bench: {err}");
    snapshot(out)
}

#[test]
fn regenerating_the_reports_from_the_same_inputs_is_byte_identical() {
    let tmp = TempDir::new().expect("tempdir");
    let inputs = tmp.path().join("inputs");
    fs::create_dir_all(&inputs).expect("mkdir");
    fs::write(inputs.join("model-check.json"), MODEL_CHECK).expect("write");
    fs::write(
        inputs.join("conformance.json"),
        r#"{"schema": 1, "runner": "proptest lockstep", "cases": 256, "steps": 9000, "seconds": 3.0,
            "offline_v2_calls": [
              {"flags": 66, "outcome": "ERROR_SUCCESS", "count": 40},
              {"flags": 10, "outcome": "ERROR_INVALID_PARAMETER", "count": 3}
            ]}"#,
    )
    .expect("write");
    hot_path_run(&inputs.join("criterion"), 16.0);
    let (code, _, err) = reports(&[
        "bench",
        "--criterion",
        s(&inputs.join("criterion")),
        "--baseline",
        s(&inputs.join("baseline.json")),
        "--out",
        s(&tmp.path().join("scratch")),
        "--update-baseline",
    ]);
    assert_eq!(code, 0, "{err}");

    let first = render_all(&inputs, &tmp.path().join("a"));
    let second = render_all(&inputs, &tmp.path().join("b"));
    assert!(first.contains_key("model-check.md") && first.contains_key("bench.md"));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert!(second[name] == *bytes, "{name} differs between two runs");
    }
    // Again over the first run's own output: still the same bytes.
    assert!(render_all(&inputs, &tmp.path().join("a")) == first);
    // The comparison is not vacuous: one input number changed changes the output.
    let slower = MODEL_CHECK.replace(r#""seconds": 5.6"#, r#""seconds": 5.7"#);
    fs::write(inputs.join("model-check.json"), slower).expect("write");
    let changed = render_all(&inputs, &tmp.path().join("c"));
    assert!(changed["model-check.md"] != first["model-check.md"]);
    assert!(changed["conformance.md"] == first["conformance.md"]);
}
