//! The model's state described with names (issue 14): the one place that reads a model state
//! for people — counterexample traces of `check`, the Explorer's state view — so that a change
//! of the model's encoding changes only [`facts`].
//!
//! A state is a list of named facts (`node n2` = `Down`, `group g1 owner` = `n1`, `resource
//! vm1 state` = `OfflinePending`, …); a trace shows, after each step, the facts that changed
//! and the step's outputs (return code, DLL calls with flag names, completions), and for a
//! liveness counterexample the accepted operations that never complete.

use std::collections::BTreeMap;

use offline_v2_model::actions::Action;
use offline_v2_model::config::ModelConfig;

use crate::conformance::step_of_action;
use crate::model_side::ModelSide;
use crate::outcome::{Change, Trace, TraceStep};
use crate::replay::{Names, Obs, Side};
use crate::scenario::{Event, Scenario, Step};

/// The named facts of the model side's current state, in declaration order.
#[must_use]
pub fn facts(scenario: &Scenario, side: &ModelSide) -> Vec<(String, String)> {
    let view = side.view();
    let names = Names(scenario);
    let mut out = Vec::new();
    for (n, node) in scenario.nodes.iter().enumerate() {
        let up = side.state().is_up(n);
        out.push((
            format!("node {node}"),
            if up { "Up" } else { "Down" }.into(),
        ));
    }
    for (g, group) in scenario.groups.iter().enumerate() {
        let owner = view.owner.get(g).map_or("?", |o| names.node(*o));
        out.push((format!("group {} owner", group.name), owner.to_owned()));
        let queued = view.queued.get(g).copied().unwrap_or(false);
        out.push((
            format!("group {} queued move", group.name),
            if queued { "yes" } else { "no" }.into(),
        ));
    }
    for (r, name) in scenario.resource_names().enumerate() {
        if let Some(s) = view.state.get(r) {
            out.push((format!("resource {name} state"), s.name().to_owned()));
        }
        if let Some(p) = view.persistent.get(r) {
            out.push((format!("resource {name} persistent"), format!("{p:?}")));
        }
        if let Some(l) = view.locked.get(r) {
            out.push((
                format!("resource {name} locked"),
                if *l { "yes" } else { "no" }.into(),
            ));
        }
    }
    out
}

/// The facts in a compact view: one line per node, group and resource, its facts joined
/// (`group g1: owner n1, queued move no`; `resource r1: state Online, persistent Online,
/// locked no`).
#[must_use]
pub fn compact(facts: &[(String, String)]) -> String {
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    for (what, value) in facts {
        let mut words = what.splitn(3, ' ');
        let subject = format!(
            "{} {}",
            words.next().unwrap_or_default(),
            words.next().unwrap_or_default()
        );
        let item = match words.next() {
            Some(attribute) => format!("{attribute} {value}"),
            None => value.clone(),
        };
        match lines.last_mut() {
            Some((s, items)) if *s == subject => items.push(item),
            _ => lines.push((subject, vec![item])),
        }
    }
    lines
        .iter()
        .map(|(subject, items)| format!("{subject}: {}\n", items.join(", ")))
        .collect()
}

/// The facts that differ between two descriptions of the same set-up.
#[must_use]
pub fn changes(before: &[(String, String)], after: &[(String, String)]) -> Vec<Change> {
    let old: BTreeMap<&str, &str> = before
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    after
        .iter()
        .filter_map(|(what, to)| {
            let from = old.get(what.as_str()).copied().unwrap_or("-");
            (from != to).then(|| Change {
                what: what.clone(),
                from: from.to_owned(),
                to: to.clone(),
            })
        })
        .collect()
}

/// The step of `action` as one line of scenario JSON.
#[must_use]
pub fn step_json(setup: &Scenario, action: &Action) -> serde_json::Value {
    serde_json::to_value(step_of_action(setup, action)).unwrap_or_default()
}

/// The step of `action` taken by `side` next, as scenario JSON: a `Timeout`/`Retry` as the
/// `tick` that makes it due (M15; [`ModelSide::concrete_tick`]), or `null` for one an earlier
/// tick already made due.
fn next_step_json(setup: &Scenario, side: &ModelSide, action: &Action) -> serde_json::Value {
    match action {
        Action::Timeout(_) | Action::Retry(_) => side
            .concrete_tick(action)
            .map(|ms| serde_json::to_value(Step::Event(Event::Tick(ms.into()))).unwrap_or_default())
            .unwrap_or_default(),
        other => step_json(setup, other),
    }
}

/// `path` replayed on the model `cfg` (set up as `setup`), with the changes after each step
/// and, if `liveness`, the accepted operations still not complete at its end.
///
/// # Errors
/// The model cannot be set up as `setup` says.
pub fn trace(
    setup: &Scenario,
    cfg: &ModelConfig,
    path: &[Action],
    liveness: bool,
) -> Result<Trace, String> {
    let names = Names(setup);
    let mut side = ModelSide::with_config(setup, cfg.clone())?;
    let mut before = facts(setup, &side);
    let mut pending: Vec<(u32, String)> = Vec::new();
    let mut steps = Vec::new();
    for (i, action) in path.iter().enumerate() {
        let step = next_step_json(setup, &side, action);
        let outputs = side.apply(action);
        for o in &outputs {
            match *o {
                Obs::Returned { op: Some(op), .. } => {
                    pending.push((op, format!("op {op}: step {} {step}", i + 1)));
                }
                Obs::Completed { op, .. } => pending.retain(|(p, _)| *p != op),
                _ => {}
            }
        }
        let after = facts(setup, &side);
        steps.push(TraceStep {
            step,
            outputs: outputs.iter().map(|o| names.obs(o)).collect(),
            changes: changes(&before, &after),
        });
        before = after;
    }
    Ok(Trace {
        steps,
        never_completes: if liveness {
            pending.into_iter().map(|(_, text)| text).collect()
        } else {
            Vec::new()
        },
    })
}

/// The trace as indented text: each step, its outputs, then what changed.
#[must_use]
pub fn trace_text(trace: &Trace) -> String {
    let mut out = String::new();
    for (i, s) in trace.steps.iter().enumerate() {
        out.push_str(&format!("    {:>3}. {}\n", i + 1, s.step));
        for o in &s.outputs {
            out.push_str(&format!("           → {o}\n"));
        }
        for c in &s.changes {
            out.push_str(&format!("           {}: {} → {}\n", c.what, c.from, c.to));
        }
    }
    for op in &trace.never_completes {
        out.push_str(&format!("    never completes: {op}\n"));
    }
    out
}
