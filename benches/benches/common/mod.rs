//! Shared criterion set-up of the benches: the profile from `OFFLINE_V2_BENCH_PROFILE`.

use criterion::Criterion;
use offline_v2_benches::knobs::Profile;

/// Criterion configured by the bench profile (quick for CI and development).
pub fn criterion() -> Criterion {
    let profile = Profile::from_env();
    Criterion::default()
        .warm_up_time(profile.warm_up())
        .measurement_time(profile.measurement())
        .sample_size(profile.sample_size())
        .without_plots()
        .configure_from_args()
}
