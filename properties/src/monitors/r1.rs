//! R1 on raw calls (SPEC §4, §7 `raw_offline_v2`): a raw OfflineV2 on an Up node whose
//! arguments R1 refuses — Reserved ≠ 0, a bit outside 0x7F, InBuffer NULL with a size, 0x08
//! with 0x02, 0x02 or 0x08 without a destination, a destination that is not a valid node name
//! (§3: 1–15 of `[A-Za-z0-9-]`) — answers ERROR_INVALID_PARAMETER; on a Down node it answers
//! ERROR_CLUSTER_NODE_DOWN without calling anything. The arguments are all in the record's
//! input, the answer is its return code. (Client calls never reach R1: the host builds their
//! flags, R12.)

use offline_v2::types::ErrorCode;

use super::input::{returned, In, UpNodes};
use super::{Monitor, StepRecord, Topology, Violation};
use crate::replay::HostView;
use crate::scenario::{Call, RawCall, Step};

/// The R1 monitor of raw calls.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawValidation {
    up: UpNodes,
}

impl RawValidation {
    /// A fresh monitor for `topo`.
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            up: UpNodes::new(topo),
        }
    }
}

fn valid_node_name(name: &str) -> bool {
    // The DLL reads the NUL-terminated string: what follows a NUL is not part of it.
    let name = name.split('\0').next().unwrap_or("");
    (1..=15).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Why R1 refuses `raw`, if it does.
fn refused(raw: &RawCall) -> Option<&'static str> {
    let f = raw.flags;
    if raw.reserved != 0 {
        Some("Reserved != 0")
    } else if f & !0x7F != 0 {
        Some("a bit outside 0x7F")
    } else if raw.inbuf.is_none() && raw.inbuf_size > 0 {
        Some("InBuffer NULL with InBufferSize > 0")
    } else if f & 0x08 != 0 && f & 0x02 != 0 {
        Some("0x08 together with 0x02")
    } else if f & 0x0A != 0 && raw.dest.is_none() {
        Some("0x02 or 0x08 without a DestinationNodeName")
    } else if raw.dest.as_deref().is_some_and(|d| !valid_node_name(d)) {
        Some("a DestinationNodeName that is not a node name")
    } else {
        None
    }
}

impl Monitor for RawValidation {
    fn rule(&self) -> &'static str {
        "R1"
    }

    fn observe(
        &mut self,
        topo: &Topology,
        _before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) {
        if let Step::Call {
            call: Call::RawOfflineV2(raw),
            ..
        } = &rec.input
        {
            if let (Some(node), Some((code, _))) = (topo.node(&raw.node), returned(rec)) {
                let want = if !self.up.is_up(node) {
                    Some((ErrorCode::ERROR_CLUSTER_NODE_DOWN, "the node is Down"))
                } else {
                    refused(raw).map(|why| (ErrorCode::ERROR_INVALID_PARAMETER, why))
                };
                if let Some((want, why)) = want.filter(|(w, _)| w.0 != code) {
                    out.push(Violation {
                        rule: "R1",
                        step: rec.index,
                        what: format!("raw OfflineV2 on {}: {why}", raw.node),
                        expected: format!("{want}"),
                        observed: format!("{}", ErrorCode(code)),
                    });
                }
            }
        }
        self.up.apply(In::of(topo, &rec.input));
    }
}
