//! The `reports gate` and `reports gate-spread` commands on synthetic callgrind profiles laid
//! out as gungraun writes them: exit codes, the per-function diff, new and missing benches, a
//! missing baseline in CI mode. (The real run under valgrind is `scripts/gate.sh
//! --non-vacuity`, run by CI.)

use std::fs;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

/// Writes one benchmark's callgrind file under `home/<group>/<function>.id/`.
fn profile(home: &Path, group: &str, function: &str, fns: &[(&str, u64)]) {
    let dir = home
        .join("offline-v2-benches/instructions")
        .join(group)
        .join(format!("{function}.id"));
    fs::create_dir_all(&dir).expect("mkdir");
    let total: u64 = fns.iter().map(|(_, n)| n).sum();
    let mut text = format!(
        "# callgrind format\nversion: 1\npositions: line\nevents: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\nsummary: {total} 10 5 1 0 0 1\n\n"
    );
    for (i, (name, n)) in fns.iter().enumerate() {
        text.push_str(&format!(
            "fn=({i}) {name}::h0123456789abcdef\n{} {n}\n",
            10 + i
        ));
    }
    fs::write(dir.join(format!("callgrind.{function}.id.out")), text).expect("write");
    fs::write(
        dir.join(format!("callgrind.{function}.id.out.old")),
        "garbage",
    )
    .expect("write");
}

fn run_of(home: &Path, spin: u64) {
    let mut hot = vec![
        ("offline_v2::reference::Instance::offline_v2", 150),
        ("offline_v2::abi::dll::offline_v2", 100),
    ];
    if spin > 0 {
        hot.push(("offline_v2_benches::knobs::spin_slowly", spin));
    }
    profile(home, "hot_path", "offline_sync", &hot);
    profile(
        home,
        "move_cycle",
        "return_to_source",
        &[("offline_v2::cluster::Cluster::step", 6000)],
    );
}

fn reports(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reports"))
        .args(args)
        .output()
        .expect("run reports");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn the_gate_fails_on_a_slowed_build_and_names_the_function() {
    let tmp = TempDir::new().expect("tempdir");
    let (base, slow, again) = (
        tmp.path().join("base"),
        tmp.path().join("slow"),
        tmp.path().join("again"),
    );
    let (baseline, json) = (
        tmp.path().join("instructions.json"),
        tmp.path().join("gate.json"),
    );
    run_of(&base, 0);
    run_of(&again, 0);
    run_of(&slow, 206);
    let (code, out) = reports(&[
        "gate",
        "--gungraun",
        s(&base),
        "--baseline",
        s(&baseline),
        "--json",
        s(&json),
        "--update-baseline",
        "--band",
        "0.01",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = reports(&[
        "gate",
        "--gungraun",
        s(&again),
        "--baseline",
        s(&baseline),
        "--json",
        s(&json),
        "--ci",
    ]);
    assert_eq!(code, 0, "an unchanged run passes: {out}");
    assert!(out.contains("+0.00%"), "{out}");
    let (code, out) = reports(&[
        "gate",
        "--gungraun",
        s(&slow),
        "--baseline",
        s(&baseline),
        "--json",
        s(&json),
        "--ci",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("hot_path.offline_sync") && out.contains("REGRESSED"),
        "{out}"
    );
    assert!(
        out.contains("offline_v2_benches::knobs::spin_slowly"),
        "the function is named: {out}"
    );
    let (code, out) = reports(&["gate-spread", "--first", s(&base), "--second", s(&again)]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = reports(&["gate-spread", "--first", s(&base), "--second", s(&slow)]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn a_missing_baseline_or_bench_is_a_clear_failure() {
    let tmp = TempDir::new().expect("tempdir");
    let (run, json) = (tmp.path().join("run"), tmp.path().join("gate.json"));
    run_of(&run, 0);
    let absent = tmp.path().join("absent.json");
    let (code, out) = reports(&[
        "gate",
        "--gungraun",
        s(&run),
        "--baseline",
        s(&absent),
        "--json",
        s(&json),
        "--ci",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("scripts/gate.sh --bless"), "{out}");
    let (code, out) = reports(&[
        "gate",
        "--gungraun",
        s(&run),
        "--baseline",
        s(&absent),
        "--json",
        s(&json),
    ]);
    assert_eq!(code, 0, "outside CI every bench is new: {out}");
    assert!(out.contains("new (no baseline)"), "{out}");
    // A baseline with a bench this run lacks: missing, the gate fails.
    let baseline = tmp.path().join("instructions.json");
    let bigger = tmp.path().join("bigger");
    run_of(&bigger, 0);
    profile(&bigger, "conformance", "lockstep_step", &[("replay", 900)]);
    reports(&[
        "gate",
        "--gungraun",
        s(&bigger),
        "--baseline",
        s(&baseline),
        "--json",
        s(&json),
        "--update-baseline",
    ]);
    let (code, out) = reports(&[
        "gate",
        "--gungraun",
        s(&run),
        "--baseline",
        s(&baseline),
        "--json",
        s(&json),
        "--ci",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("conformance.lockstep_step") && out.contains("renamed or removed"),
        "{out}"
    );
    let (code, out) = reports(&[
        "gate",
        "--gungraun",
        s(&run),
        "--baseline",
        s(&baseline),
        "--json",
        s(&json),
        "--partial",
    ]);
    assert_eq!(code, 0, "a filtered run: {out}");
    let (code, out) = reports(&[
        "gate",
        "--gungraun",
        s(&tmp.path().join("nothing")),
        "--baseline",
        s(&baseline),
        "--json",
        s(&json),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no callgrind output"), "{out}");
}
