#!/usr/bin/env bash
# The deterministic instruction-count gate (issue 13; reports/README.md): runs the gungraun
# benches (benches/benches/instructions.rs) under callgrind and compares each benchmark's
# instruction count with the committed reports/instructions.json, by benchmark id.
#
#   scripts/gate.sh                 run + compare; exit 1 if a count grew beyond the band (2%)
#                                   or a baselined benchmark is missing; names the functions
#   scripts/gate.sh --ci            ... and a missing baseline file is an error (exit 2)
#   scripts/gate.sh --bless         run, then write this run's counts as the new baseline
#                                   (deliberate: after merging a change to the measured code)
#   scripts/gate.sh --band 0.01 ... override the baseline's band (with --bless: store it)
#   scripts/gate.sh --spread        run twice into scratch homes: the run-to-run spread of every
#                                   figure (exit 1 unless the instruction counts are identical)
#   scripts/gate.sh --non-vacuity   run with the test-only slow-down knob
#                                   (OFFLINE_V2_BENCH_SLOWDOWN, spins inside every measured
#                                   operation): the gate must exit 1 and name
#                                   offline_v2_benches::knobs::spin_slowly
#
# Needs valgrind and gungraun-runner 0.20.0 (the version of the gungraun library): installed
# here when missing (apt-get install valgrind; cargo install gungraun-runner --version 0.20.0
# --locked). Exit codes: 0 pass, 1 gate failed, 2 error (tools missing and not installable,
# bad input).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNNER_VERSION=0.20.0
mode=gate
ci=()
band=()
while [ $# -gt 0 ]; do
    case "$1" in
        --ci) ci=(--ci) ;;
        --band) shift; band=(--band "$1") ;;
        --bless) mode=bless ;;
        --spread) mode=spread ;;
        --non-vacuity) mode=non-vacuity ;;
        -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "gate.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

ensure_tools() {
    if ! command -v valgrind >/dev/null 2>&1; then
        echo "gate.sh: valgrind is missing; installing it (apt-get install -y valgrind)"
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq && apt-get install -y -qq valgrind >/dev/null || true
        fi
        if ! command -v valgrind >/dev/null 2>&1; then
            echo "gate.sh: ERROR: valgrind could not be installed; the instruction-count gate cannot run." \
                 "Install it (apt-get install valgrind) and rerun." >&2
            exit 2
        fi
    fi
    local have
    have="$(gungraun-runner --version 2>/dev/null | awk '{print $2}' || true)"
    if [ "$have" != "$RUNNER_VERSION" ]; then
        echo "gate.sh: gungraun-runner ${have:-missing}, need $RUNNER_VERSION; installing it" \
             "(cargo install gungraun-runner --version $RUNNER_VERSION --locked)"
        if ! cargo install gungraun-runner --version "$RUNNER_VERSION" --locked --force; then
            echo "gate.sh: ERROR: gungraun-runner $RUNNER_VERSION could not be installed;" \
                 "the instruction-count gate cannot run." >&2
            exit 2
        fi
    fi
}

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac # gungraun needs an absolute home
reports="$target/release/reports"

# Runs the gungraun benches with gungraun's home $1 (fresh), extra environment after it.
run_benches() {
    local home="$1"
    shift
    rm -rf "$home"
    env GUNGRAUN_HOME="$home" "$@" \
        cargo bench -p offline-v2-benches --bench instructions
}

ensure_tools
# `cargo bench` also builds this package's `reports` binary (same profile and features), so
# the tool is used from there, after the first run (a separate `cargo build --bin` would
# resolve features without the dev-dependencies and rebuild the workspace twice).
unset OFFLINE_V2_BENCH_SLOWDOWN

case "$mode" in
    gate)
        run_benches "$target/gungraun"
        "$reports" gate --gungraun "$target/gungraun" "${ci[@]}" "${band[@]}"
        ;;
    bless)
        run_benches "$target/gungraun"
        "$reports" gate --gungraun "$target/gungraun" --update-baseline "${band[@]}" \
            --note "scripts/gate.sh --bless: $(rustc --version), $(valgrind --version), gungraun $RUNNER_VERSION"
        echo "gate.sh: blessed reports/instructions.json: review and commit it"
        ;;
    spread)
        run_benches "$target/gungraun-spread/1"
        run_benches "$target/gungraun-spread/2"
        "$reports" gate-spread --first "$target/gungraun-spread/1" --second "$target/gungraun-spread/2"
        ;;
    non-vacuity)
        scratch="$target/gungraun-slow"
        # Only the hot-path group (seconds): the knob spins inside every measured operation.
        run_benches "$scratch" OFFLINE_V2_BENCH_SLOWDOWN="${OFFLINE_V2_BENCH_SLOWDOWN_SPINS:-50}" \
            GUNGRAUN_FILTER='instructions::hot_path::*'
        status=0
        out="$("$reports" gate --gungraun "$scratch" --ci --partial --json "$scratch/gate.json")" || status=$?
        printf '%s\n' "$out"
        if [ "$status" = 1 ] && grep -q 'offline_v2_benches::knobs::spin_slowly' <<<"$out"; then
            echo "gate.sh: non-vacuity ok: the slowed build fails the gate (exit 1) and names knobs::spin_slowly"
        else
            echo "gate.sh: non-vacuity FAILED: exit code $status (want 1) or the slowed function not named" >&2
            exit 1
        fi
        ;;
esac
