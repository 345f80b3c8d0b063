//! Knobs every bench reads: the profile (quick or full), the test-only slow-down, and the
//! calibration workload used as a same-run baseline where no natural baseline exists.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Environment variable selecting the bench profile: `quick` (CI, development) or `full`.
pub const PROFILE_ENV: &str = "OFFLINE_V2_BENCH_PROFILE";

/// Environment variable of the **test-only** slow-down knob: a number of spin iterations that
/// the bench harness adds inside the measured closure of every non-baseline bench. It exists
/// to show that the regression report is not vacuous (a slowed hot path must fail it). It is
/// read by the harness only; the shipped DLL never sees it.
pub const SLOWDOWN_ENV: &str = "OFFLINE_V2_BENCH_SLOWDOWN";

/// How long criterion warms up and measures each bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Short warm-up and measurement: what CI and development runs can afford.
    Quick,
    /// Criterion-like defaults for a quiet machine.
    Full,
}

impl Profile {
    /// The profile named by [`PROFILE_ENV`]; `full` unless it says `quick`.
    #[must_use]
    pub fn from_env() -> Self {
        match std::env::var(PROFILE_ENV) {
            Ok(v) if v.eq_ignore_ascii_case("quick") => Self::Quick,
            _ => Self::Full,
        }
    }

    /// Warm-up time per bench.
    #[must_use]
    pub fn warm_up(self) -> Duration {
        match self {
            Self::Quick => Duration::from_millis(300),
            Self::Full => Duration::from_secs(2),
        }
    }

    /// Measurement time per bench.
    #[must_use]
    pub fn measurement(self) -> Duration {
        match self {
            Self::Quick => Duration::from_millis(1500),
            Self::Full => Duration::from_secs(5),
        }
    }

    /// Samples per bench (criterion's minimum is 10).
    #[must_use]
    pub fn sample_size(self) -> usize {
        match self {
            Self::Quick => 20,
            Self::Full => 60,
        }
    }
}

/// Spin iterations of the slow-down knob ([`SLOWDOWN_ENV`]); 0 when unset or unparsable.
#[must_use]
pub fn slowdown_spins() -> u64 {
    std::env::var(SLOWDOWN_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The slow-down knob's work: burns `spins` iterations that the optimiser cannot remove.
/// With `spins == 0` (the normal case) it costs one predictable branch, not a call, so the
/// measured closures are not slowed relative to their baselines.
#[inline(always)]
pub fn spin(spins: u64) {
    if spins > 0 {
        spin_slowly(spins);
    }
}

#[inline(never)]
#[cold]
fn spin_slowly(spins: u64) {
    for i in 0..spins {
        black_box(i);
    }
}

/// Iterations of the calibration workload used as the same-run baseline of the whole-system
/// benches (`move_cycle`, `model_check/1_thread`): it makes their ratios comparable across
/// machines of different speed, and it shares the machine's noise of the moment.
pub const CALIBRATION_ROUNDS: u64 = 1_000;

/// A fixed, branch-free CPU workload (an LCG over `rounds` steps) used as a same-run baseline.
#[inline(never)]
#[must_use]
pub fn calibration(rounds: u64) -> u64 {
    let mut x = black_box(0x2545_F491_4F6C_DD1D_u64);
    for _ in 0..rounds {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x = black_box(x);
    }
    x
}

/// Times `iters` calls of `timed(state, k)` for `k` cycling over `0..batch`, running
/// `reset(state, k)` for each call of a batch after that batch's clock stopped: only `timed` is
/// measured, and the clock is read twice per batch rather than twice per call. The measured
/// bench and its baseline use this same loop (the baseline with `state = &mut ()`), so neither
/// pays for anything the other does not. For `Bencher::iter_custom`.
#[inline(always)]
pub fn batched<S>(
    iters: u64,
    batch: usize,
    state: &mut S,
    mut timed: impl FnMut(&mut S, usize),
    mut reset: impl FnMut(&mut S, usize),
) -> Duration {
    let batch = batch.max(1);
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let len = usize::try_from(left).map_or(batch, |l| l.min(batch));
        let start = Instant::now();
        for k in 0..len {
            timed(state, k);
        }
        total += start.elapsed();
        for k in 0..len {
            reset(state, k);
        }
        left -= len as u64;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_profile_is_shorter_than_full() {
        assert!(Profile::Quick.measurement() < Profile::Full.measurement());
        assert!(Profile::Quick.warm_up() < Profile::Full.warm_up());
        assert!(Profile::Quick.sample_size() >= 10);
    }

    #[test]
    fn batched_times_every_call_and_resets_each() {
        let mut counts = (0u64, 0u64);
        let _ = batched(10, 4, &mut counts, |c, _| c.0 += 1, |c, _| c.1 += 1);
        assert_eq!(counts, (10, 10));
    }

    #[test]
    fn calibration_is_deterministic() {
        assert_eq!(calibration(10), calibration(10));
        assert_ne!(calibration(10), calibration(11));
    }
}
