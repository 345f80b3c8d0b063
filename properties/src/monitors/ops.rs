//! Which client operation a record accepted: the common vocabulary of the monitors that
//! follow operations (R12, R14, one queued operation). Each such monitor keeps its own copy.

use offline_v2::types::{MoveGroupFlags, OfflineResourceFlags};

use super::input::{move_destination, returned, In, UpNodes, PENDING};
use super::{StepRecord, Topology};
use crate::replay::HostView;

/// What an accepted operation is, from the client call alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// OfflineResourceEx of `resource` with client `flags`.
    Offline {
        /// The resource.
        resource: u8,
        /// Client flags.
        flags: OfflineResourceFlags,
    },
    /// OnlineResourceEx of `resource`.
    Online {
        /// The resource.
        resource: u8,
    },
    /// MoveGroupEx from `src` (the owner when accepted) to `dst` (R13 check 6).
    Move {
        /// Source: the group's owner when the move was accepted.
        src: u8,
        /// Destination, as the call names it or as R13 check 6 picks it.
        dst: u8,
        /// Client flags.
        flags: MoveGroupFlags,
    },
}

impl OpKind {
    /// Whether the client passed IGNORE_RESOURCE_STATUS.
    #[must_use]
    pub fn ignore(&self) -> bool {
        match self {
            OpKind::Offline { flags, .. } => {
                flags.contains(OfflineResourceFlags::IGNORE_RESOURCE_STATUS)
            }
            OpKind::Move { flags, .. } => flags.contains(MoveGroupFlags::IGNORE_RESOURCE_STATUS),
            OpKind::Online { .. } => false,
        }
    }
}

/// An accepted operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Op {
    /// The id its `Returned` carried.
    pub id: u32,
    /// Its group.
    pub group: u8,
    /// Its kind and arguments.
    pub kind: OpKind,
}

/// The operation a record's call accepted (a `Returned` with an op id), if any; `before` is
/// the host view before the step (the move's source), `up` the Up nodes before it.
#[must_use]
pub fn accepted(topo: &Topology, before: &HostView, up: &UpNodes, rec: &StepRecord) -> Option<Op> {
    let (code, op) = returned(rec)?;
    let id = op?;
    if code != PENDING {
        return None;
    }
    let input = In::of(topo, &rec.input);
    let group = input.group(topo)?;
    let kind = match input {
        In::Offline { resource, flags } => OpKind::Offline {
            resource: resource?,
            flags,
        },
        In::Online { resource } => OpKind::Online {
            resource: resource?,
        },
        In::Move { dest, flags, .. } => {
            let src = *before.owner.get(usize::from(group))?;
            let dest = match dest {
                None => None,
                Some(d) => Some(d?),
            };
            OpKind::Move {
                src,
                dst: move_destination(dest, src, &up.0)?,
                flags,
            }
        }
        _ => return None,
    };
    Some(Op { id, group, kind })
}
