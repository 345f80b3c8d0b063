//! The reference DLL instance as the cdylib exports it: safe to call from any thread,
//! concurrently and re-entrantly (R8), lock-free on the hot path (SPEC §8).
//!
//! - **Per-resource state in atomics.** Each slot's [`Word`](super::word::Word) is one atomic
//!   word; OfflineV2, OnlineV2, Terminate and the state queries decide with the pure rules
//!   and apply with one compare-and-swap ([`super::core`]). No lock, no allocation.
//! - **A registry lock** for what needs names (OpenV2, Close, the control export, Reset, the
//!   R8 Failed report, and R5 while a link is cut). It is never held across a host callback.
//! - **Notices (A11)** are queued under the registry lock, so per resource their order is the
//!   order of the changes, and delivered by one *deliverer* at a time with no lock held: a
//!   call that queued notices delivers them unless another thread is already delivering, in
//!   which case that thread delivers them too. A callback may therefore call any entry point
//!   (its notices are delivered when it returns), and no mix of calls and callbacks waits on
//!   anything a callback could hold.
//!
//! Built from a [`Facade`], so the same code runs on `std` in the cdylib and on `shuttle` in
//! the concurrency checker (A13).

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::core::{self, Links, Registry};
use super::fast;
use super::rules::{self, DestArg, OfflineArgs};
use super::sync::{AtomicWord, Delivery, Facade, FacadeMutex, StdSync};
use super::word::SLOT_MASK;
use super::{raise, Notice, TraceEntry};
use crate::resource_dll::WorkloadControl;
use crate::types::{ErrorCode, OfflineFlags, ResourceState};

/// Notices handed to the host per round of the delivery loop (a stack buffer: no allocation).
const DELIVERY_CHUNK: usize = 16;

/// The queue of notices waiting for delivery, and the host callbacks they go to.
#[derive(Debug)]
struct Queue<C> {
    notices: VecDeque<(usize, Notice)>,
    callbacks: C,
}

/// The OfflineV2 call trace (SPEC §8's "trace", A16): per slot, the most recent OfflineV2
/// call on a RESID naming that slot (its flags and answer), and one entry for the most recent
/// call naming no slot. Each call is two relaxed stores into its entry, no read-modify-write
/// and no shared index: concurrent callers on one slot may overwrite (or tear) each other's
/// entries (a best-effort diagnostic, never read by any rule).
#[derive(Debug)]
struct Trace<const N: usize> {
    slots: [TraceCell; N],
    other: TraceCell,
}

/// One trace entry: the flags, and the answer complemented, so that 0 (never a complemented
/// answer: no answer is `u32::MAX`) means "nothing recorded".
#[derive(Debug)]
struct TraceCell {
    flags: AtomicU32,
    not_result: AtomicU32,
}

impl TraceCell {
    const fn new() -> Self {
        Self {
            flags: AtomicU32::new(0),
            not_result: AtomicU32::new(0),
        }
    }

    #[inline(always)]
    fn record(&self, flags: u32, result: ErrorCode) {
        self.flags.store(flags, Ordering::Relaxed);
        self.not_result.store(!result.0, Ordering::Relaxed);
    }

    fn entry(&self, slot: Option<usize>) -> Option<TraceEntry> {
        let not_result = self.not_result.load(Ordering::Relaxed);
        (not_result != 0).then(|| TraceEntry {
            slot,
            flags: self.flags.load(Ordering::Relaxed),
            result: !not_result,
        })
    }
}

impl<const N: usize> Trace<N> {
    const fn new() -> Self {
        Self {
            slots: [const { TraceCell::new() }; N],
            other: TraceCell::new(),
        }
    }

    /// Where a call on `resid` is recorded: its slot's entry, or the entry of calls naming no
    /// slot.
    #[inline(always)]
    fn cell(&self, resid: usize) -> &TraceCell {
        let slot = (resid & SLOT_MASK).wrapping_sub(1);
        self.slots.get(slot).unwrap_or(&self.other)
    }
}

/// One instance of the reference DLL shared by every thread of a host (D1), with `N` slots
/// and host callbacks of type `C`.
pub struct SharedInstance<S: Facade, C: Copy + Send, const N: usize> {
    registry: S::Mutex<Registry>,
    words: [S::Word; N],
    /// Number of cut links: R5 looks at the registry only when it is not 0.
    links_down: S::Word,
    queue: S::Mutex<Queue<C>>,
    /// 1 while a thread delivers notices.
    delivering: S::Word,
    /// Held across callbacks only by the test-only [`Delivery::HoldLockAcrossCallbacks`].
    delivery_lock: S::Mutex<()>,
    trace: Trace<N>,
    /// Test-only seeded DLL bug: Reserved is not looked at (R1).
    #[cfg(feature = "seeded-bugs")]
    reserved_ignored: std::sync::atomic::AtomicBool,
}

impl<S: Facade, C: Copy + Send, const N: usize> std::fmt::Debug for SharedInstance<S, C, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedInstance")
            .field("slots", &N)
            .finish_non_exhaustive()
    }
}

impl<C: Copy + Send, const N: usize> SharedInstance<StdSync, C, N> {
    /// An unclaimed instance on `std` primitives, for a `static` pool.
    #[must_use]
    pub const fn new_static(callbacks: C) -> Self {
        Self {
            registry: std::sync::Mutex::new(Registry::new(false)),
            words: [const { AtomicU64::new(0) }; N],
            links_down: AtomicU64::new(0),
            queue: std::sync::Mutex::new(Queue {
                notices: VecDeque::new(),
                callbacks,
            }),
            delivering: AtomicU64::new(0),
            delivery_lock: std::sync::Mutex::new(()),
            trace: Trace::new(),
            #[cfg(feature = "seeded-bugs")]
            reserved_ignored: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl<S: Facade, C: Copy + Send, const N: usize> Links for SharedInstance<S, C, N> {
    #[inline(always)]
    fn any_down(&self) -> bool {
        self.links_down.load() != 0
    }
    #[inline]
    fn unreachable(&self, dest: &[u16]) -> bool {
        self.any_down() && self.registry.with(|r| r.down_links.unreachable(dest))
    }
}

impl<S: Facade, C: Copy + Send, const N: usize> SharedInstance<S, C, N> {
    /// An unclaimed instance built from the facade's primitives (the checker's).
    #[must_use]
    pub fn new(callbacks: C) -> Self {
        Self {
            registry: S::Mutex::new(Registry::new(false)),
            words: std::array::from_fn(|_| S::Word::new(0)),
            links_down: S::Word::new(0),
            queue: S::Mutex::new(Queue {
                notices: VecDeque::new(),
                callbacks,
            }),
            delivering: S::Word::new(0),
            delivery_lock: S::Mutex::new(()),
            trace: Trace::new(),
            #[cfg(feature = "seeded-bugs")]
            reserved_ignored: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Claims the instance for a host whose callbacks are `callbacks` (StartupEx, A1): it is
    /// reset first, so RESIDs of its previous life stay stale (generations keep counting).
    pub fn claim(&self, callbacks: C) {
        self.registry.with(|r| {
            r.reset(&self.words);
            r.active = true;
            self.links_down.store(0);
            self.queue.with(|q| {
                q.notices.clear();
                q.callbacks = callbacks;
            });
        });
        #[cfg(feature = "seeded-bugs")]
        self.reserved_ignored.store(false, Ordering::Relaxed);
    }

    /// Releases the instance (A1, A6): reset, unclaimed, undelivered notices dropped and the
    /// callbacks replaced by `none`. A notice a deliverer already took may still reach the
    /// old host (R7's "already in delivery"). Returns false if it was not claimed.
    pub fn release(&self, none: C) -> bool {
        self.registry.with(|r| {
            if !r.active {
                return false;
            }
            r.reset(&self.words);
            r.active = false;
            self.links_down.store(0);
            self.queue.with(|q| {
                q.notices.clear();
                q.callbacks = none;
            });
            true
        })
    }

    /// True between [`claim`](Self::claim) and [`release`](Self::release).
    #[must_use]
    pub fn is_claimed(&self) -> bool {
        self.registry.with(|r| r.active)
    }

    /// Runs `f` on the registry and queues the notices it emits (in order), then delivers.
    fn with_registry<R>(
        &self,
        deliver: &mut impl FnMut(C, usize, Notice),
        f: impl FnOnce(&mut Registry, &[S::Word], &mut dyn FnMut(usize, Notice)) -> R,
    ) -> R {
        let mut queued = false;
        let result = self.registry.with(|r| {
            let mut emit = |handle: usize, notice: Notice| {
                queued = true;
                self.queue.with(|q| q.notices.push_back((handle, notice)));
            };
            let result = f(r, &self.words, &mut emit);
            self.links_down.store(r.down_links.len() as u64);
            result
        });
        if queued {
            self.deliver(deliver);
        }
        result
    }

    /// `OfflineV2` (R1–R9): validation, RESID lookup, one compare-and-swap, trace. Lock-free,
    /// makes no notice. Panics with [`super::InjectedPanic`] when an armed panic fires (R8):
    /// the caller catches it (the export's `catch_unwind`) and calls
    /// [`fail_after_panic`](Self::fail_after_panic), or uses [`Self::guarded`].
    #[inline(always)]
    pub fn offline_v2(&self, resid: usize, args: &OfflineArgs<'_>) -> ErrorCode {
        self.offline_v2_raw(
            resid,
            0,
            args.flags,
            args.inbuf_null,
            args.inbuf_size,
            args.reserved,
            || args.dest,
        )
    }

    /// [`offline_v2`](Self::offline_v2) as the export calls it (A16): `resid` as the host
    /// passed it, whose top byte must be `tag` (the instance tag, A2; 0 for the core's own
    /// RESIDs), and DestinationNodeName scanned by `dest` once R1's other checks passed.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // OfflineV2's own arguments, unpacked
    pub fn offline_v2_raw<'a>(
        &self,
        resid: usize,
        tag: usize,
        flags: u32,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
        dest: impl FnOnce() -> DestArg<'a>,
    ) -> ErrorCode {
        #[cfg(feature = "seeded-bugs")]
        let reserved = if self.reserved_ignored.load(Ordering::Relaxed) {
            0
        } else {
            reserved
        };
        let trace = self.trace.cell(resid);
        let call = match rules::validate_offline_lazy(flags, inbuf_null, inbuf_size, reserved, dest)
        {
            Ok(call) => call,
            Err(code) => {
                trace.record(flags, code);
                return code;
            }
        };
        match core::offline_v2_fast(&self.words, self, resid, tag, &call, &fast::OFFLINE_TABLE) {
            Some(code) => {
                trace.record(flags, code);
                code
            }
            None => self.offline_v2_slow(resid, tag, call.flags, call.dest, trace),
        }
    }

    /// The generic path of [`offline_v2_raw`](Self::offline_v2_raw), out of line (A15, A16):
    /// decides, records the trace, and panics when an armed panic fired (R8).
    #[cold]
    #[inline(never)]
    fn offline_v2_slow(
        &self,
        resid: usize,
        tag: usize,
        flags: OfflineFlags,
        dest: Option<&[u16]>,
        trace: &TraceCell,
    ) -> ErrorCode {
        let code = raise(core::offline_v2_generic(
            &self.words,
            self,
            core::untag(resid, tag),
            &rules::OfflineCall { flags, dest },
        ));
        trace.record(flags.bits(), code);
        code
    }

    /// `OnlineV2` (R8 validation like R1, R2, R7): lock-free, no notice; panics as
    /// [`offline_v2`](Self::offline_v2) does.
    #[inline(always)]
    pub fn online_v2(
        &self,
        resid: usize,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> ErrorCode {
        core::online_v2_call(&self.words, resid, inbuf_null, inbuf_size, reserved)
    }

    /// R8: after a panic inside an entry point on `resid`, the resource is Failed and
    /// reported so (through `deliver`).
    pub fn fail_after_panic(&self, resid: usize, deliver: &mut impl FnMut(C, usize, Notice)) {
        self.with_registry(deliver, |r, words, mut emit| {
            r.fail_after_panic(words, resid, &mut emit);
        });
    }

    /// Runs an entry point `f` on `resid`; a panic inside is R8's ERROR_GEN_FAILURE with the
    /// resource reported Failed (what the exports do around [`offline_v2`](Self::offline_v2)
    /// and [`online_v2`](Self::online_v2)).
    pub fn guarded(
        &self,
        resid: usize,
        deliver: &mut impl FnMut(C, usize, Notice),
        f: impl FnOnce(&Self) -> ErrorCode,
    ) -> ErrorCode {
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(code) => code,
            Err(payload) => {
                drop(payload);
                self.fail_after_panic(resid, deliver);
                ErrorCode::ERROR_GEN_FAILURE
            }
        }
    }

    /// `Terminate` (R19, D16): Offline at once, pending work dropped, lock-free.
    pub fn terminate(&self, resid: usize) {
        core::terminate(&self.words, resid);
    }

    /// What the instance believes about `resid` (LooksAlive, IsAlive, the state export).
    #[must_use]
    pub fn state_of(&self, resid: usize) -> Option<ResourceState> {
        core::state_of(&self.words, resid)
    }

    /// `OpenV2`: a RESID or None (NULL); None also when the instance is not claimed.
    pub fn open(
        &self,
        name: &str,
        handle: usize,
        deliver: &mut impl FnMut(C, usize, Notice),
    ) -> Option<usize> {
        self.with_registry(deliver, |r, words, mut emit| {
            r.open(words, name, handle, &mut emit)
        })
    }

    /// `Close`: forgets the RESID (its notices already queued are still delivered, R7).
    pub fn close(&self, resid: usize) {
        self.registry.with(|r| r.close(&self.words, resid));
    }

    /// The control export (SPEC §1a): ERROR_INVALID_PARAMETER when not claimed (A6).
    pub fn control(
        &self,
        control: WorkloadControl<'_>,
        deliver: &mut impl FnMut(C, usize, Notice),
    ) -> ErrorCode {
        self.with_registry(deliver, |r, words, mut emit| {
            if r.active {
                r.control(words, control, &mut emit)
            } else {
                ErrorCode::ERROR_INVALID_PARAMETER
            }
        })
    }

    /// The RESID this instance holds for `name`, if any.
    #[must_use]
    pub fn resid_of(&self, name: &str) -> Option<usize> {
        self.registry.with(|r| r.resid_of(&self.words, name))
    }

    /// Switches a seeded DLL bug on (tests only): only `ReservedIgnored` lives in the DLL.
    #[cfg(feature = "seeded-bugs")]
    pub fn set_seeded_bug(&self, bug: crate::seeded::SeededBug) {
        let on = bug == crate::seeded::SeededBug::ReservedIgnored;
        self.reserved_ignored.store(on, Ordering::Relaxed);
    }

    /// The trace (A16): the most recent OfflineV2 call on each slot, in slot order, then the
    /// most recent call that named no slot (best effort under concurrency).
    #[must_use]
    pub fn trace(&self) -> Vec<TraceEntry> {
        self.trace
            .slots
            .iter()
            .enumerate()
            .filter_map(|(slot, cell)| cell.entry(Some(slot)))
            .chain(self.trace.other.entry(None))
            .collect()
    }

    /// Checks the registry against the words (tests, the concurrency checker).
    ///
    /// # Errors
    /// The first inconsistency found.
    pub fn check(&self) -> Result<(), String> {
        self.registry.with(|r| r.check(&self.words))
    }

    /// Notices queued and not yet taken by a deliverer.
    #[must_use]
    pub fn undelivered(&self) -> usize {
        self.queue.with(|q| q.notices.len())
    }

    /// Delivers queued notices through `call(callbacks, handle, notice)`, in queue order,
    /// with no lock held while `call` runs (A11). Returns at once if another thread (or an
    /// outer frame of this one, when a callback re-entered) is delivering: that deliverer
    /// takes these notices too before it stands down.
    pub fn deliver(&self, call: &mut impl FnMut(C, usize, Notice)) {
        match S::DELIVERY {
            Delivery::HoldLockAcrossCallbacks => self.delivery_lock.with(|()| self.drain(call)),
            Delivery::Combining | Delivery::CombiningWithoutRecheck => loop {
                if self.delivering.cas(0, 1).is_err() {
                    return;
                }
                let stand_down = StandDown(&self.delivering);
                self.drain(call);
                drop(stand_down);
                // A notice queued after the last drain but before the stand-down found a
                // deliverer at work and left: take it.
                if S::DELIVERY == Delivery::CombiningWithoutRecheck
                    || self.queue.with(|q| q.notices.is_empty())
                {
                    return;
                }
            },
        }
    }

    fn drain(&self, call: &mut impl FnMut(C, usize, Notice)) {
        let mut chunk = [(0usize, Notice::LockedMode(false)); DELIVERY_CHUNK];
        loop {
            let (n, callbacks) = self.queue.with(|q| {
                let n = q.notices.len().min(DELIVERY_CHUNK);
                for (dst, src) in chunk.iter_mut().zip(q.notices.drain(..n)) {
                    *dst = src;
                }
                (n, q.callbacks)
            });
            if n == 0 {
                return;
            }
            for &(handle, notice) in &chunk[..n] {
                call(callbacks, handle, notice);
            }
        }
    }
}

/// Clears the delivering mark when the deliverer leaves, also if a callback unwinds.
struct StandDown<'a, W: AtomicWord>(&'a W);

impl<W: AtomicWord> Drop for StandDown<'_, W> {
    fn drop(&mut self) {
        self.0.store(0);
    }
}
