#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! SPEC §8 hot path: one synchronous OfflineV2 against an empty `extern "system"` call through
//! a table of the same function-pointer type, measured in the same run.
//!
//! Benches (group `offline_v2_hot_path`), each a ratio to a baseline of the same group:
//! - `offline_sync` / `empty_call`: OfflineV2 answering ERROR_SUCCESS (validation, RESID
//!   lookup, state change, trace). Only the OfflineV2 calls are timed: the resources cycle in
//!   batches of 256 and each batch is brought back Online after its clock stopped.
//! - `offline_invalid_flags` / `empty_call`: the R1 rejection path (a bit outside 0x7F).
//! - `offline_io_pending` / `empty_call`: OfflineV2 of an Online resource configured
//!   `offline: pending` (ERROR_IO_PENDING, state OfflinePending); the completion and
//!   re-online are untimed.
//! - `offline_online_pair` / `empty_pair`: a synchronous OfflineV2 then a synchronous OnlineV2
//!   of one resource, against two empty calls — what a plain `iter` loop can measure honestly.
//!
//! `OFFLINE_V2_BENCH_SLOWDOWN=<spins>` (test-only) adds a spin loop to every non-baseline
//! measured closure, to show that the regression report catches a slower hot path.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use offline_v2::types::{ErrorCode, WorkMode};
use offline_v2_benches::hot_path::{EmptyTable, ReferenceFixture, BATCH};
use offline_v2_benches::knobs::{batched, slowdown_spins, spin};

fn hot_path(c: &mut Criterion) {
    let slow = slowdown_spins();
    let empty = EmptyTable::get();
    let mut group = c.benchmark_group("offline_v2_hot_path");

    group.bench_function("empty_call", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                BATCH,
                |k| {
                    black_box(empty.offline_v2(black_box(k)));
                },
                |k| {
                    black_box(empty.online_v2(black_box(k)));
                },
            )
        });
    });

    let mut sync = ReferenceFixture::new(BATCH, WorkMode::Sync);
    assert_eq!(sync.offline_v2(0), ErrorCode::ERROR_SUCCESS);
    assert_eq!(sync.online_v2(0), ErrorCode::ERROR_SUCCESS);
    group.bench_function("offline_sync", |b| {
        b.iter_custom(|iters| {
            let fx = std::cell::RefCell::new(&mut sync);
            batched(
                iters,
                BATCH,
                |k| {
                    black_box(fx.borrow_mut().offline_v2(black_box(k)));
                    spin(slow);
                },
                |k| {
                    black_box(fx.borrow_mut().online_v2(k));
                },
            )
        });
    });

    assert_eq!(
        sync.offline_v2_invalid(0),
        ErrorCode::ERROR_INVALID_PARAMETER
    );
    group.bench_function("offline_invalid_flags", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                BATCH,
                |k| {
                    black_box(sync.offline_v2_invalid(black_box(k)));
                    spin(slow);
                },
                |_| {},
            )
        });
    });

    let mut pending = ReferenceFixture::new(BATCH, WorkMode::Pending);
    assert_eq!(pending.offline_v2(0), ErrorCode::ERROR_IO_PENDING);
    pending.settle_pending_offline(0);
    group.bench_function("offline_io_pending", |b| {
        b.iter_custom(|iters| {
            let fx = std::cell::RefCell::new(&mut pending);
            batched(
                iters,
                BATCH,
                |k| {
                    black_box(fx.borrow_mut().offline_v2(black_box(k)));
                    spin(slow);
                },
                |k| fx.borrow_mut().settle_pending_offline(k),
            )
        });
    });

    group.bench_function("empty_pair", |b| {
        b.iter(|| {
            black_box(empty.offline_v2(black_box(1)));
            black_box(empty.online_v2(black_box(1)));
        });
    });

    group.bench_function("offline_online_pair", |b| {
        b.iter(|| {
            black_box(sync.offline_v2(black_box(0)));
            black_box(sync.online_v2(black_box(0)));
            spin(slow);
        });
    });

    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = hot_path
}
criterion_main!(benches);
