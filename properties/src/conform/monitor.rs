//! The DLL-rule monitor: R1–R9 over what a host observes of one DLL instance.
//!
//! Feed it every [`Event`] — each call with its exact arguments, the answer and the callbacks
//! that came with it, callbacks between calls, and the end of a bounded wait — and it says, at
//! each event, whether some hidden environment (locked, busy, reachability, sync or pending
//! work, how long the work takes) explains everything seen so far. It never controls the
//! environment and never reads the DLL's memory: the same monitor judges `offline-v2
//! conform` runs on any DLL, the reference DLL under lockstep conformance, and fuzzed call
//! sequences.
//!
//! **What it keeps per resource.** The RESID, the lock the DLL last reported, and a small
//! set of *hypotheses*: each is a DLL state (R3's Offline, Online, Failed, OnlinePending,
//! OfflinePending), the status callbacks the DLL has committed to but not delivered yet, and
//! the late callbacks that may still arrive after Terminate or Close (R7 amended). Pending
//! work may finish at any moment without the host seeing it yet, so before judging an answer
//! every pending hypothesis is also taken as finished (Offline/Online or Failed, its callback
//! in flight). An answer keeps the hypotheses under which it is allowed; if none is left the
//! answer breaks a rule, named by [`rules::blame_offline`] / [`rules::blame_online`].

use std::collections::{BTreeMap, BTreeSet};

use offline_v2::types::{ErrorCode, ResourceState};
use serde::{Deserialize, Serialize};

use super::event::{unusual_args, Callback, Event, OfflineCall, OnlineCall};
use super::rules::{self, Effect, Rule};

/// A broken rule, with the event that showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// The number the caller gave the event that showed it ([`DllMonitor::observe`];
    /// `offline-v2 conform` numbers by plan step, from 1).
    pub event: u64,
    /// The resource concerned, if one.
    pub resource: Option<u8>,
    /// What happened and what R1–R9 allow instead.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at #{}: {}", self.rule, self.event, self.message)
    }
}

/// Why a status callback is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Why {
    /// Pending work started by event #n finished (R7).
    Work(u64),
    /// Event #n answered ERROR_GEN_FAILURE: the resource must be reported Failed (R8).
    GenFailure(u64),
}

/// A status callback the DLL has committed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Owed {
    state: ResourceState,
    why: Why,
}

/// One explanation of what the DLL holds for a resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Hyp {
    state: ResourceState,
    /// The event that started the pending work, while `state` is pending.
    since: Option<u64>,
    /// Status callbacks committed and not yet delivered, in order.
    owed: Vec<Owed>,
    /// Callbacks that may still arrive and are then ignored (after Terminate, Close, R8).
    late: u8,
}

impl Hyp {
    fn settled(state: ResourceState) -> Self {
        Self {
            state,
            since: None,
            owed: Vec::new(),
            late: 0,
        }
    }

    fn pending(&self) -> bool {
        matches!(
            self.state,
            ResourceState::OfflinePending | ResourceState::OnlinePending
        )
    }

    /// Nothing owed: the DLL has delivered everything it must.
    fn quiet(&self) -> bool {
        !self.pending() && self.owed.is_empty()
    }

    /// The ways pending work may have finished unseen (its callback then in flight).
    fn finished(&self) -> Vec<Hyp> {
        let target = match self.state {
            ResourceState::OfflinePending => ResourceState::Offline,
            ResourceState::OnlinePending => ResourceState::Online,
            _ => return Vec::new(),
        };
        let origin = self.since.unwrap_or(0);
        [target, ResourceState::Failed]
            .into_iter()
            .map(|end| {
                let mut h = self.clone();
                h.state = end;
                h.since = None;
                h.owed.push(Owed {
                    state: end,
                    why: Why::Work(origin),
                });
                h
            })
            .collect()
    }

    /// R8: a failure inside answered ERROR_GEN_FAILURE; the resource must be reported Failed.
    fn gen_failure(&self, index: u64) -> Hyp {
        let mut n = self.clone();
        n.late = n.late.saturating_add(u8::from(self.pending()));
        n.state = ResourceState::Failed;
        n.since = None;
        n.owed.push(Owed {
            state: ResourceState::Failed,
            why: Why::GenFailure(index),
        });
        n
    }

    /// The hypothesis after an allowed answer with `effect` to call #`index`.
    fn after(&self, effect: Effect, index: u64) -> Hyp {
        let mut n = self.clone();
        match effect {
            Effect::Same => {}
            Effect::Becomes(s) => n.state = s,
            Effect::Starts(s) => {
                n.state = s;
                n.since = Some(index);
            }
        }
        n
    }

    /// Terminate or Close: no callback is owed any more, but one in flight may still come.
    fn ended(&self) -> Hyp {
        let extra = self.owed.len() + usize::from(self.pending());
        Hyp {
            state: ResourceState::Offline,
            since: None,
            owed: Vec::new(),
            late: self
                .late
                .saturating_add(u8::try_from(extra).unwrap_or(u8::MAX)),
        }
    }

    /// A status callback `x` arrives: every way it can be explained, each marked `true` if
    /// the callback is then a late one that is ignored.
    fn on_status(&self, x: ResourceState) -> Vec<(Hyp, bool)> {
        let mut out = Vec::new();
        if let Some(first) = self.owed.first() {
            if first.state == x {
                let mut h = self.clone();
                h.owed.remove(0);
                out.push((h, false));
            }
        } else if self.pending() {
            if x == self.state {
                // A progress report (e.g. OnlinePending with a new CheckPoint) ends nothing.
                out.push((self.clone(), false));
            }
            out.extend(self.finished().into_iter().filter_map(|mut h| {
                (h.state == x).then(|| {
                    h.owed.clear();
                    (h, false)
                })
            }));
        }
        if self.late > 0 {
            let mut h = self.clone();
            h.late -= 1;
            out.push((h, true));
        }
        out
    }
}

/// Most hypotheses kept per resource (they stay far below this; a bound on every set).
const MAX_HYPS: usize = 64;

/// What the monitor knows of one resource the host opened.
#[derive(Debug, Clone)]
struct Res {
    resid: Option<u64>,
    name: String,
    /// The lock the DLL last reported (SetResourceLockedMode); never reported = unlocked.
    locked: bool,
    hyps: BTreeSet<Hyp>,
    /// A violation was reported for it: its state is no longer judged (no cascades).
    lost: bool,
    /// It was open once (a later NULL from OpenV2 breaks R8's unlimited reopening).
    opened_before: bool,
}

/// How the DLL was started: the classic `Startup` has no SetResourceLockedMode, so a lock
/// can never be reported and R4 is checked only as "never with 0x01".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartedBy {
    /// `StartupEx`.
    StartupEx,
    /// The classic `Startup`.
    Startup,
}

/// Counts of what the monitor judged (for summaries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Answers judged, by entry and code name.
    pub answers: BTreeMap<String, u64>,
    /// Status callbacks accepted as the one completion of pending work.
    pub completions: u64,
    /// ERROR_IO_PENDING answers that started work.
    pub pending: u64,
    /// Lock reports.
    pub lock_reports: u64,
    /// Late callbacks ignored (after Terminate/Close).
    pub late: u64,
}

/// R1–R9 over the observed calls, answers and callbacks of one DLL instance.
#[derive(Debug, Clone)]
pub struct DllMonitor {
    started_by: StartedBy,
    resources: BTreeMap<u8, Res>,
    /// RESIDs that were open and are closed (R2: they keep answering 5007).
    closed: BTreeSet<u64>,
    violations: Vec<Violation>,
    tally: Tally,
}

impl DllMonitor {
    /// A monitor for a DLL instance started by `started_by`.
    #[must_use]
    pub fn new(started_by: StartedBy) -> Self {
        Self {
            started_by,
            resources: BTreeMap::new(),
            closed: BTreeSet::new(),
            violations: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// Every violation so far, in order.
    #[must_use]
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// What was judged so far.
    #[must_use]
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// The resources that still owe a status callback (pending work not reported yet), with
    /// the event that started the oldest such work.
    #[must_use]
    pub fn waiting(&self) -> Vec<(u8, u64)> {
        self.resources
            .iter()
            .filter(|(_, r)| !r.lost && !r.hyps.is_empty() && r.hyps.iter().all(|h| !h.quiet()))
            .map(|(&k, r)| (k, r.hyps.iter().filter_map(oldest).min().unwrap_or(0)))
            .collect()
    }

    /// The RESID the monitor holds open for `resource`.
    #[must_use]
    pub fn resid(&self, resource: u8) -> Option<u64> {
        self.resources.get(&resource).and_then(|r| r.resid)
    }

    /// The DLL states still possible for `resource` (for summaries and tests).
    #[must_use]
    pub fn possible_states(&self, resource: u8) -> Vec<ResourceState> {
        let mut v: Vec<ResourceState> = self
            .resources
            .get(&resource)
            .map(|r| r.hyps.iter().map(|h| h.state).collect())
            .unwrap_or_default();
        v.sort();
        v.dedup();
        v
    }

    /// Judges one event; `index` numbers it in messages. Returns the first new violation.
    ///
    /// # Errors
    /// The [`Violation`] this event shows (also kept in [`DllMonitor::violations`]).
    pub fn observe(&mut self, index: u64, event: &Event) -> Result<(), Violation> {
        let before = self.violations.len();
        match event {
            Event::Open {
                resource,
                name,
                resid,
                during,
            } => {
                self.open(index, *resource, name, *resid);
                self.callbacks(index, during);
            }
            Event::Close { resid, during } => {
                self.close(*resid);
                self.callbacks(index, during);
            }
            Event::Terminate { resid, during } => {
                if let Some(res) = self.open_mut(*resid) {
                    res.hyps = res.hyps.iter().map(Hyp::ended).collect();
                }
                self.callbacks(index, during);
            }
            Event::OfflineV2 {
                call,
                answer,
                during,
            } => {
                self.offline(index, call, ErrorCode(*answer), during);
                self.callbacks(index, during);
            }
            Event::OnlineV2 {
                call,
                answer,
                during,
            } => {
                self.online(index, call, ErrorCode(*answer), during);
                self.callbacks(index, during);
            }
            Event::Callbacks { callbacks } => self.callbacks(index, callbacks),
            Event::Reset => {
                let open: Vec<u64> = self.resources.values().filter_map(|r| r.resid).collect();
                self.closed.extend(open);
                self.resources.clear();
            }
            Event::Expire => self.expire(index),
        }
        match self.violations.get(before) {
            Some(v) => Err(v.clone()),
            None => Ok(()),
        }
    }

    fn violate(&mut self, rule: Rule, event: u64, resource: Option<u8>, message: String) {
        if let Some(r) = resource.and_then(|k| self.resources.get_mut(&k)) {
            r.lost = true;
        }
        self.violations.push(Violation {
            rule,
            event,
            resource,
            message,
        });
    }

    fn key_of(&self, resid: u64) -> Option<u8> {
        self.resources
            .iter()
            .find(|(_, r)| r.resid == Some(resid))
            .map(|(&k, _)| k)
    }

    fn open_mut(&mut self, resid: u64) -> Option<&mut Res> {
        let key = self.key_of(resid)?;
        self.resources.get_mut(&key)
    }

    fn count(&mut self, entry: &str, code: ErrorCode) {
        *self
            .tally
            .answers
            .entry(format!("{entry} {code}"))
            .or_default() += 1;
    }

    fn open(&mut self, index: u64, resource: u8, name: &str, resid: Option<u64>) {
        let opened_before = self
            .resources
            .get(&resource)
            .is_some_and(|r| r.opened_before);
        let open_now = self
            .resources
            .get(&resource)
            .is_some_and(|r| r.resid.is_some());
        let Some(resid) = resid.filter(|&r| r != 0) else {
            // NULL for a resource open already is the DLL's right (one RESID per resource).
            if open_now {
                return;
            }
            if opened_before {
                self.violate(
                    Rule::R8,
                    index,
                    Some(resource),
                    format!(
                        "OpenV2({name:?}) answered NULL although it opened this resource \
                         before: OpenV2/Close may repeat without limit"
                    ),
                );
            }
            if let Some(r) = self.resources.get_mut(&resource) {
                r.resid = None;
            }
            return;
        };
        if let Some(other) = self.key_of(resid) {
            let other_name = self.resources[&other].name.clone();
            self.violate(
                Rule::R2,
                index,
                Some(resource),
                format!(
                    "OpenV2({name:?}) returned RESID {resid:#x}, which is open for \
                     {other_name:?}: one RESID per resource"
                ),
            );
        } else if self.closed.contains(&resid) {
            self.violate(
                Rule::R2,
                index,
                Some(resource),
                format!(
                    "OpenV2({name:?}) returned RESID {resid:#x}, which was closed before: \
                     a closed RESID must keep answering ERROR_RESOURCE_NOT_FOUND (R2; R8: \
                     at least until 2^32 later opens), so it may not name a new resource"
                ),
            );
        }
        let lost = self
            .violations
            .last()
            .is_some_and(|v| v.event == index && v.resource == Some(resource));
        self.resources.insert(
            resource,
            Res {
                resid: Some(resid),
                name: name.to_owned(),
                locked: false,
                // Open does not say what the DLL found: a running workload is Online.
                hyps: [ResourceState::Offline, ResourceState::Online]
                    .into_iter()
                    .map(Hyp::settled)
                    .collect(),
                lost,
                opened_before: true,
            },
        );
    }

    fn close(&mut self, resid: u64) {
        if let Some(key) = self.key_of(resid) {
            self.closed.insert(resid);
            if let Some(r) = self.resources.get_mut(&key) {
                r.resid = None;
                // A callback already in delivery may still come (R7 amended).
                r.hyps = r.hyps.iter().map(Hyp::ended).collect();
            }
        }
    }

    /// The locks the answer may have seen: the last report before the call, and every
    /// report that came with it (a classic-Startup DLL cannot report: either).
    fn locks_seen(&self, key: u8, during: &[Callback]) -> Vec<bool> {
        if self.started_by == StartedBy::Startup {
            return vec![false, true];
        }
        let mut seen = vec![self.resources.get(&key).is_some_and(|r| r.locked)];
        seen.extend(during.iter().filter_map(|c| match *c {
            Callback::LockedMode { resource, locked } if resource == key => Some(locked),
            _ => None,
        }));
        seen.sort_unstable();
        seen.dedup();
        seen
    }

    fn offline(&mut self, index: u64, call: &OfflineCall, answer: ErrorCode, during: &[Callback]) {
        self.count("OfflineV2", answer);
        if let Some(why) = rules::offline_invalid(call) {
            let text = format!(
                "{} answered {answer}; R1 requires ERROR_INVALID_PARAMETER ({why}), before the \
                 RESID is looked at (R9: R1 before R2)",
                describe_offline(call)
            );
            self.validation(index, call.resid, answer, Rule::R1, text);
            return;
        }
        let Some(key) = self.key_of(call.resid) else {
            self.unknown_resid(index, &describe_offline(call), call.resid, answer);
            return;
        };
        let locks = self.locks_seen(key, during);
        let judged = |state, locked| rules::offline_outcomes(state, locked, call);
        let known = self.known_states(key);
        let outcome = self.judge(key, index, answer, &locks, &judged, true);
        if let Err((state, locked, allowed)) = outcome {
            let (rule, why) = rules::blame_offline(call, state, locked, answer);
            self.violate(
                rule,
                index,
                Some(key),
                format!(
                    "{} answered {answer}; by what the DLL reported the resource is {known}{}, \
                     so R1-R9 allow {}: {why}",
                    describe_offline(call),
                    if locked { " and locked" } else { "" },
                    rules::describe_codes(&allowed)
                ),
            );
        }
    }

    fn online(&mut self, index: u64, call: &OnlineCall, answer: ErrorCode, during: &[Callback]) {
        self.count("OnlineV2", answer);
        let text = describe_online(call);
        if let Some(why) = rules::online_invalid(call) {
            let text = format!(
                "{text} answered {answer}; OnlineV2 validates like R1 (R8): \
                 ERROR_INVALID_PARAMETER ({why}), before the RESID is looked at"
            );
            self.validation(index, call.resid, answer, Rule::R8, text);
            return;
        }
        let Some(key) = self.key_of(call.resid) else {
            self.unknown_resid(index, &text, call.resid, answer);
            return;
        };
        let locks = self.locks_seen(key, during);
        let judged = |state, _locked| rules::online_outcomes(state);
        let known = self.known_states(key);
        if let Err((state, _, allowed)) = self.judge(key, index, answer, &locks, &judged, false) {
            let (rule, why) = rules::blame_online(state, answer);
            self.violate(
                rule,
                index,
                Some(key),
                format!(
                    "{text} answered {answer}; by what the DLL reported the resource is \
                     {known}, so R1-R9 allow {}: {why}",
                    rules::describe_codes(&allowed)
                ),
            );
        }
    }

    /// `Online`, or `Offline or Online` (just opened), … — what the host knows of the state.
    fn known_states(&self, key: u8) -> String {
        let mut names: Vec<&str> = self.resources.get(&key).map_or(Vec::new(), |r| {
            r.hyps.iter().map(|h| h.state.name()).collect()
        });
        names.sort_unstable();
        names.dedup();
        if names.len() > 1 {
            format!("{} (not known which)", names.join(" or "))
        } else {
            names.join("")
        }
    }

    /// Arguments the call's validation rejects: exactly ERROR_INVALID_PARAMETER, else `rule`
    /// is broken — or R9 if the RESID was looked at first (ERROR_RESOURCE_NOT_FOUND).
    fn validation(&mut self, index: u64, resid: u64, answer: ErrorCode, rule: Rule, text: String) {
        if answer == ErrorCode::ERROR_INVALID_PARAMETER {
            return;
        }
        let rule = if answer == ErrorCode::ERROR_RESOURCE_NOT_FOUND {
            Rule::R9
        } else {
            rule
        };
        let key = self.key_of(resid);
        self.violate(rule, index, key, text);
    }

    fn unknown_resid(&mut self, index: u64, text: &str, resid: u64, answer: ErrorCode) {
        if answer != ErrorCode::ERROR_RESOURCE_NOT_FOUND {
            let what = if resid == 0 {
                "RESID 0"
            } else if self.closed.contains(&resid) {
                "a closed RESID"
            } else {
                "a RESID the DLL never returned (forged)"
            };
            self.violate(
                Rule::R2,
                index,
                None,
                format!("{text} answered {answer}; {what} answers ERROR_RESOURCE_NOT_FOUND"),
            );
        }
    }

    /// Keeps the hypotheses of `key` under which `answer` is allowed (GEN_FAILURE always is,
    /// R8, and then owes a Failed report). On failure: the state and lock to blame, and the
    /// allowed codes.
    #[allow(clippy::type_complexity)]
    fn judge(
        &mut self,
        key: u8,
        index: u64,
        answer: ErrorCode,
        locks: &[bool],
        outcomes: &dyn Fn(ResourceState, bool) -> Vec<(ErrorCode, Effect)>,
        prefer_online: bool,
    ) -> Result<(), (ResourceState, bool, Vec<ErrorCode>)> {
        let Some(res) = self.resources.get_mut(&key) else {
            return Ok(());
        };
        if res.lost {
            return Ok(());
        }
        let first = res.hyps.iter().next().cloned();
        let candidates: Vec<Hyp> = res
            .hyps
            .iter()
            .flat_map(|h| std::iter::once(h.clone()).chain(h.finished()))
            .collect();
        let mut allowed = vec![ErrorCode::ERROR_GEN_FAILURE];
        let mut next = BTreeSet::new();
        let mut started = false;
        for h in &candidates {
            if answer == ErrorCode::ERROR_GEN_FAILURE {
                next.insert(h.gen_failure(index));
                continue;
            }
            for &locked in locks {
                for (code, effect) in outcomes(h.state, locked) {
                    allowed.push(code);
                    if code == answer {
                        started |= matches!(effect, Effect::Starts(_));
                        next.insert(h.after(effect, index));
                    }
                }
            }
        }
        if next.is_empty() {
            // Blame the state R3 lets through to R4-R7 when it is possible (a just-opened
            // resource may be Online or Offline), else the state the DLL last reported.
            let online = candidates.iter().any(|h| h.state == ResourceState::Online);
            let blamed = if online && prefer_online {
                ResourceState::Online
            } else {
                first.map_or(ResourceState::Online, |h| h.state)
            };
            let locked = locks.iter().any(|&l| l);
            return Err((blamed, locked, allowed));
        }
        if started {
            self.tally.pending += 1;
        }
        res.hyps = next.into_iter().take(MAX_HYPS).collect();
        Ok(())
    }

    fn callbacks(&mut self, index: u64, callbacks: &[Callback]) {
        for &c in callbacks {
            self.callback(index, c);
        }
    }

    fn callback(&mut self, index: u64, c: Callback) {
        let key = c.resource();
        let Some(res) = self.resources.get_mut(&key) else {
            if matches!(c, Callback::Status { .. }) {
                self.violate(
                    Rule::R7,
                    index,
                    Some(key),
                    format!("{c:?} for a resource the host never opened"),
                );
            }
            return;
        };
        match c {
            Callback::LockedMode { locked, .. } => {
                res.locked = locked;
                self.tally.lock_reports += 1;
            }
            Callback::EmbeddedFailure { .. } => {
                // R21: the DLL reports an Online resource Failed.
                res.hyps = res
                    .hyps
                    .iter()
                    .map(|h| {
                        let mut n = h.clone();
                        if n.state == ResourceState::Online {
                            n.state = ResourceState::Failed;
                        }
                        n
                    })
                    .collect();
            }
            Callback::Status { state, .. } => self.status(index, key, state),
        }
    }

    /// A status callback: it must end pending work (or be a progress report, or a late one
    /// after Terminate/Close), exactly once per ERROR_IO_PENDING (R7).
    fn status(&mut self, index: u64, key: u8, state: ResourceState) {
        let Some(res) = self.resources.get_mut(&key) else {
            return;
        };
        if res.lost {
            return;
        }
        let explained: Vec<(Hyp, bool)> =
            res.hyps.iter().flat_map(|h| h.on_status(state)).collect();
        if explained.is_empty() {
            let name = res.name.clone();
            let why = if res.hyps.iter().any(|h| !h.quiet()) {
                format!(
                    "it does not end the pending work (an offline ends Offline or Failed, an \
                     online Online or Failed; expected {})",
                    expected_status(&res.hyps)
                )
            } else {
                "no work is pending and none finished unreported: ERROR_IO_PENDING gets \
                 exactly one status callback (a second completion?)"
                    .to_owned()
            };
            self.violate(
                Rule::R7,
                index,
                Some(key),
                format!("SetResourceStatusEx({name:?}, {state}): {why}"),
            );
            return;
        }
        if explained.iter().all(|(_, late)| *late) {
            self.tally.late += 1;
        } else if !matches!(
            state,
            ResourceState::OnlinePending | ResourceState::OfflinePending
        ) {
            self.tally.completions += 1;
        }
        res.hyps = explained
            .into_iter()
            .map(|(h, _)| h)
            .take(MAX_HYPS)
            .collect();
    }

    fn expire(&mut self, index: u64) {
        let keys: Vec<u8> = self.resources.keys().copied().collect();
        for key in keys {
            let Some(res) = self.resources.get_mut(&key) else {
                continue;
            };
            if res.lost || res.hyps.is_empty() {
                continue;
            }
            let quiet: BTreeSet<Hyp> = res.hyps.iter().filter(|h| h.quiet()).cloned().collect();
            if !quiet.is_empty() {
                res.hyps = quiet;
                continue;
            }
            let name = res.name.clone();
            let gen_failure = res.hyps.iter().all(|h| {
                h.owed
                    .first()
                    .is_some_and(|o| matches!(o.why, Why::GenFailure(_)))
            });
            let since = res.hyps.iter().filter_map(oldest).min().unwrap_or(0);
            let (rule, message) = if gen_failure {
                (
                    Rule::R8,
                    format!(
                        "call #{since} answered ERROR_GEN_FAILURE for {name:?} but the DLL never \
                         reported the resource Failed (SetResourceStatusEx) within the wait"
                    ),
                )
            } else {
                (
                    Rule::R7,
                    format!(
                        "call #{since} answered ERROR_IO_PENDING for {name:?} and no status \
                         callback came within the wait (exactly one is due: {})",
                        expected_status(&res.hyps)
                    ),
                )
            };
            self.violate(rule, index, Some(key), message);
        }
    }
}

/// The event that started the oldest work a hypothesis still owes a callback for.
fn oldest(h: &Hyp) -> Option<u64> {
    let owed = h.owed.iter().map(|o| match o.why {
        Why::Work(n) | Why::GenFailure(n) => n,
    });
    owed.chain(h.since).min()
}

fn expected_status(hyps: &BTreeSet<Hyp>) -> String {
    let mut states: Vec<&str> = hyps
        .iter()
        .flat_map(|h| {
            let mut v: Vec<&str> = h.owed.first().map(|o| o.state.name()).into_iter().collect();
            match h.state {
                ResourceState::OfflinePending if h.owed.is_empty() => {
                    v.extend(["Offline", "Failed"]);
                }
                ResourceState::OnlinePending if h.owed.is_empty() => {
                    v.extend(["Online", "Failed"]);
                }
                _ => {}
            }
            v
        })
        .collect();
    states.sort_unstable();
    states.dedup();
    states.join(" or ")
}

/// `OfflineV2(RESID 0x…, dest, flags 0x…, …)`.
#[must_use]
pub fn describe_offline(c: &OfflineCall) -> String {
    format!(
        "OfflineV2(RESID {:#x}, dest {}, flags {:#04x}{})",
        c.resid,
        c.dest.describe(),
        c.flags,
        unusual_args(c.inbuf, c.inbuf_size, c.reserved)
    )
}

/// `OnlineV2(RESID 0x…, …)`.
#[must_use]
pub fn describe_online(c: &OnlineCall) -> String {
    format!(
        "OnlineV2(RESID {:#x}{})",
        c.resid,
        unusual_args(c.inbuf, c.inbuf_size, c.reserved)
    )
}
