//! R12: the exact flags and DestinationNodeName of every OfflineV2 the host calls.
//!
//! The expectation is derived from observable facts only, never from the engine's phase:
//! which client operation is in flight on the call's group (accepted, not yet completed), the
//! call's node relative to that operation's source S and destination D, which nodes have
//! opened the group's resources since it was accepted (ownership passing S → D and back, seen
//! as OpenV2 calls, D10/D14), earlier answers for the resource (HOST_UNREACHABLE for 0x20,
//! the answers that abort a first leg, D11/I14), failures on D (R17), and embedded failures
//! (R21).
//!
//! | who calls | expected flags | destination |
//! |---|---|---|
//! | OfflineResourceEx (not FORCE) | 0x01 if IGNORE, 0x40 if DO_NOT_UPDATE | none |
//! | move, S, first leg | 0x40, 0x01 if IGNORE, 0x02 if RTS, 0x04 if QUEUE, 0x20 after an IGNOREd HOST_UNREACHABLE of this resource | D |
//! | move, D, return leg (RTS, after a failure on D) | 0x08, 0x40, 0x01 if IGNORE | S |
//! | move, S, rollback (first leg aborted) or after the return (R14, R16–R18) | 0x40, 0x01 if IGNORE | none |
//! | no operation, embedded failure of this resource (R21) | 0x10, 0x40 | none |
//! | no operation, recovery (R20; I5: the aborted operation's IGNORE) | 0x40, 0x01 if the aborted operation had IGNORE | none |
//!
//! Any other OfflineV2 (during an OnlineResourceEx, FORCE_WITH_TERMINATION, on D of a move
//! without RTS or before a failure there, on a node that is neither S nor D) breaks R12.

use offline_v2::types::{ErrorCode, MoveGroupFlags, OfflineFlags, OfflineResourceFlags};

use super::input::{returned, EventKind, In, UpNodes, PENDING, SUCCESS};
use super::ops::{accepted, Op, OpKind};
use super::{show_flags, Monitor, StepRecord, Topology, Violation};
use crate::replay::{CallObs, HostView, Obs, ObsEntry};

const UNREACHABLE: u32 = ErrorCode::ERROR_HOST_UNREACHABLE.0;
const RETRY: u32 = ErrorCode::ERROR_RETRY.0;

/// What R12 follows of one in-flight operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Flight {
    op: Op,
    /// The first leg was aborted (D11, I14, R18 cancel): S now brings the group back.
    aborted: bool,
    /// Ownership passed to D (an OpenV2 on D of one of the group's resources).
    passed: bool,
    /// Ownership came back to S after passing (the return, R17).
    back: bool,
    /// A resource failed to come online on D (R17).
    failed_on_dest: bool,
    /// Per resource: a first-leg attempt answered HOST_UNREACHABLE with client IGNORE.
    unreachable: Vec<bool>,
}

/// The R12 monitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExactFlags {
    up: UpNodes,
    flights: Vec<Option<Flight>>,
    /// Per group: the client IGNORE of the operation a crash last aborted (I5), for the
    /// recovery's offlines.
    recovery_ignore: Vec<bool>,
}

impl ExactFlags {
    /// A fresh monitor for `topo`.
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            up: UpNodes::new(topo),
            flights: vec![None; topo.groups.len()],
            recovery_ignore: vec![false; topo.groups.len()],
        }
    }
}

/// The flags and destination R12 asks of one OfflineV2, or why none is allowed.
type Expected = Result<(u32, Option<u8>), &'static str>;

fn bits(on: bool, flag: OfflineFlags) -> u32 {
    if on {
        flag.bits()
    } else {
        0
    }
}

const DNU: OfflineFlags = OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE;
const IGN: OfflineFlags = OfflineFlags::IGNORE_RESOURCE_STATUS;

fn expected(flight: Option<&Flight>, recovery_ignore: bool, input: In, c: &CallObs) -> Expected {
    let Some(f) = flight else {
        if input == In::OnResource(EventKind::EmbeddedFailure, c.resource) {
            // R21: the restart's offline.
            return Ok(((OfflineFlags::DUE_TO_EMBEDDED_FAILURE | DNU).bits(), None));
        }
        // R14/R20: bringing a recovered group to its persistent state (I5).
        return Ok((DNU.bits() | bits(recovery_ignore, IGN), None));
    };
    let ignore = f.op.kind.ignore();
    match f.op.kind {
        OpKind::Offline { resource, flags } => {
            if flags.contains(OfflineResourceFlags::FORCE_WITH_TERMINATION) {
                Err("FORCE_WITH_TERMINATION calls Terminate, never OfflineV2 (R19)")
            } else if resource != c.resource {
                Err("an OfflineResourceEx offlines only its own resource")
            } else {
                let dnu = flags.contains(OfflineResourceFlags::DO_NOT_UPDATE_PERSISTENT_STATE);
                Ok((bits(ignore, IGN) | bits(dnu, DNU), None))
            }
        }
        OpKind::Online { .. } => Err("an OnlineResourceEx never calls OfflineV2 (R23)"),
        OpKind::Move { src, dst, flags } => {
            let rts = flags.contains(MoveGroupFlags::RETURN_TO_SOURCE_NODE_ON_ERROR);
            let queue = flags.contains(MoveGroupFlags::QUEUE_ENABLED);
            if c.node == src && (f.aborted || f.back) {
                Ok((DNU.bits() | bits(ignore, IGN), None))
            } else if c.node == src && !f.passed {
                let unreachable = f
                    .unreachable
                    .get(usize::from(c.resource))
                    .copied()
                    .unwrap_or(false);
                Ok((
                    DNU.bits()
                        | bits(ignore, IGN)
                        | bits(rts, OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR)
                        | bits(queue, OfflineFlags::QUEUE_ENABLED)
                        | bits(unreachable, OfflineFlags::IGNORE_NETWORK_CONNECTIVITY),
                    Some(dst),
                ))
            } else if c.node == dst && f.passed && !f.back {
                if !rts {
                    Err("D never offlines during a move without RETURN_TO_SOURCE_NODE_ON_ERROR (R17)")
                } else if !f.failed_on_dest {
                    Err("D offlines only to return after a resource failed there (R17)")
                } else {
                    Ok((
                        (OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR | DNU).bits()
                            | bits(ignore, IGN),
                        Some(src),
                    ))
                }
            } else {
                Err("a move offlines only on its source, or on its destination to return (R15, R17)")
            }
        }
    }
}

impl Monitor for ExactFlags {
    fn rule(&self) -> &'static str {
        "R12"
    }

    fn observe(
        &mut self,
        topo: &Topology,
        before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) {
        let input = In::of(topo, &rec.input);
        if let Some(op) = accepted(topo, before, &self.up, rec) {
            if let Some(slot) = self.flights.get_mut(usize::from(op.group)) {
                *slot = Some(Flight {
                    op,
                    aborted: false,
                    passed: false,
                    back: false,
                    failed_on_dest: false,
                    unreachable: vec![false; topo.resources.len()],
                });
            }
            self.recovery_ignore[usize::from(op.group)] = false;
        }
        self.up.apply(input);
        if let In::Crash(_) = input {
            // R20: a group recovered without an aborted operation offlines without 0x01 (I5).
            for (g, f) in self.flights.iter().enumerate() {
                if f.is_none() {
                    self.recovery_ignore[g] = false;
                }
            }
        }
        // A cancel that returned ERROR_SUCCESS drops the queued move: S brings the group back
        // (R18).
        if let (In::Cancel { group: Some(g), .. }, Some((SUCCESS, _))) = (input, returned(rec)) {
            if let Some(Some(f)) = self.flights.get_mut(usize::from(g)) {
                f.aborted = true;
            }
        }
        // A pending first-leg offline whose work fails aborts the move (D11).
        if let In::OnResource(EventKind::FailOffline, r) = input {
            let g = usize::from(topo.group_of(r));
            // The pending work ended (the resource is Failed, and the rollback may already
            // be bringing it back in the same step); a fail_offline with nothing pending
            // changes nothing (SPEC §7).
            let failed = super::input::state_of(before, r)
                == offline_v2::types::ResourceState::OfflinePending
                && super::input::state_of(&rec.view, r)
                    != offline_v2::types::ResourceState::OfflinePending;
            if let Some(Some(f)) = self.flights.get_mut(g) {
                if failed && !f.passed {
                    f.aborted = true;
                }
            }
        }
        // A pending online on D that fails is a failure on D (R17).
        if let In::OnResource(EventKind::FailOnline, r) = input {
            let g = usize::from(topo.group_of(r));
            if let Some(Some(f)) = self.flights.get_mut(g) {
                if f.passed && !f.back {
                    f.failed_on_dest = true;
                }
            }
        }
        for o in &rec.outputs {
            match o {
                Obs::Call(c) => {
                    let g = usize::from(topo.group_of(c.resource));
                    if c.entry == ObsEntry::OfflineV2 {
                        let flight = self.flights.get(g).and_then(Option::as_ref);
                        let want = expected(flight, self.recovery_ignore[g], input, c);
                        match want {
                            Ok((flags, dest)) if flags == c.flags && dest == c.dest => {}
                            Ok((flags, dest)) => out.push(Violation {
                                rule: "R12",
                                step: rec.index,
                                what: format!(
                                    "OfflineV2({}) on {}: wrong flags or destination",
                                    topo.resource_name(c.resource),
                                    topo.node_name(c.node)
                                ),
                                expected: format!(
                                    "flags {}, dest {}",
                                    show_flags(flags),
                                    dest.map_or("null", |d| topo.node_name(d))
                                ),
                                observed: format!(
                                    "flags {}, dest {}",
                                    show_flags(c.flags),
                                    c.dest.map_or("null", |d| topo.node_name(d))
                                ),
                            }),
                            Err(why) => out.push(Violation {
                                rule: "R12",
                                step: rec.index,
                                what: format!(
                                    "OfflineV2({}) on {} that no operation calls for",
                                    topo.resource_name(c.resource),
                                    topo.node_name(c.node)
                                ),
                                expected: why.to_owned(),
                                observed: format!(
                                    "flags {}, dest {}",
                                    show_flags(c.flags),
                                    c.dest.map_or("null", |d| topo.node_name(d))
                                ),
                            }),
                        }
                    }
                    if let Some(Some(f)) = self.flights.get_mut(g) {
                        follow(f, c);
                    }
                }
                Obs::Completed { op, result } => {
                    for (g, slot) in self.flights.iter_mut().enumerate() {
                        if slot.as_ref().is_some_and(|f| f.op.id == *op) {
                            if *result == ErrorCode::ERROR_CLUSTER_NODE_DOWN.0 {
                                // R20 + I5: the recovery that follows carries its IGNORE.
                                self.recovery_ignore[g] =
                                    slot.as_ref().is_some_and(|f| f.op.kind.ignore());
                            }
                            *slot = None;
                        }
                    }
                }
                Obs::Returned { .. } | Obs::PersistentWrite { .. } => {}
            }
        }
    }
}

/// What one DLL call tells about the operation in flight on its group.
fn follow(f: &mut Flight, c: &CallObs) {
    let OpKind::Move { src, dst, flags } = f.op.kind else {
        return;
    };
    let ignore = flags.contains(MoveGroupFlags::IGNORE_RESOURCE_STATUS);
    let queue = flags.contains(MoveGroupFlags::QUEUE_ENABLED);
    match c.entry {
        ObsEntry::Open if c.node == dst && !f.passed && !f.aborted => f.passed = true,
        ObsEntry::Open if c.node == src && f.passed => f.back = true,
        ObsEntry::OfflineV2 if c.node == src && !f.passed && !f.aborted => {
            // First-leg answers (D11, I3, I14).
            let Some(answer) = c.result else { return };
            let had_0x20 = c.flags & OfflineFlags::IGNORE_NETWORK_CONNECTIVITY.bits() != 0;
            match answer {
                SUCCESS | PENDING => {}
                RETRY if queue => {}
                UNREACHABLE if ignore && !had_0x20 => {
                    if let Some(u) = f.unreachable.get_mut(usize::from(c.resource)) {
                        *u = true;
                    }
                }
                _ => f.aborted = true,
            }
        }
        ObsEntry::OnlineV2
            if c.node == dst
                && f.passed
                && !f.back
                && c.result.is_some_and(|a| a != SUCCESS && a != PENDING) =>
        {
            f.failed_on_dest = true;
        }
        // An online on D that timed out is Terminated (R19): a failure on D.
        ObsEntry::Terminate if c.node == dst && f.passed && !f.back => f.failed_on_dest = true,
        _ => {}
    }
}
