//! Progress of long runs on stderr (issue 14): a spinner on a terminal; without one (CI logs,
//! pipes) a plain line every few seconds and one when the phase ends, e.g.
//!
//! ```text
//! progress: check  elapsed=10.0s states=1843200 unique=612031 rate=184320/s depth=17
//! ```
//!
//! `rate` is the first counter per second of elapsed time. `OFFLINE_V2_PROGRESS_SECONDS` sets
//! the interval of the plain lines (default 5; 0 turns them off). Any subcommand can use it:
//! create a [`Progress`] per phase, call [`Progress::update`] as often as convenient (it prints
//! only when the interval has passed) and [`Progress::finish`] at the end.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

/// The interval of the plain progress lines, from `OFFLINE_V2_PROGRESS_SECONDS` (default 5 s;
/// `0` or a malformed value: the default for malformed, off for 0).
#[must_use]
pub fn interval() -> Option<Duration> {
    match std::env::var("OFFLINE_V2_PROGRESS_SECONDS") {
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(0.0) => None,
            Ok(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s.min(3600.0))),
            _ => Some(Duration::from_secs(5)),
        },
        Err(_) => Some(Duration::from_secs(5)),
    }
}

enum Mode {
    Off,
    Spinner(indicatif::ProgressBar),
    Lines {
        every: Option<Duration>,
        last: Instant,
    },
}

/// The progress display of one phase.
pub struct Progress {
    phase: String,
    started: Instant,
    mode: Mode,
}

impl Progress {
    /// A progress display for `phase`; `enabled: false` shows nothing (`--json`, `--quiet`).
    #[must_use]
    pub fn new(phase: &str, enabled: bool) -> Self {
        let started = Instant::now();
        let mode = if !enabled {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            Mode::Spinner(bar)
        } else {
            Mode::Lines {
                every: interval(),
                last: started,
            }
        };
        Progress {
            phase: phase.to_owned(),
            started,
            mode,
        }
    }

    /// The text of a progress line with these counters.
    #[must_use]
    pub fn line(&self, counters: &[(&str, u64)]) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut text = format!("progress: {}  elapsed={elapsed:.1}s", self.phase);
        for (name, value) in counters {
            text.push_str(&format!(" {name}={value}"));
        }
        if let Some((_, first)) = counters.first() {
            let rate = if elapsed > 0.0 {
                *first as f64 / elapsed
            } else {
                0.0
            };
            text.push_str(&format!(" rate={rate:.0}/s"));
        }
        text
    }

    /// Shows the counters now (spinner) or when the interval has passed (plain lines).
    pub fn update(&mut self, counters: &[(&str, u64)]) {
        let line = self.line(counters);
        match &mut self.mode {
            Mode::Off => {}
            Mode::Spinner(bar) => bar.set_message(line),
            Mode::Lines { every, last } => {
                if let Some(every) = every {
                    if last.elapsed() >= *every {
                        *last = Instant::now();
                        eprintln!("{line}");
                    }
                }
            }
        }
    }

    /// Ends the phase: clears the spinner, or prints the final plain line.
    pub fn finish(&mut self, counters: &[(&str, u64)]) {
        let line = self.line(counters);
        match &self.mode {
            Mode::Off => {}
            Mode::Spinner(bar) => bar.finish_and_clear(),
            Mode::Lines { every, .. } => {
                if every.is_some() {
                    eprintln!("{line} (done)");
                }
            }
        }
        self.mode = Mode::Off;
    }

    /// Prints a message above the spinner, or as a plain line (not when off).
    pub fn say(&self, text: &str) {
        match &self.mode {
            Mode::Off => {}
            Mode::Spinner(bar) => bar.println(text),
            Mode::Lines { .. } => eprintln!("{text}"),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Mode::Spinner(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_every_counter_and_the_rate() {
        let p = Progress::new("check", false);
        let line = p.line(&[("states", 100), ("unique", 40)]);
        assert!(
            line.starts_with("progress: check  elapsed=")
                && line.contains(" states=100 unique=40 rate="),
            "{line}"
        );
    }
}
