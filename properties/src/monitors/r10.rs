//! R10: exactly one owner per group at every instant; a resource is OnlinePending, Online or
//! OfflinePending on at most one node, and only on its group's owner; while no node is Up,
//! every resource is Offline.
//!
//! Observably (R2, D10, D17): a resource is open on at most one Up node (OpenV2 on the new
//! owner only after Close on the old one, or after the old one went Down); the host calls
//! OnlineV2, OfflineV2 and Terminate only on an Up node that holds the resource open; after
//! each step every declared group has a declared owner, and every resource that is pending or
//! Online in the host view is open on its group's owner, which is Up; a group is owned by a
//! Down node only while no node is Up, with every resource Offline (R20 fails it over within
//! the crash's step otherwise). When the record carries the DLL-side state, a resource is
//! active (pending or Online) in at most one node's DLL, its group's owner's.

use offline_v2::types::ResourceState;

use super::input::{state_of, In, UpNodes, SUCCESS};
use super::{Monitor, StepRecord, Topology, Violation};
use crate::replay::{HostView, Obs, ObsEntry};

/// The R10 monitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SingleOwner {
    up: UpNodes,
    /// Per resource: the node that holds it open.
    open: Vec<Option<u8>>,
}

impl SingleOwner {
    /// A fresh monitor for `topo` (D4: each resource open on its group's owner).
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            up: UpNodes::new(topo),
            open: (0..topo.resources.len())
                .map(|r| {
                    let g = topo.group_of(u8::try_from(r).unwrap_or(u8::MAX));
                    topo.initial.owner.get(usize::from(g)).copied()
                })
                .collect(),
        }
    }
}

impl Monitor for SingleOwner {
    fn rule(&self) -> &'static str {
        "R10"
    }

    fn observe(
        &mut self,
        topo: &Topology,
        _before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) {
        let mut violation = |what: String, expected: String, observed: String| {
            out.push(Violation {
                rule: "R10",
                step: rec.index,
                what,
                expected,
                observed,
            });
        };
        let input = In::of(topo, &rec.input);
        self.up.apply(input);
        if let In::Crash(n) = input {
            // D17: the Down node's instance is reset; it holds nothing open any more.
            for o in &mut self.open {
                if *o == Some(n) {
                    *o = None;
                }
            }
        }
        for o in &rec.outputs {
            let Obs::Call(c) = o else { continue };
            let r = usize::from(c.resource);
            let name = topo.resource_name(c.resource);
            let node = topo.node_name(c.node);
            let held = self.open.get(r).copied().flatten();
            match c.entry {
                ObsEntry::Open => {
                    if let Some(m) = held.filter(|&m| m != c.node && self.up.is_up(m)) {
                        violation(
                            format!(
                                "{name} opened on {node} while still open on {}",
                                topo.node_name(m)
                            ),
                            "a resource open on one node at a time (Close on the old owner first)"
                                .into(),
                            format!("open on {} and {node}", topo.node_name(m)),
                        );
                    }
                    if c.result.is_none_or(|a| a == SUCCESS) {
                        if let Some(x) = self.open.get_mut(r) {
                            *x = Some(c.node);
                        }
                    }
                }
                ObsEntry::Close => {
                    if held == Some(c.node) {
                        if let Some(x) = self.open.get_mut(r) {
                            *x = None;
                        }
                    }
                }
                ObsEntry::OnlineV2 | ObsEntry::OfflineV2 | ObsEntry::Terminate => {
                    if !self.up.is_up(c.node) || held != Some(c.node) {
                        violation(
                            format!("{:?}({name}) called on {node}", c.entry),
                            "calls only on the Up node that holds the resource (its group's owner)"
                                .into(),
                            format!(
                                "{node} is {}, {name} is open on {}",
                                if self.up.is_up(c.node) { "Up" } else { "Down" },
                                held.map_or("no node", |h| topo.node_name(h))
                            ),
                        );
                    }
                }
            }
        }
        let any_up = self.up.0.iter().any(|&u| u);
        for (r, &s) in rec.view.state.iter().enumerate() {
            let r8 = u8::try_from(r).unwrap_or(u8::MAX);
            let g = topo.group_of(r8);
            let owner = rec.view.owner.get(usize::from(g)).copied();
            let name = topo.resource_name(r8);
            if !any_up && s != ResourceState::Offline {
                violation(
                    format!("{name} is {s:?} while no node is Up"),
                    "every resource Offline while no node is Up".into(),
                    format!("{s:?}"),
                );
            }
            if matches!(
                s,
                ResourceState::OnlinePending
                    | ResourceState::Online
                    | ResourceState::OfflinePending
            ) {
                let held = self.open.get(r).copied().flatten();
                let owner_up = owner.is_some_and(|o| self.up.is_up(o));
                if held != owner || !owner_up {
                    violation(
                        format!("{name} is {s:?} but not on its group's Up owner"),
                        format!(
                            "open on the owner {} (Up)",
                            owner.map_or("?", |o| topo.node_name(o))
                        ),
                        format!(
                            "open on {}, owner {}",
                            held.map_or("no node", |h| topo.node_name(h)),
                            if owner_up { "Up" } else { "Down" }
                        ),
                    );
                }
            }
        }
        // R10 on the DLL side, when the record carries it: a resource is OnlinePending,
        // Online or OfflinePending in at most one node's DLL, and only on its group's owner.
        if let Some(dll) = &rec.dll {
            for r in 0..topo.resources.len() {
                let r8 = u8::try_from(r).unwrap_or(u8::MAX);
                let owner = rec.view.owner.get(usize::from(topo.group_of(r8))).copied();
                let active: Vec<u8> = dll
                    .iter()
                    .enumerate()
                    .filter(|(_, per)| {
                        per.get(r).copied().flatten().is_some_and(|v| {
                            ResourceState::from_cluster_value(v).is_some_and(|s| {
                                matches!(
                                    s,
                                    ResourceState::OnlinePending
                                        | ResourceState::Online
                                        | ResourceState::OfflinePending
                                )
                            })
                        })
                    })
                    .map(|(n, _)| u8::try_from(n).unwrap_or(u8::MAX))
                    .collect();
                if active.len() > 1 || active.iter().any(|&n| Some(n) != owner) {
                    let names: Vec<&str> = active.iter().map(|&n| topo.node_name(n)).collect();
                    violation(
                        format!(
                            "{} is active in the DLL on {}",
                            topo.resource_name(r8),
                            names.join(" and ")
                        ),
                        format!(
                            "active (pending or Online) only in the DLL of the owner {}",
                            owner.map_or("?", |o| topo.node_name(o))
                        ),
                        format!(
                            "DLL-side state {:?}",
                            dll.iter().map(|p| p.get(r)).collect::<Vec<_>>()
                        ),
                    );
                }
            }
        }
        // R10/R20: a group stays on a Down owner only while no node is Up (a crash fails it
        // over to an Up node within the step), and then with every resource Offline.
        for (g, &owner) in rec.view.owner.iter().enumerate() {
            if self.up.is_up(owner) {
                continue;
            }
            let g8 = u8::try_from(g).unwrap_or(u8::MAX);
            let not_offline: Vec<String> = topo
                .members(g8)
                .iter()
                .filter(|&&r| state_of(&rec.view, r) != ResourceState::Offline)
                .map(|&r| format!("{} {:?}", topo.resource_name(r), state_of(&rec.view, r)))
                .collect();
            if any_up || !not_offline.is_empty() {
                violation(
                    format!(
                        "group {} stays on its Down owner {}",
                        topo.group_name(g8),
                        topo.node_name(owner)
                    ),
                    "failed over to an Up node (R20); on a Down owner only while no node is Up, \
                     every resource Offline"
                        .into(),
                    format!(
                        "{} node Up; {}",
                        if any_up { "some" } else { "no" },
                        if not_offline.is_empty() {
                            "every resource Offline".to_owned()
                        } else {
                            not_offline.join(", ")
                        }
                    ),
                );
            }
        }
    }
}
