//! The exports of the reference resource DLL (SPEC §1a): `StartupEx`, classic `Startup`, the
//! V4 function table, and the reference-only exports (control, release, state query).
//!
//! **Instances (D1, A1).** A fixed pool of [`POOL`] instances, each a
//! [`SharedInstance`](crate::reference::shared::SharedInstance) with its own `static`
//! function table whose entries are monomorphized per instance (`open_v2::<I>`, …), so an
//! entry point knows its instance without any lookup. `StartupEx` claims a free instance;
//! [`OfflineV2ReferenceRelease`] frees it. A reclaimed instance is reset, never rebuilt, so
//! RESIDs issued before stay stale (R2; slot generations keep counting, A11).
//!
//! **RESIDs (A2).** The instance index is stored in the top byte of every RESID this DLL
//! returns, so a RESID from another instance is `ERROR_RESOURCE_NOT_FOUND` (R2), never a
//! resource of this one.
//!
//! **Threads and callbacks (R8, A11).** OnlineV2, OfflineV2, Terminate, LooksAlive and IsAlive
//! are lock-free (one atomic word per resource); notices are delivered by one deliverer at a
//! time with no lock held, so a host callback may call any export again, from any thread. An
//! entry of the host's callback table is called only if it is non-NULL.
//!
//! **Panics (R8).** Every export runs inside `catch_unwind`; OnlineV2/OfflineV2 also report
//! the resource Failed after a panic inside.

#![allow(non_snake_case)] // resapi.h parameter names

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use super::types::{
    control_op, work_mode, ClresCallbackFunctionTable, ClresFunctionTable, ClresV4Functions,
    ControlRequest, OpaqueFn, ResourceStatus, ResourceStatusEx, SetResourceLockedModeFn,
    SetResourceStatusExFn, SetResourceStatusFn, SignalFailureFn, BOOL, CLRES_V4_FUNCTION_SIZE,
    CLRES_VERSION_V4_00, CLUSTER_RESOURCE_STATE_UNKNOWN, CONTROL_NAME_MAX, DWORD, FALSE, HANDLE,
    HKEY, LPCWSTR, RESID, RESOURCE_HANDLE, TRUE,
};
use crate::reference::rules::{LOW_BYTE_CLASS, UNIT_NODE};
use crate::reference::shared::SharedInstance;
use crate::reference::sync::StdSync;
use crate::reference::{DestArg, Notice, DEST_SCAN_UNITS, FAILURE_TYPE_EMBEDDED, MAX_SLOTS};
use crate::resource_dll::WorkloadControl;
use crate::types::{ErrorCode, NodeName, ResourceState, WorkMode};

/// Instances in the pool (D1: one per node; more than any scenario declares).
pub const POOL: usize = 64;

/// The resource type this DLL implements (SPEC §1a).
pub const RESOURCE_TYPE: &str = "OfflineV2 Reference";

/// `ERROR_NOT_ENOUGH_MEMORY` (SPEC §2): `StartupEx` with every instance of the pool claimed
/// (R8).
pub const ERROR_NOT_ENOUGH_MEMORY: u32 = ErrorCode::ERROR_NOT_ENOUGH_MEMORY.0;

/// Longest `ResourceType` / `ResourceName` scanned, in UTF-16 units (NUL included).
const NAME_SCAN_UNITS: usize = 257;

const TAG_SHIFT: u32 = usize::BITS - 8;
const INNER_MASK: usize = (1usize << TAG_SHIFT) - 1;

/// The host's callbacks this DLL uses, copied at start-up.
#[derive(Clone, Copy)]
struct HostCallbacks {
    status_ex: Option<SetResourceStatusExFn>,
    status: Option<SetResourceStatusFn>,
    locked: Option<SetResourceLockedModeFn>,
    failure: Option<SignalFailureFn>,
}

impl HostCallbacks {
    const NONE: Self = Self {
        status_ex: None,
        status: None,
        locked: None,
        failure: None,
    };
}

/// One instance of the pool: claimed or free, and the instance itself (A1).
struct Slot {
    claimed: AtomicBool,
    core: SharedInstance<StdSync, HostCallbacks, MAX_SLOTS>,
}

impl Slot {
    const fn new() -> Self {
        Self {
            claimed: AtomicBool::new(false),
            core: SharedInstance::new_static(HostCallbacks::NONE),
        }
    }
}

static SLOTS: [Slot; POOL] = [const { Slot::new() }; POOL];

const fn table<const I: usize>() -> ClresFunctionTable {
    ClresFunctionTable {
        TableSize: CLRES_V4_FUNCTION_SIZE,
        Version: CLRES_VERSION_V4_00,
        V4Functions: ClresV4Functions {
            Open: Some(open_v2::<I>),
            Close: Some(close::<I>),
            Online: Some(online_v2::<I>),
            Offline: Some(offline_v2::<I>),
            Terminate: Some(terminate::<I>),
            LooksAlive: Some(looks_alive::<I>),
            IsAlive: Some(is_alive::<I>),
            Arbitrate: None,
            Release: None,
            BeginResourceControl: Some(begin_resource_control),
            BeginResourceTypeControl: Some(begin_resource_type_control),
            Cancel: Some(cancel),
            BeginResourceControlAsUser: Some(begin_resource_control_as_user),
            BeginResourceTypeControlAsUser: Some(begin_resource_type_control_as_user),
        },
    }
}

macro_rules! tables {
    ($($i:literal)*) => { [$(table::<$i>(),)*] };
}

/// One function table per instance (D1).
static TABLES: [ClresFunctionTable; POOL] = tables!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61
    62 63
);

fn index_of_table(table: *const ClresFunctionTable) -> Option<usize> {
    TABLES.iter().position(|t| ptr::eq(t, table))
}

/// RESID as seen by the host: the instance tag in the top byte (A2). Every RESID the core
/// issues fits below it (`RESID_MAX`, 56 bits).
fn encode_resid(index: usize, inner: usize) -> Option<usize> {
    (inner >> TAG_SHIFT == 0).then_some(inner | ((index + 1) << TAG_SHIFT))
}

/// The instance's own RESID, or 0 (never valid, R2) for a RESID of another instance.
#[inline(always)]
fn decode_resid(index: usize, resid: RESID) -> usize {
    let raw = resid as usize;
    if raw >> TAG_SHIFT == index + 1 {
        raw & INNER_MASK
    } else {
        0
    }
}

/// The instance of table `I`.
#[inline(always)]
fn core<const I: usize>() -> &'static SharedInstance<StdSync, HostCallbacks, MAX_SLOTS> {
    &SLOTS[I].core
}

/// Hands one notice to the host (the deliverer calls this with no lock held, A11).
fn deliver(callbacks: HostCallbacks, handle: usize, notice: Notice) {
    call_host(callbacks, handle, notice);
}

fn call_host(callbacks: HostCallbacks, handle: usize, notice: Notice) {
    let handle = handle as RESOURCE_HANDLE;
    match notice {
        Notice::Status(state) => {
            if let Some(f) = callbacks.status_ex {
                let mut status = ResourceStatusEx {
                    ResourceState: state.cluster_value(),
                    CheckPoint: 0,
                    EventHandle: ptr::null_mut(),
                    ApplicationSpecificErrorCode: if state == ResourceState::Failed {
                        ErrorCode::ERROR_GEN_FAILURE.0
                    } else {
                        0
                    },
                    Flags: 0,
                    WaitHint: 0,
                };
                // SAFETY: `f` is the host's non-NULL SetResourceStatusEx (StartupEx
                // contract); `status` is a valid RESOURCE_STATUS_EX for the whole call.
                unsafe { f(handle, &mut status) };
            } else if let Some(f) = callbacks.status {
                let mut status = ResourceStatus {
                    ResourceState: state.cluster_value(),
                    CheckPoint: 0,
                    WaitHint: 0,
                    EventHandle: ptr::null_mut(),
                };
                // SAFETY: the host's non-NULL classic SetResourceStatus (Startup contract);
                // `status` lives for the whole call.
                unsafe { f(handle, &mut status) };
            }
        }
        Notice::LockedMode(locked) => {
            if let Some(f) = callbacks.locked {
                // SAFETY: the host's non-NULL SetResourceLockedMode; plain values only.
                unsafe { f(handle, if locked { TRUE } else { FALSE }, 0) };
            }
        }
        Notice::EmbeddedFailure(code) => {
            if let Some(f) = callbacks.failure {
                // SAFETY: the host's non-NULL SignalFailure; plain values only.
                unsafe { f(handle, FAILURE_TYPE_EMBEDDED as i32, code) };
            }
        }
    }
}

/// Reads a NUL-terminated UTF-16 string of at most `NAME_SCAN_UNITS - 1` units.
///
/// # Safety
/// `text` is NULL or readable up to its NUL or `NAME_SCAN_UNITS` units, whichever is first.
unsafe fn read_name(text: LPCWSTR) -> Option<String> {
    if text.is_null() {
        return None;
    }
    let mut units = [0u16; NAME_SCAN_UNITS];
    for (i, slot) in units.iter_mut().enumerate() {
        // SAFETY: the caller guarantees `text` readable up to its NUL within the bound; we
        // stop at the first NUL.
        let unit = unsafe { *text.add(i) };
        if unit == 0 {
            return String::from_utf16(&units[..i]).ok();
        }
        *slot = unit;
    }
    None
}

fn claim(callbacks: HostCallbacks) -> Option<usize> {
    let index = SLOTS.iter().position(|slot| {
        slot.claimed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    })?;
    // A1: a reclaimed instance is reset, so its generations keep counting; a seeded DLL bug
    // belongs to one claim of the instance, never to the next.
    SLOTS[index].core.claim(callbacks);
    Some(index)
}

fn startup(
    resource_type: LPCWSTR,
    min: DWORD,
    max: DWORD,
    callbacks: HostCallbacks,
    out: *mut *const ClresFunctionTable,
) -> DWORD {
    crate::reference::quiet_injected_panics();
    if !(min..=max).contains(&CLRES_VERSION_V4_00) {
        return ErrorCode::ERROR_REVISION_MISMATCH.0;
    }
    // SAFETY: StartupEx's contract: ResourceType is a NUL-terminated string (read with a bound).
    let matches = unsafe { read_name(resource_type) }
        .is_some_and(|name| name.eq_ignore_ascii_case(RESOURCE_TYPE));
    if !matches {
        return ErrorCode::ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND.0;
    }
    let Some(index) = claim(callbacks) else {
        return ERROR_NOT_ENOUGH_MEMORY;
    };
    // SAFETY: `out` is non-NULL (checked by the caller) and points to a writable table
    // pointer (StartupEx contract). The table is a `static`: valid for the whole process.
    unsafe { out.write(&TABLES[index]) };
    ErrorCode::ERROR_SUCCESS.0
}

/// `StartupEx` (SPEC §1a): claims a fresh instance (D1) and returns its V4 table.
///
/// Answers ERROR_INVALID_PARAMETER for a NULL pointer, ERROR_REVISION_MISMATCH unless
/// 0x400 ∈ [Min, Max], ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND unless the type is
/// `"OfflineV2 Reference"` (ASCII case-insensitive, A4), in that order.
///
/// # Safety
/// Non-NULL pointers must be valid: `ResourceType` NUL-terminated, the callback table
/// readable, `ResourceDllInterfaceFunctions` writable. The callback entries must stay
/// callable while the instance lives.
#[no_mangle]
pub unsafe extern "system" fn StartupEx(
    ResourceType: LPCWSTR,
    MinVersionSupported: DWORD,
    MaxVersionSupported: DWORD,
    MonitorCallbackFunctions: *const ClresCallbackFunctionTable,
    ResourceDllInterfaceFunctions: *mut *const ClresFunctionTable,
) -> DWORD {
    catch_unwind(AssertUnwindSafe(|| {
        if ResourceType.is_null()
            || MonitorCallbackFunctions.is_null()
            || ResourceDllInterfaceFunctions.is_null()
        {
            return ErrorCode::ERROR_INVALID_PARAMETER.0;
        }
        let t = MonitorCallbackFunctions;
        // SAFETY: non-NULL, and readable by the caller's contract. Only the first four
        // entries (the ones this DLL uses) are read, so a host built against an older
        // resapi.h with a shorter table (5 entries) is never read past its end (A10).
        let callbacks = unsafe {
            HostCallbacks {
                status_ex: ptr::read_unaligned(ptr::addr_of!((*t).SetResourceStatusEx)),
                status: None,
                locked: ptr::read_unaligned(ptr::addr_of!((*t).SetResourceLockedMode)),
                failure: ptr::read_unaligned(ptr::addr_of!((*t).SignalFailure)),
            }
        };
        startup(
            ResourceType,
            MinVersionSupported,
            MaxVersionSupported,
            callbacks,
            ResourceDllInterfaceFunctions,
        )
    }))
    .unwrap_or(ErrorCode::ERROR_GEN_FAILURE.0)
}

/// Classic `Startup` (SPEC §1a): the same table, with only the classic SetResourceStatus
/// callback (no locked-mode or failure callbacks; those notices are dropped). LogEvent may be
/// NULL and is never called.
///
/// # Safety
/// As [`StartupEx`]; `SetResourceStatus` must stay callable while the instance lives.
#[no_mangle]
pub unsafe extern "system" fn Startup(
    ResourceType: LPCWSTR,
    MinVersionSupported: DWORD,
    MaxVersionSupported: DWORD,
    SetResourceStatus: Option<SetResourceStatusFn>,
    LogEvent: OpaqueFn,
    FunctionTable: *mut *const ClresFunctionTable,
) -> DWORD {
    let _ = LogEvent;
    catch_unwind(AssertUnwindSafe(|| {
        if ResourceType.is_null() || SetResourceStatus.is_none() || FunctionTable.is_null() {
            return ErrorCode::ERROR_INVALID_PARAMETER.0;
        }
        let callbacks = HostCallbacks {
            status_ex: None,
            status: SetResourceStatus,
            locked: None,
            failure: None,
        };
        startup(
            ResourceType,
            MinVersionSupported,
            MaxVersionSupported,
            callbacks,
            FunctionTable,
        )
    }))
    .unwrap_or(ErrorCode::ERROR_GEN_FAILURE.0)
}

/// `OpenV2`: NULL for a NULL/empty/invalid name, a resource already open here, a full
/// instance or a released table. ResourceKey and OpenFlags are not used.
unsafe extern "system" fn open_v2<const I: usize>(
    ResourceName: LPCWSTR,
    ResourceKey: HKEY,
    ResourceHandle: RESOURCE_HANDLE,
    OpenFlags: DWORD,
) -> RESID {
    let _ = (ResourceKey, OpenFlags);
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: OpenV2 contract: ResourceName is NUL-terminated (read with a bound).
        let name = unsafe { read_name(ResourceName) }?;
        let inner = core::<I>().open(&name, ResourceHandle as usize, &mut deliver)?;
        let resid = encode_resid(I, inner);
        if resid.is_none() {
            core::<I>().close(inner);
        }
        resid
    }))
    .ok()
    .flatten()
    .map_or(ptr::null_mut(), |resid| resid as RESID)
}

unsafe extern "system" fn close<const I: usize>(Resource: RESID) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        core::<I>().close(decode_resid(I, Resource));
    }));
}

unsafe extern "system" fn online_v2<const I: usize>(
    Resource: RESID,
    EventHandle: *mut HANDLE,
    OnlineFlags: DWORD,
    InBuffer: *mut u8,
    InBufferSize: DWORD,
    Reserved: DWORD,
) -> DWORD {
    // A5: EventHandle is never written; OnlineFlags are not interpreted; InBuffer never read.
    let _ = (EventHandle, OnlineFlags);
    let inner = decode_resid(I, Resource);
    // R8: validation like R1 first; a panic inside is ERROR_GEN_FAILURE, resource Failed.
    catch_unwind(AssertUnwindSafe(|| {
        core::<I>()
            .online_v2(inner, InBuffer.is_null(), InBufferSize, Reserved)
            .0
    }))
    .unwrap_or_else(|_| after_panic::<I>(inner))
}

/// R8, after a panic inside OnlineV2/OfflineV2 of `inner`: the resource is reported Failed
/// and the call answers ERROR_GEN_FAILURE (the report itself is guarded too).
#[cold]
fn after_panic<const I: usize>(inner: usize) -> DWORD {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        core::<I>().fail_after_panic(inner, &mut deliver);
    }));
    ErrorCode::ERROR_GEN_FAILURE.0
}

// The unrolled scan below reads units 0..=15.
const _: () = assert!(DEST_SCAN_UNITS == 16);

/// Where a UTF-16 unit's low byte is in memory (the scan reads the two bytes separately).
const LOW: usize = if cfg!(target_endian = "little") { 0 } else { 1 };

/// Reads DestinationNodeName in place and checks its syntax in the same pass (R1, SPEC §3):
/// at most [`DEST_SCAN_UNITS`] units, stopping at the first unit whose low byte is not a
/// node-name character. Per unit (A16): one byte load classified by one 256-entry table
/// ([`LOW_BYTE_CLASS`]) and the high byte ORed into an accumulator; at the stop, the name is
/// valid only if the stopping unit is the NUL and no high byte read was set. A unit with a set
/// high byte is never the NUL, so the next unit is readable by the contract: the scan reads
/// no further than [`DestArg::scan`] may, and decides exactly as it does (tested below).
///
/// # Safety
/// `dest` is NULL or readable up to its NUL or `DEST_SCAN_UNITS` units, whichever is first.
#[inline(always)]
unsafe fn scan_dest<'a>(dest: LPCWSTR) -> DestArg<'a> {
    // SAFETY: the caller's contract, passed on.
    unsafe { scan_dest_with::<true>(dest) }
}

/// [`scan_dest`]; `HIGH = false` ignores the high bytes (a deliberately broken scan: the
/// tests show the comparison with [`DestArg::scan`] catches it).
///
/// # Safety
/// As [`scan_dest`].
#[inline(always)]
unsafe fn scan_dest_with<'a, const HIGH: bool>(dest: LPCWSTR) -> DestArg<'a> {
    if dest.is_null() {
        return DestArg::NULL;
    }
    let bytes = dest.cast::<u8>();
    let mut high = 0u8;
    macro_rules! unit {
        ($i:literal) => {
            // SAFETY: by the caller's contract: units 0..$i were not the NUL (each had a
            // node-name low byte or a set high byte) and $i < DEST_SCAN_UNITS, so unit $i (its
            // two bytes) is readable.
            let (low, hi) = unsafe { (*bytes.add(2 * $i + LOW), *bytes.add(2 * $i + 1 - LOW)) };
            if HIGH {
                high |= hi;
            }
            if LOW_BYTE_CLASS[usize::from(low)] != UNIT_NODE {
                // The NUL is the only unit whose low and high bytes are both 0 (the table's
                // UNIT_END is the low byte 0).
                if low == 0 && high == 0 && $i > 0 {
                    // SAFETY: the $i units before the NUL were just read, so they are
                    // readable; the caller keeps them alive for the call.
                    return DestArg::checked(unsafe { std::slice::from_raw_parts(dest, $i) });
                }
                return DestArg::INVALID;
            }
        };
    }
    unit!(0);
    unit!(1);
    unit!(2);
    unit!(3);
    unit!(4);
    unit!(5);
    unit!(6);
    unit!(7);
    unit!(8);
    unit!(9);
    unit!(10);
    unit!(11);
    unit!(12);
    unit!(13);
    unit!(14);
    // The 16th unit (index NODE_NAME_MAX) can only be the NUL of a 15-unit name.
    // SAFETY: units 0..15 were not the NUL, so unit 15 is readable.
    let (low, hi) = unsafe { (*bytes.add(30 + LOW), *bytes.add(31 - LOW)) };
    if HIGH {
        high |= hi;
    }
    if low == 0 && high == 0 {
        // SAFETY: the 15 units before the NUL were just read.
        return DestArg::checked(unsafe { std::slice::from_raw_parts(dest, DEST_SCAN_UNITS - 1) });
    }
    DestArg::INVALID
}

unsafe extern "system" fn offline_v2<const I: usize>(
    Resource: RESID,
    DestinationNodeName: LPCWSTR,
    OfflineFlags: DWORD,
    InBuffer: *mut u8,
    InBufferSize: DWORD,
    Reserved: DWORD,
) -> DWORD {
    // Hot path (SPEC §8, A16): no lock, no allocation; R1–R7 in order (R9); R8 by the one
    // `catch_unwind` of the export. The RESID goes in as the host passed it: the instance tag
    // is checked together with the slot's generation (R2).
    catch_unwind(AssertUnwindSafe(|| {
        core::<I>()
            .offline_v2_raw(
                Resource as usize,
                I + 1,
                OfflineFlags,
                InBuffer.is_null(),
                InBufferSize,
                Reserved,
                // SAFETY: OfflineV2 contract (SPEC §1): NULL or a NUL-terminated string; R1
                // bounds the scan to 16 units, so an unterminated name is never read past that.
                || unsafe { scan_dest(DestinationNodeName) },
            )
            .0
    }))
    .unwrap_or_else(|_| after_panic::<I>(decode_resid(I, Resource)))
}

unsafe extern "system" fn terminate<const I: usize>(Resource: RESID) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        core::<I>().terminate(decode_resid(I, Resource));
    }));
}

fn alive<const I: usize>(resource: RESID) -> BOOL {
    catch_unwind(AssertUnwindSafe(|| {
        if core::<I>().state_of(decode_resid(I, resource)) == Some(ResourceState::Online) {
            TRUE
        } else {
            FALSE
        }
    }))
    .unwrap_or(FALSE)
}

/// `LooksAlive`: TRUE iff the RESID is open here and Online.
unsafe extern "system" fn looks_alive<const I: usize>(Resource: RESID) -> BOOL {
    alive::<I>(Resource)
}

/// `IsAlive`: TRUE iff the RESID is open here and Online.
unsafe extern "system" fn is_alive<const I: usize>(Resource: RESID) -> BOOL {
    alive::<I>(Resource)
}

// The signature is fixed by resapi.h (PBEGIN_RESOURCE_CONTROL and its siblings): 9-10 arguments.
#[allow(clippy::too_many_arguments)]
unsafe extern "system" fn begin_resource_control(
    _: RESID,
    _: DWORD,
    _: *mut std::ffi::c_void,
    _: DWORD,
    _: *mut std::ffi::c_void,
    _: DWORD,
    _: *mut DWORD,
    _: i64,
    _: *mut BOOL,
) -> DWORD {
    ErrorCode::ERROR_INVALID_FUNCTION.0
}

// The signature is fixed by resapi.h (PBEGIN_RESOURCE_CONTROL and its siblings): 9-10 arguments.
#[allow(clippy::too_many_arguments)]
unsafe extern "system" fn begin_resource_type_control(
    _: LPCWSTR,
    _: DWORD,
    _: *mut std::ffi::c_void,
    _: DWORD,
    _: *mut std::ffi::c_void,
    _: DWORD,
    _: *mut DWORD,
    _: i64,
    _: *mut BOOL,
) -> DWORD {
    ErrorCode::ERROR_INVALID_FUNCTION.0
}

unsafe extern "system" fn cancel(_: RESID, _: DWORD) -> DWORD {
    ErrorCode::ERROR_INVALID_FUNCTION.0
}

// The signature is fixed by resapi.h (PBEGIN_RESOURCE_CONTROL and its siblings): 9-10 arguments.
#[allow(clippy::too_many_arguments)]
unsafe extern "system" fn begin_resource_control_as_user(
    _: RESID,
    _: HANDLE,
    _: DWORD,
    _: *mut std::ffi::c_void,
    _: DWORD,
    _: *mut std::ffi::c_void,
    _: DWORD,
    _: *mut DWORD,
    _: i64,
    _: *mut BOOL,
) -> DWORD {
    ErrorCode::ERROR_INVALID_FUNCTION.0
}

// The signature is fixed by resapi.h (PBEGIN_RESOURCE_CONTROL and its siblings): 9-10 arguments.
#[allow(clippy::too_many_arguments)]
unsafe extern "system" fn begin_resource_type_control_as_user(
    _: LPCWSTR,
    _: HANDLE,
    _: DWORD,
    _: *mut std::ffi::c_void,
    _: DWORD,
    _: *mut std::ffi::c_void,
    _: DWORD,
    _: *mut DWORD,
    _: i64,
    _: *mut BOOL,
) -> DWORD {
    ErrorCode::ERROR_INVALID_FUNCTION.0
}

fn work_mode_of(value: DWORD) -> Option<WorkMode> {
    match value {
        work_mode::SYNC => Some(WorkMode::Sync),
        work_mode::PENDING => Some(WorkMode::Pending),
        _ => None,
    }
}

/// Applies one decoded control request to instance `index`.
fn apply_control(index: usize, request: &ControlRequest, name: &[u16]) -> ErrorCode {
    let invalid = ErrorCode::ERROR_INVALID_PARAMETER;
    let Ok(text) = String::from_utf16(name) else {
        return invalid;
    };
    let node = || NodeName::from_utf16(name).ok();
    let control = match request.Op {
        control_op::SET_LOCAL_NODE => match node() {
            Some(n) => WorkloadControl::SetLocalNode(n),
            None => return invalid,
        },
        control_op::CONFIGURE => {
            let (Some(offline), Some(online)) = (
                work_mode_of(request.OfflineMode),
                work_mode_of(request.OnlineMode),
            ) else {
                return invalid;
            };
            WorkloadControl::Configure {
                resource: &text,
                offline,
                online,
                running: request.Running != FALSE,
            }
        }
        control_op::COMPLETE_OFFLINE => WorkloadControl::CompleteOffline(&text),
        control_op::FAIL_OFFLINE => WorkloadControl::FailOffline(&text),
        control_op::COMPLETE_ONLINE => WorkloadControl::CompleteOnline(&text),
        control_op::FAIL_ONLINE => WorkloadControl::FailOnline(&text),
        control_op::LOCK => WorkloadControl::Lock(&text),
        control_op::UNLOCK => WorkloadControl::Unlock(&text),
        control_op::BUSY => WorkloadControl::Busy(&text),
        control_op::UNBUSY => WorkloadControl::Unbusy(&text),
        control_op::NET_DOWN => match node() {
            Some(n) => WorkloadControl::NetDown(n),
            None => return invalid,
        },
        control_op::NET_UP => match node() {
            Some(n) => WorkloadControl::NetUp(n),
            None => return invalid,
        },
        control_op::EMBEDDED_FAILURE => WorkloadControl::EmbeddedFailure(&text),
        control_op::INJECT_PANIC => WorkloadControl::InjectPanic(&text),
        control_op::RESET => WorkloadControl::Reset,
        // Tests only: switch a seeded DLL bug on (name = `SeededBug::name`); a build without
        // the feature answers ERROR_INVALID_FUNCTION, like any unknown op.
        #[cfg(feature = "seeded-bugs")]
        control_op::SEEDED_BUG => {
            let Some(bug) = crate::seeded::SeededBug::from_name(&text) else {
                return invalid;
            };
            let core = &SLOTS[index].core;
            if !core.is_claimed() {
                return invalid;
            }
            core.set_seeded_bug(bug);
            return ErrorCode::ERROR_SUCCESS;
        }
        _ => return ErrorCode::ERROR_INVALID_FUNCTION,
    };
    // Unclaimed instance: the table was released (A6) → ERROR_INVALID_PARAMETER.
    SLOTS[index].core.control(control, &mut deliver)
}

/// The control export (SPEC §1a; ARCHITECTURE.md "The control export"): drives the workload
/// of the instance behind `Table` with one [`ControlRequest`].
///
/// Answers what `Instance::control` answers (ERROR_SUCCESS, ERROR_INVALID_STATE,
/// ERROR_RESOURCE_NOT_FOUND), ERROR_INVALID_PARAMETER for a table that is not a claimed
/// instance of this DLL, a NULL request or a bad name/mode, ERROR_INVALID_FUNCTION for an
/// unknown op. Callbacks it causes are delivered before it returns.
///
/// # Safety
/// `Request` is NULL or points to a readable request whose `Name` is readable for
/// `NameLength` units. `Table` is only compared, never read.
#[no_mangle]
pub unsafe extern "system" fn OfflineV2ReferenceControl(
    Table: *const ClresFunctionTable,
    Request: *const ControlRequest,
) -> DWORD {
    catch_unwind(AssertUnwindSafe(|| {
        let invalid = ErrorCode::ERROR_INVALID_PARAMETER.0;
        let Some(index) = index_of_table(Table) else {
            return invalid;
        };
        if Request.is_null() {
            return invalid;
        }
        // SAFETY: non-NULL and readable by the caller's contract.
        let request = unsafe { ptr::read_unaligned(Request) };
        if request.NameLength > CONTROL_NAME_MAX {
            return invalid;
        }
        let mut units = [0u16; CONTROL_NAME_MAX as usize];
        let len = request.NameLength as usize;
        if len > 0 {
            if request.Name.is_null() {
                return invalid;
            }
            // SAFETY: `Name` is readable for `NameLength` (≤ CONTROL_NAME_MAX) units by the
            // caller's contract; the destination has room for CONTROL_NAME_MAX units.
            unsafe { ptr::copy_nonoverlapping(request.Name, units.as_mut_ptr(), len) };
        }
        apply_control(index, &request, &units[..len]).0
    }))
    .unwrap_or(ErrorCode::ERROR_GEN_FAILURE.0)
}

/// Releases the instance behind `Table` (D1): it forgets everything and its table may be
/// handed out again by a later `StartupEx`. ERROR_INVALID_PARAMETER if `Table` is not a
/// claimed instance of this DLL.
///
/// # Safety
/// None beyond the `system` ABI: `Table` is only compared, never read.
#[no_mangle]
pub unsafe extern "system" fn OfflineV2ReferenceRelease(Table: *const ClresFunctionTable) -> DWORD {
    catch_unwind(AssertUnwindSafe(|| {
        let Some(index) = index_of_table(Table) else {
            return ErrorCode::ERROR_INVALID_PARAMETER.0;
        };
        let slot = &SLOTS[index];
        if !slot.core.release(HostCallbacks::NONE) {
            return ErrorCode::ERROR_INVALID_PARAMETER.0;
        }
        slot.claimed.store(false, Ordering::Release);
        ErrorCode::ERROR_SUCCESS.0
    }))
    .unwrap_or(ErrorCode::ERROR_GEN_FAILURE.0)
}

/// What the instance behind `Table` believes about `Resource`: its `CLUSTER_RESOURCE_STATE`,
/// or `ClusterResourceStateUnknown` (-1) if it holds no such RESID (tests, conformance).
///
/// # Safety
/// None beyond the `system` ABI: `Table` and `Resource` are only compared, never read.
#[no_mangle]
pub unsafe extern "system" fn OfflineV2ReferenceState(
    Table: *const ClresFunctionTable,
    Resource: RESID,
) -> i32 {
    catch_unwind(AssertUnwindSafe(|| {
        let Some(index) = index_of_table(Table) else {
            return CLUSTER_RESOURCE_STATE_UNKNOWN;
        };
        SLOTS[index]
            .core
            .state_of(decode_resid(index, Resource))
            .map_or(CLUSTER_RESOURCE_STATE_UNKNOWN, ResourceState::cluster_value)
    }))
    .unwrap_or(CLUSTER_RESOURCE_STATE_UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resid_tags_separate_instances() {
        let r = encode_resid(3, 0x1_0000_0001).map(|r| r as RESID);
        let Some(r) = r else { panic!("encodable") };
        assert_eq!(decode_resid(3, r), 0x1_0000_0001);
        assert_eq!(decode_resid(4, r), 0);
        assert_eq!(decode_resid(3, ptr::null_mut()), 0);
        assert!(encode_resid(0, 1usize << TAG_SHIFT).is_none());
    }

    /// The first name on which `scan` and [`DestArg::scan`] disagree: every name of up to 3
    /// units over an alphabet of node-name characters, other ASCII, the NUL and non-ASCII units
    /// (some with a node-name or NUL low byte), then every length up to 17 with a bad last unit.
    fn first_scan_mismatch(scan: unsafe fn(LPCWSTR) -> DestArg<'static>) -> Option<Vec<u16>> {
        let units: Vec<u16> = [b'n', b'2', b'-', b'Z', b'_', 0]
            .iter()
            .map(|&b| u16::from(b))
            // Non-ASCII units whose low byte is a node-name character ('-', 'A') or the NUL:
            // the fused scan must reject them by their high byte.
            .chain([0x00E9, 0x4E2D, 0xD83D, 0x0100, 0x0141])
            .collect();
        let differs = |name: &[u16]| {
            // The host's buffer: the units, then a NUL, so no scan reads past it. Boxed and
            // lent as 'static for the comparison only, then freed (valgrind sees no leak).
            let mut buf = name.to_vec();
            buf.push(0);
            let raw: *mut [u16] = Box::into_raw(buf.into_boxed_slice());
            // SAFETY: `raw` comes from `Box::into_raw` and is freed only below, after the
            // last use of this borrow.
            let lent: &'static [u16] = unsafe { &*raw };
            // SAFETY: `lent` is NUL-terminated and alive until it is freed below.
            let abi = unsafe { scan(lent.as_ptr()) };
            let differs = abi != DestArg::scan(lent);
            // SAFETY: `raw` came from `Box::into_raw`; nothing borrows it any more (`abi` and
            // the rules' scan are compared and no longer used).
            drop(unsafe { Box::from_raw(raw) });
            differs
        };
        let mut names: Vec<Vec<u16>> = Vec::new();
        for a in &units {
            names.push(vec![*a]);
            for b in &units {
                names.push(vec![*a, *b]);
                for c in &units {
                    names.push(vec![*a, *b, *c]);
                }
            }
        }
        for len in 0..=17 {
            let name = vec![u16::from(b'a'); len];
            names.push(name.clone());
            for bad in [u16::from(b'.'), 0x00E9, 0x0100, 0x0141] {
                let mut late = name.clone();
                late.push(bad);
                names.push(late);
            }
        }
        names.into_iter().find(|n| differs(n))
    }

    #[test]
    fn unrolled_destination_scan_decides_as_the_rules_scan() {
        assert_eq!(first_scan_mismatch(scan_dest), None);
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { scan_dest(ptr::null()) }, DestArg::NULL);
    }

    #[test]
    fn the_scan_comparison_catches_a_scan_that_ignores_high_bytes() {
        // A16's broken variant: without the high-byte accumulator U+0100 reads as the NUL and
        // U+0141 as 'A'.
        let found = first_scan_mismatch(scan_dest_with::<false>);
        assert!(found.is_some(), "a scan ignoring high bytes went unnoticed");
    }

    #[test]
    fn every_table_is_v4_and_distinct() {
        for (i, t) in TABLES.iter().enumerate() {
            assert_eq!(t.TableSize, CLRES_V4_FUNCTION_SIZE);
            assert_eq!(t.Version, 0x400);
            assert!(t.V4Functions.Arbitrate.is_none());
            assert!(t.V4Functions.Release.is_none());
            assert_eq!(index_of_table(t), Some(i));
        }
        let a = TABLES[0].V4Functions.Offline.map(|f| f as usize);
        let b = TABLES[1].V4Functions.Offline.map(|f| f as usize);
        assert_ne!(a, b, "entries are monomorphized per instance");
    }
}
