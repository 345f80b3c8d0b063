//! Budgets of the long property runs, from the environment (README, "Budgets").

use std::time::Duration;

/// Reads a positive integer variable, or `default` when unset or malformed (with a warning).
fn var(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| {
            eprintln!("warning: {name}={text:?} is not a number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

/// `OFFLINE_V2_CASES`: proptest/quickcheck cases per property (default 64).
#[must_use]
pub fn cases() -> u32 {
    u32::try_from(var("OFFLINE_V2_CASES", 64)).unwrap_or(u32::MAX)
}

/// `OFFLINE_V2_DEPTH`: depth of exhaustive model-guided paths (default 3).
#[must_use]
pub fn depth() -> usize {
    usize::try_from(var("OFFLINE_V2_DEPTH", 3)).unwrap_or(3)
}

/// `OFFLINE_V2_SECONDS`: wall-clock cap of one long property run (default 30).
#[must_use]
pub fn seconds() -> Duration {
    Duration::from_secs(var("OFFLINE_V2_SECONDS", 30))
}

/// `OFFLINE_V2_SEED`: the seed of the random conformance runs (default fixed, so that every
/// run is reproducible; set it to explore other cases).
#[must_use]
pub fn seed() -> u64 {
    var("OFFLINE_V2_SEED", 0x0FF1_1E02)
}

/// Every budget variable that is set must be a non-negative integer.
///
/// # Errors
/// A message naming the first malformed variable (the command line exits 2 on it).
pub fn validate() -> Result<(), String> {
    for name in [
        "OFFLINE_V2_CASES",
        "OFFLINE_V2_DEPTH",
        "OFFLINE_V2_SECONDS",
        "OFFLINE_V2_SEED",
    ] {
        if let Ok(text) = std::env::var(name) {
            if text.trim().parse::<u64>().is_err() {
                return Err(format!("{name}={text:?} is not a non-negative integer"));
            }
        }
    }
    Ok(())
}
