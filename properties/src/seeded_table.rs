//! The seeded-bug table of `reports/conformance.md` (issue 10): for each `--features
//! seeded-bugs` implementation bug and each model `Bug` variant, which check caught it — the
//! SPEC §6 monitors on the implementation alone, the monitors on the model alone, lockstep —
//! and on how many steps.
//!
//! The rows are *measured*: the tests that hunt the bugs (`tests/monitors.rs`
//! `seeded_bugs_judged_by_the_monitors_alone` and `model_bugs_judged_by_the_monitors_alone`,
//! `tests/seeded_bugs.rs` one test per bug) each write their rows with [`write_rows`] to
//! `<target>/reports/seeded-bugs/<column>[-<bug>].json`; `reports conformance` reads the
//! folder with [`load_rows`] and renders it with [`to_markdown`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Who caught one bug in one column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeededRow {
    /// `impl` (a `--features seeded-bugs` bug) or `model` (a model `Bug` variant).
    pub side: String,
    /// The bug's name.
    pub bug: String,
    /// `impl-monitors`, `model-monitors` or `lockstep`.
    pub column: String,
    /// What caught it (`monitor R12`, `impl assertion (I17)`, `lockstep: …`), `None` if
    /// nothing did on the inputs tried.
    pub caught_by: Option<String>,
    /// The length in steps of the counterexample kept: the shrunk one for lockstep, the first
    /// input found (corpus file, random case, model path) for the monitors.
    pub steps: Option<usize>,
    /// Which input caught it.
    pub input: Option<String>,
}

/// The folder of the rows: `<target>/reports/seeded-bugs`.
#[must_use]
pub fn rows_dir() -> PathBuf {
    crate::paths::reports_dir().join("seeded-bugs")
}

/// Writes `rows` to `rows_dir()/<file>.json`.
///
/// # Errors
/// The folder cannot be created or the file written.
pub fn write_rows(file: &str, rows: &[SeededRow]) -> std::io::Result<PathBuf> {
    let dir = rows_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{file}.json"));
    let text = serde_json::to_string_pretty(rows).map_err(std::io::Error::other)?;
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Every row of every `*.json` in `dir`, files in name order; `Ok(empty)` if `dir` is absent.
///
/// # Errors
/// A file that cannot be read or parsed: its path and why.
pub fn load_rows(dir: &Path) -> Result<Vec<SeededRow>, String> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(&f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        let mut more: Vec<SeededRow> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        rows.append(&mut more);
    }
    Ok(rows)
}

const COLUMNS: [&str; 3] = ["impl-monitors", "model-monitors", "lockstep"];

/// The table: one line per (side, bug), one cell per column — `R12 (5 steps)`, `not caught`,
/// or `—` where that column does not apply or was not measured.
#[must_use]
pub fn to_markdown(rows: &[SeededRow]) -> String {
    let mut table: BTreeMap<(&str, &str), [String; 3]> = BTreeMap::new();
    for r in rows {
        let cells = table
            .entry((r.side.as_str(), r.bug.as_str()))
            .or_insert_with(|| std::array::from_fn(|_| "—".to_owned()));
        if let Some(i) = COLUMNS.iter().position(|c| *c == r.column) {
            cells[i] = match (&r.caught_by, r.steps) {
                (Some(by), Some(n)) => format!("{by} ({n} steps)"),
                (Some(by), None) => by.clone(),
                (None, _) => "not caught".to_owned(),
            };
        }
    }
    let mut out = String::from(
        "## Seeded bugs\n\nMeasured by `cargo test -p offline-v2-properties --test monitors --test \
         seeded_bugs` (rows in `<target>/reports/seeded-bugs/`). Steps: the shrunk \
         counterexample for lockstep; for the monitors, the first input that caught it (corpus \
         file, random case, model path; for the two liveness bugs, the path of the monitored \
         model check to the state whose fair continuation fails, P7). — : not applicable or \
         not measured.\n\n\
         | side | bug | monitors on impl alone | monitors on model alone | lockstep |\n\
         |---|---|---|---|---|\n",
    );
    for ((side, bug), cells) in &table {
        out.push_str(&format!(
            "| {side} | {bug} | {} | {} | {} |\n",
            cells[0], cells[1], cells[2]
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(column: &str, caught_by: Option<&str>, steps: Option<usize>) -> SeededRow {
        SeededRow {
            side: "impl".into(),
            bug: "B".into(),
            column: column.into(),
            caught_by: caught_by.map(Into::into),
            steps,
            input: None,
        }
    }

    #[test]
    fn one_line_per_bug_with_a_cell_per_column() {
        let md = to_markdown(&[
            row("lockstep", Some("lockstep"), Some(4)),
            row("impl-monitors", None, None),
        ]);
        assert!(
            md.contains("| impl | B | not caught | — | lockstep (4 steps) |"),
            "{md}"
        );
    }
}
