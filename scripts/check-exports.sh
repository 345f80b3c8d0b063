#!/usr/bin/env bash
# Builds the release cdylib and checks that it exports the resapi.h entry points (SPEC §1a)
# and the reference DLL's control/release/state exports, by their unmangled C names.
# Honours CARGO_TARGET_DIR. --no-build checks the artifact already there (fails if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
[ "${1:-}" = "--no-build" ] && build=0
target="${CARGO_TARGET_DIR:-target}"
[ "$build" = 1 ] && cargo build --release -p offline-v2 --lib >&2
lib="$target/release/liboffline_v2.so"
if [ ! -f "$lib" ]; then
  echo "FAIL: $lib does not exist (CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-unset})" >&2
  exit 1
fi
status=0
for sym in StartupEx Startup OfflineV2ReferenceControl OfflineV2ReferenceRelease OfflineV2ReferenceState; do
  if line=$(nm -D --defined-only "$lib" | grep -w "$sym"); then
    echo "$line"
  else
    echo "MISSING: $sym in $lib" >&2
    status=1
  fi
done
exit $status
