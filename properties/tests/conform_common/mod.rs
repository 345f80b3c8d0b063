//! Shared by the `conform*` tests: builds `examples/c-resource` (the C resource DLL and its
//! bug variants) with its Makefile, once per test binary, and runs `offline-v2 conform`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The resource type the C DLL implements.
pub const C_TYPE: &str = "OfflineV2 C Example";

/// The C example's source folder.
pub fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/c-resource")
}

/// Runs `make` in the example folder with `OUT=<target tmp>/c-resource` and returns OUT.
/// Panics with what to install when the C toolchain is missing.
pub fn c_build() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c-resource");
        let status = Command::new("make")
            .arg("-s")
            .arg("-j2")
            .arg("-C")
            .arg(example_dir())
            .arg(format!("OUT={}", out.display()))
            .status()
            .unwrap_or_else(|e| {
                panic!("cannot run make ({e}): install a C toolchain (apt-get install -y gcc make)")
            });
        assert!(status.success(), "make in examples/c-resource failed");
        out
    })
}

/// The bug variants the Makefile builds (`make list`).
pub fn c_variants() -> Vec<String> {
    let out = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(example_dir())
        .arg("list")
        .output()
        .expect("make list runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// `libc_resource.so`, or `libc_resource_<variant>.so`.
pub fn c_dll(variant: Option<&str>) -> PathBuf {
    let name = match variant {
        None => "libc_resource.so".to_owned(),
        Some(v) => format!("libc_resource_{v}.so"),
    };
    c_build().join(name)
}

/// A fresh output folder for one test.
pub fn out_dir(tag: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("conform-tests")
        .join(tag);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("out dir");
    dir
}

/// `offline-v2 conform` with the C DLL's environment: r1 locked, r2 busy, r3 offline at
/// once, r4 online at once, N3 unreachable, pending work finishing within 0-2 ms.
pub fn conform(args: &[&str]) -> Output {
    conform_with(args, &[])
}

/// [`conform`] with extra (or overriding) environment variables for the C DLL.
pub fn conform_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_offline-v2"))
        .arg("conform")
        .args(args)
        .env("CRES_LOCKED", "r1")
        .env("CRES_BUSY", "r2")
        .env("CRES_SYNC_OFFLINE", "r3")
        .env("CRES_SYNC_ONLINE", "r4")
        .env("CRES_FAIL", "r5")
        .env("CRES_UNREACHABLE", "N3")
        .env("CRES_DELAY_MS", "2")
        .env("CRES_SEED", "7")
        .env_remove("OFFLINE_V2_SEED")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

/// The arguments of a short run of the C DLL into `out`.
pub fn c_args<'a>(dll: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "--dll",
        dll,
        "--resource-type",
        C_TYPE,
        "--resources",
        "6",
        "--calls",
        "120",
        "--pending-wait",
        "300ms",
        "--hang-timeout",
        "3s",
        "--shrink-runs",
        "40",
        "--out",
        out,
    ]
}

/// stdout and stderr as text.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
