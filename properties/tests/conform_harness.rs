//! What a user with their own DLL trips over in `replay` and `verify` (issue 15): a DLL
//! without the control export is refused with what to do instead (not hundreds of
//! divergences); a refused resource type and a directory are one clear error; an adapter DLL
//! without the release export does not exhaust instances; the DLL and its exports are printed.

mod conform_common;

use std::process::Command;

use conform_common::{c_build, c_dll, text};

fn replay(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_offline-v2"))
        .arg("replay")
        .args(args)
        .env(
            "FORWARD_TO",
            offline_v2::loader::find_cdylib().expect("the reference cdylib is built"),
        )
        .output()
        .expect("runs")
}

fn corpus() -> String {
    format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_dll_without_the_control_export_is_refused_with_what_to_do_instead() {
    let dll = c_dll(None);
    let o = replay(&["--dll", &dll.to_string_lossy(), &corpus()]);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("no control export"), "{stderr}");
    assert!(stderr.contains("offline-v2 conform"), "{stderr}");
    assert!(stdout.is_empty(), "nothing replayed:\n{stdout}");
}

#[test]
fn a_refused_resource_type_and_a_directory_are_one_clear_error() {
    let o = replay(&["--resource-type", "Nope", &corpus()]);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND"),
        "{stderr}"
    );
    assert!(stderr.contains("--resource-type"), "{stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "one error, not one per scenario:\n{stderr}"
    );
    let o = replay(&["--dll", &c_build().to_string_lossy(), &corpus()]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr.contains("is a directory"), "{stderr}");
}

#[test]
fn an_adapter_without_the_release_export_replays_the_whole_corpus() {
    // More than 64 instances are started over the corpus: without reuse the reference's pool
    // behind the adapter runs out (ERROR_NOT_ENOUGH_MEMORY) after about 30 scenarios.
    let dll = c_build().join("libforward_reference.so");
    let o = replay(&["--quiet", "--dll", &dll.to_string_lossy(), &corpus()]);
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    let files = std::fs::read_dir(corpus())
        .expect("the corpus")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
        })
        .count();
    assert!(files > 64, "the corpus starts more than 64 instances");
    assert!(
        last.starts_with(&format!("replay: {files} passed, 0 failed")),
        "{last}"
    );
    assert!(
        last.contains(&dll.display().to_string()),
        "the DLL is named: {last}"
    );
    assert!(
        last.contains("release export no"),
        "its exports are named: {last}"
    );
}
