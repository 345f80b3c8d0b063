//! Finding and loading scenario files (`offline-v2 replay FILE|DIR...`).

use std::path::{Path, PathBuf};

use crate::scenario::{Scenario, ScenarioError};

/// Every `*.json` file named or inside a named folder (recursively), sorted, deduplicated.
///
/// # Errors
/// A [`ScenarioError`] at path `$` for a path that does not exist or cannot be listed.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScenarioError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    let err = |message: String| ScenarioError {
        file: path.to_owned(),
        path: "$".into(),
        message,
    };
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| err(format!("cannot list: {e}")))?;
        for entry in entries {
            let entry = entry.map_err(|e| err(format!("cannot list: {e}")))?;
            let p = entry.path();
            if p.is_dir() || p.extension().is_some_and(|x| x == "json") {
                collect(&p, out)?;
            }
        }
        Ok(())
    } else if path.is_file() {
        out.push(path.to_owned());
        Ok(())
    } else {
        Err(err("no such file or folder".into()))
    }
}

/// Parses every file; all must be valid before anything runs (SPEC §7).
///
/// # Errors
/// Every [`ScenarioError`] found, one per bad file.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let (ok, bad): (Vec<_>, Vec<_>) = files
        .iter()
        .map(|f| Scenario::load(f))
        .partition(Result::is_ok);
    if bad.is_empty() {
        Ok(ok.into_iter().filter_map(Result::ok).collect())
    } else {
        Err(bad.into_iter().filter_map(Result::err).collect())
    }
}
