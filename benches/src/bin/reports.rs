//! `reports`: the benchmark-regression, model-check and conformance reports (SPEC §8).
//!
//! ```text
//! reports bench [--criterion DIR] [--baseline FILE] [--out DIR] [--band 0.25] [--update-baseline]
//!               [--gate FILE] [--history FILE [--append-history --commit ID --date ISO]]
//! reports noise --criterion DIR --criterion DIR --criterion DIR ... [--baseline FILE]
//! reports gate [--gungraun DIR] [--baseline FILE] [--band 0.02] [--ci] [--update-baseline]
//! reports gate-spread --first DIR --second DIR
//! reports model-check [--input FILE] [--out DIR]
//! reports conformance [--input FILE] [--out DIR]
//! ```
//!
//! Exit codes: 0 pass; 1 a regression beyond the noise band (bench), an instruction count
//! beyond the gate's band or a gated benchmark missing (gate), counts that differ between two
//! runs (gate-spread), a failed property or an uncaught seeded bug (model-check), a conformance
//! failure; 2 missing or malformed input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use offline_v2_benches::bench_report::{
    baseline_from_runs, evaluate, load_estimates, BaselineFile, BenchReport, ReportError,
    Statistic, DEFAULT_NOISE_BAND,
};
use offline_v2_benches::conformance_report::Conformance;
use offline_v2_benches::gate::{self, GateBaseline, GateReport, DEFAULT_GATE_BAND};
use offline_v2_benches::history::{self, HistoryRow};
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
        /// The instruction-count gate's result (written by `reports gate`), shown as a table.
        #[arg(long, default_value_os_t = target_dir().join("reports/gate.json"))]
        gate: PathBuf,
        /// The history file: its trend plots go to `<out>/history.svg`.
        #[arg(long, default_value_os_t = root().join("reports/history.csv"))]
        history: PathBuf,
        /// Append this run's ratios and the gate's instruction counts to the history.
        #[arg(long, requires_all = ["commit", "date"])]
        append_history: bool,
        /// Commit id recorded in the history (`git rev-parse --short=12 HEAD`, `-dirty` if so).
        #[arg(long)]
        commit: Option<String>,
        /// Date recorded in the history (ISO 8601, UTC).
        #[arg(long)]
        date: Option<String>,
    },
    /// Derive the per-metric noise bands of baseline.json from repeated criterion runs of
    /// unchanged code (one criterion directory each; at least 3).
    Noise {
        /// Criterion output directories, one per run.
        #[arg(long, required = true, num_args = 1)]
        criterion: Vec<PathBuf>,
        /// The baseline file to rewrite (medians, bands and spreads; other fields kept).
        #[arg(long, default_value_os_t = root().join("reports/baseline.json"))]
        baseline: PathBuf,
        /// Note stored in the baseline file.
        #[arg(long)]
        note: Option<String>,
    },
    /// The deterministic instruction-count gate: callgrind profiles of the gungraun benches
    /// compared with reports/instructions.json by benchmark id.
    Gate {
        /// gungraun's output directory (default: $CARGO_TARGET_DIR/gungraun or target/gungraun).
        #[arg(long)]
        gungraun: Option<PathBuf>,
        /// The committed instruction-count baseline.
        #[arg(long, default_value_os_t = root().join("reports/instructions.json"))]
        baseline: PathBuf,
        /// Allowed growth as a fraction (default: the baseline file's, else 0.02).
        #[arg(long)]
        band: Option<f64>,
        /// CI mode: a missing baseline file is an error (exit 2), not "every bench is new".
        #[arg(long)]
        ci: bool,
        /// The run was filtered on purpose: baselined benches it lacks are "not run", not
        /// "missing" (which fails the gate).
        #[arg(long)]
        partial: bool,
        /// Write this run's counts as the new baseline (deliberate; drops benches not run).
        #[arg(long)]
        update_baseline: bool,
        /// Note stored in the baseline with --update-baseline (default: keep the old one).
        #[arg(long)]
        note: Option<String>,
        /// Where the evaluated gate goes (for `reports bench` and the history).
        #[arg(long, default_value_os_t = target_dir().join("reports/gate.json"))]
        json: PathBuf,
    },
    /// Run-to-run spread of two gungraun runs of the same code (exit 1 if an instruction
    /// count differs by more than the tolerance, or a benchmark ran only once).
    GateSpread {
        /// The first run's gungraun directory.
        #[arg(long)]
        first: PathBuf,
        /// The second run's gungraun directory.
        #[arg(long)]
        second: PathBuf,
        /// Largest relative difference of an instruction count accepted (0: identical).
        #[arg(long, default_value_t = 0.001)]
        tolerance: f64,
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
        /// The seeded-bug rows the tests write (`cargo test -p offline-v2-properties --test
        /// monitors --test seeded_bugs`); the table is left out if the folder is absent.
        #[arg(long, default_value_os_t = target_dir().join("reports/seeded-bugs"))]
        seeded_bugs: PathBuf,
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

/// The options of `reports bench` (see [`Command::Bench`]).
struct BenchArgs {
    criterion: Option<PathBuf>,
    baseline: PathBuf,
    out: PathBuf,
    band: Option<f64>,
    statistic: Option<Statistic>,
    update: bool,
    require_all: bool,
    note: Option<String>,
    gate: PathBuf,
    history: PathBuf,
    append: Option<(String, String)>,
}

fn bench(a: &BenchArgs) -> Result<bool, String> {
    let dir = a
        .criterion
        .clone()
        .unwrap_or_else(|| target_dir().join("criterion"));
    let estimates = load_estimates(&dir).map_err(|e| e.to_string())?;
    let old = BaselineFile::load(&a.baseline).map_err(|e| e.to_string())?;
    let band = a
        .band
        .or(old.as_ref().map(|b| b.noise_band))
        .unwrap_or(DEFAULT_NOISE_BAND);
    let base_stat = old.as_ref().map(|b| b.statistic);
    let statistic = a.statistic.or(base_stat).unwrap_or_default();
    // Re-baselining may change the statistic; comparing may not.
    let compare_with = match (base_stat, a.update) {
        (Some(b), false) if b != statistic => {
            return Err(ReportError::StatisticMismatch {
                path: a.baseline.clone(),
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
    if a.update {
        let note = a
            .note
            .clone()
            .or_else(|| old.as_ref().map(|o| o.note.clone()))
            .unwrap_or_else(|| "quick profile (scripts/bench.sh)".to_owned());
        let new = report.to_baseline(compare_with, &note);
        new.save(&a.baseline).map_err(|e| e.to_string())?;
        eprintln!("reports: baseline updated: {}", a.baseline.display());
        report =
            evaluate(&dir, &estimates, Some(&new), band, statistic).map_err(|e| e.to_string())?;
    }
    let gate = load_gate(&a.gate)?;
    if let Some((commit, date)) = &a.append {
        append_history(&a.history, commit, date, &report, gate.as_ref())?;
    }
    let trend = history::load(&a.history).map_err(|e| e.to_string())?;
    write(&a.out.join("history.svg"), &history::trend_svg(&trend))?;
    let md = bench_markdown(&report, gate.as_ref(), trend.len());
    write(&a.out.join("bench.md"), &md)?;
    write(&a.out.join("bench.svg"), &report.to_svg())?;
    print_rows(&report);
    if a.require_all {
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
            "reports: {} regression(s) beyond their noise band: {}",
            regressions.len(),
            regressions
                .iter()
                .map(|r| r.metric.id)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    eprintln!("reports: wrote {}", a.out.join("bench.md").display());
    Ok(regressions.is_empty())
}

fn print_rows(report: &BenchReport) {
    for row in &report.rows {
        eprintln!(
            "reports: {:<32} now {:>8} baseline {:>8} band ±{:>3.0}%  {}",
            row.metric.id,
            row.now.map_or("-".into(), |v| format!("{v:.2}x")),
            row.baseline.map_or("-".into(), |v| format!("{v:.2}x")),
            row.band * 100.0,
            row.verdict.label()
        );
    }
}

/// The gate's result of this run, if `reports gate` wrote one.
fn load_gate(path: &Path) -> Result<Option<GateReport>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        format!(
            "{} is not a gate result ({e}): rerun scripts/gate.sh",
            path.display()
        )
    })
}

fn append_history(
    path: &Path,
    commit: &str,
    date: &str,
    report: &BenchReport,
    gate: Option<&GateReport>,
) -> Result<(), String> {
    let row = |kind: &str, metric: &str, value: f64| HistoryRow {
        date: date.to_owned(),
        commit: commit.to_owned(),
        kind: kind.to_owned(),
        metric: metric.to_owned(),
        value,
    };
    let mut rows: Vec<HistoryRow> = gate
        .map(|g| {
            g.rows
                .iter()
                .filter_map(|r| {
                    r.new
                        .as_ref()
                        .map(|n| row("instructions", &r.id, n.instructions as f64))
                })
                .collect()
        })
        .unwrap_or_default();
    rows.extend(report.rows.iter().filter_map(|r| {
        r.now
            .map(|v| row("ratio", r.metric.id, (v * 1000.0).round() / 1000.0))
    }));
    history::append(path, &rows).map_err(|e| e.to_string())?;
    eprintln!(
        "reports: appended {} figures to {}",
        rows.len(),
        path.display()
    );
    Ok(())
}

/// `reports/bench.md`: the criterion ratios, the instruction counts and the trend plots.
fn bench_markdown(report: &BenchReport, gate: Option<&GateReport>, history_rows: usize) -> String {
    let mut md = report.to_markdown();
    md.push_str("\n\n## Instruction counts (deterministic gate)\n\n");
    match gate {
        Some(g) => {
            md.push_str(&format!(
                "Callgrind under gungraun 0.20 (`scripts/gate.sh`), one measured operation per \
                 benchmark after an unmeasured set-up and warm-up; compared with \
                 `reports/instructions.json` by benchmark id. The gate fails (exit 1) when an \
                 instruction count grows more than **{:.1}%** (and by more than {} \
                 instructions), or a baselined benchmark is missing; cache figures are \
                 callgrind's simulation, reported but not gated. **{}**.\n\n",
                g.band * 100.0,
                g.min_delta,
                if g.passed() { "PASS" } else { "FAIL" }
            ));
            md.push_str(&g.to_markdown());
            if let Some(ratio) = instruction_ratio(g) {
                md.push_str(&format!(
                    "\nHot path in instructions: `offline_sync` / `empty_call` = {ratio:.1}× \
                     (deterministic; the wall-clock ratio is in the first table).\n"
                ));
            }
        }
        None => md.push_str(
            "Not run with this report: `scripts/gate.sh` (or `scripts/bench.sh`) writes it.\n",
        ),
    }
    md.push_str(&format!(
        "\n## Trend\n\nOne plot per metric over the last runs of `scripts/bench.sh` \
         (`reports/history.csv`, {history_rows} figures so far).\n\n![trend](history.svg)\n"
    ));
    md
}

/// Instructions of the sync OfflineV2 over those of the empty call, from the gate's run.
fn instruction_ratio(g: &GateReport) -> Option<f64> {
    let ir = |id: &str| {
        g.rows
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.new.as_ref())
            .map(|n| n.instructions as f64)
    };
    let (sync, empty) = (ir("hot_path.offline_sync")?, ir("hot_path.empty_call")?);
    (empty > 0.0).then(|| sync / empty)
}

fn noise(criterion: &[PathBuf], baseline: &Path, note: Option<&str>) -> Result<bool, String> {
    if criterion.len() < 3 {
        return Err(format!(
            "--criterion given {} time(s): a spread needs at least 3 runs",
            criterion.len()
        ));
    }
    let old = BaselineFile::load(baseline).map_err(|e| e.to_string())?;
    let statistic = old.as_ref().map(|o| o.statistic).unwrap_or_default();
    let runs = criterion
        .iter()
        .map(|d| load_estimates(d).map(|e| (d.clone(), e)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let note = note
        .map(str::to_owned)
        .or_else(|| old.as_ref().map(|o| o.note.clone()))
        .unwrap_or_default();
    let file =
        baseline_from_runs(&runs, old.as_ref(), statistic, &note).map_err(|e| e.to_string())?;
    for (id, sp) in &file.spread {
        eprintln!(
            "reports: {id:<32} {} runs median {:.3} MAD {:.4} range {:.3}-{:.3} -> band ±{:.1}%",
            sp.runs,
            sp.median,
            sp.mad,
            sp.min,
            sp.max,
            sp.band * 100.0
        );
    }
    file.save(baseline).map_err(|e| e.to_string())?;
    eprintln!(
        "reports: baseline rewritten with measured bands: {}",
        baseline.display()
    );
    Ok(true)
}

/// The options of `reports gate` (see [`Command::Gate`]).
struct GateArgs {
    gungraun: Option<PathBuf>,
    baseline: PathBuf,
    band: Option<f64>,
    ci: bool,
    partial: bool,
    update: bool,
    note: Option<String>,
    json: PathBuf,
}

fn gate(a: &GateArgs) -> Result<bool, String> {
    let dir = a
        .gungraun
        .clone()
        .unwrap_or_else(|| target_dir().join("gungraun"));
    let run = gate::load_run(&dir).map_err(|e| e.to_string())?;
    let old = GateBaseline::load(&a.baseline).map_err(|e| e.to_string())?;
    if old.is_none() && a.ci && !a.update {
        return Err(format!(
            "baseline {} is missing: the gate has nothing to compare with. \
             Create it with scripts/gate.sh --bless and commit it",
            a.baseline.display()
        ));
    }
    let band = a
        .band
        .or(old.as_ref().map(|b| b.band))
        .unwrap_or(DEFAULT_GATE_BAND);
    let mut report =
        gate::evaluate_partial(&run, old.as_ref(), band, a.partial).map_err(|e| e.to_string())?;
    print!("{}", report.to_text());
    if a.update {
        let note = a
            .note
            .clone()
            .or_else(|| old.as_ref().map(|o| o.note.clone()))
            .unwrap_or_default();
        let new = report.to_baseline(&note);
        new.save(&a.baseline).map_err(|e| e.to_string())?;
        eprintln!(
            "reports: instruction baseline blessed: {}",
            a.baseline.display()
        );
        report =
            gate::evaluate_partial(&run, Some(&new), band, a.partial).map_err(|e| e.to_string())?;
    }
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    write(&a.json, &json)?;
    let passed = report.passed();
    println!(
        "instruction gate: {} ({} benchmarks, band +{:.1}% and > {} instructions)",
        if passed { "PASS" } else { "FAIL" },
        report.rows.len(),
        band * 100.0,
        report.min_delta
    );
    Ok(passed)
}

fn gate_spread(first: &Path, second: &Path, tolerance: f64) -> Result<bool, String> {
    let a = gate::load_run(first).map_err(|e| e.to_string())?;
    let b = gate::load_run(second).map_err(|e| e.to_string())?;
    println!(
        "{:<40} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "run-to-run difference (2nd − 1st)",
        "instructions",
        "Ir",
        "relative",
        "L1 hits",
        "LL hits",
        "RAM hits",
        "est. cycles"
    );
    let rows = gate::spread(&a, &b);
    let mut worst = 0.0_f64;
    let mut complete = true;
    for (id, d) in &rows {
        let ir = a
            .get(id)
            .map(|m| m.profile.events.ir)
            .ok_or_else(|| format!("{id} ran only in {}", second.display()));
        let ir = match ir {
            Ok(ir) if b.contains_key(id) => ir,
            _ => {
                complete = false;
                println!("{id:<40} ran in one run only");
                continue;
            }
        };
        let rel = if ir > 0 { d[0] as f64 / ir as f64 } else { 0.0 };
        worst = worst.max(rel.abs());
        println!(
            "{id:<40} {ir:>12} {:>+12} {:>+8.4}% {:>+9} {:>+9} {:>+9} {:>+11}",
            d[0],
            rel * 100.0,
            d[1],
            d[2],
            d[3],
            d[4]
        );
    }
    let ok = complete && worst <= tolerance;
    println!(
        "gate-spread: largest instruction-count difference {:.4}% (tolerance {:.4}%): {}",
        worst * 100.0,
        tolerance * 100.0,
        if ok { "ok" } else { "TOO LARGE" }
    );
    Ok(ok)
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
            gate,
            history,
            append_history,
            commit,
            date,
        } => bench(&BenchArgs {
            criterion,
            baseline,
            out,
            band,
            statistic,
            update: update_baseline,
            require_all,
            note,
            gate,
            history,
            append: commit.zip(date).filter(|_| append_history),
        }),
        Command::Noise {
            criterion,
            baseline,
            note,
        } => noise(&criterion, &baseline, note.as_deref()),
        Command::Gate {
            gungraun,
            baseline,
            band,
            ci,
            partial,
            update_baseline,
            note,
            json,
        } => gate(&GateArgs {
            gungraun,
            baseline,
            band,
            ci,
            partial,
            update: update_baseline,
            note,
            json,
        }),
        Command::GateSpread {
            first,
            second,
            tolerance,
        } => gate_spread(&first, &second, tolerance),
        Command::ModelCheck { input, out } => ModelCheck::load(&input)
            .map_err(|e| e.to_string())
            .and_then(|m| {
                let md = offline_v2_benches::model_report::with_table(m.to_markdown(), &out)
                    .and_then(|md| {
                        let dir = input.parent().unwrap_or(Path::new("."));
                        offline_v2_benches::model_report::with_impl(md, &m, dir)
                    })
                    .map_err(|e| e.to_string())?;
                write(&out.join("model-check.md"), &md)?;
                eprintln!("reports: wrote {}", out.join("model-check.md").display());
                Ok(m.passed())
            }),
        Command::Conformance {
            input,
            seeded_bugs,
            out,
        } => Conformance::load(&input)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                // The seeded-bug table, measured by the tests (reports/README.md).
                let rows = offline_v2_properties::seeded_table::load_rows(&seeded_bugs)?;
                let mut text = c.to_markdown();
                if !rows.is_empty() {
                    text.push('\n');
                    text.push_str(&offline_v2_properties::seeded_table::to_markdown(&rows));
                }
                write(&out.join("conformance.md"), &text)?;
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
