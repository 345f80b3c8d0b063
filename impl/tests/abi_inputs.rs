//! Each invalid-input class of R1 and R2, through the loaded cdylib: the exact code and no
//! state change (same DLL state, no callback).

mod abi_common;

use abi_common::{assert_rejected, ctl, dll, instance, prepare, raw, state, Setup, DEST, RES};
use offline_v2::resource_dll::{RawDest, RawOfflineV2, WorkloadControl};
use offline_v2::types::{ErrorCode, ResourceId, ResourceState};

const E87: ErrorCode = ErrorCode::ERROR_INVALID_PARAMETER;
const E5007: ErrorCode = ErrorCode::ERROR_RESOURCE_NOT_FOUND;

fn online() -> Setup {
    Setup::plain(ResourceState::Online)
}

fn with_units(resid: usize, units: Vec<u16>, terminated: bool, flags: u32) -> RawOfflineV2 {
    RawOfflineV2 {
        dest: RawDest::Units { units, terminated },
        ..raw(resid, None, flags)
    }
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

#[test]
fn unknown_bits() {
    let (dll, resid) = prepare(online());
    for flags in [0x80, 0x100, 0x8000_0000, 0xFFFF_FFFF, 0x7F | 0x80] {
        assert_rejected(&dll, resid, &raw(resid, None, flags), E87);
        assert_rejected(&dll, resid, &raw(resid, Some(DEST), flags), E87);
    }
}

#[test]
fn reserved_not_zero() {
    let (dll, resid) = prepare(online());
    for reserved in [1, 0x80, u32::MAX] {
        let call = RawOfflineV2 {
            reserved,
            ..raw(resid, None, 0)
        };
        assert_rejected(&dll, resid, &call, E87);
    }
}

#[test]
fn null_buffer_with_size() {
    let (dll, resid) = prepare(online());
    for size in [1, 16, u32::MAX] {
        let call = RawOfflineV2 {
            inbuf_size: size,
            ..raw(resid, None, 0)
        };
        assert_rejected(&dll, resid, &call, E87);
    }
    // A real buffer with a size is accepted (the DLL never reads it).
    let call = RawOfflineV2 {
        inbuf: Some(vec![1, 2, 3]),
        inbuf_size: 64,
        ..raw(resid, None, 0)
    };
    assert_eq!(dll.offline_v2_raw(&call), ErrorCode::ERROR_IO_PENDING);
}

#[test]
fn returning_together_with_return_to_source() {
    let (dll, resid) = prepare(online());
    assert_rejected(&dll, resid, &raw(resid, Some(DEST), 0x08 | 0x02), E87);
    assert_rejected(&dll, resid, &raw(resid, Some(DEST), 0x7F), E87);
}

#[test]
fn returning_or_return_to_source_without_destination() {
    let (dll, resid) = prepare(online());
    assert_rejected(&dll, resid, &raw(resid, None, 0x08), E87);
    assert_rejected(&dll, resid, &raw(resid, None, 0x02), E87);
    assert_rejected(&dll, resid, &raw(resid, None, 0x02 | 0x01 | 0x40), E87);
}

#[test]
fn empty_destination() {
    let (dll, resid) = prepare(online());
    assert_rejected(&dll, resid, &raw(resid, Some(""), 0), E87);
    assert_rejected(
        &dll,
        resid,
        &with_units(resid, vec![0, 0x6E], true, 0x02),
        E87,
    );
}

#[test]
fn malformed_destination_bad_char_and_lone_surrogate() {
    let (dll, resid) = prepare(online());
    for bad in ["n_1", "n.1", "n 1", "nœud", "n1\u{1F600}"] {
        assert_rejected(&dll, resid, &raw(resid, Some(bad), 0), E87);
    }
    for units in [vec![0xD800], vec![0x6E, 0xDC00], vec![0x6E, 0xD83D, 0x31]] {
        assert_rejected(&dll, resid, &with_units(resid, units, true, 0), E87);
    }
}

#[test]
fn unterminated_destination() {
    let (dll, resid) = prepare(online());
    // The host pads to 16 non-NUL units: the DLL's 16-unit scan finds no NUL (R1).
    for units in [
        utf16("n2"),
        utf16("node-15-chars-x"),
        utf16("node-16-chars-xx"),
    ] {
        assert_rejected(&dll, resid, &with_units(resid, units, false, 0x02), E87);
    }
}

#[test]
fn overlong_destination() {
    let (dll, resid) = prepare(online());
    for len in [16, 17, 64, 300] {
        let name = "a".repeat(len);
        assert_rejected(&dll, resid, &raw(resid, Some(&name), 0), E87);
    }
    // 15 units is the longest valid name.
    assert_eq!(
        dll.offline_v2_raw(&raw(resid, Some("node-15-chars-x"), 0)),
        ErrorCode::ERROR_IO_PENDING
    );
}

#[test]
fn destination_stops_at_the_first_nul() {
    // "n2\0<garbage>": the name is "n2" (valid).
    let (dll, resid) = prepare(online());
    let mut units = utf16("n2");
    units.push(0);
    units.extend(utf16("__bad__"));
    assert_eq!(
        dll.offline_v2_raw(&with_units(resid, units, true, 0x02)),
        ErrorCode::ERROR_IO_PENDING
    );
}

#[test]
fn forged_resids() {
    let (dll, resid) = prepare(online());
    for forged in [1usize, 2, 0xdead_beef, usize::MAX, resid ^ 0x10, resid + 1] {
        assert_rejected(&dll, resid, &raw(forged, None, 0), E5007);
    }
}

#[test]
fn stale_closed_resid() {
    let (dll, resid) = prepare(online());
    dll.close_raw(resid);
    assert_eq!(state(&dll, resid), None);
    assert_eq!(dll.offline_v2_raw(&raw(resid, None, 0)), E5007);
    // Re-opened: a new RESID; the old one stays stale.
    let again = dll
        .open_resource(ResourceId(0), RES)
        .expect("reopen")
        .0
        .get();
    assert_ne!(again, resid);
    assert_rejected(&dll, again, &raw(resid, None, 0), E5007);
}

#[test]
fn resid_zero() {
    let (dll, resid) = prepare(online());
    assert_rejected(&dll, resid, &raw(0, None, 0), E5007);
    assert_rejected(&dll, resid, &raw(0, Some(DEST), 0x01), E5007);
}

#[test]
fn resid_from_another_instance() {
    let (a, resid_a) = prepare(online());
    let (b, resid_b) = prepare(online());
    assert_ne!(
        a.table_address(),
        b.table_address(),
        "D1: one table per instance"
    );
    assert_ne!(resid_a, resid_b, "A2: RESIDs carry their instance");
    assert_rejected(&a, resid_a, &raw(resid_b, None, 0), E5007);
    assert_rejected(&b, resid_b, &raw(resid_a, None, 0), E5007);
    assert_eq!(state(&b, resid_b), Some(ResourceState::Online));
}

#[test]
fn resid_after_reset() {
    let (dll, resid) = prepare(online());
    ctl(&dll, WorkloadControl::Reset);
    assert_eq!(dll.offline_v2_raw(&raw(resid, None, 0)), E5007);
    // After a reset the same resource opens with a fresh RESID; the old one stays stale.
    ctl(
        &dll,
        WorkloadControl::Configure {
            resource: RES,
            offline: offline_v2::types::WorkMode::Pending,
            online: offline_v2::types::WorkMode::Pending,
            running: true,
        },
    );
    let fresh = dll.open_resource(ResourceId(0), RES).expect("open").0.get();
    assert_ne!(fresh, resid);
    assert_rejected(&dll, fresh, &raw(resid, None, 0), E5007);
}

#[test]
fn resid_after_the_instance_was_released_and_reclaimed() {
    // A1: a released instance is reset, not rebuilt: its old RESIDs stay stale when a later
    // StartupEx gets the same table.
    let (old, resid) = prepare(online());
    let table = old.table_address();
    drop(old);
    let mut held = Vec::new();
    for _ in 0..offline_v2::abi::dll::POOL {
        let Ok(next) = dll().instance() else { break };
        if next.table_address() == table {
            ctl(
                &next,
                WorkloadControl::Configure {
                    resource: RES,
                    offline: offline_v2::types::WorkMode::Pending,
                    online: offline_v2::types::WorkMode::Pending,
                    running: true,
                },
            );
            let fresh = next
                .open_resource(ResourceId(0), RES)
                .expect("open")
                .0
                .get();
            assert_rejected(&next, fresh, &raw(resid, None, 0), E5007);
            return;
        }
        held.push(next);
    }
    // Other tests of this binary hold instances concurrently; the table may be taken.
    eprintln!("table not reclaimed in this run (held by a concurrent test)");
}

#[test]
fn open_rejects_null_empty_and_duplicate_names() {
    let dll = instance();
    assert!(dll.open_units(ResourceId(0), None).is_none());
    assert!(dll.open_units(ResourceId(0), Some(&[0])).is_none());
    assert!(dll.open_units(ResourceId(0), Some(&[0xD800, 0])).is_none());
    assert!(dll.open_resource(ResourceId(0), RES).is_some());
    assert!(
        dll.open_resource(ResourceId(1), RES).is_none(),
        "one RESID per resource"
    );
    assert!(dll.open_resource(ResourceId(1), &"x".repeat(400)).is_none());
}

#[test]
fn control_export_rejects_bad_requests() {
    let dll = instance();
    assert_eq!(
        dll.send_control_raw(999, &[]),
        ErrorCode::ERROR_INVALID_FUNCTION
    );
    // Bad node names for node ops.
    let bad: Vec<u16> = "n_1".encode_utf16().collect();
    assert_eq!(
        dll.send_control_raw(offline_v2::abi::types::control_op::NET_DOWN, &bad),
        E87
    );
    assert_eq!(
        dll.send_control_raw(offline_v2::abi::types::control_op::SET_LOCAL_NODE, &[]),
        E87
    );
    // A name longer than the export accepts.
    let long = vec![u16::from(b'a'); 300];
    assert_eq!(
        dll.send_control_raw(offline_v2::abi::types::control_op::LOCK, &long),
        E87
    );
    // Completion with nothing pending / unknown resource.
    assert_eq!(
        dll.send_control(WorkloadControl::CompleteOffline("nope")),
        ErrorCode::ERROR_RESOURCE_NOT_FOUND
    );
}
