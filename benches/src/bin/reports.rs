//! `reports`: the benchmark-regression, model-check and conformance reports (SPEC §8).
//!
//! ```text
//! reports bench [--criterion DIR] [--baseline FILE] [--out DIR] [--band 0.25] [--update-baseline]
//! reports model-check [--input FILE] [--out DIR]
//! reports conformance [--input FILE] [--out DIR]
//! ```
//!
//! Exit codes: 0 pass; 1 a regression beyond the noise band (bench), a failed property or an
//! uncaught seeded bug (model-check), a conformance failure; 2 missing or malformed input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use offline_v2_benches::bench_report::{
    evaluate, load_estimates, BaselineFile, ReportError, Statistic, DEFAULT_NOISE_BAND,
};
use offline_v2_benches::conformance_report::Conformance;
use offline_v2_benches::model_report::ModelCheck;

/// Reports of the offline-v2 suite (written to `reports/`).
#[derive(Debug, Parser)]
#[command(name = "reports", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Benchmark regressions: criterion estimates → ratios → reports/bench.md and bench.svg.
    Bench {
        /// Criterion's output directory (default: $CARGO_TARGET_DIR/criterion or target/criterion).
        #[arg(long)]
        criterion: Option<PathBuf>,
        /// The committed baseline.
        #[arg(long, default_value_os_t = root().join("reports/baseline.json"))]
        baseline: PathBuf,
        /// Where bench.md and bench.svg go.
        #[arg(long, default_value_os_t = root().join("reports"))]
        out: PathBuf,
        /// Noise band as a fraction (default: the baseline file's, else 0.25).
        #[arg(long)]
        band: Option<f64>,
        /// Fail (exit 2) if any metric was not run: guards against a renamed or skipped bench
        /// silently passing the report.
        #[arg(long)]
        require_all: bool,
        /// Per-iteration time used for the ratios (default: the baseline file's, else min).
        #[arg(long, value_enum)]
        statistic: Option<Statistic>,
        /// Write this run's ratios into the baseline file (explicit; never a side effect).
        #[arg(long)]
        update_baseline: bool,
        /// Note stored in the baseline file with --update-baseline (default: keep the old one).
        #[arg(long)]
        note: Option<String>,
    },
    /// reports/model-check.md from the model checker's JSON.
    ModelCheck {
        /// The checker's JSON (schema in reports/README.md).
        #[arg(long, default_value_os_t = target_dir().join("reports/model-check.json"))]
        input: PathBuf,
        /// Where model-check.md goes.
        #[arg(long, default_value_os_t = root().join("reports"))]
        out: PathBuf,
    },
    /// reports/conformance.md (with the 128-combination flag coverage matrix).
    Conformance {
        /// The conformance runner's JSON (schema in reports/README.md).
        #[arg(long, default_value_os_t = target_dir().join("reports/conformance.json"))]
        input: PathBuf,
        /// Where conformance.md goes.
        #[arg(long, default_value_os_t = root().join("reports"))]
        out: PathBuf,
    },
}

/// The workspace root (the directory above this crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Cargo's target directory, as cargo itself resolves it for this workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn bench(
    criterion: Option<PathBuf>,
    baseline_path: &Path,
    out: &Path,
    (band, statistic): (Option<f64>, Option<Statistic>),
    (update, require_all): (bool, bool),
    note: Option<&str>,
) -> Result<bool, String> {
    let dir = criterion.unwrap_or_else(|| target_dir().join("criterion"));
    let estimates = load_estimates(&dir).map_err(|e| e.to_string())?;
    let old = BaselineFile::load(baseline_path).map_err(|e| e.to_string())?;
    let band = band
        .or(old.as_ref().map(|b| b.noise_band))
        .unwrap_or(DEFAULT_NOISE_BAND);
    let base_stat = old.as_ref().map(|b| b.statistic);
    let statistic = statistic.or(base_stat).unwrap_or_default();
    // Re-baselining may change the statistic; comparing may not.
    let compare_with = match (base_stat, update) {
        (Some(b), false) if b != statistic => {
            return Err(ReportError::StatisticMismatch {
                path: baseline_path.to_path_buf(),
                baseline: b,
                requested: statistic,
            }
            .to_string())
        }
        (Some(b), true) if b != statistic => None,
        _ => old.as_ref(),
    };
    let mut report = evaluate(&dir, &estimates, compare_with, band, statistic)
        .map_err(|e: ReportError| e.to_string())?;
    if update {
        let note = note
            .map(str::to_owned)
            .or_else(|| old.as_ref().map(|o| o.note.clone()))
            .unwrap_or_else(|| "quick profile (scripts/bench.sh)".to_owned());
        let new = report.to_baseline(compare_with, &note);
        new.save(baseline_path).map_err(|e| e.to_string())?;
        eprintln!("reports: baseline updated: {}", baseline_path.display());
        report =
            evaluate(&dir, &estimates, Some(&new), band, statistic).map_err(|e| e.to_string())?;
    }
    write(&out.join("bench.md"), &report.to_markdown())?;
    write(&out.join("bench.svg"), &report.to_svg())?;
    for row in &report.rows {
        eprintln!(
            "reports: {:<32} now {:>8} baseline {:>8}  {}",
            row.metric.id,
            row.now.map_or("-".into(), |v| format!("{v:.2}x")),
            row.baseline.map_or("-".into(), |v| format!("{v:.2}x")),
            row.verdict.label()
        );
    }
    if require_all {
        let missing: Vec<&str> = report
            .rows
            .iter()
            .filter(|r| r.now.is_none())
            .map(|r| r.metric.id)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "--require-all: these metrics were not run: {} (their benches are missing from {})",
                missing.join(", "),
                dir.display()
            ));
        }
    }
    let regressions = report.regressions();
    if !regressions.is_empty() {
        eprintln!(
            "reports: {} regression(s) beyond the ±{:.0}% noise band: {}",
            regressions.len(),
            band * 100.0,
            regressions
                .iter()
                .map(|r| r.metric.id)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    eprintln!("reports: wrote {}", out.join("bench.md").display());
    Ok(regressions.is_empty())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench {
            criterion,
            baseline,
            out,
            band,
            require_all,
            statistic,
            update_baseline,
            note,
        } => bench(
            criterion,
            &baseline,
            &out,
            (band, statistic),
            (update_baseline, require_all),
            note.as_deref(),
        ),
        Command::ModelCheck { input, out } => ModelCheck::load(&input)
            .map_err(|e| e.to_string())
            .and_then(|m| {
                let md = offline_v2_benches::model_report::with_table(m.to_markdown(), &out)
                    .map_err(|e| e.to_string())?;
                write(&out.join("model-check.md"), &md)?;
                eprintln!("reports: wrote {}", out.join("model-check.md").display());
                Ok(m.passed())
            }),
        Command::Conformance { input, out } => Conformance::load(&input)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                write(&out.join("conformance.md"), &c.to_markdown())?;
                eprintln!("reports: wrote {}", out.join("conformance.md").display());
                Ok(c.passed())
            }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("reports: error: {message}");
            ExitCode::from(2)
        }
    }
}
