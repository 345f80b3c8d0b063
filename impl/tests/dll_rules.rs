//! One test per DLL rule (SPEC §4, R1–R9), through the loaded cdylib.

mod abi_common;

use abi_common::{assert_rejected, ctl, instance, node, prepare, raw, state, status, Setup};
use abi_common::{DEST, LOCAL, RES};
use offline_v2::resource_dll::{DllCallback, WorkloadControl};
use offline_v2::types::{ErrorCode, ResourceId, ResourceState, WorkMode};

use ResourceState::*;

const E87: ErrorCode = ErrorCode::ERROR_INVALID_PARAMETER;

fn online() -> Setup {
    Setup::plain(Online)
}

#[test]
fn r1_invalid_arguments_are_rejected_before_anything_changes() {
    let (dll, resid) = prepare(online());
    // Reserved ≠ 0.
    let mut call = raw(resid, None, 0);
    call.reserved = 1;
    assert_rejected(&dll, resid, &call, E87);
    // Any bit outside 0x7F.
    assert_rejected(&dll, resid, &raw(resid, None, 0x80), E87);
    // InBuffer NULL with InBufferSize > 0.
    let mut call = raw(resid, None, 0);
    call.inbuf_size = 4;
    assert_rejected(&dll, resid, &call, E87);
    // 0x08 together with 0x02.
    assert_rejected(&dll, resid, &raw(resid, Some(DEST), 0x0A), E87);
    // 0x02 or 0x08 without a destination.
    assert_rejected(&dll, resid, &raw(resid, None, 0x02), E87);
    assert_rejected(&dll, resid, &raw(resid, None, 0x08), E87);
    // A destination that is not a valid node name.
    for bad in ["", "n_1", "node-16-chars-xx", "n 1"] {
        assert_rejected(&dll, resid, &raw(resid, Some(bad), 0), E87);
    }
    // Still Online and usable.
    assert_eq!(state(&dll, resid), Some(Online));
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, Some(DEST), 0x02)),
        ErrorCode::ERROR_IO_PENDING
    );
}

#[test]
fn r2_unknown_closed_forged_and_zero_resids_are_not_found() {
    let (dll, resid) = prepare(online());
    let not_found = ErrorCode::ERROR_RESOURCE_NOT_FOUND;
    for forged in [0usize, 1, 0x1234, usize::MAX, resid ^ 1, resid + (1 << 32)] {
        assert_rejected(&dll, resid, &raw(forged, None, 0), not_found);
        assert_eq!(dll.online_v2_raw(forged, None, 0, 0), not_found);
        // Close and Terminate of a forged RESID do nothing (and do not crash).
        dll.close_raw(forged);
        dll.terminate_raw(forged);
        assert_eq!(state(&dll, resid), Some(Online));
    }
    dll.close_raw(resid);
    assert_eq!(dll.offline_v2_raw(&raw(resid, None, 0)), not_found);
    assert_eq!(state(&dll, resid), None);
}

#[test]
fn r3_state_answers_offline_pending_online_pending_failed() {
    let (dll, resid) = prepare(Setup::plain(Offline));
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_SUCCESS
    );
    assert_eq!(state(&dll, resid), Some(Offline));

    let (dll, resid) = prepare(Setup::plain(OfflinePending));
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_IO_PENDING
    );
    ctl(&dll, WorkloadControl::CompleteOffline(RES));
    assert_eq!(
        dll.drain_callbacks(),
        [status(Offline)],
        "no second completion"
    );

    let (dll, resid) = prepare(Setup::plain(OnlinePending));
    assert_rejected(
        &dll,
        resid,
        &raw(resid, None, 0),
        ErrorCode::ERROR_INVALID_STATE,
    );

    let (dll, resid) = prepare(Setup::plain(Failed));
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_SUCCESS
    );
    assert_eq!(state(&dll, resid), Some(Offline));
    assert_eq!(dll.drain_callbacks(), Vec::<DllCallback>::new());
}

#[test]
fn r4_locked_without_ignore_is_locked_status() {
    let (dll, resid) = prepare(Setup {
        locked: true,
        ..online()
    });
    assert_rejected(
        &dll,
        resid,
        &raw(resid, None, 0x40),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
    );
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0x01)),
        ErrorCode::ERROR_IO_PENDING
    );
    // D3: the lock is reported through SetResourceLockedMode, at Open too.
    let dll = instance();
    ctl(&dll, WorkloadControl::Lock(RES));
    let r = dll.open_resource(ResourceId(0), RES).expect("open");
    assert_eq!(
        dll.drain_callbacks(),
        [DllCallback::LockedMode {
            resource: ResourceId(0),
            locked: true
        }]
    );
    ctl(&dll, WorkloadControl::Unlock(RES));
    assert_eq!(
        dll.drain_callbacks(),
        [DllCallback::LockedMode {
            resource: ResourceId(0),
            locked: false
        }]
    );
    assert_eq!(state(&dll, r.0.get()), Some(Offline));
}

#[test]
fn r5_unreachable_destination_without_0x20_is_host_unreachable() {
    let (dll, resid) = prepare(Setup {
        unreachable: true,
        ..online()
    });
    assert_rejected(
        &dll,
        resid,
        &raw(resid, Some(DEST), 0x40),
        ErrorCode::ERROR_HOST_UNREACHABLE,
    );
    // Another destination is reachable; 0x08 is not a move offline.
    assert_rejected(
        &dll,
        resid,
        &raw(resid, Some(DEST), 0x08 | 0x01 | 0x80),
        E87,
    );
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, Some(DEST), 0x20)),
        ErrorCode::ERROR_IO_PENDING
    );
    let (dll, resid) = prepare(Setup {
        unreachable: true,
        ..online()
    });
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, Some("n3"), 0)),
        ErrorCode::ERROR_IO_PENDING
    );
    let (dll, resid) = prepare(Setup {
        unreachable: true,
        ..online()
    });
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, Some(DEST), 0x08)),
        ErrorCode::ERROR_IO_PENDING
    );
    // Net up again: reachable.
    let (dll, resid) = prepare(Setup {
        unreachable: true,
        ..online()
    });
    ctl(&dll, WorkloadControl::NetUp(node(DEST)));
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, Some(DEST), 0)),
        ErrorCode::ERROR_IO_PENDING
    );
}

#[test]
fn r6_busy_without_ignore_is_retry() {
    let (dll, resid) = prepare(Setup {
        busy: true,
        ..online()
    });
    assert_rejected(&dll, resid, &raw(resid, None, 0x04), ErrorCode::ERROR_RETRY);
    ctl(&dll, WorkloadControl::Unbusy(RES));
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_IO_PENDING
    );
    let (dll, resid) = prepare(Setup {
        busy: true,
        ..online()
    });
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0x01)),
        ErrorCode::ERROR_IO_PENDING
    );
}

#[test]
fn r7_offline_and_online_work_end_with_exactly_one_status_callback() {
    // Pending offline → later exactly one Offline (or Failed) callback.
    let (dll, resid) = prepare(online());
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_IO_PENDING
    );
    assert_eq!(dll.drain_callbacks(), Vec::<DllCallback>::new());
    ctl(&dll, WorkloadControl::CompleteOffline(RES));
    assert_eq!(
        dll.send_control(WorkloadControl::CompleteOffline(RES)),
        ErrorCode::ERROR_INVALID_STATE
    );
    assert_eq!(dll.drain_callbacks(), [status(Offline)]);

    let (dll, resid) = prepare(online());
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_IO_PENDING
    );
    ctl(&dll, WorkloadControl::FailOffline(RES));
    assert_eq!(dll.drain_callbacks(), [status(Failed)]);
    assert_eq!(state(&dll, resid), Some(Failed));

    // Sync offline: ERROR_SUCCESS, no callback.
    let (dll, resid) = prepare(Setup {
        offline_sync: true,
        ..online()
    });
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, None, 0)),
        ErrorCode::ERROR_SUCCESS
    );
    assert_eq!(dll.drain_callbacks(), Vec::<DllCallback>::new());

    // OnlineV2: Offline → pending → one Online callback; Online → SUCCESS; OnlinePending →
    // IO_PENDING; OfflinePending → INVALID_STATE.
    let (dll, resid) = prepare(Setup::plain(Offline));
    assert_eq!(
        dll.online_v2_raw(resid, None, 0, 0),
        ErrorCode::ERROR_IO_PENDING
    );
    assert_eq!(
        dll.online_v2_raw(resid, None, 0, 0),
        ErrorCode::ERROR_IO_PENDING
    );
    ctl(&dll, WorkloadControl::CompleteOnline(RES));
    assert_eq!(dll.drain_callbacks(), [status(Online)]);
    assert_eq!(
        dll.online_v2_raw(resid, None, 0, 0),
        ErrorCode::ERROR_SUCCESS
    );
    let (dll, resid) = prepare(Setup::plain(OfflinePending));
    assert_eq!(
        dll.online_v2_raw(resid, None, 0, 0),
        ErrorCode::ERROR_INVALID_STATE
    );
    // Sync online from Failed.
    let (dll, resid) = prepare(Setup::plain(Failed));
    ctl(
        &dll,
        WorkloadControl::Configure {
            resource: RES,
            offline: WorkMode::Pending,
            online: WorkMode::Sync,
            running: false,
        },
    );
    assert_eq!(
        dll.online_v2_raw(resid, None, 0, 0),
        ErrorCode::ERROR_SUCCESS
    );
    assert_eq!(state(&dll, resid), Some(Online));
    // OnlineV2 validation: Reserved, NULL buffer with a size.
    assert_eq!(dll.online_v2_raw(resid, None, 0, 1), E87);
    assert_eq!(dll.online_v2_raw(resid, None, 8, 0), E87);
    assert_eq!(
        dll.online_v2_raw(resid, Some(&[1, 2]), 8, 0),
        ErrorCode::ERROR_SUCCESS
    );
}

#[test]
fn r8_injected_panic_is_gen_failure_and_failed_callback() {
    for offline in [true, false] {
        let (dll, resid) = prepare(online());
        ctl(&dll, WorkloadControl::InjectPanic(RES));
        // R1 rejects before the panic point: the panic stays armed.
        assert_eq!(dll.offline_v2_raw(&raw(resid, None, 0x80)), E87);
        let code = if offline {
            dll.offline_v2_raw(&raw(resid, None, 0))
        } else {
            dll.online_v2_raw(resid, None, 0, 0)
        };
        assert_eq!(code, ErrorCode::ERROR_GEN_FAILURE);
        assert_eq!(dll.drain_callbacks(), [status(Failed)]);
        assert_eq!(state(&dll, resid), Some(Failed));
        // The process and the instance survive; the panic fired once.
        assert_eq!(
            dll.offline_v2_raw(&raw(resid, None, 0)),
            ErrorCode::ERROR_SUCCESS
        );
        assert_eq!(state(&dll, resid), Some(Offline));
    }
}

#[test]
fn r9_checks_apply_in_rule_order() {
    let all = Setup {
        locked: true,
        busy: true,
        unreachable: true,
        ..online()
    };
    // R1 beats R2: a forged RESID with Reserved ≠ 0 is INVALID_PARAMETER.
    let (dll, resid) = prepare(all);
    let mut call = raw(0xdead, None, 0);
    call.reserved = 7;
    assert_rejected(&dll, resid, &call, E87);
    // Offline beats locked (R3 before R4).
    let (dll, resid) = prepare(Setup {
        state: Offline,
        ..all
    });
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, Some(DEST), 0)),
        ErrorCode::ERROR_SUCCESS
    );
    // Locked beats unreachable (R4 before R5).
    let (dll, resid) = prepare(all);
    assert_rejected(
        &dll,
        resid,
        &raw(resid, Some(DEST), 0),
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
    );
    // Unreachable beats busy (R5 before R6): 0x01 passes the lock, not the network.
    assert_rejected(
        &dll,
        resid,
        &raw(resid, Some(DEST), 0x01),
        ErrorCode::ERROR_HOST_UNREACHABLE,
    );
    // With 0x20 as well, busy is overridden by 0x01 too: it goes offline.
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, Some(DEST), 0x21)),
        ErrorCode::ERROR_IO_PENDING
    );
    // Locked and busy never affect OnlineV2.
    let dll = instance();
    ctl(&dll, WorkloadControl::SetLocalNode(node(LOCAL)));
    ctl(&dll, WorkloadControl::Lock(RES));
    ctl(&dll, WorkloadControl::Busy(RES));
    let r = dll.open_resource(ResourceId(0), RES).expect("open").0.get();
    assert_eq!(
        dll.online_v2_raw(r, None, 0, 0),
        ErrorCode::ERROR_IO_PENDING
    );
    // Unreachable beats busy without 0x01.
    let (dll, resid) = prepare(Setup {
        locked: false,
        ..all
    });
    assert_rejected(
        &dll,
        resid,
        &raw(resid, Some(DEST), 0),
        ErrorCode::ERROR_HOST_UNREACHABLE,
    );
    assert_rejected(&dll, resid, &raw(resid, None, 0), ErrorCode::ERROR_RETRY);
}

#[test]
fn r19_terminate_leaves_the_dll_copy_offline_whatever_its_state_and_drops_pending_work() {
    for st in ResourceState::ALL {
        let (dll, resid) = prepare(Setup::plain(st));
        dll.terminate_raw(resid);
        assert_eq!(state(&dll, resid), Some(Offline), "Terminate from {st}");
        // Pending work is gone: completing it answers INVALID_STATE, no callback (D16).
        for end in [
            WorkloadControl::CompleteOffline(RES),
            WorkloadControl::CompleteOnline(RES),
        ] {
            assert_eq!(dll.send_control(end), ErrorCode::ERROR_INVALID_STATE);
        }
        assert_eq!(
            dll.drain_callbacks(),
            Vec::<DllCallback>::new(),
            "from {st}"
        );
    }
}

#[test]
fn r8_online_v2_validates_like_r1_before_r2() {
    let (dll, resid) = prepare(online());
    let forged = resid ^ (1 << 40);
    // Reserved ≠ 0 or a NULL buffer with a size beat an unknown RESID (R1 before R2).
    assert_eq!(dll.online_v2_raw(forged, None, 0, 1), E87);
    assert_eq!(dll.online_v2_raw(forged, None, 4, 0), E87);
    assert_eq!(dll.online_v2_raw(0, None, 0, 7), E87);
    assert_eq!(
        dll.online_v2_raw(forged, None, 0, 0),
        ErrorCode::ERROR_RESOURCE_NOT_FOUND
    );
    // OnlineFlags are ignored (the host passes 0 here; the export never reads them).
    assert_eq!(state(&dll, resid), Some(Online));
}
