//! SPEC §3/§6: a group has at most one operation in flight and at most one queued operation.
//!
//! Observably: an operation is accepted on a group only when none is in flight there (R13
//! checks 3 and 4); a group shown queued has exactly one operation in flight, a move with
//! QUEUE_ENABLED (R16, D12); and while a group is queued every client call on it that passes
//! R13 checks 1–2 answers ERROR_CLUSTER_GROUP_QUEUED, except the cancel that drops it (R18).

use offline_v2::types::{ErrorCode, MoveGroupFlags, OfflineResourceFlags};

use super::input::{returned, In, UpNodes};
use super::ops::{accepted, Op, OpKind};
use super::{Monitor, StepRecord, Topology, Violation};
use crate::replay::{HostView, Obs};

const QUEUED: u32 = ErrorCode::ERROR_CLUSTER_GROUP_QUEUED.0;

/// The one-queued-operation monitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OneQueued {
    up: UpNodes,
    open: Vec<Option<Op>>,
}

impl OneQueued {
    /// A fresh monitor for `topo`.
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            up: UpNodes::new(topo),
            open: vec![None; topo.groups.len()],
        }
    }
}

/// Whether a client call passes R13 checks 1 and 2 (flags, reserved, names), so that check 3
/// decides it on a queued group.
fn passes_checks_1_2(input: In) -> bool {
    match input {
        In::Offline { resource, flags } => {
            resource.is_some() && flags.bits() & !OfflineResourceFlags::all().bits() == 0
        }
        In::Online { resource } => resource.is_some(),
        In::Move { group, dest, flags } => {
            group.is_some()
                && dest != Some(None)
                && flags.bits() & !MoveGroupFlags::all().bits() == 0
                && !flags.contains(MoveGroupFlags::FAILBACK)
        }
        _ => false,
    }
}

impl Monitor for OneQueued {
    fn rule(&self) -> &'static str {
        "R3-queue"
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
                rule: "R3-queue",
                step: rec.index,
                what,
                expected,
                observed,
            });
        };
        if let (Some(g), Some((code, _))) = (input.group(topo), returned(rec)) {
            let was_queued = before.queued.get(usize::from(g)).copied().unwrap_or(false);
            if was_queued && passes_checks_1_2(input) && code != QUEUED {
                violation(
                    format!(
                        "a call on group {} while it has a queued operation",
                        topo.group_name(g)
                    ),
                    "ERROR_CLUSTER_GROUP_QUEUED (R13 check 3)".into(),
                    format!("{}", ErrorCode(code)),
                );
            }
        }
        if let Some(op) = accepted(topo, before, &self.up, rec) {
            if let Some(slot) = self.open.get_mut(usize::from(op.group)) {
                if let Some(old) = slot {
                    violation(
                        format!(
                            "a second operation accepted on group {}",
                            topo.group_name(op.group)
                        ),
                        format!("at most one operation in flight (op {} is)", old.id),
                        format!("op {} accepted", op.id),
                    );
                }
                *slot = Some(op);
            }
        }
        self.up.apply(input);
        for o in &rec.outputs {
            if let Obs::Completed { op, .. } = *o {
                for slot in &mut self.open {
                    if slot.is_some_and(|x| x.id == op) {
                        *slot = None;
                    }
                }
            }
        }
        for (g, &q) in rec.view.queued.iter().enumerate() {
            if !q {
                continue;
            }
            let ok = self.open.get(g).copied().flatten().is_some_and(|op| {
                matches!(op.kind, OpKind::Move { flags, .. } if flags.contains(MoveGroupFlags::QUEUE_ENABLED))
            });
            if !ok {
                violation(
                    format!(
                        "group {} shown queued",
                        topo.groups.get(g).map_or("?", String::as_str)
                    ),
                    "a queued group has exactly one operation in flight: a move with \
                     QUEUE_ENABLED (R16)"
                        .into(),
                    format!("in flight: {:?}", self.open.get(g).copied().flatten()),
                );
            }
        }
    }
}
