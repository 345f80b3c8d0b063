//! `offline-v2 conform` on the reference cdylib, on files that are not resource DLLs (exit 2
//! with a clear message, nothing checked), and its reproducer and trace files.

mod conform_common;

use std::path::PathBuf;
use std::process::Command;

use conform_common::{c_args, c_build, c_dll, conform, out_dir, text, C_TYPE};

fn reference_cdylib() -> PathBuf {
    offline_v2::loader::find_cdylib().expect("the reference cdylib is built with the tests")
}

fn path(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn the_reference_cdylib_passes_and_the_json_names_the_dll_and_its_exports() {
    let dll = reference_cdylib();
    let out = out_dir("reference");
    let o = conform(&[
        "--dll",
        &path(&dll),
        "--calls",
        "150",
        "--out",
        &path(&out),
        "--json",
    ]);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], true);
    assert_eq!(v["dll"], path(&dll));
    assert_eq!(v["exports"]["control"], true, "{v}");
    assert_eq!(v["exports"]["release"], true);
    assert_eq!(v["exports"]["started_by"], "StartupEx");
    // The checker played the environment through the control export and the DLL answered
    // every R4-R7 code along the way.
    let answers = v["tally"]["answers"].as_object().expect("answers");
    for code in [
        "OfflineV2 ERROR_CLUSTER_RESOURCE_LOCKED_STATUS",
        "OfflineV2 ERROR_HOST_UNREACHABLE",
        "OfflineV2 ERROR_RETRY",
        "OfflineV2 ERROR_IO_PENDING",
    ] {
        assert!(answers.contains_key(code), "{code} never seen: {v}");
    }
    assert!(v["phases"].as_array().is_some_and(|p| p.len() == 7));
}

fn bad_input(args: &[&str], wanted: &[&str]) {
    let o = conform(args);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}\n{stdout}\n{stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "{args:?}: {w:?} not in:\n{stderr}");
    }
    assert!(
        !stdout.contains("conform:"),
        "nothing was checked:\n{stdout}"
    );
}

#[test]
fn a_file_that_is_not_a_dll_exits_2() {
    let out = out_dir("not-a-dll");
    let fake = out.join("libfake.so");
    std::fs::write(&fake, "this is not a shared library\n").expect("write");
    bad_input(
        &["--dll", &path(&fake), "--out", &path(&out)],
        &["cannot load resource DLL", "libfake.so", "shared library"],
    );
}

#[test]
fn a_dll_without_startupex_or_startup_exits_2() {
    let out = out_dir("no-startup");
    let src = out.join("empty.c");
    std::fs::write(&src, "int not_a_resource_dll(void) { return 0; }\n").expect("write");
    let lib = out.join("libempty.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .status()
        .expect("a C compiler (apt-get install -y gcc)");
    assert!(status.success());
    bad_input(
        &["--dll", &path(&lib), "--out", &path(&out)],
        &["exports neither StartupEx nor Startup"],
    );
}

#[test]
fn a_startupex_that_refuses_the_type_exits_2_and_names_the_option() {
    let out = out_dir("wrong-type");
    bad_input(
        &["--dll", &path(&c_dll(None)), "--out", &path(&out)],
        &[
            "refused the resource type \"OfflineV2 Reference\"",
            "ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND",
            "--resource-type",
        ],
    );
}

#[test]
fn a_directory_or_a_missing_file_exits_2() {
    let out = out_dir("dir");
    bad_input(
        &["--dll", &path(c_build()), "--out", &path(&out)],
        &["is a directory, not a shared library"],
    );
    bad_input(
        &["--dll", &path(&out.join("nope.so")), "--out", &path(&out)],
        &["no such file"],
    );
}

#[test]
fn a_resource_the_dll_cannot_open_exits_2() {
    let out = out_dir("unopenable");
    // The C DLL opens ASCII names only.
    bad_input(
        &[
            "--dll",
            &path(&c_dll(None)),
            "--resource-type",
            C_TYPE,
            "--resource",
            "r0",
            "--resource",
            "caf\u{e9}",
            "--out",
            &path(&out),
        ],
        &["OpenV2", "answered NULL", "caf\u{e9}", "--resource NAME"],
    );
}

#[test]
fn a_reproducer_replays_to_the_same_rule_and_the_trace_can_be_judged_again() {
    let out = out_dir("replay");
    let dll = path(&c_dll(Some("RETRY_WITH_0x01")));
    let o = conform(&c_args(&dll, &path(&out)));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o).0);
    let repro = out.join("repro.json");
    let again = out_dir("replay-again");
    let o = conform(&[
        "--dll",
        &dll,
        "--resource-type",
        C_TYPE,
        "--replay",
        &path(&repro),
        "--out",
        &path(&again),
    ]);
    let (stdout, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAILED — R6"), "{stdout}");

    // The correct DLL's trace passes the monitor offline; one answer edited breaks R6.
    let good = out_dir("trace-good");
    let o = conform(&c_args(&path(&c_dll(None)), &path(&good)));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).0);
    let trace = good.join("trace.jsonl");
    let o = conform(&["--check-trace", &path(&trace)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).0);
    let original = std::fs::read_to_string(&trace).expect("trace");
    // The first OfflineV2 with 0x01 that went pending now answers ERROR_RETRY.
    let (index, line) = original
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("\"flags\":1,") && l.contains("\"answer\":997"))
        .expect("a pending OfflineV2 with 0x01");
    let mut lines: Vec<String> = original.lines().map(str::to_owned).collect();
    lines[index] = line.replace("\"answer\":997", "\"answer\":1237");
    let edited = good.join("edited.jsonl");
    std::fs::write(&edited, lines.join("\n")).expect("write");
    let o = conform(&["--check-trace", &path(&edited)]);
    let (stdout, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("R6"), "{stdout}");
}

#[test]
fn a_run_the_time_limit_stops_is_incomplete_and_an_empty_trace_judges_nothing() {
    // docs/exit-codes.md: 3 when a budget stopped the run before its plan's end, 4 when there
    // was nothing to run.
    let out = out_dir("time-limit");
    let o = conform(&[
        "--dll",
        &path(&reference_cdylib()),
        "--calls",
        "1000",
        "--time-limit",
        "0s",
        "--in-process",
        "--out",
        &path(&out),
        "--json",
    ]);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{stdout}\n{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(v["stopped_by_time"], true, "{v}");
    assert_eq!(v["status"], "incomplete", "{v}");

    let empty = out.join("empty.jsonl");
    std::fs::write(&empty, "\n").expect("write");
    let o = conform(&["--check-trace", &path(&empty)]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o).0);
}

#[test]
fn conform_help_has_an_example() {
    let o = Command::new(env!("CARGO_BIN_EXE_offline-v2"))
        .args(["conform", "--help"])
        .output()
        .expect("runs");
    let (stdout, _) = text(&o);
    assert!(o.status.success());
    assert!(stdout.contains("Example:"), "{stdout}");
    assert!(stdout.contains("--resource-type"), "{stdout}");
}
