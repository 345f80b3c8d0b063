//! SPEC §8: the synchronous OfflineV2 hot path performs zero heap allocations.
//!
//! A counting global allocator (per thread, so parallel tests do not disturb each other)
//! counts allocations around N calls after a warm-up. The counter itself is shown to work on
//! a deliberate `Vec` allocation, so a zero is not vacuous.
//!
//! The calls go through the reference DLL's exported `CLRES_FUNCTION_TABLE` (`StartupEx`,
//! then the table's OfflineV2/OnlineV2 entries), linked into this test binary: the same code
//! the cdylib exports, but its allocations go through this allocator — a cdylib loaded with
//! `libloading` would use its own copy of the Rust runtime's allocator, invisible here. The
//! reference logic called directly is checked too.

use std::hint::black_box;

use offline_v2::abi::alloc_count::CountingAllocator;
use offline_v2::types::{ErrorCode, WorkMode};
use offline_v2_benches::hot_path::{AbiFixture, HotPath, ReferenceFixture, BATCH};

#[global_allocator]
static COUNTING: CountingAllocator = CountingAllocator;

/// Allocations the current thread makes while running `f`.
fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = CountingAllocator::thread_allocations();
    f();
    CountingAllocator::thread_allocations() - before
}

/// Calls measured per path, after the warm-up.
const N: usize = 10_000;

#[test]
fn the_counter_counts_a_deliberate_vec_allocation() {
    let n = allocations_during(|| {
        let v: Vec<u64> = Vec::with_capacity(black_box(64));
        black_box(&v);
    });
    assert_eq!(n, 1, "a Vec::with_capacity(64) is exactly one allocation");
    let n = allocations_during(|| {
        black_box(format!("r{}", black_box(7)));
    });
    assert!(n >= 1, "format! allocates");
}

fn sync_allocations<F: HotPath>(fx: &mut F) -> u64 {
    // Warm-up: every resource through one offline/online cycle.
    for k in 0..BATCH {
        assert_eq!(fx.offline_v2(k), ErrorCode::ERROR_SUCCESS);
        assert_eq!(fx.online_v2(k), ErrorCode::ERROR_SUCCESS);
    }
    let mut successes = 0usize;
    let n = allocations_during(|| {
        for i in 0..N {
            let k = i % BATCH;
            if fx.offline_v2(k) == ErrorCode::ERROR_SUCCESS {
                successes += 1;
            }
            black_box(fx.online_v2(k));
        }
    });
    assert_eq!(
        successes, N,
        "every measured OfflineV2 answered ERROR_SUCCESS"
    );
    n
}

fn rejected_allocations<F: HotPath>(fx: &mut F) -> u64 {
    assert_eq!(fx.offline_v2_invalid(0), ErrorCode::ERROR_INVALID_PARAMETER);
    allocations_during(|| {
        for i in 0..N {
            black_box(fx.offline_v2_invalid(i % 4));
        }
    })
}

fn pending_allocations<F: HotPath>(fx: &mut F) -> u64 {
    for k in 0..BATCH {
        assert_eq!(fx.offline_v2(k), ErrorCode::ERROR_IO_PENDING);
        fx.settle_pending_offline(k);
    }
    let mut total = 0;
    for _ in 0..(N / BATCH) {
        total += allocations_during(|| {
            for k in 0..BATCH {
                assert_eq!(fx.offline_v2(k), ErrorCode::ERROR_IO_PENDING);
            }
        });
        for k in 0..BATCH {
            fx.settle_pending_offline(k);
        }
    }
    total
}

#[test]
fn sync_offline_v2_through_the_exported_table_allocates_nothing() {
    let n = sync_allocations(&mut AbiFixture::in_process(BATCH, WorkMode::Sync));
    assert_eq!(
        n, 0,
        "{N} sync OfflineV2 (+ OnlineV2) calls made {n} heap allocations"
    );
}

#[test]
fn sync_offline_v2_of_the_reference_logic_allocates_nothing() {
    let n = sync_allocations(&mut ReferenceFixture::new(BATCH, WorkMode::Sync));
    assert_eq!(
        n, 0,
        "{N} sync OfflineV2 (+ OnlineV2) calls made {n} heap allocations"
    );
}

#[test]
fn rejected_offline_v2_allocates_nothing() {
    let n = rejected_allocations(&mut AbiFixture::in_process(4, WorkMode::Sync));
    assert_eq!(
        n, 0,
        "{N} rejected OfflineV2 calls made {n} heap allocations"
    );
    let n = rejected_allocations(&mut ReferenceFixture::new(4, WorkMode::Sync));
    assert_eq!(
        n, 0,
        "{N} rejected OfflineV2 calls (logic) made {n} heap allocations"
    );
}

#[test]
fn pending_offline_v2_allocates_nothing() {
    let n = pending_allocations(&mut AbiFixture::in_process(BATCH, WorkMode::Pending));
    assert_eq!(n, 0, "pending OfflineV2 calls made {n} heap allocations");
    let n = pending_allocations(&mut ReferenceFixture::new(BATCH, WorkMode::Pending));
    assert_eq!(
        n, 0,
        "pending OfflineV2 calls (logic) made {n} heap allocations"
    );
}
