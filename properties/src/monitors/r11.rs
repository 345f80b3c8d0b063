//! R11: persistent state changes only (a) to Online on an accepted OnlineResourceEx, (b) to
//! Offline on an accepted OfflineResourceEx without DO_NOT_UPDATE_PERSISTENT_STATE — each
//! written once, durably, before the step's first DLL call — and never otherwise; the host
//! view's persistent state is exactly what was written.
//!
//! "Accepted" is ERROR_IO_PENDING or ERROR_SUCCESS (R13: nothing to do still writes, D8).

use offline_v2::types::{OfflineResourceFlags, PersistentState};

use super::input::{returned, In, PENDING, SUCCESS};
use super::{Monitor, StepRecord, Topology, Violation};
use crate::replay::{HostView, Obs};

/// The R11 monitor (stateless beyond the previous view, which [`super::Monitors`] keeps).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PersistentDiscipline;

impl Monitor for PersistentDiscipline {
    fn rule(&self) -> &'static str {
        "R11"
    }

    fn observe(
        &mut self,
        topo: &Topology,
        before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) {
        let accepted = matches!(returned(rec), Some((SUCCESS | PENDING, _)));
        let wanted: Option<(u8, PersistentState)> = match In::of(topo, &rec.input) {
            In::Online { resource: Some(r) } if accepted => Some((r, PersistentState::Online)),
            In::Offline {
                resource: Some(r),
                flags,
            } if accepted
                && !flags.contains(OfflineResourceFlags::DO_NOT_UPDATE_PERSISTENT_STATE) =>
            {
                Some((r, PersistentState::Offline))
            }
            _ => None,
        };
        let mut violation = |what: String, expected: String, observed: String| {
            out.push(Violation {
                rule: "R11",
                step: rec.index,
                what,
                expected,
                observed,
            });
        };
        let mut writes = Vec::new();
        let mut first_call = None;
        for (i, o) in rec.outputs.iter().enumerate() {
            match *o {
                Obs::PersistentWrite { resource, state } => writes.push((i, resource, state)),
                Obs::Call(_) if first_call.is_none() => first_call = Some(i),
                _ => {}
            }
        }
        let show = |w: &[(usize, u8, PersistentState)]| {
            if w.is_empty() {
                "no persistent write".to_owned()
            } else {
                w.iter()
                    .map(|(_, r, s)| format!("write {} := {s:?}", topo.resource_name(*r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        match wanted {
            None if !writes.is_empty() => violation(
                "persistent state written by a step that is not an accepted OnlineResourceEx or \
                 OfflineResourceEx without DO_NOT_UPDATE_PERSISTENT_STATE"
                    .into(),
                "no persistent write".into(),
                show(&writes),
            ),
            Some((r, s)) if writes.len() != 1 || writes[0].1 != r || writes[0].2 != s => violation(
                "an accepted call must write the persistent state exactly once".into(),
                format!("write {} := {s:?}", topo.resource_name(r)),
                show(&writes),
            ),
            Some(_) => {
                if let (Some(c), Some(&(w, _, _))) = (first_call, writes.first()) {
                    if c < w {
                        violation(
                            "the persistent write must come before the step's first DLL call"
                                .into(),
                            "the write first".into(),
                            format!("DLL call at output {c}, write at output {w}"),
                        );
                    }
                }
            }
            None => {}
        }
        // The view's persistent state is the one before, with this step's writes applied.
        let mut expect = before.persistent.clone();
        for &(_, r, s) in &writes {
            if let Some(p) = expect.get_mut(usize::from(r)) {
                *p = s;
            }
        }
        if expect != rec.view.persistent {
            violation(
                "the host view's persistent state changed without a write".into(),
                format!("{expect:?}"),
                format!("{:?}", rec.view.persistent),
            );
        }
    }
}
