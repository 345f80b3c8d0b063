//! Where the suite reads and writes (issue 14): everything it generates goes under the cargo
//! target directory (`$CARGO_TARGET_DIR`, else `target/` of the workspace), the same one the
//! `reports` tool and the scripts read; the source tree is written only by an explicit
//! `offline-v2 promote`.

use std::path::{Path, PathBuf};

/// The workspace root this crate was built in.
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `$CARGO_TARGET_DIR` if set and not empty, else `<workspace>/target`.
#[must_use]
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target"),
    }
}

/// `<target>/reports`: the JSON inputs of `reports model-check` and `reports conformance`.
#[must_use]
pub fn reports_dir() -> PathBuf {
    target_dir().join("reports")
}

/// `<target>/regressions`: shrunk conformance failures of this machine's runs (U4).
#[must_use]
pub fn new_regressions_dir() -> PathBuf {
    target_dir().join("regressions")
}

/// `properties/regressions`: the kept regressions every run replays (written only by
/// `offline-v2 promote`).
#[must_use]
pub fn kept_regressions_dir() -> PathBuf {
    let here = Path::new("properties").join("regressions");
    if here.is_dir() {
        here
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions")
    }
}
