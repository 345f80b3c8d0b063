//! The properties of SPEC §6 as named stateright properties.
//!
//! - The safety properties R11, R12, R4, R13, R14, "one queued operation" and "at target" are
//!   checked on each transition (`monitor.rs`, `dll.rs`, `flows.rs`) and read here from the
//!   sticky violation marks; R10 is a predicate on states.
//! - Liveness is bounded response (M3): from every state, the fair environment of §6 (pending
//!   work completes; every busy flag, lock, broken link and Down node heals; queued moves are
//!   retried) reaches, within K steps, a state where no operation is in flight and no group is
//!   held while a node is Up. Two `eventually` properties are kept for what they do catch (M2).
//! - The `sometimes` properties read the witness marks of the transition that produced the
//!   state (no accumulated history, issue 11).

use stateright::Property;

use crate::action::Action;
use crate::config::{move_flags, offline_flags, ModelConfig};
use crate::state::{mark, witness, State};
use crate::step::advance;
use crate::vocab::RState;

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
    pub const R14: &str =
        "R14 each accepted operation completes exactly once (never twice, never dropped)";
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

/// R10: a resource is OnlinePending, Online or OfflinePending only on its group's owner, which
/// is Up; while no node is Up, every resource is Offline. (One owner per group and one
/// holding instance per resource are structural in this state.)
#[must_use]
pub fn r10(_: &ModelConfig, s: &State) -> bool {
    let sh = s.shape();
    let any_up = s.any_up();
    (0..sh.resources()).all(|r| {
        let owner_up = s.is_up(s.owner(sh.group_of(r)));
        let h = s.host(r);
        (owner_up || !h.is_active()) && (any_up || h == RState::Offline)
    })
}

/// The action of the fair environment of §6 from `s`, if any (M3): pending work completes;
/// else a busy flag, a lock, a broken link or a Down node heals (in that order); else a
/// queued move is retried; else an outstanding call whose work is gone times out.
#[must_use]
pub fn fair_action(s: &State) -> Option<Action> {
    let sh = s.shape();
    let nr = sh.resources();
    let owner_up = |r: usize| s.is_up(s.owner(sh.group_of(r)));
    let pending = (0..nr)
        .filter(|&r| owner_up(r))
        .find_map(|r| match s.dll(r) {
            RState::OfflinePending => Some(Action::CompleteOffline(r)),
            RState::OnlinePending => Some(Action::CompleteOnline(r)),
            _ => None,
        });
    let nodes = sh.nodes;
    let link = (0..nodes)
        .flat_map(|a| (a + 1..nodes).map(move |b| (a, b)))
        .find(|&(a, b)| !s.link_up(a, b));
    let groups = 0..usize::from(sh.groups);
    pending
        .or_else(|| (0..nr).find(|&r| s.busy(r)).map(Action::Unbusy))
        .or_else(|| (0..nr).find(|&r| s.locked(r)).map(Action::Unlock))
        .or_else(|| link.map(|(a, b)| Action::NetUp(a, b)))
        .or_else(|| {
            (0..nodes)
                .find(|&n| !s.is_up(usize::from(n)))
                .map(Action::StartNode)
        })
        .or_else(|| groups.clone().find(|&g| s.queued(g)).map(Action::Retry))
        .or_else(|| {
            groups
                .clone()
                .find(|&g| s.outstanding(g).is_some())
                .map(Action::Timeout)
        })
}

/// No operation in flight, and no group held while a node is Up.
#[must_use]
pub fn quiescent(s: &State) -> bool {
    s.outstanding_ops() == 0
        && (!s.any_up() || (0..usize::from(s.shape().groups)).all(|g| !s.held(g)))
}

/// Number of fair steps (M3) after which `s` is quiescent, or None if more than K.
#[must_use]
pub fn fair_steps_to_quiescence(cfg: &ModelConfig, s: &State) -> Option<usize> {
    let mut cur = *s;
    for k in 0..=cfg.response_bound() {
        if quiescent(&cur) {
            return Some(k);
        }
        cur = advance(cfg, &cur, &fair_action(&cur)?);
    }
    None
}

/// Bounded response (M3): from every reachable state, at most K fair steps lead to a state
/// where every accepted operation has completed and no group is held while a node is Up.
#[must_use]
pub fn bounded_response(cfg: &ModelConfig, s: &State) -> bool {
    s.violations() != 0 || fair_steps_to_quiescence(cfg, s).is_some()
}

fn held_somewhere(s: &State) -> bool {
    (0..usize::from(s.shape().groups)).any(|g| s.held(g))
}

/// How the checker judges a property.
#[derive(Clone, Copy)]
pub enum Judge {
    /// Must hold in every reachable state.
    Always(fn(&ModelConfig, &State) -> bool),
    /// Must hold at every terminal state (M2: our conditions, once true, stay true on the
    /// path or are true at every terminal state, so this equals stateright's reading).
    Eventually(fn(&ModelConfig, &State) -> bool),
    /// Some reachable state satisfies it.
    Sometimes(fn(&ModelConfig, &State) -> bool),
    /// Some transition witnesses it ([`witness`] bit): the native checker collects the bits
    /// of every transition; in stateright, states carry the bit of the transition that made
    /// them (`ModelConfig::witnesses`).
    Witnessed(u16),
}

/// A named property of SPEC §6.
#[derive(Clone, Copy)]
pub struct Prop {
    /// Its name ([`names`]).
    pub name: &'static str,
    /// How it is judged.
    pub judge: Judge,
}

fn marked(bit: u16) -> fn(&ModelConfig, &State) -> bool {
    match bit {
        mark::R11 => |_, s| s.violations() & mark::R11 == 0,
        mark::R12 => |_, s| s.violations() & mark::R12 == 0,
        mark::R4 => |_, s| s.violations() & mark::R4 == 0,
        mark::R13 => |_, s| s.violations() & mark::R13 == 0,
        mark::R14 => |_, s| s.violations() & mark::R14 == 0,
        mark::QUEUE => |_, s| s.violations() & mark::QUEUE == 0,
        _ => |_, s| s.violations() & mark::TARGET == 0,
    }
}

/// A state carries the witness mark `bit` (stateright's reading of [`Judge::Witnessed`]).
fn carries(bit: u16) -> fn(&ModelConfig, &State) -> bool {
    match bit {
        witness::TIMEOUT_TERMINATE => |_, s| s.witness() & witness::TIMEOUT_TERMINATE != 0,
        witness::CANCELLED => |_, s| s.witness() & witness::CANCELLED != 0,
        witness::RETURN_ONLINE => |_, s| s.witness() & witness::RETURN_ONLINE != 0,
        witness::DNU_THEN_FAILOVER => |_, s| s.witness() & witness::DNU_THEN_FAILOVER != 0,
        witness::MOVED => |_, s| s.witness() & witness::MOVED != 0,
        witness::RETRIED => |_, s| s.witness() & witness::RETRIED != 0,
        witness::RESTARTED => |_, s| s.witness() & witness::RESTARTED != 0,
        witness::FORCED_NET => |_, s| s.witness() & witness::FORCED_NET != 0,
        _ => |_, s| s.witness() & witness::RAW_CHANGED != 0,
    }
}

fn ev_complete(_: &ModelConfig, s: &State) -> bool {
    s.violations() != 0 || (s.calls_left == 0 && s.outstanding_ops() == 0)
}

fn ev_settle(_: &ModelConfig, s: &State) -> bool {
    s.violations() != 0 || (s.calls_left == 0 && (!s.any_up() || !held_somewhere(s)))
}

/// The safety and liveness properties (every configuration).
fn safety() -> Vec<Prop> {
    use names::*;
    let p = |name, judge| Prop { name, judge };
    vec![
        p(R10, Judge::Always(r10)),
        p(R11, Judge::Always(marked(mark::R11))),
        p(R12, Judge::Always(marked(mark::R12))),
        p(R4, Judge::Always(marked(mark::R4))),
        p(R13, Judge::Always(marked(mark::R13))),
        p(R14, Judge::Always(marked(mark::R14))),
        p(QUEUE, Judge::Always(marked(mark::QUEUE))),
        p(TARGET, Judge::Always(marked(mark::TARGET))),
        p(RESPONSE, Judge::Always(bounded_response)),
        p(EV_COMPLETE, Judge::Eventually(ev_complete)),
        p(EV_SETTLE, Judge::Eventually(ev_settle)),
    ]
}

/// The SPEC §6 properties of a configuration (the `sometimes` witnesses that the
/// configuration cannot reach are left out; none without [`ModelConfig::witnesses`]).
#[must_use]
pub fn catalog(cfg: &ModelConfig) -> Vec<Prop> {
    use names::*;
    let mut v = safety();
    if !cfg.witnesses {
        return v;
    }
    let b = &cfg.bounds;
    let f = &b.faults_enabled;
    let has_move = |bit: u32| b.move_flags.iter().any(|&m| m & bit == bit);
    let seen = |name, bit| Prop {
        name,
        judge: Judge::Witnessed(bit),
    };
    v.push(seen(S_TIMEOUT, witness::TIMEOUT_TERMINATE));
    v.push(seen(S_MOVED, witness::MOVED));
    if has_move(move_flags::QUEUE) && f.busy && b.calls >= 2 {
        v.push(seen(S_CANCEL, witness::CANCELLED));
        v.push(seen(S_RETRIED, witness::RETRIED));
    }
    if has_move(move_flags::RTS) && f.fail_work {
        v.push(seen(S_RETURN, witness::RETURN_ONLINE));
    }
    if b.offline_flags.contains(&offline_flags::DNU) && f.crash {
        v.push(seen(S_DNU_FAILOVER, witness::DNU_THEN_FAILOVER));
    }
    if f.embedded {
        v.push(seen(S_RESTARTED, witness::RESTARTED));
    }
    if f.net && has_move(move_flags::IGNORE) {
        v.push(seen(S_FORCED_NET, witness::FORCED_NET));
    }
    if b.raw_calls {
        v.push(seen(S_RAW, witness::RAW_CHANGED));
    }
    if f.crash && usize::from(b.faults) >= cfg.setup.nodes.len() {
        v.push(Prop {
            name: S_ALL_DOWN,
            judge: Judge::Sometimes(|_, s| !s.any_up()),
        });
    }
    v
}

/// [`catalog`] as stateright properties.
#[must_use]
pub fn all(cfg: &ModelConfig) -> Vec<Property<ModelConfig>> {
    catalog(cfg)
        .into_iter()
        .map(|p| match p.judge {
            Judge::Always(f) => Property::always(p.name, f),
            Judge::Eventually(f) => Property::eventually(p.name, f),
            Judge::Sometimes(f) => Property::sometimes(p.name, f),
            Judge::Witnessed(bit) => Property::sometimes(p.name, carries(bit)),
        })
        .collect()
}
