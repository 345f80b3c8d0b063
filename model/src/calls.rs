//! Client calls (R13 checks in their order, R11, R15, R18, R23) and raw OfflineV2 calls
//! (SPEC §7). Each emits its `Returned` first (D5).

use crate::action::{Dest, DestArg, RawCall, ResidArg};
use crate::bugs::Bug;
use crate::config::{move_flags as mf, offline_flags as of};
use crate::state::{witness, Job, Move, MovePhase};
use crate::step::Cx;
use crate::vocab::{codes::*, oflags, Persist, RState, Sink};

/// The node a null destination picks (R13 check 6): the first Up node after the owner in
/// declaration order, wrapping around, never the owner itself.
#[must_use]
pub fn null_destination(s: &crate::State, owner: usize) -> Option<u8> {
    let n = usize::from(s.shape().nodes);
    (1..n)
        .map(|k| (owner + k) % n)
        .find(|&c| s.is_up(c))
        .and_then(|c| u8::try_from(c).ok())
}

impl<S: Sink> Cx<'_, S> {
    /// R13 checks 3 and 4 (and 2's unknown name): the rejection code, if any.
    fn held_check(&self, g: usize) -> Option<u32> {
        if self.s.queued(g) {
            Some(ERROR_CLUSTER_GROUP_QUEUED)
        } else if self.s.held(g) {
            Some(ERROR_INVALID_STATE)
        } else {
            None
        }
    }

    /// OfflineResourceEx (R13 checks in order, R11 b, D6, D8, R19 FORCE, R23).
    pub(crate) fn offline_resource(&mut self, resource: Option<usize>, flags: u32) {
        if flags & !(of::IGNORE | of::FORCE | of::DNU) != 0 {
            return self.returned(ERROR_INVALID_PARAMETER, None); // R13.1
        }
        let Some(r) = self.resource(resource) else {
            return self.returned(ERROR_RESOURCE_NOT_FOUND, None); // R13.2
        };
        let g = self.group_of(r);
        if let Some(code) = self.held_check(g) {
            return self.returned(code, None); // R13.3, R13.4
        }
        let dnu = flags & of::DNU != 0;
        let ignore = flags & of::IGNORE != 0;
        if self.s.host(r) == RState::Offline {
            // R13.5 nothing to do: still records persistent Offline unless DNU (R11 b, D8).
            self.returned(ERROR_SUCCESS, None);
            if !dnu {
                self.write_persistent(r, Persist::Offline);
            }
            return;
        }
        if self.s.host_locked(r) && !ignore {
            return self.returned(ERROR_CLUSTER_RESOURCE_LOCKED_STATUS, None); // R13.7
        }
        self.returned(ERROR_IO_PENDING, Some(g));
        if !dnu {
            self.write_persistent(r, Persist::Offline); // R11 b: before the DLL is called
        }
        if flags & of::FORCE != 0 {
            // R19 FORCE_WITH_TERMINATION: Terminate directly, done at once (D6).
            self.terminate(r, RState::Offline);
            return self.complete(g, ERROR_SUCCESS);
        }
        // D6 / R12: 0x01 iff IGNORE, 0x40 iff DNU, no destination.
        let f = if ignore { oflags::IGNORE } else { 0 } | if dnu { oflags::DNU } else { 0 };
        let res = self.local(g, r);
        match self.host_offline(r, f, None) {
            // The client's IGNORE cannot matter any more: the only thing that aborts a user
            // offline is a crash of its owner, after which every resource is Offline and the
            // recovery never calls OfflineV2 (one situation, one state).
            ERROR_IO_PENDING => self.s.set_job(g, Job::UserOffline { res, ignore: false }),
            code => self.complete(g, code), // SUCCESS, or the error that ends it (R23)
        }
    }

    /// OnlineResourceEx (R13, R11 a, R23, D7).
    pub(crate) fn online_resource(&mut self, resource: Option<usize>) {
        let Some(r) = self.resource(resource) else {
            return self.returned(ERROR_RESOURCE_NOT_FOUND, None);
        };
        let g = self.group_of(r);
        if self.bug(Bug::RejectedOnlineWritesPersistent) && self.s.held(g) {
            self.s.set_persistent(r, Persist::Online);
        }
        if let Some(code) = self.held_check(g) {
            return self.returned(code, None);
        }
        if self.s.host(r) == RState::Online {
            // R13.5 nothing to do: writes persistent Online (R11 a, D8).
            self.returned(ERROR_SUCCESS, None);
            return self.write_persistent(r, Persist::Online);
        }
        self.returned(ERROR_IO_PENDING, Some(g));
        self.write_persistent(r, Persist::Online); // R23: durably, first
        let res = self.local(g, r);
        match self.host_online(r) {
            ERROR_SUCCESS => self.complete(g, ERROR_SUCCESS),
            ERROR_IO_PENDING => self.s.set_job(g, Job::UserOnline { res }),
            code => self.complete(g, code),
        }
    }

    /// MoveGroupEx (R13 checks 1–7 in order, then R15).
    pub(crate) fn move_group(&mut self, group: Option<usize>, dest: Dest, flags: u32) {
        if flags & !(mf::IGNORE | mf::RTS | mf::QUEUE | mf::HIGH_PRIORITY) != 0 {
            return self.returned(ERROR_INVALID_PARAMETER, None); // R13.1 (FAILBACK too)
        }
        let Some(g) = self.group(group) else {
            return self.returned(ERROR_GROUP_NOT_FOUND, None);
        };
        let dest = match dest {
            Dest::Node(d) if !self.node_ok(d) => Dest::Unknown,
            x => x,
        };
        if dest == Dest::Unknown {
            return self.returned(ERROR_CLUSTER_NODE_NOT_FOUND, None);
        }
        if self.s.queued(g) && self.bug(Bug::SecondQueuedMove) {
            return self.returned(ERROR_IO_PENDING, Some(g)); // a second queued operation
        }
        if let Some(code) = self.held_check(g) {
            return self.returned(code, None);
        }
        let owner = self.owner(g);
        if dest == Dest::Node(owner) {
            return self.returned(ERROR_SUCCESS, None); // R13.5
        }
        let dst = match dest {
            Dest::Node(d) => Some(d).filter(|&d| self.s.is_up(usize::from(d))),
            _ => null_destination(&self.s, usize::from(owner)),
        };
        let Some(dst) = dst else {
            return self.returned(ERROR_CLUSTER_NODE_DOWN, None); // R13.6
        };
        let ignore = flags & mf::IGNORE != 0;
        let locked = self.members(g).any(|r| {
            self.s.host_locked(r) && !matches!(self.s.host(r), RState::Offline | RState::Failed)
        });
        if locked && !ignore {
            return self.returned(ERROR_CLUSTER_RESOURCE_LOCKED_STATUS, None); // R13.7
        }
        self.returned(ERROR_IO_PENDING, Some(g));
        let m = Move {
            src: owner,
            dst,
            ignore,
            rts: flags & mf::RTS != 0,
            queue: flags & mf::QUEUE != 0,
            phase: MovePhase::FirstLeg,
            cursor: 0,
            result: ERROR_SUCCESS,
        };
        self.s.set_job(g, Job::Move(m));
        self.drive(g); // R15
    }

    /// CancelGroupOperation (R18, D12): the queued move is dropped, the group returns to its
    /// persistent state on S, and the move completes with ERROR_CANCELLED once settled.
    pub(crate) fn cancel(&mut self, group: Option<usize>, reserved: u32) {
        if reserved != 0 {
            return self.returned(ERROR_INVALID_PARAMETER, None);
        }
        let Some(g) = self.group(group) else {
            return self.returned(ERROR_GROUP_NOT_FOUND, None);
        };
        let Some(m) = self
            .s
            .job(g)
            .as_move()
            .filter(|m| m.phase == MovePhase::Queued)
        else {
            return self.returned(ERROR_INVALID_STATE, None);
        };
        self.returned(ERROR_SUCCESS, None);
        self.witness(witness::CANCELLED);
        if self.bug(Bug::CancelCompletesTwice) {
            self.complete(g, ERROR_CANCELLED);
        }
        let rollback = Move {
            phase: MovePhase::Rollback,
            cursor: 0,
            result: ERROR_CANCELLED,
            ..m
        };
        self.s.set_job(g, Job::Move(rollback));
        self.drive(g);
    }

    /// `raw_offline_v2`: the node's DLL export directly; the host is not told (SPEC §7). A
    /// panic's Failed report is a status callback like any other (R8, M1).
    pub(crate) fn raw(&mut self, node: u8, call: RawCall) {
        if !self.node_ok(node) {
            return self.returned(ERROR_CLUSTER_NODE_NOT_FOUND, None);
        }
        let n = usize::from(node);
        if !self.s.is_up(n) {
            return self.returned(ERROR_CLUSTER_NODE_DOWN, None);
        }
        let r = match call.resid {
            ResidArg::Held(x) => self.resource(Some(x)).filter(|&r| self.s.holds(n, r)),
            ResidArg::Forged => None,
        };
        let dest = match call.dest {
            DestArg::Valid(d) if !self.node_ok(d) => DestArg::Invalid,
            x => x,
        };
        let before = self.s;
        let code = self.dll_offline(n, r, &RawCall { dest, ..call });
        if self.s.situation() != before.situation() {
            self.witness(witness::RAW_CHANGED);
        }
        self.returned(code, None);
        if let (ERROR_GEN_FAILURE, Some(r)) = (code, r) {
            self.callback(n, r, RState::Failed, ERROR_GEN_FAILURE);
        }
    }

    /// Index of global resource `r` within group `g`.
    pub(crate) fn local(&self, g: usize, r: usize) -> u8 {
        u8::try_from(r - usize::from(self.s.shape().base[g])).unwrap_or(0)
    }
}
