//! The observable record of one step, what every monitor consumes, and its JSON-lines form
//! (`docs/trace-format.md`).
//!
//! A record holds only what an outside observer of the cluster sees (issue 10): the step's
//! input (a client call with its arguments or an environment event, in the SPEC §7 scenario
//! vocabulary), every output in the order it happened (D5) — the call's return code, each DLL
//! call with its node, entry point, resource, exact OfflineV2 flags, destination and answer,
//! each persistent write, each completion — and the host view after the step, with the
//! DLL-side state when the host can read it. Nothing of the engine's internal phase is in it.

use serde::{Deserialize, Serialize};

use crate::replay::{DllView, HostView, Obs, SideStep};
use crate::scenario::{Config, GroupDecl, Scenario, Step};

/// The first line of a trace file: what the cluster is (names give the indices meaning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceHeader {
    /// Always [`TraceHeader::FORMAT`].
    pub trace: String,
    /// The scenario the trace was written from (informative).
    #[serde(default)]
    pub name: String,
    /// `pending_timeout` and `retry_interval` (R22).
    #[serde(default)]
    pub config: Config,
    /// Node names; a node index in a record is a position in this list.
    pub nodes: Vec<String>,
    /// Groups with their resources, in declaration order; a resource index is a position in
    /// the flattened list of resources, a group index a position in this list.
    pub groups: Vec<GroupDecl>,
}

impl TraceHeader {
    /// The format tag of this version of the trace format.
    pub const FORMAT: &'static str = "offline-v2 trace 1";

    /// The header of a trace of `scenario` (its set-up; the steps are the records).
    #[must_use]
    pub fn of(scenario: &Scenario) -> Self {
        Self {
            trace: Self::FORMAT.to_owned(),
            name: scenario.name.clone(),
            config: scenario.config,
            nodes: scenario.nodes.clone(),
            groups: scenario.groups.clone(),
        }
    }
}

/// What one step did, as an outside observer sees it (one line of a trace file after the
/// header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRecord {
    /// 0-based index of the step in its scenario (check steps have no record, so indices
    /// may skip).
    pub index: usize,
    /// The input: a `call` (client call or raw call) or an `event`, in the scenario format.
    pub input: Step,
    /// Everything the step produced, in order (D5).
    pub outputs: Vec<Obs>,
    /// The host view after the step.
    pub view: HostView,
    /// The DLL-side state after the step, when the host can read it (per node, per resource:
    /// `CLUSTER_RESOURCE_STATE` of the RESID the host holds there, -1 if the DLL does not know
    /// it, `null` where the host holds none; see [`DllView`]). Absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dll: Option<DllView>,
}

impl StepRecord {
    /// The record of one side's step in a replay; `None` for a check step (no input).
    #[must_use]
    pub fn of_side(index: usize, input: &Step, side: &SideStep<'_>) -> Option<Self> {
        match input {
            Step::Call { call, .. } => Some(Step::Call {
                call: call.clone(),
                expect: None,
            }),
            Step::Event(e) => Some(Step::Event(e.clone())),
            Step::Check(_) | Step::CheckCalls(_) | Step::CheckCompletions(_) => None,
        }
        .map(|input| Self {
            index,
            input,
            outputs: side.outputs.to_vec(),
            view: side.after.clone(),
            dll: side.dll_after.cloned(),
        })
    }
}

/// `#[serde(with = "…")]` for a list of SPEC words (states), written by their spelling.
pub mod word_list {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::scenario::vocab::{word, Word};

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct One<W: Word>(#[serde(with = "word")] W);

    /// Writes each word's spelling.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<W: Word, S: Serializer>(list: &[W], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|w| One(*w)))
    }

    /// Reads a list of spellings (any case).
    ///
    /// # Errors
    /// An unknown spelling or a wrong type.
    pub fn deserialize<'de, W: Word, D: Deserializer<'de>>(d: D) -> Result<Vec<W>, D::Error> {
        Ok(Vec::<One<W>>::deserialize(d)?
            .into_iter()
            .map(|o| o.0)
            .collect())
    }
}
