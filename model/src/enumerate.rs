//! The actions the checker tries from a state (issue 11's budgets): every client call while
//! the call budget lasts (rejected ones too); every fault and heal that changes something
//! while the fault budget lasts; the outcomes of pending work (complete, fail), timeouts of
//! outstanding calls and retries of queued moves, which are free.

use crate::action::{Action, Dest, DestArg, RawCall, ResidArg};
use crate::config::{move_flags, ModelConfig};
use crate::state::{Shape, State};
use crate::vocab::RState;

/// Pushes every enabled action of `s` onto `out` (nothing once a violation is marked: the
/// path to it is the counterexample).
pub fn actions(cfg: &ModelConfig, s: &State, out: &mut Vec<Action>) {
    if s.violations() != 0 {
        return;
    }
    if s.calls_left > 0 {
        client_calls(cfg, s.shape(), out);
    }
    outcomes(cfg, s, out);
    if s.faults_left > 0 {
        faults(cfg, s, out);
    }
}

/// Pushes every client call the configuration tries (each configured flag combination and
/// destination, the rejection probes and raw calls when enabled), whatever the state: what one
/// unit of the call budget buys. Also the call alphabet of the implementation's model check.
pub fn client_calls(cfg: &ModelConfig, sh: &Shape, out: &mut Vec<Action>) {
    let b = &cfg.bounds;
    for r in 0..sh.resources() {
        for &flags in &b.offline_flags {
            out.push(Action::OfflineResource {
                resource: Some(r),
                flags,
                reason: 0,
            });
        }
        out.push(Action::OnlineResource { resource: Some(r) });
    }
    for g in 0..usize::from(sh.groups) {
        for &flags in &b.move_flags {
            for d in 0..sh.nodes {
                out.push(Action::MoveGroup {
                    group: Some(g),
                    dest: Dest::Node(d),
                    flags,
                });
            }
            if b.null_dest {
                out.push(Action::MoveGroup {
                    group: Some(g),
                    dest: Dest::Null,
                    flags,
                });
            }
        }
        out.push(Action::CancelGroupOperation {
            group: Some(g),
            reserved: 0,
        });
    }
    if b.probe_rejections {
        probes(out);
    }
    if b.raw_calls {
        raw(sh, out);
    }
}

/// Calls that R13 rejects before anything else (bad flags, unknown names, reserved).
fn probes(out: &mut Vec<Action>) {
    out.push(Action::OfflineResource {
        resource: None,
        flags: 0,
        reason: 0,
    });
    out.push(Action::MoveGroup {
        group: Some(0),
        dest: Dest::Unknown,
        flags: move_flags::FAILBACK,
    });
    out.push(Action::CancelGroupOperation {
        group: Some(0),
        reserved: 1,
    });
}

/// A plain raw OfflineV2 of every resource on every node, and one malformed call (R1).
fn raw(sh: &Shape, out: &mut Vec<Action>) {
    for n in 0..sh.nodes {
        for r in 0..sh.resources() {
            out.push(Action::RawOfflineV2 {
                node: n,
                call: RawCall::plain(ResidArg::Held(r), DestArg::None, 0),
            });
        }
    }
    let mut bad = RawCall::plain(ResidArg::Forged, DestArg::Invalid, 0x02);
    bad.inbuf_size = 4;
    out.push(Action::RawOfflineV2 { node: 0, call: bad });
}

/// Free outcomes: pending work completes or fails, an outstanding call times out (R19), a
/// queued move is retried (R16).
fn outcomes(cfg: &ModelConfig, s: &State, out: &mut Vec<Action>) {
    let sh = s.shape();
    let fail = cfg.bounds.faults_enabled.fail_work;
    for r in 0..sh.resources() {
        if !s.is_up(s.owner(sh.group_of(r))) {
            continue;
        }
        match s.dll(r) {
            RState::OfflinePending => {
                out.push(Action::CompleteOffline(r));
                if fail {
                    out.push(Action::FailOffline(r));
                }
            }
            RState::OnlinePending => {
                out.push(Action::CompleteOnline(r));
                if fail {
                    out.push(Action::FailOnline(r));
                }
            }
            _ => {}
        }
    }
    for g in 0..usize::from(sh.groups) {
        if s.outstanding(g).is_some() {
            out.push(Action::Timeout(g));
        }
        if s.queued(g) {
            out.push(Action::Retry(g));
        }
    }
}

/// Faults and heals, each offered only when it changes something.
fn faults(cfg: &ModelConfig, s: &State, out: &mut Vec<Action>) {
    let f = &cfg.bounds.faults_enabled;
    let sh = s.shape();
    for r in 0..sh.resources() {
        let g = sh.group_of(r);
        let owner = s.owner(g);
        if f.lock {
            out.push(if s.locked(r) {
                Action::Unlock(r)
            } else {
                Action::Lock(r)
            });
        }
        if f.busy {
            out.push(if s.busy(r) {
                Action::Unbusy(r)
            } else {
                Action::Busy(r)
            });
        }
        let restartable = s.is_up(owner)
            && s.idle(g)
            && s.host(r) == RState::Online
            && s.dll(r) == RState::Online;
        if f.embedded && restartable {
            out.push(Action::EmbeddedFailure(r));
        }
        if f.panic && s.is_up(owner) && !s.armed(owner, r) {
            out.push(Action::InjectPanic(r));
        }
    }
    for a in 0..sh.nodes {
        if f.net {
            for b in a + 1..sh.nodes {
                out.push(if s.link_up(a, b) {
                    Action::NetDown(a, b)
                } else {
                    Action::NetUp(a, b)
                });
            }
        }
        if f.crash {
            out.push(if s.is_up(usize::from(a)) {
                Action::CrashNode(a)
            } else {
                Action::StartNode(a)
            });
        }
    }
}
