//! An unbounded life (R8 "OpenV2/Close may repeat without limit"; issue 12, fault 3): one
//! instance of the loaded cdylib opens and closes a resource 2^25 times — past the old limit
//! of 2^24 − 1 RESIDs per instance — checking every answer: each OpenV2 gives a non-NULL
//! RESID different from the previous one, the closed RESID answers ERROR_RESOURCE_NOT_FOUND
//! (R2), and after the instance is released a fresh StartupEx (the same table back) still
//! opens.
//!
//! A release-build test (`cargo test --release -p offline-v2 --test abi_soak`, run by
//! `scripts/test.sh`): in a debug build it is SKIPPED unless `OFFLINE_V2_SOAK_CYCLES` asks
//! for a number of cycles. The 10^8-cycle soak is the `soak` bench.

mod abi_common;

use abi_common::{dll, skipped};
use offline_v2::abi::host::TableCaller;
use offline_v2::types::ErrorCode;

/// Cycles of the CI run: past the old 2^24 limit.
const DEFAULT_CYCLES: u64 = 1 << 25;

/// A handle no host registered (A7): a callback carrying it would be ignored.
const NO_HOST: usize = usize::MAX - 7;

fn cycles() -> Option<u64> {
    match std::env::var("OFFLINE_V2_SOAK_CYCLES") {
        Ok(v) => Some(
            v.parse()
                .unwrap_or_else(|_| panic!("OFFLINE_V2_SOAK_CYCLES={v:?} is not a number")),
        ),
        Err(_) if cfg!(debug_assertions) => None,
        Err(_) => Some(DEFAULT_CYCLES),
    }
}

#[test]
fn open_close_pairs_past_the_old_limit_keep_answering() {
    let Some(cycles) = cycles() else {
        skipped(
            "abi_soak::open_close_pairs_past_the_old_limit_keep_answering",
            "2^25 OpenV2/Close pairs need a release build \
             (cargo test --release -p offline-v2 --test abi_soak; scripts/test.sh runs it)",
        );
        return;
    };
    let name: Vec<u16> = "soak".encode_utf16().chain(Some(0)).collect();
    let first = dll().instance().expect("an instance");
    let table = first.table_address();
    let caller = TableCaller::new(first.function_table());
    let mut previous = 0usize;
    for cycle in 0..cycles {
        let resid = caller.open_v2(&name, NO_HOST);
        assert_ne!(resid, 0, "OpenV2 returned NULL at cycle {cycle}");
        assert_ne!(resid, previous, "RESID reused at once at cycle {cycle}");
        if previous != 0 {
            assert_eq!(
                caller.offline_v2(previous, None, 0),
                ErrorCode::ERROR_RESOURCE_NOT_FOUND.0,
                "a closed RESID answered at cycle {cycle}"
            );
        }
        caller.close(resid);
        previous = resid;
    }
    // Released and handed out again (A1): the same table, still opening, old RESID stale.
    drop(first);
    let again = dll().instance().expect("the released instance");
    assert_eq!(
        again.table_address(),
        table,
        "the pool hands the same table back"
    );
    let caller = TableCaller::new(again.function_table());
    let resid = caller.open_v2(&name, NO_HOST);
    assert_ne!(resid, 0, "OpenV2 after release and StartupEx");
    assert_ne!(resid, previous);
    assert_eq!(
        caller.offline_v2(previous, None, 0),
        ErrorCode::ERROR_RESOURCE_NOT_FOUND.0
    );
    eprintln!("abi_soak: {cycles} OpenV2/Close pairs, every answer per SPEC");
}
