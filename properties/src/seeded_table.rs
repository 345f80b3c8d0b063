//! The seeded-bug table of `reports/conformance.md` (issue 10): for each `--features
//! seeded-bugs` implementation bug and each model `Bug` variant, which check caught it — the
//! SPEC §6 monitors on the implementation alone, the monitors on the model alone, lockstep —
//! and on how many steps.
//!
//! The rows are *measured*: the tests that hunt the bugs (`tests/monitors.rs`
//! `seeded_bugs_judged_by_the_monitors_alone` and `model_bugs_judged_by_the_monitors_alone`
//! — a breadth-first search of the monitored model check for the shortest counterexample,
//! with the older hunts as the fallback where the check cannot express the bug's input —,
//! `model_bugs_judged_by_lockstep`, `tests/seeded_bugs.rs` one test per bug) each write their rows with [`write_rows`] to
//! `<target>/reports/seeded-bugs/<column>[-<bug>].json`; `reports conformance` reads the
//! folder with [`load_rows`] and renders it with [`to_markdown`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How a row's `steps` was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// A single-threaded breadth-first search of the monitored model check
    /// (`monitors::checked::check` over `checked::ImplSystem` / `checked::ModelSystem`, the
    /// configurations of `checked::bfs_configs`, smallest first): the shortest counterexample
    /// in the first configuration that exposes the bug.
    Bfs,
    /// A lockstep failure shrunk: by proptest (a random case of an implementation bug), the
    /// shortest model path that diverged, or one step at a time (a model bug's first
    /// diverging input). Short, but not proven shortest.
    Shrunk,
    /// The first input of a hunt (corpus file, random case, model path) on which it was
    /// caught — the fallback where the check's actions cannot express the bug's input: its
    /// length, not a shortest one.
    FirstFound,
}

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
    /// The counterexample's length in steps (client calls, faults, outcomes of pending work,
    /// ticks or the model's timeout/retry events — each one step), measured as `measure`
    /// says: for the monitor columns the *shortest* one (BFS) unless `measure` is
    /// `first-found`; for lockstep the shrunk one.
    pub steps: Option<usize>,
    /// How `steps` was measured (`None` in rows written before it existed: read as
    /// first-found for the monitors, shrunk for lockstep).
    #[serde(default)]
    pub measure: Option<Measure>,
    /// Which input caught it ("BFS of <configuration>, depth N", a corpus file, a random
    /// case, a model path), and why a fallback was needed.
    pub input: Option<String>,
    /// How to replay it where the input alone does not say (`OFFLINE_V2_SEED=…` of a random
    /// lockstep case); a note under the table, not in the cell.
    #[serde(default)]
    pub replay: Option<String>,
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

/// The lockstep cell of a failure's text (`StepFailure`'s display, `step N: what — diverged:
/// …` and its detail lines; or an error such as `the implementation panicked: …`):
/// `lockstep: what at step N`.
#[must_use]
pub fn lockstep_cell(reason: &str) -> String {
    let first = reason.lines().next().unwrap_or_default();
    let head = first.split(" — ").next().unwrap_or(first);
    match head
        .strip_prefix("step ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((n, what)) if n.parse::<usize>().is_ok() => {
            // A comparator's text: "impl and model disagree on the DLL calls (lockstep)".
            let what = what
                .strip_prefix("impl and model disagree on ")
                .and_then(|w| w.strip_suffix(" (lockstep)"))
                .unwrap_or(what);
            format!("lockstep: {what} at step {n}")
        }
        _ => match head
            .strip_prefix("the implementation panicked: cluster invariant violated (")
            .and_then(|rest| rest.split_once(')'))
        {
            // The implementation's own check (I17) stopped the run: name its rule only.
            Some((rule, _)) => format!("lockstep: impl assertion I17 ({rule})"),
            None => format!("lockstep: {head}"),
        },
    }
}

const COLUMNS: [&str; 3] = ["impl-monitors", "model-monitors", "lockstep"];
const HEADINGS: [&str; 3] = [
    "monitors on impl alone",
    "monitors on model alone",
    "lockstep",
];

/// The text of one cell: `monitor R12 (6 steps)`, `... (7 steps, first found)` for a
/// fallback, `not caught`.
fn cell(r: &SeededRow) -> String {
    match (&r.caught_by, r.steps) {
        (Some(by), Some(n)) => {
            let unit = if n == 1 { "step" } else { "steps" };
            let first = if r.measure == Some(Measure::FirstFound) {
                ", first found"
            } else {
                ""
            };
            format!("{by} ({n} {unit}{first})")
        }
        (Some(by), None) => by.clone(),
        (None, _) => "not caught".to_owned(),
    }
}

/// The table: one line per (side, bug), one cell per column — `monitor R12 (6 steps)`,
/// `lockstep: the DLL calls at step 3 (4 steps)`, `not caught`, or `—` where that
/// column does not apply or was not measured — then one note per cell saying on which input
/// (and, for a random case, with which seed it replays).
#[must_use]
pub fn to_markdown(rows: &[SeededRow]) -> String {
    let mut table: BTreeMap<(&str, &str), [String; 3]> = BTreeMap::new();
    let mut notes: BTreeMap<(&str, &str, usize), String> = BTreeMap::new();
    for r in rows {
        let cells = table
            .entry((r.side.as_str(), r.bug.as_str()))
            .or_insert_with(|| std::array::from_fn(|_| "—".to_owned()));
        if let Some(i) = COLUMNS.iter().position(|c| *c == r.column) {
            cells[i] = cell(r);
            let note: Vec<&str> = [r.input.as_deref(), r.replay.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if !note.is_empty() {
                notes.insert((r.side.as_str(), r.bug.as_str(), i), note.join("; "));
            }
        }
    }
    let mut out = String::from(
        "## Seeded bugs\n\nMeasured by `cargo test -p offline-v2-properties --test monitors --test \
         seeded_bugs` (rows in `<target>/reports/seeded-bugs/`). Steps: the number of inputs \
         (client calls, faults, outcomes of pending work, ticks or the model's timeout/retry \
         events). Monitor columns: the **shortest** counterexample, found by a breadth-first \
         search of the monitored model check (the monitors as the properties of a check of the \
         implementation alone, or of the model alone) on the smallest configuration that \
         exposes the bug; `first found` marks a bug whose input the check's actions cannot \
         express, where the length is that of the first catching input of a hunt (corpus, \
         random cases, model paths). Lockstep (short, not proven shortest): for an implementation \
         bug the failure shrunk by proptest, or the shortest diverging model path; for a model \
         bug the first diverging input (corpus, random cases, model paths) shrunk one step at a \
         time. — : not applicable or not measured.\n\n\
         | side | bug | monitors on impl alone | monitors on model alone | lockstep |\n\
         |---|---|---|---|---|\n",
    );
    for ((side, bug), cells) in &table {
        out.push_str(&format!(
            "| {side} | {bug} | {} | {} | {} |\n",
            cells[0], cells[1], cells[2]
        ));
    }
    if !notes.is_empty() {
        out.push_str("\nInputs:\n\n");
        for ((side, bug, i), note) in &notes {
            out.push_str(&format!("- {side} {bug}, {}: {note}\n", HEADINGS[*i]));
        }
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
            measure: None,
            input: None,
            replay: None,
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

    #[test]
    fn the_replay_seed_and_the_input_are_notes_not_cell_text() {
        let mut lockstep = row(
            "lockstep",
            Some("lockstep: the DLL calls at step 2"),
            Some(3),
        );
        lockstep.replay = Some("replay with OFFLINE_V2_SEED=7".into());
        lockstep.input = Some("random case 5 on f".into());
        let mut first = row("impl-monitors", Some("monitor R1"), Some(9));
        first.measure = Some(Measure::FirstFound);
        let md = to_markdown(&[lockstep, first]);
        assert!(
            md.contains(
                "| impl | B | monitor R1 (9 steps, first found) | — | lockstep: the DLL calls at \
                 step 2 (3 steps) |"
            ),
            "{md}"
        );
        assert!(
            md.contains("- impl B, lockstep: random case 5 on f; replay with OFFLINE_V2_SEED=7"),
            "{md}"
        );
    }

    #[test]
    fn a_lockstep_cell_names_the_check_and_the_step() {
        assert_eq!(
            lockstep_cell(
                "step 3: impl and model disagree on the DLL calls (lockstep) — diverged: impl, \
                 model\n  expected:\n    x"
            ),
            "lockstep: the DLL calls at step 3"
        );
        assert_eq!(
            lockstep_cell("step 0: R12 violated: x (SPEC monitor) — diverged: impl"),
            "lockstep: R12 violated: x (SPEC monitor) at step 0"
        );
        assert_eq!(
            lockstep_cell("the implementation panicked: R14"),
            "lockstep: the implementation panicked: R14"
        );
        assert_eq!(
            lockstep_cell(
                "the implementation panicked: cluster invariant violated (R10): ResourceId(0) \
                 is Failed"
            ),
            "lockstep: impl assertion I17 (R10)"
        );
    }

    #[test]
    fn rows_written_before_measure_and_replay_still_load() {
        let old = r#"[{"side":"impl","bug":"B","column":"lockstep","caught_by":"x","steps":3,"input":null}]"#;
        let rows: Vec<SeededRow> = serde_json::from_str(old).expect("parses");
        assert_eq!(rows[0].measure, None);
        assert_eq!(rows[0].replay, None);
    }
}
