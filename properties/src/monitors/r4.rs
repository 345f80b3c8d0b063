//! R4 (SPEC §6 "no offline of a locked resource without 0x01"): an OfflineV2 without
//! IGNORE_RESOURCE_STATUS of a locked resource that is Online must be refused with
//! ERROR_CLUSTER_RESOURCE_LOCKED_STATUS — it never takes the resource offline (R3 first:
//! an Offline, Failed or pending resource answers by R3, R9).
//!
//! The monitor follows `locked` from the lock/unlock events (the lock belongs to the
//! resource and follows it across nodes, R9, D2) and the resource's state from the host view
//! before the step and the answers within it. Where that state is not known — a resource
//! event in the same step, a crash or start, an Open or Close, an answer it cannot place, or a
//! raw call that changed the DLL behind the host's back (SPEC §7) — it does not judge.

use offline_v2::types::{ErrorCode, OfflineFlags, ResourceState};

use super::input::{EventKind, In, PENDING, SUCCESS};
use super::{show_flags, Monitor, StepRecord, Topology, Violation};
use crate::replay::{HostView, Obs, ObsEntry};

const LOCKED: u32 = ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS.0;

/// The R4 monitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LockedNeedsIgnore {
    locked: Vec<bool>,
    /// A raw call may have changed the DLL's copy of this resource (SPEC §7): not judged.
    tampered: Vec<bool>,
}

impl LockedNeedsIgnore {
    /// A fresh monitor for `topo` (nothing locked at set-up).
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            locked: vec![false; topo.resources.len()],
            tampered: vec![false; topo.resources.len()],
        }
    }
}

impl Monitor for LockedNeedsIgnore {
    fn rule(&self) -> &'static str {
        "R4"
    }

    fn observe(
        &mut self,
        topo: &Topology,
        before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) {
        let input = In::of(topo, &rec.input);
        let mut known: Vec<Option<ResourceState>> =
            before.state.iter().copied().map(Some).collect();
        match input {
            In::OnResource(EventKind::Lock, r) => set(&mut self.locked, r, true),
            In::OnResource(EventKind::Unlock, r) => set(&mut self.locked, r, false),
            In::OnResource(_, r) => {
                if let Some(k) = known.get_mut(usize::from(r)) {
                    *k = None;
                }
            }
            In::Crash(_) | In::Start(_) => known.iter_mut().for_each(|k| *k = None),
            In::Raw { resource } => match resource {
                Some(r) => set(&mut self.tampered, r, true),
                None => self.tampered.iter_mut().for_each(|t| *t = true),
            },
            _ => {}
        }
        for o in &rec.outputs {
            let Obs::Call(c) = o else { continue };
            let r = usize::from(c.resource);
            let Some(slot) = known.get_mut(r) else {
                continue;
            };
            if c.entry == ObsEntry::OfflineV2
                && c.flags & OfflineFlags::IGNORE_RESOURCE_STATUS.bits() == 0
                && self.locked.get(r).copied().unwrap_or(false)
                && !self.tampered.get(r).copied().unwrap_or(true)
                && *slot == Some(ResourceState::Online)
                && c.result.is_some_and(|a| a == SUCCESS || a == PENDING)
            {
                out.push(Violation {
                    rule: "R4",
                    step: rec.index,
                    what: format!(
                        "OfflineV2({}) on {} of a locked Online resource without \
                         IGNORE_RESOURCE_STATUS took it offline",
                        topo.resource_name(c.resource),
                        topo.node_name(c.node)
                    ),
                    expected: "ERROR_CLUSTER_RESOURCE_LOCKED_STATUS".into(),
                    observed: format!(
                        "{} (flags {})",
                        ErrorCode(c.result.unwrap_or(0)),
                        show_flags(c.flags)
                    ),
                });
            }
            *slot = match (c.entry, c.result) {
                (ObsEntry::OfflineV2, Some(SUCCESS)) | (ObsEntry::Terminate, _) => {
                    Some(ResourceState::Offline)
                }
                (ObsEntry::OfflineV2, Some(PENDING)) => Some(ResourceState::OfflinePending),
                (ObsEntry::OfflineV2, Some(a))
                    if a == LOCKED
                        || a == ErrorCode::ERROR_RETRY.0
                        || a == ErrorCode::ERROR_HOST_UNREACHABLE.0 =>
                {
                    *slot
                }
                (ObsEntry::OnlineV2, Some(SUCCESS)) => Some(ResourceState::Online),
                (ObsEntry::OnlineV2, Some(PENDING)) => Some(ResourceState::OnlinePending),
                _ => None,
            };
        }
    }
}

fn set(v: &mut [bool], r: u8, value: bool) {
    if let Some(x) = v.get_mut(usize::from(r)) {
        *x = value;
    }
}
