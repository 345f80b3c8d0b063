//! The §6 safety properties as checks of each transition (issue 11): they read the state
//! before the step, the action, the observations in order and the state after, and judge
//! them from SPEC text — not from the engine's phases — so that a misreading in the engine
//! shows. A violation is marked in the state the step returns (sticky), and the checker
//! reports the path to it at once.
//!
//! - R11: a persistent write only from an accepted OnlineResourceEx (Online) or an accepted
//!   OfflineResourceEx without DO_NOT_UPDATE (Offline), before that step's first DLL call on
//!   the resource; such a call always writes; nothing else changes persistent state.
//! - R12: each OfflineV2's flags and destination, derived from the operation that is in flight
//!   on the group (its client flags, source and destination), the call's node, the answers
//!   to earlier calls of the step and the step's input (user offline, embedded failure).
//! - R13: a rejected client call changes nothing and emits nothing but its answer.
//! - R14: at most one operation in flight per group; a completion only for one in flight; an
//!   operation never leaves the state without its completion.
//! - At most one queued operation per group: no operation is accepted on a queued group.
//!
//! R4 is checked inside the DLL (`dll.rs`) and "a finished move, rollback or recovery leaves
//! its group at target" where the engine finishes one (`flows.rs`), both at the transition.

use crate::action::{Action, Dest};
use crate::calls::null_destination;
use crate::config::{move_flags as mf, offline_flags as of};
use crate::state::{mark, witness, State};
use crate::vocab::{codes::*, oflags, Entry, Observation, Persist, Sink};

/// The client inputs of the move whose legs R12 judges.
#[derive(Clone, Copy)]
struct MoveCtx {
    src: u8,
    dst: u8,
    ignore: bool,
    rts: bool,
    queue: bool,
}

/// The checks' state during one step: a few bits, no allocation.
pub(crate) struct Monitor<'a, S: Sink> {
    inner: &'a mut S,
    pre: &'a State,
    action: Action,
    returned: Option<u32>,
    /// Groups with an operation in flight, as the observations tell.
    open: u16,
    /// Resources with a DLL call (or a persistent write) so far in this step.
    called: u32,
    written: u32,
    /// Resources whose last first-leg OfflineV2 answered HOST_UNREACHABLE without 0x20.
    unreachable: u32,
    offline_calls: u32,
    observations: u32,
    violations: u16,
    witness: u16,
    /// The move this step's MoveGroupEx started: (group, its inputs).
    moved: Option<(usize, MoveCtx)>,
}

fn bit(i: usize) -> u32 {
    1 << (i & 31)
}

fn accepted(code: Option<u32>) -> bool {
    matches!(code, Some(ERROR_SUCCESS | ERROR_IO_PENDING))
}

impl<'a, S: Sink> Monitor<'a, S> {
    pub(crate) fn new(pre: &'a State, action: &Action, inner: &'a mut S) -> Self {
        Self {
            inner,
            pre,
            action: *action,
            returned: None,
            open: pre.op_mask(),
            called: 0,
            written: 0,
            unreachable: 0,
            offline_calls: 0,
            observations: 0,
            violations: 0,
            witness: 0,
            moved: None,
        }
    }

    /// The move this step's own MoveGroupEx started, if accepted (R13 check 6's null rule
    /// recomputed from the state before the step).
    fn accepted_move(&self, g: usize) -> Option<MoveCtx> {
        let Action::MoveGroup {
            group: Some(mg),
            dest,
            flags,
        } = self.action
        else {
            return None;
        };
        if mg != g || self.returned != Some(ERROR_IO_PENDING) {
            return None;
        }
        let src = u8::try_from(self.pre.owner(g)).ok()?;
        let dst = match dest {
            Dest::Node(d) => d,
            Dest::Null => null_destination(self.pre, self.pre.owner(g))?,
            Dest::Unknown => return None,
        };
        Some(MoveCtx {
            src,
            dst,
            ignore: flags & mf::IGNORE != 0,
            rts: flags & mf::RTS != 0,
            queue: flags & mf::QUEUE != 0,
        })
    }

    /// The move in flight on `g` for R12: this step's, or the one before the step.
    fn move_ctx(&self, g: usize) -> Option<MoveCtx> {
        let mine = self.moved.filter(|&(mg, _)| mg == g).map(|(_, m)| m);
        mine.or_else(|| {
            self.pre.job(g).as_move().map(|m| MoveCtx {
                src: m.src,
                dst: m.dst,
                ignore: m.ignore,
                rts: m.rts,
                queue: m.queue,
            })
        })
    }

    /// R12: the flags and destination an OfflineV2 on `node` for `r` must carry.
    fn expected_offline(&self, node: u8, r: usize, dest: Option<u8>) -> Option<(u8, Option<u8>)> {
        let g = self.pre.shape().group_of(r);
        let first = self.offline_calls == 0;
        let ign = |b: bool| if b { oflags::IGNORE } else { 0 };
        match self.action {
            // R21: the restart's offline, 0x10|0x40, no destination.
            Action::EmbeddedFailure(x) if x == r && first => {
                return Some((oflags::EMBEDDED | oflags::DNU, None))
            }
            // D6: a user offline, 0x01 iff IGNORE, 0x40 iff DO_NOT_UPDATE.
            Action::OfflineResource {
                resource: Some(x),
                flags,
                ..
            } if x == r && first && accepted(self.returned) => {
                let dnu = if flags & of::DNU != 0 { oflags::DNU } else { 0 };
                return Some((ign(flags & of::IGNORE != 0) | dnu, None));
            }
            _ => {}
        }
        let Some(d) = dest else {
            // R14: bringing a resource to persistent Offline outside a user offline.
            let ignore = self
                .move_ctx(g)
                .map_or(self.pre.job(g).ignore(), |m| m.ignore);
            return Some((oflags::DNU | ign(ignore), None));
        };
        let m = self.move_ctx(g)?;
        if node == m.src && d == m.dst {
            // The first leg: 0x40, 0x01/0x02/0x04 from the client, 0x20 on the second attempt
            // after HOST_UNREACHABLE with IGNORE.
            let forced = m.ignore && self.unreachable & bit(r) != 0;
            let f = oflags::DNU
                | ign(m.ignore)
                | if m.rts { oflags::RTS } else { 0 }
                | if m.queue { oflags::QUEUE } else { 0 }
                | if forced { oflags::IGNORE_NET } else { 0 };
            Some((f, Some(m.dst)))
        } else if node == m.dst && d == m.src {
            // The return leg: 0x08|0x40 (+0x01), DestinationNodeName = S.
            Some((oflags::RETURNING | oflags::DNU | ign(m.ignore), Some(m.src)))
        } else {
            None
        }
    }

    fn offline_call(&mut self, node: u8, r: usize, dest: Option<u8>, flags: u8, result: u32) {
        if self.expected_offline(node, r, dest) != Some((flags, dest)) {
            self.violations |= mark::R12;
        }
        if flags & oflags::IGNORE_NET != 0 {
            self.witness |= witness::FORCED_NET;
        }
        let first_leg_unreachable = dest.is_some()
            && flags & (oflags::RETURNING | oflags::IGNORE_NET) == 0
            && result == ERROR_HOST_UNREACHABLE;
        if first_leg_unreachable {
            self.unreachable |= bit(r);
        } else {
            self.unreachable &= !bit(r);
        }
        self.offline_calls += 1;
    }

    /// R11: is this write one that R11 permits?
    fn write_allowed(&self, r: usize, p: Persist) -> bool {
        let fresh = self.called & bit(r) == 0 && self.written & bit(r) == 0;
        let by_call = match self.action {
            Action::OnlineResource { resource: Some(x) } => x == r && p == Persist::Online,
            Action::OfflineResource {
                resource: Some(x),
                flags,
                ..
            } => x == r && p == Persist::Offline && flags & of::DNU == 0,
            _ => false,
        };
        fresh && by_call && accepted(self.returned)
    }

    fn returned(&mut self, code: u32, op: Option<u32>) {
        self.returned = Some(code);
        if let Some(g) = op.map(|g| g as usize) {
            // One operation per group (R13 checks 3, 4): none may be accepted on a group
            // that has one in flight; on a queued one it would be a second queued operation.
            if self.open & (1 << (g & 15)) != 0 {
                self.violations |= if self.pre.queued(g) {
                    mark::QUEUE
                } else {
                    mark::R14
                };
            }
            self.open |= 1 << (g & 15);
            if let Some(m) = self.accepted_move(g) {
                self.moved = Some((g, m));
            }
        }
        if matches!(self.action, Action::CancelGroupOperation { .. }) && code == ERROR_SUCCESS {
            self.witness |= witness::CANCELLED;
        }
    }

    /// The checks that need the state after the step; returns (violations, witness).
    pub(crate) fn finish(self, post: &State) -> (u16, u16) {
        let mut v = self.violations;
        let client_call =
            self.action.is_call() && !matches!(self.action, Action::RawOfflineV2 { .. });
        if client_call && !accepted(self.returned) {
            // R13: no change at all, nothing emitted but the answer (which implies the rest).
            if post.same_situation(self.pre) && self.observations == 1 {
                return (v, self.witness);
            }
            v |= mark::R13;
        }
        if (post.persistent_mask() ^ self.pre.persistent_mask()) & !self.written != 0 {
            v |= mark::R11; // changed without a permitted, listed write
        }
        let must_write = match self.action {
            Action::OnlineResource { resource: Some(r) } => Some(r),
            Action::OfflineResource {
                resource: Some(r),
                flags,
                ..
            } if flags & of::DNU == 0 => Some(r),
            _ => None,
        };
        if let Some(r) = must_write.filter(|_| accepted(self.returned)) {
            if self.written & bit(r) == 0 {
                v |= mark::R11; // R11: an accepted call writes durably
            }
        }
        if post.op_mask() != self.open {
            v |= mark::R14; // dropped without completion, or in flight without acceptance
        }
        let mut w = self.witness;
        if matches!(self.action, Action::Retry(_)) && self.offline_calls > 0 {
            w |= witness::RETRIED;
        }
        (v, w)
    }
}

impl<S: Sink> Sink for Monitor<'_, S> {
    fn emit(&mut self, o: Observation) {
        self.observations += 1;
        match o {
            Observation::Returned { code, op } => self.returned(code, op),
            Observation::Call {
                node,
                entry,
                resource,
                dest,
                flags,
                result,
            } => {
                if entry == Entry::OfflineV2 {
                    self.offline_call(node, resource, dest, flags, result);
                }
                if entry == Entry::Terminate && matches!(self.action, Action::Timeout(_)) {
                    self.witness |= witness::TIMEOUT_TERMINATE;
                }
                if matches!(entry, Entry::OnlineV2 | Entry::OfflineV2 | Entry::Terminate) {
                    self.called |= bit(resource);
                }
            }
            Observation::PersistentWrite { resource, state } => {
                if !self.write_allowed(resource, state) {
                    self.violations |= mark::R11;
                }
                self.written |= bit(resource);
            }
            Observation::Completed { op, .. } => {
                let b = 1u16 << (op & 15);
                if self.open & b == 0 {
                    self.violations |= mark::R14; // a second completion, or one for nothing
                }
                self.open &= !b;
            }
        }
        self.inner.emit(o);
    }
}
