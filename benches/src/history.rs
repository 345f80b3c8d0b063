//! `reports/history.csv`: every run of `scripts/bench.sh` appends its figures (instruction
//! counts of the gate and criterion ratios) with the commit id and the date, and
//! `reports/history.svg` draws one small trend plot per metric, so that drift across commits
//! shows.
//!
//! The file is long-format CSV, one figure per line, so that adding or removing a metric never
//! changes its columns:
//!
//! ```text
//! date,commit,kind,metric,value
//! 2026-12-04T18:00:00Z,ee8bd03a1b2c,instructions,hot_path.offline_sync,412
//! 2026-12-04T18:00:00Z,ee8bd03a1b2c,ratio,hot_path.offline_sync,11.302
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::svg::escape;

/// The header line of `history.csv`.
pub const HEADER: &str = "date,commit,kind,metric,value";

/// Points drawn per trend plot (the most recent ones).
pub const POINTS: usize = 40;

/// One figure of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    /// ISO 8601 UTC date of the run.
    pub date: String,
    /// Commit id (`-dirty` when the work tree had changes).
    pub commit: String,
    /// `instructions` (gate) or `ratio` (criterion).
    pub kind: String,
    /// Metric or benchmark id.
    pub metric: String,
    /// The figure.
    pub value: f64,
}

/// A malformed history file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A line that is not `date,commit,kind,metric,value`.
    #[error("{path}:{line}: {what} (expected `{HEADER}`)")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// I/O.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// "read" or "write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn valid_field(s: &str) -> bool {
    !s.is_empty() && !s.contains([',', '\n', '\r', '"'])
}

/// Reads the history (an absent file is an empty history).
///
/// # Errors
/// [`HistoryError`] naming the line.
pub fn load(path: &Path) -> Result<Vec<HistoryRow>, HistoryError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|source| HistoryError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses history text (see [`load`]).
///
/// # Errors
/// [`HistoryError::Line`].
pub fn parse(path: &Path, text: &str) -> Result<Vec<HistoryRow>, HistoryError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let bad = |what: String| HistoryError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            what,
        };
        if i == 0 {
            if line.trim() != HEADER {
                return Err(bad(format!("header is `{line}`")));
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let [date, commit, kind, metric, value] = f.as_slice() else {
            return Err(bad(format!("{} fields", f.len())));
        };
        let value: f64 = value
            .trim()
            .parse()
            .map_err(|_| bad(format!("`{value}` is not a number")))?;
        if !value.is_finite() {
            return Err(bad(format!("`{value}` is not a finite number")));
        }
        rows.push(HistoryRow {
            date: (*date).to_owned(),
            commit: (*commit).to_owned(),
            kind: (*kind).to_owned(),
            metric: (*metric).to_owned(),
            value,
        });
    }
    Ok(rows)
}

/// Appends one run's figures (creating the file with its header if needed). Fields must not
/// contain commas or quotes.
///
/// # Errors
/// [`HistoryError`] for a bad field or I/O.
pub fn append(path: &Path, rows: &[HistoryRow]) -> Result<(), HistoryError> {
    let mut text = if path.exists() {
        std::fs::read_to_string(path).map_err(|source| HistoryError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?
    } else {
        format!("{HEADER}\n")
    };
    parse(path, &text)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    for r in rows {
        for field in [&r.date, &r.commit, &r.kind, &r.metric] {
            if !valid_field(field) {
                return Err(HistoryError::Line {
                    path: path.to_path_buf(),
                    line: 0,
                    what: format!("field `{field}` is empty or holds a comma or quote"),
                });
            }
        }
        let _ = writeln!(
            text,
            "{},{},{},{},{}",
            r.date, r.commit, r.kind, r.metric, r.value
        );
    }
    std::fs::write(path, text).map_err(|source| HistoryError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// Series per `(kind, metric)`, in file order.
#[must_use]
pub fn series(rows: &[HistoryRow]) -> BTreeMap<(String, String), Vec<&HistoryRow>> {
    let mut out: BTreeMap<(String, String), Vec<&HistoryRow>> = BTreeMap::new();
    for r in rows {
        out.entry((r.kind.clone(), r.metric.clone()))
            .or_default()
            .push(r);
    }
    out
}

const PANEL_W: f64 = 290.0;
const PANEL_H: f64 = 96.0;
const COLS: usize = 3;

fn fmt_value(kind: &str, v: f64) -> String {
    if kind == "instructions" {
        format!("{v:.0}")
    } else {
        format!("{v:.2}×")
    }
}

/// `reports/history.svg`: one small trend plot per metric (instruction counts in green,
/// criterion ratios in blue), the last [`POINTS`] runs, each on its own scale, with the first
/// and last values and commits.
#[must_use]
pub fn trend_svg(rows: &[HistoryRow]) -> String {
    let series = series(rows);
    let n = series.len().max(1);
    let rows_of_panels = n.div_ceil(COLS);
    let width = PANEL_W * COLS as f64 + 20.0;
    let height = 40.0 + PANEL_H * rows_of_panels as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">"#
    );
    let _ = writeln!(
        s,
        r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="10" y="20" font-size="12">Last {POINTS} runs of scripts/bench.sh (reports/history.csv): green instructions, blue ratios, each on its own scale</text>"##
    );
    if series.is_empty() {
        let _ = writeln!(
            s,
            r#"<text x="10" y="50">no history yet: scripts/bench.sh appends to reports/history.csv</text>"#
        );
    }
    for (i, ((kind, metric), points)) in series.iter().enumerate() {
        let x0 = 10.0 + PANEL_W * (i % COLS) as f64;
        let y0 = 30.0 + PANEL_H * (i / COLS) as f64;
        panel(&mut s, (x0, y0), kind, metric, points);
    }
    s.push_str("</svg>\n");
    s
}

fn panel(s: &mut String, (x0, y0): (f64, f64), kind: &str, metric: &str, points: &[&HistoryRow]) {
    let points = &points[points.len().saturating_sub(POINTS)..];
    let color = if kind == "instructions" {
        "#2e7d32"
    } else {
        "#1976d2"
    };
    let (pw, ph) = (PANEL_W - 20.0, 44.0);
    let (px, py) = (x0, y0 + 18.0);
    let _ = writeln!(
        s,
        r#"<text x="{x0:.1}" y="{:.1}" font-weight="bold">{}</text>"#,
        y0 + 10.0,
        escape(&format!("{metric} ({kind})"))
    );
    let _ = writeln!(
        s,
        r##"<rect x="{px:.1}" y="{py:.1}" width="{pw:.1}" height="{ph:.1}" fill="#fafafa" stroke="#e0e0e0"/>"##
    );
    let lo = points.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
    let hi = points
        .iter()
        .map(|p| p.value)
        .fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = if points.len() > 1 {
        pw / (points.len() - 1) as f64
    } else {
        0.0
    };
    let coords: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let y = if hi > lo {
                py + ph - 4.0 - (p.value - lo) / span * (ph - 8.0)
            } else {
                py + ph / 2.0
            };
            (px + step * k as f64, y)
        })
        .collect();
    let path: Vec<String> = coords
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = writeln!(
        s,
        r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="1.5"/>"#,
        path.join(" ")
    );
    for ((x, y), p) in coords.iter().zip(points) {
        let _ = writeln!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="2" fill="{color}"><title>{} {}: {}</title></circle>"#,
            escape(&p.commit),
            escape(&p.date),
            fmt_value(kind, p.value)
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let change = if first.value != 0.0 {
            format!(" ({:+.1}%)", (last.value / first.value - 1.0) * 100.0)
        } else {
            String::new()
        };
        let short = |c: &str| c.chars().take(7).collect::<String>();
        let _ = writeln!(
            s,
            r#"<text x="{px:.1}" y="{:.1}">{} → {}{}, {} runs, last {}</text>"#,
            py + ph + 12.0,
            fmt_value(kind, first.value),
            fmt_value(kind, last.value),
            change,
            points.len(),
            escape(&short(&last.commit))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(commit: &str, kind: &str, metric: &str, value: f64) -> HistoryRow {
        HistoryRow {
            date: "2026-12-04T00:00:00Z".into(),
            commit: commit.into(),
            kind: kind.into(),
            metric: metric.into(),
            value,
        }
    }

    #[test]
    fn append_then_load_round_trips_and_keeps_old_rows() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("history.csv");
        append(&path, &[row("a", "instructions", "m", 100.0)]).expect("append");
        append(
            &path,
            &[
                row("b", "instructions", "m", 104.0),
                row("b", "ratio", "r", 1.5),
            ],
        )
        .expect("append");
        let rows = load(&path).expect("load");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].commit, "a");
        assert_eq!(series(&rows).len(), 2);
        let svg = trend_svg(&rows);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("m (instructions)") && svg.contains("100 → 104 (+4.0%), 2 runs"));
    }

    #[test]
    fn a_malformed_history_names_the_line_and_is_not_overwritten() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("history.csv");
        std::fs::write(&path, format!("{HEADER}\nx,y,z,m,notanumber\n")).expect("write");
        let e = load(&path).expect_err("bad value");
        assert!(e.to_string().contains(":2:"), "{e}");
        assert!(append(&path, &[row("a", "ratio", "m", 1.0)]).is_err());
        assert!(std::fs::read_to_string(&path)
            .expect("read")
            .contains("notanumber"));
        assert!(append(
            &tmp.path().join("new.csv"),
            &[row("a,b", "ratio", "m", 1.0)]
        )
        .is_err());
    }
}
