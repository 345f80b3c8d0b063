//! `#[repr(C)]` layouts of resapi.h (SPEC §1a), field by field.
//!
//! Field names keep the Windows spelling so that they can be checked against the header.
//! Every function pointer that a table may leave NULL is an `Option<unsafe extern "system" fn>`
//! (the niche makes `None` a NULL pointer, the same size as the C pointer).

#![allow(non_snake_case, non_camel_case_types)]

use std::ffi::c_void;

/// `DWORD`.
pub type DWORD = u32;
/// `BOOL`.
pub type BOOL = i32;
/// `LPCWSTR`: a NUL-terminated UTF-16 string (the DLL scans it with a bound).
pub type LPCWSTR = *const u16;
/// `RESID`: the DLL's opaque handle of an open resource.
pub type RESID = *mut c_void;
/// `RESOURCE_HANDLE`: the host's opaque handle of a resource, passed back in callbacks.
pub type RESOURCE_HANDLE = *mut c_void;
/// `HKEY`.
pub type HKEY = *mut c_void;
/// `HANDLE`.
pub type HANDLE = *mut c_void;

/// `CLRES_VERSION_V4_00`.
pub const CLRES_VERSION_V4_00: DWORD = 0x400;
/// `CLRES_V4_FUNCTION_SIZE` = `sizeof(CLRES_V4_FUNCTIONS)`, the `TableSize` of our table.
pub const CLRES_V4_FUNCTION_SIZE: DWORD = std::mem::size_of::<ClresV4Functions>() as DWORD;
/// `TRUE`.
pub const TRUE: BOOL = 1;
/// `FALSE`.
pub const FALSE: BOOL = 0;
/// `ClusterResourceStateUnknown` (clusapi.h): what the state query answers for no resource.
pub const CLUSTER_RESOURCE_STATE_UNKNOWN: i32 = -1;

/// `POPEN_V2_ROUTINE`.
pub type OpenV2Fn = unsafe extern "system" fn(
    ResourceName: LPCWSTR,
    ResourceKey: HKEY,
    ResourceHandle: RESOURCE_HANDLE,
    OpenFlags: DWORD,
) -> RESID;
/// `PCLOSE_ROUTINE`.
pub type CloseFn = unsafe extern "system" fn(Resource: RESID);
/// `PONLINE_V2_ROUTINE`.
pub type OnlineV2Fn = unsafe extern "system" fn(
    Resource: RESID,
    EventHandle: *mut HANDLE,
    OnlineFlags: DWORD,
    InBuffer: *mut u8,
    InBufferSize: DWORD,
    Reserved: DWORD,
) -> DWORD;
/// `POFFLINE_V2_ROUTINE` (SPEC §1).
pub type OfflineV2Fn = unsafe extern "system" fn(
    Resource: RESID,
    DestinationNodeName: LPCWSTR,
    OfflineFlags: DWORD,
    InBuffer: *mut u8,
    InBufferSize: DWORD,
    Reserved: DWORD,
) -> DWORD;
/// `PTERMINATE_ROUTINE`.
pub type TerminateFn = unsafe extern "system" fn(Resource: RESID);
/// `PLOOKS_ALIVE_ROUTINE`.
pub type LooksAliveFn = unsafe extern "system" fn(Resource: RESID) -> BOOL;
/// `PIS_ALIVE_ROUTINE`.
pub type IsAliveFn = unsafe extern "system" fn(Resource: RESID) -> BOOL;
/// `PQUORUM_RESOURCE_LOST`.
pub type QuorumResourceLostFn = unsafe extern "system" fn(Resource: RESOURCE_HANDLE);
/// `PARBITRATE_ROUTINE`.
pub type ArbitrateFn = unsafe extern "system" fn(
    Resource: RESID,
    LostQuorumResource: Option<QuorumResourceLostFn>,
) -> DWORD;
/// `PRELEASE_ROUTINE`.
pub type ReleaseFn = unsafe extern "system" fn(Resource: RESID) -> DWORD;
/// `PBEGIN_RESCALL_ROUTINE`.
pub type BeginResCallFn = unsafe extern "system" fn(
    Resource: RESID,
    ControlCode: DWORD,
    InBuffer: *mut c_void,
    InBufferSize: DWORD,
    OutBuffer: *mut c_void,
    OutBufferSize: DWORD,
    BytesReturned: *mut DWORD,
    context: i64,
    ReturnedAsynchronously: *mut BOOL,
) -> DWORD;
/// `PBEGIN_RESTYPECALL_ROUTINE`.
pub type BeginResTypeCallFn = unsafe extern "system" fn(
    ResourceTypeName: LPCWSTR,
    ControlCode: DWORD,
    InBuffer: *mut c_void,
    InBufferSize: DWORD,
    OutBuffer: *mut c_void,
    OutBufferSize: DWORD,
    BytesReturned: *mut DWORD,
    context: i64,
    ReturnedAsynchronously: *mut BOOL,
) -> DWORD;
/// `PCANCEL_ROUTINE`.
pub type CancelFn =
    unsafe extern "system" fn(Resource: RESID, CancelFlags_RESERVED: DWORD) -> DWORD;
/// `PBEGIN_RESCALL_AS_USER_ROUTINE`.
pub type BeginResCallAsUserFn = unsafe extern "system" fn(
    Resource: RESID,
    TokenHandle: HANDLE,
    ControlCode: DWORD,
    InBuffer: *mut c_void,
    InBufferSize: DWORD,
    OutBuffer: *mut c_void,
    OutBufferSize: DWORD,
    BytesReturned: *mut DWORD,
    context: i64,
    ReturnedAsynchronously: *mut BOOL,
) -> DWORD;
/// `PBEGIN_RESTYPECALL_AS_USER_ROUTINE`.
pub type BeginResTypeCallAsUserFn = unsafe extern "system" fn(
    ResourceTypeName: LPCWSTR,
    TokenHandle: HANDLE,
    ControlCode: DWORD,
    InBuffer: *mut c_void,
    InBufferSize: DWORD,
    OutBuffer: *mut c_void,
    OutBufferSize: DWORD,
    BytesReturned: *mut DWORD,
    context: i64,
    ReturnedAsynchronously: *mut BOOL,
) -> DWORD;

/// `CLRES_V4_FUNCTIONS`, in resapi.h order.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ClresV4Functions {
    /// OpenV2.
    pub Open: Option<OpenV2Fn>,
    /// Close.
    pub Close: Option<CloseFn>,
    /// OnlineV2.
    pub Online: Option<OnlineV2Fn>,
    /// OfflineV2.
    pub Offline: Option<OfflineV2Fn>,
    /// Terminate.
    pub Terminate: Option<TerminateFn>,
    /// LooksAlive.
    pub LooksAlive: Option<LooksAliveFn>,
    /// IsAlive.
    pub IsAlive: Option<IsAliveFn>,
    /// Arbitrate (NULL: not a quorum resource).
    pub Arbitrate: Option<ArbitrateFn>,
    /// Release (NULL: not a quorum resource).
    pub Release: Option<ReleaseFn>,
    /// BeginResourceControl.
    pub BeginResourceControl: Option<BeginResCallFn>,
    /// BeginResourceTypeControl.
    pub BeginResourceTypeControl: Option<BeginResTypeCallFn>,
    /// Cancel.
    pub Cancel: Option<CancelFn>,
    /// BeginResourceControlAsUser.
    pub BeginResourceControlAsUser: Option<BeginResCallAsUserFn>,
    /// BeginResourceTypeControlAsUser.
    pub BeginResourceTypeControlAsUser: Option<BeginResTypeCallAsUserFn>,
}

/// `CLRES_FUNCTION_TABLE` with its union read as `V4Functions` (the largest member, so the
/// size and offsets equal the C union's).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ClresFunctionTable {
    /// `sizeof` the functions struct ([`CLRES_V4_FUNCTION_SIZE`]).
    pub TableSize: DWORD,
    /// [`CLRES_VERSION_V4_00`].
    pub Version: DWORD,
    /// The entry points.
    pub V4Functions: ClresV4Functions,
}

/// `RESOURCE_STATUS_EX`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ResourceStatusEx {
    /// `CLUSTER_RESOURCE_STATE` (Online 2, Offline 3, Failed 4, 129, 130).
    pub ResourceState: i32,
    /// CheckPoint.
    pub CheckPoint: DWORD,
    /// EventHandle.
    pub EventHandle: HANDLE,
    /// ApplicationSpecificErrorCode.
    pub ApplicationSpecificErrorCode: DWORD,
    /// Flags.
    pub Flags: DWORD,
    /// WaitHint.
    pub WaitHint: DWORD,
}

/// `RESOURCE_STATUS` (the classic `Startup` callback's argument).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ResourceStatus {
    /// `CLUSTER_RESOURCE_STATE`.
    pub ResourceState: i32,
    /// CheckPoint.
    pub CheckPoint: DWORD,
    /// WaitHint.
    pub WaitHint: DWORD,
    /// EventHandle.
    pub EventHandle: HANDLE,
}

/// `PSET_RESOURCE_STATUS_ROUTINE_EX`.
pub type SetResourceStatusExFn = unsafe extern "system" fn(
    ResourceHandle: RESOURCE_HANDLE,
    ResourceStatus: *mut ResourceStatusEx,
) -> DWORD;
/// `PSET_RESOURCE_STATUS_ROUTINE` (classic `Startup`).
pub type SetResourceStatusFn = unsafe extern "system" fn(
    ResourceHandle: RESOURCE_HANDLE,
    ResourceStatus: *mut ResourceStatus,
) -> DWORD;
/// `PSET_RESOURCE_LOCKED_MODE_ROUTINE`.
pub type SetResourceLockedModeFn = unsafe extern "system" fn(
    ResourceHandle: RESOURCE_HANDLE,
    LockedModeEnabled: BOOL,
    LockedModeReason: DWORD,
) -> DWORD;
/// `PSIGNAL_FAILURE_ROUTINE` (`FailureType` is the `FAILURE_TYPE` enum, an `int`).
pub type SignalFailureFn = unsafe extern "system" fn(
    ResourceHandle: RESOURCE_HANDLE,
    FailureType: i32,
    ApplicationSpecificErrorCode: DWORD,
) -> DWORD;
/// An entry of the callback table this crate never calls or defines: kept as an opaque
/// pointer (`PLOG_EVENT_ROUTINE` is C-variadic and cannot be defined on stable Rust).
pub type OpaqueFn = *const c_void;

/// `CLRES_CALLBACK_FUNCTION_TABLE`: 17 pointers in resapi.h order. Only the three the
/// reference DLL uses are typed; the others are opaque (the DLL never calls them).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ClresCallbackFunctionTable {
    /// `PLOG_EVENT_ROUTINE` (C-variadic; NULL from a Rust host).
    pub LogEvent: OpaqueFn,
    /// `PSET_RESOURCE_STATUS_ROUTINE_EX`.
    pub SetResourceStatusEx: Option<SetResourceStatusExFn>,
    /// `PSET_RESOURCE_LOCKED_MODE_ROUTINE`.
    pub SetResourceLockedMode: Option<SetResourceLockedModeFn>,
    /// `PSIGNAL_FAILURE_ROUTINE`.
    pub SignalFailure: Option<SignalFailureFn>,
    /// `PSET_RESOURCE_INMEMORY_NODELOCAL_PROPERTIES_ROUTINE`.
    pub SetResourceInMemoryNodeLocalProperties: OpaqueFn,
    /// `PEND_CONTROL_CALL`.
    pub EndControlCall: OpaqueFn,
    /// `PEND_TYPE_CONTROL_CALL`.
    pub EndTypeControlCall: OpaqueFn,
    /// `PEXTEND_RES_CONTROL_CALL`.
    pub ExtendControlCall: OpaqueFn,
    /// `PEXTEND_RES_TYPE_CONTROL_CALL`.
    pub ExtendTypeControlCall: OpaqueFn,
    /// `PRAISE_RES_TYPE_NOTIFICATION`.
    pub RaiseResTypeNotification: OpaqueFn,
    /// `PCHANGE_RESOURCE_PROCESS_FOR_DUMPS`.
    pub ChangeResourceProcessForDumps: OpaqueFn,
    /// `PCHANGE_RES_TYPE_PROCESS_FOR_DUMPS`.
    pub ChangeResTypeProcessForDumps: OpaqueFn,
    /// `PSET_INTERNAL_STATE`.
    pub SetInternalState: OpaqueFn,
    /// `PSET_RESOURCE_LOCKED_MODE_EX_ROUTINE`.
    pub SetResourceLockedModeEx: OpaqueFn,
    /// `PREQUEST_DUMP_ROUTINE`.
    pub RequestDump: OpaqueFn,
    /// `PSET_RESOURCE_WPR_POLICY_ROUTINE`.
    pub SetResourceWprPolicy: OpaqueFn,
    /// `PARM_WPR_WATCHDOG_FOR_CURRENT_RESOURCE_CALL_ROUTINE`.
    pub ArmWprWatchdogForCurrentResourceCall: OpaqueFn,
}

impl ClresCallbackFunctionTable {
    /// A table with every entry NULL.
    #[must_use]
    pub const fn empty() -> Self {
        let null = std::ptr::null();
        Self {
            LogEvent: null,
            SetResourceStatusEx: None,
            SetResourceLockedMode: None,
            SignalFailure: None,
            SetResourceInMemoryNodeLocalProperties: null,
            EndControlCall: null,
            EndTypeControlCall: null,
            ExtendControlCall: null,
            ExtendTypeControlCall: null,
            RaiseResTypeNotification: null,
            ChangeResourceProcessForDumps: null,
            ChangeResTypeProcessForDumps: null,
            SetInternalState: null,
            SetResourceLockedModeEx: null,
            RequestDump: null,
            SetResourceWprPolicy: null,
            ArmWprWatchdogForCurrentResourceCall: null,
        }
    }
}

// SAFETY: the table holds only function pointers and opaque code pointers (never data the
// DLL writes through); sharing it between threads is what a resource monitor does.
unsafe impl Sync for ClresCallbackFunctionTable {}
// SAFETY: as above: plain code pointers, no thread-bound data.
unsafe impl Send for ClresCallbackFunctionTable {}

/// `PSTARTUP_EX_ROUTINE`.
pub type StartupExFn = unsafe extern "system" fn(
    ResourceType: LPCWSTR,
    MinVersionSupported: DWORD,
    MaxVersionSupported: DWORD,
    MonitorCallbackFunctions: *const ClresCallbackFunctionTable,
    ResourceDllInterfaceFunctions: *mut *const ClresFunctionTable,
) -> DWORD;
/// `PSTARTUP_ROUTINE` (classic).
pub type StartupFn = unsafe extern "system" fn(
    ResourceType: LPCWSTR,
    MinVersionSupported: DWORD,
    MaxVersionSupported: DWORD,
    SetResourceStatus: Option<SetResourceStatusFn>,
    LogEvent: OpaqueFn,
    FunctionTable: *mut *const ClresFunctionTable,
) -> DWORD;

/// The reference DLL's control export (SPEC §1a, ARCHITECTURE.md "The control export").
pub type ControlExportFn = unsafe extern "system" fn(
    Table: *const ClresFunctionTable,
    Request: *const ControlRequest,
) -> DWORD;
/// The reference DLL's instance-release export (D1: frees the instance behind a table).
pub type ReleaseExportFn = unsafe extern "system" fn(Table: *const ClresFunctionTable) -> DWORD;
/// The reference DLL's state-query export: the `CLUSTER_RESOURCE_STATE` the instance holds
/// for a RESID, or [`CLUSTER_RESOURCE_STATE_UNKNOWN`].
pub type StateExportFn =
    unsafe extern "system" fn(Table: *const ClresFunctionTable, Resource: RESID) -> i32;

/// Name of the control export.
pub const CONTROL_EXPORT: &str = "OfflineV2ReferenceControl";
/// Name of the release export.
pub const RELEASE_EXPORT: &str = "OfflineV2ReferenceRelease";
/// Name of the state-query export.
pub const STATE_EXPORT: &str = "OfflineV2ReferenceState";

/// Operation codes of [`ControlRequest::Op`] (one per `WorkloadControl` variant).
pub mod control_op {
    /// `SetLocalNode(Name)`.
    pub const SET_LOCAL_NODE: u32 = 1;
    /// `Configure { Name, OfflineMode, OnlineMode, Running }`.
    pub const CONFIGURE: u32 = 2;
    /// `CompleteOffline(Name)`.
    pub const COMPLETE_OFFLINE: u32 = 3;
    /// `FailOffline(Name)`.
    pub const FAIL_OFFLINE: u32 = 4;
    /// `CompleteOnline(Name)`.
    pub const COMPLETE_ONLINE: u32 = 5;
    /// `FailOnline(Name)`.
    pub const FAIL_ONLINE: u32 = 6;
    /// `Lock(Name)`.
    pub const LOCK: u32 = 7;
    /// `Unlock(Name)`.
    pub const UNLOCK: u32 = 8;
    /// `Busy(Name)`.
    pub const BUSY: u32 = 9;
    /// `Unbusy(Name)`.
    pub const UNBUSY: u32 = 10;
    /// `NetDown(Name = node)`.
    pub const NET_DOWN: u32 = 11;
    /// `NetUp(Name = node)`.
    pub const NET_UP: u32 = 12;
    /// `EmbeddedFailure(Name)`.
    pub const EMBEDDED_FAILURE: u32 = 13;
    /// `InjectPanic(Name)`.
    pub const INJECT_PANIC: u32 = 14;
    /// `Reset`.
    pub const RESET: u32 = 15;
    /// Tests only (`seeded-bugs` feature builds): switch a seeded DLL bug on, Name =
    /// `SeededBug::name`. Every other build answers ERROR_INVALID_FUNCTION (an unknown op);
    /// `scripts/check-no-seeded-bugs.sh` checks that the release cdylib does.
    pub const SEEDED_BUG: u32 = 0x5EED;
}

/// Work mode values of [`ControlRequest::OfflineMode`] / `OnlineMode`.
pub mod work_mode {
    /// `WorkMode::Sync`.
    pub const SYNC: u32 = 0;
    /// `WorkMode::Pending`.
    pub const PENDING: u32 = 1;
}

/// The argument of the control export: one `WorkloadControl`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ControlRequest {
    /// A [`control_op`] code.
    pub Op: DWORD,
    /// `Configure`: a [`work_mode`] for offline work.
    pub OfflineMode: DWORD,
    /// `Configure`: a [`work_mode`] for online work.
    pub OnlineMode: DWORD,
    /// `Configure`: running at set-up (BOOL).
    pub Running: BOOL,
    /// The resource or node name: `NameLength` UTF-16 units, no NUL needed. May be NULL
    /// when `NameLength` is 0.
    pub Name: *const u16,
    /// Units at `Name` (at most [`CONTROL_NAME_MAX`]).
    pub NameLength: DWORD,
}

/// Longest name the control export accepts, in UTF-16 units.
pub const CONTROL_NAME_MAX: u32 = 256;

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    const P: usize = size_of::<*const c_void>();

    #[test]
    fn function_pointers_are_pointer_sized() {
        assert_eq!(size_of::<Option<OfflineV2Fn>>(), P);
        assert_eq!(size_of::<Option<SetResourceStatusExFn>>(), P);
    }

    #[test]
    fn v4_functions_match_resapi_h() {
        assert_eq!(size_of::<ClresV4Functions>(), 14 * P);
        let offsets = [
            offset_of!(ClresV4Functions, Open),
            offset_of!(ClresV4Functions, Close),
            offset_of!(ClresV4Functions, Online),
            offset_of!(ClresV4Functions, Offline),
            offset_of!(ClresV4Functions, Terminate),
            offset_of!(ClresV4Functions, LooksAlive),
            offset_of!(ClresV4Functions, IsAlive),
            offset_of!(ClresV4Functions, Arbitrate),
            offset_of!(ClresV4Functions, Release),
            offset_of!(ClresV4Functions, BeginResourceControl),
            offset_of!(ClresV4Functions, BeginResourceTypeControl),
            offset_of!(ClresV4Functions, Cancel),
            offset_of!(ClresV4Functions, BeginResourceControlAsUser),
            offset_of!(ClresV4Functions, BeginResourceTypeControlAsUser),
        ];
        for (i, off) in offsets.iter().enumerate() {
            assert_eq!(*off, i * P, "field {i}");
        }
        assert_eq!(CLRES_V4_FUNCTION_SIZE as usize, 14 * P);
    }

    #[test]
    fn function_table_matches_resapi_h() {
        assert_eq!(offset_of!(ClresFunctionTable, TableSize), 0);
        assert_eq!(offset_of!(ClresFunctionTable, Version), 4);
        // The union follows the two DWORDs, aligned to a pointer (8 on 64-bit, 8 = 4+4 on
        // 32-bit too).
        assert_eq!(offset_of!(ClresFunctionTable, V4Functions), 8);
        assert_eq!(size_of::<ClresFunctionTable>(), 8 + 14 * P);
        assert_eq!(align_of::<ClresFunctionTable>(), P.max(4));
    }

    #[test]
    fn resource_status_ex_matches_resapi_h() {
        assert_eq!(offset_of!(ResourceStatusEx, ResourceState), 0);
        assert_eq!(offset_of!(ResourceStatusEx, CheckPoint), 4);
        assert_eq!(offset_of!(ResourceStatusEx, EventHandle), 8);
        assert_eq!(
            offset_of!(ResourceStatusEx, ApplicationSpecificErrorCode),
            8 + P
        );
        assert_eq!(offset_of!(ResourceStatusEx, Flags), 12 + P);
        assert_eq!(offset_of!(ResourceStatusEx, WaitHint), 16 + P);
        if P == 8 {
            assert_eq!(size_of::<ResourceStatusEx>(), 32);
            assert_eq!(size_of::<ResourceStatus>(), 24);
        }
        assert_eq!(offset_of!(ResourceStatus, WaitHint), 8);
        assert_eq!(
            offset_of!(ResourceStatus, EventHandle),
            12usize.next_multiple_of(P)
        );
    }

    #[test]
    fn callback_table_has_17_pointers_in_order() {
        assert_eq!(size_of::<ClresCallbackFunctionTable>(), 17 * P);
        assert_eq!(offset_of!(ClresCallbackFunctionTable, LogEvent), 0);
        assert_eq!(
            offset_of!(ClresCallbackFunctionTable, SetResourceStatusEx),
            P
        );
        assert_eq!(
            offset_of!(ClresCallbackFunctionTable, SetResourceLockedMode),
            2 * P
        );
        assert_eq!(offset_of!(ClresCallbackFunctionTable, SignalFailure), 3 * P);
        assert_eq!(
            offset_of!(
                ClresCallbackFunctionTable,
                SetResourceInMemoryNodeLocalProperties
            ),
            4 * P
        );
        assert_eq!(
            offset_of!(ClresCallbackFunctionTable, SetInternalState),
            12 * P
        );
        assert_eq!(
            offset_of!(ClresCallbackFunctionTable, SetResourceLockedModeEx),
            13 * P
        );
        assert_eq!(
            offset_of!(
                ClresCallbackFunctionTable,
                ArmWprWatchdogForCurrentResourceCall
            ),
            16 * P
        );
    }
}
