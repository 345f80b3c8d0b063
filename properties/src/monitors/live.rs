//! SPEC §6 "Eventually" and "Sometimes", as the monitors observe them (issue 10, P7, P8).
//!
//! [`Progress`] follows, from the records alone, what bounded liveness is judged on: the
//! accepted operations not yet completed (R14: a call answered ERROR_IO_PENDING until its
//! `Completed`) and which nodes are Up (R20, `crash_node`/`start_node` inputs). Whether a group
//! is *held* (R13 check 4) is not in the host view; the bounded-response check of
//! `monitors/checked.rs` asks the system the way any client could (P7): a MoveGroupEx of the
//! group to its own owner is answered ERROR_INVALID_STATE exactly while the group is held
//! (check 4 comes before check 5's "destination = current owner → ERROR_SUCCESS").
//!
//! It also recognises the four "sometimes" patterns of SPEC §6 (P8), each as a witness bit of
//! the record that completes it, with only a bounded per-group / per-resource memo for the
//! patterns that span steps:
//!
//! - [`CANCELLED`]: a queued move that is cancelled — a CancelGroupOperation answered
//!   ERROR_SUCCESS (R18: only a queued move is dropped so), then that group's operation
//!   completing with ERROR_CANCELLED;
//! - [`RETURN_ONLINE`]: a return to source that ends Online on S — a return-leg OfflineV2
//!   (0x08, R17, its destination is S) of a member of the group, then the group's operation
//!   completing with the group owned by S and every member Online;
//! - [`TIMEOUT_TERMINATE`]: a timeout then Terminate — a `tick` whose outputs include a
//!   Terminate of a resource that was pending in the host view before it (R19);
//! - [`DNU_FAILOVER`]: a DO_NOT_UPDATE offline followed by a failover that brings it back —
//!   an OfflineResourceEx with DO_NOT_UPDATE_PERSISTENT_STATE completing ERROR_SUCCESS on node
//!   n, then, with no other client operation accepted on the group, the resource Online with
//!   the group owned by a node other than n (only R20's failover moves a group without a
//!   client call).

use offline_v2::types::{ErrorCode, OfflineResourceFlags, ResourceState};

use super::input::{returned, state_of, In, UpNodes, SUCCESS};
use super::ops::{accepted, Op, OpKind};
use super::{StepRecord, Topology};
use crate::replay::{HostView, Obs, ObsEntry};
use crate::scenario::{Event, Step};

/// Witness: a queued move that is cancelled.
pub const CANCELLED: u8 = 1 << 0;
/// Witness: a return to source that ends Online on S.
pub const RETURN_ONLINE: u8 = 1 << 1;
/// Witness: a timeout then Terminate.
pub const TIMEOUT_TERMINATE: u8 = 1 << 2;
/// Witness: a DO_NOT_UPDATE offline followed by a failover that brings it back.
pub const DNU_FAILOVER: u8 = 1 << 3;

/// The witness bits with their SPEC §6 wording, in bit order.
pub const SOMETIMES: [(u8, &str); 4] = [
    (CANCELLED, "sometimes a queued move is cancelled (monitor)"),
    (
        RETURN_ONLINE,
        "sometimes a return to source ends Online on S (monitor)",
    ),
    (
        TIMEOUT_TERMINATE,
        "sometimes a timeout then Terminate (monitor)",
    ),
    (
        DNU_FAILOVER,
        "sometimes a DO_NOT_UPDATE offline then a failover brings it back (monitor)",
    ),
];

/// What the §6 liveness and reachability monitors remember (P6: only what the future needs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Progress {
    up: UpNodes,
    /// Accepted operations not yet completed, sorted by id.
    open: Vec<Op>,
    /// Per group: a cancel answered ERROR_SUCCESS and its ERROR_CANCELLED not yet seen.
    cancelled: Vec<bool>,
    /// Per group: S of a return leg seen (its OfflineV2's destination) since the group's
    /// last completion.
    returning_to: Vec<Option<u8>>,
    /// Per resource: the node on which a DO_NOT_UPDATE offline of it completed, while no
    /// other client operation was accepted on its group.
    dnu_on: Vec<Option<u8>>,
}

impl Progress {
    /// Fresh, before the first record.
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            up: UpNodes::new(topo),
            open: Vec::new(),
            cancelled: vec![false; topo.groups.len()],
            returning_to: vec![None; topo.groups.len()],
            dnu_on: vec![None; topo.resources.len()],
        }
    }

    /// Whether every accepted operation seen has completed (§6, R14).
    #[must_use]
    pub fn all_completed(&self) -> bool {
        self.open.is_empty()
    }

    /// The accepted operations not yet completed.
    #[must_use]
    pub fn open(&self) -> &[Op] {
        &self.open
    }

    /// Whether some node is Up, as the inputs tell (R20).
    #[must_use]
    pub fn any_up(&self) -> bool {
        self.up.0.iter().any(|u| *u)
    }

    /// Follows one record; returns the witness bits it completes. `before` is the host view
    /// before the step.
    pub fn observe(&mut self, topo: &Topology, before: &HostView, rec: &StepRecord) -> u8 {
        let mut seen = 0;
        let input = In::of(topo, &rec.input);
        if let Some(op) = accepted(topo, before, &self.up, rec) {
            // Another client operation on the group: what follows is not "a failover brings
            // it back" (DNU memo), and a new operation's return is its own.
            for &r in topo.members(op.group) {
                self.set_dnu(r, None);
            }
            self.open.push(op);
            self.open.sort_by_key(|x| x.id);
        }
        if let (In::Cancel { group: Some(g), .. }, Some((SUCCESS, _))) = (input, returned(rec)) {
            set(&mut self.cancelled, g, true);
        }
        self.up.apply(input);
        let tick = matches!(rec.input, Step::Event(Event::Tick(_)));
        for o in &rec.outputs {
            match *o {
                Obs::Call(c) => {
                    let was_pending = matches!(
                        state_of(before, c.resource),
                        ResourceState::OnlinePending | ResourceState::OfflinePending
                    );
                    if tick && c.entry == ObsEntry::Terminate && was_pending {
                        seen |= TIMEOUT_TERMINATE;
                    }
                    // 0x08 RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR: a return leg (R17).
                    if c.entry == ObsEntry::OfflineV2 && c.flags & 0x08 != 0 {
                        if let Some(d) = c.dest {
                            let g = topo.group_of(c.resource);
                            if let Some(x) = self.returning_to.get_mut(usize::from(g)) {
                                *x = Some(d);
                            }
                        }
                    }
                }
                Obs::Completed { op, result } => {
                    let Some(i) = self.open.iter().position(|x| x.id == op) else {
                        continue; // R14's monitor reports it
                    };
                    let done = self.open.remove(i);
                    seen |= self.completed(topo, &done, result, &rec.view);
                }
                _ => {}
            }
        }
        for r in 0..self.dnu_on.len() {
            let Some(n) = self.dnu_on[r] else { continue };
            let r8 = u8::try_from(r).unwrap_or(u8::MAX);
            let owner = rec.view.owner.get(usize::from(topo.group_of(r8))).copied();
            if owner.is_some_and(|o| o != n) && state_of(&rec.view, r8) == ResourceState::Online {
                seen |= DNU_FAILOVER;
                self.dnu_on[r] = None;
            }
        }
        seen
    }

    fn completed(&mut self, topo: &Topology, done: &Op, result: u32, view: &HostView) -> u8 {
        let g = done.group;
        let gi = usize::from(g);
        let mut seen = 0;
        if result == ErrorCode::ERROR_CANCELLED.0 && self.cancelled.get(gi) == Some(&true) {
            seen |= CANCELLED;
        }
        set(&mut self.cancelled, g, false);
        let returned_to = self.returning_to.get_mut(gi).and_then(Option::take);
        if let (OpKind::Move { src, .. }, Some(s)) = (done.kind, returned_to) {
            let all_online = topo
                .members(g)
                .iter()
                .all(|&r| state_of(view, r) == ResourceState::Online);
            if s == src && view.owner.get(gi) == Some(&src) && all_online {
                seen |= RETURN_ONLINE;
            }
        }
        if let OpKind::Offline { resource, flags } = done.kind {
            let dnu = flags.contains(OfflineResourceFlags::DO_NOT_UPDATE_PERSISTENT_STATE);
            let owner = view.owner.get(gi).copied();
            let on =
                (dnu && result == SUCCESS && state_of(view, resource) == ResourceState::Offline)
                    .then_some(owner)
                    .flatten();
            self.set_dnu(resource, on);
        }
        seen
    }

    fn set_dnu(&mut self, r: u8, v: Option<u8>) {
        if let Some(x) = self.dnu_on.get_mut(usize::from(r)) {
            *x = v;
        }
    }
}

fn set(v: &mut [bool], i: u8, x: bool) {
    if let Some(b) = v.get_mut(usize::from(i)) {
        *b = x;
    }
}
