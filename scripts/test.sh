#!/usr/bin/env bash
# The test command of README.md (and of .ci/run): formatting, lints, every test — unit, ABI
# through the loaded cdylib, model checking, the scenario corpus, conformance of impl against
# model, seeded-bug non-vacuity — then the ABI tests under valgrind and the export checks.
#
# Budgets come from the profile of offline-v2.toml named by OFFLINE_V2_PROFILE (`default`
# unless set; .ci/run sets `ci`), every OFFLINE_V2_* variable overriding its key (README): the
# property budget, the larger model configuration, the fuzzing time and whether reports run.
# The resolved values are exported so that every crate and script of the run sees the same ones.
# With reports = true (the ci profile) it also runs `offline-v2 verify`, the instruction-count
# gate (fails the run on a regression) and the quick benchmarks, and writes
# reports/model-check.md, reports/conformance.md and reports/bench.md.
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"
step() { printf '\n==> %s\n' "$*"; }
target="${CARGO_TARGET_DIR:-target}"

step "budget profile ${OFFLINE_V2_PROFILE:-default} (offline-v2.toml; OFFLINE_V2_* override)"
cargo build --release -p offline-v2-properties --bin offline-v2
exports="$("$target/release/offline-v2" profile --shell)"
echo "$exports"
eval "$exports"

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets -- -D warnings
step "C toolchain for examples/c-resource (the conform tests build it with make)"
if ! command -v cc >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        apt-get update && apt-get install -y gcc make libc6-dev
    else
        echo "no C compiler or make, and no apt-get to install them: install gcc and make" >&2
        exit 1
    fi
fi
cc --version | head -n 1
if [ "${OFFLINE_V2_BROWSER:-0}" = 1 ]; then
    step "Chromium for the Explorer's headless browser test (browser = true in the profile)"
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1 &&
            apt-get update && apt-get install -y --no-install-recommends chromium; then
            :
        else
            echo "cannot install chromium: the Explorer browser test will report SKIPPED"
        fi
    fi
    { command -v chromium || command -v chromium-browser; } 2>/dev/null || true
fi
step "build the reference cdylib the ABI tests load"
cargo build -p offline-v2 --lib
step "cargo test --workspace"
log="$(mktemp)"
# Tests that cannot do their work here print "SKIPPED: <reason>" and append one line
# "<crate>::<test>: <reason>" to this file (README "Tests that skip"); they are counted as
# skipped, not passed.
export OFFLINE_V2_SKIP_LOG="$(mktemp)"
trap 'rm -f "$log" "$OFFLINE_V2_SKIP_LOG"' EXIT
cargo test --workspace 2>&1 | tee "$log"
step "release-build tests: the 2^25 OpenV2/Close soak of the loaded cdylib (abi_soak)"
cargo build --release -p offline-v2 --lib
cargo test --release -p offline-v2 --test abi_soak 2>&1 | tee -a "$log"
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s += $1} END {print s + 0}')
ignored=$(grep -Eo '[0-9]+ ignored;' "$log" | awk '{s += $1} END {print s + 0}')
logged=$(wc -l < "$OFFLINE_V2_SKIP_LOG")
passed=$((passed - logged))
skipped=$((logged + ignored))
if [ -s "$OFFLINE_V2_SKIP_LOG" ]; then
    echo "skipped tests:"; sed 's/^/  /' "$OFFLINE_V2_SKIP_LOG"
fi
step "ABI tests under valgrind memcheck"
if command -v valgrind >/dev/null 2>&1; then
    ./scripts/valgrind-abi.sh
else
    echo "valgrind is not installed: skipped (apt-get install valgrind)"
fi
step "libFuzzer target of the DLL table (${OFFLINE_V2_FUZZ_SECONDS:-60} s) and its non-vacuity"
fuzz_status=0
./scripts/fuzz.sh || fuzz_status=$?
case "$fuzz_status" in
    0) ./scripts/fuzz.sh --non-vacuity ;;
    3) echo "SKIPPED: cargo-fuzz could not be installed"; skipped=$((skipped + 1)) ;;
    *) exit "$fuzz_status" ;;
esac
step "exports of the release cdylib, and no seeded bug in release builds"
./scripts/check-exports.sh
./scripts/check-no-seeded-bugs.sh

if [ "${OFFLINE_V2_REPORTS:-0}" = 1 ]; then
    step "offline-v2 verify (writes $target/reports/*.json and $target/verify.xml)"
    "$target/release/offline-v2" verify --quiet --junit "$target/verify.xml"
    step "instruction-count gate + quick benchmarks and reports (reports/*.md, history)"
    # scripts/bench.sh runs scripts/gate.sh first, which installs valgrind and
    # gungraun-runner 0.20.0 when missing (and fails clearly if it cannot).
    status=0
    ./scripts/bench.sh --ci || status=$?
    case "$status" in
        0) ;;
        1) echo "WARNING: a benchmark ratio regressed beyond its noise band in reports/baseline.json" \
                "(see reports/bench.md). Shared, noisy machines: not failing the run for it." ;;
        3) echo "FAIL: the instruction-count gate failed (deterministic counts; see above and" \
                "reports/README.md: scripts/gate.sh --bless if the change is intended)"; exit 1 ;;
        *) echo "bench.sh failed with exit code $status"; exit "$status" ;;
    esac
    step "instruction-count gate non-vacuity (a slowed hot path fails it, naming the function)"
    ./scripts/gate.sh --non-vacuity
fi
echo
echo "test.sh: all checks passed"
echo "tests: $passed passed, $failed failed, $skipped skipped"
