//! Budgets of the long runs (issue 14): one deadline and one set of count budgets, obeyed by
//! every phase (random conformance runs, exhaustive model paths, the flag sweep, the checker,
//! the scenario corpus).
//!
//! Values come from a named profile of `offline-v2.toml` (U1: `default` unless
//! `OFFLINE_V2_PROFILE` or `--profile` names another), and each `OFFLINE_V2_*` variable that
//! is set overrides its profile value. Every value is range-checked ([`Budget::resolve`]): a
//! malformed or out-of-range value is bad input (exit 2), never a silent default. Deadlines are
//! computed with checked arithmetic ([`deadline_after`]), so no value can make a run panic.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The profile file's name, looked up from the current directory upwards, then in the
/// workspace root this binary was built from (`OFFLINE_V2_CONFIG` names another file).
pub const PROFILE_FILE: &str = "offline-v2.toml";

/// What a budget value may be and which variable overrides it.
struct Knob {
    key: &'static str,
    var: &'static str,
    min: u64,
    max: u64,
    /// `0` is accepted and means "no limit".
    zero_is_unlimited: bool,
}

const CASES: Knob = Knob {
    key: "cases",
    var: "OFFLINE_V2_CASES",
    min: 1,
    max: u32::MAX as u64,
    zero_is_unlimited: false,
};
const DEPTH: Knob = Knob {
    key: "depth",
    var: "OFFLINE_V2_DEPTH",
    min: 1,
    max: 64,
    zero_is_unlimited: false,
};
const SECONDS: Knob = Knob {
    key: "seconds",
    var: "OFFLINE_V2_SECONDS",
    min: 1,
    max: 1_000_000,
    zero_is_unlimited: false,
};
const SEED: Knob = Knob {
    key: "seed",
    var: "OFFLINE_V2_SEED",
    min: 0,
    max: u64::MAX,
    zero_is_unlimited: false,
};
const MAX_STATES: Knob = Knob {
    key: "max_states",
    var: "OFFLINE_V2_MAX_STATES",
    min: 1,
    max: u64::MAX,
    zero_is_unlimited: true,
};
const FUZZ_SECONDS: Knob = Knob {
    key: "fuzz_seconds",
    var: "OFFLINE_V2_FUZZ_SECONDS",
    min: 1,
    max: 1_000_000,
    zero_is_unlimited: false,
};
const MEMORY_MB: Knob = Knob {
    key: "memory_mb",
    var: "OFFLINE_V2_MEMORY_MB",
    min: 64,
    max: 16 * 1024 * 1024,
    zero_is_unlimited: true,
};

/// The variables a profile sets (the shell export of `offline-v2 profile --shell`), in order.
pub const VARIABLES: [&str; 11] = [
    "OFFLINE_V2_CASES",
    "OFFLINE_V2_DEPTH",
    "OFFLINE_V2_SECONDS",
    "OFFLINE_V2_SEED",
    "OFFLINE_V2_MAX_STATES",
    "OFFLINE_V2_MEMORY_MB",
    "OFFLINE_V2_MODEL_LARGE",
    "OFFLINE_V2_REPORTS",
    "OFFLINE_V2_BENCH_PROFILE",
    "OFFLINE_V2_FUZZ_SECONDS",
    "OFFLINE_V2_BROWSER",
];

/// The resolved budget of one run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Budget {
    /// The profile the values came from.
    pub profile: String,
    /// The file it was read from (`None`: built-in defaults, no file found).
    pub file: Option<PathBuf>,
    /// Random conformance cases per fixture (proptest/quickcheck cases per property).
    pub cases: u32,
    /// Depth of the exhaustive model-guided paths.
    pub depth: usize,
    /// Wall-clock limit of one run, every phase included.
    pub seconds: u64,
    /// Seed of the random runs.
    pub seed: u64,
    /// Unique-state limit of one model-checker run (`None`: no limit).
    pub max_states: Option<u64>,
    /// Resident-memory limit of one model-checker run, in MiB (`None`: no limit).
    pub memory_mb: Option<u64>,
    /// `scripts/test.sh` also checks the larger model configuration.
    pub model_large: bool,
    /// `scripts/test.sh` also runs `verify` and the quick benches and writes `reports/`.
    pub reports: bool,
    /// Criterion profile of the benches (`quick` or `full`).
    pub bench_profile: String,
    /// Seconds of the libFuzzer run of the DLL table in `scripts/test.sh` (`scripts/fuzz.sh`).
    pub fuzz_seconds: u64,
    /// `scripts/test.sh` installs Chromium if it is missing, for the Explorer's headless
    /// browser test (which reports SKIPPED without it).
    pub browser: bool,
}

impl Default for Budget {
    /// The built-in `default` profile (equal to `[profile.default]` of the committed file,
    /// which a test checks).
    fn default() -> Self {
        Budget {
            profile: "default".into(),
            file: None,
            cases: 256,
            depth: 3,
            seconds: 30,
            seed: 0x0FF1_1E02,
            max_states: None,
            memory_mb: None,
            model_large: false,
            reports: false,
            bench_profile: "quick".into(),
            fuzz_seconds: 60,
            browser: false,
        }
    }
}

/// One `[profile.NAME]` table; every key optional (missing keys keep the `default` values).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileTable {
    cases: Option<u64>,
    depth: Option<u64>,
    seconds: Option<u64>,
    seed: Option<u64>,
    max_states: Option<u64>,
    memory_mb: Option<u64>,
    model_large: Option<bool>,
    reports: Option<bool>,
    bench_profile: Option<String>,
    fuzz_seconds: Option<u64>,
    browser: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    profile: std::collections::BTreeMap<String, ProfileTable>,
}

/// A bad profile file, profile name or variable (the command line exits 2 on it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BudgetError(pub String);

fn check_range(knob: &Knob, value: u64, from: &str) -> Result<Option<u64>, BudgetError> {
    if value == 0 && knob.zero_is_unlimited {
        return Ok(None);
    }
    if value < knob.min || value > knob.max {
        let zero = if knob.zero_is_unlimited {
            " (or 0: no limit)"
        } else {
            ""
        };
        return Err(BudgetError(format!(
            "{from} is out of range: {} must be in {}..={}{zero}",
            knob.key, knob.min, knob.max
        )));
    }
    Ok(Some(value))
}

/// The value of `knob`: its variable if set (must parse), else the profile's, else `fallback`.
fn resolve_knob(
    knob: &Knob,
    table: Option<u64>,
    fallback: Option<u64>,
    source: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<u64>, BudgetError> {
    if let Some(text) = env(knob.var) {
        let value: u64 = parse_int(text.trim()).ok_or_else(|| {
            BudgetError(format!(
                "{}={text:?} is not a non-negative integer",
                knob.var
            ))
        })?;
        return check_range(knob, value, &format!("{}={text:?}", knob.var));
    }
    match table {
        Some(v) => check_range(knob, v, &format!("{} = {v} in {source}", knob.key)),
        None => Ok(fallback),
    }
}

/// A decimal or `0x` hexadecimal integer.
fn parse_int(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn resolve_flag(
    var: &str,
    table: Option<bool>,
    fallback: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<bool, BudgetError> {
    match env(var) {
        Some(text) => match text.trim() {
            "1" | "true" => Ok(true),
            "0" | "false" | "" => Ok(false),
            _ => Err(BudgetError(format!("{var}={text:?} is not 0 or 1"))),
        },
        None => Ok(table.unwrap_or(fallback)),
    }
}

/// The profile file to read: `OFFLINE_V2_CONFIG`, else `offline-v2.toml` in the current
/// directory or one of its parents, else the one of the workspace this crate was built in.
fn profile_file(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<PathBuf>, BudgetError> {
    if let Some(path) = env("OFFLINE_V2_CONFIG") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(Some(path))
        } else {
            Err(BudgetError(format!(
                "OFFLINE_V2_CONFIG={}: no such file",
                path.display()
            )))
        };
    }
    let here = std::env::current_dir().ok();
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = here
        .iter()
        .flat_map(|d| d.ancestors())
        .map(|d| d.join(PROFILE_FILE))
        .find(|p| p.is_file())
        .or_else(|| Some(built.join(PROFILE_FILE)).filter(|p| p.is_file()));
    Ok(found)
}

impl Budget {
    /// The budget of profile `profile` (or `OFFLINE_V2_PROFILE`, or `default`) from the profile
    /// file, with every set `OFFLINE_V2_*` variable overriding its value.
    ///
    /// # Errors
    /// A [`BudgetError`] naming the file, profile or variable that is malformed or out of range.
    pub fn resolve(profile: Option<&str>) -> Result<Budget, BudgetError> {
        Self::resolve_with(profile, &|name| std::env::var(name).ok())
    }

    /// [`Budget::resolve`] with the environment given as a function (for tests).
    ///
    /// # Errors
    /// As [`Budget::resolve`].
    pub fn resolve_with(
        profile: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Budget, BudgetError> {
        let name = profile
            .map(str::to_owned)
            .or_else(|| env("OFFLINE_V2_PROFILE"))
            .unwrap_or_else(|| "default".into());
        let file = profile_file(env)?;
        let table = match &file {
            Some(path) => Self::table(path, &name)?,
            None if name == "default" => ProfileTable::default(),
            None => {
                return Err(BudgetError(format!(
                    "profile {name:?} asked for, but no {PROFILE_FILE} was found"
                )))
            }
        };
        Self::from_table(name, file, &table, env)
    }

    fn table(path: &Path, name: &str) -> Result<ProfileTable, BudgetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BudgetError(format!("{}: cannot read: {e}", path.display())))?;
        let mut parsed: ProfileFile = toml::from_str(&text)
            .map_err(|e| BudgetError(format!("{}: {}", path.display(), e.message())))?;
        let mut table = parsed.profile.remove("default").unwrap_or_default();
        if name != "default" {
            let named = parsed.profile.remove(name).ok_or_else(|| {
                let mut known: Vec<&str> = parsed.profile.keys().map(String::as_str).collect();
                known.insert(0, "default");
                BudgetError(format!(
                    "{}: no profile {name:?} (known: {})",
                    path.display(),
                    known.join(", ")
                ))
            })?;
            table = ProfileTable {
                cases: named.cases.or(table.cases),
                depth: named.depth.or(table.depth),
                seconds: named.seconds.or(table.seconds),
                seed: named.seed.or(table.seed),
                max_states: named.max_states.or(table.max_states),
                memory_mb: named.memory_mb.or(table.memory_mb),
                model_large: named.model_large.or(table.model_large),
                reports: named.reports.or(table.reports),
                bench_profile: named.bench_profile.or(table.bench_profile),
                fuzz_seconds: named.fuzz_seconds.or(table.fuzz_seconds),
                browser: named.browser.or(table.browser),
            };
        }
        Ok(table)
    }

    fn from_table(
        profile: String,
        file: Option<PathBuf>,
        t: &ProfileTable,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Budget, BudgetError> {
        let d = Budget::default();
        let source = match &file {
            Some(path) => format!("{} [profile.{profile}]", path.display()),
            None => "the built-in profile".to_owned(),
        };
        let req = |knob: &Knob, table, fallback: u64| {
            resolve_knob(knob, table, Some(fallback), &source, env).map(|v| v.unwrap_or(fallback))
        };
        let bench_profile = env("OFFLINE_V2_BENCH_PROFILE")
            .or_else(|| t.bench_profile.clone())
            .unwrap_or(d.bench_profile);
        if !matches!(bench_profile.as_str(), "quick" | "full") {
            return Err(BudgetError(format!(
                "bench_profile {bench_profile:?} must be quick or full"
            )));
        }
        Ok(Budget {
            profile,
            file,
            cases: u32::try_from(req(&CASES, t.cases, u64::from(d.cases))?).unwrap_or(u32::MAX),
            depth: usize::try_from(req(&DEPTH, t.depth, 3)?).unwrap_or(3),
            seconds: req(&SECONDS, t.seconds, d.seconds)?,
            seed: req(&SEED, t.seed, d.seed)?,
            max_states: resolve_knob(&MAX_STATES, t.max_states, None, &source, env)?,
            memory_mb: resolve_knob(&MEMORY_MB, t.memory_mb, None, &source, env)?,
            model_large: resolve_flag("OFFLINE_V2_MODEL_LARGE", t.model_large, false, env)?,
            reports: resolve_flag("OFFLINE_V2_REPORTS", t.reports, false, env)?,
            bench_profile,
            fuzz_seconds: req(&FUZZ_SECONDS, t.fuzz_seconds, d.fuzz_seconds)?,
            browser: resolve_flag("OFFLINE_V2_BROWSER", t.browser, false, env)?,
        })
    }

    /// The wall-clock limit.
    #[must_use]
    pub fn time_limit(&self) -> Duration {
        Duration::from_secs(self.seconds)
    }

    /// The deadline of a run that started at `start` ([`deadline_after`]).
    #[must_use]
    pub fn deadline_from(&self, start: Instant) -> Instant {
        deadline_after(start, self.time_limit())
    }

    /// The budget as `export VAR=value` lines for a POSIX shell (every variable of
    /// [`VARIABLES`], so that every crate and script of the run sees the same values).
    #[must_use]
    pub fn shell_exports(&self) -> String {
        let values = [
            self.cases.to_string(),
            self.depth.to_string(),
            self.seconds.to_string(),
            self.seed.to_string(),
            self.max_states.unwrap_or(0).to_string(),
            self.memory_mb.unwrap_or(0).to_string(),
            u8::from(self.model_large).to_string(),
            u8::from(self.reports).to_string(),
            self.bench_profile.clone(),
            self.fuzz_seconds.to_string(),
            u8::from(self.browser).to_string(),
        ];
        let mut out = format!("export OFFLINE_V2_PROFILE={}\n", self.profile);
        for (var, value) in VARIABLES.iter().zip(values) {
            out.push_str(&format!("export {var}={value}\n"));
        }
        out
    }
}

/// `start + limit`, or — when that instant cannot be represented — the latest representable
/// instant this side of it (checked arithmetic: no budget value can panic a run).
#[must_use]
pub fn deadline_after(start: Instant, limit: Duration) -> Instant {
    let mut step = limit;
    let mut at = start;
    // Add as much of `limit` as fits, halving what does not (at most 64 halvings).
    while !step.is_zero() {
        match at.checked_add(step) {
            Some(next) => {
                at = next;
                if at.duration_since(start) >= limit {
                    break;
                }
            }
            None => step /= 2,
        }
    }
    at
}

/// The budget of this process: `OFFLINE_V2_PROFILE` (or `default`) with the variables over it;
/// the built-in defaults if that is malformed (the command line validates it first and exits
/// 2; library callers such as `cargo test` get the defaults and a warning).
#[must_use]
pub fn current() -> Budget {
    Budget::resolve(None).unwrap_or_else(|e| {
        eprintln!("warning: {e}; using the built-in default budget");
        Budget::default()
    })
}

/// `OFFLINE_V2_CASES` or the profile's: proptest/quickcheck cases per property (default 256).
#[must_use]
pub fn cases() -> u32 {
    current().cases
}

/// `OFFLINE_V2_DEPTH` or the profile's: depth of exhaustive model-guided paths (default 3).
#[must_use]
pub fn depth() -> usize {
    current().depth
}

/// `OFFLINE_V2_SECONDS` or the profile's: wall-clock limit of one long run (default 30).
#[must_use]
pub fn seconds() -> Duration {
    current().time_limit()
}

/// `OFFLINE_V2_SEED` or the profile's: the seed of the random conformance runs (default fixed,
/// so that every run is reproducible; set it to explore other cases).
#[must_use]
pub fn seed() -> u64 {
    current().seed
}

/// The deadline of a long run starting now ([`deadline_after`]; never panics).
#[must_use]
pub fn deadline() -> Instant {
    let now = Instant::now();
    deadline_after(now, seconds())
}

/// Every budget variable that is set must parse and be in range, and the profile must exist.
///
/// # Errors
/// A message naming the first malformed value (the command line exits 2 on it).
pub fn validate() -> Result<(), String> {
    Budget::resolve(None).map(|_| ()).map_err(|e| e.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            owned
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn committed() -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(PROFILE_FILE)
            .display()
            .to_string()
    }

    #[test]
    fn the_committed_default_profile_is_the_built_in_default() {
        let b = Budget::resolve_with(None, &env_of(&[("OFFLINE_V2_CONFIG", &committed())]))
            .expect("the committed file parses");
        assert_eq!(Budget { file: None, ..b }, Budget::default());
    }

    #[test]
    fn the_ci_profile_overrides_and_variables_override_it() {
        let file = committed();
        let ci = Budget::resolve_with(Some("ci"), &env_of(&[("OFFLINE_V2_CONFIG", &file)]))
            .expect("ci profile");
        assert_eq!((ci.cases, ci.depth, ci.seconds), (512, 5, 300));
        assert!(ci.model_large && ci.reports);
        assert_eq!(ci.fuzz_seconds, 60);
        assert!(ci.browser);
        let b = Budget::resolve_with(
            None,
            &env_of(&[
                ("OFFLINE_V2_CONFIG", &file),
                ("OFFLINE_V2_PROFILE", "ci"),
                ("OFFLINE_V2_CASES", "7"),
                ("OFFLINE_V2_MODEL_LARGE", "0"),
            ]),
        )
        .expect("resolves");
        assert_eq!((b.profile.as_str(), b.cases, b.depth), ("ci", 7, 5));
        assert!(!b.model_large);
    }

    #[test]
    fn bad_values_are_errors_not_defaults() {
        let file = committed();
        for (var, value, says) in [
            ("OFFLINE_V2_SECONDS", "18446744073709551615", "out of range"),
            ("OFFLINE_V2_SECONDS", "0", "out of range"),
            ("OFFLINE_V2_DEPTH", "deep", "not a non-negative integer"),
            ("OFFLINE_V2_DEPTH", "65", "out of range"),
            ("OFFLINE_V2_CASES", "99999999999", "out of range"),
            ("OFFLINE_V2_MEMORY_MB", "3", "out of range"),
            ("OFFLINE_V2_MODEL_LARGE", "yes", "not 0 or 1"),
            ("OFFLINE_V2_PROFILE", "nightly", "no profile \"nightly\""),
            ("OFFLINE_V2_BENCH_PROFILE", "slow", "quick or full"),
            ("OFFLINE_V2_FUZZ_SECONDS", "0", "out of range"),
        ] {
            let e =
                Budget::resolve_with(None, &env_of(&[("OFFLINE_V2_CONFIG", &file), (var, value)]))
                    .expect_err(var);
            assert!(e.0.contains(says), "{var}={value}: {e}");
        }
        let e = Budget::resolve_with(None, &env_of(&[("OFFLINE_V2_CONFIG", "/nonexistent")]))
            .expect_err("missing file");
        assert!(e.0.contains("no such file"), "{e}");
    }

    #[test]
    fn a_malformed_profile_file_names_the_file() {
        let dir = std::env::temp_dir().join(format!("offline-v2-budget-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join(PROFILE_FILE);
        for (text, says) in [
            ("[profile.default]\ncases = \"many\"\n", "invalid type"),
            ("[profile.default]\ncasez = 3\n", "unknown field"),
            ("[profile.default]\ndepth = 0\n", "depth = 0 in "),
            ("[profile.default\n", "offline-v2.toml"),
        ] {
            std::fs::write(&file, text).expect("write");
            let path = file.display().to_string();
            let e = Budget::resolve_with(None, &env_of(&[("OFFLINE_V2_CONFIG", &path)]))
                .expect_err(text);
            assert!(
                e.0.contains(says) && e.0.contains("offline-v2.toml"),
                "{text}: {e}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn deadlines_saturate_instead_of_panicking() {
        let now = Instant::now();
        let far = deadline_after(now, Duration::from_secs(u64::MAX));
        assert!(far > now + Duration::from_secs(86_400 * 365));
        assert_eq!(
            deadline_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        assert_eq!(deadline_after(now, Duration::ZERO), now);
    }

    #[test]
    fn shell_exports_name_every_variable() {
        let text = Budget::default().shell_exports();
        for var in VARIABLES {
            assert!(text.contains(&format!("export {var}=")), "{var}: {text}");
        }
        assert!(text.contains("export OFFLINE_V2_CASES=256\n"), "{text}");
    }
}
