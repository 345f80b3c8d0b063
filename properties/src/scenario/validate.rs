//! The checks a scenario passes after it was read: what `serde` cannot see — well-formed and
//! unique declarations, and that events and checks name only declared things (SPEC §7).
//! Every problem comes with its JSON path.

use offline_v2::types::NodeName;

use super::{Call, CallEntry, Check, Event, ExpectedCall, Scenario, Step};

/// `($.json.path, message)`.
type Problem = (String, String);

/// The declared names, for lookups.
struct Declared<'a> {
    nodes: &'a [String],
    groups: Vec<&'a str>,
    resources: Vec<&'a str>,
}

impl Declared<'_> {
    fn node(&self, name: &str, at: &str) -> Result<(), Problem> {
        known(self.nodes.iter().any(|n| n == name), "node", name, at)
    }
    fn group(&self, name: &str, at: &str) -> Result<(), Problem> {
        known(self.groups.contains(&name), "group", name, at)
    }
    fn resource(&self, name: &str, at: &str) -> Result<(), Problem> {
        known(self.resources.contains(&name), "resource", name, at)
    }
}

fn known(ok: bool, what: &str, name: &str, at: &str) -> Result<(), Problem> {
    if ok {
        Ok(())
    } else {
        Err((at.to_owned(), format!("undeclared {what} {name:?}")))
    }
}

/// Validates a scenario that `serde` has read.
///
/// # Errors
/// The JSON path and text of the first problem.
pub(super) fn scenario(s: &Scenario) -> Result<(), Problem> {
    declarations(s)?;
    let d = Declared {
        nodes: &s.nodes,
        groups: s.groups.iter().map(|g| g.name.as_str()).collect(),
        resources: s.resource_names().collect(),
    };
    for (i, step) in s.steps.iter().enumerate() {
        let at = format!("$.steps[{i}]");
        match step {
            Step::Call { call, .. } => call_names(call, &at, &d)?,
            Step::Event(event) => event_names(event, &at, &d)?,
            Step::Check(check) => check_names(check, &format!("{at}.check"), &d)?,
            Step::CheckCalls(list) => {
                for (j, c) in list.iter().enumerate() {
                    expected_call(c, &format!("{at}.check_calls[{j}]"), &d)?;
                }
            }
            Step::CheckCompletions(list) => {
                for (j, c) in list.iter().enumerate() {
                    let ok = c.step < i && matches!(s.steps[c.step], Step::Call { .. });
                    if !ok {
                        return Err((
                            format!("{at}.check_completions[{j}].step"),
                            format!("step {} is not an earlier call step", c.step),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Nodes, groups and resources: well formed, declared once, owners declared, at most 255.
fn declarations(s: &Scenario) -> Result<(), Problem> {
    for (i, n) in s.nodes.iter().enumerate() {
        let at = format!("$.nodes[{i}]");
        if let Err(e) = NodeName::new(n) {
            return Err((at, format!("invalid node name {n:?}: {e}")));
        }
        if s.nodes[..i].contains(n) {
            return Err((at, format!("node {n:?} is declared twice")));
        }
    }
    if s.nodes.is_empty() {
        return Err(("$.nodes".into(), "at least one node is needed".into()));
    }
    let mut resources: Vec<&str> = Vec::new();
    for (i, g) in s.groups.iter().enumerate() {
        let at = format!("$.groups[{i}]");
        if s.groups[..i].iter().any(|x| x.name == g.name) {
            return Err((
                format!("{at}.name"),
                format!("group {:?} is declared twice", g.name),
            ));
        }
        known(
            s.nodes.contains(&g.owner),
            "node",
            &g.owner,
            &format!("{at}.owner"),
        )?;
        for (j, r) in g.resources.iter().enumerate() {
            if resources.contains(&r.name.as_str()) {
                return Err((
                    format!("{at}.resources[{j}].name"),
                    format!("resource {:?} is declared twice", r.name),
                ));
            }
            resources.push(&r.name);
        }
    }
    if resources.len() > 255 || s.groups.len() > 255 || s.nodes.len() > 255 {
        return Err(("$".into(), "at most 255 nodes, groups and resources".into()));
    }
    Ok(())
}

/// Calls may name unknown groups, resources and destinations (R13 answers them); a raw call
/// must name a declared node, but its `resource` may be undeclared (F1, SPEC §7: with no RESID
/// on that node a never-issued RESID is passed, I8).
fn call_names(call: &Call, at: &str, d: &Declared<'_>) -> Result<(), Problem> {
    match call {
        Call::RawOfflineV2(raw) => d.node(&raw.node, &format!("{at}.node")),
        Call::OfflineResource(_)
        | Call::OnlineResource(_)
        | Call::MoveGroup(_)
        | Call::CancelGroupOperation(_) => Ok(()),
    }
}

/// Events name only declared resources and nodes.
fn event_names(event: &Event, at: &str, d: &Declared<'_>) -> Result<(), Problem> {
    match event {
        Event::CompleteOffline(r)
        | Event::FailOffline(r)
        | Event::CompleteOnline(r)
        | Event::FailOnline(r)
        | Event::Lock(r)
        | Event::Unlock(r)
        | Event::Busy(r)
        | Event::Unbusy(r)
        | Event::EmbeddedFailure(r)
        | Event::InjectPanic(r) => d.resource(r, &format!("{at}.resource")),
        Event::NetDown(l) | Event::NetUp(l) => {
            d.node(&l.from, &format!("{at}.from"))?;
            d.node(&l.to, &format!("{at}.to"))
        }
        Event::CrashNode(n) | Event::StartNode(n) => d.node(n, &format!("{at}.node")),
        Event::Tick(_) => Ok(()),
    }
}

/// A `check` names declared groups, resources and owner nodes.
fn check_names(c: &Check, at: &str, d: &Declared<'_>) -> Result<(), Problem> {
    for (g, n) in &c.owner {
        let at = format!("{at}.owner.{g}");
        d.group(g, &at)?;
        d.node(n, &at)?;
    }
    let resources = c
        .state
        .iter()
        .map(|(r, _)| ("state", r))
        .chain(c.persistent.iter().map(|(r, _)| ("persistent", r)))
        .chain(c.locked.iter().map(|(r, _)| ("locked", r)));
    for (key, r) in resources {
        d.resource(r, &format!("{at}.{key}.{r}"))?;
    }
    for (g, _) in &c.queued {
        d.group(g, &format!("{at}.queued.{g}"))?;
    }
    Ok(())
}

/// A `check_calls` entry names declared things; only OfflineV2 has `dest` and `flags`.
fn expected_call(c: &ExpectedCall, at: &str, d: &Declared<'_>) -> Result<(), Problem> {
    d.node(&c.node, &format!("{at}.node"))?;
    d.resource(&c.resource, &format!("{at}.resource"))?;
    if let Some(dest) = &c.dest {
        d.node(dest, &format!("{at}.dest"))?;
    }
    if c.entry != CallEntry::OfflineV2 && (c.dest.is_some() || !c.flags.is_empty()) {
        return Err((
            at.to_owned(),
            format!("{} entries have no dest or flags", c.entry.name()),
        ));
    }
    Ok(())
}
