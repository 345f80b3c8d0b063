//! `offline-v2-benches`: criterion benchmarks of SPEC §8 and the `reports` tool.
//!
//! - [`knobs`]: the bench profile (quick or full), the test-only slow-down knob and the
//!   calibration workload, shared by every bench in `benches/benches/`.
//! - [`hot_path`]: fixtures of the OfflineV2 hot path (the reference DLL and an empty function
//!   table with the same function-pointer types), shared by the benches and the zero-allocation
//!   test.
//! - [`bench_report`]: reads criterion's `estimates.json`, computes each bench's ratio to its
//!   same-run baseline, compares with `reports/baseline.json`, writes `reports/bench.md` and
//!   `reports/bench.svg`.
//! - [`model_report`] and [`conformance_report`]: `reports/model-check.md` and
//!   `reports/conformance.md` from the JSON files the model checker and the conformance runs
//!   write (schemas in `reports/README.md`).
//! - [`gate`] and [`callgrind`]: the deterministic instruction-count gate (callgrind profiles
//!   of the gungraun benches vs `reports/instructions.json`, with a per-function diff).
//! - [`history`]: `reports/history.csv` and its trend plots.
//! - [`move_cycle`]: the move + return-to-source cycle of the `move_cycle` bench.
//! - [`svg`]: a hand-written bar chart (no plotting dependency).
//! - [`workloads`]: what the instruction-count gate measures under callgrind.

pub mod bench_report;
pub mod callgrind;
pub mod conformance_report;
pub mod gate;
pub mod history;
pub mod hot_path;
pub mod knobs;
pub mod model_report;
pub mod move_cycle;
pub mod svg;
pub mod workloads;
