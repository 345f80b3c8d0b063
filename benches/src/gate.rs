//! The deterministic instruction-count gate (issue 13): callgrind profiles of one gungraun run
//! (`benches/benches/instructions.rs`) compared, by benchmark id, with the committed baseline
//! `reports/instructions.json`.
//!
//! - A benchmark whose instruction count grew by more than the band (default 2%) is a
//!   **regression**: the gate fails and prints, for that benchmark, the functions whose *self*
//!   instruction count grew most (the per-function diff of the two profiles).
//! - A benchmark in the run but not in the baseline is **new** (reported, not gated until the
//!   baseline is re-blessed); one in the baseline but not in the run is **missing** (renamed
//!   or removed: the gate fails, so a bench cannot silently disappear).
//! - Cache estimates (L1/LL/RAM hits, estimated cycles) are reported, never gated.
//!
//! Updating the baseline is a deliberate command (`scripts/gate.sh --bless`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::callgrind::{self, Events, Profile};

/// Version of `reports/instructions.json`'s schema.
pub const GATE_SCHEMA: u32 = 1;

/// The default band: an instruction count may grow by 2% before the gate fails (the committed
/// baseline uses a tighter one, measured safe: see reports/README.md).
pub const DEFAULT_GATE_BAND: f64 = 0.02;

/// The default absolute floor of a regression, in instructions: a count must also grow by more
/// than this. Rebuilding *unrelated* code moved the ~245-instruction R1 rejection by ±1
/// instruction (data alignment changes which path `memcpy` takes); within one build every run
/// is identical.
pub const DEFAULT_MIN_DELTA: u64 = 4;

/// Functions kept per benchmark in the baseline, by self instructions: at least
/// [`FUNCTIONS_MIN`], then until they cover [`FUNCTIONS_COVER`] of the instructions, at most
/// [`FUNCTIONS_MAX`] — enough to name what grew, small enough to review in a diff.
pub const FUNCTIONS_MIN: usize = 40;
/// See [`FUNCTIONS_MIN`].
pub const FUNCTIONS_MAX: usize = 200;
/// See [`FUNCTIONS_MIN`].
pub const FUNCTIONS_COVER: f64 = 0.999;

/// Errors of the gate, each naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// No callgrind output under the gungraun directory.
    #[error(
        "no callgrind output under {0}: run the instruction benches first \
         (scripts/gate.sh, or cargo bench -p offline-v2-benches --bench instructions)"
    )]
    NoRun(PathBuf),
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// "read", "write", "list".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A callgrind file that does not parse.
    #[error("{path}: not a callgrind output file: {source}")]
    Callgrind {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: callgrind::FormatError,
    },
    /// The baseline is missing (CI mode) or malformed.
    #[error("{path}: {what}")]
    Baseline {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        what: String,
    },
    /// A band outside (0, 1).
    #[error("gate band {0} is not a fraction in (0, 1) (0.02 means +2%)")]
    BadBand(f64),
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> GateError + 'a {
    move |source| GateError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// One benchmark of a run: its summed profile and the files it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    /// All threads' files summed.
    pub profile: Profile,
    /// The callgrind files (one per thread).
    pub files: Vec<PathBuf>,
}

/// The benchmark id of a gungraun output directory `…/<group>/<function>.<bench id>`:
/// `group.function`.
fn bench_id(bench_dir: &Path) -> Option<String> {
    let function = bench_dir.file_name()?.to_str()?;
    let function = function.split('.').next()?;
    let group = bench_dir.parent()?.file_name()?.to_str()?;
    Some(format!("{group}.{function}"))
}

/// True for a callgrind output file of the current run (not gungraun's `.old` copy of the
/// previous run, nor a log or flamegraph).
fn is_profile(name: &str) -> bool {
    name.starts_with("callgrind.")
        && name.contains(".out")
        && !name.contains(".old")
        && !name.ends_with(".log")
        && !name.ends_with(".svg")
}

/// Reads every benchmark's callgrind files under `dir` (gungraun's home, e.g.
/// `target/gungraun`), keyed by benchmark id.
///
/// # Errors
/// [`GateError::NoRun`] when there is none; I/O and format errors per file.
pub fn load_run(dir: &Path) -> Result<BTreeMap<String, Measured>, GateError> {
    let mut files = Vec::new();
    collect(dir, &mut files, 0)?;
    files.sort();
    let mut out: BTreeMap<String, Measured> = BTreeMap::new();
    for path in files {
        let Some(id) = path.parent().and_then(bench_id) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(io("read", &path))?;
        let profile = callgrind::parse(&text).map_err(|source| GateError::Callgrind {
            path: path.clone(),
            source,
        })?;
        let entry = out.entry(id).or_insert_with(|| Measured {
            profile: Profile::default(),
            files: Vec::new(),
        });
        entry.profile.merge(profile);
        entry.files.push(path);
    }
    if out.is_empty() {
        return Err(GateError::NoRun(dir.to_path_buf()));
    }
    Ok(out)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>, depth: usize) -> Result<(), GateError> {
    if depth > 8 || !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(io("list", dir))? {
        let path = entry.map_err(io("list", dir))?.path();
        if path.is_dir() {
            collect(&path, files, depth + 1)?;
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_profile)
        {
            files.push(path);
        }
    }
    Ok(())
}

/// One benchmark's figures in the baseline (and in a run's summary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchFigures {
    /// Instructions executed (callgrind `Ir`): the gated count.
    pub instructions: u64,
    /// L1 hits (cache simulation; reported, not gated).
    pub l1_hits: u64,
    /// Last-level cache hits.
    pub ll_hits: u64,
    /// Accesses that missed every cache.
    pub ram_hits: u64,
    /// L1 hits + 5 × LL hits + 35 × RAM hits.
    pub estimated_cycles: u64,
    /// Self instructions of the costliest functions (see [`FUNCTIONS_MIN`]).
    pub functions: BTreeMap<String, u64>,
    /// Self instructions of the costliest function *not* kept (0: every function is kept), so
    /// that a function absent from `functions` is known to have cost less than this.
    #[serde(default)]
    pub functions_cut: u64,
}

impl BenchFigures {
    /// The figures of a measured profile.
    #[must_use]
    pub fn of(profile: &Profile) -> Self {
        let e: &Events = &profile.events;
        let mut by_cost: Vec<(&String, &u64)> = profile.self_ir.iter().collect();
        by_cost.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let total: u64 = by_cost.iter().map(|(_, n)| **n).sum();
        let mut kept = 0;
        let mut covered = 0u64;
        while kept < by_cost.len()
            && kept < FUNCTIONS_MAX
            && (kept < FUNCTIONS_MIN || (covered as f64) < FUNCTIONS_COVER * total as f64)
        {
            covered += by_cost[kept].1;
            kept += 1;
        }
        let functions_cut = by_cost.get(kept).map_or(0, |(_, n)| **n);
        Self {
            instructions: e.ir,
            l1_hits: e.l1_hits(),
            ll_hits: e.ll_hits(),
            ram_hits: e.ram_hits(),
            estimated_cycles: e.estimated_cycles(),
            functions: by_cost
                .into_iter()
                .take(kept)
                .map(|(f, n)| (f.clone(), *n))
                .collect(),
            functions_cut,
        }
    }
}

/// `reports/instructions.json`: the committed instruction counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateBaseline {
    /// [`GATE_SCHEMA`].
    pub schema: u32,
    /// Allowed growth of a benchmark's instruction count, as a fraction (0.02 = +2%).
    pub band: f64,
    /// A regression must also grow by more than this many instructions.
    #[serde(default = "default_min_delta")]
    pub min_delta: u64,
    /// How and where the baseline was measured (toolchain, valgrind, spread).
    #[serde(default)]
    pub note: String,
    /// Benchmark id → figures.
    pub benches: BTreeMap<String, BenchFigures>,
}

impl GateBaseline {
    /// Reads and validates the baseline; `Ok(None)` if the file does not exist.
    ///
    /// # Errors
    /// I/O, parse, schema and band errors.
    pub fn load(path: &Path) -> Result<Option<Self>, GateError> {
        if !path.exists() {
            return Ok(None);
        }
        let bad = |what: String| GateError::Baseline {
            path: path.to_path_buf(),
            what,
        };
        let text = std::fs::read_to_string(path).map_err(io("read", path))?;
        let file: Self = serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "not a valid gate baseline ({e}); schema in reports/README.md; \
                 re-bless with scripts/gate.sh --bless"
            ))
        })?;
        if file.schema != GATE_SCHEMA {
            return Err(bad(format!(
                "schema {} (this tool reads schema {GATE_SCHEMA})",
                file.schema
            )));
        }
        check_band(file.band)?;
        Ok(Some(file))
    }

    /// Writes the file (pretty JSON, trailing newline).
    ///
    /// # Errors
    /// I/O errors.
    pub fn save(&self, path: &Path) -> Result<(), GateError> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        std::fs::write(path, text).map_err(io("write", path))
    }
}

fn default_min_delta() -> u64 {
    DEFAULT_MIN_DELTA
}

/// Validates a band.
///
/// # Errors
/// [`GateError::BadBand`].
pub fn check_band(band: f64) -> Result<f64, GateError> {
    if band.is_finite() && band > 0.0 && band < 1.0 {
        Ok(band)
    } else {
        Err(GateError::BadBand(band))
    }
}

/// A benchmark's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateVerdict {
    /// Within the band.
    Ok,
    /// Grew by more than the band: the gate fails.
    Regressed,
    /// Shrank by more than the band (re-bless to lock the gain in).
    Improved,
    /// In the run, not in the baseline: not gated until re-blessed.
    New,
    /// In the baseline, not in the run: renamed or removed; the gate fails.
    Missing,
    /// In the baseline, not in a run that was filtered on purpose (`--partial`).
    NotRun,
}

impl GateVerdict {
    /// The word shown in the report.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Regressed => "REGRESSED",
            Self::Improved => "improved (re-bless to keep)",
            Self::New => "new (no baseline)",
            Self::Missing => "MISSING (in baseline, not run)",
            Self::NotRun => "not run (filtered)",
        }
    }

    /// True when this verdict fails the gate.
    #[must_use]
    pub fn fails(self) -> bool {
        matches!(self, Self::Regressed | Self::Missing)
    }
}

/// One function's change of self instructions between baseline and run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionDelta {
    /// Normalised function name.
    pub function: String,
    /// Baseline self instructions; None when the function is not among the baseline's kept
    /// functions (then it cost less than the baseline's `functions_cut`, or 0 if that is 0).
    pub old: Option<u64>,
    /// This run's self instructions.
    pub new: u64,
    /// new − old (old taken as the baseline's cut when unknown: a lower bound of the growth).
    pub delta: i64,
}

/// One row of the gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRow {
    /// Benchmark id (`group.function`).
    pub id: String,
    /// Baseline figures, if any.
    pub old: Option<BenchFigures>,
    /// This run's figures, if it ran.
    pub new: Option<BenchFigures>,
    /// Relative change of the instruction count (0.05 = +5%).
    pub change: Option<f64>,
    /// The verdict.
    pub verdict: GateVerdict,
    /// For a regression: the functions whose self instructions grew most, then shrank most.
    pub functions: Vec<FunctionDelta>,
    /// This run's callgrind files (for `callgrind_annotate`).
    pub files: Vec<PathBuf>,
}

/// The evaluated gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReport {
    /// The band applied.
    pub band: f64,
    /// The absolute floor applied (instructions).
    pub min_delta: u64,
    /// One row per benchmark id in the run or the baseline, sorted by id.
    pub rows: Vec<GateRow>,
    /// False when there was no baseline file at all.
    pub had_baseline: bool,
}

/// Functions shown per regressed benchmark.
const SHOWN: usize = 8;

/// The per-function diff of a benchmark: functions that grew most, then those that shrank.
/// A function the baseline did not keep cost less than its `functions_cut` there: it is shown
/// only if it now costs at least that much, with the growth it certainly had (now − cut; the
/// whole count when the baseline kept every function).
#[must_use]
pub fn function_diff(old: &BenchFigures, new: &Profile) -> Vec<FunctionDelta> {
    let names: BTreeSet<&String> = old.functions.keys().chain(new.self_ir.keys()).collect();
    let signed = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut deltas: Vec<FunctionDelta> = names
        .into_iter()
        .filter_map(|f| {
            let o = old.functions.get(f).copied();
            let n = new.self_ir.get(f).copied().unwrap_or(0);
            let base = match o {
                Some(o) => o,
                None if n >= old.functions_cut => old.functions_cut,
                None => return None,
            };
            Some(FunctionDelta {
                function: f.clone(),
                old: o,
                new: n,
                delta: signed(n) - signed(base),
            })
        })
        .filter(|d| d.delta != 0)
        .collect();
    deltas.sort_by(|a, b| b.delta.cmp(&a.delta).then(a.function.cmp(&b.function)));
    let grew: Vec<FunctionDelta> = deltas
        .iter()
        .filter(|d| d.delta > 0)
        .take(SHOWN)
        .cloned()
        .collect();
    let shrank = deltas.iter().rev().filter(|d| d.delta < 0).take(3).cloned();
    grew.into_iter().chain(shrank).collect()
}

/// Compares a run with the baseline (None: no baseline file; every bench is new).
///
/// # Errors
/// [`GateError::BadBand`].
pub fn evaluate(
    run: &BTreeMap<String, Measured>,
    baseline: Option<&GateBaseline>,
    band: f64,
) -> Result<GateReport, GateError> {
    evaluate_partial(run, baseline, band, false)
}

/// [`evaluate`]; with `partial` (a run filtered on purpose), a baselined benchmark absent from
/// the run is [`GateVerdict::NotRun`] instead of [`GateVerdict::Missing`].
///
/// # Errors
/// [`GateError::BadBand`].
pub fn evaluate_partial(
    run: &BTreeMap<String, Measured>,
    baseline: Option<&GateBaseline>,
    band: f64,
    partial: bool,
) -> Result<GateReport, GateError> {
    let band = check_band(band)?;
    let min_delta = baseline.map_or(DEFAULT_MIN_DELTA, |b| b.min_delta);
    let empty = BTreeMap::new();
    let old_benches = baseline.map_or(&empty, |b| &b.benches);
    let ids: BTreeSet<&String> = run.keys().chain(old_benches.keys()).collect();
    let rows = ids
        .into_iter()
        .map(|id| {
            let measured = run.get(id);
            let old = old_benches.get(id).cloned();
            let new = measured.map(|m| BenchFigures::of(&m.profile));
            let change = old.as_ref().zip(new.as_ref()).map(|(o, n)| {
                if o.instructions == 0 {
                    if n.instructions == 0 {
                        0.0
                    } else {
                        f64::INFINITY
                    }
                } else {
                    n.instructions as f64 / o.instructions as f64 - 1.0
                }
            });
            let moved = old
                .as_ref()
                .zip(new.as_ref())
                .is_some_and(|(o, n)| o.instructions.abs_diff(n.instructions) > min_delta);
            let verdict = match (&old, &new, change) {
                (Some(_), None, _) if partial => GateVerdict::NotRun,
                (Some(_), None, _) => GateVerdict::Missing,
                (None, _, _) => GateVerdict::New,
                (_, _, Some(c)) if c > band && moved => GateVerdict::Regressed,
                (_, _, Some(c)) if c < -band && moved => GateVerdict::Improved,
                _ => GateVerdict::Ok,
            };
            let functions = match (&old, measured) {
                (Some(o), Some(m)) if verdict == GateVerdict::Regressed => {
                    function_diff(o, &m.profile)
                }
                _ => Vec::new(),
            };
            GateRow {
                id: id.clone(),
                old,
                new,
                change,
                verdict,
                functions,
                files: measured.map(|m| m.files.clone()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(GateReport {
        band,
        min_delta,
        rows,
        had_baseline: baseline.is_some(),
    })
}

fn fmt_change(c: Option<f64>) -> String {
    c.map_or_else(|| "–".to_owned(), |c| format!("{:+.2}%", c * 100.0))
}

fn fmt_count(v: Option<u64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

impl GateReport {
    /// True when no benchmark fails the gate.
    #[must_use]
    pub fn passed(&self) -> bool {
        !self.rows.iter().any(|r| r.verdict.fails())
    }

    /// The new baseline: this run's figures for every benchmark that ran (benchmarks that
    /// did not run are dropped: re-blessing is how a removed benchmark leaves the baseline —
    /// except those of a filtered run, which keep their old figures).
    #[must_use]
    pub fn to_baseline(&self, note: &str) -> GateBaseline {
        GateBaseline {
            schema: GATE_SCHEMA,
            band: self.band,
            min_delta: self.min_delta,
            note: note.to_owned(),
            benches: self
                .rows
                .iter()
                .filter_map(|r| {
                    let keep = if r.verdict == GateVerdict::NotRun {
                        r.old.clone()
                    } else {
                        r.new.clone()
                    };
                    keep.map(|n| (r.id.clone(), n))
                })
                .collect(),
        }
    }

    /// The terminal summary: one table (old, new, delta), then for each regression the
    /// functions that grew, and what to do.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<42} {:>14} {:>14} {:>9}  verdict",
            "benchmark (instructions)", "baseline", "now", "delta"
        );
        for r in &self.rows {
            let _ = writeln!(
                s,
                "{:<42} {:>14} {:>14} {:>9}  {}",
                r.id,
                fmt_count(r.old.as_ref().map(|o| o.instructions)),
                fmt_count(r.new.as_ref().map(|n| n.instructions)),
                fmt_change(r.change),
                r.verdict.label()
            );
        }
        for r in self.rows.iter().filter(|r| r.verdict.fails()) {
            let _ = writeln!(s);
            match r.verdict {
                GateVerdict::Missing => {
                    let _ = writeln!(
                        s,
                        "{}: in the baseline but not produced by this run (renamed or removed?). \
                         If on purpose, re-bless: scripts/gate.sh --bless",
                        r.id
                    );
                }
                _ => self.regression_text(&mut s, r),
            }
        }
        if !self.had_baseline {
            let _ = writeln!(
                s,
                "\nno baseline file: every benchmark is new; create it with scripts/gate.sh --bless"
            );
        } else if self.rows.iter().any(|r| r.verdict == GateVerdict::New) {
            let _ = writeln!(
                s,
                "\nnew benchmarks have no baseline yet and are not gated; add them with scripts/gate.sh --bless"
            );
        }
        s
    }

    fn regression_text(&self, s: &mut String, r: &GateRow) {
        let _ = writeln!(
            s,
            "{}: instructions grew {} (band +{:.1}% and more than {} instructions). Functions \
             whose self instructions changed most (baseline → now):",
            r.id,
            fmt_change(r.change),
            self.band * 100.0,
            self.min_delta
        );
        let cut = r.old.as_ref().map_or(0, |o| o.functions_cut);
        for d in &r.functions {
            let old = match d.old {
                Some(o) => o.to_string(),
                None if cut == 0 => "0 (new)".to_owned(),
                None => format!("<{cut} (not kept)"),
            };
            let _ = writeln!(
                s,
                "  {:>+10}  {:>10} → {:<10} {}",
                d.delta, old, d.new, d.function
            );
        }
        for f in &r.files {
            let _ = writeln!(s, "  profile: {} (callgrind_annotate it)", f.display());
        }
    }

    /// The Markdown section of `reports/bench.md`: the instruction counts table.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "| benchmark | instructions (baseline) | instructions (now) | delta | L1 hits | LL hits | RAM hits | est. cycles | verdict |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|");
        for r in &self.rows {
            let n = r.new.as_ref();
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.id,
                fmt_count(r.old.as_ref().map(|o| o.instructions)),
                fmt_count(n.map(|n| n.instructions)),
                fmt_change(r.change),
                fmt_count(n.map(|n| n.l1_hits)),
                fmt_count(n.map(|n| n.ll_hits)),
                fmt_count(n.map(|n| n.ram_hits)),
                fmt_count(n.map(|n| n.estimated_cycles)),
                r.verdict.label()
            );
        }
        md
    }
}

/// Run-to-run spread of two runs of the same code: per benchmark, per figure, the absolute
/// difference. Deterministic counts give all zeros.
#[must_use]
pub fn spread(
    a: &BTreeMap<String, Measured>,
    b: &BTreeMap<String, Measured>,
) -> Vec<(String, [i128; 5])> {
    let ids: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    ids.into_iter()
        .map(|id| {
            let fig = |m: Option<&Measured>| {
                m.map(|m| BenchFigures::of(&m.profile))
                    .map_or([-1; 5], |f| {
                        [
                            f.instructions,
                            f.l1_hits,
                            f.ll_hits,
                            f.ram_hits,
                            f.estimated_cycles,
                        ]
                        .map(i128::from)
                    })
            };
            let (x, y) = (fig(a.get(id)), fig(b.get(id)));
            (id.clone(), std::array::from_fn(|i| y[i] - x[i]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(ir: u64, fns: &[(&str, u64)]) -> Measured {
        Measured {
            profile: Profile {
                events: Events {
                    ir,
                    ..Events::default()
                },
                self_ir: fns.iter().map(|(f, n)| ((*f).to_owned(), *n)).collect(),
            },
            files: vec![PathBuf::from("callgrind.x.out")],
        }
    }

    fn run(benches: &[(&str, Measured)]) -> BTreeMap<String, Measured> {
        benches
            .iter()
            .map(|(id, m)| ((*id).to_owned(), m.clone()))
            .collect()
    }

    #[test]
    fn growth_beyond_the_band_fails_and_names_the_function() {
        let base_run = run(&[("g.a", measured(1000, &[("f", 600), ("g", 400)]))]);
        let base = evaluate(&base_run, None, 0.02)
            .expect("band")
            .to_baseline("t");
        let same = evaluate(&base_run, Some(&base), 0.02).expect("band");
        assert!(same.passed());
        assert_eq!(same.rows[0].change, Some(0.0));
        let slow = run(&[(
            "g.a",
            measured(1030, &[("f", 600), ("g", 400), ("spin", 30)]),
        )]);
        let r = evaluate(&slow, Some(&base), 0.02).expect("band");
        assert!(!r.passed());
        assert_eq!(r.rows[0].verdict, GateVerdict::Regressed);
        assert_eq!(r.rows[0].functions[0].function, "spin");
        assert!(r.to_text().contains("spin"));
        // +1.5% is inside a 2% band.
        let small = run(&[("g.a", measured(1015, &[("f", 615), ("g", 400)]))]);
        assert!(evaluate(&small, Some(&base), 0.02).expect("band").passed());
    }

    #[test]
    fn a_tiny_bench_needs_more_than_the_absolute_floor() {
        let base = evaluate(&run(&[("g.t", measured(36, &[]))]), None, 0.01)
            .expect("band")
            .to_baseline("t");
        assert_eq!(base.min_delta, DEFAULT_MIN_DELTA);
        let plus_one = evaluate(&run(&[("g.t", measured(37, &[]))]), Some(&base), 0.01);
        assert!(
            plus_one.expect("band").passed(),
            "+1 instruction is layout jitter"
        );
        let plus_five = evaluate(&run(&[("g.t", measured(41, &[]))]), Some(&base), 0.01);
        assert!(!plus_five.expect("band").passed());
    }

    #[test]
    fn new_and_missing_benches_are_reported_by_id() {
        let base = evaluate(&run(&[("g.old", measured(10, &[]))]), None, 0.02)
            .expect("band")
            .to_baseline("t");
        let r = evaluate(&run(&[("g.new", measured(10, &[]))]), Some(&base), 0.02).expect("band");
        let verdicts: Vec<(&str, GateVerdict)> =
            r.rows.iter().map(|x| (x.id.as_str(), x.verdict)).collect();
        assert_eq!(
            verdicts,
            vec![("g.new", GateVerdict::New), ("g.old", GateVerdict::Missing)]
        );
        assert!(!r.passed(), "a missing bench fails the gate");
        let filtered = evaluate_partial(
            &run(&[("g.new", measured(10, &[]))]),
            Some(&base),
            0.02,
            true,
        )
        .expect("band");
        assert_eq!(filtered.rows[1].verdict, GateVerdict::NotRun);
        assert!(
            filtered.passed(),
            "a filtered run does not fail for what it skipped"
        );
        let text = r.to_text();
        assert!(text.contains("renamed or removed"), "{text}");
        assert!(text.contains("scripts/gate.sh --bless"), "{text}");
        let no_base = evaluate(&run(&[("g.new", measured(10, &[]))]), None, 0.02).expect("band");
        assert!(no_base.passed());
        assert!(no_base.to_text().contains("no baseline file"));
    }

    #[test]
    fn ids_come_from_the_group_and_function_directories() {
        assert_eq!(
            bench_id(Path::new("t/instructions/hot_path/offline_sync.table")).as_deref(),
            Some("hot_path.offline_sync")
        );
        assert!(is_profile("callgrind.offline_sync.table.out"));
        assert!(is_profile("callgrind.small_config.bfs.out-02"));
        assert!(!is_profile("callgrind.offline_sync.table.out.old"));
        assert!(!is_profile("callgrind.offline_sync.table.log"));
    }

    #[test]
    fn a_bad_band_is_refused() {
        assert!(evaluate(&BTreeMap::new(), None, 0.0).is_err());
        assert!(evaluate(&BTreeMap::new(), None, f64::NAN).is_err());
    }
}
