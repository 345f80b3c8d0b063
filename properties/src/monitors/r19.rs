//! R19 (with R22, D15): an OnlineV2 or OfflineV2 that the host still has pending when a `tick`
//! brings the logical clock to `pending_timeout` ms or more after the call is Terminated in
//! that tick — not later.
//!
//! Time is logical: only `tick {ms}` advances it, before anything the tick fires (D15). A
//! call's start is the clock when the DLL answered it ERROR_IO_PENDING; it stops being pending
//! when the host calls Terminate, calls the resource again, or its host state is no longer
//! OnlinePending/OfflinePending (its callback came, a crash reset it).
//!
//! The monitor keeps no clock (P6): per resource, how long its call has been pending, capped
//! at `pending_timeout` (every longer wait is judged the same), so a model-checked state does
//! not remember the absolute time.

use offline_v2::types::ResourceState;

use super::input::{state_of, PENDING};
use super::{Monitor, StepRecord, Topology, Violation};
use crate::replay::{HostView, Obs, ObsEntry};
use crate::scenario::{Event, Step};

/// The R19 monitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeoutFires {
    /// Per resource: how long its pending host call has been pending (ms, at most
    /// `pending_timeout`).
    waited: Vec<Option<u64>>,
}

impl TimeoutFires {
    /// A fresh monitor for `topo` (clock 0, nothing pending).
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            waited: vec![None; topo.resources.len()],
        }
    }
}

fn pending(s: ResourceState) -> bool {
    matches!(
        s,
        ResourceState::OnlinePending | ResourceState::OfflinePending
    )
}

impl Monitor for TimeoutFires {
    fn rule(&self) -> &'static str {
        "R19"
    }

    fn observe(
        &mut self,
        topo: &Topology,
        before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) {
        if let Step::Event(Event::Tick(t)) = &rec.input {
            for (r, waited) in self.waited.iter_mut().enumerate() {
                let r8 = u8::try_from(r).unwrap_or(u8::MAX);
                let Some(w) = waited else { continue };
                let before_tick = *w;
                *w = w.saturating_add(t.ms).min(topo.pending_timeout);
                if before_tick.saturating_add(t.ms) < topo.pending_timeout
                    || !pending(state_of(before, r8))
                {
                    continue;
                }
                let terminated = rec.outputs.iter().any(|o| {
                    matches!(o, Obs::Call(c) if c.entry == ObsEntry::Terminate && c.resource == r8)
                });
                if !terminated {
                    out.push(Violation {
                        rule: "R19",
                        step: rec.index,
                        what: format!(
                            "{} pending for {before_tick} ms is not Terminated by a tick of {} ms",
                            topo.resource_name(r8),
                            t.ms
                        ),
                        expected: format!(
                            "Terminate({}) in the tick that reaches pending_timeout {} ms",
                            topo.resource_name(r8),
                            topo.pending_timeout
                        ),
                        observed: format!("no Terminate; {:?}", state_of(before, r8)),
                    });
                }
            }
        }
        for o in &rec.outputs {
            let Obs::Call(c) = o else { continue };
            let Some(slot) = self.waited.get_mut(usize::from(c.resource)) else {
                continue;
            };
            match c.entry {
                ObsEntry::OnlineV2 | ObsEntry::OfflineV2 => {
                    *slot = (c.result == Some(PENDING)).then_some(0);
                }
                ObsEntry::Terminate => *slot = None,
                ObsEntry::Open | ObsEntry::Close => {}
            }
        }
        for (r, slot) in self.waited.iter_mut().enumerate() {
            if !pending(state_of(&rec.view, u8::try_from(r).unwrap_or(u8::MAX))) {
                *slot = None;
            }
        }
    }
}
