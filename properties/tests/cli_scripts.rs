//! Issue 14: the scripts honour `CARGO_TARGET_DIR` — they pass on good artifacts there and fail
//! (never print "ok") when the artifact they check is absent or bad.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn script(name: &str, target: &Path, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(root().join("scripts").join(name))
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("bash runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp_target(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("offline-v2-scripts-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("release")).expect("temp dir");
    dir
}

fn skipped(test: &str, reason: &str) {
    eprintln!("SKIPPED: {reason}");
    if let Ok(log) = std::env::var("OFFLINE_V2_SKIP_LOG") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(f, "offline-v2-properties::{test}: {reason}");
        }
    }
}

#[test]
fn check_no_seeded_bugs_fails_on_missing_or_tainted_artifacts_in_the_target_dir() {
    let target = temp_target("seeded");
    // Nothing built there: a failure naming the file, never "ok".
    let o = script("check-no-seeded-bugs.sh", &target, &["--artifacts-only"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("liboffline_v2.so does not exist"), "{out}");
    assert!(!out.contains("ok: "), "{out}");
    // Clean artifacts pass; one holding a seeded bug's name fails.
    let lib = target.join("release/liboffline_v2.so");
    let cli = target.join("release/offline-v2");
    std::fs::write(&lib, b"\x7fELF clean bytes").expect("write");
    std::fs::write(&cli, b"clean bytes").expect("write");
    let o = script("check-no-seeded-bugs.sh", &target, &["--artifacts-only"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!("ok: {} has no seeded-bug names", lib.display())),
        "{out}"
    );
    std::fs::write(&cli, b"...OwnerLostOnCrash...").expect("write");
    let o = script("check-no-seeded-bugs.sh", &target, &["--artifacts-only"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("contains seeded-bug names"), "{out}");
    let _ = std::fs::remove_dir_all(&target);
}

#[test]
fn check_exports_reads_the_target_dir_and_fails_without_the_library() {
    let target = temp_target("exports");
    let o = script("check-exports.sh", &target, &["--no-build"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "{}/release/liboffline_v2.so does not exist",
            target.display()
        )),
        "{out}"
    );
    // A library without the exports fails.
    std::fs::write(target.join("release/liboffline_v2.so"), b"not a library").expect("write");
    let o = script("check-exports.sh", &target, &["--no-build"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // The built cdylib, placed in the target dir, passes.
    let Ok(built) = offline_v2::loader::find_cdylib() else {
        skipped(
            "check_exports_reads_the_target_dir_and_fails_without_the_library",
            "the reference cdylib is not built (cargo build -p offline-v2 --lib)",
        );
        return;
    };
    if Command::new("nm").arg("--version").output().is_err() {
        skipped(
            "check_exports_reads_the_target_dir_and_fails_without_the_library",
            "nm (binutils) is not installed",
        );
        return;
    }
    std::fs::copy(&built, target.join("release/liboffline_v2.so")).expect("copy");
    let o = script("check-exports.sh", &target, &["--no-build"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("StartupEx") && out.contains("OfflineV2ReferenceControl"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&target);
}

/// A line of shell that names the default target directory literally (`target/release`,
/// `./target/reports`, …) instead of through `$CARGO_TARGET_DIR` (`$target/…`); comments are
/// allowed to.
fn hard_codes_the_target_dir(line: &str) -> bool {
    let code = line.trim_start();
    if code.starts_with('#') {
        return false;
    }
    code.match_indices("target/").any(|(i, _)| {
        code[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c == '$' || c == '{' || c == '_' || c.is_ascii_alphanumeric()))
    })
}

#[test]
fn no_script_hard_codes_the_target_dir() {
    // Non-vacuity of the check itself.
    assert!(hard_codes_the_target_dir(
        r#"reports="target/release/reports""#
    ));
    assert!(hard_codes_the_target_dir("    ./target/reports/x.json"));
    assert!(!hard_codes_the_target_dir(
        r#"reports="$target/release/reports""#
    ));
    assert!(!hard_codes_the_target_dir("# writes target/reports"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scripts"))
        .expect("scripts/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sh"))
        .collect();
    files.push(root().join(".ci/run"));
    assert!(
        files.iter().any(|p| p.ends_with("gate.sh"))
            && files.iter().any(|p| p.ends_with("bench.sh"))
    );
    let mut bad = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            if hard_codes_the_target_dir(line) {
                bad.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(bad.is_empty(), "use $CARGO_TARGET_DIR:\n{}", bad.join("\n"));
}
