//! StartupEx / Startup answers, the table's other entries, instances (D1) and panics (R8),
//! through the loaded cdylib (SPEC §1a).

mod abi_common;

use abi_common::{ctl, dll, instance, prepare, raw, state, status, Setup, RES};
use offline_v2::abi::host::TableDll;
use offline_v2::abi::types::CLRES_V4_FUNCTION_SIZE;
use offline_v2::resource_dll::{DllCallback, ResourceDll, WorkloadControl};
use offline_v2::types::{ErrorCode, ResourceId, ResourceState, WorkMode};

fn ty(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

const TYPE: &str = "OfflineV2 Reference";

#[test]
fn loads_the_cdylib_file() {
    let path = dll().path().to_string_lossy().into_owned();
    assert!(
        path.ends_with(&offline_v2::loader::cdylib_file_name()),
        "{path}"
    );
    assert!(dll().entries().has_startup_ex());
    assert!(dll().has_control());
    // The loaded DLL's tables are not this process's in-process ones.
    let loaded = instance();
    let local = TableDll::in_process().expect("in-process instance");
    assert_ne!(loaded.table_address(), local.table_address());
}

#[test]
fn startup_ex_version_window() {
    let e = dll().entries();
    for (min, max, code) in [
        (0x400, 0x400, 0),
        (0x100, 0x400, 0),
        (0x400, 0x500, 0),
        (0, u32::MAX, 0),
        (0x100, 0x3FF, 1306),
        (0x401, 0x500, 1306),
        (0x500, 0x100, 1306),
    ] {
        let answer = e.startup_raw(Some(&ty(TYPE)), min, max, true, true);
        assert_eq!(answer.code, ErrorCode(code), "[{min:#x}, {max:#x}]");
        assert_eq!(answer.instance.is_some(), code == 0);
        if let Some(i) = answer.instance {
            assert_eq!(i.version(), 0x400);
            assert_eq!(i.table_size(), CLRES_V4_FUNCTION_SIZE);
        }
    }
}

#[test]
fn startup_ex_resource_type() {
    let e = dll().entries();
    for (name, code) in [
        (TYPE, 0),
        ("offlinev2 reference", 0),
        ("OfflineV2", 5078),
        ("", 5078),
        ("OfflineV2 Reference ", 5078),
        ("Physical Disk", 5078),
    ] {
        let answer = e.startup_raw(Some(&ty(name)), 0x400, 0x400, true, true);
        assert_eq!(answer.code, ErrorCode(code), "{name:?}");
    }
    let long = "x".repeat(1000);
    assert_eq!(
        e.startup_raw(Some(&ty(&long)), 0x400, 0x400, true, true)
            .code,
        ErrorCode(5078)
    );
}

#[test]
fn startup_ex_null_pointers() {
    let e = dll().entries();
    let t = ty(TYPE);
    assert_eq!(
        e.startup_raw(None, 0x400, 0x400, true, true).code,
        ErrorCode(87)
    );
    assert_eq!(
        e.startup_raw(Some(&t), 0x400, 0x400, false, true).code,
        ErrorCode(87)
    );
    assert_eq!(
        e.startup_raw(Some(&t), 0x400, 0x400, true, false).code,
        ErrorCode(87)
    );
    // NULL checks come first (A4).
    assert_eq!(
        e.startup_raw(None, 0x500, 0x100, true, true).code,
        ErrorCode(87)
    );
}

#[test]
fn startup_classic_gives_the_same_table_without_locked_or_failure_callbacks() {
    let classic = dll().entries().classic().expect("the DLL exports Startup");
    let t = ty(TYPE);
    assert_eq!(
        classic
            .startup_raw(Some(&t), 0x400, 0x400, false, true)
            .code,
        ErrorCode(87)
    );
    assert_eq!(
        classic.startup_raw(None, 0x400, 0x400, true, true).code,
        ErrorCode(87)
    );
    assert_eq!(
        classic.startup_raw(Some(&t), 0x100, 0x100, true, true).code,
        ErrorCode(1306)
    );
    assert_eq!(
        classic
            .startup_raw(Some(&ty("Other")), 0x400, 0x400, true, true)
            .code,
        ErrorCode(5078)
    );
    let dll = classic.start(TYPE).expect("classic start");
    assert_eq!(dll.version(), 0x400);
    assert_eq!(dll.table_size(), CLRES_V4_FUNCTION_SIZE);
    ctl(
        &dll,
        WorkloadControl::Configure {
            resource: RES,
            offline: WorkMode::Pending,
            online: WorkMode::Pending,
            running: true,
        },
    );
    ctl(&dll, WorkloadControl::Lock(RES));
    let resid = dll.open_resource(ResourceId(0), RES).expect("open").0.get();
    ctl(&dll, WorkloadControl::EmbeddedFailure(RES));
    // No SetResourceLockedMode / SignalFailure in the classic interface.
    assert_eq!(dll.drain_callbacks(), Vec::<DllCallback>::new());
    ctl(&dll, WorkloadControl::Unlock(RES));
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_SUCCESS
    );
    assert_eq!(
        dll.online_v2_raw(resid, None, 0, 0),
        ErrorCode::ERROR_IO_PENDING
    );
    ctl(&dll, WorkloadControl::CompleteOnline(RES));
    // Status goes through the classic SetResourceStatus.
    assert_eq!(dll.drain_callbacks(), [status(ResourceState::Online)]);
}

#[test]
fn each_startup_is_a_fresh_instance_with_its_own_table() {
    let a = instance();
    let b = instance();
    assert_ne!(a.table_address(), b.table_address());
    ctl(&a, WorkloadControl::Lock(RES));
    ctl(
        &a,
        WorkloadControl::Configure {
            resource: RES,
            offline: WorkMode::Pending,
            online: WorkMode::Pending,
            running: true,
        },
    );
    let ra = a.open_resource(ResourceId(0), RES).expect("open a").0.get();
    let rb = b.open_resource(ResourceId(0), RES).expect("open b").0.get();
    // Workload and state are per instance.
    assert_eq!(state(&a, ra), Some(ResourceState::Online));
    assert_eq!(state(&b, rb), Some(ResourceState::Offline));
    assert_eq!(
        a.offline_v2_raw(&raw(ra, None, 0)),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS
    );
    assert_eq!(b.online_v2_raw(rb, None, 0, 0), ErrorCode::ERROR_IO_PENDING);
    // Callbacks go to the host that opened the resource.
    assert_eq!(
        a.drain_callbacks(),
        [DllCallback::LockedMode {
            resource: ResourceId(0),
            locked: true
        }]
    );
    assert_eq!(b.drain_callbacks(), Vec::<DllCallback>::new());
}

#[test]
fn loader_makes_one_instance_per_node() {
    let nodes = dll().instances(3).expect("three instances");
    let mut tables: Vec<usize> = nodes.iter().map(TableDll::table_address).collect();
    tables.sort_unstable();
    tables.dedup();
    assert_eq!(tables.len(), 3);
}

#[test]
fn looks_alive_and_is_alive_are_true_only_when_online() {
    for st in ResourceState::ALL {
        let (dll, resid) = prepare(Setup::plain(st));
        let online = st == ResourceState::Online;
        assert_eq!(dll.looks_alive(resid), Some(online), "{st}");
        assert_eq!(dll.is_alive(resid), Some(online), "{st}");
        assert_eq!(dll.looks_alive(0), Some(false));
        assert_eq!(dll.is_alive(0xdead), Some(false));
    }
}

#[test]
fn control_entries_and_cancel_return_invalid_function_and_quorum_entries_are_null() {
    let (dll, resid) = prepare(Setup::plain(ResourceState::Online));
    assert_eq!(dll.has_quorum_entries(), (false, false));
    for resid in [resid, 0, 0xdead] {
        assert_eq!(
            dll.control_entries(resid),
            [Some(ErrorCode::ERROR_INVALID_FUNCTION); 5]
        );
    }
    assert_eq!(state(&dll, resid), Some(ResourceState::Online));
}

#[test]
fn injected_panic_is_gen_failure_failed_callback_and_the_process_survives() {
    let (mut dll, resid) = prepare(Setup::plain(ResourceState::Online));
    ctl(&dll, WorkloadControl::InjectPanic(RES));
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_GEN_FAILURE
    );
    let mut out = Vec::new();
    dll.take_callbacks(&mut out);
    assert_eq!(out, [status(ResourceState::Failed)]);
    // Still alive and answering.
    assert_eq!(
        dll.online_v2_raw(resid, None, 0, 0),
        ErrorCode::ERROR_IO_PENDING
    );
    ctl(&dll, WorkloadControl::CompleteOnline(RES));
    assert_eq!(dll.drain_callbacks(), [status(ResourceState::Online)]);
    // OnlineV2 panics the same way (R8), from the Online state.
    ctl(&dll, WorkloadControl::InjectPanic(RES));
    assert_eq!(
        dll.online_v2_raw(resid, None, 0, 0),
        ErrorCode::ERROR_GEN_FAILURE
    );
    assert_eq!(dll.drain_callbacks(), [status(ResourceState::Failed)]);
    assert_eq!(dll.is_alive(resid), Some(false));
}

#[test]
fn loader_errors_are_clear() {
    use offline_v2::loader::{LoadError, LoadedDll};
    let err = dll().instance_with_versions(TYPE, 0x100, 0x200);
    assert!(
        matches!(err, Err(LoadError::RevisionMismatch(_))),
        "{err:?}"
    );
    let err = dll().instance_of("Physical Disk");
    assert!(
        matches!(
            err,
            Err(LoadError::Startup {
                source: offline_v2::abi::host::StartError::Startup(ErrorCode(5078)),
                ..
            })
        ),
        "{err:?}"
    );
    let err = LoadedDll::open("/nonexistent/liboffline_v2.so");
    assert!(matches!(err, Err(LoadError::FileMissing(_))));
    if let Err(e) = err {
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
