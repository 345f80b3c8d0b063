#!/usr/bin/env bash
# Benchmarks (SPEC §8, issue 13; reports/README.md): the deterministic instruction-count gate
# (scripts/gate.sh: gungraun/callgrind vs reports/instructions.json), then the criterion benches
# with the quick profile and the wall-clock ratio report (reports/bench.md, bench.svg) against
# the noise bands of reports/baseline.json; every full run appends its figures to
# reports/history.csv and redraws reports/history.svg.
#
#   scripts/bench.sh                    gate + quick criterion benches + report + history
#   scripts/bench.sh --ci               ... the gate treats a missing baseline as an error
#   scripts/bench.sh --full             full criterion profile (quiet machine)
#   scripts/bench.sh --update-baseline  ... and rewrite BOTH baselines on purpose (commit them):
#                                       reports/baseline.json (ratios, bands kept) and
#                                       reports/instructions.json (scripts/gate.sh --bless)
#   scripts/bench.sh --measure-noise N  run the criterion benches N (>= 3) times and derive each
#                                       metric's noise band from the spread (median absolute
#                                       deviation) into reports/baseline.json; no gate, no history
#   scripts/bench.sh --non-vacuity      also show that a slowed hot path fails both the ratio
#                                       report and the gate (OFFLINE_V2_BENCH_SLOWDOWN, test-only)
#   scripts/bench.sh --only NAME        run one criterion bench target (no gate, no history)
#   scripts/bench.sh --no-gate          skip the instruction-count gate
#
# Exit codes: 0 pass; 1 a criterion ratio beyond its noise band (the CI run only warns: shared,
# noisy machines); 3 the instruction-count gate failed (CI fails: counts are deterministic);
# 2 an error.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=quick
report_args=()
non_vacuity=0
only=()
gate=1
ci=()
update=0
noise_runs=0
while [ $# -gt 0 ]; do
    case "$1" in
        --full) profile=full ;;
        --ci) ci=(--ci) ;;
        --update-baseline) report_args+=(--update-baseline); update=1 ;;
        --non-vacuity) non_vacuity=1 ;;
        --no-gate) gate=0 ;;
        --measure-noise) shift; noise_runs="$1" ;;
        --only) shift; only=(--bench "$1"); gate=0 ;;
        -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
# The criterion bench targets (the gate's `instructions` target runs under scripts/gate.sh).
criterion_benches=(--bench offline_v2_hot_path --bench move_cycle --bench model_check --bench conformance)
history=0
# A run of every bench must produce every metric (a renamed bench must not pass silently).
if [ ${#only[@]} -eq 0 ]; then
    only=("${criterion_benches[@]}")
    report_args+=(--require-all)
    history=1
fi

export OFFLINE_V2_BENCH_PROFILE="$profile"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac # criterion resolves homes from benches/
# `cargo bench` builds this package's `reports` binary too (bench profile, same features).
reports="$target/release/reports"
# The hot path goes through the cdylib's exported table: build it where the bench looks.
cargo build --release -p offline-v2 --lib
unset OFFLINE_V2_BENCH_SLOWDOWN

if [ "$noise_runs" != 0 ]; then
    case "$noise_runs" in '' | *[!0-9]*) echo "bench.sh: --measure-noise needs a number" >&2; exit 2 ;; esac
    [ "$noise_runs" -ge 3 ] || { echo "bench.sh: --measure-noise needs at least 3 runs" >&2; exit 2; }
    scratch="$target/criterion-noise"
    rm -rf "$scratch"
    dirs=()
    for i in $(seq 1 "$noise_runs"); do
        echo "bench.sh: noise run $i of $noise_runs"
        CRITERION_HOME="$scratch/$i" cargo bench -p offline-v2-benches "${criterion_benches[@]}"
        dirs+=(--criterion "$scratch/$i")
    done
    "$reports" noise "${dirs[@]}" \
        --note "bands from $noise_runs quick runs (scripts/bench.sh --measure-noise $noise_runs) on 2 shared cores, $(date -u +%Y-%m-%d)"
    exit 0
fi

status=0
gate_status=0
if [ "$gate" = 1 ]; then
    if [ "$update" = 1 ]; then
        ./scripts/gate.sh --bless || gate_status=$?
    else
        ./scripts/gate.sh "${ci[@]}" || gate_status=$?
    fi
    case "$gate_status" in
        0) ;;
        1) echo "bench.sh: the instruction-count gate FAILED (see above)" ;;
        *) echo "bench.sh: the instruction-count gate could not run (exit $gate_status)" >&2; exit 2 ;;
    esac
else
    # No gate this run: do not show (or record) a stale one.
    rm -f "$target/reports/gate.json"
fi

cargo bench -p offline-v2-benches "${only[@]}"
if [ "$history" = 1 ]; then
    commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
    if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- . ':!reports' 2>/dev/null; then
        commit="$commit-dirty"
    fi
    report_args+=(--append-history --commit "$commit" --date "$(date -u +%Y-%m-%dT%H:%M:%SZ)")
fi
"$reports" bench "${report_args[@]}" || status=$?

# The model-check and conformance reports, when `offline-v2 verify` has written their inputs.
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
    "$reports" bench --criterion "$scratch/criterion" --out "$scratch/out" \
        --gate "$scratch/none.json" --history "$scratch/history.csv" || nv=$?
    if [ "$nv" = 1 ]; then
        echo "bench.sh: non-vacuity ok: the slowed hot path fails the report"
    else
        echo "bench.sh: non-vacuity FAILED: the slowed hot path gave exit code $nv (want 1)" >&2
        status=1
    fi
    ./scripts/gate.sh --non-vacuity || status=1
fi
[ "$gate_status" = 0 ] || exit 3
exit "$status"
