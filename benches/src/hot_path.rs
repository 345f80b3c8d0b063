//! Fixtures of the OfflineV2 hot path (SPEC §8), shared by `benches/offline_v2_hot_path.rs`
//! and `tests/zero_alloc.rs`.
//!
//! Two sides are measured in the same run:
//! - the reference DLL answering OfflineV2 synchronously (validation, RESID lookup, state
//!   change, trace), and
//! - [`EmptyTable`]: `extern "system"` functions with the same function-pointer types that do
//!   nothing, called through a table the same way — the same-run baseline.
//!
//! Interim (until the `abi` branch lands on main): the reference side calls
//! [`offline_v2::reference::Instance`] directly (with the same R8 panic guard the ABI uses),
//! not yet through the exported `CLRES_FUNCTION_TABLE`.
#![allow(unsafe_code)] // Calls through `unsafe extern "system"` function pointers (SPEC §1a).

use std::ffi::c_void;
use std::hint::black_box;
use std::ptr;

use offline_v2::reference::{guarded, DestArg, Instance, Notice};
use offline_v2::resource_dll::WorkloadControl;
use offline_v2::types::{ErrorCode, NodeName, WorkMode};

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

/// `POFFLINE_V2_ROUTINE` (SPEC §1).
pub type OfflineV2Fn = unsafe extern "system" fn(
    resource: *mut c_void,
    destination_node_name: *const u16,
    offline_flags: u32,
    in_buffer: *mut u8,
    in_buffer_size: u32,
    reserved: u32,
) -> u32;

/// `PONLINE_V2_ROUTINE` (SPEC §1a).
pub type OnlineV2Fn = unsafe extern "system" fn(
    resource: *mut c_void,
    event_handle: *mut *mut c_void,
    online_flags: u32,
    in_buffer: *mut u8,
    in_buffer_size: u32,
    reserved: u32,
) -> u32;

/// The baseline: a table of `extern "system"` entry points that return ERROR_SUCCESS at once.
#[derive(Debug, Clone, Copy)]
pub struct EmptyTable {
    /// An empty OnlineV2.
    pub online: OnlineV2Fn,
    /// An empty OfflineV2.
    pub offline: OfflineV2Fn,
}

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

/// The empty table (static, like a DLL's).
pub static EMPTY_TABLE: EmptyTable = EmptyTable {
    online: empty_online_v2,
    offline: empty_offline_v2,
};

impl EmptyTable {
    /// The table, loaded through an optimisation barrier so that calls stay indirect.
    #[must_use]
    pub fn get() -> &'static EmptyTable {
        black_box(&EMPTY_TABLE)
    }

    /// An empty OfflineV2 call with the hot path's arguments.
    #[inline(always)]
    pub fn offline_v2(&self, resid: usize) -> u32 {
        // SAFETY: `empty_offline_v2` reads none of its arguments.
        unsafe {
            (self.offline)(
                resid as *mut c_void,
                MOVE_DEST.as_ptr(),
                SYNC_FLAGS,
                ptr::null_mut(),
                0,
                0,
            )
        }
    }

    /// An empty OnlineV2 call.
    #[inline(always)]
    pub fn online_v2(&self, resid: usize) -> u32 {
        // SAFETY: `empty_online_v2` reads none of its arguments.
        unsafe {
            (self.online)(
                resid as *mut c_void,
                ptr::null_mut(),
                0,
                ptr::null_mut(),
                0,
                0,
            )
        }
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
        let t = EmptyTable::get();
        assert_eq!(t.offline_v2(1), 0);
        assert_eq!(t.online_v2(1), 0);
    }
}
