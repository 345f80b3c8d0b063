//! R13: client calls return at once — exactly one return code per call, none for events —
//! and a rejected call (an error code) changes nothing at all: no DLL call, no persistent
//! write, no completion, no operation id, and the host view after equals the one before, and
//! so does the DLL-side state when the record carries it (compared with the previous record). A
//! "nothing to do" answer (ERROR_SUCCESS of OfflineResourceEx, OnlineResourceEx or
//! MoveGroupEx) calls no DLL entry and completes nothing; it may only write the persistent
//! state of its resource (R11, D8).
//!
//! Check 7 is judged where it is observable without replaying the whole check order: a call
//! that is *accepted* (ERROR_IO_PENDING) has passed checks 1–6, so if the host's view before
//! it showed a locked resource that check 7 names — the OfflineResourceEx's own resource not
//! Offline, or for MoveGroupEx any resource of the group neither Offline nor Failed — and the
//! client did not pass IGNORE_RESOURCE_STATUS, check 7 should have refused it with
//! ERROR_CLUSTER_RESOURCE_LOCKED_STATUS (D3: the host's `locked` is what the DLL reported).
//!
//! Raw DLL calls (`raw_offline_v2`) are not client calls: they answer with the DLL's code
//! and the host is not told (SPEC §7); only their single return code is checked here.

use offline_v2::types::{MoveGroupFlags, OfflineResourceFlags, ResourceState};

use super::input::{returned, state_of, In, PENDING, SUCCESS};
use super::{Monitor, StepRecord, Topology, Violation};
use crate::replay::{HostView, Obs};

/// The R13 monitor: its only state is the DLL-side state after the previous record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RejectedChangeNothing {
    last_dll: Option<crate::replay::DllView>,
}

impl Monitor for RejectedChangeNothing {
    fn rule(&self) -> &'static str {
        "R13"
    }

    fn observe(
        &mut self,
        topo: &Topology,
        before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) {
        let dll_before = std::mem::replace(&mut self.last_dll, rec.dll.clone());
        let input = In::of(topo, &rec.input);
        let is_call = matches!(rec.input, crate::scenario::Step::Call { .. });
        let n_returned = rec
            .outputs
            .iter()
            .filter(|o| matches!(o, Obs::Returned { .. }))
            .count();
        let mut violation = |what: &str, expected: String, observed: String| {
            out.push(Violation {
                rule: "R13",
                step: rec.index,
                what: what.to_owned(),
                expected,
                observed,
            });
        };
        let wanted = usize::from(is_call);
        if n_returned != wanted {
            violation(
                "a call returns exactly one code, an event none",
                format!("{wanted} return code(s)"),
                format!("{n_returned}"),
            );
            return;
        }
        if !input.is_client_call() {
            return;
        }
        let Some((code, op)) = returned(rec) else {
            return;
        };
        let others: Vec<&Obs> = rec
            .outputs
            .iter()
            .filter(|o| !matches!(o, Obs::Returned { .. }))
            .collect();
        if code == PENDING {
            if let Some(r) = locked_for_check_7(topo, before, input) {
                violation(
                    "R13 check 7: a call without IGNORE_RESOURCE_STATUS on a locked resource",
                    "ERROR_CLUSTER_RESOURCE_LOCKED_STATUS".into(),
                    format!(
                        "ERROR_IO_PENDING with {} locked and {:?}",
                        topo.resource_name(r),
                        state_of(before, r)
                    ),
                );
            }
        }
        if code != SUCCESS && code != PENDING {
            if op.is_some() || !others.is_empty() {
                violation(
                    "a rejected call emits nothing and starts no operation",
                    "only the return code".into(),
                    format!("op {op:?}, then {others:?}"),
                );
            }
            if rec.view != *before {
                violation(
                    "a rejected call changes nothing",
                    format!("host view {before:?}"),
                    format!("host view {:?}", rec.view),
                );
            }
            if let (Some(b), Some(a)) = (&dll_before, &rec.dll) {
                if a != b {
                    violation(
                        "a rejected call changes nothing, the DLL-side state included",
                        format!("DLL-side state {b:?}"),
                        format!("DLL-side state {a:?}"),
                    );
                }
            }
        } else if code == SUCCESS && !matches!(input, In::Cancel { .. }) {
            let busy: Vec<&&Obs> = others
                .iter()
                .filter(|o| !matches!(o, Obs::PersistentWrite { .. }))
                .collect();
            if op.is_some() || !busy.is_empty() {
                violation(
                    "ERROR_SUCCESS means nothing to do: no DLL call, no operation",
                    "at most a persistent write".into(),
                    format!("op {op:?}, then {busy:?}"),
                );
            }
            let mut same = rec.view.clone();
            same.persistent.clone_from(&before.persistent);
            if same != *before {
                violation(
                    "ERROR_SUCCESS means nothing to do: the host view changes only in persistent state",
                    format!("host view {before:?}"),
                    format!("host view {:?}", rec.view),
                );
            }
        }
    }
}

/// The locked resource that makes R13 check 7 refuse `input`, given the host view before it.
fn locked_for_check_7(topo: &Topology, before: &HostView, input: In) -> Option<u8> {
    let locked = |r: u8| before.locked.get(usize::from(r)).copied().unwrap_or(false);
    match input {
        In::Offline {
            resource: Some(r),
            flags,
        } if !flags.contains(OfflineResourceFlags::IGNORE_RESOURCE_STATUS)
            && locked(r)
            && state_of(before, r) != ResourceState::Offline =>
        {
            Some(r)
        }
        In::Move {
            group: Some(g),
            flags,
            ..
        } if !flags.contains(MoveGroupFlags::IGNORE_RESOURCE_STATUS) => {
            topo.members(g).iter().copied().find(|&r| {
                locked(r)
                    && !matches!(
                        state_of(before, r),
                        ResourceState::Offline | ResourceState::Failed
                    )
            })
        }
        _ => None,
    }
}
