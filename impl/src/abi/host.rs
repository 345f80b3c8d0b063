//! The host side: calls any resource DLL through its `CLRES_FUNCTION_TABLE` (SPEC §1a).
//!
//! [`DllEntries`] is what a host needs to start instances of a DLL: its `StartupEx` (or
//! classic `Startup`) and the optional reference-only exports. [`TableDll`] is one started
//! instance (D1: one per node) and implements [`ResourceDll`].
//!
//! **Handles (A7).** The `ResourceHandle` passed to `OpenV2` is an integer key into a global
//! registry, never a pointer: the host's callbacks look the key up and ignore unknown keys, so
//! a DLL calling back with a garbage handle cannot cause UB.

use std::any::Any;
use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::types::{
    ClresCallbackFunctionTable, ClresFunctionTable, ClresV4Functions, ControlExportFn,
    ControlRequest, ReleaseExportFn, ResourceStatus, ResourceStatusEx, StartupExFn, StartupFn,
    StateExportFn, BOOL, CLRES_V4_FUNCTION_SIZE, CLRES_VERSION_V4_00, DWORD, FALSE, RESID,
    RESOURCE_HANDLE,
};
use crate::resource_dll::{
    DllCallback, RawDest, RawOfflineV2, Resid, ResourceDll, WorkloadControl,
};
use crate::types::{ErrorCode, NodeName, OfflineFlags, ResourceId, ResourceState, WorkMode};

/// `FAILURE_TYPE_EMBEDDED`.
const FAILURE_TYPE_EMBEDDED: i32 = 1;

/// Units a raw unterminated destination is padded to, so a bounded scan (16 units, R1) never
/// reads past the buffer (A8).
const RAW_DEST_PAD: usize = 16;

/// A host-side hook run inside every callback the DLL makes to one [`TableDll`], after the
/// callback is recorded and with no host lock held: it may call any entry point of the DLL
/// again, from this thread or another (R8 re-entrancy; tests, the fuzzer).
pub type CallbackHook = Arc<dyn Fn(DllCallback) + Send + Sync>;

/// Where one host's callbacks go: the queue drained by the core, and an optional hook.
#[derive(Default)]
struct Sink {
    queue: Mutex<Vec<DllCallback>>,
    hook: Mutex<Option<CallbackHook>>,
}

struct Registered {
    sink: Arc<Sink>,
    resource: ResourceId,
}

static REGISTRY: Mutex<BTreeMap<usize, Registered>> = Mutex::new(BTreeMap::new());
static NEXT_KEY: AtomicUsize = AtomicUsize::new(1);

fn registry() -> std::sync::MutexGuard<'static, BTreeMap<usize, Registered>> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Pushes the callback made from `handle` to its host; unknown handles are ignored (A7).
fn route(handle: RESOURCE_HANDLE, make: impl FnOnce(ResourceId) -> Option<DllCallback>) -> DWORD {
    let target = registry()
        .get(&(handle as usize))
        .map(|r| (Arc::clone(&r.sink), r.resource));
    let Some((sink, resource)) = target else {
        return ErrorCode::ERROR_RESOURCE_NOT_FOUND.0;
    };
    let Some(callback) = make(resource) else {
        return ErrorCode::ERROR_INVALID_PARAMETER.0;
    };
    lock(&sink.queue).push(callback);
    // The hook runs with no host lock held (it may re-enter the DLL, R8).
    let hook = lock(&sink.hook).clone();
    if let Some(hook) = hook {
        hook(callback);
    }
    ErrorCode::ERROR_SUCCESS.0
}

/// Reads the `ResourceState` field of a status callback, the one body of both status entries
/// (`SetResourceStatusEx` and the classic `SetResourceStatus`).
///
/// # Safety
/// `status` is NULL or points to a status struct of type `T` valid for the call, and
/// `field` projects a pointer to it onto its `ResourceState` field.
unsafe fn host_status<T>(
    handle: RESOURCE_HANDLE,
    status: *mut T,
    field: impl FnOnce(*mut T) -> *const i32,
) -> DWORD {
    catch_unwind(AssertUnwindSafe(|| {
        if status.is_null() {
            return ErrorCode::ERROR_INVALID_PARAMETER.0;
        }
        // SAFETY: non-NULL and valid for the call by the caller's contract; only the
        // ResourceState field is read, unaligned-safe.
        let value = unsafe { ptr::read_unaligned(field(status)) };
        route(handle, |resource| {
            ResourceState::from_cluster_value(value)
                .map(|state| DllCallback::Status { resource, state })
        })
    }))
    .unwrap_or(ErrorCode::ERROR_GEN_FAILURE.0)
}

unsafe extern "system" fn host_set_status_ex(
    handle: RESOURCE_HANDLE,
    status: *mut ResourceStatusEx,
) -> DWORD {
    // SAFETY: SetResourceStatusEx contract: NULL or a RESOURCE_STATUS_EX valid for this call;
    // `addr_of!` projects without reading.
    unsafe { host_status(handle, status, |s| ptr::addr_of!((*s).ResourceState)) }
}

unsafe extern "system" fn host_set_status(
    handle: RESOURCE_HANDLE,
    status: *mut ResourceStatus,
) -> DWORD {
    // SAFETY: classic SetResourceStatus contract: NULL or a RESOURCE_STATUS valid for the call.
    unsafe { host_status(handle, status, |s| ptr::addr_of!((*s).ResourceState)) }
}

unsafe extern "system" fn host_set_locked_mode(
    handle: RESOURCE_HANDLE,
    enabled: BOOL,
    _reason: DWORD,
) -> DWORD {
    catch_unwind(AssertUnwindSafe(|| {
        route(handle, |resource| {
            Some(DllCallback::LockedMode {
                resource,
                locked: enabled != FALSE,
            })
        })
    }))
    .unwrap_or(ErrorCode::ERROR_GEN_FAILURE.0)
}

unsafe extern "system" fn host_signal_failure(
    handle: RESOURCE_HANDLE,
    failure_type: i32,
    code: DWORD,
) -> DWORD {
    catch_unwind(AssertUnwindSafe(|| {
        route(handle, |resource| {
            (failure_type == FAILURE_TYPE_EMBEDDED)
                .then_some(DllCallback::EmbeddedFailure { resource, code })
        })
    }))
    .unwrap_or(ErrorCode::ERROR_GEN_FAILURE.0)
}

/// The host's callback table: LogEvent NULL (C-variadic), the three callbacks the SPEC uses,
/// every other entry NULL.
static HOST_CALLBACKS: ClresCallbackFunctionTable = {
    let mut t = ClresCallbackFunctionTable::empty();
    t.SetResourceStatusEx = Some(host_set_status_ex);
    t.SetResourceLockedMode = Some(host_set_locked_mode);
    t.SignalFailure = Some(host_signal_failure);
    t
};

/// How a DLL is started.
#[derive(Clone, Copy)]
enum Start {
    Ex(StartupExFn),
    Classic(StartupFn),
}

/// The reference-only exports (absent from a user's DLL).
#[derive(Clone, Copy, Default)]
struct Extras {
    control: Option<ControlExportFn>,
    release: Option<ReleaseExportFn>,
    state: Option<StateExportFn>,
}

/// What [`DllEntries::start`] can answer instead of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// StartupEx answered an error.
    #[error("StartupEx answered {0}")]
    Startup(ErrorCode),
    /// The table is not a V4 table or lacks a mandatory entry.
    #[error("the DLL's function table is unusable: {0}")]
    BadTable(&'static str),
}

/// The entry points of one resource DLL: how to start instances of it. Cheap to clone.
#[derive(Clone)]
pub struct DllEntries {
    start: Start,
    /// The classic `Startup`, if exported (kept even when `StartupEx` is preferred).
    classic: Option<StartupFn>,
    extras: Extras,
    /// Keeps a loaded library mapped while any entry or instance may be called (held for its
    /// `Drop` only).
    #[allow(dead_code)]
    keep: Option<Arc<dyn Any + Send + Sync>>,
    /// Instances of a DLL without the release export, given back by dropped [`TableDll`]s
    /// and handed out again by [`DllEntries::start_with_versions`] (shared by clones).
    spares: Arc<Mutex<Vec<Spare>>>,
}

/// A started instance nobody uses, and what it was started as.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spare {
    table: usize,
    origin: Origin,
}

/// How an instance was started: reused only for the same start.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    resource_type: String,
    min: u32,
    max: u32,
    classic: bool,
}

impl std::fmt::Debug for DllEntries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DllEntries")
            .field("startup_ex", &matches!(self.start, Start::Ex(_)))
            .field("control", &self.extras.control.is_some())
            .finish_non_exhaustive()
    }
}

/// The answer of a raw `StartupEx` call (tests of SPEC §1a).
#[derive(Debug)]
pub struct StartupAnswer {
    /// The return code.
    pub code: ErrorCode,
    /// The instance, when the code is ERROR_SUCCESS and the table is usable.
    pub instance: Option<TableDll>,
}

impl DllEntries {
    /// This crate's own exports, called directly: "in the default build the host talks to the
    /// DLL through the same function table a loader would use".
    #[must_use]
    pub fn in_process() -> Self {
        Self {
            start: Start::Ex(super::dll::StartupEx),
            classic: Some(super::dll::Startup),
            extras: Extras {
                control: Some(super::dll::OfflineV2ReferenceControl),
                release: Some(super::dll::OfflineV2ReferenceRelease),
                state: Some(super::dll::OfflineV2ReferenceState),
            },
            keep: None,
            spares: Arc::default(),
        }
    }

    /// Entries resolved from a loaded library.
    ///
    /// # Safety
    /// Each function pointer must really have the resapi.h / reference-export signature of
    /// its type, and stay callable while `keep` is alive.
    pub(crate) unsafe fn from_symbols(
        startup_ex: Option<StartupExFn>,
        startup: Option<StartupFn>,
        control: Option<ControlExportFn>,
        release: Option<ReleaseExportFn>,
        state: Option<StateExportFn>,
        keep: Arc<dyn Any + Send + Sync>,
    ) -> Option<Self> {
        let start = match (startup_ex, startup) {
            (Some(f), _) => Start::Ex(f),
            (None, Some(f)) => Start::Classic(f),
            (None, None) => return None,
        };
        Some(Self {
            start,
            classic: startup,
            extras: Extras {
                control,
                release,
                state,
            },
            keep: Some(keep),
            spares: Arc::default(),
        })
    }

    /// True if the DLL exports `StartupEx` (else the classic `Startup` is used).
    #[must_use]
    pub fn has_startup_ex(&self) -> bool {
        matches!(self.start, Start::Ex(_))
    }

    /// The same DLL started through its classic `Startup` (no locked-mode or failure
    /// callbacks), if it exports one.
    #[must_use]
    pub fn classic(&self) -> Option<Self> {
        self.classic.map(|f| Self {
            start: Start::Classic(f),
            ..self.clone()
        })
    }

    /// True if the DLL has the reference control export.
    #[must_use]
    pub fn has_control(&self) -> bool {
        self.extras.control.is_some()
    }

    /// Starts a fresh instance (D1) of `resource_type` with versions [0x400, 0x400].
    ///
    /// # Errors
    /// [`StartError`] when the DLL refuses or its table is unusable.
    pub fn start(&self, resource_type: &str) -> Result<TableDll, StartError> {
        self.start_with_versions(resource_type, CLRES_VERSION_V4_00, CLRES_VERSION_V4_00)
    }

    /// Starts a fresh instance of `resource_type`, offering versions [`min`, `max`].
    ///
    /// # Errors
    /// [`StartError`] when the DLL refuses or its table is unusable.
    pub fn start_with_versions(
        &self,
        resource_type: &str,
        min: u32,
        max: u32,
    ) -> Result<TableDll, StartError> {
        let origin = Origin {
            resource_type: resource_type.to_owned(),
            min,
            max,
            classic: matches!(self.start, Start::Classic(_)),
        };
        if let Some(dll) = self.take_spare(&origin) {
            return Ok(dll);
        }
        let units: Vec<u16> = resource_type.encode_utf16().collect();
        let answer = self.startup_raw(Some(&units), min, max, true, true);
        match answer.instance {
            Some(mut dll) => {
                if self.extras.release.is_none() {
                    dll.origin = Some(origin);
                }
                Ok(dll)
            }
            None if answer.code == ErrorCode::ERROR_SUCCESS => {
                Err(StartError::BadTable("not a usable V4 table"))
            }
            None => Err(StartError::Startup(answer.code)),
        }
    }

    /// A spare instance started as `origin`, if a dropped one is waiting (issue 15: a DLL
    /// without the release export must not run out of instances).
    fn take_spare(&self, origin: &Origin) -> Option<TableDll> {
        let table = {
            let mut spares = lock(&self.spares);
            let at = spares.iter().position(|s| &s.origin == origin)?;
            spares.swap_remove(at).table
        };
        // SAFETY: `table` is a table this DLL returned from StartupEx for the same type and
        // versions; it stays valid while the library is loaded (`keep`, held by `self`), and
        // the instance it names was given back by the only TableDll that used it.
        let mut dll =
            unsafe { TableDll::from_table(table as *const ClresFunctionTable, self.clone()) }
                .ok()?;
        dll.origin = Some(origin.clone());
        Some(dll)
    }

    /// Calls `StartupEx` (or classic `Startup`) with the arguments as given: `resource_type`
    /// `None` passes NULL (units are NUL-terminated here), `with_callbacks`/`with_out` false
    /// pass NULL for the callback table (the classic SetResourceStatus) / the out pointer.
    #[must_use]
    pub fn startup_raw(
        &self,
        resource_type: Option<&[u16]>,
        min: u32,
        max: u32,
        with_callbacks: bool,
        with_out: bool,
    ) -> StartupAnswer {
        let terminated: Option<Vec<u16>> = resource_type.map(|u| {
            let mut v = u.to_vec();
            v.push(0);
            v
        });
        let rt = terminated.as_ref().map_or(ptr::null(), |v| v.as_ptr());
        let mut table: *const ClresFunctionTable = ptr::null();
        let out = if with_out {
            ptr::addr_of_mut!(table)
        } else {
            ptr::null_mut()
        };
        let code = match self.start {
            Start::Ex(f) => {
                let callbacks: *const ClresCallbackFunctionTable = if with_callbacks {
                    &HOST_CALLBACKS
                } else {
                    ptr::null()
                };
                // SAFETY: `f` is a StartupEx (DllEntries invariant); every pointer is NULL or
                // valid for the call (a NUL-terminated string, a static table, a local).
                unsafe { f(rt, min, max, callbacks, out) }
            }
            Start::Classic(f) => {
                let status = with_callbacks.then_some(
                    host_set_status
                        as unsafe extern "system" fn(RESOURCE_HANDLE, *mut ResourceStatus) -> DWORD,
                );
                // SAFETY: as above, for the classic Startup signature; LogEvent is NULL.
                unsafe { f(rt, min, max, status, ptr::null(), out) }
            }
        };
        let code = ErrorCode(code);
        let instance = if code == ErrorCode::ERROR_SUCCESS && !table.is_null() {
            // SAFETY: the DLL returned this table; it stays valid while the library is loaded
            // (`keep`) and the instance is not released (TableDll releases it only on drop).
            unsafe { TableDll::from_table(table, self.clone()) }.ok()
        } else {
            None
        };
        StartupAnswer { code, instance }
    }
}

/// One started instance of a resource DLL (D1), called through its function table.
///
/// All methods take `&self` and may be called from several threads at once (R8: every entry
/// point is thread-safe); [`ResourceDll`] is implemented on top.
pub struct TableDll {
    table: *const ClresFunctionTable,
    version: u32,
    table_size: u32,
    fns: ClresV4Functions,
    entries: DllEntries,
    sink: Arc<Sink>,
    /// RESID → registry key, for the RESIDs this host opened.
    keys: Mutex<Vec<(usize, usize)>>,
    /// Set for an instance of a DLL without the release export: on drop it is closed, reset
    /// and kept for the next start (its RESIDs closed, its workload reset).
    origin: Option<Origin>,
}

// SAFETY: `table` is only passed back to the DLL's own exports as an identity (never read
// here after construction); the copied function pointers are thread-safe entry points by the
// resource API contract (R8); all mutable state is behind mutexes.
unsafe impl Send for TableDll {}
// SAFETY: as for Send: `&self` methods only call thread-safe entry points and lock mutexes.
unsafe impl Sync for TableDll {}

impl std::fmt::Debug for TableDll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableDll")
            .field("table", &self.table)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn as_resid(resid: usize) -> RESID {
    resid as RESID
}

impl TableDll {
    /// Wraps a table returned by `StartupEx`, copying its entries.
    ///
    /// # Safety
    /// `table` points to a readable `CLRES_FUNCTION_TABLE` whose entries have the resapi.h
    /// signatures and stay callable while `entries` (its library) is alive.
    unsafe fn from_table(
        table: *const ClresFunctionTable,
        entries: DllEntries,
    ) -> Result<Self, StartError> {
        // SAFETY: readable by the caller's contract; TableSize/Version are read first so a
        // smaller (older) table is rejected before its functions are read.
        let (size, version) = unsafe {
            (
                ptr::read_unaligned(ptr::addr_of!((*table).TableSize)),
                ptr::read_unaligned(ptr::addr_of!((*table).Version)),
            )
        };
        if version != CLRES_VERSION_V4_00 || size < CLRES_V4_FUNCTION_SIZE {
            return Err(StartError::BadTable("not a V4 table"));
        }
        // SAFETY: TableSize says the V4 functions are all there.
        let fns = unsafe { ptr::read_unaligned(ptr::addr_of!((*table).V4Functions)) };
        if fns.Open.is_none()
            || fns.Close.is_none()
            || fns.Online.is_none()
            || fns.Offline.is_none()
            || fns.Terminate.is_none()
        {
            return Err(StartError::BadTable("a mandatory entry is NULL"));
        }
        Ok(Self {
            table,
            version,
            table_size: size,
            fns,
            entries,
            sink: Arc::new(Sink::default()),
            keys: Mutex::new(Vec::new()),
            origin: None,
        })
    }

    /// The table's `Version` (0x400).
    #[must_use]
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The table's `TableSize`.
    #[must_use]
    pub fn table_size(&self) -> u32 {
        self.table_size
    }

    /// The table's address (identity only: two instances never share a table, D1).
    #[must_use]
    pub fn table_address(&self) -> usize {
        self.table as usize
    }

    /// The DLL's own function table of this instance (benches read its entries at every call,
    /// as a host does).
    #[must_use]
    pub fn function_table(&self) -> &ClresFunctionTable {
        // SAFETY: `table` is the non-NULL table StartupEx returned for this instance (checked
        // at construction); a resource DLL's table lives as long as the library, which
        // `entries.keep` keeps mapped while `self` is alive.
        unsafe { &*self.table }
    }

    /// `OpenV2(name, NULL, key, 0)`; callbacks for it will carry `resource`.
    pub fn open_resource(&self, resource: ResourceId, name: &str) -> Option<Resid> {
        let units: Vec<u16> = name.encode_utf16().chain(std::iter::once(0)).collect();
        self.open_units(resource, Some(&units))
    }

    /// `OpenV2` with a raw name (`None` = NULL; the caller NUL-terminates).
    pub fn open_units(&self, resource: ResourceId, name: Option<&[u16]>) -> Option<Resid> {
        let open = self.fns.Open?;
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        registry().insert(
            key,
            Registered {
                sink: Arc::clone(&self.sink),
                resource,
            },
        );
        let name_ptr = name.map_or(ptr::null(), <[u16]>::as_ptr);
        // SAFETY: `open` is the DLL's OpenV2; the name is NULL or a NUL-terminated buffer
        // alive for the call (callers of open_units terminate it); HKEY NULL is allowed
        // (SPEC §1a); the handle is an integer key, never dereferenced by anyone (A7).
        let resid = unsafe { open(name_ptr, ptr::null_mut(), key as RESOURCE_HANDLE, 0) };
        match NonZeroUsize::new(resid as usize) {
            Some(r) => {
                lock(&self.keys).push((r.get(), key));
                Some(Resid(r))
            }
            None => {
                registry().remove(&key);
                None
            }
        }
    }

    /// `Close(resid)` with any RESID value (forged ones included, R2).
    pub fn close_raw(&self, resid: usize) {
        if let Some(close) = self.fns.Close {
            // SAFETY: the DLL's Close; RESIDs are opaque values it validates (R2).
            unsafe { close(as_resid(resid)) };
        }
        let mut keys = lock(&self.keys);
        if let Some(pos) = keys.iter().position(|&(r, _)| r == resid) {
            let (_, key) = keys.swap_remove(pos);
            registry().remove(&key);
        }
    }

    /// `Terminate(resid)` with any RESID value.
    pub fn terminate_raw(&self, resid: usize) {
        if let Some(terminate) = self.fns.Terminate {
            // SAFETY: the DLL's Terminate; RESIDs are opaque values it validates (R2).
            unsafe { terminate(as_resid(resid)) };
        }
    }

    /// `OnlineV2(resid, NULL, 0, inbuf, inbuf_size, reserved)` with raw arguments. A present
    /// `inbuf` is passed as a buffer of max(len, inbuf_size) bytes.
    pub fn online_v2_raw(
        &self,
        resid: usize,
        inbuf: Option<&[u8]>,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        let Some(online) = self.fns.Online else {
            return ErrorCode::ERROR_INVALID_FUNCTION;
        };
        let mut buffer = inbuf.map(|b| padded(b, inbuf_size));
        let inbuf_ptr = buffer.as_mut().map_or(ptr::null_mut(), |b| b.as_mut_ptr());
        // SAFETY: the DLL's OnlineV2; EventHandle NULL is allowed (SPEC §1a); InBuffer is NULL
        // or readable for at least InBufferSize bytes.
        ErrorCode(unsafe {
            online(
                as_resid(resid),
                ptr::null_mut(),
                0,
                inbuf_ptr,
                inbuf_size,
                reserved,
            )
        })
    }

    /// `OfflineV2` with a valid destination or none, no buffer (the host's calls, R12).
    /// No allocation (SPEC §8).
    pub fn offline_v2_call(
        &self,
        resid: usize,
        dest: Option<NodeName>,
        flags: OfflineFlags,
    ) -> ErrorCode {
        let Some(offline) = self.fns.Offline else {
            return ErrorCode::ERROR_INVALID_FUNCTION;
        };
        let mut units = [0u16; crate::types::NODE_NAME_MAX + 1];
        let dest_ptr = match dest {
            None => ptr::null(),
            Some(name) => {
                for (slot, unit) in units.iter_mut().zip(name.as_str().encode_utf16()) {
                    *slot = unit;
                }
                units.as_ptr()
            }
        };
        // SAFETY: the DLL's OfflineV2; the destination is NULL or NUL-terminated (a node name
        // has at most 15 units and the buffer 16 zero-initialised ones); no buffer.
        ErrorCode(unsafe {
            offline(
                as_resid(resid),
                dest_ptr,
                flags.bits(),
                ptr::null_mut(),
                0,
                0,
            )
        })
    }

    /// `OfflineV2` with every argument raw (SPEC §7 `raw_offline_v2`, R1, R2).
    pub fn offline_v2_raw(&self, call: &RawOfflineV2) -> ErrorCode {
        let Some(offline) = self.fns.Offline else {
            return ErrorCode::ERROR_INVALID_FUNCTION;
        };
        let dest: Option<Vec<u16>> = match &call.dest {
            RawDest::Null => None,
            RawDest::Units { units, terminated } => {
                let mut v = units.clone();
                if *terminated {
                    v.push(0);
                } else {
                    // A8: at least 16 non-NUL units so that the DLL's bounded scan stays in
                    // the buffer; a NUL after them protects a DLL that scans further.
                    while v.len() < RAW_DEST_PAD {
                        v.push(u16::from(b'x'));
                    }
                    v.push(0);
                }
                Some(v)
            }
        };
        let dest_ptr = dest.as_ref().map_or(ptr::null(), |v| v.as_ptr());
        let mut buffer = call.inbuf.as_ref().map(|b| padded(b, call.inbuf_size));
        let inbuf_ptr = buffer.as_mut().map_or(ptr::null_mut(), |b| b.as_mut_ptr());
        // SAFETY: the DLL's OfflineV2; the destination is NULL or a buffer that holds a NUL
        // within its length (after the units, or after ≥ 16 padding units); InBuffer is NULL
        // or readable for at least InBufferSize bytes.
        ErrorCode(unsafe {
            offline(
                as_resid(call.resid),
                dest_ptr,
                call.flags,
                inbuf_ptr,
                call.inbuf_size,
                call.reserved,
            )
        })
    }

    /// `LooksAlive(resid)`, if the table has it.
    pub fn looks_alive(&self, resid: usize) -> Option<bool> {
        let f = self.fns.LooksAlive?;
        // SAFETY: the DLL's LooksAlive; RESIDs are opaque values it validates (R2).
        Some(unsafe { f(as_resid(resid)) } != FALSE)
    }

    /// `IsAlive(resid)`, if the table has it.
    pub fn is_alive(&self, resid: usize) -> Option<bool> {
        let f = self.fns.IsAlive?;
        // SAFETY: as for LooksAlive.
        Some(unsafe { f(as_resid(resid)) } != FALSE)
    }

    /// Whether Arbitrate and Release are non-NULL (the reference DLL: both NULL).
    #[must_use]
    pub fn has_quorum_entries(&self) -> (bool, bool) {
        (self.fns.Arbitrate.is_some(), self.fns.Release.is_some())
    }

    /// Calls BeginResourceControl, BeginResourceTypeControl, Cancel,
    /// BeginResourceControlAsUser and BeginResourceTypeControlAsUser (in that order) with
    /// control code 0 and empty buffers; `None` for a NULL entry.
    pub fn control_entries(&self, resid: usize) -> [Option<ErrorCode>; 5] {
        let mut bytes: DWORD = 0;
        let mut asynchronous: BOOL = FALSE;
        let type_name: Vec<u16> = super::dll::RESOURCE_TYPE
            .encode_utf16()
            .chain(std::iter::once(0))
            .collect();
        let r = as_resid(resid);
        let n = ptr::null_mut();
        let b = ptr::addr_of_mut!(bytes);
        let a = ptr::addr_of_mut!(asynchronous);
        let t = type_name.as_ptr();
        // Each entry with its resapi.h signature: NULL buffers with size 0, valid
        // out-pointers for BytesReturned/ReturnedAsynchronously, a NUL-terminated type name,
        // a NULL token.
        let control = self.fns.BeginResourceControl.map(|f| {
            // SAFETY: see above; `b` and `a` point to live locals.
            ErrorCode(unsafe { f(r, 0, n, 0, n, 0, b, 0, a) })
        });
        let type_control = self.fns.BeginResourceTypeControl.map(|f| {
            // SAFETY: see above; `t` is NUL-terminated and alive.
            ErrorCode(unsafe { f(t, 0, n, 0, n, 0, b, 0, a) })
        });
        let cancel = self.fns.Cancel.map(|f| {
            // SAFETY: Cancel(RESID, 0): plain values.
            ErrorCode(unsafe { f(r, 0) })
        });
        let as_user = self.fns.BeginResourceControlAsUser.map(|f| {
            // SAFETY: see above; NULL token.
            ErrorCode(unsafe { f(r, n, 0, n, 0, n, 0, b, 0, a) })
        });
        let type_as_user = self.fns.BeginResourceTypeControlAsUser.map(|f| {
            // SAFETY: see above; NULL token, live type name.
            ErrorCode(unsafe { f(t, n, 0, n, 0, n, 0, b, 0, a) })
        });
        [control, type_control, cancel, as_user, type_as_user]
    }

    /// Sends one workload control through the DLL's control export (SPEC §1a);
    /// ERROR_INVALID_FUNCTION if the DLL has none.
    pub fn send_control(&self, control: WorkloadControl<'_>) -> ErrorCode {
        let Some(f) = self.entries.extras.control else {
            return ErrorCode::ERROR_INVALID_FUNCTION;
        };
        let request = ControlRequestOwned::new(control);
        let raw = request.raw();
        // SAFETY: the DLL's control export; `raw` and the name it points to live for the call.
        ErrorCode(unsafe { f(self.table, &raw) })
    }

    /// Sends a raw control request (tests of the control export's validation).
    pub fn send_control_raw(&self, op: u32, name: &[u16]) -> ErrorCode {
        let Some(f) = self.entries.extras.control else {
            return ErrorCode::ERROR_INVALID_FUNCTION;
        };
        let raw = ControlRequest {
            Op: op,
            OfflineMode: 0,
            OnlineMode: 0,
            Running: FALSE,
            Name: name.as_ptr(),
            NameLength: u32::try_from(name.len()).unwrap_or(u32::MAX),
        };
        // SAFETY: the DLL's control export; `name` is readable for NameLength units (a
        // length that does not fit a DWORD is rejected by the DLL before reading).
        ErrorCode(unsafe { f(self.table, &raw) })
    }

    /// What the DLL believes about `resid` (reference state export); `None` if the DLL has
    /// no such export, `Some(None)` if it holds no such RESID.
    pub fn dll_state(&self, resid: usize) -> Option<Option<ResourceState>> {
        let f = self.entries.extras.state?;
        // SAFETY: the DLL's state export; both arguments are compared only.
        let value = unsafe { f(self.table, as_resid(resid)) };
        Some(ResourceState::from_cluster_value(value))
    }

    /// Drains the callbacks received so far, in arrival order.
    pub fn drain_callbacks(&self) -> Vec<DllCallback> {
        std::mem::take(&mut *lock(&self.sink.queue))
    }

    /// Installs (or removes, with `None`) a hook run inside every callback the DLL makes for
    /// a resource this host opened, after the callback is recorded, with no host lock held:
    /// it may call any entry point of the DLL again (R8). Hooks holding an `Arc` of this
    /// `TableDll` should be removed before it is dropped (or hold a `Weak`).
    pub fn set_callback_hook(&self, hook: Option<CallbackHook>) {
        *lock(&self.sink.hook) = hook;
    }
}

fn padded(bytes: &[u8], size: u32) -> Vec<u8> {
    let mut v = bytes.to_vec();
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if v.len() < size {
        v.resize(size, 0);
    }
    if v.is_empty() {
        // A non-NULL pointer even for an empty buffer.
        v.push(0);
    }
    v
}

/// A control request with its name buffer.
struct ControlRequestOwned {
    op: u32,
    offline: u32,
    online: u32,
    running: BOOL,
    name: Vec<u16>,
}

impl ControlRequestOwned {
    fn new(control: WorkloadControl<'_>) -> Self {
        use super::types::control_op as op;
        let mode = |m: WorkMode| match m {
            WorkMode::Sync => super::types::work_mode::SYNC,
            WorkMode::Pending => super::types::work_mode::PENDING,
        };
        let mut r = Self {
            op: 0,
            offline: 0,
            online: 0,
            running: FALSE,
            name: Vec::new(),
        };
        let (code, name): (u32, &str) = match control {
            WorkloadControl::SetLocalNode(n) => {
                r.name = n.as_str().encode_utf16().collect();
                (op::SET_LOCAL_NODE, "")
            }
            WorkloadControl::Configure {
                resource,
                offline,
                online,
                running,
            } => {
                r.offline = mode(offline);
                r.online = mode(online);
                r.running = BOOL::from(running);
                (op::CONFIGURE, resource)
            }
            WorkloadControl::CompleteOffline(n) => (op::COMPLETE_OFFLINE, n),
            WorkloadControl::FailOffline(n) => (op::FAIL_OFFLINE, n),
            WorkloadControl::CompleteOnline(n) => (op::COMPLETE_ONLINE, n),
            WorkloadControl::FailOnline(n) => (op::FAIL_ONLINE, n),
            WorkloadControl::Lock(n) => (op::LOCK, n),
            WorkloadControl::Unlock(n) => (op::UNLOCK, n),
            WorkloadControl::Busy(n) => (op::BUSY, n),
            WorkloadControl::Unbusy(n) => (op::UNBUSY, n),
            WorkloadControl::NetDown(n) => {
                r.name = n.as_str().encode_utf16().collect();
                (op::NET_DOWN, "")
            }
            WorkloadControl::NetUp(n) => {
                r.name = n.as_str().encode_utf16().collect();
                (op::NET_UP, "")
            }
            WorkloadControl::EmbeddedFailure(n) => (op::EMBEDDED_FAILURE, n),
            WorkloadControl::InjectPanic(n) => (op::INJECT_PANIC, n),
            WorkloadControl::Reset => (op::RESET, ""),
        };
        r.op = code;
        if !name.is_empty() {
            r.name = name.encode_utf16().collect();
        }
        r
    }

    fn raw(&self) -> ControlRequest {
        ControlRequest {
            Op: self.op,
            OfflineMode: self.offline,
            OnlineMode: self.online,
            Running: self.running,
            Name: self.name.as_ptr(),
            NameLength: u32::try_from(self.name.len()).unwrap_or(u32::MAX),
        }
    }
}

impl Drop for TableDll {
    fn drop(&mut self) {
        let keys = std::mem::take(&mut *lock(&self.keys));
        if let Some(origin) = self.origin.take() {
            // No release export (issue 15): Close everything this host opened, reset the
            // workload if the DLL takes controls, and keep the instance for the next start.
            if let Some(close) = self.fns.Close {
                for &(resid, _) in &keys {
                    // SAFETY: the DLL's Close with a RESID its OpenV2 returned to this host.
                    unsafe { close(as_resid(resid)) };
                }
            }
            let _ = self.send_control(WorkloadControl::Reset);
            lock(&self.entries.spares).push(Spare {
                table: self.table as usize,
                origin,
            });
        }
        {
            let mut reg = registry();
            for (_, key) in keys {
                reg.remove(&key);
            }
        }
        if let Some(release) = self.entries.extras.release {
            // SAFETY: the DLL's release export, called once, after which this table is
            // never used again (self is being dropped).
            unsafe { release(self.table) };
        }
    }
}

impl ResourceDll for TableDll {
    fn open(&mut self, resource: ResourceId, name: &str) -> Option<Resid> {
        self.open_resource(resource, name)
    }

    fn close(&mut self, resid: Resid) {
        self.close_raw(resid.0.get());
    }

    fn online_v2(&mut self, resid: Resid) -> ErrorCode {
        self.online_v2_raw(resid.0.get(), None, 0, 0)
    }

    fn offline_v2(
        &mut self,
        resid: Resid,
        dest: Option<NodeName>,
        flags: OfflineFlags,
    ) -> ErrorCode {
        self.offline_v2_call(resid.0.get(), dest, flags)
    }

    fn terminate(&mut self, resid: Resid) {
        self.terminate_raw(resid.0.get());
    }

    fn raw_offline_v2(&mut self, call: &RawOfflineV2) -> ErrorCode {
        self.offline_v2_raw(call)
    }

    fn control(&mut self, control: WorkloadControl<'_>) -> ErrorCode {
        self.send_control(control)
    }

    fn take_callbacks(&mut self, out: &mut Vec<DllCallback>) {
        out.append(&mut lock(&self.sink.queue));
    }

    fn dll_state(&self, resid: Resid) -> Option<Option<ResourceState>> {
        TableDll::dll_state(self, resid.0.get())
    }
}

impl TableDll {
    /// A fresh instance of this crate's own DLL through its exported table (D1).
    ///
    /// # Errors
    /// [`StartError`] if the pool of instances is exhausted.
    pub fn in_process() -> Result<Self, StartError> {
        DllEntries::in_process().start(super::dll::RESOURCE_TYPE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_handles_are_ignored() {
        let mut status = ResourceStatusEx {
            ResourceState: 3,
            CheckPoint: 0,
            EventHandle: ptr::null_mut(),
            ApplicationSpecificErrorCode: 0,
            Flags: 0,
            WaitHint: 0,
        };
        // SAFETY: calling our own callbacks with a valid status and junk handles.
        unsafe {
            assert_eq!(
                host_set_status_ex(usize::MAX as RESOURCE_HANDLE, &mut status),
                5007
            );
            assert_eq!(host_set_status_ex(ptr::null_mut(), ptr::null_mut()), 87);
            assert_eq!(host_set_locked_mode(0xdead as RESOURCE_HANDLE, 1, 0), 5007);
            assert_eq!(host_signal_failure(0xbeef as RESOURCE_HANDLE, 1, 31), 5007);
        }
    }

    #[test]
    fn in_process_round_trip() {
        let Ok(mut dll) = TableDll::in_process() else {
            panic!("pool available")
        };
        assert_eq!(dll.version(), 0x400);
        assert_eq!(dll.table_size(), CLRES_V4_FUNCTION_SIZE);
        assert_eq!(
            dll.control(WorkloadControl::Configure {
                resource: "vm1",
                offline: WorkMode::Sync,
                online: WorkMode::Pending,
                running: true,
            }),
            ErrorCode::ERROR_SUCCESS
        );
        let Some(resid) = dll.open(ResourceId(0), "vm1") else {
            panic!("open")
        };
        assert_eq!(
            dll.dll_state(resid.0.get()),
            Some(Some(ResourceState::Online))
        );
        assert_eq!(
            dll.offline_v2(resid, None, OfflineFlags::empty()),
            ErrorCode::ERROR_SUCCESS
        );
        assert_eq!(dll.online_v2(resid), ErrorCode::ERROR_IO_PENDING);
        assert_eq!(
            dll.control(WorkloadControl::CompleteOnline("vm1")),
            ErrorCode::ERROR_SUCCESS
        );
        let mut out = Vec::new();
        dll.take_callbacks(&mut out);
        assert_eq!(
            out,
            [DllCallback::Status {
                resource: ResourceId(0),
                state: ResourceState::Online
            }]
        );
    }
}

/// Calls through any resapi.h function table with the arguments a well-behaved host passes
/// (a NUL-terminated destination or NULL, a NULL buffer of size 0, Reserved 0): the hot path
/// of SPEC §8 exactly as a host makes it, without the bookkeeping of [`TableDll`].
#[derive(Debug, Clone, Copy)]
pub struct TableCaller<'a> {
    table: &'a ClresFunctionTable,
}

impl<'a> TableCaller<'a> {
    /// A caller of `table`'s entries.
    #[must_use]
    pub fn new(table: &'a ClresFunctionTable) -> Self {
        Self { table }
    }

    /// `OfflineV2(resid, dest, flags, NULL, 0, 0)`; `dest` must end with its NUL (otherwise
    /// ERROR_INVALID_PARAMETER without calling). ERROR_INVALID_FUNCTION if the entry is NULL.
    #[inline(always)]
    #[must_use]
    pub fn offline_v2(&self, resid: usize, dest: Option<&[u16]>, flags: u32) -> u32 {
        let dest_ptr = match dest {
            None => ptr::null(),
            Some(units) if units.last() == Some(&0) => units.as_ptr(),
            Some(_) => return ErrorCode::ERROR_INVALID_PARAMETER.0,
        };
        match self.table.V4Functions.Offline {
            // SAFETY: a resapi.h OfflineV2 entry of a live table; the destination is NULL or
            // NUL-terminated (checked above) and the buffer NULL with size 0 (SPEC §1).
            Some(f) => unsafe { f(resid as RESID, dest_ptr, flags, ptr::null_mut(), 0, 0) },
            None => ErrorCode::ERROR_INVALID_FUNCTION.0,
        }
    }

    /// `OpenV2(name, NULL, handle, 0)` → the RESID (0 for NULL); `name` must end with its NUL
    /// (otherwise 0 without calling). `handle` is passed back in the DLL's callbacks: give a
    /// value no host registered (A7) unless callbacks are wanted. 0 if the entry is NULL.
    #[inline]
    #[must_use]
    pub fn open_v2(&self, name: &[u16], handle: usize) -> usize {
        if name.last() != Some(&0) {
            return 0;
        }
        match self.table.V4Functions.Open {
            // SAFETY: a resapi.h OpenV2 entry of a live table; the name is NUL-terminated
            // (checked above) and HKEY NULL is allowed (SPEC §1a); the handle is an integer.
            Some(f) => unsafe {
                f(name.as_ptr(), ptr::null_mut(), handle as RESOURCE_HANDLE, 0) as usize
            },
            None => 0,
        }
    }

    /// `Close(resid)`, if the entry is there.
    #[inline]
    pub fn close(&self, resid: usize) {
        if let Some(f) = self.table.V4Functions.Close {
            // SAFETY: a resapi.h Close entry of a live table; RESIDs are opaque values the
            // DLL validates (R2).
            unsafe { f(resid as RESID) };
        }
    }

    /// `OnlineV2(resid, NULL, 0, NULL, 0, 0)`. ERROR_INVALID_FUNCTION if the entry is NULL.
    #[inline(always)]
    #[must_use]
    pub fn online_v2(&self, resid: usize) -> u32 {
        match self.table.V4Functions.Online {
            // SAFETY: a resapi.h OnlineV2 entry of a live table; EventHandle may be NULL
            // (SPEC §1a) and the buffer is NULL with size 0.
            Some(f) => unsafe { f(resid as RESID, ptr::null_mut(), 0, ptr::null_mut(), 0, 0) },
            None => ErrorCode::ERROR_INVALID_FUNCTION.0,
        }
    }
}

/// What a loaded DLL exports besides its WSFC table (issue 15: say what can run).
impl DllEntries {
    /// True if the DLL exports the classic `Startup`.
    #[must_use]
    pub fn has_classic_startup(&self) -> bool {
        self.classic.is_some()
    }

    /// True if the DLL has the reference release export (instances can be freed, A1).
    #[must_use]
    pub fn has_release(&self) -> bool {
        self.extras.release.is_some()
    }

    /// True if the DLL has the reference state-query export.
    #[must_use]
    pub fn has_state(&self) -> bool {
        self.extras.state.is_some()
    }
}

/// Calls whose buffers end right before an unreadable page ([`super::guard`]): what
/// `offline-v2 conform` passes to a DLL it does not know (issue 15).
impl TableDll {
    /// `OfflineV2` with raw arguments: `dest` is `None` (NULL) or units followed by a NUL
    /// only if `terminated`; `inbuf` is `None` (NULL) or a buffer of exactly `inbuf_size`
    /// zero bytes. Each buffer ends at a guard page, so a DLL that reads past it faults.
    /// ERROR_NOT_ENOUGH_MEMORY if the buffers cannot be mapped.
    pub fn offline_v2_guarded(
        &self,
        resid: usize,
        dest: Option<(&[u16], bool)>,
        flags: u32,
        inbuf: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        let Some(offline) = self.fns.Offline else {
            return ErrorCode::ERROR_INVALID_FUNCTION;
        };
        let dest = match dest {
            None => None,
            Some((units, terminated)) => {
                let mut v = units.to_vec();
                if terminated {
                    v.push(0);
                }
                match super::guard::GuardedBytes::from_units(&v) {
                    Some(g) => Some(g),
                    None => return GUARD_NO_MEMORY,
                }
            }
        };
        let Ok(mut buffer) = guarded_buffer(inbuf, inbuf_size) else {
            return GUARD_NO_MEMORY;
        };
        let mut dest = dest;
        let dest_ptr = dest
            .as_mut()
            .map_or(ptr::null(), |g| g.as_mut_ptr().cast::<u16>().cast_const());
        let inbuf_ptr = buffer.as_mut().map_or(ptr::null_mut(), |g| g.as_mut_ptr());
        // SAFETY: the DLL's OfflineV2; the destination is NULL or readable units (with a NUL
        // only if asked: a DLL that scans past 16 units faults on the guard page, which the
        // caller isolates); InBuffer is NULL or readable for exactly InBufferSize bytes.
        ErrorCode(unsafe {
            offline(
                as_resid(resid),
                dest_ptr,
                flags,
                inbuf_ptr,
                inbuf_size,
                reserved,
            )
        })
    }

    /// `OnlineV2(resid, NULL, 0, inbuf, inbuf_size, reserved)` with the buffer (if any)
    /// ending at a guard page.
    pub fn online_v2_guarded(
        &self,
        resid: usize,
        inbuf: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        let Some(online) = self.fns.Online else {
            return ErrorCode::ERROR_INVALID_FUNCTION;
        };
        let Ok(mut buffer) = guarded_buffer(inbuf, inbuf_size) else {
            return GUARD_NO_MEMORY;
        };
        let inbuf_ptr = buffer.as_mut().map_or(ptr::null_mut(), |g| g.as_mut_ptr());
        // SAFETY: the DLL's OnlineV2; EventHandle NULL is allowed (SPEC §1a); InBuffer is NULL
        // or readable for exactly InBufferSize bytes.
        ErrorCode(unsafe {
            online(
                as_resid(resid),
                ptr::null_mut(),
                0,
                inbuf_ptr,
                inbuf_size,
                reserved,
            )
        })
    }

    /// `LooksAlive`/`IsAlive`/`Arbitrate`/`Release` presence, for a capability report.
    #[must_use]
    pub fn entry_presence(&self) -> [(&'static str, bool); 14] {
        let f = &self.fns;
        [
            ("Open", f.Open.is_some()),
            ("Close", f.Close.is_some()),
            ("Online", f.Online.is_some()),
            ("Offline", f.Offline.is_some()),
            ("Terminate", f.Terminate.is_some()),
            ("LooksAlive", f.LooksAlive.is_some()),
            ("IsAlive", f.IsAlive.is_some()),
            ("Arbitrate", f.Arbitrate.is_some()),
            ("Release", f.Release.is_some()),
            ("BeginResourceControl", f.BeginResourceControl.is_some()),
            (
                "BeginResourceTypeControl",
                f.BeginResourceTypeControl.is_some(),
            ),
            ("Cancel", f.Cancel.is_some()),
            (
                "BeginResourceControlAsUser",
                f.BeginResourceControlAsUser.is_some(),
            ),
            (
                "BeginResourceTypeControlAsUser",
                f.BeginResourceTypeControlAsUser.is_some(),
            ),
        ]
    }
}

/// ERROR_NOT_ENOUGH_MEMORY (8, SPEC §2): the guard buffers could not be mapped.
const GUARD_NO_MEMORY: ErrorCode = ErrorCode(8);

/// A present InBuffer of exactly `size` zero bytes ending at a guard page (`Err` if it cannot
/// be mapped), or `None` for NULL.
fn guarded_buffer(present: bool, size: u32) -> Result<Option<super::guard::GuardedBytes>, ()> {
    if !present {
        return Ok(None);
    }
    let size = usize::try_from(size).map_err(|_| ())?;
    super::guard::GuardedBytes::new(&vec![0u8; size])
        .map(Some)
        .ok_or(())
}
