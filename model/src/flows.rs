//! The flows that hold a group: a move's legs (R15–R17), rollbacks and settling passes (R14,
//! D13), recoveries (R20), and what happens when an outstanding call ends (R7, R19).

use crate::bugs::Bug;
use crate::state::{mark, witness, Job, Move, MovePhase, Recover, MAX_PER_GROUP};
use crate::step::Cx;
use crate::vocab::{codes::*, oflags, Persist, RState, Sink};

/// What one step of a flow did.
enum Flow {
    /// It made progress; drive on.
    Go,
    /// It waits (a call outstanding, queued) or ended.
    Stop,
}

impl<S: Sink> Cx<'_, S> {
    /// Runs the group's job until it waits (a call outstanding, queued, no Up owner) or ends.
    pub(crate) fn drive(&mut self, g: usize) {
        // Bounded: each round makes one call or one phase change.
        for _ in 0..4 * MAX_PER_GROUP + 8 {
            if self.s.outstanding(g).is_some() || !self.s.is_up(self.s.owner(g)) {
                return;
            }
            let flow = match self.s.job(g) {
                Job::Move(m) => self.drive_move(g, m),
                Job::Recover(rc) => self.drive_recover(g, rc),
                _ => Flow::Stop,
            };
            if let Flow::Stop = flow {
                return;
            }
        }
    }

    fn set_move(&mut self, g: usize, m: Move) {
        self.s.set_job(g, Job::Move(m));
    }

    fn drive_move(&mut self, g: usize, m: Move) -> Flow {
        match m.phase {
            MovePhase::FirstLeg => self.first_leg(g, m),
            MovePhase::Queued => Flow::Stop,
            MovePhase::DestOnline => self.dest_online(g, m),
            MovePhase::ReturnLeg => self.return_leg(g, m),
            MovePhase::Rollback | MovePhase::SettleOnSource => {
                match self.settle(g, m.cursor, m.ignore) {
                    Some(cursor) => {
                        self.set_move(g, Move { cursor, ..m });
                        Flow::Go
                    }
                    None => self.finish(g),
                }
            }
        }
    }

    fn drive_recover(&mut self, g: usize, rc: Recover) -> Flow {
        if rc.awaiting {
            // The awaited call ended without a callback reaching us (e.g. its work vanished):
            // the pass starts now.
            self.s.set_job(
                g,
                Job::Recover(Recover {
                    awaiting: false,
                    cursor: 0,
                    ..rc
                }),
            );
            return Flow::Go;
        }
        match self.settle(g, rc.cursor, rc.ignore) {
            Some(cursor) => {
                self.s.set_job(g, Job::Recover(Recover { cursor, ..rc }));
                Flow::Go
            }
            None if self.bug(Bug::RecoveryNeverSettles) => Flow::Stop,
            None => self.finish(g),
        }
    }

    /// R15, D9: one first-leg OfflineV2 on S for the first resource that is not Offline (R12
    /// flags), and the reaction to its answer (R16, D11, D12); all offline → ownership passes.
    fn first_leg(&mut self, g: usize, m: Move) -> Flow {
        let Some(r) = self.members(g).find(|&r| self.s.host(r) != RState::Offline) else {
            self.transfer(g, Some(m.src), m.dst); // D10
            self.set_move(
                g,
                Move {
                    phase: MovePhase::DestOnline,
                    ..m
                },
            );
            return Flow::Go;
        };
        let mut flags = oflags::DNU;
        flags |= if m.ignore { oflags::IGNORE } else { 0 };
        flags |= if m.queue { oflags::QUEUE } else { 0 };
        if m.rts {
            flags |= oflags::RTS;
            if self.bug(Bug::FirstLegRtsWithoutDnu) {
                flags &= !oflags::DNU;
            }
        }
        if self.bug(Bug::MoveUpdatesPersistent) {
            self.write_persistent(r, Persist::Offline);
        }
        let mut code = self.host_offline(r, flags, Some(m.dst));
        if code == ERROR_HOST_UNREACHABLE && m.ignore {
            // R12 0x20: the forced move's second attempt for this resource, at once (I3).
            code = self.host_offline(r, flags | oflags::IGNORE_NET, Some(m.dst));
        }
        match code {
            ERROR_SUCCESS => Flow::Go,
            ERROR_IO_PENDING => Flow::Stop,
            ERROR_RETRY if m.queue => {
                self.set_move(
                    g,
                    Move {
                        phase: MovePhase::Queued,
                        ..m
                    },
                ); // R16, D12
                Flow::Stop
            }
            c => {
                self.abort(g, m, c);
                Flow::Go
            }
        }
    }

    /// D11: the first leg stops; the group returns to its persistent state on S (a rollback
    /// pass), then the move completes with `code`.
    fn abort(&mut self, g: usize, m: Move, code: u32) {
        let rollback = Move {
            phase: MovePhase::Rollback,
            cursor: 0,
            result: code,
            ..m
        };
        self.set_move(g, rollback);
    }

    /// D10: D brings each resource with persistent Online up, one at a time in declaration
    /// order (the next is the first still Offline: a Failed one had its attempt).
    fn dest_online(&mut self, g: usize, m: Move) -> Flow {
        let mut todo = self.members(g);
        if self.bug(Bug::DestSkipsLastResource) {
            todo.end -= 1;
        }
        let next = todo.clone().find(|&r| {
            self.s.persistent(r) == Persist::Online && self.s.host(r) == RState::Offline
        });
        let Some(r) = next else {
            return self.finish(g);
        };
        match self.host_online(r) {
            ERROR_SUCCESS => Flow::Go,
            ERROR_IO_PENDING => Flow::Stop,
            c => {
                self.online_failed(g, m, c);
                Flow::Go
            }
        }
    }

    /// R17: the first resource that fails on D decides: with RTS the return leg starts;
    /// without, D goes on and the move completes with the first failure's code.
    fn online_failed(&mut self, g: usize, m: Move, code: u32) {
        let next = if m.rts {
            Move {
                phase: MovePhase::ReturnLeg,
                cursor: 0,
                result: code,
                ..m
            }
        } else if m.result == ERROR_SUCCESS {
            Move { result: code, ..m }
        } else {
            m
        };
        self.set_move(g, next);
    }

    /// R17, D14: D offlines every resource that is not Offline with 0x08|0x40 (+0x01),
    /// dest = S; an error answer → Terminate; never stops. Then back to S, which settles.
    fn return_leg(&mut self, g: usize, m: Move) -> Flow {
        let start = self.members(g).start + usize::from(m.cursor);
        let next = (start..self.members(g).end).find(|&r| self.s.host(r) != RState::Offline);
        let Some(r) = next else {
            self.transfer(g, Some(m.dst), m.src);
            let settle = Move {
                phase: MovePhase::SettleOnSource,
                cursor: 0,
                ..m
            };
            self.set_move(g, settle);
            return Flow::Go;
        };
        let mut flags = oflags::RETURNING | oflags::DNU;
        flags |= if m.ignore { oflags::IGNORE } else { 0 };
        if self.bug(Bug::ReturnLegWithoutDnu) {
            flags &= !oflags::DNU;
        }
        let here = self.local(g, r);
        let cursor = match self.host_offline(r, flags, Some(m.src)) {
            ERROR_IO_PENDING => here,
            ERROR_SUCCESS => here + 1,
            _ => {
                self.terminate(r, RState::Offline); // R17: error → Terminate, go on
                here + 1
            }
        };
        self.set_move(g, Move { cursor, ..m });
        if cursor == here {
            Flow::Stop
        } else {
            Flow::Go
        }
    }

    /// D13 / R14: one step of a pass bringing the group to its persistent state on its owner,
    /// from `cursor`: the next cursor (the resource now pending, or past the one just done),
    /// or None when the pass is over.
    fn settle(&mut self, g: usize, cursor: u8, ignore: bool) -> Option<u8> {
        let start = self.members(g).start + usize::from(cursor);
        let r = (start..self.members(g).end)
            .find(|&r| self.s.host(r) != self.s.persistent(r).target())?;
        let here = self.local(g, r);
        let done = match self.s.persistent(r) {
            // Target Online: one OnlineV2; failed or timed out it stays Failed (no 2nd try).
            Persist::Online => self.host_online(r) != ERROR_IO_PENDING,
            Persist::Offline => {
                // R14: 0x40 (+0x01), no destination; never stops.
                let f = oflags::DNU | if ignore { oflags::IGNORE } else { 0 };
                match self.host_offline(r, f, None) {
                    ERROR_IO_PENDING => false,
                    ERROR_SUCCESS => true,
                    _ => {
                        self.terminate(r, RState::Offline);
                        true
                    }
                }
            }
        };
        Some(if done { here + 1 } else { here })
    }

    /// The outstanding call of group `g` on resource `r` ended with `status` (a callback, or
    /// R19's Terminate): the host takes the status and the job reacts.
    pub(crate) fn call_ended(&mut self, g: usize, r: usize, status: RState, code: u32) {
        self.s.set_host(r, status);
        let here = self.local(g, r);
        match self.s.job(g) {
            Job::UserOffline { .. } => {
                let ok = status == RState::Offline;
                return self.end_user_call(g, if ok { ERROR_SUCCESS } else { code });
            }
            Job::UserOnline { .. } => {
                let ok = status == RState::Online;
                return self.end_user_call(g, if ok { ERROR_SUCCESS } else { code });
            }
            Job::Restart { .. } => {
                self.finish(g);
                return;
            }
            Job::Move(m) => self.move_call_ended(g, m, here, status, code),
            Job::Recover(rc) => {
                // R14 amended: an awaited call is not the pass's attempt; the pass starts from
                // the first resource. The pass's own call: it goes on after that resource.
                let cursor = if rc.awaiting { 0 } else { here + 1 };
                let next = Recover {
                    awaiting: false,
                    cursor,
                    ..rc
                };
                self.s.set_job(g, Job::Recover(next));
            }
            Job::Idle => return,
        }
        self.drive(g);
    }

    fn move_call_ended(&mut self, g: usize, m: Move, here: u8, status: RState, code: u32) {
        match m.phase {
            // R15; R19: a timed-out offline counts as done. D11: a failed one aborts.
            MovePhase::FirstLeg if status != RState::Offline => self.abort(g, m, code),
            MovePhase::DestOnline if status != RState::Online => self.online_failed(g, m, code),
            // R17, D13: a return leg and a settle pass go on whatever happened.
            MovePhase::ReturnLeg | MovePhase::Rollback | MovePhase::SettleOnSource => {
                self.set_move(
                    g,
                    Move {
                        cursor: here + 1,
                        ..m
                    },
                );
            }
            _ => {}
        }
    }

    /// A user operation's call ended (R23): it completes and the group is idle again.
    fn end_user_call(&mut self, g: usize, result: u32) {
        self.s.set_job(g, Job::Idle);
        self.complete(g, result);
    }

    /// The job is over: the group is settled (R14). A move, rollback or recovery must leave
    /// every resource at its target (persistent state, or Failed; checked here, §6); a move
    /// completes its operation.
    fn finish(&mut self, g: usize) -> Flow {
        let job = self.s.job(g);
        self.s.set_job(g, Job::Idle);
        let at_target = self.members(g).all(|r| {
            let h = self.s.host(r);
            h == self.s.persistent(r).target() || h == RState::Failed
        });
        let all_online = self.members(g).all(|r| self.s.host(r) == RState::Online);
        let owner = self.owner(g);
        match job {
            Job::Move(m) => {
                if !at_target {
                    self.s.add_violations(mark::TARGET);
                }
                if m.result == ERROR_SUCCESS && owner == m.dst && all_online {
                    self.witness(witness::MOVED);
                }
                if m.phase == MovePhase::SettleOnSource && owner == m.src && all_online {
                    self.witness(witness::RETURN_ONLINE);
                }
                self.complete(g, m.result);
            }
            Job::Recover(_) if !at_target => self.s.add_violations(mark::TARGET),
            Job::Restart { res } => {
                let r = self.members(g).start + usize::from(res);
                if self.s.host(r) == RState::Online {
                    self.witness(witness::RESTARTED);
                }
            }
            _ => {}
        }
        Flow::Stop
    }
}
