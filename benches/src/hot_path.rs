//! Fixtures of the OfflineV2 hot path (SPEC §8), shared by `benches/offline_v2_hot_path.rs`
//! and `tests/zero_alloc.rs`.
//!
//! Two sides are measured in the same run, both through a `CLRES_FUNCTION_TABLE`:
//! - [`AbiFixture`]: the reference DLL's own exported V4 table (from the built cdylib loaded
//!   with `libloading`, or the same exports called in-process), answering OfflineV2
//!   synchronously: validation, RESID lookup, state change, trace — plus what the export adds
//!   (panic guard, instance lock, RESID decoding, bounded DestinationNodeName scan);
//! - [`EmptyTable`]: a `CLRES_FUNCTION_TABLE` of the same type whose OnlineV2 and OfflineV2
//!   are `extern "system"` functions that return at once — the same-run baseline.
//!
//! [`ReferenceFixture`] calls the reference logic ([`offline_v2::reference::Instance`])
//! directly, without the ABI: it shows how the hot path's cost splits between the logic and
//! the export around it.

use std::ffi::c_void;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use offline_v2::abi::host::{TableCaller, TableDll};
use offline_v2::abi::types::{
    ClresFunctionTable, ClresV4Functions, CLRES_V4_FUNCTION_SIZE, CLRES_VERSION_V4_00,
};
use offline_v2::loader::LoadedDll;
use offline_v2::reference::{guarded, DestArg, Instance, Notice};
use offline_v2::resource_dll::WorkloadControl;
use offline_v2::types::{ErrorCode, NodeName, ResourceId, WorkMode};

pub use offline_v2::abi::types::{OfflineV2Fn, OnlineV2Fn};

/// The DestinationNodeName of the measured move leg, NUL-terminated UTF-16 (`"n2"`).
pub const MOVE_DEST: [u16; 3] = [b'n' as u16, b'2' as u16, 0];

/// The flags of the measured synchronous offline: the source-side leg of a move with
/// RETURN_TO_SOURCE_NODE_ON_ERROR (0x02 | 0x40, R12), which also exercises the
/// DestinationNodeName checks of R1 and the reachability check of R5.
pub const SYNC_FLAGS: u32 = 0x02 | 0x40;

/// Flags R1 rejects (a bit outside 0x7F): the rejection path.
pub const INVALID_FLAGS: u32 = 0x80;

/// Resources per fixture: the measured calls cycle over them in batches, so that only the
/// OfflineV2 calls are timed and the re-online of each batch is not.
pub const BATCH: usize = 256;

/// The baseline: a `CLRES_FUNCTION_TABLE` whose OnlineV2 and OfflineV2 are `extern "system"`
/// functions that return ERROR_SUCCESS at once (every other entry NULL).
#[derive(Debug, Clone, Copy)]
pub struct EmptyTable;

#[inline(never)]
extern "system" fn empty_offline_v2(
    _resource: *mut c_void,
    _destination_node_name: *const u16,
    _offline_flags: u32,
    _in_buffer: *mut u8,
    _in_buffer_size: u32,
    _reserved: u32,
) -> u32 {
    0
}

#[inline(never)]
extern "system" fn empty_online_v2(
    _resource: *mut c_void,
    _event_handle: *mut *mut c_void,
    _online_flags: u32,
    _in_buffer: *mut u8,
    _in_buffer_size: u32,
    _reserved: u32,
) -> u32 {
    0
}

/// A V4 `CLRES_FUNCTION_TABLE` with only OnlineV2 and OfflineV2 (every other entry NULL): the
/// shape of the bench's own tables.
const fn online_offline_table(online: OnlineV2Fn, offline: OfflineV2Fn) -> ClresFunctionTable {
    ClresFunctionTable {
        TableSize: CLRES_V4_FUNCTION_SIZE,
        Version: CLRES_VERSION_V4_00,
        V4Functions: ClresV4Functions {
            Open: None,
            Close: None,
            Online: Some(online),
            Offline: Some(offline),
            Terminate: None,
            LooksAlive: None,
            IsAlive: None,
            Arbitrate: None,
            Release: None,
            BeginResourceControl: None,
            BeginResourceTypeControl: None,
            Cancel: None,
            BeginResourceControlAsUser: None,
            BeginResourceTypeControlAsUser: None,
        },
    }
}

/// The empty table (static, like a DLL's).
pub static EMPTY_TABLE: ClresFunctionTable =
    online_offline_table(empty_online_v2, empty_offline_v2);

/// `OfflineV2(resid, MOVE_DEST, flags, NULL, 0, 0)` through `table`'s entry, read from the
/// table at each call (as for the real table).
#[inline(always)]
fn table_offline_v2(table: &ClresFunctionTable, resid: usize, flags: u32) -> u32 {
    TableCaller::new(table).offline_v2(resid, Some(&MOVE_DEST), flags)
}

/// `OnlineV2(resid, NULL, 0, NULL, 0, 0)` through `table`'s entry.
#[inline(always)]
fn table_online_v2(table: &ClresFunctionTable, resid: usize) -> u32 {
    TableCaller::new(table).online_v2(resid)
}

impl EmptyTable {
    /// The table, loaded through an optimisation barrier so that calls stay indirect.
    #[must_use]
    pub fn get() -> &'static ClresFunctionTable {
        black_box(&EMPTY_TABLE)
    }

    /// An empty OfflineV2 call with the hot path's arguments.
    #[inline(always)]
    #[must_use]
    pub fn offline_v2(resid: usize) -> u32 {
        table_offline_v2(Self::get(), resid, SYNC_FLAGS)
    }

    /// An empty OnlineV2 call.
    #[inline(always)]
    #[must_use]
    pub fn online_v2(resid: usize) -> u32 {
        table_online_v2(Self::get(), resid)
    }
}

/// Issue 13's sketch of the least a lock-free OfflineV2 can do, the *CAS floor*: R1's scalar
/// checks, a generation-checked slot lookup and one compare-and-swap of the resource's word
/// (Online → Offline), in an `extern "system"` function of OfflineV2's type called through a
/// `CLRES_FUNCTION_TABLE` like [`EmptyTable`] — no destination scan, no trace, no R3–R7. Its
/// ratio to the empty call, measured in the same run, is the floor of any design that changes
/// the state with a locked read-modify-write on the machine at hand (decision A17).
#[derive(Debug, Clone, Copy)]
pub struct CasFloor;

/// The sketch's resource words: generation in the high 48 bits, state in the low byte
/// (1 Online, 2 Offline).
static CAS_FLOOR_WORDS: [AtomicU64; BATCH] = [const { AtomicU64::new(0) }; BATCH];

/// The generation every sketch word carries (and every RESID [`CasFloor::resid`] names).
const CAS_FLOOR_GENERATION: u64 = 0x2A;

#[inline(never)]
extern "system" fn cas_floor_offline_v2(
    resource: *mut c_void,
    _destination_node_name: *const u16,
    offline_flags: u32,
    in_buffer: *mut u8,
    in_buffer_size: u32,
    reserved: u32,
) -> u32 {
    cas_floor_step(
        resource as usize,
        offline_flags,
        in_buffer,
        in_buffer_size,
        reserved,
        1,
        2,
    )
}

#[inline(never)]
extern "system" fn cas_floor_online_v2(
    resource: *mut c_void,
    _event_handle: *mut *mut c_void,
    online_flags: u32,
    in_buffer: *mut u8,
    in_buffer_size: u32,
    reserved: u32,
) -> u32 {
    let _ = online_flags;
    cas_floor_step(
        resource as usize,
        0,
        in_buffer,
        in_buffer_size,
        reserved,
        2,
        1,
    )
}

/// Validate, look up, compare-and-swap `from` → `to`.
#[inline(always)]
fn cas_floor_step(
    resid: usize,
    flags: u32,
    in_buffer: *mut u8,
    in_buffer_size: u32,
    reserved: u32,
    from: u64,
    to: u64,
) -> u32 {
    if flags & !0x7F != 0 || reserved != 0 || (in_buffer.is_null() && in_buffer_size != 0) {
        return ErrorCode::ERROR_INVALID_PARAMETER.0;
    }
    let Some(word) = CAS_FLOOR_WORDS.get((resid & 0xFFFF).wrapping_sub(1)) else {
        return ErrorCode::ERROR_RESOURCE_NOT_FOUND.0;
    };
    let w = word.load(Ordering::Acquire);
    if w >> 16 != (resid as u64) >> 16 {
        return ErrorCode::ERROR_RESOURCE_NOT_FOUND.0;
    }
    if w & 0xFF != from {
        return ErrorCode::ERROR_INVALID_STATE.0;
    }
    match word.compare_exchange(w, (w & !0xFF) | to, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => ErrorCode::ERROR_SUCCESS.0,
        Err(_) => ErrorCode::ERROR_INVALID_STATE.0,
    }
}

/// The sketch's table (static, like a DLL's).
pub static CAS_FLOOR_TABLE: ClresFunctionTable =
    online_offline_table(cas_floor_online_v2, cas_floor_offline_v2);

impl CasFloor {
    /// Every sketch resource Online (generation [`CAS_FLOOR_GENERATION`]).
    #[must_use]
    pub fn new() -> Self {
        for word in &CAS_FLOOR_WORDS {
            word.store((CAS_FLOOR_GENERATION << 16) | 1, Ordering::Release);
        }
        Self
    }

    /// The RESID of sketch resource `k`.
    #[must_use]
    pub fn resid(k: usize) -> usize {
        ((CAS_FLOOR_GENERATION as usize) << 16) | (k + 1)
    }

    /// The table, through an optimisation barrier.
    #[must_use]
    pub fn get() -> &'static ClresFunctionTable {
        black_box(&CAS_FLOOR_TABLE)
    }

    /// OfflineV2 of sketch resource `k` with the hot path's arguments.
    #[inline(always)]
    #[must_use]
    pub fn offline_v2(k: usize) -> u32 {
        table_offline_v2(Self::get(), Self::resid(k), SYNC_FLAGS)
    }

    /// OnlineV2 of sketch resource `k` (the untimed reset).
    #[inline(always)]
    #[must_use]
    pub fn online_v2(k: usize) -> u32 {
        table_online_v2(Self::get(), Self::resid(k))
    }
}

impl Default for CasFloor {
    fn default() -> Self {
        Self::new()
    }
}

/// What the hot-path bench and the zero-allocation test do with a fixture.
pub trait HotPath {
    /// OfflineV2 of resource `k` with [`SYNC_FLAGS`] and [`MOVE_DEST`].
    fn offline_v2(&mut self, k: usize) -> ErrorCode;
    /// OfflineV2 of resource `k` with [`INVALID_FLAGS`].
    fn offline_v2_invalid(&mut self, k: usize) -> ErrorCode;
    /// OnlineV2 of resource `k`.
    fn online_v2(&mut self, k: usize) -> ErrorCode;
    /// Ends resource `k`'s pending offline and brings it Online again (untimed reset).
    fn settle_pending_offline(&mut self, k: usize);
}

macro_rules! hot_path_impl {
    ($t:ty) => {
        impl HotPath for $t {
            #[inline(always)]
            fn offline_v2(&mut self, k: usize) -> ErrorCode {
                <$t>::offline_v2(self, k)
            }
            #[inline(always)]
            fn offline_v2_invalid(&mut self, k: usize) -> ErrorCode {
                <$t>::offline_v2_invalid(self, k)
            }
            #[inline(always)]
            fn online_v2(&mut self, k: usize) -> ErrorCode {
                <$t>::online_v2(self, k)
            }
            fn settle_pending_offline(&mut self, k: usize) {
                <$t>::settle_pending_offline(self, k);
            }
        }
    };
}

hot_path_impl!(AbiFixture);
hot_path_impl!(ReferenceFixture);

/// Where the measured reference DLL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DllSource {
    /// The built cdylib (or `$OFFLINE_V2_DLL`), loaded with `libloading`.
    Cdylib(std::path::PathBuf),
    /// This crate's linked copy of the same exports (`StartupEx` called in-process).
    InProcess,
}

/// `resources` Online resources (`online: sync`, the given offline mode) of one instance of
/// the reference DLL, called through its exported V4 table.
#[derive(Debug)]
pub struct AbiFixture {
    dll: TableDll,
    resids: Vec<usize>,
    names: Vec<String>,
    source: DllSource,
}

impl AbiFixture {
    /// An instance from the built cdylib if it can be loaded, else in-process.
    ///
    /// # Panics
    /// If the DLL refuses the set-up (a bug the bench must not hide).
    #[must_use]
    pub fn new(resources: usize, offline: WorkMode) -> Self {
        match LoadedDll::open_built()
            .and_then(|l| l.instance().map(|i| (l.path().to_path_buf(), i)))
        {
            Ok((path, dll)) => Self::with(dll, DllSource::Cdylib(path), resources, offline),
            Err(_) => Self::in_process(resources, offline),
        }
    }

    /// An instance of the linked (in-process) exports: the allocations it makes go through
    /// this program's global allocator (the zero-allocation test).
    ///
    /// # Panics
    /// As [`AbiFixture::new`].
    #[must_use]
    pub fn in_process(resources: usize, offline: WorkMode) -> Self {
        let dll = TableDll::in_process().expect("StartupEx in-process");
        Self::with(dll, DllSource::InProcess, resources, offline)
    }

    fn with(dll: TableDll, source: DllSource, resources: usize, offline: WorkMode) -> Self {
        assert!(resources <= 256, "ResourceId is a u8");
        let n1 = NodeName::new("n1").expect("valid node name");
        assert_eq!(
            dll.send_control(WorkloadControl::SetLocalNode(n1)),
            ErrorCode::ERROR_SUCCESS
        );
        let names: Vec<String> = (0..resources).map(|k| format!("r{k}")).collect();
        let mut resids = Vec::with_capacity(resources);
        for (k, name) in names.iter().enumerate() {
            assert_eq!(
                dll.send_control(WorkloadControl::Configure {
                    resource: name,
                    offline,
                    online: WorkMode::Sync,
                    running: true,
                }),
                ErrorCode::ERROR_SUCCESS
            );
            let id = ResourceId(u8::try_from(k).expect("≤ 256 resources"));
            let resid = dll.open_resource(id, name).expect("OpenV2 succeeds");
            resids.push(resid.0.get());
        }
        Self {
            dll,
            resids,
            names,
            source,
        }
    }

    /// Where the DLL came from.
    #[must_use]
    pub fn source(&self) -> &DllSource {
        &self.source
    }

    /// Number of resources.
    #[must_use]
    pub fn len(&self) -> usize {
        self.resids.len()
    }

    /// True when the fixture has no resource.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.resids.is_empty()
    }

    #[inline(always)]
    fn table(&self) -> &ClresFunctionTable {
        // Through an optimisation barrier, so that the call stays indirect like a host's.
        black_box(self.dll.function_table())
    }

    /// OfflineV2 of resource `k` with [`SYNC_FLAGS`] and [`MOVE_DEST`] (the measured call).
    #[inline(always)]
    pub fn offline_v2(&mut self, k: usize) -> ErrorCode {
        ErrorCode(table_offline_v2(self.table(), self.resids[k], SYNC_FLAGS))
    }

    /// OfflineV2 of resource `k` with [`INVALID_FLAGS`] (R1 rejects; no state change).
    #[inline(always)]
    pub fn offline_v2_invalid(&mut self, k: usize) -> ErrorCode {
        ErrorCode(table_offline_v2(
            self.table(),
            self.resids[k],
            INVALID_FLAGS,
        ))
    }

    /// OnlineV2 of resource `k` (synchronous: back to Online).
    #[inline(always)]
    pub fn online_v2(&mut self, k: usize) -> ErrorCode {
        ErrorCode(table_online_v2(self.table(), self.resids[k]))
    }

    /// Ends the pending offline of resource `k` through the control export (the DLL calls the
    /// host's SetResourceStatusEx) and drains the host's callbacks; returns how many it got.
    pub fn complete_pending_offline(&mut self, k: usize) -> usize {
        let code = self
            .dll
            .send_control(WorkloadControl::CompleteOffline(&self.names[k]));
        debug_assert_eq!(code, ErrorCode::ERROR_SUCCESS);
        self.dll.drain_callbacks().len()
    }

    /// Ends the pending offline of resource `k` through the control export, drains the
    /// status callback, and brings the resource Online again (the IO_PENDING bench's
    /// untimed reset).
    pub fn settle_pending_offline(&mut self, k: usize) {
        self.complete_pending_offline(k);
        let code = self.online_v2(k);
        debug_assert_eq!(code, ErrorCode::ERROR_SUCCESS);
    }
}

/// `BATCH` resources of one reference DLL instance, all Online, `online: sync`, with the given
/// offline mode; node `n1`, every link up.
#[derive(Debug)]
pub struct ReferenceFixture {
    instance: Instance,
    resids: Vec<usize>,
    names: Vec<String>,
    notices: Vec<(usize, Notice)>,
}

impl ReferenceFixture {
    /// A fixture of `resources` Online resources whose offline work is `offline`.
    ///
    /// # Panics
    /// If the reference DLL refuses the set-up (a bug the bench must not hide).
    #[must_use]
    pub fn new(resources: usize, offline: WorkMode) -> Self {
        let mut instance = Instance::new();
        let n1 = NodeName::new("n1").expect("valid node name");
        assert_eq!(
            instance.control(WorkloadControl::SetLocalNode(n1)),
            ErrorCode::ERROR_SUCCESS
        );
        let names: Vec<String> = (0..resources).map(|k| format!("r{k}")).collect();
        let mut resids = Vec::with_capacity(resources);
        for (k, name) in names.iter().enumerate() {
            instance.control(WorkloadControl::Configure {
                resource: name,
                offline,
                online: WorkMode::Sync,
                running: true,
            });
            resids.push(instance.open(name, k + 1).expect("OpenV2 succeeds"));
        }
        Self {
            instance,
            resids,
            names,
            notices: Vec::with_capacity(4 * resources),
        }
    }

    /// Number of resources.
    #[must_use]
    pub fn len(&self) -> usize {
        self.resids.len()
    }

    /// True when the fixture has no resource.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.resids.is_empty()
    }

    /// The RESID of resource `k`.
    #[must_use]
    pub fn resid(&self, k: usize) -> usize {
        self.resids[k]
    }

    /// OfflineV2 of resource `k` with [`SYNC_FLAGS`] and [`MOVE_DEST`] (the measured call).
    #[inline(always)]
    pub fn offline_v2(&mut self, k: usize) -> ErrorCode {
        self.offline_v2_flags(k, SYNC_FLAGS)
    }

    /// OfflineV2 of resource `k` with [`INVALID_FLAGS`] (R1 rejects; no state change).
    #[inline(always)]
    pub fn offline_v2_invalid(&mut self, k: usize) -> ErrorCode {
        self.offline_v2_flags(k, INVALID_FLAGS)
    }

    #[inline(always)]
    fn offline_v2_flags(&mut self, k: usize, flags: u32) -> ErrorCode {
        let resid = self.resids[k];
        let dest = DestArg::scan(&MOVE_DEST);
        guarded(&mut self.instance, resid, |i| {
            i.offline_v2(resid, dest, flags, true, 0, 0)
        })
    }

    /// OnlineV2 of resource `k` (synchronous: back to Online).
    #[inline(always)]
    pub fn online_v2(&mut self, k: usize) -> ErrorCode {
        let resid = self.resids[k];
        guarded(&mut self.instance, resid, |i| {
            i.online_v2(resid, true, 0, 0)
        })
    }

    /// Ends the pending offline of resource `k` (control export) and brings it Online again:
    /// the untimed reset of the IO_PENDING bench.
    pub fn settle_pending_offline(&mut self, k: usize) {
        let code = self
            .instance
            .control(WorkloadControl::CompleteOffline(&self.names[k]));
        debug_assert_eq!(code, ErrorCode::ERROR_SUCCESS);
        self.instance.drain_notices(&mut self.notices);
        self.notices.clear();
        let code = self.online_v2(k);
        debug_assert_eq!(code, ErrorCode::ERROR_SUCCESS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_fixture_round_trips() {
        let mut fx = ReferenceFixture::new(4, WorkMode::Sync);
        for k in 0..fx.len() {
            assert_eq!(fx.offline_v2(k), ErrorCode::ERROR_SUCCESS);
            assert_eq!(fx.online_v2(k), ErrorCode::ERROR_SUCCESS);
            assert_eq!(fx.offline_v2_invalid(k), ErrorCode::ERROR_INVALID_PARAMETER);
        }
    }

    #[test]
    fn pending_fixture_round_trips() {
        let mut fx = ReferenceFixture::new(2, WorkMode::Pending);
        for _ in 0..3 {
            assert_eq!(fx.offline_v2(1), ErrorCode::ERROR_IO_PENDING);
            fx.settle_pending_offline(1);
        }
    }

    #[test]
    fn empty_table_answers_success() {
        assert_eq!(EmptyTable::offline_v2(1), 0);
        assert_eq!(EmptyTable::online_v2(1), 0);
    }

    #[test]
    fn abi_fixture_round_trips_in_process() {
        let mut fx = AbiFixture::in_process(3, WorkMode::Sync);
        for k in 0..fx.len() {
            assert_eq!(fx.offline_v2(k), ErrorCode::ERROR_SUCCESS);
            assert_eq!(
                fx.offline_v2(k),
                ErrorCode::ERROR_SUCCESS,
                "R3: already Offline"
            );
            assert_eq!(fx.online_v2(k), ErrorCode::ERROR_SUCCESS);
            assert_eq!(fx.offline_v2_invalid(k), ErrorCode::ERROR_INVALID_PARAMETER);
        }
        let mut fx = AbiFixture::in_process(2, WorkMode::Pending);
        for _ in 0..3 {
            assert_eq!(fx.offline_v2(1), ErrorCode::ERROR_IO_PENDING);
            fx.settle_pending_offline(1);
        }
    }
}

#[cfg(test)]
mod cas_floor_tests {
    use super::*;

    /// The floor does the work it stands for: it answers like OfflineV2/OnlineV2 would, so
    /// its time is not that of a call that skips the compare-and-swap.
    #[test]
    fn the_cas_floor_validates_looks_up_and_swaps() {
        let _floor = CasFloor::new();
        let code = |c: u32| ErrorCode(c);
        assert_eq!(code(CasFloor::offline_v2(3)), ErrorCode::ERROR_SUCCESS);
        assert_eq!(
            code(CasFloor::offline_v2(3)),
            ErrorCode::ERROR_INVALID_STATE
        );
        assert_eq!(code(CasFloor::online_v2(3)), ErrorCode::ERROR_SUCCESS);
        let table = CasFloor::get();
        let stale = CasFloor::resid(3) ^ (1 << 20);
        assert_eq!(
            code(table_offline_v2(table, stale, SYNC_FLAGS)),
            ErrorCode::ERROR_RESOURCE_NOT_FOUND
        );
        assert_eq!(
            code(table_offline_v2(table, CasFloor::resid(3), INVALID_FLAGS)),
            ErrorCode::ERROR_INVALID_PARAMETER
        );
        assert_eq!(
            code(table_offline_v2(table, 0, SYNC_FLAGS)),
            ErrorCode::ERROR_RESOURCE_NOT_FOUND
        );
        // Still Online after the refused calls.
        assert_eq!(code(CasFloor::offline_v2(3)), ErrorCode::ERROR_SUCCESS);
    }
}
