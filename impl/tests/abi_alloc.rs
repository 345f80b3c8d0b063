//! SPEC §8: a synchronous OfflineV2 through the exported function table allocates nothing
//! (DLL side and host side). Measured in-process (the same code the cdylib is built from) with
//! a counting global allocator; a loaded cdylib has its own allocator, invisible from here.

use offline_v2::abi::alloc_count::CountingAllocator;
use offline_v2::abi::host::TableDll;
use offline_v2::resource_dll::WorkloadControl;
use offline_v2::types::{ErrorCode, NodeName, OfflineFlags, ResourceId, WorkMode};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocs() -> u64 {
    CountingAllocator::thread_allocations()
}

#[test]
fn synchronous_offline_v2_through_the_table_does_not_allocate() {
    // The counter works.
    let before = allocs();
    let probe = std::hint::black_box(vec![1u8; 8]);
    assert!(allocs() > before && probe.len() == 8);
    let dll = TableDll::in_process().expect("in-process instance");
    let dest = NodeName::new("n2").expect("node");
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        assert_eq!(
            dll.send_control(WorkloadControl::Configure {
                resource: name,
                offline: WorkMode::Sync,
                online: WorkMode::Sync,
                running: true,
            }),
            ErrorCode::ERROR_SUCCESS
        );
        let resid = dll
            .open_resource(ResourceId(u8::try_from(i).expect("small")), name)
            .expect("open")
            .0
            .get();
        let before = allocs();
        let code = dll.offline_v2_call(
            resid,
            Some(dest),
            OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE,
        );
        let after = allocs();
        assert_eq!(code, ErrorCode::ERROR_SUCCESS);
        assert_eq!(after - before, 0, "allocations on the hot path");
        // Rejections and repeated answers do not allocate either.
        let before = allocs();
        assert_eq!(
            dll.offline_v2_call(resid, None, OfflineFlags::empty()),
            ErrorCode::ERROR_SUCCESS
        );
        assert_eq!(
            dll.offline_v2_call(resid, None, OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR),
            ErrorCode::ERROR_INVALID_PARAMETER
        );
        assert_eq!(allocs() - before, 0);
    }
}
