//! A hand-written SVG bar chart (no plotting dependency): one row per metric, each on its own
//! scale, with the baseline's bar, this run's bar and a tick at the noise band's edge.

use std::fmt::Write as _;

/// One row of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// Row label (metric id).
    pub label: String,
    /// The committed baseline's value.
    pub baseline: Option<f64>,
    /// This run's value.
    pub now: Option<f64>,
    /// Where the noise band ends on the bad side (drawn as a tick).
    pub band_edge: Option<f64>,
    /// Draw "now" as a failure.
    pub bad: bool,
}

/// A chart of [`BarRow`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title line.
    pub title: String,
    /// Rows, top to bottom.
    pub rows: Vec<BarRow>,
}

/// Escapes text for SVG.
#[must_use]
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: f64 = 900.0;
const LABEL_W: f64 = 280.0;
const BAR_W: f64 = 480.0;
const ROW_H: f64 = 44.0;
const TOP: f64 = 40.0;

impl BarChart {
    /// The SVG document.
    #[must_use]
    pub fn render(&self) -> String {
        let height = TOP + ROW_H * self.rows.len() as f64 + 20.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(
            s,
            r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="10" y="22" font-size="14">{}</text>"##,
            escape(&self.title)
        );
        for (i, row) in self.rows.iter().enumerate() {
            let y = TOP + ROW_H * i as f64;
            let max = [row.baseline, row.now, row.band_edge]
                .into_iter()
                .flatten()
                .fold(0.0_f64, f64::max)
                * 1.1;
            let scale = if max > 0.0 { BAR_W / max } else { 0.0 };
            let _ = writeln!(
                s,
                r#"<text x="10" y="{:.1}">{}</text>"#,
                y + 22.0,
                escape(&row.label)
            );
            let bars = [
                (row.baseline, "#9e9e9e", y + 4.0, "baseline"),
                (
                    row.now,
                    if row.bad { "#d32f2f" } else { "#1976d2" },
                    y + 20.0,
                    "now",
                ),
            ];
            for (value, color, by, name) in bars {
                if let Some(v) = value {
                    let w = (v * scale).max(1.0);
                    let _ = writeln!(
                        s,
                        r#"<rect x="{LABEL_W}" y="{by:.1}" width="{w:.1}" height="14" fill="{color}"><title>{name}: {v:.3}</title></rect><text x="{:.1}" y="{:.1}">{name} {v:.2}×</text>"#,
                        LABEL_W + w + 6.0,
                        by + 11.0
                    );
                }
            }
            if let Some(edge) = row.band_edge {
                let x = LABEL_W + edge * scale;
                let _ = writeln!(
                    s,
                    r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#ff9800" stroke-width="2"><title>noise-band edge {edge:.3}</title></line>"##,
                    y + 2.0,
                    y + 36.0
                );
            }
        }
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_well_formed_document() {
        let chart = BarChart {
            title: "a < b".into(),
            rows: vec![BarRow {
                label: "m".into(),
                baseline: Some(2.0),
                now: Some(3.0),
                band_edge: Some(2.5),
                bad: true,
            }],
        };
        let svg = chart.render();
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("a &lt; b"));
        assert!(svg.contains("#d32f2f"));
        assert_eq!(svg.matches("<rect").count(), 3);
    }
}
