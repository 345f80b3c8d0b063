//! Writing scenarios back as SPEC §7 JSON (counterexamples, shrunk conformance failures).
//!
//! The output parses back to the same [`Scenario`] (a test checks the round trip), so every
//! file this module writes can be replayed with `offline-v2 replay`.

use offline_v2::types::{flag_names, ErrorCode};
use serde_json::{json, Map, Value};

use crate::scenario::{Call, Check, Event, RawResidSpec, Scenario, Step};

fn mode(m: offline_v2::types::WorkMode) -> &'static str {
    match m {
        offline_v2::types::WorkMode::Sync => "sync",
        offline_v2::types::WorkMode::Pending => "pending",
    }
}

fn code(c: ErrorCode) -> Value {
    match c.name() {
        Some(n) => json!(n),
        None => json!(c.0),
    }
}

/// Flag names, plus one number for any bits without a name (so nothing is lost).
fn flags<F: bitflags::Flags<Bits = u32>>(f: &F) -> Value {
    let mut list: Vec<Value> = flag_names(f).into_iter().map(|n| json!(n)).collect();
    let known = F::all().bits();
    let unknown = f.bits() & !known;
    if unknown != 0 {
        list.push(json!(unknown));
    }
    Value::Array(list)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn call(c: &Call, expect: Option<ErrorCode>) -> Value {
    let mut v = match c {
        Call::OfflineResource {
            resource,
            flags: f,
            reason,
        } => json!({
            "call": "offline_resource", "resource": resource, "flags": flags(f), "reason": reason.name()
        }),
        Call::OnlineResource { resource } => {
            json!({ "call": "online_resource", "resource": resource })
        }
        Call::MoveGroup {
            group,
            dest,
            flags: f,
        } => json!({
            "call": "move_group", "group": group, "dest": dest, "flags": flags(f)
        }),
        Call::CancelGroupOperation { group, reserved } => json!({
            "call": "cancel_group_operation", "group": group, "reserved": reserved
        }),
        Call::RawOfflineV2 {
            node,
            resid,
            dest,
            flags: f,
            inbuf,
            inbuf_size,
            reserved,
        } => {
            let mut v = json!({
                "call": "raw_offline_v2", "node": node, "dest": dest, "flags": f,
                "inbuf": inbuf.as_deref().map(hex), "inbuf_size": inbuf_size, "reserved": reserved
            });
            if let Value::Object(m) = &mut v {
                match resid {
                    RawResidSpec::Value(n) => m.insert("resid".into(), json!(n)),
                    RawResidSpec::Resource(r) => m.insert("resource".into(), json!(r)),
                };
            }
            v
        }
    };
    if let (Some(e), Value::Object(m)) = (expect, &mut v) {
        m.insert("expect".into(), code(e));
    }
    v
}

fn event(e: &Event) -> Value {
    let r = |name: &str, res: &str| json!({ "event": name, "resource": res });
    match e {
        Event::CompleteOffline(x) => r("complete_offline", x),
        Event::FailOffline(x) => r("fail_offline", x),
        Event::CompleteOnline(x) => r("complete_online", x),
        Event::FailOnline(x) => r("fail_online", x),
        Event::Lock(x) => r("lock", x),
        Event::Unlock(x) => r("unlock", x),
        Event::Busy(x) => r("busy", x),
        Event::Unbusy(x) => r("unbusy", x),
        Event::EmbeddedFailure(x) => r("embedded_failure", x),
        Event::InjectPanic(x) => r("inject_panic", x),
        Event::Tick(ms) => json!({ "event": "tick", "ms": ms }),
        Event::NetDown(a, b) => json!({ "event": "net_down", "from": a, "to": b }),
        Event::NetUp(a, b) => json!({ "event": "net_up", "from": a, "to": b }),
        Event::CrashNode(n) => json!({ "event": "crash_node", "node": n }),
        Event::StartNode(n) => json!({ "event": "start_node", "node": n }),
    }
}

fn check(c: &Check) -> Value {
    let mut m = Map::new();
    let mut put = |key: &str, entries: Map<String, Value>| {
        if !entries.is_empty() {
            m.insert(key.into(), Value::Object(entries));
        }
    };
    put(
        "owner",
        c.owner.iter().map(|(g, n)| (g.clone(), json!(n))).collect(),
    );
    put(
        "state",
        c.state
            .iter()
            .map(|(r, s)| (r.clone(), json!(s.name())))
            .collect(),
    );
    put(
        "persistent",
        c.persistent
            .iter()
            .map(|(r, s)| (r.clone(), json!(s.name())))
            .collect(),
    );
    put(
        "locked",
        c.locked
            .iter()
            .map(|(r, b)| (r.clone(), json!(b)))
            .collect(),
    );
    put(
        "queued",
        c.queued
            .iter()
            .map(|(g, b)| (g.clone(), json!(b)))
            .collect(),
    );
    json!({ "check": Value::Object(m) })
}

fn step(s: &Step) -> Value {
    match s {
        Step::Call { call: c, expect } => call(c, *expect),
        Step::Event(e) => event(e),
        Step::Check(c) => check(c),
        Step::CheckCalls(list) => json!({ "check_calls": list.iter().map(|c| {
            let mut v = json!({ "node": c.node, "entry": c.entry.name(), "resource": c.resource });
            if let Value::Object(m) = &mut v {
                if c.entry == crate::scenario::CallEntry::OfflineV2 {
                    m.insert("dest".into(), json!(c.dest));
                    m.insert("flags".into(), flags(&c.flags));
                }
                if let Some(r) = c.result {
                    m.insert("result".into(), code(r));
                }
            }
            v
        }).collect::<Vec<_>>() }),
        Step::CheckCompletions(list) => json!({ "check_completions": list.iter().map(|c| json!({
            "step": c.step, "result": code(c.result)
        })).collect::<Vec<_>>() }),
    }
}

/// The scenario as SPEC §7 JSON.
#[must_use]
pub fn to_json(s: &Scenario) -> Value {
    json!({
        "name": s.name,
        "config": { "pending_timeout": s.pending_timeout, "retry_interval": s.retry_interval },
        "nodes": s.nodes,
        "groups": s.groups.iter().map(|g| json!({
            "name": g.name, "owner": g.owner,
            "resources": g.resources.iter().map(|r| json!({
                "name": r.name, "persistent": r.persistent.name().to_ascii_lowercase(),
                "offline": mode(r.offline), "online": mode(r.online)
            })).collect::<Vec<_>>()
        })).collect::<Vec<_>>(),
        "steps": s.steps.iter().map(step).collect::<Vec<_>>(),
    })
}

/// Pretty JSON text of the scenario, one step per line.
#[must_use]
pub fn to_text(s: &Scenario) -> String {
    let v = to_json(s);
    let mut out = String::from("{\n");
    if let Value::Object(m) = &v {
        let mut first = true;
        for (k, val) in m {
            if !first {
                out.push_str(",\n");
            }
            first = false;
            if k == "steps" {
                out.push_str("  \"steps\": [\n");
                if let Value::Array(steps) = val {
                    let lines: Vec<String> = steps.iter().map(|s| format!("    {s}")).collect();
                    out.push_str(&lines.join(",\n"));
                }
                out.push_str("\n  ]");
            } else {
                out.push_str(&format!("  {}: {}", json!(k), val));
            }
        }
    }
    out.push_str("\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn round_trip_of_the_spec_example() {
        let text = include_str!("../scenarios/r12-r17-spec-example-return-to-source.json");
        let s = Scenario::parse(text, Path::new("a.json")).expect("valid");
        let back = Scenario::parse(&to_text(&s), Path::new("a.json")).expect("written text parses");
        assert_eq!(back, s);
    }

    #[test]
    fn unknown_flag_bits_survive_the_round_trip() {
        let text = r#"{"nodes":["n1"],"groups":[{"name":"g","owner":"n1","resources":[{"name":"r","persistent":"offline"}]}],
            "steps":[{"call":"move_group","group":"g","dest":null,"flags":["QUEUE_ENABLED",64],"expect":87},
                     {"call":"raw_offline_v2","node":"n1","resid":0,"dest":"x y","flags":255,"inbuf":"00ff","inbuf_size":9,"reserved":1}]}"#;
        let s = Scenario::parse(text, Path::new("b.json")).expect("valid");
        let back = Scenario::parse(&to_text(&s), Path::new("b.json")).expect("written text parses");
        assert_eq!(back, s);
    }
}
