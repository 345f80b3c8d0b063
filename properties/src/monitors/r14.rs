//! R14: every accepted operation completes exactly once, rejected calls never do, and the
//! completion comes only when the group has settled: no resource of the group pending, each
//! at its target (R14: its persistent state, or Failed; for an OfflineResourceEx or
//! OnlineResourceEx the target of its own resource, R23 — a DO_NOT_UPDATE offline leaves it
//! Offline on purpose, SPEC §6), and a move that succeeded on D, one that rolled back on S
//! (R16, R18). A completion with ERROR_CLUSTER_NODE_DOWN comes "at once" (R20), before the
//! recovery settles, and is only counted.
//!
//! An accepted operation is a call answered ERROR_IO_PENDING: it must carry an operation id
//! (R13, R14). Operations still in flight when a trace ends are not a violation here (that is
//! bounded liveness, SPEC §6 "eventually").
//!
//! Its state is only the operations in flight, sorted by id (P6): no set of every id ever
//! given, which would make every model-checked state remember its whole past. An id given
//! again while an operation with that id is in flight is still caught; the SPEC names no
//! operation ids, so one reused after its completion breaks no rule.

use offline_v2::types::{ErrorCode, PersistentState, ResourceState};

use super::input::{returned, state_of, In, UpNodes, PENDING, SUCCESS};
use super::ops::{accepted, Op, OpKind};
use super::{Monitor, StepRecord, Topology, Violation};
use crate::replay::{HostView, Obs};

/// The R14 monitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompletesOnce {
    up: UpNodes,
    /// The accepted operations not yet completed, sorted by id.
    open: Vec<Op>,
}

impl CompletesOnce {
    /// A fresh monitor for `topo`.
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            up: UpNodes::new(topo),
            open: Vec::new(),
        }
    }
}

fn target_met(state: ResourceState, persistent: PersistentState) -> bool {
    state == ResourceState::Failed
        || matches!(
            (state, persistent),
            (ResourceState::Online, PersistentState::Online)
                | (ResourceState::Offline, PersistentState::Offline)
        )
}

/// Why the group of `op` is not settled for a completion with `result`, if it is not.
fn unsettled(topo: &Topology, op: &Op, result: u32, view: &HostView) -> Option<String> {
    let name = |r: u8| topo.resource_name(r).to_owned();
    for &r in topo.members(op.group) {
        let s = state_of(view, r);
        if matches!(
            s,
            ResourceState::OnlinePending | ResourceState::OfflinePending
        ) {
            return Some(format!("{} is {s:?}", name(r)));
        }
    }
    match op.kind {
        OpKind::Offline { resource, .. } => {
            let s = state_of(view, resource);
            let want = match result {
                SUCCESS => Some(ResourceState::Offline),
                r if r == ErrorCode::ERROR_GEN_FAILURE.0 => Some(ResourceState::Failed),
                _ => None,
            };
            want.filter(|w| *w != s)
                .map(|w| format!("{} is {s:?}, its offline ended {w:?}", name(resource)))
        }
        OpKind::Online { resource } => {
            let s = state_of(view, resource);
            let w = if result == SUCCESS {
                ResourceState::Online
            } else {
                ResourceState::Failed
            };
            (w != s).then(|| format!("{} is {s:?}, its online ended {w:?}", name(resource)))
        }
        OpKind::Move { src, dst, .. } => {
            for &r in topo.members(op.group) {
                let (s, p) = (
                    state_of(view, r),
                    view.persistent
                        .get(usize::from(r))
                        .copied()
                        .unwrap_or(PersistentState::Offline),
                );
                if !target_met(s, p) {
                    return Some(format!("{} is {s:?}, its persistent state {p:?}", name(r)));
                }
            }
            let owner = view.owner.get(usize::from(op.group)).copied();
            let rolled_back = [
                ErrorCode::ERROR_CANCELLED,
                ErrorCode::ERROR_RETRY,
                ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
                ErrorCode::ERROR_HOST_UNREACHABLE,
            ]
            .iter()
            .any(|c| c.0 == result);
            let want = if result == SUCCESS {
                Some(dst)
            } else if rolled_back {
                Some(src)
            } else {
                None
            };
            want.filter(|w| Some(*w) != owner).map(|w| {
                format!(
                    "owner {}, the move ended on {}",
                    owner.map_or("?", |o| topo.node_name(o)),
                    topo.node_name(w)
                )
            })
        }
    }
}

impl Monitor for CompletesOnce {
    fn rule(&self) -> &'static str {
        "R14"
    }

    fn observe(
        &mut self,
        topo: &Topology,
        before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) {
        let input = In::of(topo, &rec.input);
        let mut violation = |what: String, expected: String, observed: String| {
            out.push(Violation {
                rule: "R14",
                step: rec.index,
                what,
                expected,
                observed,
            });
        };
        if let Some((code, op)) = returned(rec) {
            if input.is_client_call() && (code == PENDING) != op.is_some() {
                violation(
                    "an accepted call (ERROR_IO_PENDING) is an operation, nothing else is".into(),
                    "an operation id exactly with ERROR_IO_PENDING".into(),
                    format!("{} with op {op:?}", ErrorCode(code)),
                );
            }
            if let Some(id) = op {
                if self.open.iter().any(|x| x.id == id) {
                    violation(
                        "an operation id is given while an operation with that id is in flight"
                            .into(),
                        "a fresh id".into(),
                        format!("op {id} again"),
                    );
                }
            }
        }
        if let Some(op) = accepted(topo, before, &self.up, rec) {
            self.open.push(op);
            self.open.sort_by_key(|x| x.id);
        }
        self.up.apply(input);
        for o in &rec.outputs {
            if let Obs::Completed { op, result } = *o {
                let Some(i) = self.open.iter().position(|x| x.id == op) else {
                    violation(
                        "a completion of an operation that is not in flight (rejected, unknown, \
                         or already completed)"
                            .into(),
                        "exactly one completion per accepted operation".into(),
                        format!(
                            "completion of op {op} with {} (not in flight: never accepted, \
                             or already completed)",
                            ErrorCode(result)
                        ),
                    );
                    continue;
                };
                let done = self.open.remove(i);
                if result != ErrorCode::ERROR_CLUSTER_NODE_DOWN.0 {
                    if let Some(why) = unsettled(topo, &done, result, &rec.view) {
                        violation(
                            format!(
                                "op {op} of group {} completed with {} before its group settled",
                                topo.group_name(done.group),
                                ErrorCode(result)
                            ),
                            "every resource at its target on the final owner".into(),
                            why,
                        );
                    }
                }
            }
        }
    }
}
