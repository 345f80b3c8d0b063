//! SPEC §6 property monitors, written from SPEC §4–§6 alone (issue 10).
//!
//! Each monitor is a small state machine over [`StepRecord`]s — the observable record of one
//! step (input, return code, DLL calls with exact flags, destinations and answers, persistent
//! writes, completions, host view after) — that keeps only the state its rule needs and
//! returns a [`Violation`] naming the rule, the step, what the SPEC expects and what was
//! observed. None of them reads the engine's internal phase: they work the same on the
//! implementation, on the model, or on a trace file written by any host.
//!
//! | module | rule |
//! |---|---|
//! | [`r10`] | R10 single owner, and DLL calls only where the resource is open |
//! | [`r11`] | R11 persistent writes only from accepted OnlineResourceEx / OfflineResourceEx |
//! | [`r12`] | R12 exact OfflineV2 flags and destination |
//! | [`r4`] | R4 no offline of a locked resource without 0x01 |
//! | [`r13`] | R13 rejected calls change nothing and emit nothing; accepted calls passed check 7 |
//! | [`r14`] | R14 exactly one completion per accepted operation, on a settled group |
//! | [`queued`] | SPEC §3/§6 at most one queued (and one in-flight) operation per group |
//! | [`r19`] | R19 a pending call is Terminated at the tick that reaches `pending_timeout` |
//! | [`r1`] | R1 raw OfflineV2 calls with arguments R1 refuses answer ERROR_INVALID_PARAMETER |
//! | [`live`] | §6 Eventually (bounded liveness, judged in `checked`) and the four Sometimes |
//!
//! Where the SPEC is open the monitors use the readings of `docs/decisions.md` (cited as
//! `D…`/`I…`); the ones added for the monitors are `P1`–`P5`. The record and its JSON-lines
//! form are described in `docs/trace-format.md`.

pub mod checked;
pub mod checker;
pub mod input;
pub mod live;
pub mod ops;
pub mod queued;
pub mod r1;
pub mod r10;
pub mod r11;
pub mod r12;
pub mod r13;
pub mod r14;
pub mod r19;
pub mod r4;
pub mod record;
pub mod trace;

use std::fmt;

use offline_v2::types::{PersistentState, ResourceState};

pub use checker::MonitorChecker;
pub use record::{StepRecord, TraceHeader};
pub use trace::{check_trace, TraceError, TraceVerdict};

use crate::replay::HostView;
use crate::scenario::{Config, GroupDecl};

/// The cluster as declared: what gives the indices of a record their meaning.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Node names, declaration order.
    pub nodes: Vec<String>,
    /// Group names, declaration order.
    pub groups: Vec<String>,
    /// Resource names, declaration order across groups.
    pub resources: Vec<String>,
    /// The group of each resource.
    pub group_of: Vec<u8>,
    /// The resources of each group, declaration order.
    pub members: Vec<Vec<u8>>,
    /// The host view before the first step (SPEC §7 set-up, D4).
    pub initial: HostView,
    /// `pending_timeout` in logical ms (R19, R22).
    pub pending_timeout: u64,
}

/// Why a set-up cannot be monitored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// More than 255 nodes, groups or resources (indices are bytes).
    #[error("too many {0} (at most 255)")]
    TooMany(&'static str),
    /// A group's owner is not a declared node.
    #[error("group {group:?} is owned by undeclared node {owner:?}")]
    UnknownOwner {
        /// The group.
        group: String,
        /// Its owner as written.
        owner: String,
    },
}

impl Topology {
    /// The topology of a set-up (`nodes`, `groups`, `config` of a scenario or a trace header).
    ///
    /// # Errors
    /// [`TopologyError`] for a set-up that no record could index.
    pub fn new(
        nodes: &[String],
        groups: &[GroupDecl],
        config: &Config,
    ) -> Result<Self, TopologyError> {
        let too_many = |n: usize, what| {
            if n > 255 {
                Err(TopologyError::TooMany(what))
            } else {
                Ok(())
            }
        };
        too_many(nodes.len(), "nodes")?;
        too_many(groups.len(), "groups")?;
        let mut t = Topology {
            nodes: nodes.to_vec(),
            groups: groups.iter().map(|g| g.name.clone()).collect(),
            resources: Vec::new(),
            group_of: Vec::new(),
            members: Vec::new(),
            initial: HostView {
                owner: Vec::new(),
                queued: vec![false; groups.len()],
                state: Vec::new(),
                persistent: Vec::new(),
                locked: Vec::new(),
            },
            pending_timeout: config.pending_timeout,
        };
        for (gi, g) in groups.iter().enumerate() {
            let owner = nodes.iter().position(|n| *n == g.owner).ok_or_else(|| {
                TopologyError::UnknownOwner {
                    group: g.name.clone(),
                    owner: g.owner.clone(),
                }
            })?;
            t.initial.owner.push(byte(owner));
            let mut members = Vec::new();
            for r in &g.resources {
                members.push(byte(t.resources.len()));
                t.resources.push(r.name.clone());
                t.group_of.push(byte(gi));
                t.initial.state.push(match r.persistent {
                    PersistentState::Online => ResourceState::Online,
                    PersistentState::Offline => ResourceState::Offline,
                });
                t.initial.persistent.push(r.persistent);
                t.initial.locked.push(false);
            }
            t.members.push(members);
        }
        too_many(t.resources.len(), "resources")?;
        Ok(t)
    }

    /// The index of a declared node.
    #[must_use]
    pub fn node(&self, name: &str) -> Option<u8> {
        self.nodes.iter().position(|n| n == name).map(byte)
    }

    /// The index of a declared group.
    #[must_use]
    pub fn group(&self, name: &str) -> Option<u8> {
        self.groups.iter().position(|n| n == name).map(byte)
    }

    /// The index of a declared resource.
    #[must_use]
    pub fn resource(&self, name: &str) -> Option<u8> {
        self.resources.iter().position(|n| n == name).map(byte)
    }

    /// The group of resource `r` (0 for an index out of range; records are checked first).
    #[must_use]
    pub fn group_of(&self, r: u8) -> u8 {
        self.group_of.get(usize::from(r)).copied().unwrap_or(0)
    }

    /// The resources of group `g`.
    #[must_use]
    pub fn members(&self, g: u8) -> &[u8] {
        self.members.get(usize::from(g)).map_or(&[], Vec::as_slice)
    }

    /// A node's name for messages.
    #[must_use]
    pub fn node_name(&self, n: u8) -> &str {
        self.nodes.get(usize::from(n)).map_or("?", String::as_str)
    }

    /// A resource's name for messages.
    #[must_use]
    pub fn resource_name(&self, r: u8) -> &str {
        self.resources
            .get(usize::from(r))
            .map_or("?", String::as_str)
    }

    /// A group's name for messages.
    #[must_use]
    pub fn group_name(&self, g: u8) -> &str {
        self.groups.get(usize::from(g)).map_or("?", String::as_str)
    }
}

fn byte(i: usize) -> u8 {
    u8::try_from(i).unwrap_or(u8::MAX)
}

/// A broken rule: which, where, and both values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule, as the SPEC numbers it ("R12"; "R3-queue" for §3's one queued operation).
    pub rule: &'static str,
    /// The index of the step whose record broke it.
    pub step: usize,
    /// What is wrong, in SPEC words.
    pub what: String,
    /// What the SPEC expects.
    pub expected: String,
    /// What was observed.
    pub observed: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} violated at step {}: {}\n  expected: {}\n  observed: {}",
            self.rule, self.step, self.what, self.expected, self.observed
        )
    }
}

/// One property monitor: fed every step's record in order.
pub trait Monitor {
    /// The rule it checks ("R12").
    fn rule(&self) -> &'static str;
    /// Judges one step: `before` is the host view before it (the previous record's view, or
    /// the set-up's). Pushes what the step broke onto `out`.
    fn observe(
        &mut self,
        topo: &Topology,
        before: &HostView,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    );
}

/// The rules of [`MonitorState`], in monitor order; a violation's `rule` is one of these or
/// "trace" (a record that does not fit the topology). Bit `i` of a rule mask is `RULES[i]`.
pub const RULES: [&str; 9] = [
    "R10", "R11", "R12", "R4", "R13", "R14", "R3-queue", "R19", "R1",
];

/// Every rule of [`RULES`] as a mask.
pub const ALL_RULES: u16 = (1 << RULES.len()) - 1;

/// The bit of `rule` in a rule mask ("trace" is the bit after the rules).
#[must_use]
pub fn rule_bit(rule: &str) -> u16 {
    RULES
        .iter()
        .position(|r| *r == rule)
        .map_or(1 << RULES.len(), |i| 1 << i)
}

/// The state of every monitor together with the host view before the next record: a plain
/// value (`Clone + Hash + Eq`), so that a model checker can carry it in its states
/// (`checked`). Each monitor keeps only what its rule needs for the future (P6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MonitorState {
    before: HostView,
    r10: r10::SingleOwner,
    r11: r11::PersistentDiscipline,
    r12: r12::ExactFlags,
    r4: r4::LockedNeedsIgnore,
    r13: r13::RejectedChangeNothing,
    r14: r14::CompletesOnce,
    queued: queued::OneQueued,
    r19: r19::TimeoutFires,
    r1: r1::RawValidation,
    live: live::Progress,
}

impl MonitorState {
    /// Every monitor fresh for `topo`, before the first record.
    #[must_use]
    pub fn new(topo: &Topology) -> Self {
        Self {
            before: topo.initial.clone(),
            r10: r10::SingleOwner::new(topo),
            r11: r11::PersistentDiscipline,
            r12: r12::ExactFlags::new(topo),
            r4: r4::LockedNeedsIgnore::new(topo),
            r13: r13::RejectedChangeNothing::default(),
            r14: r14::CompletesOnce::new(topo),
            queued: queued::OneQueued::new(topo),
            r19: r19::TimeoutFires::new(topo),
            r1: r1::RawValidation::new(topo),
            live: live::Progress::new(topo),
        }
    }

    /// Feeds one record to the monitors whose bit is set in `rules` (the others keep their
    /// state); pushes what it broke onto `out`, in monitor order. A record that does not fit
    /// `topo` is one "trace" violation and is not judged further. Returns the §6
    /// "sometimes" witness bits the record completes ([`live`], P8).
    pub fn observe(
        &mut self,
        topo: &Topology,
        rules: u16,
        rec: &StepRecord,
        out: &mut Vec<Violation>,
    ) -> u8 {
        if let Some(v) = shape(topo, rec) {
            out.push(v);
            return 0;
        }
        let seen = self.live.observe(topo, &self.before, rec);
        let before = &self.before;
        let monitors: [&mut dyn Monitor; 9] = [
            &mut self.r10,
            &mut self.r11,
            &mut self.r12,
            &mut self.r4,
            &mut self.r13,
            &mut self.r14,
            &mut self.queued,
            &mut self.r19,
            &mut self.r1,
        ];
        for (i, m) in monitors.into_iter().enumerate() {
            if rules & (1 << i) != 0 {
                m.observe(topo, before, rec, out);
            }
        }
        self.before.clone_from(&rec.view);
        seen
    }

    /// What the §6 liveness monitor has observed (operations in flight, Up nodes).
    #[must_use]
    pub fn progress(&self) -> &live::Progress {
        &self.live
    }

    /// The host view of the last record (the set-up's before the first).
    #[must_use]
    pub fn view(&self) -> &HostView {
        &self.before
    }
}

/// Every monitor, fed in lockstep.
pub struct Monitors {
    topo: Topology,
    state: MonitorState,
}

impl Monitors {
    /// Every monitor of this module, fresh, for `topo`.
    #[must_use]
    pub fn all(topo: Topology) -> Self {
        let state = MonitorState::new(&topo);
        Self { topo, state }
    }

    /// The rules checked, in order.
    #[must_use]
    pub fn rules(&self) -> Vec<&'static str> {
        RULES.to_vec()
    }

    /// The topology monitored.
    #[must_use]
    pub fn topology(&self) -> &Topology {
        &self.topo
    }

    /// Feeds one record to every monitor; what it broke, in monitor order.
    pub fn observe(&mut self, rec: &StepRecord) -> Vec<Violation> {
        let mut out = Vec::new();
        self.state.observe(&self.topo, ALL_RULES, rec, &mut out);
        out
    }
}

/// A record whose indices or view do not fit the topology cannot be judged (reported as
/// "trace" rather than a rule).
fn shape(topo: &Topology, rec: &StepRecord) -> Option<Violation> {
    let v = &rec.view;
    let (g, r) = (topo.groups.len(), topo.resources.len());
    let bad_view = v.owner.len() != g
        || v.queued.len() != g
        || v.state.len() != r
        || v.persistent.len() != r
        || v.locked.len() != r;
    let node_ok = |n: u8| usize::from(n) < topo.nodes.len();
    let bad_output = rec.outputs.iter().any(|o| match o {
        crate::replay::Obs::Call(c) => {
            !node_ok(c.node) || usize::from(c.resource) >= r || c.dest.is_some_and(|d| !node_ok(d))
        }
        crate::replay::Obs::PersistentWrite { resource, .. } => usize::from(*resource) >= r,
        _ => false,
    });
    (bad_view || bad_output).then(|| Violation {
        rule: "trace",
        step: rec.index,
        what: "the record does not fit the declared nodes, groups and resources".into(),
        expected: format!(
            "{} nodes, {g} groups, {r} resources in view and outputs",
            topo.nodes.len()
        ),
        observed: format!("{rec:?}"),
    })
}

/// The flag names of OfflineV2 bits, for messages: `0x42 (RETURN_TO_SOURCE_NODE_ON_ERROR|…)`.
#[must_use]
pub fn show_flags(bits: u32) -> String {
    let names =
        offline_v2::types::flag_names(&offline_v2::types::OfflineFlags::from_bits_retain(bits));
    if names.is_empty() {
        format!("{bits:#04x} (none)")
    } else {
        format!("{bits:#04x} ({})", names.join("|"))
    }
}
