//! The tagged parts of the scenario format: a step is tagged by which key it has, a call by
//! `call`, an event by `event`. They are written and described (JSON Schema) by `serde` and
//! `schemars` derives; they are *read* here, by taking the tag out of the object and handing
//! the rest to the variant's derived `Deserialize` — serde's internally tagged enums buffer
//! the object and lose the JSON path inside it, this keeps it (`$.steps[3].flags[1]`).
//!
//! A path found below a buffered object travels up inside the error message, between two
//! [`MARK`]s, and [`from_value`] puts the pieces back together.

use std::borrow::Cow;

use offline_v2::types::ErrorCode;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::vocab::{self, kind_name, Spelled};
use super::{
    Call, Check, Event, ExpectedCall, ExpectedCompletion, RawCall, RawResidSpec, Scenario, Step,
};

/// Separates a JSON path carried inside an error message from the message.
const MARK: char = '\u{1f}';

/// An error found inside a buffered object: the JSON path below it (`.flags[1]`) and what.
#[derive(Debug)]
pub(super) struct Nested {
    path: String,
    message: String,
}

impl Nested {
    /// An error about the object itself.
    fn here(message: impl Into<String>) -> Self {
        Self {
            path: String::new(),
            message: message.into(),
        }
    }

    /// The same error one key further down.
    fn under(mut self, key: &str) -> Self {
        self.path = format!(".{key}{}", self.path);
        self
    }

    /// As a `serde` error of an enclosing deserializer (the path rides in the message).
    fn into_error<E: de::Error>(self) -> E {
        E::custom(format!("{MARK}{}{MARK}{}", self.path, self.message))
    }
}

/// Splits a message that carries a path; a plain message has an empty path.
fn unmark(message: &str) -> (String, String) {
    let mut parts = message.splitn(3, MARK);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(""), Some(path), Some(rest)) => {
            let (deeper, message) = unmark(rest);
            (format!("{path}{deeper}"), message)
        }
        _ => (String::new(), message.to_owned()),
    }
}

/// `serde_path_to_error`'s path as a JSON path suffix: `.steps[3].flags[1]`.
fn render(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|segment| match segment {
            Segment::Seq { index } => format!("[{index}]"),
            Segment::Map { key } => format!(".{key}"),
            Segment::Enum { variant } => format!(".{variant}"),
            Segment::Unknown => ".?".to_owned(),
        })
        .collect()
}

/// Deserializes `value` as `T`, an error naming the JSON path below `value`.
fn nested<T: DeserializeOwned>(value: Value) -> Result<T, Nested> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let (deeper, message) = unmark(&e.inner().to_string());
        Nested {
            path: format!("{}{deeper}", render(e.path())),
            message,
        }
    })
}

/// Reads a whole scenario; an error is `($.json.path, message)`.
pub(super) fn from_value(value: Value) -> Result<Scenario, (String, String)> {
    nested(value).map_err(|e| (format!("${}", e.path), e.message))
}

/// Takes `key` out of `map` and reads it as `T` (absent: `None`).
fn take<T: DeserializeOwned>(map: &mut Map<String, Value>, key: &str) -> Result<Option<T>, Nested> {
    map.remove(key)
        .map(|v| nested(v).map_err(|e| e.under(key)))
        .transpose()
}

/// Takes the tag `key` out of `map`: it must be a string.
fn tag(map: &mut Map<String, Value>, key: &str) -> Result<String, Nested> {
    match map.remove(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => {
            Err(Nested::here(format!("expected a string, found {}", kind_name(&other))).under(key))
        }
        None => Err(Nested::here(format!("missing field `{key}`"))),
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        step(map).map_err(Nested::into_error)
    }
}

fn step(mut map: Map<String, Value>) -> Result<Step, Nested> {
    // F2: any step may carry a comment; it is read (it must be a string) and dropped.
    let _comment: Option<String> = take(&mut map, "comment")?;
    if map.contains_key("call") {
        let expect = take::<vocab::AsWord<ErrorCode>>(&mut map, "expect")?.map(|w| w.0);
        return Ok(Step::Call {
            call: by_tag(map, "call", &CALLS)?,
            expect,
        });
    }
    if map.contains_key("event") {
        return by_tag(map, "event", &EVENTS).map(Step::Event);
    }
    let whole = Value::Object(map);
    if whole.get("check").is_some() {
        return nested::<CheckStep>(whole).map(|s| Step::Check(s.check));
    }
    if whole.get("check_calls").is_some() {
        return nested::<CheckCallsStep>(whole).map(|s| Step::CheckCalls(s.check_calls));
    }
    if whole.get("check_completions").is_some() {
        return nested::<CheckCompletionsStep>(whole)
            .map(|s| Step::CheckCompletions(s.check_completions));
    }
    Err(Nested::here(
        "a step needs one of the keys call, event, check, check_calls, check_completions",
    ))
}

/// How a tagged object is read once its tag is known: the rest of the object, as `T`.
type Reader<T> = fn(Value) -> Result<T, Nested>;

/// A table of `(tag, reader)`: each variant of `$ty` reads its arguments with their derived
/// `Deserialize` (paths kept).
macro_rules! readers {
    ($ty:ident { $($name:literal => $variant:ident),* $(,)? }) => {
        [$(($name, (|v| nested(v).map($ty::$variant)) as Reader<$ty>)),*]
    };
}

/// Every `call`, by name, and how its arguments are read.
pub(super) const CALLS: [(&str, Reader<Call>); 5] = readers!(Call {
    "offline_resource" => OfflineResource,
    "online_resource" => OnlineResource,
    "move_group" => MoveGroup,
    "cancel_group_operation" => CancelGroupOperation,
    "raw_offline_v2" => RawOfflineV2,
});

/// Every `event`, by name, and how its arguments are read.
pub(super) const EVENTS: [(&str, Reader<Event>); 15] = readers!(Event {
    "complete_offline" => CompleteOffline,
    "fail_offline" => FailOffline,
    "complete_online" => CompleteOnline,
    "fail_online" => FailOnline,
    "tick" => Tick,
    "lock" => Lock,
    "unlock" => Unlock,
    "busy" => Busy,
    "unbusy" => Unbusy,
    "net_down" => NetDown,
    "net_up" => NetUp,
    "crash_node" => CrashNode,
    "start_node" => StartNode,
    "embedded_failure" => EmbeddedFailure,
    "inject_panic" => InjectPanic,
});

/// Reads an object tagged by `key` with the reader `table` names for its tag.
fn by_tag<T>(
    mut map: Map<String, Value>,
    key: &str,
    table: &[(&str, Reader<T>)],
) -> Result<T, Nested> {
    let name = tag(&mut map, key)?;
    match table.iter().find(|(n, _)| *n == name) {
        Some((_, read)) => read(Value::Object(map)),
        None => {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            Err(Nested::here(format!(
                "unknown {key} {name:?} (expected one of: {})",
                names.join(", ")
            ))
            .under(key))
        }
    }
}

/// The keys of `raw_offline_v2` besides `call`, `expect` and `comment`.
const RAW_KEYS: [&str; 8] = [
    "node",
    "resid",
    "resource",
    "dest",
    "flags",
    "inbuf",
    "inbuf_size",
    "reserved",
];

impl<'de> Deserialize<'de> for RawCall {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        raw_call(map).map_err(Nested::into_error)
    }
}

/// `raw_offline_v2`'s arguments: `resid` and `resource` are one choice (a `flatten`ed enum
/// to serde, which would lose the paths), so they are read by hand, as is the rest.
fn raw_call(mut map: Map<String, Value>) -> Result<RawCall, Nested> {
    if let Some(k) = map.keys().find(|k| !RAW_KEYS.contains(&k.as_str())) {
        return Err(Nested::here(format!(
            "unknown field `{k}`, expected one of {}",
            RAW_KEYS.map(|k| format!("`{k}`")).join(", ")
        ))
        .under(k));
    }
    let resid = match (take(&mut map, "resid")?, take(&mut map, "resource")?) {
        (Some(v), None) => RawResidSpec::Value(v),
        (None, Some(r)) => RawResidSpec::Resource(r),
        _ => {
            return Err(Nested::here(
                "raw_offline_v2 needs exactly one of resid, resource",
            ))
        }
    };
    let inbuf = map
        .remove("inbuf")
        .map(|v| vocab::hex::deserialize(v).map_err(|e| Nested::here(e.to_string()).under("inbuf")))
        .transpose()?
        .flatten();
    let default_size = inbuf
        .as_ref()
        .map_or(0, |b: &Vec<u8>| u32::try_from(b.len()).unwrap_or(u32::MAX));
    Ok(RawCall {
        node: take(&mut map, "node")?.ok_or_else(|| Nested::here("missing field `node`"))?,
        resid,
        dest: take::<Option<String>>(&mut map, "dest")?.flatten(),
        flags: take(&mut map, "flags")?.unwrap_or(0),
        inbuf_size: take(&mut map, "inbuf_size")?.unwrap_or(default_size),
        inbuf,
        reserved: take(&mut map, "reserved")?.unwrap_or(0),
    })
}

/// The written form of a call step: the call's tag and arguments, then `expect`.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CallStep {
    #[serde(flatten)]
    call: Call,
    /// The expected return code.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "vocab::opt_word"
    )]
    #[schemars(with = "Option<Spelled<ErrorCode>>")]
    expect: Option<ErrorCode>,
    /// A note for the reader (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// The written form of an event step.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct EventStep {
    #[serde(flatten)]
    event: Event,
    /// A note for the reader (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// `{"check": {...}}`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CheckStep {
    check: Check,
    /// A note for the reader (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// `{"check_calls": [...]}`: exactly the host's OnlineV2, OfflineV2 and Terminate calls since
/// the previous `check_calls`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CheckCallsStep {
    check_calls: Vec<ExpectedCall>,
    /// A note for the reader (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// `{"check_completions": [...]}`: exactly the completions since the previous one.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CheckCompletionsStep {
    check_completions: Vec<ExpectedCompletion>,
    /// A note for the reader (ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Step::Call { call, expect } => CallStep {
                call: call.clone(),
                expect: *expect,
                comment: None,
            }
            .serialize(s),
            Step::Event(event) => EventStep {
                event: event.clone(),
                comment: None,
            }
            .serialize(s),
            Step::Check(check) => one_entry(s, "check", check),
            Step::CheckCalls(list) => one_entry(s, "check_calls", list),
            Step::CheckCompletions(list) => one_entry(s, "check_completions", list),
        }
    }
}

/// `{key: value}`: the written form of a check step (its `comment` is never written).
fn one_entry<S: Serializer, T: Serialize>(s: S, key: &str, value: &T) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(1))?;
    map.serialize_entry(key, value)?;
    map.end()
}

impl JsonSchema for Step {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Step")
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A call, an event or a check, tagged by which of these keys it has.",
            "oneOf": [
                g.subschema_for::<CallStep>(),
                g.subschema_for::<EventStep>(),
                g.subschema_for::<CheckStep>(),
                g.subschema_for::<CheckCallsStep>(),
                g.subschema_for::<CheckCompletionsStep>(),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_survives_two_levels_of_buffering() {
        let inner = Nested::here("bad")
            .under("flags")
            .into_error::<serde_json::Error>();
        let outer = Nested {
            path: "[0]".into(),
            message: inner.to_string(),
        };
        let (path, message) = unmark(&outer.into_error::<serde_json::Error>().to_string());
        assert_eq!((path.as_str(), message.as_str()), ("[0].flags", "bad"));
        assert_eq!(unmark("plain"), (String::new(), "plain".to_owned()));
    }
}
