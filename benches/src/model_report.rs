//! `reports/model-check.md` from the JSON the model checker writes (schema in
//! `reports/README.md`, "model-check.json").
//!
//! The property entries mirror stateright's API: a property is `always`, `eventually` or
//! `sometimes`, and `discovered` says whether the checker found a path for it (a
//! counterexample for `always`/`eventually`, an example for `sometimes`). A property passes when
//! `discovered == (expectation == sometimes)`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Version of `model-check.json`'s schema.
pub const MODEL_CHECK_SCHEMA: u32 = 1;

/// Errors reading a model-check or conformance JSON file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file is missing or unreadable.
    #[error("cannot read {path}: {source} (the producer writes it; see reports/README.md)")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON of the documented schema.
    #[error("{path} does not match the schema in reports/README.md: {source}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parse error (with line and column).
        #[source]
        source: serde_json::Error,
    },
    /// The file has another schema version.
    #[error("{path} has schema {found}, this tool reads schema {expected}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// Ours.
        expected: u32,
    },
    /// A value that the schema allows syntactically but that makes no sense.
    #[error("{path}: {what}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// Reads and parses a JSON input file of schema `expected`.
///
/// # Errors
/// [`InputError`].
pub fn read_json<T: for<'de> Deserialize<'de>>(
    path: &Path,
    expected: u32,
    schema_of: impl Fn(&T) -> u32,
) -> Result<T, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let value: T = serde_json::from_str(&text).map_err(|source| InputError::Malformed {
        path: path.to_path_buf(),
        source,
    })?;
    let found = schema_of(&value);
    if found != expected {
        return Err(InputError::Schema {
            path: path.to_path_buf(),
            found,
            expected,
        });
    }
    Ok(value)
}

/// The kind of a stateright property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// Must hold in every reachable state.
    Always,
    /// Must hold eventually on every path (bounded liveness).
    Eventually,
    /// Must be reachable (a vacuity witness).
    Sometimes,
}

/// One checker run (one thread count).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Checker threads.
    pub threads: u32,
    /// Unique states visited.
    pub unique_states: u64,
    /// States generated, duplicates included (optional).
    #[serde(default)]
    pub states_generated: Option<u64>,
    /// Deepest path explored (optional).
    #[serde(default)]
    pub max_depth: Option<u64>,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// The whole state space was explored (false: stopped by a bound or timeout).
    pub complete: bool,
    /// Peak resident memory of the process (VmHWM), KiB (optional).
    #[serde(default)]
    pub peak_rss_kib: Option<u64>,
}

/// One property's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyResult {
    /// The property's name as in the model (e.g. "R10 single owner").
    pub name: String,
    /// Its kind.
    pub expectation: Expectation,
    /// The checker found a path for it (counterexample or example).
    pub discovered: bool,
    /// That path, one action per entry (optional, shown for failures).
    #[serde(default)]
    pub path: Vec<String>,
}

impl PropertyResult {
    /// Whether the property passes.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.discovered == (self.expectation == Expectation::Sometimes)
    }
}

/// A seeded bug (test-only mutation of the model or impl) and what caught it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeededBug {
    /// The bug's name.
    pub bug: String,
    /// The property that caught it, or null if none did (a failure of the suite).
    pub caught_by: Option<String>,
}

/// `model-check.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCheck {
    /// [`MODEL_CHECK_SCHEMA`].
    pub schema: u32,
    /// Name of the model configuration ("default", "large").
    pub config: String,
    /// One line about it (nodes, groups, resources, faults).
    #[serde(default)]
    pub description: String,
    /// One entry per thread count.
    pub runs: Vec<Run>,
    /// Property results (of any one run: they do not depend on the thread count).
    pub properties: Vec<PropertyResult>,
    /// Seeded bugs, if that check ran.
    #[serde(default)]
    pub seeded_bugs: Vec<SeededBug>,
}

impl ModelCheck {
    /// Reads `path`.
    ///
    /// # Errors
    /// [`InputError`], also for a run with zero seconds or zero threads.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let value: Self = read_json(path, MODEL_CHECK_SCHEMA, |m: &Self| m.schema)?;
        if let Some(run) = value
            .runs
            .iter()
            .find(|r| r.threads == 0 || !(r.seconds.is_finite() && r.seconds > 0.0))
        {
            return Err(InputError::Invalid {
                path: path.to_path_buf(),
                what: format!(
                    "a run needs threads ≥ 1 and seconds > 0 (got threads {}, seconds {})",
                    run.threads, run.seconds
                ),
            });
        }
        Ok(value)
    }

    /// True when every property passes and every seeded bug was caught.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.properties.iter().all(PropertyResult::passed)
            && self.seeded_bugs.iter().all(|b| b.caught_by.is_some())
    }

    /// `reports/model-check.md`.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Model-check report\n");
        let _ = writeln!(
            md,
            "Configuration **{}**{}. Generated by `reports model-check` from the checker's JSON.\n",
            self.config,
            if self.description.is_empty() {
                String::new()
            } else {
                format!(": {}", self.description)
            }
        );
        let verdict = if self.passed() {
            "**PASS**"
        } else {
            "**FAIL**"
        };
        let _ = writeln!(md, "{verdict}\n\n## Runs\n");
        let _ = writeln!(
            md,
            "| threads | unique states | generated | max depth | seconds | states/s | speed-up vs 1 thread | complete |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
        let one = self.runs.iter().find(|r| r.threads == 1).map(|r| r.seconds);
        for r in &self.runs {
            let rate = r.unique_states as f64 / r.seconds;
            let speedup = one.map_or_else(|| "–".to_owned(), |s| format!("{:.2}×", s / r.seconds));
            let opt = |v: Option<u64>| v.map_or_else(|| "–".to_owned(), |v| v.to_string());
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.2} | {:.0} | {} | {} |",
                r.threads,
                r.unique_states,
                opt(r.states_generated),
                opt(r.max_depth),
                r.seconds,
                rate,
                speedup,
                if r.complete {
                    "yes"
                } else {
                    "**no** (bounded)"
                }
            );
        }
        let _ = writeln!(md, "\n## Properties\n");
        let _ = writeln!(md, "| property | kind | result |");
        let _ = writeln!(md, "|---|---|---|");
        for p in &self.properties {
            let result = match (p.expectation, p.discovered) {
                (Expectation::Sometimes, true) => "example found (ok)".to_owned(),
                (Expectation::Sometimes, false) => "**never reached** (vacuous?)".to_owned(),
                (_, false) => "holds".to_owned(),
                (_, true) => format!("**violated**: {}", p.path.join(" → ")),
            };
            let kind = match p.expectation {
                Expectation::Always => "always",
                Expectation::Eventually => "eventually",
                Expectation::Sometimes => "sometimes",
            };
            let _ = writeln!(md, "| {} | {} | {} |", p.name, kind, result);
        }
        if !self.seeded_bugs.is_empty() {
            let _ = writeln!(md, "\n## Seeded bugs\n");
            let _ = writeln!(md, "| bug | caught by |");
            let _ = writeln!(md, "|---|---|");
            for b in &self.seeded_bugs {
                let by = b
                    .caught_by
                    .clone()
                    .unwrap_or_else(|| "**not caught**".to_owned());
                let _ = writeln!(md, "| {} | {} |", b.bug, by);
            }
        }
        md
    }
}

/// One run of `scripts/model-table.sh`: one `offline-v2 check --json` of a table row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRun {
    /// The row, `(nodes,groups,resources,calls,faults)`.
    pub row: String,
    /// The SPIN reference figures of issue 11 for the row: distinct states, seconds, MB.
    pub spin: [f64; 3],
    /// `native` or `stateright`.
    pub engine: String,
    /// Checker threads.
    pub threads: u32,
    /// Symmetry reduction on.
    pub symmetry: bool,
    /// What `check --json` printed.
    pub check: ModelCheck,
}

/// `reports/model-table.json`, written by `scripts/model-table.sh` (issue 11's table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelTable {
    /// [`MODEL_CHECK_SCHEMA`].
    pub schema: u32,
    /// How it was measured (machine, load, commit, date).
    pub note: String,
    /// Every run.
    pub runs: Vec<TableRun>,
}

impl ModelTable {
    /// Reads `path`.
    ///
    /// # Errors
    /// [`InputError`].
    pub fn load(path: &Path) -> Result<Self, InputError> {
        read_json(path, MODEL_CHECK_SCHEMA, |m: &Self| m.schema)
    }

    fn find(&self, row: &str, engine: &str, threads: u32, symmetry: bool) -> Option<&Run> {
        self.runs
            .iter()
            .find(|r| {
                r.row == row && r.engine == engine && r.threads == threads && r.symmetry == symmetry
            })
            .and_then(|r| r.check.runs.first())
    }

    /// The markdown section: one line per row, beside the SPIN reference.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "\n## Issue 11's table: exhausting configurations against a SPIN encoding\n"
        );
        let _ = writeln!(md, "{}\n", self.note);
        let _ = writeln!(
            md,
            "| configuration | SPIN distinct states | SPIN s | SPIN MB | unique states | unique, symmetry | 1 thread s | 2 threads s | speed-up 2/1 | 1 thread s, symmetry | 2 threads s, symmetry | speed-up 2/1 (symmetry) | peak RSS MB | stateright DFS s (1 thread) |"
        );
        let _ = writeln!(
            md,
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        );
        let mut rows: Vec<&str> = self.runs.iter().map(|r| r.row.as_str()).collect();
        rows.dedup();
        for row in rows {
            let spin = self
                .runs
                .iter()
                .find(|r| r.row == row)
                .map_or([0.0; 3], |r| r.spin);
            let get = |t, sym| self.find(row, "native", t, sym);
            let secs =
                |r: Option<&Run>| r.map_or_else(|| "–".to_owned(), |r| format!("{:.2}", r.seconds));
            let unique =
                |r: Option<&Run>| r.map_or_else(|| "–".to_owned(), |r| r.unique_states.to_string());
            // 1-thread seconds over 2-thread seconds, where the table has both runs.
            let speedup_of = |one: Option<&Run>, two: Option<&Run>| match (one, two) {
                (Some(a), Some(b)) => format!("{:.2}×", a.seconds / b.seconds.max(1e-9)),
                _ => "–".to_owned(),
            };
            let plain_speedup = speedup_of(get(1, false), get(2, false));
            let speedup = speedup_of(get(1, true), get(2, true));
            let peak = self
                .runs
                .iter()
                .filter(|r| r.row == row && r.engine == "native")
                .filter_map(|r| r.check.runs.first().and_then(|x| x.peak_rss_kib))
                .max()
                .map_or_else(|| "–".to_owned(), |k| format!("{:.0}", k as f64 / 1024.0));
            let (spin_states, spin_s, spin_mb) = if spin[0] > 0.0 {
                (
                    format!("{:.0}", spin[0]),
                    spin[1].to_string(),
                    format!("{:.0}", spin[2]),
                )
            } else {
                ("–".to_owned(), "–".to_owned(), "–".to_owned())
            };
            let _ = writeln!(
                md,
                "| {row} | {spin_states} | {spin_s} | {spin_mb} | {} | {} | {} | {} | {plain_speedup} | {} | {} | {speedup} | {peak} | {} |",
                unique(get(1, false)),
                unique(get(1, true)),
                secs(get(1, false)),
                secs(get(2, false)),
                secs(get(1, true)),
                secs(get(2, true)),
                secs(self.find(row, "stateright", 1, false)),
            );
        }
        let failing: Vec<String> = self
            .runs
            .iter()
            .filter(|r| !r.check.passed() || r.check.runs.iter().any(|x| !x.complete))
            .map(|r| format!("{} ({} threads, symmetry {})", r.row, r.threads, r.symmetry))
            .collect();
        let _ = writeln!(
            md,
            "\nEvery property held in every run{}.",
            if failing.is_empty() {
                String::new()
            } else {
                format!(" **except**: {}", failing.join(", "))
            }
        );
        md
    }
}

/// `markdown` followed by the table of `dir/model-table.json`, if that file exists.
///
/// # Errors
/// The table file exists but cannot be read or parsed.
pub fn with_table(markdown: String, dir: &Path) -> Result<String, InputError> {
    let path = dir.join("model-table.json");
    if !path.exists() {
        return Ok(markdown);
    }
    Ok(markdown + &ModelTable::load(&path)?.to_markdown())
}

/// `markdown` followed by the implementation's model check (`impl-check.json` in `dir`, which
/// `offline-v2 verify` writes next to `model-check.json`, or `offline-v2 check --impl
/// --model-check-json`) beside `model`'s run of the same configuration, if that file exists:
/// unique states of each, and why they differ.
///
/// # Errors
/// A malformed `impl-check.json`.
pub fn with_impl(markdown: String, model: &ModelCheck, dir: &Path) -> Result<String, InputError> {
    let path = dir.join("impl-check.json");
    if !path.exists() {
        return Ok(markdown);
    }
    Ok(markdown + &impl_section(&ModelCheck::load(&path)?, model))
}

/// The implementation-check section (see [`with_impl`]).
#[must_use]
pub fn impl_section(imp: &ModelCheck, model: &ModelCheck) -> String {
    let mut s = String::from(
        "\n## The implementation model-checked (issue 10)\n\n\
         `offline-v2 check --impl`: stateright BFS over the implementation itself (`Cluster` \
         over the in-process reference DLL) with the SPEC §6 monitors as its properties (the \
         safety rules, the bounded response of §6's two \"eventually\" (P7) and its four \
         \"sometimes\" (P8)), on the same configuration and budgets as the model's check \
         above.\n\n\
         | checked | configuration | unique states | states | depth | seconds | complete | properties failed |\n\
         |---|---|---:|---:|---:|---:|---|---|\n",
    );
    for (who, m) in [("model", model), ("implementation", imp)] {
        let failed: Vec<&str> = m
            .properties
            .iter()
            .filter(|p| !p.passed())
            .map(|p| p.name.as_str())
            .collect();
        if let Some(r) = m.runs.first() {
            let _ = writeln!(
                s,
                "| {who} | {} | {} | {} | {} | {:.2} | {} | {} |",
                m.description,
                r.unique_states,
                r.states_generated.map_or("?".into(), |n| n.to_string()),
                r.max_depth.map_or("?".into(), |n| n.to_string()),
                r.seconds,
                if r.complete { "yes" } else { "no" },
                if failed.is_empty() {
                    "none".to_owned()
                } else {
                    failed.join(", ")
                }
            );
        }
    }
    s.push_str(
        "\nThe counts differ because the implementation's state holds what the model abstracts \
         (M14, M15): the logical clock relative to the pending calls' starts and the queued \
         moves' last attempts (I19), the next operation id, each RESID's generation and the DLL \
         instances' own words, and the monitors' state (P6) with the §6 witness bit of the \
         transition into each state (P8).\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_impl_section_shows_both_counts_and_names_a_failed_monitor() {
        let doc = |unique: u64, discovered: bool| ModelCheck {
            schema: 1,
            config: "default".into(),
            description: "cfg".into(),
            runs: vec![Run {
                threads: 1,
                unique_states: unique,
                states_generated: Some(10 * unique),
                max_depth: Some(9),
                seconds: 1.0,
                complete: true,
                peak_rss_kib: None,
            }],
            properties: vec![PropertyResult {
                name: "R12 exact OfflineV2 flags (monitor)".into(),
                expectation: Expectation::Always,
                discovered,
                path: Vec::new(),
            }],
            seeded_bugs: Vec::new(),
        };
        let ok = impl_section(&doc(12_438, false), &doc(2_278, false));
        assert!(ok.contains("| model | cfg | 2278 |"), "{ok}");
        assert!(ok.contains("| implementation | cfg | 12438 |"), "{ok}");
        assert!(ok.contains("| none |"), "{ok}");
        let bad = impl_section(&doc(7, true), &doc(2_278, false));
        assert!(
            bad.contains("| R12 exact OfflineV2 flags (monitor) |"),
            "{bad}"
        );
    }

    #[test]
    fn the_table_shows_each_row_beside_spin_and_names_a_failing_run() {
        let check = |unique: u64, seconds: f64, discovered: bool| ModelCheck {
            schema: 1,
            config: "check".into(),
            description: String::new(),
            runs: vec![Run {
                threads: 1,
                unique_states: unique,
                states_generated: None,
                max_depth: None,
                seconds,
                complete: true,
                peak_rss_kib: Some(2048),
            }],
            properties: vec![PropertyResult {
                name: "R10 single owner".into(),
                expectation: Expectation::Always,
                discovered,
                path: Vec::new(),
            }],
            seeded_bugs: Vec::new(),
        };
        let run = |threads, symmetry, c| TableRun {
            row: "(3,1,1,3,2)".into(),
            spin: [16562.0, 0.12, 8.0],
            engine: "native".into(),
            threads,
            symmetry,
            check: c,
        };
        let mut table = ModelTable {
            schema: 1,
            note: "test".into(),
            runs: vec![
                run(1, false, check(100, 0.5, false)),
                run(1, true, check(60, 0.4, false)),
                run(2, true, check(60, 0.2, false)),
            ],
        };
        let md = table.to_markdown();
        // No 2-thread run without symmetry: no speed-up there; 0.40/0.20 with symmetry.
        assert!(md.contains("| (3,1,1,3,2) | 16562 | 0.12 | 8 | 100 | 60 | 0.50 | – | – | 0.40 | 0.20 | 2.00× | 2 |"), "{md}");
        table.runs.push(run(2, false, check(100, 0.25, false)));
        let md = table.to_markdown();
        assert!(
            md.contains("| 0.50 | 0.25 | 2.00× | 0.40 | 0.20 | 2.00× |"),
            "{md}"
        );
        table.runs.pop();
        assert!(md.contains("Every property held in every run."), "{md}");
        table.runs[2].check = check(60, 0.2, true);
        assert!(table
            .to_markdown()
            .contains("**except**: (3,1,1,3,2) (2 threads, symmetry true)"));
    }
}
