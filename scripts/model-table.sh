#!/usr/bin/env bash
# Regenerates issue 11's table in reports/model-check.md: each configuration (nodes, groups,
# resources per group, calls, faults) exhausted by `offline-v2 check` with 1 and 2 threads,
# with and without symmetry (native checker), and once with stateright's DFS (1 thread) where
# that is quick; every run is its own process, so its peak RSS is its own. The measurements go
# to reports/model-table.json (committed); `reports model-check` renders them after the
# model-check report, beside the SPIN reference figures quoted from issue 11.
#
#   scripts/model-table.sh            # every row (several minutes; run on a quiet machine)
#   scripts/model-table.sh --quick    # the three small rows only
#
# Wall-clock seconds on a shared machine are noisy: the note records the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

cargo build --release -q -p offline-v2-properties --bin offline-v2 -p offline-v2-benches --bin reports
bin="$target/release/offline-v2"

# row: nodes groups resources calls faults | SPIN distinct states, seconds, MB (issue 11) |
# stateright too (1) or not (0)
rows=(
  "3 1 1 3 2 16562 0.12 8 1"
  "3 2 1 2 1 55777 0.23 11 1"
  "4 2 1 2 2 1130600 5.9 91 1"
  "4 2 1 3 2 7170903 69 562 1"
  "3 2 2 3 2 0 0 0 0"
)
[[ $quick == 1 ]] && rows=("${rows[@]:0:3}")

out="$target/reports/model-table.json.tmp"
mkdir -p "$target/reports"
load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '{"schema": 1, "note": "Measured by scripts/model-table.sh on %s, commit %s, %s cores, load average before the runs %s. The (3,2,2,3,2) row has no SPIN figure (issue 11 gives none); it is the CI large check.", "runs": [' \
  "$(date -u +%Y-%m-%d)" "$commit" "$(nproc)" "$load" > "$out"
sep=""
run() { # row-label spin engine threads symmetry args...
  local label="$1" spin="$2" engine="$3" threads="$4" sym="$5"
  shift 5
  local flags=(--engine "$engine" --threads "$threads")
  [[ "$sym" == true ]] && flags+=(--symmetry)
  echo "model-table: $label $engine threads=$threads symmetry=$sym" >&2
  local json
  # --timeout: the profile's time limit (30 s by default) would stop the large rows.
  json="$("$bin" check "$@" "${flags[@]}" --timeout 3600 --model-check-json)" || true
  printf '%s{"row": "%s", "spin": [%s], "engine": "%s", "threads": %s, "symmetry": %s, "check": %s}' \
    "$sep" "$label" "$spin" "$engine" "$threads" "$sym" "$json" >> "$out"
  sep=", "
}
for row in "${rows[@]}"; do
  read -r n g r c f ss st sm sr <<< "$row"
  label="($n,$g,$r,$c,$f)"
  args=(--nodes "$n" --groups "$g" --resources "$r" --calls "$c" --faults "$f")
  for sym in false true; do
    for threads in 1 2; do
      run "$label" "$ss, $st, $sm" native "$threads" "$sym" "${args[@]}"
    done
  done
  [[ "$sr" == 1 ]] && run "$label" "$ss, $st, $sm" stateright 1 false "${args[@]}"
done
printf ']}\n' >> "$out"
mv "$out" reports/model-table.json
echo "model-table: wrote reports/model-table.json" >&2

# Render: the model-check report of the last verify run (or a check of the default
# configuration) followed by the table.
if [[ ! -f "$target/reports/model-check.json" ]]; then
  "$bin" check --model-check-json > "$target/reports/model-check.json" || true
fi
"$target/release/reports" model-check --input "$target/reports/model-check.json" --out reports
