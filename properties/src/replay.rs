//! Replays SPEC §7 scenarios on the implementation and on the model, step by step.
//!
//! Both sides implement [`Side`]: they take the scenario's calls and events and answer with
//! [`Obs`]ervations in a common vocabulary (indices in declaration order, raw codes and bits),
//! and show their host view ([`HostView`]). After every call or event the two sides' outputs
//! are compared (lockstep); expectations (`expect`, `check`, `check_calls`,
//! `check_completions`) are compared with each side. Every failure names the step, what was
//! expected, what each side produced and which side diverged.

use std::fmt::{self, Write as _};

use offline_v2::types::{flag_names, ErrorCode, OfflineFlags, PersistentState, ResourceState};

use crate::scenario::{Call, CallEntry, Event, Scenario, Step};

/// An entry point in an observation (Open and Close are never compared with `check_calls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObsEntry {
    /// OpenV2.
    Open,
    /// Close.
    Close,
    /// OnlineV2.
    OnlineV2,
    /// OfflineV2.
    OfflineV2,
    /// Terminate.
    Terminate,
}

impl ObsEntry {
    /// The `check_calls` entry, if it is one.
    #[must_use]
    pub fn listed(self) -> Option<CallEntry> {
        match self {
            Self::OnlineV2 => Some(CallEntry::OnlineV2),
            Self::OfflineV2 => Some(CallEntry::OfflineV2),
            Self::Terminate => Some(CallEntry::Terminate),
            Self::Open | Self::Close => None,
        }
    }
}

/// What an outside observer sees a side do, in order (D5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Obs {
    /// The call's return code, and the operation id if accepted.
    Returned {
        /// Code.
        code: u32,
        /// Operation id (0, 1, … in acceptance order).
        op: Option<u32>,
    },
    /// A DLL call by the host.
    Call {
        /// Node index.
        node: u8,
        /// Entry point.
        entry: ObsEntry,
        /// Resource index.
        resource: u8,
        /// Destination node index (OfflineV2).
        dest: Option<u8>,
        /// OfflineV2 flag bits.
        flags: u32,
        /// The DLL's answer, when the side knows it.
        result: Option<u32>,
    },
    /// Persistent state written.
    PersistentWrite {
        /// Resource index.
        resource: u8,
        /// Value.
        state: PersistentState,
    },
    /// Operation completed.
    Completed {
        /// Operation id.
        op: u32,
        /// Result code.
        result: u32,
    },
}

impl Obs {
    /// Equality that ignores a call result that only one side reports.
    #[must_use]
    pub fn matches(&self, other: &Obs) -> bool {
        match (self, other) {
            (
                Obs::Call {
                    node,
                    entry,
                    resource,
                    dest,
                    flags,
                    result,
                },
                Obs::Call {
                    node: n2,
                    entry: e2,
                    resource: r2,
                    dest: d2,
                    flags: f2,
                    result: res2,
                },
            ) => {
                node == n2
                    && entry == e2
                    && resource == r2
                    && dest == d2
                    && flags == f2
                    && (result.is_none() || res2.is_none() || result == res2)
            }
            _ => self == other,
        }
    }
}

/// A side's host view (SPEC §7 `check`): per group and per resource, declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostView {
    /// Owner node index per group.
    pub owner: Vec<u8>,
    /// Queued per group.
    pub queued: Vec<bool>,
    /// State per resource.
    pub state: Vec<ResourceState>,
    /// Persistent state per resource.
    pub persistent: Vec<PersistentState>,
    /// Locked per resource.
    pub locked: Vec<bool>,
}

/// One system under replay: the implementation or the model.
pub trait Side {
    /// "impl" or "model".
    fn name(&self) -> &'static str;
    /// Applies a call; the first observation is `Returned`.
    fn call(&mut self, call: &Call) -> Vec<Obs>;
    /// Applies an event.
    fn event(&mut self, event: &Event) -> Vec<Obs>;
    /// The host view now.
    fn view(&self) -> HostView;
}

/// Names for printing observations.
pub struct Names<'s>(pub &'s Scenario);

impl Names<'_> {
    fn node(&self, i: u8) -> &str {
        self.0.nodes.get(usize::from(i)).map_or("?", String::as_str)
    }
    fn resource(&self, i: u8) -> &str {
        self.0.resource_names().nth(usize::from(i)).unwrap_or("?")
    }
    /// One observation as text.
    #[must_use]
    pub fn obs(&self, o: &Obs) -> String {
        match *o {
            Obs::Returned { code, op } => match op {
                Some(op) => format!("returned {} (op {op})", ErrorCode(code)),
                None => format!("returned {}", ErrorCode(code)),
            },
            Obs::Call {
                node,
                entry,
                resource,
                dest,
                flags,
                result,
            } => {
                let mut s = format!("{}: {entry:?}({}", self.node(node), self.resource(resource));
                if entry == ObsEntry::OfflineV2 {
                    let dest = dest.map_or("null", |d| self.node(d));
                    let names = flag_names(&OfflineFlags::from_bits_retain(flags));
                    let _ = write!(s, ", dest {dest}, [{}]", names.join("|"));
                }
                s.push(')');
                if let Some(r) = result {
                    let _ = write!(s, " = {}", ErrorCode(r));
                }
                s
            }
            Obs::PersistentWrite { resource, state } => {
                format!("persistent {} := {state:?}", self.resource(resource))
            }
            Obs::Completed { op, result } => format!("op {op} completed {}", ErrorCode(result)),
        }
    }
    /// A host view, one line per group and resource.
    #[must_use]
    pub fn view(&self, v: &HostView) -> String {
        let mut lines = Vec::new();
        for (g, group) in self.0.groups.iter().enumerate() {
            let owner = v.owner.get(g).map_or("?", |o| self.node(*o));
            let queued = v.queued.get(g).copied().unwrap_or(false);
            lines.push(format!(
                "group {}: owner {owner}{}",
                group.name,
                if queued { ", queued" } else { "" }
            ));
        }
        for (r, name) in self.0.resource_names().enumerate() {
            let state = v.state.get(r).map_or("?", |s| s.name());
            let persistent = v.persistent.get(r).map_or("?", |s| s.name());
            let locked = v.locked.get(r).copied().unwrap_or(false);
            lines.push(format!(
                "{name}: {state}, persistent {persistent}{}",
                if locked { ", locked" } else { "" }
            ));
        }
        lines.join("\n")
    }

    /// A list of observations, one per line.
    #[must_use]
    pub fn list(&self, list: &[Obs]) -> String {
        if list.is_empty() {
            return "    (nothing)".into();
        }
        list.iter()
            .map(|o| format!("    {}", self.obs(o)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    /// 0-based step index.
    pub step: usize,
    /// What was being compared.
    pub what: String,
    /// The expectation (or, for a lockstep difference, "impl and model agree").
    pub expected: String,
    /// Per side: (side name, what it produced).
    pub produced: Vec<(&'static str, String)>,
    /// The side(s) that diverged.
    pub diverged: Vec<&'static str>,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "step {}: {} — diverged: {}",
            self.step,
            self.what,
            self.diverged.join(", ")
        )?;
        writeln!(f, "  expected:\n{}", indent(&self.expected))?;
        for (side, text) in &self.produced {
            writeln!(f, "  {side} produced:\n{}", indent(text))?;
        }
        Ok(())
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("    ") {
                l.to_owned()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The outcome of one scenario.
#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    /// Steps applied.
    pub steps: usize,
    /// Failures (the run stops at the first lockstep divergence; expectation failures are all
    /// collected).
    pub failures: Vec<StepFailure>,
}

impl ReplayReport {
    /// True if every step held.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

struct SideLog {
    calls: Vec<Obs>,
    completions: Vec<(u32, u32)>,
    /// op id → the step index of the call that returned it.
    op_steps: Vec<(u32, usize)>,
}

/// Replays `scenario` on every side in `sides` (one or two), comparing as described above.
pub fn replay(scenario: &Scenario, sides: &mut [&mut dyn Side]) -> ReplayReport {
    let names = Names(scenario);
    let mut report = ReplayReport::default();
    let mut logs: Vec<SideLog> = sides
        .iter()
        .map(|_| SideLog {
            calls: Vec::new(),
            completions: Vec::new(),
            op_steps: Vec::new(),
        })
        .collect();
    for (index, step) in scenario.steps.iter().enumerate() {
        report.steps = index + 1;
        match step {
            Step::Call { .. } | Step::Event(_) => {
                let outputs: Vec<Vec<Obs>> = sides
                    .iter_mut()
                    .map(|side| match step {
                        Step::Call { call, .. } => side.call(call),
                        Step::Event(event) => side.event(event),
                        _ => Vec::new(),
                    })
                    .collect();
                for (log, out) in logs.iter_mut().zip(&outputs) {
                    for o in out {
                        match *o {
                            Obs::Returned { op: Some(op), .. } => log.op_steps.push((op, index)),
                            Obs::Call { entry, .. } if entry.listed().is_some() => {
                                log.calls.push(*o)
                            }
                            Obs::Completed { op, result } => log.completions.push((op, result)),
                            _ => {}
                        }
                    }
                }
                if let [a, b] = outputs.as_slice() {
                    let same = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.matches(y));
                    if !same {
                        report.failures.push(StepFailure {
                            step: index,
                            what: "impl and model disagree (lockstep)".into(),
                            expected: "the same outputs from both sides".into(),
                            produced: sides
                                .iter()
                                .zip(&outputs)
                                .map(|(s, o)| (s.name(), names.list(o)))
                                .collect(),
                            diverged: sides.iter().map(|s| s.name()).collect(),
                        });
                        return report;
                    }
                }
                // Refinement mapping: after every step both host views must agree.
                if let [a, b] = sides {
                    let (va, vb) = (a.view(), b.view());
                    if va != vb {
                        report.failures.push(StepFailure {
                            step: index,
                            what: "impl and model host views disagree after the step".into(),
                            expected: "the same host view on both sides".into(),
                            produced: vec![
                                (a.name(), names.view(&va)),
                                (b.name(), names.view(&vb)),
                            ],
                            diverged: vec![a.name(), b.name()],
                        });
                        return report;
                    }
                }
                if let Step::Call {
                    expect: Some(code), ..
                } = step
                {
                    let got: Vec<Option<u32>> = outputs
                        .iter()
                        .map(|o| {
                            o.iter().find_map(|x| match x {
                                Obs::Returned { code, .. } => Some(*code),
                                _ => None,
                            })
                        })
                        .collect();
                    expectation(
                        &mut report,
                        sides,
                        index,
                        "return code",
                        &code.to_string(),
                        &got,
                        |g| *g == Some(code.0),
                        |g| g.map_or("no return".into(), |c| ErrorCode(c).to_string()),
                    );
                }
            }
            Step::Check(check) => {
                let views: Vec<HostView> = sides.iter().map(|s| s.view()).collect();
                let ri = |r: &str| scenario.resource_names().position(|x| x == r).unwrap_or(0);
                let gi = |g: &str| {
                    scenario
                        .groups
                        .iter()
                        .position(|x| x.name == g)
                        .unwrap_or(0)
                };
                // One row per checked entry: (what, expected, what each side shows).
                let mut lines: Vec<(String, String, Vec<String>)> = Vec::new();
                let mut row =
                    |what: String, expected: String, shown: &dyn Fn(&HostView) -> String| {
                        lines.push((what, expected, views.iter().map(shown).collect()));
                    };
                for (g, n) in &check.owner {
                    row(format!("owner {g}"), n.clone(), &|v| {
                        names
                            .node(v.owner.get(gi(g)).copied().unwrap_or(u8::MAX))
                            .to_owned()
                    });
                }
                for (r, s) in &check.state {
                    row(format!("state {r}"), s.name().to_owned(), &|v| {
                        v.state.get(ri(r)).map_or("?", |x| x.name()).to_owned()
                    });
                }
                for (r, s) in &check.persistent {
                    row(format!("persistent {r}"), s.name().to_owned(), &|v| {
                        v.persistent.get(ri(r)).map_or("?", |x| x.name()).to_owned()
                    });
                }
                for (r, b) in &check.locked {
                    row(format!("locked {r}"), b.to_string(), &|v| {
                        v.locked.get(ri(r)).map_or("?".into(), ToString::to_string)
                    });
                }
                for (g, b) in &check.queued {
                    row(format!("queued {g}"), b.to_string(), &|v| {
                        v.queued.get(gi(g)).map_or("?".into(), ToString::to_string)
                    });
                }
                for (what, expected, got) in lines {
                    expectation(
                        &mut report,
                        sides,
                        index,
                        &what,
                        &expected,
                        &got,
                        |g| g.eq_ignore_ascii_case(&expected),
                        Clone::clone,
                    );
                }
            }
            Step::CheckCalls(expected) => {
                let want: Vec<String> = expected
                    .iter()
                    .map(|c| {
                        let mut s = format!("{}: {:?}({}", c.node, c.entry, c.resource);
                        if c.entry == CallEntry::OfflineV2 {
                            let _ = write!(
                                s,
                                ", dest {}, [{}]",
                                c.dest.as_deref().unwrap_or("null"),
                                flag_names(&c.flags).join("|")
                            );
                        }
                        s.push(')');
                        s
                    })
                    .collect();
                let got: Vec<Vec<(String, Option<u32>)>> = logs
                    .iter_mut()
                    .map(|log| {
                        log.calls
                            .drain(..)
                            .map(|o| match o {
                                Obs::Call {
                                    node,
                                    entry,
                                    resource,
                                    dest,
                                    flags,
                                    result,
                                } => (
                                    names.obs(&Obs::Call {
                                        node,
                                        entry,
                                        resource,
                                        dest,
                                        flags,
                                        result: None,
                                    }),
                                    result,
                                ),
                                other => (names.obs(&other), None),
                            })
                            .collect()
                    })
                    .collect();
                let ok = |g: &Vec<(String, Option<u32>)>| {
                    g.len() == want.len()
                        && g.iter().zip(&want).zip(expected).all(|(((t, r), w), e)| {
                            t == w && e.result.is_none_or(|er| r.is_none_or(|rr| rr == er.0))
                        })
                };
                let show = |g: &Vec<(String, Option<u32>)>| -> String {
                    if g.is_empty() {
                        return "(nothing)".into();
                    }
                    g.iter()
                        .map(|(t, r)| match r {
                            Some(r) => format!("{t} = {}", ErrorCode(*r)),
                            None => t.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                let expected_text = if want.is_empty() {
                    "(nothing)".into()
                } else {
                    want.iter()
                        .zip(expected)
                        .map(|(w, e)| match e.result {
                            Some(r) => format!("{w} = {r}"),
                            None => w.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                expectation(
                    &mut report,
                    sides,
                    index,
                    "check_calls",
                    &expected_text,
                    &got,
                    ok,
                    show,
                );
            }
            Step::CheckCompletions(expected) => {
                let want: Vec<String> = expected
                    .iter()
                    .map(|c| format!("step {} → {}", c.step, c.result))
                    .collect();
                let got: Vec<Vec<String>> = logs
                    .iter_mut()
                    .map(|log| {
                        let op_steps = log.op_steps.clone();
                        log.completions
                            .drain(..)
                            .map(|(op, result)| {
                                let step = op_steps.iter().find(|(o, _)| *o == op).map_or_else(
                                    || format!("op {op}"),
                                    |(_, s)| format!("step {s}"),
                                );
                                format!("{step} → {}", ErrorCode(result))
                            })
                            .collect()
                    })
                    .collect();
                let joined = |v: &Vec<String>| {
                    if v.is_empty() {
                        "(nothing)".to_owned()
                    } else {
                        v.join("\n")
                    }
                };
                let expected_text = joined(&want);
                expectation(
                    &mut report,
                    sides,
                    index,
                    "check_completions",
                    &expected_text,
                    &got,
                    |g| *g == want,
                    joined,
                );
            }
        }
    }
    report
}

#[allow(clippy::too_many_arguments)]
fn expectation<T>(
    report: &mut ReplayReport,
    sides: &[&mut dyn Side],
    step: usize,
    what: &str,
    expected: &str,
    got: &[T],
    ok: impl Fn(&T) -> bool,
    show: impl Fn(&T) -> String,
) {
    let diverged: Vec<&'static str> = sides
        .iter()
        .zip(got)
        .filter(|(_, g)| !ok(g))
        .map(|(s, _)| s.name())
        .collect();
    if !diverged.is_empty() {
        report.failures.push(StepFailure {
            step,
            what: what.to_owned(),
            expected: expected.to_owned(),
            produced: sides
                .iter()
                .zip(got)
                .map(|(s, g)| (s.name(), show(g)))
                .collect(),
            diverged,
        });
    }
}
