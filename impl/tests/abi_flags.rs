//! All 128 combinations of the seven OfflineV2 flags × every resource state (and locked /
//! busy / unreachable variants) × with and without a destination, through the loaded cdylib.
//!
//! The expected answer comes from [`expected`], written here from the SPEC text (§1, R1–R9),
//! not from the implementation. Every rejection must change nothing (R1, R13 spirit): same
//! DLL state, no callback.

mod abi_common;

use abi_common::{all_setups, prepare, raw, state, Setup, DEST};
use offline_v2::resource_dll::{DllCallback, WorkloadControl};
use offline_v2::types::{ErrorCode, ResourceId, ResourceState};

const IGNORE_RESOURCE_STATUS: u32 = 0x01;
const RETURN_TO_SOURCE_NODE_ON_ERROR: u32 = 0x02;
const RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR: u32 = 0x08;
const IGNORE_NETWORK_CONNECTIVITY: u32 = 0x20;

/// The SPEC's answer: (code, DLL state afterwards).
fn expected(flags: u32, dest: Option<&str>, s: Setup) -> (u32, ResourceState) {
    use ResourceState::*;
    let unchanged = s.state;
    let has = |f: u32| flags & f != 0;
    // R1: bits outside 0x7F, 0x08 with 0x02, 0x02 or 0x08 without a destination.
    if flags & !0x7F != 0 {
        return (87, unchanged);
    }
    if has(RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR) && has(RETURN_TO_SOURCE_NODE_ON_ERROR) {
        return (87, unchanged);
    }
    if (has(RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR) || has(RETURN_TO_SOURCE_NODE_ON_ERROR))
        && dest.is_none()
    {
        return (87, unchanged);
    }
    // R2: the RESID is open (always, here).
    // R3: the resource's state.
    match s.state {
        Offline => return (0, Offline),
        OfflinePending => return (997, OfflinePending),
        OnlinePending => return (5023, OnlinePending),
        Failed => return (0, Offline),
        Online => {}
    }
    // R4: locked without 0x01.
    if s.locked && !has(IGNORE_RESOURCE_STATUS) {
        return (5960, unchanged);
    }
    // R5: a move offline (destination, no 0x08) to an unreachable node, without 0x20.
    if dest.is_some()
        && !has(RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR)
        && s.unreachable
        && !has(IGNORE_NETWORK_CONNECTIVITY)
    {
        return (1232, unchanged);
    }
    // R6: busy without 0x01.
    if s.busy && !has(IGNORE_RESOURCE_STATUS) {
        return (1237, unchanged);
    }
    // R7: go offline.
    if s.offline_sync {
        (0, Offline)
    } else {
        (997, OfflinePending)
    }
}

#[test]
fn all_flag_combinations_in_every_state_with_and_without_destination() {
    let mut cases = 0;
    for setup in all_setups() {
        for dest in [None, Some(DEST)] {
            for flags in 0u32..128 {
                let (dll, resid) = prepare(setup);
                let (code, after) = expected(flags, dest, setup);
                let before = state(&dll, resid);
                let got = dll.offline_v2_raw(&raw(resid, dest, flags));
                let ctx = format!("flags {flags:#04x} dest {dest:?} {setup:?}");
                assert_eq!(got, ErrorCode(code), "{ctx}");
                assert_eq!(state(&dll, resid), Some(after), "{ctx}");
                let rejected = !matches!(code, 0 | 997);
                if rejected {
                    assert_eq!(before, Some(setup.state), "{ctx}");
                }
                // OfflineV2 itself never calls back (only later completions do, R7).
                assert_eq!(dll.drain_callbacks(), Vec::<DllCallback>::new(), "{ctx}");
                if after == ResourceState::OfflinePending {
                    // Exactly one completion, whether this call started the work or found
                    // it already pending (R3: no second completion).
                    assert_eq!(
                        dll.send_control(WorkloadControl::CompleteOffline("vm1")),
                        ErrorCode::ERROR_SUCCESS,
                        "{ctx}"
                    );
                    assert_eq!(
                        dll.send_control(WorkloadControl::CompleteOffline("vm1")),
                        ErrorCode::ERROR_INVALID_STATE,
                        "{ctx}"
                    );
                    assert_eq!(
                        dll.drain_callbacks(),
                        [DllCallback::Status {
                            resource: ResourceId(0),
                            state: ResourceState::Offline
                        }],
                        "{ctx}"
                    );
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, all_setups().len() * 2 * 128);
}

#[test]
fn unknown_bits_are_rejected_in_every_state() {
    for setup in all_setups() {
        for dest in [None, Some(DEST)] {
            for bit in 7..32 {
                let (dll, resid) = prepare(setup);
                abi_common::assert_rejected(
                    &dll,
                    resid,
                    &raw(resid, dest, 1 << bit),
                    ErrorCode::ERROR_INVALID_PARAMETER,
                );
            }
        }
    }
}
