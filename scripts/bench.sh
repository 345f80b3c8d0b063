#!/usr/bin/env bash
# Benchmarks (SPEC §8): runs the criterion benches with the quick profile, then the
# regression report (reports/bench.md, reports/bench.svg), which exits 1 on a regression
# beyond the noise band of reports/baseline.json.
#
#   scripts/bench.sh                    quick benches + report (what CI can afford)
#   scripts/bench.sh --full             full profile (quiet machine)
#   scripts/bench.sh --update-baseline  ... and rewrite reports/baseline.json on purpose
#   scripts/bench.sh --non-vacuity      also show that a deliberately slowed hot path fails
#                                       the report (OFFLINE_V2_BENCH_SLOWDOWN, test-only knob)
#   scripts/bench.sh --only NAME        run one bench target (e.g. offline_v2_hot_path)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=quick
report_args=()
non_vacuity=0
only=()
while [ $# -gt 0 ]; do
    case "$1" in
        --full) profile=full ;;
        --update-baseline) report_args+=(--update-baseline) ;;
        --non-vacuity) non_vacuity=1 ;;
        --only) shift; only=(--bench "$1") ;;
        *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
# A run of every bench must produce every metric (a renamed bench must not pass silently).
[ ${#only[@]} -gt 0 ] || { only=(--benches); report_args+=(--require-all); }

export OFFLINE_V2_BENCH_PROFILE="$profile"
# The hot path goes through the cdylib's exported table: build it where the bench looks.
cargo build --release -p offline-v2 --lib
cargo build --release -p offline-v2-benches --bin reports
reports=target/release/reports

unset OFFLINE_V2_BENCH_SLOWDOWN
cargo bench -p offline-v2-benches "${only[@]}"
status=0
"$reports" bench "${report_args[@]}" || status=$?

# The model-check and conformance reports, when `offline-v2 verify` has written their inputs.
target="${CARGO_TARGET_DIR:-target}"
for kind in model-check conformance; do
    if [ -f "$target/reports/$kind.json" ]; then
        "$reports" "$kind" --input "$target/reports/$kind.json" || status=$?
    fi
done

if [ "$non_vacuity" = 1 ]; then
    # A slowed hot path, measured in a separate criterion home, must fail the report (exit 1).
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    CRITERION_HOME="$scratch/criterion" OFFLINE_V2_BENCH_SLOWDOWN="${OFFLINE_V2_BENCH_SLOWDOWN_SPINS:-300}" \
        cargo bench -p offline-v2-benches --bench offline_v2_hot_path -- \
        'offline_v2_hot_path/(empty_call|offline_sync)$'
    nv=0
    "$reports" bench --criterion "$scratch/criterion" --out "$scratch/out" || nv=$?
    if [ "$nv" = 1 ]; then
        echo "bench.sh: non-vacuity ok: the slowed hot path fails the report"
    else
        echo "bench.sh: non-vacuity FAILED: the slowed hot path gave exit code $nv (want 1)" >&2
        status=1
    fi
fi
exit "$status"
