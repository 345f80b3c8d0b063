//! The reference resource DLL (R1–R9) as safe Rust.
//!
//! - [`rules`]: R1–R9 as pure functions over a call and one resource's word — the only
//!   decision code, used by every instance below.
//! - [`word`]: the per-resource atomic word and the generation-checked RESID layout (A11).
//! - [`fast`]: OfflineV2's fast path, R3–R7 from a compile-time table (A15); the rules stay
//!   its cold fallback.
//! - [`core`]: the operations, written once over any word slice: lock-free OfflineV2,
//!   OnlineV2, Terminate and state queries; OpenV2, Close, controls and Reset on a
//!   [`core::Registry`].
//! - [`shared`]: [`shared::SharedInstance`], the instance the cdylib exports (thread-safe,
//!   re-entrant, lock-free hot path, notices delivered with no lock held).
//! - [`sync`]: the facade over its primitives (`std` here, `shuttle` in the checker).
//!
//! [`Instance`] is one instance driven in-process, single-threaded and deterministic (D1: one
//! per node), on plain `u64` words running the same [`core`] code; [`ReferenceDll`] wraps it
//! as a [`ResourceDll`] (`Clone + Eq + Hash + Debug`, for model-sized runs and model
//! checking). Its callbacks are collected in an outbox and taken by the caller after the call.

pub mod core;
pub mod fast;
pub mod rules;
pub mod shared;
pub mod sync;
pub mod word;

use std::cell::Cell;

use crate::resource_dll::{
    DllCallback, RawDest, RawOfflineV2, Resid, ResourceDll, WorkloadControl,
};
use crate::types::{ErrorCode, NodeName, OfflineFlags, ResourceId, ResourceState};

pub use self::core::{Hot, Registry, MAX_SLOTS};
pub use rules::{DestArg, OfflineArgs, DEST_SCAN_UNITS};

/// `FAILURE_TYPE_EMBEDDED` of `SignalFailure` (SPEC §1a, R21).
pub const FAILURE_TYPE_EMBEDDED: u32 = 1;

/// What the instance tells its host (delivered after the change, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notice {
    /// `SetResourceStatusEx(handle, state)`.
    Status(ResourceState),
    /// `SetResourceLockedMode(handle, locked, 0)`.
    LockedMode(bool),
    /// `SignalFailure(handle, FAILURE_TYPE_EMBEDDED, code)`.
    EmbeddedFailure(u32),
}

/// One traced OfflineV2 call (the hot path's "trace" step, SPEC §8; A16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceEntry {
    /// The slot the RESID named (0-based), or None for a RESID naming no slot.
    pub slot: Option<usize>,
    /// The flags passed.
    pub flags: u32,
    /// The code returned.
    pub result: u32,
}

/// An injected panic (R8, SPEC §7 `inject_panic`), raised inside an entry point.
#[derive(Debug)]
pub struct InjectedPanic;

/// The answer of a lock-free entry point; panics with [`InjectedPanic`] when the armed panic
/// fired (R8: the caller's guard turns it into ERROR_GEN_FAILURE and a Failed report).
#[inline(always)]
pub(crate) fn raise(hot: Hot) -> ErrorCode {
    match hot {
        Hot::Done(code) => code,
        Hot::Panic => std::panic::panic_any(InjectedPanic),
    }
}

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

/// One instance of the reference resource DLL, driven in-process by one thread: plain words,
/// the same [`core`] code as the exported [`shared::SharedInstance`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Instance {
    registry: Registry,
    words: Vec<u64>,
    outbox: Vec<(usize, Notice)>,
    /// The switched-on seeded DLL bug (tests only); survives `Reset` (it is code, not state).
    #[cfg(feature = "seeded-bugs")]
    bug: crate::seeded::SeededBug,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

/// The plain words seen as cells, so the core's code runs on them unchanged.
fn cells(words: &mut [u64]) -> &[Cell<u64>] {
    Cell::from_mut(words).as_slice_of_cells()
}

impl Instance {
    /// A fresh instance: nothing open, no workloads, every link up.
    #[must_use]
    pub fn new() -> Self {
        Self {
            registry: Registry::new(true),
            words: Vec::new(),
            outbox: Vec::with_capacity(16),
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
        self.registry.local_node
    }

    /// `OpenV2(name, …, handle)`: a RESID, or None (NULL) for an empty name or a resource
    /// already open on this instance, or a full slot table (R2: one RESID per resource).
    pub fn open(&mut self, name: &str, handle: usize) -> Option<usize> {
        if self.registry.needs_new_slot()
            && self.words.len() == self.registry.used_slots()
            && self.words.len() < MAX_SLOTS
        {
            self.words.push(0);
        }
        let outbox = &mut self.outbox;
        self.registry
            .open(cells(&mut self.words), name, handle, &mut |h, n| {
                outbox.push((h, n));
            })
    }

    /// `Close(resid)`: forgets the RESID and any pending work; unknown RESIDs are ignored (R2).
    pub fn close(&mut self, resid: usize) {
        self.registry.close(cells(&mut self.words), resid);
    }

    /// `Terminate(resid)`: the resource is Offline at once, pending work dropped (R19, D16).
    pub fn terminate(&mut self, resid: usize) {
        core::terminate(cells(&mut self.words), resid);
    }

    /// What the DLL believes about an open RESID (tests, conformance).
    #[must_use]
    pub fn state_of(&self, resid: usize) -> Option<ResourceState> {
        let (slot, generation) = word::split_resid(resid)?;
        word::Word(*self.words.get(slot)?).state_of(generation)
    }

    /// The RESID this instance holds for `name`, if any.
    #[must_use]
    pub fn resid_of(&self, name: &str) -> Option<usize> {
        let mut words = self.words.clone();
        self.registry.resid_of(cells(&mut words), name)
    }

    /// R8: after a panic inside an entry point the resource is Failed and reported so.
    pub fn fail_after_panic(&mut self, resid: usize) {
        let outbox = &mut self.outbox;
        self.registry
            .fail_after_panic(cells(&mut self.words), resid, &mut |h, n| {
                outbox.push((h, n));
            });
    }

    /// `OfflineV2`: R1–R7 in rule order (R9). May panic with [`InjectedPanic`] after R1 and R2;
    /// the caller catches it and calls [`Instance::fail_after_panic`] (R8, see [`guarded`]).
    #[inline]
    pub fn offline_v2(
        &mut self,
        resid: usize,
        dest: DestArg<'_>,
        flags: u32,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        // Seeded bug: Reserved is not looked at.
        #[cfg(feature = "seeded-bugs")]
        let reserved = if self.bug == crate::seeded::SeededBug::ReservedIgnored {
            0
        } else {
            reserved
        };
        let args = OfflineArgs {
            dest,
            flags,
            inbuf_null,
            inbuf_size,
            reserved,
        };
        match rules::validate_offline(&args) {
            Err(code) => code,
            Ok(call) => {
                let links = self.registry.down_links.as_slice();
                raise(core::offline_v2(
                    cells(&mut self.words),
                    links,
                    resid,
                    &call,
                ))
            }
        }
    }

    /// `OnlineV2` (R7): validation like R1 for Reserved and the buffer (R8), then by state.
    /// OnlineFlags are not interpreted. Locks and busy never matter here (R9). May panic with
    /// [`InjectedPanic`] like `offline_v2`.
    #[inline]
    pub fn online_v2(
        &mut self,
        resid: usize,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        core::online_v2_call(
            cells(&mut self.words),
            resid,
            inbuf_null,
            inbuf_size,
            reserved,
        )
    }

    /// Applies an environment control (SPEC §7 events; D1, D2). Answers ERROR_SUCCESS when it
    /// acted, ERROR_INVALID_STATE or ERROR_RESOURCE_NOT_FOUND when there was nothing to act on.
    /// A Reset also drops the notices not yet drained (the node crashed, R20).
    pub fn control(&mut self, control: WorkloadControl<'_>) -> ErrorCode {
        if control == WorkloadControl::Reset {
            self.outbox.clear();
        }
        let outbox = &mut self.outbox;
        self.registry
            .control(cells(&mut self.words), control, &mut |h, n| {
                outbox.push((h, n));
            })
    }

    /// Moves the pending notices (host handle, notice) into `out`, in order.
    pub fn drain_notices(&mut self, out: &mut Vec<(usize, Notice)>) {
        out.append(&mut self.outbox);
    }

    /// Checks the registry against the words (tests).
    ///
    /// # Errors
    /// The first inconsistency found.
    pub fn check(&self) -> Result<(), String> {
        let mut words = self.words.clone();
        self.registry.check(cells(&mut words))
    }
}

/// Runs `f` on `instance`, turning a panic inside into R8's answer: ERROR_GEN_FAILURE and the
/// resource of `resid` reported Failed.
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
/// [`ResourceDll`] (model-sized runs, benches, model checking: deterministic and
/// `Clone + Eq + Hash`). Callbacks carry the [`ResourceId`] given at open.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
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
            None => DestArg::NULL,
            Some(name) => {
                // At most 15 units, so a NUL follows in the zeroed buffer.
                for (slot, unit) in units.iter_mut().zip(name.as_str().encode_utf16()) {
                    *slot = unit;
                }
                DestArg::scan(&units)
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
            RawDest::Null => DestArg::NULL,
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

    fn dll_state(&self, resid: Resid) -> Option<Option<ResourceState>> {
        Some(self.instance.state_of(resid.0.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::WorkMode;

    /// The model checker of `Cluster<ReferenceDll>` needs a deterministic, cheap-to-compare
    /// value: equal histories give equal (and equally hashed) instances, and a clone is an
    /// independent copy.
    #[test]
    fn reference_dll_is_a_deterministic_value() {
        fn hash(d: &ReferenceDll) -> u64 {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            d.hash(&mut h);
            h.finish()
        }
        let run = || {
            let mut d = ReferenceDll::new();
            d.control(WorkloadControl::Configure {
                resource: "vm1",
                offline: WorkMode::Pending,
                online: WorkMode::Sync,
                running: true,
            });
            let r = d.open(ResourceId(0), "vm1").expect("open");
            assert_eq!(
                d.offline_v2(r, None, OfflineFlags::empty()),
                ErrorCode::ERROR_IO_PENDING
            );
            (d, r)
        };
        let (a, r) = run();
        let (b, _) = run();
        assert_eq!(a, b);
        assert_eq!(hash(&a), hash(&b));
        let mut c = a.clone();
        c.terminate(r);
        assert_ne!(a, c, "a clone is independent");
        assert_eq!(
            a.instance().state_of(r.0.get()),
            Some(ResourceState::OfflinePending)
        );
        assert_eq!(c.instance().check(), Ok(()));
    }
}
