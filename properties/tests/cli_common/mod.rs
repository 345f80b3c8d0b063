//! What the command-line tests (`cli`, `cli_budget`, `cli_output`) share: the binary with a
//! clean budget environment, its output as text, and a scratch folder per test binary.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `offline-v2` binary with every budget variable and the profile removed from its
/// environment: the tests choose every budget themselves, so a `.ci/run` environment
/// (`OFFLINE_V2_PROFILE=ci`) does not change what they check.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_offline-v2"));
    for var in offline_v2_properties::budget::VARIABLES {
        c.env_remove(var);
    }
    c.env_remove("OFFLINE_V2_PROFILE");
    c
}

/// Stdout and stderr as (lossy) UTF-8.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A fresh scratch folder `offline-v2-<tag>-<pid>` under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("offline-v2-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `out` parsed as JSON, or a panic that shows it.
pub fn json_of(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}
