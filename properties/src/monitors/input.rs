//! What the monitors read of a record: its input classified, its return code, its calls.

use offline_v2::types::{ErrorCode, MoveGroupFlags, OfflineResourceFlags};

use super::{StepRecord, Topology};
use crate::replay::{CallObs, HostView, Obs, ObsEntry};
use crate::scenario::{Call, Event, RawResidSpec, Step};

/// ERROR_SUCCESS.
pub const SUCCESS: u32 = ErrorCode::ERROR_SUCCESS.0;
/// ERROR_IO_PENDING.
pub const PENDING: u32 = ErrorCode::ERROR_IO_PENDING.0;

/// A step's input, with declared names resolved to indices (`None`: not declared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// OfflineResourceEx.
    Offline {
        /// The resource, if declared.
        resource: Option<u8>,
        /// Client flags (unknown bits kept).
        flags: OfflineResourceFlags,
    },
    /// OnlineResourceEx.
    Online {
        /// The resource, if declared.
        resource: Option<u8>,
    },
    /// MoveGroupEx.
    Move {
        /// The group, if declared.
        group: Option<u8>,
        /// The destination: `None` no destination given, `Some(None)` an undeclared name.
        dest: Option<Option<u8>>,
        /// Client flags (unknown bits kept).
        flags: MoveGroupFlags,
    },
    /// CancelGroupOperation.
    Cancel {
        /// The group, if declared.
        group: Option<u8>,
        /// The reserved argument.
        reserved: u32,
    },
    /// A raw OfflineV2 on a node's export: the resource it names, if it names a declared one
    /// (a numeric RESID may name any).
    Raw {
        /// The resource named, if any.
        resource: Option<u8>,
    },
    /// An environment event on a resource.
    OnResource(EventKind, u8),
    /// A node crashes.
    Crash(u8),
    /// A node starts.
    Start(u8),
    /// Any other event (tick, links).
    Other,
}

/// The kinds of resource events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// complete_offline.
    CompleteOffline,
    /// fail_offline.
    FailOffline,
    /// complete_online.
    CompleteOnline,
    /// fail_online.
    FailOnline,
    /// lock.
    Lock,
    /// unlock.
    Unlock,
    /// busy / unbusy.
    Busy,
    /// embedded_failure.
    EmbeddedFailure,
    /// inject_panic.
    InjectPanic,
}

impl In {
    /// Classifies a record's input.
    #[must_use]
    pub fn of(topo: &Topology, input: &Step) -> Self {
        match input {
            Step::Call { call, .. } => match call {
                Call::OfflineResource(c) => In::Offline {
                    resource: topo.resource(&c.resource),
                    flags: c.flags,
                },
                Call::OnlineResource(r) => In::Online {
                    resource: topo.resource(&r.resource),
                },
                Call::MoveGroup(c) => In::Move {
                    group: topo.group(&c.group),
                    dest: c.dest.as_deref().map(|d| topo.node(d)),
                    flags: c.flags,
                },
                Call::CancelGroupOperation(c) => In::Cancel {
                    group: topo.group(&c.group),
                    reserved: c.reserved,
                },
                Call::RawOfflineV2(raw) => In::Raw {
                    resource: match &raw.resid {
                        RawResidSpec::Resource(r) => topo.resource(r),
                        RawResidSpec::Value(_) => None,
                    },
                },
            },
            Step::Event(e) => {
                let on = |kind, r: &str| {
                    topo.resource(r)
                        .map_or(In::Other, |r| In::OnResource(kind, r))
                };
                match e {
                    Event::CompleteOffline(r) => on(EventKind::CompleteOffline, r),
                    Event::FailOffline(r) => on(EventKind::FailOffline, r),
                    Event::CompleteOnline(r) => on(EventKind::CompleteOnline, r),
                    Event::FailOnline(r) => on(EventKind::FailOnline, r),
                    Event::Lock(r) => on(EventKind::Lock, r),
                    Event::Unlock(r) => on(EventKind::Unlock, r),
                    Event::Busy(r) | Event::Unbusy(r) => on(EventKind::Busy, r),
                    Event::EmbeddedFailure(r) => on(EventKind::EmbeddedFailure, r),
                    Event::InjectPanic(r) => on(EventKind::InjectPanic, r),
                    Event::CrashNode(n) => topo.node(n).map_or(In::Other, In::Crash),
                    Event::StartNode(n) => topo.node(n).map_or(In::Other, In::Start),
                    Event::Tick(_) | Event::NetDown(_) | Event::NetUp(_) => In::Other,
                }
            }
            Step::Check(_) | Step::CheckCalls(_) | Step::CheckCompletions(_) => In::Other,
        }
    }

    /// Whether this is a client call (OfflineResourceEx, OnlineResourceEx, MoveGroupEx,
    /// CancelGroupOperation), not a raw DLL call or an event.
    #[must_use]
    pub fn is_client_call(&self) -> bool {
        matches!(
            self,
            In::Offline { .. } | In::Online { .. } | In::Move { .. } | In::Cancel { .. }
        )
    }

    /// The declared group a client call is about (through its resource for resource calls).
    #[must_use]
    pub fn group(&self, topo: &Topology) -> Option<u8> {
        match *self {
            In::Offline { resource, .. } | In::Online { resource } => {
                resource.map(|r| topo.group_of(r))
            }
            In::Move { group, .. } | In::Cancel { group, .. } => group,
            _ => None,
        }
    }
}

/// The record's `Returned` output, if any: (code, op).
#[must_use]
pub fn returned(rec: &StepRecord) -> Option<(u32, Option<u32>)> {
    rec.outputs.iter().find_map(|o| match *o {
        Obs::Returned { code, op } => Some((code, op)),
        _ => None,
    })
}

/// The DLL calls of a record, in order.
pub fn calls(rec: &StepRecord) -> impl Iterator<Item = &CallObs> {
    rec.outputs.iter().filter_map(|o| match o {
        Obs::Call(c) => Some(c),
        _ => None,
    })
}

/// Whether `c` is a host call on a resource's work (OnlineV2, OfflineV2, Terminate).
#[must_use]
pub fn is_work(c: &CallObs) -> bool {
    matches!(
        c.entry,
        ObsEntry::OnlineV2 | ObsEntry::OfflineV2 | ObsEntry::Terminate
    )
}

/// The node a MoveGroupEx with destination `dest` goes to, from `owner` (R13 check 6: a null
/// destination picks the first Up node after the owner in declaration order, wrapping around,
/// never the owner itself).
#[must_use]
pub fn move_destination(dest: Option<u8>, owner: u8, up: &[bool]) -> Option<u8> {
    if let Some(d) = dest {
        return Some(d);
    }
    let n = up.len();
    (1..n)
        .map(|k| (usize::from(owner) + k) % n)
        .find(|&i| up[i])
        .and_then(|i| u8::try_from(i).ok())
}

/// Which nodes are Up, followed through crash and start inputs (all Up at set-up, SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpNodes(pub Vec<bool>);

impl UpNodes {
    /// Every node Up.
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self(vec![true; topo.nodes.len()])
    }

    /// Applies a step's input.
    pub fn apply(&mut self, input: In) {
        match input {
            In::Crash(n) => self.set(n, false),
            In::Start(n) => self.set(n, true),
            _ => {}
        }
    }

    fn set(&mut self, n: u8, v: bool) {
        if let Some(x) = self.0.get_mut(usize::from(n)) {
            *x = v;
        }
    }

    /// Whether node `n` is Up.
    #[must_use]
    pub fn is_up(&self, n: u8) -> bool {
        self.0.get(usize::from(n)).copied().unwrap_or(false)
    }
}

/// The host view's state of resource `r` (Offline if out of range; records are checked first).
#[must_use]
pub fn state_of(view: &HostView, r: u8) -> offline_v2::types::ResourceState {
    view.state
        .get(usize::from(r))
        .copied()
        .unwrap_or(offline_v2::types::ResourceState::Offline)
}
