//! The benchmark-regression report (SPEC §8): criterion's estimates → ratios to same-run
//! baselines → comparison with the committed `reports/baseline.json` → `reports/bench.md`
//! and `reports/bench.svg`.
//!
//! Every metric is a **ratio of two benches of the same run** (the machines are shared and
//! noisy; absolute times are not comparable between runs): e.g. one synchronous OfflineV2
//! divided by one empty `extern "system"` call. A metric regresses when its ratio is worse
//! than the committed baseline's by more than the noise band (default ±25%).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::svg::{BarChart, BarRow};

/// The default noise band: a ratio may be up to 25% worse than the baseline's.
pub const DEFAULT_NOISE_BAND: f64 = 0.25;

/// Which per-iteration time of a bench the ratios use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// The fastest sample (`new/sample.json`: min of time/iterations). The default: on a shared
    /// machine noise only ever adds time, so the fastest sample is the least disturbed one;
    /// in practice it is much steadier between runs than the median.
    #[default]
    Min,
    /// Criterion's median point estimate (`new/estimates.json`).
    Median,
}

impl Statistic {
    /// Name shown in the report.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Min => "fastest sample (min of sample.json)",
            Self::Median => "median (estimates.json)",
        }
    }
}

/// Version of `reports/baseline.json`'s schema.
pub const BASELINE_SCHEMA: u32 = 1;

/// Errors of the benchmark report, each saying which file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The criterion directory does not exist or holds no estimates.
    #[error(
        "no criterion estimates under {dir}: run the benches first \
         (scripts/bench.sh, or OFFLINE_V2_BENCH_PROFILE=quick cargo bench -p offline-v2-benches)"
    )]
    NoCriterionOutput {
        /// The directory searched.
        dir: PathBuf,
    },
    /// Criterion output exists, but none of the report's metrics has both of its benches.
    #[error(
        "criterion estimates under {dir} cover none of the report's metrics \
         (found: {found}); expected e.g. offline_v2_hot_path/offline_sync"
    )]
    NoMetricData {
        /// The directory searched.
        dir: PathBuf,
        /// The bench ids that were found.
        found: String,
    },
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
    /// A criterion `estimates.json` is not what criterion 0.5 writes.
    #[error(
        "{path} is not a criterion estimates.json (expected {{\"median\": {{\"point_estimate\": ...}}, ...}}): {source}"
    )]
    MalformedEstimates {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// An estimate that cannot be a time (zero, negative, NaN or infinite).
    #[error("{path}: the median point estimate {value} is not a positive, finite time in ns")]
    BadEstimate {
        /// The file.
        path: PathBuf,
        /// The value found.
        value: f64,
    },
    /// The committed baseline is not valid JSON of the documented schema.
    #[error(
        "{path} is not a valid baseline (schema in reports/README.md): {source}; \
         regenerate it with `reports bench --update-baseline`"
    )]
    MalformedBaseline {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The baseline file has another schema version.
    #[error("{path} has schema {found}, this tool reads schema {expected}")]
    BaselineSchema {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// Ours.
        expected: u32,
    },
    /// A criterion `sample.json` is not what criterion 0.5 writes.
    #[error(
        "{path} is not a criterion sample.json (expected {{\"iters\": [...], \"times\": [...]}} of equal, non-zero length): {what}"
    )]
    MalformedSamples {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The baseline was measured with another statistic than the one requested.
    #[error(
        "{path} holds ratios of the {baseline:?} statistic, but {requested:?} was requested; \
         compare like with like (or re-baseline with --update-baseline)"
    )]
    StatisticMismatch {
        /// The baseline file.
        path: PathBuf,
        /// Its statistic.
        baseline: Statistic,
        /// The requested one.
        requested: Statistic,
    },
    /// A noise band outside (0, 10).
    #[error("noise band {0} is not a fraction in (0, 10) (0.25 means ±25%)")]
    BadBand(f64),
}

/// Which way a metric's ratio is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `bench / baseline` time: lower is better (e.g. hot path vs empty call).
    LowerIsBetter,
    /// `baseline / bench` time, a speed-up: higher is better (e.g. 2 threads vs 1).
    HigherIsBetter,
}

/// One reported metric: a bench, its same-run baseline bench and how to read the ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    /// Key in `baseline.json`.
    pub id: &'static str,
    /// Criterion full id of the measured bench (`group/function`).
    pub bench: &'static str,
    /// Criterion full id of its same-run baseline.
    pub baseline: &'static str,
    /// How the ratio is formed and read.
    pub direction: Direction,
    /// SPEC §8 / issue target, if any (≤ for LowerIsBetter, ≥ for HigherIsBetter).
    pub target: Option<f64>,
    /// One line for the report.
    pub what: &'static str,
}

/// The metrics of the report, in report order.
pub const METRICS: &[Metric] = &[
    Metric {
        id: "hot_path.offline_sync",
        bench: "offline_v2_hot_path/offline_sync",
        baseline: "offline_v2_hot_path/empty_call",
        direction: Direction::LowerIsBetter,
        // Issue 13: within 3× the empty call (was 10×, issue 7).
        target: Some(3.0),
        what: "sync OfflineV2 (ERROR_SUCCESS) / empty extern \"system\" call",
    },
    Metric {
        id: "hot_path.offline_online_pair",
        bench: "offline_v2_hot_path/offline_online_pair",
        baseline: "offline_v2_hot_path/empty_pair",
        direction: Direction::LowerIsBetter,
        target: Some(10.0),
        what: "sync OfflineV2 + sync OnlineV2 / two empty calls",
    },
    Metric {
        id: "hot_path.offline_invalid_flags",
        bench: "offline_v2_hot_path/offline_invalid_flags",
        baseline: "offline_v2_hot_path/empty_call",
        direction: Direction::LowerIsBetter,
        target: None,
        what: "R1 rejection (flag 0x80) / empty call",
    },
    Metric {
        id: "hot_path.offline_io_pending",
        bench: "offline_v2_hot_path/offline_io_pending",
        baseline: "offline_v2_hot_path/empty_call",
        direction: Direction::LowerIsBetter,
        target: None,
        what: "OfflineV2 answering ERROR_IO_PENDING / empty call",
    },
    Metric {
        id: "hot_path.logic_offline_sync",
        bench: "offline_v2_hot_path/logic_offline_sync",
        baseline: "offline_v2_hot_path/empty_call",
        direction: Direction::LowerIsBetter,
        target: None,
        what: "the same sync OfflineV2 on the reference logic, no export around it / empty call",
    },
    Metric {
        id: "hot_path.cas_floor",
        bench: "offline_v2_hot_path/cas_floor",
        baseline: "offline_v2_hot_path/empty_call",
        direction: Direction::LowerIsBetter,
        target: None,
        what: "issue 13's sketch (R1 scalars, generation-checked lookup, one CAS) / empty call: the floor of a CAS design here (A17)",
    },
    Metric {
        id: "move_cycle.return_to_source",
        bench: "move_cycle/return_to_source_cycle",
        baseline: "move_cycle/calibration",
        direction: Direction::LowerIsBetter,
        target: None,
        what: "move with RETURN_TO_SOURCE, failure on D, back on S (Cluster::step) / calibration",
    },
    Metric {
        id: "model_check.one_thread",
        bench: "model_check/threads_1",
        baseline: "model_check/calibration",
        direction: Direction::LowerIsBetter,
        target: None,
        what: "default model configuration, 1 thread / calibration",
    },
    Metric {
        id: "model_check.speedup_2_threads",
        bench: "model_check/threads_2",
        baseline: "model_check/threads_1",
        direction: Direction::HigherIsBetter,
        target: Some(1.7),
        what: "speed-up of 2 checker threads over 1",
    },
    Metric {
        id: "conformance.lockstep",
        bench: "conformance/lockstep",
        baseline: "conformance/calibration",
        direction: Direction::LowerIsBetter,
        target: None,
        what:
            "lockstep conformance (model paths, impl via cdylib vs model), per step / calibration",
    },
    Metric {
        id: "conformance.corpus_replay",
        bench: "conformance/corpus_replay",
        baseline: "conformance/calibration",
        direction: Direction::LowerIsBetter,
        target: None,
        what: "scenario-corpus lockstep replay, per step / calibration",
    },
];

/// One criterion bench's estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Criterion full id (`group/function`).
    pub id: String,
    /// Median time per iteration, ns (the report's statistic: robust to outliers).
    pub median_ns: f64,
    /// Mean time per iteration, ns.
    pub mean_ns: f64,
    /// Fastest sample's time per iteration, ns (None without `sample.json`).
    pub min_ns: Option<f64>,
    /// Criterion throughput of the bench (elements or bytes per iteration), if declared.
    /// Ratios use the time per element, so that e.g. a growing scenario corpus or model does
    /// not read as a regression of the lockstep or checker speed.
    pub elements: Option<u64>,
}

impl Estimate {
    /// Time per element (per iteration when no throughput is declared) by `statistic`, ns;
    /// None when the statistic is not available for this bench.
    #[must_use]
    pub fn per_element_ns(&self, statistic: Statistic) -> Option<f64> {
        let t = match statistic {
            Statistic::Min => self.min_ns?,
            Statistic::Median => self.median_ns,
        };
        Some(match self.elements {
            Some(n) if n > 0 => t / n as f64,
            _ => t,
        })
    }
}

#[derive(Deserialize)]
struct Stat {
    point_estimate: f64,
}

#[derive(Deserialize)]
struct EstimatesJson {
    mean: Stat,
    median: Stat,
}

#[derive(Deserialize)]
struct SampleJson {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// The fastest sample's time per iteration from one `sample.json`.
///
/// # Errors
/// [`ReportError::MalformedSamples`].
pub fn parse_samples(path: &Path, text: &str) -> Result<f64, ReportError> {
    let bad = |what: String| ReportError::MalformedSamples {
        path: path.to_path_buf(),
        what,
    };
    let json: SampleJson = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if json.iters.is_empty() || json.iters.len() != json.times.len() {
        return Err(bad(format!(
            "{} iters, {} times",
            json.iters.len(),
            json.times.len()
        )));
    }
    let min = json
        .iters
        .iter()
        .zip(&json.times)
        .map(|(i, t)| t / i)
        .fold(f64::INFINITY, f64::min);
    if min.is_finite() && min > 0.0 {
        Ok(min)
    } else {
        Err(bad(format!(
            "fastest sample {min} ns is not a positive time"
        )))
    }
}

#[derive(Deserialize)]
struct BenchmarkJson {
    full_id: String,
    #[serde(default)]
    throughput: Option<serde_json::Value>,
}

/// `{"Elements": n}` or `{"Bytes": n}` (criterion 0.5's throughput in benchmark.json).
fn throughput_elements(value: &serde_json::Value) -> Option<u64> {
    ["Elements", "Bytes", "BytesDecimal"]
        .iter()
        .find_map(|k| value.get(k).and_then(serde_json::Value::as_u64))
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ReportError + 'a {
    move |source| ReportError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Parses one `estimates.json` (criterion 0.5 layout).
///
/// # Errors
/// [`ReportError::MalformedEstimates`] or [`ReportError::BadEstimate`].
pub fn parse_estimates(path: &Path, text: &str, id: String) -> Result<Estimate, ReportError> {
    let json: EstimatesJson =
        serde_json::from_str(text).map_err(|source| ReportError::MalformedEstimates {
            path: path.to_path_buf(),
            source,
        })?;
    for value in [json.median.point_estimate, json.mean.point_estimate] {
        if !(value.is_finite() && value > 0.0) {
            return Err(ReportError::BadEstimate {
                path: path.to_path_buf(),
                value,
            });
        }
    }
    Ok(Estimate {
        id,
        median_ns: json.median.point_estimate,
        mean_ns: json.mean.point_estimate,
        min_ns: None,
        elements: None,
    })
}

/// Reads every `**/new/estimates.json` under `dir` (criterion's output directory), keyed by
/// criterion full id (from `new/benchmark.json`, else the directory path).
///
/// # Errors
/// [`ReportError::NoCriterionOutput`] when there is none; parse and I/O errors per file.
pub fn load_estimates(dir: &Path) -> Result<BTreeMap<String, Estimate>, ReportError> {
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out, 0)?;
    }
    if out.is_empty() {
        return Err(ReportError::NoCriterionOutput {
            dir: dir.to_path_buf(),
        });
    }
    Ok(out)
}

/// Deepest directory nesting searched (criterion uses group/function/parameter/new).
const MAX_DEPTH: usize = 6;

fn walk(
    root: &Path,
    dir: &Path,
    out: &mut BTreeMap<String, Estimate>,
    depth: usize,
) -> Result<(), ReportError> {
    let estimates = dir.join("new").join("estimates.json");
    if estimates.is_file() {
        let text = std::fs::read_to_string(&estimates).map_err(io("read", &estimates))?;
        let meta = dir.join("new").join("benchmark.json");
        let meta = std::fs::read_to_string(&meta)
            .ok()
            .and_then(|t| serde_json::from_str::<BenchmarkJson>(&t).ok());
        let elements = meta
            .as_ref()
            .and_then(|b| b.throughput.as_ref())
            .and_then(throughput_elements);
        let id = meta.map(|b| b.full_id).unwrap_or_else(|| {
            let rel = dir.strip_prefix(root).unwrap_or(dir);
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        });
        let mut estimate = parse_estimates(&estimates, &text, id.clone())?;
        estimate.elements = elements;
        let samples = dir.join("new").join("sample.json");
        if samples.is_file() {
            let text = std::fs::read_to_string(&samples).map_err(io("read", &samples))?;
            estimate.min_ns = Some(parse_samples(&samples, &text)?);
        }
        out.insert(id, estimate);
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(io("list", dir))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "report"))
        .collect();
    dirs.sort();
    for sub in dirs {
        walk(root, &sub, out, depth + 1)?;
    }
    Ok(())
}

/// `reports/baseline.json`: the committed ratios the report compares with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineFile {
    /// [`BASELINE_SCHEMA`].
    pub schema: u32,
    /// Allowed worsening before a regression, as a fraction (0.25 = ±25%).
    pub noise_band: f64,
    /// The statistic the ratios were computed with.
    #[serde(default = "median")]
    pub statistic: Statistic,
    /// Per-metric noise bands overriding `noise_band` (metrics that are noisier by nature,
    /// e.g. a 2-thread speed-up on a machine whose cores are shared).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bands: BTreeMap<String, f64>,
    /// Free text: how and where the baseline was measured.
    #[serde(default)]
    pub note: String,
    /// Per metric, the measured spread its band was derived from (`reports noise`): the
    /// evidence behind `bands`. Metrics without one use `noise_band`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spread: BTreeMap<String, Spread>,
    /// Metric id → ratio (as in [`METRICS`]).
    pub metrics: BTreeMap<String, f64>,
}

impl BaselineFile {
    /// Reads and validates a baseline file; `Ok(None)` if it does not exist.
    ///
    /// # Errors
    /// I/O, parse and schema errors.
    pub fn load(path: &Path) -> Result<Option<Self>, ReportError> {
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(path).map_err(io("read", path))?;
        let file: Self =
            serde_json::from_str(&text).map_err(|source| ReportError::MalformedBaseline {
                path: path.to_path_buf(),
                source,
            })?;
        if file.schema != BASELINE_SCHEMA {
            return Err(ReportError::BaselineSchema {
                path: path.to_path_buf(),
                found: file.schema,
                expected: BASELINE_SCHEMA,
            });
        }
        check_band(file.noise_band)?;
        for band in file.bands.values() {
            check_band(*band)?;
        }
        Ok(Some(file))
    }

    /// Writes the file (pretty JSON, trailing newline).
    ///
    /// # Errors
    /// I/O errors.
    pub fn save(&self, path: &Path) -> Result<(), ReportError> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        std::fs::write(path, text).map_err(io("write", path))
    }
}

/// The spread of one metric over repeated runs of unchanged code, and the band derived from
/// it (see [`derive_band`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Runs measured.
    pub runs: usize,
    /// Median ratio over the runs (the baseline value).
    pub median: f64,
    /// Median absolute deviation of the ratios from their median.
    pub mad: f64,
    /// Smallest and largest ratio seen.
    pub min: f64,
    /// Largest ratio seen.
    pub max: f64,
    /// The derived band (a fraction).
    pub band: f64,
}

/// Smallest derived band: a quick criterion run cannot resolve less on a shared machine.
pub const MIN_DERIVED_BAND: f64 = 0.05;
/// Largest derived band.
pub const MAX_DERIVED_BAND: f64 = 3.0;
/// Robust standard deviations a regression must exceed.
pub const BAND_SIGMAS: f64 = 4.0;

fn median_of(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The spread of one metric's ratios over repeated runs and its band: the larger of
/// [`BAND_SIGMAS`] robust standard deviations (1.4826 × MAD, relative to the median) and the
/// largest deviation actually seen from the median, within
/// [[`MIN_DERIVED_BAND`], [`MAX_DERIVED_BAND`]]. None for fewer than 3 runs (no spread to speak
/// of) or a non-positive ratio.
#[must_use]
pub fn derive_band(ratios: &[f64]) -> Option<Spread> {
    if ratios.len() < 3 || ratios.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
        return None;
    }
    let mut v = ratios.to_vec();
    let median = median_of(&mut v);
    let mut dev: Vec<f64> = v.iter().map(|r| (r - median).abs()).collect();
    let mad = median_of(&mut dev);
    let (min, max) = (v[0], v[v.len() - 1]);
    let sigma = 1.4826 * mad / median;
    let seen = (max - median).max(median - min) / median;
    let band = (BAND_SIGMAS * sigma)
        .max(seen)
        .clamp(MIN_DERIVED_BAND, MAX_DERIVED_BAND);
    Some(Spread {
        runs: ratios.len(),
        median,
        mad,
        min,
        max,
        band: (band * 1000.0).ceil() / 1000.0,
    })
}

/// Derives a baseline from repeated runs of unchanged code (each a criterion directory's
/// estimates): per metric, the median ratio becomes the baseline value and the band comes
/// from the spread ([`derive_band`]). Metrics with fewer than 3 runs keep `old`'s value and
/// band. `note`, and `statistic` unless given, come from `old`.
///
/// # Errors
/// [`ReportError`] of the evaluation (no metric data, bad band).
pub fn baseline_from_runs(
    runs: &[(PathBuf, BTreeMap<String, Estimate>)],
    old: Option<&BaselineFile>,
    statistic: Statistic,
    note: &str,
) -> Result<BaselineFile, ReportError> {
    let mut ratios: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for (dir, estimates) in runs {
        let report = evaluate(dir, estimates, None, DEFAULT_NOISE_BAND, statistic)?;
        for row in report.rows {
            if let Some(now) = row.now {
                ratios.entry(row.metric.id).or_default().push(now);
            }
        }
    }
    let mut file = BaselineFile {
        schema: BASELINE_SCHEMA,
        noise_band: old.map_or(DEFAULT_NOISE_BAND, |o| o.noise_band),
        statistic,
        bands: old.map(|o| o.bands.clone()).unwrap_or_default(),
        note: note.to_owned(),
        metrics: old.map(|o| o.metrics.clone()).unwrap_or_default(),
        spread: old.map(|o| o.spread.clone()).unwrap_or_default(),
    };
    for (id, values) in ratios {
        if let Some(spread) = derive_band(&values) {
            file.metrics
                .insert(id.to_owned(), (spread.median * 1000.0).round() / 1000.0);
            file.bands.insert(id.to_owned(), spread.band);
            file.spread.insert(id.to_owned(), spread);
        }
    }
    Ok(file)
}

fn median() -> Statistic {
    Statistic::Median
}

fn check_band(band: f64) -> Result<f64, ReportError> {
    if band.is_finite() && band > 0.0 && band < 10.0 {
        Ok(band)
    } else {
        Err(ReportError::BadBand(band))
    }
}

/// A metric's verdict against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the noise band.
    Ok,
    /// Worse than the baseline by more than the band: the report fails.
    Regressed,
    /// Better than the baseline by more than the band (consider updating the baseline).
    Improved,
    /// Measured, but the baseline has no value for it yet.
    New,
    /// One of its two benches is missing from this run.
    NotRun,
}

impl Verdict {
    /// The word shown in the report.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Regressed => "REGRESSED",
            Self::Improved => "improved",
            Self::New => "new (no baseline)",
            Self::NotRun => "not run",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The metric.
    pub metric: Metric,
    /// ns per element (per iteration without throughput) of the bench and of its baseline,
    /// this run, by the report's statistic (or the median, see `fell_back`).
    pub times_ns: Option<(f64, f64)>,
    /// The report's statistic was unavailable for one of the two benches: the median of both
    /// was used.
    pub fell_back: bool,
    /// This run's ratio.
    pub now: Option<f64>,
    /// The committed baseline's ratio.
    pub baseline: Option<f64>,
    /// How much worse (>1) or better (<1) than the baseline, direction-adjusted.
    pub worsening: Option<f64>,
    /// The noise band applied to this metric.
    pub band: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// Whether this run meets the metric's target, if it has one and ran.
    pub target_met: Option<bool>,
    /// The measured spread the band was derived from, if the baseline has one.
    pub spread: Option<Spread>,
}

/// The evaluated report.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// The noise band used.
    pub band: f64,
    /// The statistic used (a metric falls back to the median if a bench has no samples).
    pub statistic: Statistic,
    /// One row per metric of [`METRICS`].
    pub rows: Vec<Row>,
}

/// Ratio of a metric from the two estimates (see [`Direction`]).
#[must_use]
pub fn ratio(direction: Direction, bench_ns: f64, baseline_ns: f64) -> f64 {
    match direction {
        Direction::LowerIsBetter => bench_ns / baseline_ns,
        Direction::HigherIsBetter => baseline_ns / bench_ns,
    }
}

/// Evaluates [`METRICS`] against `estimates` and an optional baseline file.
///
/// # Errors
/// [`ReportError::NoMetricData`] when no metric has both of its benches; a bad band.
pub fn evaluate(
    dir: &Path,
    estimates: &BTreeMap<String, Estimate>,
    baseline: Option<&BaselineFile>,
    band: f64,
    statistic: Statistic,
) -> Result<BenchReport, ReportError> {
    evaluate_metrics(METRICS, dir, estimates, baseline, band, statistic)
}

/// [`evaluate`] over any metric list (tests use synthetic ones).
///
/// # Errors
/// As [`evaluate`].
pub fn evaluate_metrics(
    metrics: &[Metric],
    dir: &Path,
    estimates: &BTreeMap<String, Estimate>,
    baseline: Option<&BaselineFile>,
    band: f64,
    statistic: Statistic,
) -> Result<BenchReport, ReportError> {
    let band = check_band(band)?;
    let rows: Vec<Row> = metrics
        .iter()
        .map(|m| {
            let pair = estimates.get(m.bench).zip(estimates.get(m.baseline));
            let times =
                |st| pair.and_then(|(b, base)| b.per_element_ns(st).zip(base.per_element_ns(st)));
            let (times_ns, fell_back) = match times(statistic) {
                Some(t) => (Some(t), false),
                None => (times(Statistic::Median), pair.is_some()),
            };
            let now = times_ns.map(|(b, base)| ratio(m.direction, b, base));
            let old = baseline.and_then(|f| f.metrics.get(m.id).copied());
            let band = baseline
                .and_then(|f| f.bands.get(m.id).copied())
                .unwrap_or(band);
            let worsening = now.zip(old).map(|(now, old)| match m.direction {
                Direction::LowerIsBetter => now / old,
                Direction::HigherIsBetter => old / now,
            });
            let verdict = match (now, worsening) {
                (None, _) => Verdict::NotRun,
                (Some(_), None) => Verdict::New,
                (Some(_), Some(w)) if w > 1.0 + band => Verdict::Regressed,
                (Some(_), Some(w)) if w < 1.0 / (1.0 + band) => Verdict::Improved,
                (Some(_), Some(_)) => Verdict::Ok,
            };
            let target_met = now.zip(m.target).map(|(now, t)| match m.direction {
                Direction::LowerIsBetter => now <= t,
                Direction::HigherIsBetter => now >= t,
            });
            Row {
                metric: *m,
                times_ns,
                fell_back,
                now,
                baseline: old,
                worsening,
                band,
                verdict,
                target_met,
                spread: baseline.and_then(|f| f.spread.get(m.id).cloned()),
            }
        })
        .collect();
    if rows.iter().all(|r| r.now.is_none()) {
        return Err(ReportError::NoMetricData {
            dir: dir.to_path_buf(),
            found: estimates.keys().cloned().collect::<Vec<_>>().join(", "),
        });
    }
    Ok(BenchReport {
        band,
        statistic,
        rows,
    })
}

fn fmt_ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}×"))
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.2} ns")
    }
}

impl BenchReport {
    /// Rows that regressed beyond the band.
    #[must_use]
    pub fn regressions(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regressed)
            .collect()
    }

    /// A baseline file holding this run's ratios, merged over `old` (metrics not run keep
    /// their old value).
    #[must_use]
    pub fn to_baseline(&self, old: Option<&BaselineFile>, note: &str) -> BaselineFile {
        let mut metrics = old.map(|o| o.metrics.clone()).unwrap_or_default();
        for row in &self.rows {
            if let Some(now) = row.now {
                metrics.insert(row.metric.id.to_owned(), (now * 1000.0).round() / 1000.0);
            }
        }
        BaselineFile {
            schema: BASELINE_SCHEMA,
            noise_band: self.band,
            statistic: self.statistic,
            bands: old.map(|o| o.bands.clone()).unwrap_or_default(),
            note: note.to_owned(),
            metrics,
            spread: old.map(|o| o.spread.clone()).unwrap_or_default(),
        }
    }

    /// `reports/bench.md`.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let pct = self.band * 100.0;
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmark regression report\n");
        let _ = writeln!(
            md,
            "Generated by `reports bench` from criterion's `target/criterion/**/new/` output; \
             statistic: {}. Each metric is a **ratio of two benches measured in the same \
             run**, so machine speed and load cancel out; it is compared with \
             `reports/baseline.json`. Noise band: **per metric, derived from the measured \
             spread** of repeated runs of unchanged code (`scripts/bench.sh --measure-noise N`: \
             the larger of {BAND_SIGMAS:.0} robust standard deviations — 1.4826 × median absolute \
             deviation — and the largest deviation seen, at least {:.0}%); a metric without a \
             measured spread uses the global {pct:.0}%. A ratio worse than the baseline by more \
             than its band is a regression.\n",
            self.statistic.label(),
            MIN_DERIVED_BAND * 100.0
        );
        let verdict = if self.regressions().is_empty() {
            "**PASS**: no regression beyond the noise band."
        } else {
            "**FAIL**: at least one regression beyond the noise band."
        };
        let _ = writeln!(md, "{verdict}\n");
        let _ = writeln!(
            md,
            "| metric | what | bench / baseline (this run) | baseline ratio | now | change | band | measured spread | verdict | target |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|");
        for r in &self.rows {
            let times = r.times_ns.map_or_else(
                || "–".to_owned(),
                |(b, base)| {
                    let note = if r.fell_back { " (median)" } else { "" };
                    format!("{} / {}{note}", fmt_ns(b), fmt_ns(base))
                },
            );
            let change = r.now.zip(r.baseline).map_or_else(
                || "–".to_owned(),
                |(n, b)| format!("{:+.1}%", (n / b - 1.0) * 100.0),
            );
            let target = match (r.metric.target, r.target_met) {
                (None, _) => "–".to_owned(),
                (Some(t), met) => {
                    let op = match r.metric.direction {
                        Direction::LowerIsBetter => "≤",
                        Direction::HigherIsBetter => "≥",
                    };
                    let state = match met {
                        Some(true) => " met",
                        Some(false) => " **missed**",
                        None => "",
                    };
                    format!("{op} {t}×{state}")
                }
            };
            let spread = r.spread.as_ref().map_or_else(
                || "– (global band)".to_owned(),
                |sp| {
                    format!(
                        "{} runs: {:.2}–{:.2}×, MAD {:.3}",
                        sp.runs, sp.min, sp.max, sp.mad
                    )
                },
            );
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {} | ±{:.0}% | {} | {} | {} |",
                r.metric.id,
                r.metric.what,
                times,
                fmt_ratio(r.baseline),
                fmt_ratio(r.now),
                change,
                r.band * 100.0,
                spread,
                r.verdict.label(),
                target
            );
        }
        let _ = writeln!(
            md,
            "\nTimes are per iteration, or per element for benches that declare a criterion \
             throughput (model_check: per unique state; conformance: per lockstep step). \
             Hot-path ratios are time of the bench / time of the empty call; \
             `model_check.speedup_2_threads` is time(1 thread) / time(2 threads). \
             \"not run\" means one of the two benches is absent from this run. \
             Update the baseline only on purpose: `reports bench --update-baseline`.\n\n\
             ![ratios](bench.svg)"
        );
        md
    }

    /// `reports/bench.svg`: per metric, the baseline ratio and this run's, with the band.
    #[must_use]
    pub fn to_svg(&self) -> String {
        let rows = self
            .rows
            .iter()
            .filter(|r| r.now.is_some() || r.baseline.is_some())
            .map(|r| BarRow {
                label: r.metric.id.to_owned(),
                baseline: r.baseline,
                now: r.now,
                band_edge: r.baseline.map(|b| match r.metric.direction {
                    Direction::LowerIsBetter => b * (1.0 + r.band),
                    Direction::HigherIsBetter => b / (1.0 + r.band),
                }),
                bad: r.verdict == Verdict::Regressed,
            })
            .collect();
        BarChart {
            title: format!(
                "Ratios to same-run baselines: baseline (grey) vs now; tick = noise-band edge (±{:.0}%)",
                self.band * 100.0
            ),
            rows,
        }
        .render()
    }
}
