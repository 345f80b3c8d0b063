#!/usr/bin/env bash
# Runs the ABI test binaries (which load the cdylib and call it through its function table)
# under valgrind memcheck. Fails on any memory error or definite/possible leak.
#
# Usage: scripts/valgrind-abi.sh [extra test-binary args]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }

# Build the cdylib and the test binaries; collect the executables of the ABI tests.
cargo build -p offline-v2 --lib >&2
mapfile -t bins < <(
  cargo test -p offline-v2 --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    name = m["target"]["name"]
    kinds = m["target"]["kind"]
    # abi_concurrency runs the safe core on shuttle (no FFI, no unsafe); shuttle leaks the
    # tasks of the schedules it abandons on purpose, which memcheck would report.
    if name == "abi_concurrency":
        continue
    if (name.startswith("abi_") or name == "dll_rules") and "test" in kinds:
        print(m["executable"])
    elif m["profile"]["test"] and name == "offline_v2":
        print(m["executable"])   # unit tests of abi::{types,dll,host}
'
)
[ ${#bins[@]} -gt 0 ] || { echo "no ABI test binaries found" >&2; exit 2; }

# The injected-panic tests print a backtrace; symbolising it under valgrind is slow and noisy.
export RUST_BACKTRACE=0
# The soak (abi_soak) skips itself in a debug build (it runs in release in scripts/test.sh).
status=0
for bin in "${bins[@]}"; do
  echo "== valgrind $(basename "$bin")" >&2
  if ! valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible \
      --show-leak-kinds=definite,possible --quiet \
      --suppressions=scripts/valgrind.supp \
      "$bin" --test-threads=4 -q "$@"; then
    echo "FAILED under valgrind: $bin" >&2
    status=1
  fi
done
exit $status
