//! The instance pool of the loaded cdylib (D1, A1): 64 instances, each with its own table;
//! the 65th StartupEx answers ERROR_NOT_ENOUGH_MEMORY; releasing one frees its table for the
//! next StartupEx, which gets a reset instance. The only test of this binary, so no other test
//! holds instances meanwhile.

mod abi_common;

use abi_common::{dll, raw, RES};
use offline_v2::abi::dll::{ERROR_NOT_ENOUGH_MEMORY, POOL};
use offline_v2::resource_dll::WorkloadControl;
use offline_v2::types::{ErrorCode, ResourceId, WorkMode};

#[test]
fn pool_of_64_instances_exhausts_and_recycles() {
    let ty: Vec<u16> = "OfflineV2 Reference".encode_utf16().collect();
    let mut held = Vec::new();
    for _ in 0..POOL {
        held.push(dll().instance().expect("an instance of the pool"));
    }
    let mut tables: Vec<usize> = held.iter().map(|d| d.table_address()).collect();
    tables.sort_unstable();
    tables.dedup();
    assert_eq!(tables.len(), POOL, "one table per instance");

    let answer = dll()
        .entries()
        .startup_raw(Some(&ty), 0x400, 0x400, true, true);
    assert_eq!(answer.code, ErrorCode(ERROR_NOT_ENOUGH_MEMORY));
    assert!(answer.instance.is_none());

    // Use the last instance, then release it: the next StartupEx gets the same table, reset.
    let last = held.pop().expect("held");
    let table = last.table_address();
    assert_eq!(
        last.send_control(WorkloadControl::Configure {
            resource: RES,
            offline: WorkMode::Sync,
            online: WorkMode::Sync,
            running: true,
        }),
        ErrorCode::ERROR_SUCCESS
    );
    assert_eq!(
        last.send_control(WorkloadControl::Lock(RES)),
        ErrorCode::ERROR_SUCCESS
    );
    let old = last
        .open_resource(ResourceId(0), RES)
        .expect("open")
        .0
        .get();
    drop(last);
    let next = dll().instance().expect("the released instance");
    assert_eq!(next.table_address(), table);
    // Reset: the old RESID is stale (R2) and the workload is forgotten (not locked, Offline).
    assert_eq!(
        next.offline_v2_raw(&raw(old, None, 0)),
        ErrorCode::ERROR_RESOURCE_NOT_FOUND
    );
    let fresh = next
        .open_resource(ResourceId(0), RES)
        .expect("open")
        .0
        .get();
    assert_eq!(
        next.drain_callbacks(),
        Vec::new(),
        "no lock survived the reset"
    );
    assert_eq!(next.is_alive(fresh), Some(false));
}
