#!/usr/bin/env bash
# The libFuzzer target of the reference DLL's exported table (fuzz/, issue 12).
#
#   scripts/fuzz.sh [SECONDS]        fuzz for SECONDS (default $OFFLINE_V2_FUZZ_SECONDS or 60)
#   scripts/fuzz.sh --non-vacuity    the seeded DLL bug (R1 ignores Reserved) must be caught
#
# Stable toolchain: `cargo fuzz --sanitizer none` needs no -Z flag (libFuzzer's coverage
# instrumentation is the stable `-Cpasses=sancov-module`), so no nightly is needed; the price
# is no AddressSanitizer (the DLL's unsafe code is checked by valgrind instead,
# scripts/valgrind-abi.sh). Installs cargo-fuzz from crates.io if it is missing. A crash or an
# oracle mismatch exits non-zero with the input saved in fuzz/artifacts/dll_table/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: installing it (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked || { echo "cannot install cargo-fuzz: fuzzing skipped" >&2; exit 3; }
fi
if [ "${1:-}" = --non-vacuity ]; then
    rm -rf artifacts/seeded
    mkdir -p artifacts/seeded
    seeds="$(mktemp -d)"
    cp corpus/dll_table/* "$seeds"/
    log=/tmp/offline-v2-fuzz-seeded.log
    if cargo fuzz run --sanitizer none --features seeded dll_table "$seeds" -- \
        -max_total_time=120 -artifact_prefix=artifacts/seeded/ >"$log" 2>&1; then
        echo "non-vacuity FAILED: the fuzzer did not catch the seeded R1 bug" >&2
        exit 1
    fi
    # It must fail for the right reason: an oracle mismatch (a panic), with the input saved.
    if ! grep -q "panicked at" "$log" || ! ls artifacts/seeded/crash-* >/dev/null 2>&1; then
        tail -20 "$log" >&2
        echo "non-vacuity FAILED: the seeded run stopped without an oracle mismatch" >&2
        exit 1
    fi
    grep -m1 -A3 "panicked at" "$log"
    grep -E "^#[0-9]+" "$log" | tail -1 || true
    echo "non-vacuity: the seeded R1 bug (Reserved ignored) was caught; input in fuzz/artifacts/seeded/"
    exit 0
fi
seconds="${1:-${OFFLINE_V2_FUZZ_SECONDS:-60}}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp corpus/dll_table/* "$work"/
set +e
# shellcheck disable=SC2086 # OFFLINE_V2_FUZZ_FEATURES (e.g. "seeded") is a word list
cargo fuzz run --sanitizer none ${OFFLINE_V2_FUZZ_FEATURES:+--features $OFFLINE_V2_FUZZ_FEATURES} \
    dll_table "$work" -- -max_total_time="$seconds" -max_len=256 -print_final_stats=1 2>&1 |
    tee "$work/log" | grep -E "^(Done|stat::number_of_executed_units)|panicked|ERROR"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    grep -A6 "panicked" "$work/log" || tail -30 "$work/log"
    echo "fuzz: failure; the input is in fuzz/artifacts/dll_table/" >&2
    exit "$status"
fi
