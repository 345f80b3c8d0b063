//! The DLL core, written once over any [`AtomicWord`] slice: the lock-free entry points
//! (OfflineV2, OnlineV2, Terminate, the state queries) and the [`Registry`] operations that
//! run under the instance's registry lock (OpenV2, Close, the control export, Reset).
//!
//! The shared (cdylib) instance runs these on `AtomicU64`s behind a mutex; the in-process
//! [`super::Instance`] runs them on plain `u64`s seen as `Cell`s. Notices are handed to an
//! `emit` closure while the registry is held, so their order is the order of the changes
//! (A11); nothing here calls the host.

use super::fast;
use super::rules::{self, Decision, OfflineCall, WorkEnd};
use super::sync::AtomicWord;
use super::word::{
    resid, split_resid, Traits, Word, GEN_BITS, GEN_SHIFT, RESID_MAX, SLOT_BITS, SLOT_MASK,
    TAG_SHIFT,
};
use super::Notice;
use crate::resource_dll::WorkloadControl;
use crate::types::{ErrorCode, NodeName, OfflineFlags, ResourceState, WorkMode};

/// Most resources one instance holds open at once (bounds the slot table; TigerBeetle style).
pub const MAX_SLOTS: usize = 1024;

/// The workload behind a resource name (D1): what the environment controls.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Workload {
    name: String,
    /// Authoritative while the resource is not open here (the word's while it is).
    traits: Traits,
    /// The workload is running (Online) here: an Open sees it Online.
    running: bool,
    /// The slot it is open in.
    open: Option<usize>,
}

/// The host's handle and the workload of a used slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SlotMeta {
    workload: usize,
    handle: usize,
}

/// What an instance keeps under its registry lock: names, workloads, which slot holds which
/// resource, the free slots, the links and the local node. Never touched by OfflineV2 /
/// OnlineV2 unless R5 must look at a cut link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Registry {
    /// Claimed by a host (the in-process instance always is; the cdylib's between StartupEx
    /// and release, A1).
    pub(crate) active: bool,
    pub(crate) local_node: Option<NodeName>,
    workloads: Vec<Workload>,
    slots: Vec<SlotMeta>,
    free: Vec<usize>,
    pub(crate) down_links: Vec<NodeName>,
}

/// What a lock-free entry point ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hot {
    /// The answer.
    Done(ErrorCode),
    /// The armed panic was disarmed: the caller panics now (R8).
    Panic,
}

/// Where a lock-free OfflineV2 learns whether a destination is reachable (R5).
pub trait Links {
    /// True if some link from this node is down (cheap: the fast path asks it first).
    fn any_down(&self) -> bool;
    /// True if the link from this node to `dest` is down.
    fn unreachable(&self, dest: &[u16]) -> bool;
}

impl Links for [NodeName] {
    #[inline(always)]
    fn any_down(&self) -> bool {
        !self.is_empty()
    }
    fn unreachable(&self, dest: &[u16]) -> bool {
        self.iter().any(|n| n.eq_utf16(dest))
    }
}

/// The word of `resid`'s slot and the generation it must show, if the RESID can name one.
#[inline(always)]
fn slot_of<A: AtomicWord>(words: &[A], resid: usize) -> Option<(&A, u64)> {
    let (slot, generation) = split_resid(resid)?;
    Some((words.get(slot)?, generation))
}

/// A decision over one resource's state and traits (R3–R7), see [`decide_and_apply`].
pub trait Decide {
    /// The decision for a resource in `state` with `traits`.
    fn decide(&mut self, state: ResourceState, traits: Traits) -> Decision;
}

/// OfflineV2's decision: the validated call and where R5 looks.
struct OfflineDecision<'c, 'd, L: ?Sized> {
    call: &'c OfflineCall<'d>,
    links: &'c L,
}

impl<L: Links + ?Sized> Decide for OfflineDecision<'_, '_, L> {
    #[inline(always)]
    fn decide(&mut self, state: ResourceState, traits: Traits) -> Decision {
        let links = self.links;
        rules::decide_offline(state, traits, self.call, |dest| links.unreachable(dest))
    }
}

/// OnlineV2's decision.
struct OnlineDecision;

impl Decide for OnlineDecision {
    #[inline(always)]
    fn decide(&mut self, state: ResourceState, traits: Traits) -> Decision {
        rules::decide_online(state, traits)
    }
}

/// Runs `decide` on the open resource `resid` names and applies its decision with one
/// compare-and-swap (retried if the word changed meanwhile): the core of OfflineV2 and
/// OnlineV2 after R1. ERROR_RESOURCE_NOT_FOUND if the RESID is not open (R2).
#[inline(always)]
pub fn decide_and_apply<A: AtomicWord>(words: &[A], resid: usize, mut decide: impl Decide) -> Hot {
    let Some((word, generation)) = slot_of(words, resid) else {
        return Hot::Done(ErrorCode::ERROR_RESOURCE_NOT_FOUND);
    };
    let mut w = Word(word.load());
    loop {
        let Some(state) = w.state_of(generation) else {
            return Hot::Done(ErrorCode::ERROR_RESOURCE_NOT_FOUND);
        };
        let (next, hot) = match decide.decide(state, w.traits()) {
            Decision::Answer(code) => return Hot::Done(code),
            Decision::Become(to, code) => (w.with_state(to), Hot::Done(code)),
            Decision::Panic => (w.with_traits(w.traits() - Traits::PANIC_ARMED), Hot::Panic),
        };
        match word.cas(w.0, next.0) {
            Ok(()) => return hot,
            Err(found) => w = Word(found),
        }
    }
}

/// OfflineV2 after R1: R2, then R3–R7 (R9), lock-free: the fast path over
/// [`fast::OFFLINE_TABLE`] (A15), the generic path when the table does not decide.
#[inline(always)]
pub fn offline_v2<A: AtomicWord, L: Links + ?Sized>(
    words: &[A],
    links: &L,
    resid: usize,
    call: &OfflineCall<'_>,
) -> Hot {
    offline_v2_tagged(words, links, resid, 0, call, &fast::OFFLINE_TABLE)
}

/// [`offline_v2`] deciding with `table` (tests run it on a deliberately broken copy).
#[inline(always)]
pub fn offline_v2_with<A: AtomicWord, L: Links + ?Sized>(
    words: &[A],
    links: &L,
    resid: usize,
    call: &OfflineCall<'_>,
    table: &fast::OfflineTable,
) -> Hot {
    offline_v2_tagged(words, links, resid, 0, call, table)
}

/// The RESID the core issued inside a host RESID whose top byte must be `tag` (A2, A16): the
/// RESID without its tag, or 0 (never valid, R2) when the top byte is another value.
#[inline(always)]
#[must_use]
pub fn untag(resid: usize, tag: usize) -> usize {
    if resid as u64 >> TAG_SHIFT == tag as u64 {
        resid & RESID_MAX
    } else {
        0
    }
}

/// [`offline_v2_with`] on a RESID as the host passed it: its top byte must be `tag` (the
/// cdylib's instance tag, A2; 0 for the core's own RESIDs, whose top byte is 0).
#[inline(always)]
pub fn offline_v2_tagged<A: AtomicWord, L: Links + ?Sized>(
    words: &[A],
    links: &L,
    resid: usize,
    tag: usize,
    call: &OfflineCall<'_>,
    table: &fast::OfflineTable,
) -> Hot {
    match offline_v2_fast(words, links, resid, tag, call, table) {
        Some(code) => Hot::Done(code),
        None => offline_v2_cold(words, links, untag(resid, tag), call.flags, call.dest),
    }
}

/// OfflineV2's fast path (A15, A16): the answer, or None when the generic path must decide
/// (on the RESID without its tag, [`untag`]).
///
/// With a link down, a call with a destination takes the generic path, which asks the links
/// at R5's turn (only a move leg — neither 0x08 nor 0x20 — can meet R5 there). Otherwise R5
/// cannot answer, and the word's low byte and 0x01 pick the table entry: an answer, or a move
/// to another state with one compare-and-swap (if the word changed meanwhile, the generic path
/// decides again from the word it finds: no retry loop here), or "generic" (an armed panic,
/// R8). R2 is the generation check, as in the generic path, with the tag folded into it: the
/// RESID's bits above the slot field, with `tag` XORed out of the top byte, must equal the
/// word's 40-bit generation — any other top byte leaves a bit above bit 40 set, which no
/// generation has.
#[inline(always)]
pub fn offline_v2_fast<A: AtomicWord, L: Links + ?Sized>(
    words: &[A],
    links: &L,
    resid: usize,
    tag: usize,
    call: &OfflineCall<'_>,
    table: &fast::OfflineTable,
) -> Option<ErrorCode> {
    if call.dest.is_some() && links.any_down() {
        return None;
    }
    // Slot field 0 wraps to usize::MAX: no slot.
    let slot = (resid & SLOT_MASK).wrapping_sub(1);
    let Some(word) = words.get(slot) else {
        return Some(ErrorCode::ERROR_RESOURCE_NOT_FOUND);
    };
    let generation = (resid as u64 >> SLOT_BITS) ^ ((tag as u64) << GEN_BITS);
    let w = word.load();
    if w >> GEN_SHIFT != generation {
        return Some(ErrorCode::ERROR_RESOURCE_NOT_FOUND);
    }
    let entry = table[fast::key(w, call.flags)];
    if entry & fast::GENERIC != 0 {
        return None;
    }
    let delta = u64::from(entry >> fast::DELTA_SHIFT);
    if delta != 0 && word.cas(w, w ^ delta).is_err() {
        return None;
    }
    Some(ErrorCode(entry & fast::CODE_MASK))
}

/// The generic path out of line: the fast path's fallback (A15). Takes the call's parts by
/// value, so the fast path keeps them in registers.
#[cold]
#[inline(never)]
fn offline_v2_cold<A: AtomicWord, L: Links + ?Sized>(
    words: &[A],
    links: &L,
    resid: usize,
    flags: OfflineFlags,
    dest: Option<&[u16]>,
) -> Hot {
    offline_v2_generic(words, links, resid, &OfflineCall { flags, dest })
}

/// OfflineV2 after R1 by the rules as written (R2, then R3–R7 in order, R9), lock-free: the
/// fast path's fallback and its reference in the equivalence tests.
#[inline]
pub fn offline_v2_generic<A: AtomicWord, L: Links + ?Sized>(
    words: &[A],
    links: &L,
    resid: usize,
    call: &OfflineCall<'_>,
) -> Hot {
    decide_and_apply(words, resid, OfflineDecision { call, links })
}

/// OnlineV2 after its R1-like checks: R2, then R7, lock-free.
#[inline(always)]
pub fn online_v2<A: AtomicWord>(words: &[A], resid: usize) -> Hot {
    decide_and_apply(words, resid, OnlineDecision)
}

/// OnlineV2 whole: R8's R1-like checks (Reserved, a NULL buffer with a size) before R2, then
/// [`online_v2`]. Panics with [`super::InjectedPanic`] when an armed panic fires.
#[inline(always)]
pub fn online_v2_call<A: AtomicWord>(
    words: &[A],
    resid: usize,
    inbuf_null: bool,
    inbuf_size: u32,
    reserved: u32,
) -> ErrorCode {
    match rules::validate_online(inbuf_null, inbuf_size, reserved) {
        Err(code) => code,
        Ok(()) => super::raise(online_v2(words, resid)),
    }
}

/// Terminate: the resource is Offline at once, pending work dropped without a callback
/// (R19, D16), whatever its state. Unknown RESIDs are ignored (R2).
pub fn terminate<A: AtomicWord>(words: &[A], resid: usize) {
    let Some((word, generation)) = slot_of(words, resid) else {
        return;
    };
    let mut w = Word(word.load());
    while let Some(state) = w.state_of(generation) {
        if state == ResourceState::Offline {
            return;
        }
        match word.cas(w.0, w.with_state(ResourceState::Offline).0) {
            Ok(()) => return,
            Err(found) => w = Word(found),
        }
    }
}

/// What the instance believes about `resid` (None: not open here).
#[must_use]
pub fn state_of<A: AtomicWord>(words: &[A], resid: usize) -> Option<ResourceState> {
    let (word, generation) = slot_of(words, resid)?;
    Word(word.load()).state_of(generation)
}

impl Registry {
    /// A registry with nothing in it, claimed (`active`) or not.
    #[must_use]
    pub const fn new(active: bool) -> Self {
        Self {
            active,
            local_node: None,
            workloads: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            down_links: Vec::new(),
        }
    }

    /// Slots ever used (the high-water mark; words beyond it are untouched).
    #[must_use]
    pub fn used_slots(&self) -> usize {
        self.slots.len()
    }

    /// True when an Open would need a slot beyond the high-water mark.
    #[must_use]
    pub fn needs_new_slot(&self) -> bool {
        self.free.is_empty()
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.workloads.iter().position(|w| w.name == name)
    }

    fn workload_index(&mut self, name: &str) -> usize {
        self.find(name).unwrap_or_else(|| {
            self.workloads.push(Workload {
                name: name.to_owned(),
                traits: Traits::OFFLINE_PENDING | Traits::ONLINE_PENDING,
                running: false,
                open: None,
            });
            self.workloads.len() - 1
        })
    }

    /// `OpenV2(name, …, handle)`: a RESID, or None (NULL) for an empty name, a resource
    /// already open on this instance, or a full slot table (R2: one RESID per resource).
    /// A locked resource reports it at once (D3).
    pub fn open<A: AtomicWord>(
        &mut self,
        words: &[A],
        name: &str,
        handle: usize,
        emit: &mut impl FnMut(usize, Notice),
    ) -> Option<usize> {
        if !self.active || name.is_empty() {
            return None;
        }
        let w = self.workload_index(name);
        if self.workloads[w].open.is_some() {
            return None;
        }
        let meta = SlotMeta {
            workload: w,
            handle,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = meta;
                slot
            }
            None if self.slots.len() < words.len().min(MAX_SLOTS) => {
                self.slots.push(meta);
                self.slots.len() - 1
            }
            None => return None,
        };
        let closed = Word(words[slot].load());
        assert!(closed.state().is_none(), "a free slot is closed");
        let workload = &mut self.workloads[w];
        workload.open = Some(slot);
        let state = if workload.running {
            ResourceState::Online
        } else {
            ResourceState::Offline
        };
        // No other writer touches a closed slot: lock-free entry points only swap words of
        // the generation they were given, and every other writer holds the registry.
        words[slot].store(Word::open(closed.generation(), state, workload.traits).0);
        if workload.traits.contains(Traits::LOCKED) {
            emit(handle, Notice::LockedMode(true));
        }
        Some(resid(slot, closed.generation()))
    }

    /// `Close(resid)`: forgets the RESID (its generation moves on) and any pending work;
    /// unknown RESIDs are ignored (R2). The workload keeps its traits.
    pub fn close<A: AtomicWord>(&mut self, words: &[A], resid: usize) {
        let Some((slot, generation)) = split_resid(resid) else {
            return;
        };
        let Some(word) = words.get(slot) else {
            return;
        };
        let mut w = Word(word.load());
        while w.state_of(generation).is_some() {
            match word.cas(w.0, w.closed_next().0) {
                Ok(()) => return self.forget(slot, w),
                Err(found) => w = Word(found),
            }
        }
    }

    /// Book-keeping after `slot`'s word `last` was closed.
    fn forget(&mut self, slot: usize, last: Word) {
        let meta = self.slots[slot];
        let workload = &mut self.workloads[meta.workload];
        assert_eq!(
            workload.open,
            Some(slot),
            "the slot's workload is open in it"
        );
        workload.open = None;
        workload.traits = last.traits();
        workload.running = last.state() == Some(ResourceState::Online);
        self.free.push(slot);
    }

    /// The RESID this instance holds for `name`, if any.
    #[must_use]
    pub fn resid_of<A: AtomicWord>(&self, words: &[A], name: &str) -> Option<usize> {
        let slot = self.workloads[self.find(name)?].open?;
        Some(resid(slot, Word(words[slot].load()).generation()))
    }

    /// R8: after a panic inside an entry point the resource is Failed and reported so.
    pub fn fail_after_panic<A: AtomicWord>(
        &mut self,
        words: &[A],
        resid: usize,
        emit: &mut impl FnMut(usize, Notice),
    ) {
        let Some((slot, generation)) = split_resid(resid) else {
            return;
        };
        let Some(word) = words.get(slot) else {
            return;
        };
        let mut w = Word(word.load());
        while w.state_of(generation).is_some() {
            match word.cas(w.0, w.with_state(ResourceState::Failed).0) {
                Ok(()) => {
                    emit(
                        self.slots[slot].handle,
                        Notice::Status(ResourceState::Failed),
                    );
                    return;
                }
                Err(found) => w = Word(found),
            }
        }
    }

    /// Changes the open word of workload `w` with `f` (`None`: no change); returns the word
    /// before and after, or None if the workload is not open here.
    fn update_open<A: AtomicWord>(
        &self,
        words: &[A],
        w: usize,
        mut f: impl FnMut(Word) -> Option<Word>,
    ) -> Option<(Word, Option<Word>)> {
        let slot = self.workloads[w].open?;
        let mut cur = Word(words[slot].load());
        loop {
            let Some(next) = f(cur) else {
                return Some((cur, None));
            };
            match words[slot].cas(cur.0, next.0) {
                Ok(()) => return Some((cur, Some(next))),
                Err(found) => cur = Word(found),
            }
        }
    }

    fn handle_of(&self, w: usize) -> usize {
        self.workloads[w]
            .open
            .map_or(0, |slot| self.slots[slot].handle)
    }

    /// Sets or clears `flag` of the workload `name` (in its word if open, else its record).
    /// Returns true if it changed.
    fn set_trait<A: AtomicWord>(
        &mut self,
        words: &[A],
        name: &str,
        flag: Traits,
        on: bool,
    ) -> bool {
        let w = self.workload_index(name);
        let change = |t: Traits| (t.contains(flag) != on).then(|| t ^ flag);
        match self.update_open(words, w, |word| {
            change(word.traits()).map(|t| word.with_traits(t))
        }) {
            Some((_, next)) => next.is_some(),
            None => match change(self.workloads[w].traits) {
                Some(t) => {
                    self.workloads[w].traits = t;
                    true
                }
                None => false,
            },
        }
    }

    /// Applies `change` to the open word of workload `name` and reports the new word with
    /// `notice`: ERROR_SUCCESS if it changed, ERROR_INVALID_STATE if `change` declined,
    /// ERROR_RESOURCE_NOT_FOUND if the resource is not open here.
    fn act_on_open<A: AtomicWord>(
        &mut self,
        words: &[A],
        name: &str,
        change: impl FnMut(Word) -> Option<Word>,
        notice: impl FnOnce(Word) -> Notice,
        emit: &mut impl FnMut(usize, Notice),
    ) -> ErrorCode {
        let Some(w) = self.find(name) else {
            return ErrorCode::ERROR_RESOURCE_NOT_FOUND;
        };
        match self.update_open(words, w, change) {
            None => ErrorCode::ERROR_RESOURCE_NOT_FOUND,
            Some((_, None)) => ErrorCode::ERROR_INVALID_STATE,
            Some((_, Some(next))) => {
                emit(self.handle_of(w), notice(next));
                ErrorCode::ERROR_SUCCESS
            }
        }
    }

    /// Ends `name`'s pending work (R7: exactly one status callback per pending call).
    fn end_work<A: AtomicWord>(
        &mut self,
        words: &[A],
        name: &str,
        end: WorkEnd,
        emit: &mut impl FnMut(usize, Notice),
    ) -> ErrorCode {
        self.act_on_open(
            words,
            name,
            |word| rules::end_work(word.state()?, end).map(|to| word.with_state(to)),
            |next| Notice::Status(next.state().unwrap_or(ResourceState::Failed)),
            emit,
        )
    }

    /// R21: an Online resource fails inside; the DLL reports it Failed via SignalFailure.
    fn embedded_failure<A: AtomicWord>(
        &mut self,
        words: &[A],
        name: &str,
        emit: &mut impl FnMut(usize, Notice),
    ) -> ErrorCode {
        self.act_on_open(
            words,
            name,
            |word| {
                (word.state() == Some(ResourceState::Online))
                    .then(|| word.with_state(ResourceState::Failed))
            },
            |_| Notice::EmbeddedFailure(ErrorCode::ERROR_GEN_FAILURE.0),
            emit,
        )
    }

    fn configure<A: AtomicWord>(
        &mut self,
        words: &[A],
        name: &str,
        offline: WorkMode,
        online: WorkMode,
        running: bool,
    ) {
        let w = self.workload_index(name);
        let modes = |t: Traits| {
            let mut t = t - (Traits::OFFLINE_PENDING | Traits::ONLINE_PENDING);
            t.set(Traits::OFFLINE_PENDING, offline == WorkMode::Pending);
            t.set(Traits::ONLINE_PENDING, online == WorkMode::Pending);
            t
        };
        let open = self.update_open(words, w, |word| {
            let t = modes(word.traits());
            (t != word.traits()).then(|| word.with_traits(t))
        });
        let workload = &mut self.workloads[w];
        workload.running = running;
        if open.is_none() {
            workload.traits = modes(workload.traits);
        }
    }

    /// R20: the node comes up empty. Generations keep counting, so every RESID from before
    /// the reset stays stale (R2).
    pub fn reset<A: AtomicWord>(&mut self, words: &[A]) {
        for (slot, word) in words.iter().enumerate().take(self.slots.len()) {
            let mut w = Word(word.load());
            while w.state().is_some() {
                match word.cas(w.0, w.closed_next().0) {
                    Ok(()) => {
                        self.free.push(slot);
                        break;
                    }
                    Err(found) => w = Word(found),
                }
            }
        }
        self.workloads.clear();
        self.down_links.clear();
        self.local_node = None;
        debug_assert_eq!(self.free.len(), self.slots.len(), "every used slot is free");
    }

    /// Applies an environment control (SPEC §7 events; D1, D2). Answers ERROR_SUCCESS when it
    /// acted, ERROR_INVALID_STATE or ERROR_RESOURCE_NOT_FOUND when there was nothing to act
    /// on. A table of one line per control.
    pub fn control<A: AtomicWord>(
        &mut self,
        words: &[A],
        control: WorkloadControl<'_>,
        emit: &mut impl FnMut(usize, Notice),
    ) -> ErrorCode {
        use WorkloadControl as C;
        match control {
            C::SetLocalNode(node) => self.local_node = Some(node),
            C::Configure {
                resource,
                offline,
                online,
                running,
            } => self.configure(words, resource, offline, online, running),
            C::CompleteOffline(n) => {
                return self.end_work(words, n, WorkEnd::CompleteOffline, emit)
            }
            C::FailOffline(n) => return self.end_work(words, n, WorkEnd::FailOffline, emit),
            C::CompleteOnline(n) => return self.end_work(words, n, WorkEnd::CompleteOnline, emit),
            C::FailOnline(n) => return self.end_work(words, n, WorkEnd::FailOnline, emit),
            C::Lock(n) | C::Unlock(n) => {
                let on = matches!(control, C::Lock(_));
                if self.set_trait(words, n, Traits::LOCKED, on) {
                    let w = self.workload_index(n);
                    if self.workloads[w].open.is_some() {
                        // D3: the instance holding the resource reports a lock change at once.
                        emit(self.handle_of(w), Notice::LockedMode(on));
                    }
                }
            }
            C::Busy(n) => drop(self.set_trait(words, n, Traits::BUSY, true)),
            C::Unbusy(n) => drop(self.set_trait(words, n, Traits::BUSY, false)),
            C::NetDown(node) if !self.down_links.contains(&node) => self.down_links.push(node),
            C::NetDown(_) => {}
            C::NetUp(node) => self.down_links.retain(|n| *n != node),
            C::EmbeddedFailure(n) => return self.embedded_failure(words, n, emit),
            C::InjectPanic(n) => drop(self.set_trait(words, n, Traits::PANIC_ARMED, true)),
            C::Reset => self.reset(words),
        }
        ErrorCode::ERROR_SUCCESS
    }

    /// Checks the registry against the words (tests and the concurrency checker): every
    /// used slot is either free and closed, or open and held by exactly the workload that
    /// says so, in a SPEC state (§3).
    ///
    /// # Errors
    /// A description of the first inconsistency.
    pub fn check<A: AtomicWord>(&self, words: &[A]) -> Result<(), String> {
        for (slot, meta) in self.slots.iter().enumerate() {
            let w = Word(words[slot].load());
            let free = self.free.iter().filter(|&&s| s == slot).count();
            match (w.state(), free) {
                (None, 1) => {}
                (Some(_), 0) => {
                    let held = self.workloads.get(meta.workload).and_then(|x| x.open);
                    if held != Some(slot) {
                        return Err(format!(
                            "slot {slot} is open but its workload says {held:?}"
                        ));
                    }
                }
                (state, n) => {
                    return Err(format!(
                        "slot {slot}: state {state:?}, {n} times on the free list"
                    ));
                }
            }
            if w.0 & 0xFF_FF00 != 0 {
                return Err(format!("slot {slot}: stray bits in {:#x}", w.0));
            }
        }
        for (i, wl) in self.workloads.iter().enumerate() {
            if let Some(slot) = wl.open {
                if self.slots.get(slot).map(|m| m.workload) != Some(i) {
                    return Err(format!("workload {} claims slot {slot}", wl.name));
                }
            }
        }
        Ok(())
    }
}
