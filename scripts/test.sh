#!/usr/bin/env bash
# The test command of README.md (and of .ci/run): formatting, lints, every test — unit, ABI
# through the loaded cdylib, model checking, the scenario corpus, conformance of impl against
# model, seeded-bug non-vacuity — then the ABI tests under valgrind and the export checks.
#
# Budgets come from the profile of offline-v2.toml named by OFFLINE_V2_PROFILE (`default`
# unless set; .ci/run sets `ci`), every OFFLINE_V2_* variable overriding its key (README). The
# resolved values are exported so that every crate and script of the run sees the same ones.
# With reports = true (the ci profile) it also runs `offline-v2 verify` and the quick
# benchmarks, and writes reports/model-check.md, reports/conformance.md and reports/bench.md.
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
step "build the reference cdylib the ABI tests load"
cargo build -p offline-v2 --lib
step "cargo test --workspace"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s += $1} END {print s + 0}')
step "ABI tests under valgrind memcheck"
if command -v valgrind >/dev/null 2>&1; then
    ./scripts/valgrind-abi.sh
else
    echo "valgrind is not installed: skipped (apt-get install valgrind)"
fi
step "exports of the release cdylib, and no seeded bug in release builds"
./scripts/check-exports.sh
./scripts/check-no-seeded-bugs.sh

if [ "${OFFLINE_V2_REPORTS:-0}" = 1 ]; then
    step "offline-v2 verify (writes $target/reports/*.json and $target/verify.xml)"
    "$target/release/offline-v2" verify --quiet --junit "$target/verify.xml"
    step "quick benchmarks and reports (reports/*.md)"
    status=0
    ./scripts/bench.sh || status=$?
    case "$status" in
        0) ;;
        1) echo "WARNING: a benchmark ratio regressed beyond the noise band of reports/baseline.json" \
                "(see reports/bench.md). Shared, noisy machines: not failing the run for it." ;;
        *) echo "bench.sh failed with exit code $status"; exit "$status" ;;
    esac
fi
echo
echo "test.sh: all checks passed"
echo "tests: $passed passed, $failed failed"
