//! Environment events (SPEC §7) and the abstract time events (M15): pending work ends, a
//! pending call times out (R19), a queued move is retried (R16), locks, busy flags, links,
//! crashes and starts (R20, D17, D19), embedded failures (R21) and injected panics (R8).

use crate::action::Action;
use crate::bugs::Bug;
use crate::state::{witness, Job, MovePhase, Recover, MAX_GROUPS};
use crate::step::Cx;
use crate::vocab::{codes::*, oflags, Persist, RState, Sink};

/// What a crash leaves a group that it touched (R20).
#[derive(Clone, Copy)]
struct Recovery {
    /// The aborted operation's client IGNORE (I5).
    ignore: bool,
    /// During a move with RTS whose destination died after ownership passed: back to S.
    prefer: Option<u8>,
    /// The group was idle with a persistent-Online resource that a DO_NOT_UPDATE offline had
    /// left Offline (a witness of §6).
    dnu_left: bool,
}

impl<S: Sink> Cx<'_, S> {
    pub(crate) fn event(&mut self, a: &Action) {
        match *a {
            Action::CompleteOffline(x) => self.work(x, RState::OfflinePending, RState::Offline),
            Action::FailOffline(x) => self.work(x, RState::OfflinePending, RState::Failed),
            Action::CompleteOnline(x) => self.work(x, RState::OnlinePending, RState::Online),
            Action::FailOnline(x) => self.work(x, RState::OnlinePending, RState::Failed),
            Action::Timeout(g) => self.timeout(g),
            Action::Retry(g) => self.retry(g),
            Action::Lock(x) | Action::Unlock(x) => self.lock(x, matches!(a, Action::Lock(_))),
            Action::Busy(x) | Action::Unbusy(x) => {
                if let Some(r) = self.resource(Some(x)) {
                    self.s.set_busy(r, matches!(a, Action::Busy(_))); // R6, D2
                }
            }
            Action::NetDown(p, q) | Action::NetUp(p, q) if self.node_ok(p) && self.node_ok(q) => {
                self.s.set_link(p, q, matches!(a, Action::NetUp(..))); // R5: both ways
            }
            Action::CrashNode(n) => self.crash(n),
            Action::StartNode(n) => self.start(n),
            Action::EmbeddedFailure(x) => self.embedded(x),
            Action::InjectPanic(x) => {
                // D2: the owner's instance only, ignored if the owner is Down (D20).
                if let Some(r) = self.resource(Some(x)) {
                    let owner = self.s.owner(self.group_of(r));
                    if self.s.is_up(owner) {
                        self.s.set_armed(owner, r, true);
                    }
                }
            }
            _ => {}
        }
    }

    /// `complete_*` / `fail_*`: the Up instance that has such pending work acts (only the
    /// owner holds the resource), then reports it (R7).
    fn work(&mut self, x: usize, pending: RState, to: RState) {
        let Some(r) = self.resource(Some(x)) else {
            return;
        };
        let owner = self.s.owner(self.group_of(r));
        if !self.s.is_up(owner) || self.s.dll(r) != pending {
            return;
        }
        self.s.set_dll(r, to);
        let code = if to == RState::Failed {
            ERROR_GEN_FAILURE
        } else {
            ERROR_SUCCESS
        };
        self.callback(owner, r, to, code);
    }

    /// `lock` / `unlock` (D2, D3): the truth changes; the instance holding the resource
    /// reports it to the host at once.
    fn lock(&mut self, x: usize, on: bool) {
        let Some(r) = self.resource(Some(x)) else {
            return;
        };
        self.s.set_locked(r, on);
        if self.s.is_up(self.s.owner(self.group_of(r))) {
            self.s.set_host_locked(r, on);
        }
    }

    /// R19: the group's outstanding call has been pending for `pending_timeout`: the host
    /// calls Terminate (the DLL's copy is Offline); an offline then counts as done, an online
    /// as failed with ERROR_TIMEOUT (the resource Failed for the host).
    fn timeout(&mut self, g: usize) {
        let Some(g) = self.group(Some(g)) else {
            return;
        };
        let Some(r) = self.s.outstanding(g) else {
            return;
        };
        if self.s.host(r) == RState::OnlinePending {
            self.terminate(r, RState::Failed);
            self.call_ended(g, r, RState::Failed, ERROR_TIMEOUT);
        } else {
            self.terminate(r, RState::Offline);
            self.call_ended(g, r, RState::Offline, ERROR_SUCCESS);
        }
    }

    /// R16, D12: the queued move re-calls OfflineV2 once on the resource that answered
    /// ERROR_RETRY, with the same flags; the move goes on with the answer.
    fn retry(&mut self, g: usize) {
        let Some(g) = self.group(Some(g)) else {
            return;
        };
        let Some(m) = self
            .s
            .job(g)
            .as_move()
            .filter(|m| m.phase == MovePhase::Queued)
        else {
            return;
        };
        if self.bug(Bug::RetryNeverFires) {
            return;
        }
        let first_leg = crate::state::Move {
            phase: MovePhase::FirstLeg,
            ..m
        };
        self.s.set_job(g, Job::Move(first_leg));
        self.drive(g);
    }

    /// R21, D18, I11: an embedded failure of an Online resource of an idle group on an Up
    /// owner: the DLL reports it Failed, the host offlines it with 0x10|0x40 (R3 answers at
    /// once) and brings it online once; the restart holds the group without an operation.
    fn embedded(&mut self, x: usize) {
        let Some(r) = self.resource(Some(x)) else {
            return;
        };
        let g = self.group_of(r);
        let owner = self.s.owner(g);
        let acts = self.s.is_up(owner)
            && self.s.host(r) == RState::Online
            && self.s.dll(r) == RState::Online
            && self.s.idle(g);
        if !acts {
            return;
        }
        self.s.set_dll(r, RState::Failed); // SignalFailure
        self.s.set_host(r, RState::Failed);
        if self.host_offline(r, oflags::EMBEDDED | oflags::DNU, None) != ERROR_SUCCESS {
            return; // the restart's OfflineV2 failed: the online is not tried
        }
        match self.host_online(r) {
            ERROR_IO_PENDING => {
                let res = self.local(g, r);
                self.s.set_job(g, Job::Restart { res });
            }
            ERROR_SUCCESS => self.witness(witness::RESTARTED),
            _ => {}
        }
    }

    /// R20, D17, D19: a node goes Down. Its instance is reset; first every operation touching
    /// it completes with ERROR_CLUSTER_NODE_DOWN, in group declaration order; then each
    /// affected group is placed (stays on its Up owner, or fails over); then each placed group
    /// runs its recovery pass, in declaration order.
    fn crash(&mut self, n: u8) {
        if !self.node_ok(n) || !self.s.is_up(usize::from(n)) {
            return;
        }
        self.s.set_up(usize::from(n), false);
        self.s.disarm_node(usize::from(n)); // SPEC §7: dropped when that node goes Down
        let mut affected: [Option<Recovery>; MAX_GROUPS] = [None; MAX_GROUPS];
        let groups = usize::from(self.s.shape().groups);
        for (g, slot) in affected.iter_mut().enumerate().take(groups) {
            *slot = self.abort_for_crash(g, n);
        }
        let mut placed = [false; MAX_GROUPS];
        for g in 0..groups {
            if let Some(rec) = affected[g] {
                placed[g] = self.place(g, rec);
            }
        }
        for g in (0..groups).filter(|&g| placed[g]) {
            self.drive(g);
        }
    }

    /// R20: the group's part in a crash of `n`: its operation completes at once if the group
    /// is owned by `n` or its move comes from or goes to `n`; None if the crash leaves it be.
    fn abort_for_crash(&mut self, g: usize, n: u8) -> Option<Recovery> {
        let owned = self.owner(g) == n && !self.bug(Bug::CrashLosesOwner);
        let job = self.s.job(g);
        let touches = job.as_move().is_some_and(|m| m.src == n || m.dst == n);
        if !owned && !touches {
            return None;
        }
        if job.has_op() && !self.bug(Bug::CrashForgetsCompletion) {
            self.complete(g, ERROR_CLUSTER_NODE_DOWN);
        }
        let prefer = job
            .as_move()
            .filter(|m| owned && m.rts && m.dst == n)
            .filter(|m| matches!(m.phase, MovePhase::DestOnline | MovePhase::ReturnLeg))
            .map(|m| m.src);
        let dnu_left = owned
            && job == Job::Idle
            && self.members(g).any(|r| {
                self.s.persistent(r) == Persist::Online && self.s.host(r) == RState::Offline
            });
        if owned {
            // Every resource it owned is Offline in the host view; its calls are gone (R10);
            // no instance holds it any more (the DLL field is kept at zero while unheld).
            for r in self.members(g) {
                self.s.set_host(r, RState::Offline);
                self.s.set_dll(r, RState::Offline);
            }
        }
        Some(Recovery {
            ignore: job.ignore(),
            prefer,
            dnu_left,
        })
    }

    /// D17: keep the group on its Up owner (a call still pending there is awaited, R14) or
    /// fail it over (Open on the new owner, no Close on the dead node) and install its
    /// recovery. `false`: no Up node, the group waits, owned by the Down node (R10).
    fn place(&mut self, g: usize, rec: Recovery) -> bool {
        let owner = self.s.owner(g);
        let mut recover = Recover {
            ignore: rec.ignore,
            awaiting: false,
            cursor: 0,
        };
        if self.s.is_up(owner) {
            recover.awaiting = self.s.outstanding(g).is_some();
        } else {
            let up = |n: &u8| self.s.is_up(usize::from(*n));
            let first_up = (0..self.s.shape().nodes).find(|n| up(n));
            let Some(to) = rec.prefer.filter(up).or(first_up) else {
                self.s.set_job(g, Job::Idle);
                return false;
            };
            self.transfer(g, None, to);
            if rec.dnu_left {
                self.witness(witness::DNU_THEN_FAILOVER);
            }
            // Failed over, every resource is Offline: the pass only brings resources online,
            // so the aborted operation's IGNORE cannot matter (one situation, one state).
            recover.ignore = false;
        }
        self.s.set_job(g, Job::Recover(recover));
        true
    }

    /// R20, D17, I2: a node starts, empty; each group waiting for a node (owned by a Down
    /// node) goes to it in declaration order: Open, then its recovery (without 0x01, I5).
    fn start(&mut self, n: u8) {
        if !self.node_ok(n) || self.s.is_up(usize::from(n)) {
            return;
        }
        // The waiting groups: owned by a Down node — possibly this one.
        let groups = usize::from(self.s.shape().groups);
        let waiting: [bool; MAX_GROUPS] =
            std::array::from_fn(|g| g < groups && !self.s.is_up(self.s.owner(g)));
        self.s.set_up(usize::from(n), true);
        for g in (0..groups).filter(|&g| waiting[g]) {
            self.transfer(g, None, n);
            let recover = Recover {
                ignore: false,
                awaiting: false,
                cursor: 0,
            };
            self.s.set_job(g, Job::Recover(recover));
            self.drive(g);
        }
    }
}
