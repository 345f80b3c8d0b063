#![allow(missing_docs)] // gungraun's macros generate undocumented items
//! The deterministic instruction-count gate (issue 13): each workload of
//! `offline_v2_benches::workloads` run once under callgrind by gungraun 0.20 (instruction
//! counts plus its L1/LL cache estimates). Set-up and tear-down are not measured.
//!
//! Run it with `scripts/gate.sh` (installs `gungraun-runner` 0.20.0 and valgrind when missing,
//! then compares with `reports/instructions.json`); by hand:
//! `cargo bench -p offline-v2-benches --bench instructions`.
//!
//! Bench ids are `group.function` (e.g. `hot_path.offline_sync`): stable across commits, the
//! key of the committed baseline. Renaming one is a deliberate re-bless.

use std::hint::black_box;

use gungraun::{
    library_benchmark, library_benchmark_group, main, Callgrind, EntryPoint, LibraryBenchmarkConfig,
};
use offline_v2_benches::knobs::SLOWDOWN_ENV;
use offline_v2_benches::workloads::{
    EmptyCall, LockstepStep, ModelCheck, MoveCycleRun, TableCalls,
};

#[library_benchmark]
#[bench::table(args = (), setup = EmptyCall::setup)]
fn empty_call(mut w: EmptyCall) -> EmptyCall {
    black_box(w.run());
    w
}

#[library_benchmark]
#[bench::table(args = (), setup = TableCalls::sync)]
fn offline_sync(mut w: TableCalls) -> TableCalls {
    black_box(w.offline_sync());
    w
}

#[library_benchmark]
#[bench::table(args = (), setup = TableCalls::sync)]
fn offline_invalid_flags(mut w: TableCalls) -> TableCalls {
    black_box(w.offline_invalid_flags());
    w
}

#[library_benchmark]
#[bench::table(args = (), setup = TableCalls::pending)]
fn offline_io_pending_completion(mut w: TableCalls) -> TableCalls {
    black_box(w.offline_pending_completion());
    w
}

library_benchmark_group!(
    name = hot_path;
    benchmarks = empty_call, offline_sync, offline_invalid_flags, offline_io_pending_completion
);

#[library_benchmark]
#[bench::cluster_step(args = (), setup = MoveCycleRun::setup)]
fn return_to_source(mut w: MoveCycleRun) -> MoveCycleRun {
    black_box(w.run());
    w
}

library_benchmark_group!(name = move_cycle; benchmarks = return_to_source);

#[library_benchmark]
#[bench::move_rts(args = (), setup = LockstepStep::setup)]
fn lockstep_step(mut w: LockstepStep) -> LockstepStep {
    black_box(w.run());
    w
}

library_benchmark_group!(name = conformance; benchmarks = lockstep_step);

// stateright's BFS runs in a worker thread even with one thread, and callgrind applies
// toggles per thread: this bench collects exactly the worker's `check_block` calls (where
// every state is generated, fingerprinted and checked against every property), not the
// main thread's spawn/join and tear-down, whose allocator paths vary from run to run with
// stateright's randomly keyed `discoveries` map (reports/README.md, "Spread").
#[library_benchmark(
    config = LibraryBenchmarkConfig::default()
        .env("GLIBC_TUNABLES", "glibc.malloc.arena_max=1")
        .tool(Callgrind::with_args([
            "--collect-atstart=no",
            "--toggle-collect=*BfsChecker*check_block*",
        ])
        .entry_point(EntryPoint::None))
)]
#[bench::bfs_1_thread(args = (), setup = ModelCheck::setup)]
fn small_config(mut w: ModelCheck) -> ModelCheck {
    black_box(w.run());
    w
}

library_benchmark_group!(name = model_check; benchmarks = small_config);

main!(
    config = LibraryBenchmarkConfig::default().pass_through_env(SLOWDOWN_ENV);
    library_benchmark_groups = hot_path, move_cycle, conformance, model_check
);
