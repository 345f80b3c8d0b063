//! Names for messages: a scenario's declared names put back on the indices of [`Obs`] and
//! [`HostView`].

use std::fmt::Write as _;

use offline_v2::types::{flag_names, ErrorCode, OfflineFlags};

use super::{CallObs, HostView, Obs, ObsEntry};
use crate::scenario::{CallEntry, ExpectedCall, Scenario};

/// Names for printing observations and host views of one scenario.
pub struct Names<'s>(pub &'s Scenario);

impl Names<'_> {
    /// The name of node `i`, or `?` if it is not declared.
    #[must_use]
    pub fn node(&self, i: u8) -> &str {
        self.0.nodes.get(usize::from(i)).map_or("?", String::as_str)
    }

    /// The name of resource `i` (declaration order across groups), or `?`.
    #[must_use]
    pub fn resource(&self, i: u8) -> &str {
        self.0.resource_names().nth(usize::from(i)).unwrap_or("?")
    }

    /// The index of a declared group (checks name declared things only, so 0 is never used
    /// for a real miss).
    #[must_use]
    pub fn group_index(&self, name: &str) -> usize {
        self.0
            .groups
            .iter()
            .position(|g| g.name == name)
            .unwrap_or(0)
    }

    /// The index of a declared resource (see [`Names::group_index`]).
    #[must_use]
    pub fn resource_index(&self, name: &str) -> usize {
        self.0.resource_names().position(|r| r == name).unwrap_or(0)
    }

    /// One observation as text.
    #[must_use]
    pub fn obs(&self, o: &Obs) -> String {
        match *o {
            Obs::Returned { code, op } => match op {
                Some(op) => format!("returned {} (op {op})", ErrorCode(code)),
                None => format!("returned {}", ErrorCode(code)),
            },
            Obs::Call(c) => {
                let mut s = format!(
                    "{}: {:?}({}",
                    self.node(c.node),
                    c.entry,
                    self.resource(c.resource)
                );
                if c.entry == ObsEntry::OfflineV2 {
                    let dest = c.dest.map_or("null", |d| self.node(d));
                    let names = flag_names(&OfflineFlags::from_bits_retain(c.flags));
                    let _ = write!(s, ", dest {dest}, [{}]", names.join("|"));
                }
                s.push(')');
                if let Some(r) = c.result {
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

    /// The `check_calls` entry a call is listed as (none for Open and Close): names for
    /// indices, `dest` and `flags` only for OfflineV2.
    #[must_use]
    pub fn expected_call(&self, c: &CallObs) -> Option<ExpectedCall> {
        let entry = c.entry.listed()?;
        let offline = entry == CallEntry::OfflineV2;
        Some(ExpectedCall {
            node: self.node(c.node).to_owned(),
            entry,
            resource: self.resource(c.resource).to_owned(),
            dest: c.dest.filter(|_| offline).map(|d| self.node(d).to_owned()),
            flags: OfflineFlags::from_bits_retain(if offline { c.flags } else { 0 }),
            result: c.result.map(ErrorCode),
        })
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

    /// A list of observations, one per line (`(nothing)` for none).
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
