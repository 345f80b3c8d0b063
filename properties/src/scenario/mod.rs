//! SPEC §7 scenario files as `serde` types: one schema for reading, writing and the JSON
//! Schema that editors validate against (`docs/scenario.schema.json`, printed by
//! `offline-v2 schema`).
//!
//! A scenario is read *before anything runs*: [`Scenario::parse`] reads the JSON, deserializes
//! it (every error with its JSON path, e.g. `$.steps[3].flags[1]`, through
//! `serde_path_to_error`) and then validates the names ([`validate`]): nodes are well formed,
//! declared once, events and checks name only declared things. The command line maps a
//! [`ScenarioError`] to exit code 2.
//!
//! Names of states, codes and flags are case-insensitive ([`vocab`]). Unknown group, resource
//! and node names inside *calls* are legal input (R13 answers them); so is an undeclared
//! resource in `raw_offline_v2` (a never-issued RESID is passed, I8).
//!
//! Calls and events are tagged by their `call` / `event` key, and a step by which of `call`,
//! `event`, `check`, `check_calls`, `check_completions` it has ([`tagged`]: serde's own
//! internally tagged enums would lose the JSON path inside the step).

mod tagged;
mod validate;
pub mod vocab;

use std::path::{Path, PathBuf};

use offline_v2::cluster::{DEFAULT_PENDING_TIMEOUT, DEFAULT_RETRY_INTERVAL};
use offline_v2::types::{
    ErrorCode, MoveGroupFlags, OfflineFlags, OfflineReason, OfflineResourceFlags, PersistentState,
    ResourceState, WorkMode,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use vocab::{FlagList, Spelled};

/// A problem in a scenario file: where (file and JSON path) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {path}: {message}", file.display())]
pub struct ScenarioError {
    /// The file (or `<inline>`).
    pub file: PathBuf,
    /// JSON path of the problem, `$` for the document.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A whole scenario (SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "offline-v2 scenario (SPEC §7)")]
pub struct Scenario {
    /// Where it came from (not part of the file).
    #[serde(skip)]
    pub file: PathBuf,
    /// A title.
    #[serde(default)]
    pub name: String,
    /// What the scenario shows, and which rules it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Logical timing (R22); may be omitted or partial.
    #[serde(default)]
    pub config: Config,
    /// Node names (`[A-Za-z0-9-]`, 1–15 characters), in declaration order; all Up at start.
    #[schemars(length(min = 1), inner(regex(pattern = r"^[A-Za-z0-9-]{1,15}$")))]
    pub nodes: Vec<String>,
    /// Groups in declaration order.
    pub groups: Vec<GroupDecl>,
    /// Calls, events and checks, applied in order.
    pub steps: Vec<Step>,
}

/// `config`: logical timing in ms (R22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// R19 timeout.
    #[serde(default = "default_pending_timeout")]
    pub pending_timeout: u64,
    /// R16 retry interval.
    #[serde(default = "default_retry_interval")]
    pub retry_interval: u64,
}

fn default_pending_timeout() -> u64 {
    DEFAULT_PENDING_TIMEOUT
}

fn default_retry_interval() -> u64 {
    DEFAULT_RETRY_INTERVAL
}

impl Default for Config {
    fn default() -> Self {
        Self {
            pending_timeout: DEFAULT_PENDING_TIMEOUT,
            retry_interval: DEFAULT_RETRY_INTERVAL,
        }
    }
}

/// A declared group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupDecl {
    /// Name (unique).
    pub name: String,
    /// Initial owner (a declared node).
    pub owner: String,
    /// Resources in declaration order.
    pub resources: Vec<ResourceDecl>,
}

/// A declared resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceDecl {
    /// Name (unique across the cluster).
    pub name: String,
    /// Initial persistent state (and initial state).
    #[serde(with = "vocab::word")]
    #[schemars(with = "Spelled<PersistentState>")]
    pub persistent: PersistentState,
    /// How its OfflineV2 work ends (R7; default pending).
    #[serde(default, with = "vocab::word")]
    #[schemars(with = "Spelled<WorkMode>")]
    pub offline: WorkMode,
    /// How its OnlineV2 work ends (R7; default pending).
    #[serde(default, with = "vocab::word")]
    #[schemars(with = "Spelled<WorkMode>")]
    pub online: WorkMode,
}

/// One step: a call (with its expected return code), an event or a check.
///
/// In a file a step is an object tagged by which of `call`, `event`, `check`, `check_calls`,
/// `check_completions` it has; any step may carry a `comment` (read and dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A call, with the expected return code if stated.
    Call {
        /// The call.
        call: Call,
        /// `expect`.
        expect: Option<ErrorCode>,
    },
    /// An event.
    Event(Event),
    /// A check of the host view.
    Check(Check),
    /// Exactly the host's calls since the previous `check_calls`.
    CheckCalls(Vec<ExpectedCall>),
    /// Exactly the completions since the previous `check_completions`.
    CheckCompletions(Vec<ExpectedCompletion>),
}

/// A client call (or a raw DLL call), tagged by `call`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// `offline_resource`: OfflineResourceEx.
    OfflineResource(OfflineResourceCall),
    /// `online_resource`: OnlineResourceEx.
    OnlineResource(ResourceArg),
    /// `move_group`: MoveGroupEx.
    MoveGroup(MoveGroupCall),
    /// `cancel_group_operation`: CancelGroupOperation.
    CancelGroupOperation(CancelCall),
    /// `raw_offline_v2`: a direct call of a node's OfflineV2 export.
    RawOfflineV2(RawCall),
}

impl Call {
    /// The `call` name of every kind, in declaration order.
    #[must_use]
    pub fn names() -> Vec<&'static str> {
        tagged::CALLS.iter().map(|(n, _)| *n).collect()
    }
}

/// Arguments of `offline_resource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineResourceCall {
    /// Resource name (may be unknown: 5007).
    pub resource: String,
    /// Client flags.
    #[serde(default, with = "vocab::flags")]
    #[schemars(with = "FlagList<OfflineResourceFlags>")]
    pub flags: OfflineResourceFlags,
    /// Reason (never changes behaviour).
    #[serde(default, with = "vocab::word")]
    #[schemars(with = "Spelled<OfflineReason>")]
    pub reason: OfflineReason,
}

/// Arguments of `move_group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveGroupCall {
    /// Group name (may be unknown: 5013).
    pub group: String,
    /// Destination node name, or null to pick one (R13 check 6).
    #[serde(default)]
    pub dest: Option<String>,
    /// Client flags.
    #[serde(default, with = "vocab::flags")]
    #[schemars(with = "FlagList<MoveGroupFlags>")]
    pub flags: MoveGroupFlags,
}

/// Arguments of `cancel_group_operation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelCall {
    /// Group name (may be unknown: 5013).
    pub group: String,
    /// Reserved (must be 0: 87 otherwise).
    #[serde(default)]
    pub reserved: u32,
}

/// Which RESID a raw call passes: `resid` (a number) or `resource` (a name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub enum RawResidSpec {
    /// `resid`: this number, forged or not.
    #[serde(rename = "resid")]
    Value(u64),
    /// `resource`: the RESID that node's DLL holds for this resource, or a never-issued one
    /// if it holds none (also for an undeclared resource, SPEC §7, I8).
    #[serde(rename = "resource")]
    Resource(String),
}

/// Arguments of `raw_offline_v2`, every one as the caller chose it (R1, R2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCall {
    /// Declared node whose DLL is called.
    pub node: String,
    /// The RESID.
    #[serde(flatten)]
    pub resid: RawResidSpec,
    /// DestinationNodeName as given (any string, valid or not), or null.
    #[serde(default)]
    pub dest: Option<String>,
    /// OfflineFlags, raw.
    #[serde(default)]
    pub flags: u32,
    /// InBuffer bytes, or null.
    #[serde(default, with = "vocab::hex")]
    #[schemars(with = "Option<String>", regex(pattern = r"^(?:[0-9A-Fa-f]{2})*$"))]
    pub inbuf: Option<Vec<u8>>,
    /// InBufferSize (default: the length of `inbuf`).
    #[serde(default)]
    #[schemars(transform = no_default)]
    pub inbuf_size: u32,
    /// Reserved.
    #[serde(default)]
    pub reserved: u32,
}

/// Drops a `default` the schema would state wrongly (`inbuf_size` defaults to a length).
fn no_default(schema: &mut schemars::Schema) {
    schema.remove("default");
}

/// An event or call argument naming one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceArg {
    /// The resource's name.
    pub resource: String,
}

/// An event argument naming one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeArg {
    /// The node's name.
    pub node: String,
}

/// The arguments of `net_down` / `net_up`: a link, both directions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkArgs {
    /// One end.
    pub from: String,
    /// The other end.
    pub to: String,
}

/// The argument of `tick`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TickArgs {
    /// Logical milliseconds.
    pub ms: u64,
}

macro_rules! name_arg {
    ($ty:ident, $field:ident) => {
        impl std::ops::Deref for $ty {
            type Target = str;
            fn deref(&self) -> &str {
                &self.$field
            }
        }
        impl From<String> for $ty {
            fn from($field: String) -> Self {
                Self { $field }
            }
        }
        impl From<&str> for $ty {
            fn from($field: &str) -> Self {
                $field.to_owned().into()
            }
        }
    };
}
name_arg!(ResourceArg, resource);
name_arg!(NodeArg, node);

impl From<u64> for TickArgs {
    fn from(ms: u64) -> Self {
        Self { ms }
    }
}

impl LinkArgs {
    /// The link between `from` and `to`.
    #[must_use]
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
        }
    }
}

/// An environment event (only declared names), tagged by `event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Pending offline work ends well.
    CompleteOffline(ResourceArg),
    /// Pending offline work fails (ERROR_GEN_FAILURE).
    FailOffline(ResourceArg),
    /// Pending online work ends well.
    CompleteOnline(ResourceArg),
    /// Pending online work fails (ERROR_GEN_FAILURE).
    FailOnline(ResourceArg),
    /// Logical time advances.
    Tick(TickArgs),
    /// The DLL reports the resource locked.
    Lock(ResourceArg),
    /// The DLL reports it unlocked.
    Unlock(ResourceArg),
    /// The resource becomes busy (R6).
    Busy(ResourceArg),
    /// It stops being busy.
    Unbusy(ResourceArg),
    /// A link goes down (R5).
    NetDown(LinkArgs),
    /// A link comes back.
    NetUp(LinkArgs),
    /// A node goes Down (R20).
    CrashNode(NodeArg),
    /// A node comes Up, empty (R20).
    StartNode(NodeArg),
    /// The resource fails inside (R21).
    EmbeddedFailure(ResourceArg),
    /// Test-only: the owner's instance panics in its next call for the resource (R8).
    InjectPanic(ResourceArg),
}

impl Event {
    /// The `event` name of every kind, in declaration order.
    #[must_use]
    pub fn names() -> Vec<&'static str> {
        tagged::EVENTS.iter().map(|(n, _)| *n).collect()
    }
}

/// A `check` of the host view: partial maps, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Check {
    /// group → owner node.
    #[serde(skip_serializing_if = "Vec::is_empty", with = "vocab::pairs")]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub owner: Vec<(String, String)>,
    /// resource → state.
    #[serde(skip_serializing_if = "Vec::is_empty", with = "vocab::word_pairs")]
    #[schemars(with = "std::collections::BTreeMap<String, Spelled<ResourceState>>")]
    pub state: Vec<(String, ResourceState)>,
    /// resource → persistent state.
    #[serde(skip_serializing_if = "Vec::is_empty", with = "vocab::word_pairs")]
    #[schemars(with = "std::collections::BTreeMap<String, Spelled<PersistentState>>")]
    pub persistent: Vec<(String, PersistentState)>,
    /// resource → locked.
    #[serde(skip_serializing_if = "Vec::is_empty", with = "vocab::pairs")]
    #[schemars(with = "std::collections::BTreeMap<String, bool>")]
    pub locked: Vec<(String, bool)>,
    /// group → queued.
    #[serde(skip_serializing_if = "Vec::is_empty", with = "vocab::pairs")]
    #[schemars(with = "std::collections::BTreeMap<String, bool>")]
    pub queued: Vec<(String, bool)>,
}

/// An entry point listed by `check_calls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEntry {
    /// OnlineV2.
    OnlineV2,
    /// OfflineV2.
    OfflineV2,
    /// Terminate.
    Terminate,
}

impl CallEntry {
    /// The SPEC name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::OnlineV2 => "OnlineV2",
            Self::OfflineV2 => "OfflineV2",
            Self::Terminate => "Terminate",
        }
    }
}

fn no_flags(f: &OfflineFlags) -> bool {
    f.is_empty()
}

/// One expected DLL call of `check_calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCall {
    /// Node.
    pub node: String,
    /// Entry point.
    #[serde(with = "vocab::word")]
    #[schemars(with = "Spelled<CallEntry>")]
    pub entry: CallEntry,
    /// Resource.
    pub resource: String,
    /// Destination (OfflineV2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest: Option<String>,
    /// Exact flag set (OfflineV2 only).
    #[serde(default, skip_serializing_if = "no_flags", with = "vocab::flags")]
    #[schemars(with = "FlagList<OfflineFlags>")]
    pub flags: OfflineFlags,
    /// The DLL's return code, if the scenario states it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "vocab::opt_word"
    )]
    #[schemars(with = "Option<Spelled<ErrorCode>>")]
    pub result: Option<ErrorCode>,
}

/// One expected completion of `check_completions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCompletion {
    /// 0-based index in `steps` of the accepted call.
    pub step: usize,
    /// Result code.
    #[serde(with = "vocab::word")]
    #[schemars(with = "Spelled<ErrorCode>")]
    pub result: ErrorCode,
}

impl Scenario {
    /// Reads and validates a scenario file.
    ///
    /// # Errors
    /// A [`ScenarioError`] naming the file and JSON path of the first problem.
    pub fn load(file: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(file).map_err(|e| ScenarioError {
            file: file.to_owned(),
            path: "$".into(),
            message: format!("cannot read the file: {e}"),
        })?;
        Self::parse(&text, file)
    }

    /// Parses and validates scenario text; `file` is used in errors.
    ///
    /// # Errors
    /// A [`ScenarioError`] naming the JSON path of the first problem.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ScenarioError> {
        let error = |path: String, message: String| ScenarioError {
            file: file.to_owned(),
            path,
            message,
        };
        let value: Value = serde_json::from_str(text).map_err(|e| {
            error(
                format!("$ (line {}, column {})", e.line(), e.column()),
                format!("not valid JSON: {e}"),
            )
        })?;
        let mut scenario: Scenario = tagged::from_value(value).map_err(|(p, m)| error(p, m))?;
        validate::scenario(&scenario).map_err(|(p, m)| error(p, m))?;
        scenario.file = file.to_owned();
        Ok(scenario)
    }

    /// The scenario as SPEC §7 JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Pretty JSON text of the scenario: one key per line, one step per line.
    #[must_use]
    pub fn to_text(&self) -> String {
        let Value::Object(map) = self.to_json() else {
            return String::new();
        };
        let lines: Vec<String> = map
            .iter()
            .map(|(k, v)| match v {
                Value::Array(steps) if k == "steps" => {
                    let steps: Vec<String> = steps.iter().map(|s| format!("    {s}")).collect();
                    format!("  \"steps\": [\n{}\n  ]", steps.join(",\n"))
                }
                _ => format!("  {}: {v}", Value::from(k.as_str())),
            })
            .collect();
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }

    /// The names of every declared resource, in declaration order across groups.
    pub fn resource_names(&self) -> impl Iterator<Item = &str> {
        self.groups
            .iter()
            .flat_map(|g| g.resources.iter().map(|r| r.name.as_str()))
    }
}

/// The JSON Schema (draft 2020-12) of scenario files, as committed in
/// `docs/scenario.schema.json` (`offline-v2 schema` prints it).
#[must_use]
pub fn json_schema() -> Value {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_value(schema).unwrap_or_default()
}

/// [`json_schema`] as the pretty text committed in `docs/scenario.schema.json` (without the
/// final newline `println!` adds).
#[must_use]
pub fn json_schema_text() -> String {
    serde_json::to_string_pretty(&json_schema()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
