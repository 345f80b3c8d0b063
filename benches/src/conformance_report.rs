//! `reports/conformance.md` from the JSON the conformance runs write (schema in
//! `reports/README.md`, "conformance.json"), including the flag-combination coverage matrix:
//! all 128 OfflineV2 flag combinations (0x00–0x7F) × the outcomes the DLL answered.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use offline_v2::types::{ErrorCode, OfflineFlags};
use serde::{Deserialize, Serialize};

use crate::model_report::{read_json, InputError};

/// Version of `conformance.json`'s schema.
pub const CONFORMANCE_SCHEMA: u32 = 1;

/// Number of OfflineV2 flag combinations within 0x7F.
pub const FLAG_COMBINATIONS: u32 = 128;

/// A conformance failure (impl and model disagreed, or an expectation failed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Case identity (seed, case number or scenario file).
    pub case: String,
    /// 0-based step of the divergence.
    pub step: u64,
    /// The readable diff.
    pub message: String,
}

/// How often OfflineV2 was called with `flags` and answered `outcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagOutcome {
    /// The OfflineFlags argument (any u32; bits outside 0x7F are counted apart).
    pub flags: u32,
    /// The code the DLL returned: a SPEC §2 name or a number as a string.
    pub outcome: String,
    /// Number of calls.
    pub count: u64,
}

/// `conformance.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conformance {
    /// [`CONFORMANCE_SCHEMA`].
    pub schema: u32,
    /// What ran ("proptest lockstep", "quickcheck", "scenario corpus", …).
    pub runner: String,
    /// Generated cases (or scenario files).
    pub cases: u64,
    /// Lockstep steps executed in total (both sides stepped once = one step).
    pub steps: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Failures (empty on a clean run).
    #[serde(default)]
    pub failures: Vec<Failure>,
    /// OfflineV2 calls made by the impl side, grouped by (flags, outcome).
    #[serde(default)]
    pub offline_v2_calls: Vec<FlagOutcome>,
    /// Optional: model paths replayed by the exhaustive driver.
    #[serde(default)]
    pub paths: Option<u64>,
    /// Optional: depth of those paths.
    #[serde(default)]
    pub depth: Option<u64>,
    /// Optional: distinct (action, flags, outcome) transitions exercised of those reachable.
    #[serde(default)]
    pub transition_coverage: Option<TransitionCoverage>,
    /// Optional: runs of the 128-combination flag sweep (raw OfflineV2 in every DLL state).
    #[serde(default)]
    pub flag_sweep_runs: Option<u64>,
    /// Optional: false when a budget stopped the run before it covered everything.
    #[serde(default)]
    pub complete: Option<bool>,
}

/// Transitions exercised by the exhaustive driver, of those reachable in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionCoverage {
    /// Exercised.
    pub exercised: u64,
    /// Reachable.
    pub reachable: u64,
}

/// Short names of the seven flags, in bit order (for the matrix's flag column).
const SHORT: [&str; 7] = ["IGN", "RTS", "QUE", "RET", "EMB", "NET", "DNU"];

/// `0x42 RTS|DNU`-style label of a flag combination.
#[must_use]
pub fn flag_label(flags: u32) -> String {
    let names: Vec<&str> = (0..7)
        .filter(|bit| flags & (1 << bit) != 0)
        .map(|bit| SHORT[bit])
        .collect();
    if names.is_empty() {
        format!("0x{flags:02X} –")
    } else {
        format!("0x{flags:02X} {}", names.join("\\|"))
    }
}

/// The canonical name of an outcome string (case-insensitive name or number), so that
/// `"997"` and `"error_io_pending"` land in one column; `None` if it is neither.
#[must_use]
pub fn canonical_outcome(outcome: &str) -> Option<ErrorCode> {
    ErrorCode::parse(outcome.trim())
}

/// The coverage matrix: for each of the 128 combinations, outcome → calls.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Coverage {
    /// Row per combination 0..128; outcome → count.
    pub rows: Vec<BTreeMap<ErrorCode, u64>>,
    /// Every outcome seen (the columns), in code order.
    pub outcomes: BTreeSet<ErrorCode>,
    /// Calls with a bit outside 0x7F, by outcome.
    pub outside: BTreeMap<ErrorCode, u64>,
}

impl Coverage {
    /// Builds the matrix from the call counts.
    #[must_use]
    pub fn from_calls(calls: &[(u32, ErrorCode, u64)]) -> Self {
        let mut c = Self {
            rows: vec![BTreeMap::new(); FLAG_COMBINATIONS as usize],
            ..Self::default()
        };
        for &(flags, code, count) in calls {
            c.outcomes.insert(code);
            let cell = if flags < FLAG_COMBINATIONS {
                c.rows[flags as usize].entry(code).or_default()
            } else {
                c.outside.entry(code).or_default()
            };
            *cell += count;
        }
        c
    }

    /// Combinations called at least once.
    #[must_use]
    pub fn exercised(&self) -> usize {
        self.rows.iter().filter(|r| !r.is_empty()).count()
    }

    /// Combinations that got past R1 validation at least once: an answer of the DLL other than
    /// ERROR_INVALID_PARAMETER. The host's own answers to a raw call that never reached a DLL
    /// (ERROR_CLUSTER_NODE_DOWN, ERROR_CLUSTER_NODE_NOT_FOUND) are not validation passes
    /// (issue 14: counting them gave "105 got past R1" with only 96 valid combinations).
    #[must_use]
    pub fn accepted(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.keys().any(|&c| passed_r1(c)))
            .count()
    }

    /// Always-invalid combinations (0x02|0x08) that got past R1: a DLL bug, shown apart.
    #[must_use]
    pub fn invalid_accepted(&self) -> usize {
        (0u32..)
            .zip(&self.rows)
            .filter(|(f, r)| always_invalid(*f) && r.keys().any(|&c| passed_r1(c)))
            .count()
    }
}

/// Whether an OfflineV2 outcome shows that the call got past R1 (validation) in a DLL.
#[must_use]
pub fn passed_r1(code: ErrorCode) -> bool {
    code != ErrorCode::ERROR_INVALID_PARAMETER
        && code != ErrorCode::ERROR_CLUSTER_NODE_DOWN
        && code != ErrorCode::ERROR_CLUSTER_NODE_NOT_FOUND
}

/// Combinations R1 rejects whatever the other arguments (0x08 together with 0x02).
#[must_use]
pub fn always_invalid(flags: u32) -> bool {
    let f = OfflineFlags::from_bits_retain(flags);
    f.contains(
        OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR
            | OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR,
    )
}

impl Conformance {
    /// Reads `path`.
    ///
    /// # Errors
    /// [`InputError`], also for an outcome that is neither a SPEC §2 name nor a number, or
    /// non-positive seconds.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let value: Self = read_json(path, CONFORMANCE_SCHEMA, |c: &Self| c.schema)?;
        if !(value.seconds.is_finite() && value.seconds > 0.0) {
            return Err(InputError::Invalid {
                path: path.to_path_buf(),
                what: format!("seconds must be > 0, got {}", value.seconds),
            });
        }
        if let Some((i, bad)) = value
            .offline_v2_calls
            .iter()
            .enumerate()
            .find(|(_, c)| canonical_outcome(&c.outcome).is_none())
        {
            return Err(InputError::Invalid {
                path: path.to_path_buf(),
                what: format!(
                    "offline_v2_calls[{i}].outcome {:?} is neither a SPEC §2 code name nor a number",
                    bad.outcome
                ),
            });
        }
        Ok(value)
    }

    /// The coverage matrix of this run.
    #[must_use]
    pub fn coverage(&self) -> Coverage {
        let calls: Vec<(u32, ErrorCode, u64)> = self
            .offline_v2_calls
            .iter()
            .filter_map(|c| canonical_outcome(&c.outcome).map(|code| (c.flags, code, c.count)))
            .collect();
        Coverage::from_calls(&calls)
    }

    /// True on a clean run.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// `reports/conformance.md`.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let cov = self.coverage();
        let mut md = String::new();
        let _ = writeln!(md, "# Conformance report\n");
        let _ = writeln!(
            md,
            "Runner: {}. Generated by `reports conformance` from the runner's JSON.\n",
            self.runner
        );
        let verdict = if self.passed() {
            "**PASS**"
        } else {
            "**FAIL**"
        };
        let _ = writeln!(md, "{verdict}\n");
        let _ = writeln!(
            md,
            "| cases | lockstep steps | seconds | steps/s | failures |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|");
        let _ = writeln!(
            md,
            "| {} | {} | {:.2} | {:.0} | {} |",
            self.cases,
            self.steps,
            self.seconds,
            self.steps as f64 / self.seconds,
            self.failures.len()
        );
        if self.complete == Some(false) {
            let _ = writeln!(
                md,
                "\n**INCOMPLETE**: a budget stopped the run before it covered everything."
            );
        }
        if let (Some(paths), Some(depth)) = (self.paths, self.depth) {
            let _ = writeln!(md, "\nModel paths replayed: {paths} (depth {depth}).");
        }
        if let Some(runs) = self.flag_sweep_runs {
            let _ = writeln!(
                md,
                "\nFlag-sweep runs: {runs} (each of the 128 OfflineV2 flag combinations, with and \
                 without a DestinationNodeName, as a raw call in each DLL state of the sweep; \
                 counted in the matrix below)."
            );
        }
        if let Some(t) = self.transition_coverage {
            let _ = writeln!(
                md,
                "\nTransition coverage: {} of {} reachable (action, flags, outcome) transitions ({:.0}%). \
                 Reachable: every transition the bounded default model can take from any state of \
                 its whole state space; exercised: those the exhaustive model paths (up to the depth \
                 above) took. The rest need longer paths than the depth allows.",
                t.exercised,
                t.reachable,
                100.0 * t.exercised as f64 / t.reachable.max(1) as f64
            );
        }
        if !self.failures.is_empty() {
            let _ = writeln!(md, "\n## Failures\n");
            for f in &self.failures {
                let _ = writeln!(
                    md,
                    "- case `{}`, step {}:\n\n```\n{}\n```",
                    f.case, f.step, f.message
                );
            }
        }
        let _ = writeln!(md, "\n## OfflineV2 flag-combination coverage\n");
        let _ = writeln!(
            md,
            "{} of {FLAG_COMBINATIONS} combinations called; {} of the 96 valid ones got past R1 \
             validation at least once (an answer of the DLL other than ERROR_INVALID_PARAMETER; \
             the host's ERROR_CLUSTER_NODE_DOWN for a raw call to a Down node is not one); \
             {} of the 32 combinations carrying 0x02|0x08 (always rejected by R1, marked †) \
             got past it. Calls with bits outside 0x7F: {}.\n",
            cov.exercised(),
            cov.accepted() - cov.invalid_accepted(),
            cov.invalid_accepted(),
            if cov.outside.is_empty() {
                "none".to_owned()
            } else {
                cov.outside
                    .iter()
                    .map(|(c, n)| format!("{c} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        let _ = writeln!(
            md,
            "Flags: IGN 0x01 IGNORE_RESOURCE_STATUS, RTS 0x02 RETURN_TO_SOURCE_NODE_ON_ERROR, \
             QUE 0x04 QUEUE_ENABLED, RET 0x08 RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR, \
             EMB 0x10 DUE_TO_EMBEDDED_FAILURE, NET 0x20 IGNORE_NETWORK_CONNECTIVITY, \
             DNU 0x40 DO_NOT_UPDATE_PERSISTENT_STATE. Cells are call counts.\n"
        );
        let mut header = String::from("| flags | total |");
        let mut rule = String::from("|---|---|");
        for code in &cov.outcomes {
            let _ = write!(header, " {code} |");
            rule.push_str("---|");
        }
        let _ = writeln!(md, "{header}\n{rule}");
        for (flags, row) in (0u32..).zip(&cov.rows) {
            let total: u64 = row.values().sum();
            let dagger = if always_invalid(flags) { " †" } else { "" };
            let total = if total == 0 {
                "**0**".to_owned()
            } else {
                total.to_string()
            };
            let mut line = format!("| {}{dagger} | {total} |", flag_label(flags));
            for code in &cov.outcomes {
                let _ = match row.get(code) {
                    Some(n) => write!(line, " {n} |"),
                    None => write!(line, " · |"),
                };
            }
            let _ = writeln!(md, "{line}");
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_invalid_combinations() {
        assert_eq!(flag_label(0), "0x00 –");
        assert_eq!(flag_label(0x42), "0x42 RTS\\|DNU");
        assert!(always_invalid(0x0A));
        assert!(!always_invalid(0x02));
        assert_eq!((0..128).filter(|&f| always_invalid(f)).count(), 32);
    }

    #[test]
    fn node_down_answers_are_not_validation_passes() {
        let cov = Coverage::from_calls(&[
            (0x0A, ErrorCode::ERROR_INVALID_PARAMETER, 25),
            (0x0A, ErrorCode::ERROR_CLUSTER_NODE_DOWN, 2),
            (0x02, ErrorCode::ERROR_INVALID_PARAMETER, 3),
            (0x02, ErrorCode::ERROR_RESOURCE_NOT_FOUND, 1),
            (0x01, ErrorCode::ERROR_CLUSTER_NODE_DOWN, 1),
        ]);
        assert_eq!(cov.exercised(), 3);
        assert_eq!(cov.accepted(), 1, "only 0x02 reached a DLL past R1");
        assert_eq!(cov.invalid_accepted(), 0);
        let all: Vec<_> = (0..128).map(|f| (f, ErrorCode::ERROR_SUCCESS, 1)).collect();
        let cov = Coverage::from_calls(&all);
        assert_eq!(cov.accepted() - cov.invalid_accepted(), 96);
        assert_eq!(cov.invalid_accepted(), 32);
    }

    #[test]
    fn outcomes_are_canonical() {
        assert_eq!(canonical_outcome("997"), Some(ErrorCode::ERROR_IO_PENDING));
        assert_eq!(
            canonical_outcome("error_io_pending"),
            Some(ErrorCode::ERROR_IO_PENDING)
        );
        assert_eq!(canonical_outcome("nope"), None);
    }
}
