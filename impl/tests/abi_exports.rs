//! The cdylib exports the resapi.h entry points by their C names (`nm -D`, SPEC §1a).

mod abi_common;

use std::process::Command;

use abi_common::skipped;
use offline_v2::loader::find_cdylib;

/// Exported text symbols of `path`, from `nm -D --defined-only`.
fn exported(path: &std::path::Path) -> Option<Vec<String>> {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(path)
        .output()
        .ok()?;
    assert!(out.status.success(), "nm failed on {}", path.display());
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let mut parts = line.split_whitespace().rev();
                let name = parts.next()?;
                let kind = parts.next()?;
                (kind == "T").then(|| name.to_owned())
            })
            .collect(),
    )
}

#[test]
fn cdylib_exports_startup_ex_startup_and_the_reference_exports() {
    let path = match find_cdylib() {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let Some(symbols) = exported(&path) else {
        skipped(
            "abi_exports::cdylib_exports_startup_ex_startup_and_the_reference_exports",
            "nm (binutils) is not installed, so the exported symbols cannot be listed",
        );
        return;
    };
    for name in [
        "StartupEx",
        "Startup",
        "OfflineV2ReferenceControl",
        "OfflineV2ReferenceRelease",
        "OfflineV2ReferenceState",
    ] {
        assert!(
            symbols.iter().any(|s| s == name),
            "{name} is not exported by {}",
            path.display()
        );
    }
}
