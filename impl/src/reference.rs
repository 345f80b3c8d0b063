//! The reference resource (R1–R9) as safe, deterministic Rust.
//!
//! [`Instance`] is one instance of the reference resource DLL (D1: one per node, like one
//! resource monitor per node). The exported C ABI ([`crate::abi`]) wraps an `Instance` behind
//! a mutex; [`ReferenceDll`] drives one in-process without the ABI, for fast model-sized runs.
//! Either way the DLL's callbacks are first collected in the instance's outbox and delivered by
//! the caller after the call returns, so the DLL never calls the host while holding its state.
//!
//! RESIDs are generation-checked slot handles: `(generation << 32) | (slot + 1)` on 64-bit
//! targets, so RESID 0, a forged value, a closed RESID and a RESID from before a reset are all
//! detected (R2) without ever dereferencing anything.

use crate::resource_dll::{
    DllCallback, RawDest, RawOfflineV2, Resid, ResourceDll, WorkloadControl,
};
use crate::types::{
    ErrorCode, NodeName, OfflineFlags, ResourceId, ResourceState, WorkMode, NODE_NAME_MAX,
};

/// Longest DestinationNodeName scan, NUL included (R1: "NUL-terminated UTF-16 within 16 units").
pub const DEST_SCAN_UNITS: usize = NODE_NAME_MAX + 1;

/// Most resources one instance holds open at once (bounds the slot table; TigerBeetle style).
pub const MAX_SLOTS: usize = 1024;

/// Entries kept in the call trace ring (the hot path records without allocating).
pub const TRACE_LEN: usize = 64;

/// `FAILURE_TYPE_EMBEDDED` of `SignalFailure` (SPEC §1a, R21).
pub const FAILURE_TYPE_EMBEDDED: u32 = 1;

/// A DestinationNodeName as the DLL received it, after the ABI layer's bounded scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestArg<'a> {
    /// NULL.
    Null,
    /// The units before the NUL (at most 15; R1 checks their syntax).
    Units(&'a [u16]),
    /// No NUL within [`DEST_SCAN_UNITS`] units: overlong or unterminated (R1 rejects).
    Unterminated,
}

impl<'a> DestArg<'a> {
    /// Scans `units` the way the ABI scans a `LPCWSTR`: at most [`DEST_SCAN_UNITS`] units.
    #[must_use]
    #[inline]
    pub fn scan(units: &'a [u16]) -> Self {
        let window = &units[..units.len().min(DEST_SCAN_UNITS)];
        match window.iter().position(|&u| u == 0) {
            Some(end) => DestArg::Units(&window[..end]),
            None => DestArg::Unterminated,
        }
    }
}

/// What the instance tells its host (delivered after the call, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// `SetResourceStatusEx(handle, state)`.
    Status(ResourceState),
    /// `SetResourceLockedMode(handle, locked, 0)`.
    LockedMode(bool),
    /// `SignalFailure(handle, FAILURE_TYPE_EMBEDDED, code)`.
    EmbeddedFailure(u32),
}

/// Work started by a call that answered ERROR_IO_PENDING (R7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingWork {
    GoingOffline,
    GoingOnline,
}

/// The workload behind a resource name (D1): what the environment controls.
#[derive(Debug, Clone)]
struct Workload {
    name: String,
    offline: WorkMode,
    online: WorkMode,
    /// The workload is running (Online) on this instance; an Open here sees it Online.
    running: bool,
    locked: bool,
    busy: bool,
    panic_armed: bool,
}

impl Workload {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            offline: WorkMode::Pending,
            online: WorkMode::Pending,
            running: false,
            locked: false,
            busy: false,
            panic_armed: false,
        }
    }
}

/// An open RESID.
#[derive(Debug, Clone, Copy)]
struct OpenResource {
    workload: usize,
    /// The host's ResourceHandle, passed back in every callback.
    handle: usize,
    state: ResourceState,
    pending: Option<PendingWork>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    generation: u32,
    open: Option<OpenResource>,
}

/// One traced OfflineV2 call (the hot path's "trace" step, SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceEntry {
    /// The RESID passed.
    pub resid: usize,
    /// The flags passed.
    pub flags: u32,
    /// The code returned.
    pub result: u32,
}

/// An injected panic (R8, SPEC §7 `inject_panic`), raised inside an entry point.
#[derive(Debug)]
pub struct InjectedPanic;

/// Installs, once, a panic hook that stays silent for an [`InjectedPanic`] (a test-only fault
/// that R8 turns into ERROR_GEN_FAILURE, SPEC §7 `inject_panic`) and hands every other panic to
/// the hook that was there before. In the cdylib this affects only the DLL's own copy of std.
pub fn quiet_injected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<InjectedPanic>().is_none() {
                previous(info);
            }
        }));
    });
}

/// One instance of the reference resource DLL.
#[derive(Debug)]
pub struct Instance {
    local_node: Option<NodeName>,
    workloads: Vec<Workload>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    down_links: Vec<NodeName>,
    outbox: Vec<(usize, Notice)>,
    trace: [TraceEntry; TRACE_LEN],
    trace_next: usize,
    /// Every RESID from before a reset is stale: generations never repeat.
    next_generation: u32,
    /// The switched-on seeded DLL bug (tests only); survives `Reset` (it is code, not state).
    #[cfg(feature = "seeded-bugs")]
    bug: crate::seeded::SeededBug,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn split_resid(resid: usize) -> Option<(usize, u32)> {
    let slot = resid & 0xFFFF_FFFF;
    let generation = u32::try_from(resid >> 32).ok()?;
    slot.checked_sub(1).map(|index| (index, generation))
}

impl Instance {
    /// A fresh instance: nothing open, no workloads, every link up.
    #[must_use]
    pub fn new() -> Self {
        Self {
            local_node: None,
            workloads: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            down_links: Vec::new(),
            outbox: Vec::with_capacity(16),
            trace: [TraceEntry::default(); TRACE_LEN],
            trace_next: 0,
            next_generation: 1,
            #[cfg(feature = "seeded-bugs")]
            bug: crate::seeded::SeededBug::None,
        }
    }

    /// Switches a seeded DLL bug on (tests only, [`crate::seeded`]); host bugs change nothing
    /// here.
    #[cfg(feature = "seeded-bugs")]
    pub fn set_seeded_bug(&mut self, bug: crate::seeded::SeededBug) {
        self.bug = bug;
    }

    /// The node this instance runs on, if told (D1).
    #[must_use]
    pub fn local_node(&self) -> Option<NodeName> {
        self.local_node
    }

    fn workload_index(&mut self, name: &str) -> usize {
        match self.workloads.iter().position(|w| w.name == name) {
            Some(i) => i,
            None => {
                self.workloads.push(Workload::new(name));
                self.workloads.len() - 1
            }
        }
    }

    #[inline]
    fn open_index(&self, resid: usize) -> Option<usize> {
        let (index, generation) = split_resid(resid)?;
        let slot = self.slots.get(index)?;
        (slot.generation == generation && slot.open.is_some()).then_some(index)
    }

    fn open_of_workload(&self, workload: usize) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.open.is_some_and(|o| o.workload == workload))
    }

    #[inline]
    fn set_state(&mut self, index: usize, state: ResourceState) {
        if let Some(open) = self.slots[index].open.as_mut() {
            open.state = state;
            open.pending = match state {
                ResourceState::OfflinePending => Some(PendingWork::GoingOffline),
                ResourceState::OnlinePending => Some(PendingWork::GoingOnline),
                _ => None,
            };
            let workload = open.workload;
            self.workloads[workload].running = state == ResourceState::Online;
        }
    }

    fn notify(&mut self, index: usize, notice: Notice) {
        if let Some(open) = self.slots[index].open {
            self.outbox.push((open.handle, notice));
        }
    }

    /// `OpenV2(name, …, handle)`: a RESID, or None (NULL) for an empty name or a resource
    /// already open on this instance, or a full slot table (R2: one RESID per resource).
    pub fn open(&mut self, name: &str, handle: usize) -> Option<usize> {
        if name.is_empty() {
            return None;
        }
        let workload = self.workload_index(name);
        if self.open_of_workload(workload).is_some() {
            return None;
        }
        let index = match self.free.pop() {
            Some(i) => i,
            None if self.slots.len() < MAX_SLOTS => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
            None => return None,
        };
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1).max(1);
        let w = &self.workloads[workload];
        let state = if w.running {
            ResourceState::Online
        } else {
            ResourceState::Offline
        };
        let locked = w.locked;
        self.slots[index] = Slot {
            generation,
            open: Some(OpenResource {
                workload,
                handle,
                state,
                pending: None,
            }),
        };
        if locked {
            // D3: a locked resource reports it at Open.
            self.notify(index, Notice::LockedMode(true));
        }
        Some((usize::try_from(generation).ok()? << 32) | (index + 1))
    }

    /// `Close(resid)`: forgets the RESID and any pending work; unknown RESIDs are ignored (R2).
    pub fn close(&mut self, resid: usize) {
        if let Some(index) = self.open_index(resid) {
            self.slots[index].open = None;
            self.free.push(index);
        }
    }

    /// `Terminate(resid)`: the resource is Offline at once, pending work dropped (D16).
    pub fn terminate(&mut self, resid: usize) {
        if let Some(index) = self.open_index(resid) {
            self.set_state(index, ResourceState::Offline);
        }
    }

    /// What the DLL believes about an open RESID (tests, conformance).
    #[must_use]
    pub fn state_of(&self, resid: usize) -> Option<ResourceState> {
        self.open_index(resid)
            .and_then(|i| self.slots[i].open.map(|o| o.state))
    }

    /// The RESID this instance holds for `name`, if any.
    #[must_use]
    pub fn resid_of(&self, name: &str) -> Option<usize> {
        let workload = self.workloads.iter().position(|w| w.name == name)?;
        let index = self.open_of_workload(workload)?;
        let generation = usize::try_from(self.slots[index].generation).ok()?;
        Some((generation << 32) | (index + 1))
    }

    /// The most recent OfflineV2 calls, oldest first.
    pub fn trace(&self) -> impl Iterator<Item = &TraceEntry> {
        let (older, newer) = self.trace.split_at(self.trace_next);
        newer.iter().chain(older).filter(|e| e.resid != 0)
    }

    #[inline]
    fn record(&mut self, resid: usize, flags: u32, result: ErrorCode) -> ErrorCode {
        self.trace[self.trace_next] = TraceEntry {
            resid,
            flags,
            result: result.0,
        };
        self.trace_next = (self.trace_next + 1) % TRACE_LEN;
        result
    }

    /// Disarms and raises an injected panic for the workload of `index` (R8).
    #[inline]
    fn maybe_panic(&mut self, index: usize) {
        if let Some(open) = self.slots[index].open {
            let w = &mut self.workloads[open.workload];
            if w.panic_armed {
                w.panic_armed = false;
                std::panic::panic_any(InjectedPanic);
            }
        }
    }

    /// R8: after a panic inside an entry point the resource is Failed and reported so.
    pub fn fail_after_panic(&mut self, resid: usize) {
        if let Some(index) = self.open_index(resid) {
            self.set_state(index, ResourceState::Failed);
            self.notify(index, Notice::Status(ResourceState::Failed));
        }
    }

    /// `OfflineV2`: R1–R7 in rule order (R9). May panic with [`InjectedPanic`] after R1 and R2;
    /// the caller catches it and calls [`Instance::fail_after_panic`] (R8).
    pub fn offline_v2(
        &mut self,
        resid: usize,
        dest: DestArg<'_>,
        flags: u32,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        let code = self.offline_v2_inner(resid, dest, flags, inbuf_null, inbuf_size, reserved);
        self.record(resid, flags, code)
    }

    fn offline_v2_inner(
        &mut self,
        resid: usize,
        dest: DestArg<'_>,
        raw_flags: u32,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        let flags = OfflineFlags::from_bits_retain(raw_flags);
        // Seeded bug: Reserved is not looked at.
        #[cfg(feature = "seeded-bugs")]
        let reserved = if self.bug == crate::seeded::SeededBug::ReservedIgnored {
            0
        } else {
            reserved
        };
        // R1: validation first, no state change on failure.
        if reserved != 0 || flags.unknown_bits() != 0 || (inbuf_null && inbuf_size > 0) {
            return ErrorCode::ERROR_INVALID_PARAMETER;
        }
        let returning = flags.contains(OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR);
        let rts = flags.contains(OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR);
        if returning && rts {
            return ErrorCode::ERROR_INVALID_PARAMETER;
        }
        // Only syntax is checked (R1); no NodeName is built on this hot path (SPEC §8).
        let dest = match dest {
            DestArg::Null => None,
            DestArg::Units(units) if NodeName::is_valid_utf16(units) => Some(units),
            DestArg::Units(_) | DestArg::Unterminated => return ErrorCode::ERROR_INVALID_PARAMETER,
        };
        if (returning || rts) && dest.is_none() {
            return ErrorCode::ERROR_INVALID_PARAMETER;
        }
        // R2: the RESID must be open here.
        let Some(index) = self.open_index(resid) else {
            return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
        };
        self.maybe_panic(index);
        let Some(open) = self.slots[index].open else {
            return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
        };
        // R3: the resource's own state first.
        match open.state {
            ResourceState::Offline => return ErrorCode::ERROR_SUCCESS,
            ResourceState::OfflinePending => return ErrorCode::ERROR_IO_PENDING,
            ResourceState::OnlinePending => return ErrorCode::ERROR_INVALID_STATE,
            ResourceState::Failed => {
                self.set_state(index, ResourceState::Offline);
                return ErrorCode::ERROR_SUCCESS;
            }
            ResourceState::Online => {}
        }
        let workload = &self.workloads[open.workload];
        let ignore_status = flags.contains(OfflineFlags::IGNORE_RESOURCE_STATUS);
        // R4: locked.
        if workload.locked && !ignore_status {
            return ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS;
        }
        // R5: a move offline to a destination this node cannot reach.
        if let Some(dest) = dest {
            if !returning
                && !flags.contains(OfflineFlags::IGNORE_NETWORK_CONNECTIVITY)
                && self.down_links.iter().any(|down| down.eq_utf16(dest))
            {
                return ErrorCode::ERROR_HOST_UNREACHABLE;
            }
        }
        // R6: busy.
        if workload.busy && !ignore_status {
            return ErrorCode::ERROR_RETRY;
        }
        // R7: start going offline.
        match workload.offline {
            WorkMode::Sync => {
                self.set_state(index, ResourceState::Offline);
                ErrorCode::ERROR_SUCCESS
            }
            WorkMode::Pending => {
                self.set_state(index, ResourceState::OfflinePending);
                ErrorCode::ERROR_IO_PENDING
            }
        }
    }

    /// `OnlineV2` (R7): validation like R1 for Reserved and the buffer, then by state.
    /// OnlineFlags are not interpreted (the SPEC defines none). Locks and busy never
    /// matter here (R9). May panic with [`InjectedPanic`] like `offline_v2`.
    pub fn online_v2(
        &mut self,
        resid: usize,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        if reserved != 0 || (inbuf_null && inbuf_size > 0) {
            return ErrorCode::ERROR_INVALID_PARAMETER;
        }
        let Some(index) = self.open_index(resid) else {
            return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
        };
        self.maybe_panic(index);
        let Some(open) = self.slots[index].open else {
            return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
        };
        match open.state {
            ResourceState::Online => ErrorCode::ERROR_SUCCESS,
            ResourceState::OnlinePending => ErrorCode::ERROR_IO_PENDING,
            ResourceState::OfflinePending => ErrorCode::ERROR_INVALID_STATE,
            ResourceState::Offline | ResourceState::Failed => {
                match self.workloads[open.workload].online {
                    WorkMode::Sync => {
                        self.set_state(index, ResourceState::Online);
                        ErrorCode::ERROR_SUCCESS
                    }
                    WorkMode::Pending => {
                        self.set_state(index, ResourceState::OnlinePending);
                        ErrorCode::ERROR_IO_PENDING
                    }
                }
            }
        }
    }

    fn finish_work(&mut self, name: &str, kind: PendingWork, end: ResourceState) -> ErrorCode {
        let Some(workload) = self.workloads.iter().position(|w| w.name == name) else {
            return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
        };
        let Some(index) = self.open_of_workload(workload) else {
            return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
        };
        if self.slots[index].open.and_then(|o| o.pending) != Some(kind) {
            return ErrorCode::ERROR_INVALID_STATE;
        }
        self.set_state(index, end);
        // R7: exactly one status callback per pending call.
        self.notify(index, Notice::Status(end));
        ErrorCode::ERROR_SUCCESS
    }

    fn set_lock(&mut self, name: &str, locked: bool) -> ErrorCode {
        let workload = self.workload_index(name);
        if self.workloads[workload].locked == locked {
            return ErrorCode::ERROR_SUCCESS;
        }
        self.workloads[workload].locked = locked;
        if let Some(index) = self.open_of_workload(workload) {
            self.notify(index, Notice::LockedMode(locked));
        }
        ErrorCode::ERROR_SUCCESS
    }

    /// Applies an environment control (SPEC §7 events; D1, D2). Answers ERROR_SUCCESS when it
    /// acted, ERROR_INVALID_STATE or ERROR_RESOURCE_NOT_FOUND when there was nothing to act on.
    pub fn control(&mut self, control: WorkloadControl<'_>) -> ErrorCode {
        match control {
            WorkloadControl::SetLocalNode(node) => {
                self.local_node = Some(node);
                ErrorCode::ERROR_SUCCESS
            }
            WorkloadControl::Configure {
                resource,
                offline,
                online,
                running,
            } => {
                let w = self.workload_index(resource);
                let w = &mut self.workloads[w];
                w.offline = offline;
                w.online = online;
                w.running = running;
                ErrorCode::ERROR_SUCCESS
            }
            WorkloadControl::CompleteOffline(name) => {
                self.finish_work(name, PendingWork::GoingOffline, ResourceState::Offline)
            }
            WorkloadControl::FailOffline(name) => {
                self.finish_work(name, PendingWork::GoingOffline, ResourceState::Failed)
            }
            WorkloadControl::CompleteOnline(name) => {
                self.finish_work(name, PendingWork::GoingOnline, ResourceState::Online)
            }
            WorkloadControl::FailOnline(name) => {
                self.finish_work(name, PendingWork::GoingOnline, ResourceState::Failed)
            }
            WorkloadControl::Lock(name) => self.set_lock(name, true),
            WorkloadControl::Unlock(name) => self.set_lock(name, false),
            WorkloadControl::Busy(name) | WorkloadControl::Unbusy(name) => {
                let w = self.workload_index(name);
                self.workloads[w].busy = matches!(control, WorkloadControl::Busy(_));
                ErrorCode::ERROR_SUCCESS
            }
            WorkloadControl::NetDown(node) => {
                if !self.down_links.contains(&node) {
                    self.down_links.push(node);
                }
                ErrorCode::ERROR_SUCCESS
            }
            WorkloadControl::NetUp(node) => {
                self.down_links.retain(|n| *n != node);
                ErrorCode::ERROR_SUCCESS
            }
            WorkloadControl::EmbeddedFailure(name) => {
                let Some(workload) = self.workloads.iter().position(|w| w.name == name) else {
                    return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
                };
                let Some(index) = self.open_of_workload(workload) else {
                    return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
                };
                if self.slots[index].open.map(|o| o.state) != Some(ResourceState::Online) {
                    return ErrorCode::ERROR_INVALID_STATE;
                }
                // R21: the DLL reports the resource Failed.
                self.set_state(index, ResourceState::Failed);
                self.notify(
                    index,
                    Notice::EmbeddedFailure(ErrorCode::ERROR_GEN_FAILURE.0),
                );
                ErrorCode::ERROR_SUCCESS
            }
            WorkloadControl::InjectPanic(name) => {
                let w = self.workload_index(name);
                self.workloads[w].panic_armed = true;
                ErrorCode::ERROR_SUCCESS
            }
            WorkloadControl::Reset => {
                // R20: the node comes up empty. Generations keep counting, so every RESID
                // from before the reset stays stale (R2).
                for (index, slot) in self.slots.iter_mut().enumerate() {
                    if slot.open.take().is_some() {
                        self.free.push(index);
                    }
                }
                self.workloads.clear();
                self.down_links.clear();
                self.outbox.clear();
                self.local_node = None;
                ErrorCode::ERROR_SUCCESS
            }
        }
    }

    /// Moves the pending notices (host handle, notice) into `out`, in order.
    pub fn drain_notices(&mut self, out: &mut Vec<(usize, Notice)>) {
        out.append(&mut self.outbox);
    }
}

/// Runs `f` on `instance`, turning a panic inside into R8's answer: ERROR_GEN_FAILURE and the
/// resource of `resid` reported Failed. Safe code: the ABI layer uses the same function.
#[inline]
pub fn guarded(
    instance: &mut Instance,
    resid: usize,
    f: impl FnOnce(&mut Instance) -> ErrorCode,
) -> ErrorCode {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut *instance))) {
        Ok(code) => code,
        Err(_) => {
            instance.fail_after_panic(resid);
            ErrorCode::ERROR_GEN_FAILURE
        }
    }
}

/// One node's reference DLL instance driven in-process, without the C ABI: the fastest
/// [`ResourceDll`] (model-sized runs, benches). Callbacks carry the [`ResourceId`] given at open.
#[derive(Debug, Default)]
pub struct ReferenceDll {
    instance: Instance,
    notices: Vec<(usize, Notice)>,
}

impl ReferenceDll {
    /// A fresh instance.
    #[must_use]
    pub fn new() -> Self {
        quiet_injected_panics();
        Self::default()
    }

    /// The instance, for inspection.
    #[must_use]
    pub fn instance(&self) -> &Instance {
        &self.instance
    }
}

fn handle_of(resource: ResourceId) -> usize {
    resource.index() + 1
}

fn resource_of(handle: usize) -> Option<ResourceId> {
    handle
        .checked_sub(1)
        .and_then(|i| u8::try_from(i).ok())
        .map(ResourceId)
}

/// Converts drained notices into host callbacks (handles the host never issued are dropped).
pub fn to_callbacks(notices: &mut Vec<(usize, Notice)>, out: &mut Vec<DllCallback>) {
    for (handle, notice) in notices.drain(..) {
        let Some(resource) = resource_of(handle) else {
            continue;
        };
        out.push(match notice {
            Notice::Status(state) => DllCallback::Status { resource, state },
            Notice::LockedMode(locked) => DllCallback::LockedMode { resource, locked },
            Notice::EmbeddedFailure(code) => DllCallback::EmbeddedFailure { resource, code },
        });
    }
}

impl ResourceDll for ReferenceDll {
    fn open(&mut self, resource: ResourceId, name: &str) -> Option<Resid> {
        self.instance
            .open(name, handle_of(resource))
            .and_then(std::num::NonZeroUsize::new)
            .map(Resid)
    }

    fn close(&mut self, resid: Resid) {
        self.instance.close(resid.0.get());
    }

    fn online_v2(&mut self, resid: Resid) -> ErrorCode {
        let resid = resid.0.get();
        guarded(&mut self.instance, resid, |i| {
            i.online_v2(resid, true, 0, 0)
        })
    }

    fn offline_v2(
        &mut self,
        resid: Resid,
        dest: Option<NodeName>,
        flags: OfflineFlags,
    ) -> ErrorCode {
        let resid = resid.0.get();
        let mut units = [0u16; DEST_SCAN_UNITS];
        let dest = match dest {
            None => DestArg::Null,
            Some(name) => {
                let mut len = 0;
                for (slot, unit) in units.iter_mut().zip(name.as_str().encode_utf16()) {
                    *slot = unit;
                    len += 1;
                }
                DestArg::Units(&units[..len])
            }
        };
        guarded(&mut self.instance, resid, |i| {
            i.offline_v2(resid, dest, flags.bits(), true, 0, 0)
        })
    }

    fn terminate(&mut self, resid: Resid) {
        self.instance.terminate(resid.0.get());
    }

    fn raw_offline_v2(&mut self, call: &RawOfflineV2) -> ErrorCode {
        let owned;
        let dest = match &call.dest {
            RawDest::Null => DestArg::Null,
            RawDest::Units { units, terminated } => {
                let mut v = units.clone();
                if *terminated {
                    v.push(0);
                }
                owned = v;
                DestArg::scan(&owned)
            }
        };
        let resid = call.resid;
        guarded(&mut self.instance, resid, |i| {
            i.offline_v2(
                resid,
                dest,
                call.flags,
                call.inbuf.is_none(),
                call.inbuf_size,
                call.reserved,
            )
        })
    }

    fn control(&mut self, control: WorkloadControl<'_>) -> ErrorCode {
        self.instance.control(control)
    }

    fn take_callbacks(&mut self, out: &mut Vec<DllCallback>) {
        self.instance.drain_notices(&mut self.notices);
        to_callbacks(&mut self.notices, out);
    }
}
