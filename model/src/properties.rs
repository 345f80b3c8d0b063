//! The properties of SPEC §6 as named stateright properties, and the bounded-response check
//! that closes the gap of `eventually` (M2, M3).

use stateright::Property;

use crate::actions::{step, Action};
use crate::config::ModelConfig;
use crate::state::{codes::*, oflags, witness, Done, Phase, Purpose, RState, State};

/// Property names (tests assert on them).
pub mod names {
    /// R10
    pub const R10: &str = "R10 single owner";
    /// R11
    pub const R11: &str = "R11 persistent-state discipline";
    /// R12
    pub const R12: &str = "R12 exact OfflineV2 flags";
    /// R4
    pub const R4: &str = "R4 no offline of a locked resource without 0x01";
    /// R13
    pub const R13: &str = "R13 rejected calls change nothing";
    /// R14
    pub const R14: &str = "R14 at most one completion per operation";
    /// One queued operation per group.
    pub const QUEUE: &str = "at most one queued operation per group";
    /// Settled at target.
    pub const TARGET: &str = "a finished move, rollback or recovery leaves its group at target";
    /// Bounded response (closes the `eventually` gap, M3).
    pub const RESPONSE: &str = "bounded response: every accepted operation completes and no group stays held within K fair steps";
    /// Eventually: ops complete.
    pub const EV_COMPLETE: &str = "eventually every accepted operation completes";
    /// Eventually: no group held.
    pub const EV_SETTLE: &str = "eventually no group stays held while a node is Up";
    /// Sometimes: cancel.
    pub const S_CANCEL: &str = "sometimes a queued move is cancelled";
    /// Sometimes: return to source.
    pub const S_RETURN: &str = "sometimes a return to source ends Online on S";
    /// Sometimes: timeout.
    pub const S_TIMEOUT: &str = "sometimes a timeout then Terminate";
    /// Sometimes: DNU then failover.
    pub const S_DNU_FAILOVER: &str =
        "sometimes a DO_NOT_UPDATE offline then a failover brings it back";
    /// Sometimes: a move succeeds.
    pub const S_MOVED: &str = "sometimes a move succeeds Online on D";
    /// Sometimes: retry.
    pub const S_RETRIED: &str = "sometimes a queued move is retried";
    /// Sometimes: restart.
    pub const S_RESTARTED: &str = "sometimes an embedded failure is restarted Online";
    /// Sometimes: 0x20.
    pub const S_FORCED_NET: &str = "sometimes a forced move offlines with 0x20";
    /// Sometimes: raw.
    pub const S_RAW: &str = "sometimes a raw OfflineV2 changes a DLL behind the host";
    /// Sometimes: all down.
    pub const S_ALL_DOWN: &str = "sometimes every node is Down";
}

/// R10: one owner (by construction: a single field); a resource is active on at most one
/// node, only on its group's owner, which is Up; the Up owner's instance holds every resource
/// of the group and no other instance holds any; with no node Up every resource is Offline.
#[must_use]
pub fn r10(_: &ModelConfig, s: &State) -> bool {
    let any_up = s.up.iter().any(|&u| u);
    s.groups.iter().enumerate().all(|(g, gs)| {
        let owner = usize::from(gs.owner);
        owner < s.up.len()
            && gs.res.iter().enumerate().all(|(i, h)| {
                let holders: Vec<usize> = (0..s.up.len())
                    .filter(|&n| s.dll[n].res[g][i].is_some())
                    .collect();
                let holders_ok = if s.up[owner] {
                    holders == [owner]
                } else {
                    holders.is_empty()
                };
                let host_ok = !h.state.is_active() || s.up[owner];
                let down_ok = any_up || h.state == RState::Offline;
                holders_ok && host_ok && down_ok
            })
    })
}

/// R11: the persistent state equals the ghost intent, which only accepted
/// OnlineResourceEx / OfflineResourceEx-without-DNU change.
#[must_use]
pub fn r11(_: &ModelConfig, s: &State) -> bool {
    s.groups
        .iter()
        .zip(&s.intent)
        .all(|(gs, intent)| gs.res.iter().zip(intent).all(|(h, p)| h.persistent == *p))
}

/// What R12 says the flags and destination of an OfflineV2 call with this purpose are.
#[must_use]
pub fn r12_expected(p: Purpose) -> (u8, Option<u8>) {
    let ign = |b: bool| if b { oflags::IGNORE } else { 0 };
    match p {
        Purpose::User { ignore, dnu } => (ign(ignore) | if dnu { oflags::DNU } else { 0 }, None),
        Purpose::FirstLeg {
            ignore,
            rts,
            queue,
            forced,
            dst,
        } => (
            oflags::DNU
                | ign(ignore)
                | if rts { oflags::RTS } else { 0 }
                | if queue { oflags::QUEUE } else { 0 }
                | if forced { oflags::IGNORE_NET } else { 0 },
            Some(dst),
        ),
        Purpose::ReturnLeg { ignore, src } => {
            (oflags::RETURNING | oflags::DNU | ign(ignore), Some(src))
        }
        Purpose::Settle { ignore } => (oflags::DNU | ign(ignore), None),
        Purpose::Embedded => (oflags::EMBEDDED | oflags::DNU, None),
    }
}

/// R12: every OfflineV2 call carries exactly the flags of its purpose — in particular 0x02
/// only with 0x40 on a first leg, 0x08 only on a return leg, never together.
#[must_use]
pub fn r12(_: &ModelConfig, s: &State) -> bool {
    s.last_offline.iter().flatten().all(|rec| {
        let (flags, dest) = r12_expected(rec.purpose);
        let f = rec.flags;
        let shape = (f & oflags::RTS == 0 || f & oflags::DNU != 0)
            && (f & oflags::RETURNING == 0 || matches!(rec.purpose, Purpose::ReturnLeg { .. }))
            && (f & (oflags::RTS | oflags::RETURNING) != (oflags::RTS | oflags::RETURNING))
            && (f & oflags::QUEUE == 0 || matches!(rec.purpose, Purpose::FirstLeg { .. }));
        shape && f == flags && rec.dest == dest
    })
}

/// R4: no OfflineV2 took an Online, locked resource offline without 0x01.
#[must_use]
pub fn r4(_: &ModelConfig, s: &State) -> bool {
    s.last_offline.iter().flatten().all(|rec| {
        !(rec.locked
            && rec.flags & oflags::IGNORE == 0
            && rec.prior == RState::Online
            && (rec.result == ERROR_SUCCESS || rec.result == ERROR_IO_PENDING))
    })
}

/// R13: no rejected call ever changed anything.
#[must_use]
pub fn r13(_: &ModelConfig, s: &State) -> bool {
    !s.rejected_changed
}

/// R14: every operation completed at most once.
#[must_use]
pub fn r14(_: &ModelConfig, s: &State) -> bool {
    s.ops.iter().all(|o| o.completions <= 1)
}

/// At most one queued operation per group, and a queued group's move is in its queued phase.
#[must_use]
pub fn one_queued(_: &ModelConfig, s: &State) -> bool {
    s.groups.iter().all(|g| {
        g.queued <= 1 && (g.queued == 0 || g.job.is_some_and(|j| j.phase == Phase::Queued))
    })
}

/// R14/§6: a group whose last finished job is a move, rollback, return or recovery, and which
/// is idle on an Up owner, has every resource at its target (persistent state, or Failed).
#[must_use]
pub fn at_target(_: &ModelConfig, s: &State) -> bool {
    s.groups.iter().all(|g| {
        g.job.is_some()
            || !s.up[usize::from(g.owner)]
            || !matches!(g.last_done, Some(Done::Move | Done::Recover))
            || g.res
                .iter()
                .all(|h| h.state == h.persistent.target() || h.state == RState::Failed)
    })
}

/// The deterministic fair environment action from `s`, if any (M3): pending work completes;
/// else a busy resource stops being busy (fair retry); else, if every node is Down, the
/// first one starts; else time advances far enough to fire retries and timeouts.
#[must_use]
pub fn fair_action(cfg: &ModelConfig, s: &State) -> Action {
    for (g, gs) in cfg.setup.groups.iter().enumerate() {
        for i in 0..gs.resources.len() {
            let r = cfg.setup.global(g, i);
            for n in 0..s.up.len() {
                if !s.up[n] {
                    continue;
                }
                match s.dll[n].res[g][i].map(|d| d.state) {
                    Some(RState::OfflinePending) => return Action::CompleteOffline(r),
                    Some(RState::OnlinePending) => return Action::CompleteOnline(r),
                    _ => {}
                }
            }
        }
    }
    for (g, row) in s.busy.iter().enumerate() {
        if let Some(i) = row.iter().position(|&b| b) {
            return Action::Unbusy(cfg.setup.global(g, i));
        }
    }
    if !s.up.iter().any(|&u| u) {
        return Action::StartNode(0);
    }
    Action::Tick(cfg.setup.pending_timeout.max(cfg.setup.retry_interval))
}

/// No operation outstanding and no group held while a node is Up.
#[must_use]
pub fn quiescent(s: &State) -> bool {
    let any_up = s.up.iter().any(|&u| u);
    s.outstanding_ops() == 0 && (!any_up || (0..s.groups.len()).all(|g| !s.held(g)))
}

/// Number of fair steps (M3) after which `s` is quiescent, or None if more than K.
#[must_use]
pub fn fair_steps_to_quiescence(cfg: &ModelConfig, s: &State) -> Option<usize> {
    let mut cur = s.clone();
    for k in 0..=cfg.response_bound() {
        if quiescent(&cur) {
            return Some(k);
        }
        let a = fair_action(cfg, &cur);
        cur = step(cfg, &cur, &a).0;
    }
    None
}

/// Bounded response (M3): from every reachable state, at most K fair steps lead to a state
/// where every accepted operation has completed and no group is held while a node is Up.
#[must_use]
pub fn bounded_response(cfg: &ModelConfig, s: &State) -> bool {
    fair_steps_to_quiescence(cfg, s).is_some()
}

/// M4: a queued group whose retry needs a tick beyond the exploration's time bound is
/// excused by the `eventually` properties (the bounded-response property, which ticks without
/// bound, still covers it).
#[must_use]
pub fn out_of_time(cfg: &ModelConfig, s: &State, g: usize) -> bool {
    s.groups[g].queued > 0 && s.now.saturating_add(cfg.bounds.tick_ms) > cfg.bounds.max_time
}

/// The SPEC §6 properties for a configuration (the `sometimes` witnesses that the
/// configuration cannot reach are left out).
#[must_use]
pub fn all(cfg: &ModelConfig) -> Vec<Property<ModelConfig>> {
    use names::*;
    let mut v = vec![
        Property::always(R10, r10),
        Property::always(R11, r11),
        Property::always(R12, r12),
        Property::always(R4, r4),
        Property::always(R13, r13),
        Property::always(R14, r14),
        Property::always(QUEUE, one_queued),
        Property::always(TARGET, at_target),
        Property::always(RESPONSE, bounded_response),
        Property::eventually(EV_COMPLETE, |cfg, s: &State| {
            s.calls_left == 0
                && s.ops
                    .iter()
                    .all(|o| o.completions > 0 || out_of_time(cfg, s, usize::from(o.group)))
        }),
        Property::eventually(EV_SETTLE, |cfg, s: &State| {
            s.calls_left == 0
                && s.up.iter().all(|&u| u)
                && (0..s.groups.len()).all(|g| !s.held(g) || out_of_time(cfg, s, g))
        }),
    ];
    if !cfg.witnesses {
        return v;
    }
    let b = &cfg.bounds;
    let f = &b.faults_enabled;
    v.push(Property::sometimes(S_TIMEOUT, |_, s: &State| {
        s.witness & witness::TIMEOUT_TERMINATE != 0
    }));
    v.push(Property::sometimes(S_MOVED, |_, s: &State| {
        s.witness & witness::MOVED != 0
    }));
    let has_move = |bit: u32| b.move_flags.iter().any(|&m| m & bit == bit);
    if has_move(crate::config::move_flags::QUEUE) && f.busy && b.calls >= 2 {
        v.push(Property::sometimes(S_CANCEL, |_, s: &State| {
            s.ops
                .iter()
                .any(|o| o.result == ERROR_CANCELLED && o.completions == 1)
        }));
        v.push(Property::sometimes(S_RETRIED, |_, s: &State| {
            s.witness & witness::RETRIED != 0
        }));
    }
    if has_move(crate::config::move_flags::RTS) && f.fail_work {
        v.push(Property::sometimes(S_RETURN, |_, s: &State| {
            s.witness & witness::RETURN_ONLINE != 0
        }));
    }
    if b.offline_flags.contains(&crate::config::offline_flags::DNU) && f.crash {
        v.push(Property::sometimes(S_DNU_FAILOVER, |_, s: &State| {
            s.witness & witness::DNU_THEN_FAILOVER != 0
        }));
    }
    if f.embedded {
        v.push(Property::sometimes(S_RESTARTED, |_, s: &State| {
            s.witness & witness::RESTARTED != 0
        }));
    }
    if f.net && has_move(crate::config::move_flags::IGNORE) {
        v.push(Property::sometimes(S_FORCED_NET, |_, s: &State| {
            s.witness & witness::FORCED_NET != 0
        }));
    }
    if b.raw_calls {
        v.push(Property::sometimes(S_RAW, |_, s: &State| {
            s.witness & witness::RAW_CHANGED != 0
        }));
    }
    if f.crash && usize::from(b.faults) >= cfg.setup.nodes.len() {
        v.push(Property::sometimes(S_ALL_DOWN, |_, s: &State| {
            s.up.iter().all(|&u| !u)
        }));
    }
    v
}
