//! SPEC §7 scenario files: parsing and validation.
//!
//! A scenario is parsed from JSON into typed [`Scenario`] steps *before anything runs*. Every
//! problem is reported with the file and the JSON path of the offending value (for example
//! `$.steps[3].flags[1]`); the command line maps a [`ScenarioError`] to exit code 2.
//!
//! Names of states, codes and flags are case-insensitive. Unknown group/resource/node names
//! inside *calls* are legal input (R13 answers them); events and checks may only name declared
//! things.

use std::fmt;
use std::path::{Path, PathBuf};

use offline_v2::cluster::{DEFAULT_PENDING_TIMEOUT, DEFAULT_RETRY_INTERVAL};
use offline_v2::types::{
    parse_flag, ErrorCode, MoveGroupFlags, NodeName, OfflineFlags, OfflineReason,
    OfflineResourceFlags, PersistentState, ResourceState, WorkMode,
};
use serde_json::{Map, Value};

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

/// A declared resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceDecl {
    /// Name.
    pub name: String,
    /// Initial persistent state (and initial state).
    pub persistent: PersistentState,
    /// OfflineV2 work mode (default pending).
    pub offline: WorkMode,
    /// OnlineV2 work mode (default pending).
    pub online: WorkMode,
}

/// A declared group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDecl {
    /// Name.
    pub name: String,
    /// Initial owner (a declared node).
    pub owner: String,
    /// Resources in declaration order.
    pub resources: Vec<ResourceDecl>,
}

/// Which RESID a raw call passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawResidSpec {
    /// A number.
    Value(u64),
    /// The RESID that node's DLL holds for this resource (a never-issued one if none).
    Resource(String),
}

/// A client call (or a raw DLL call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `offline_resource`.
    OfflineResource {
        /// Resource name (may be unknown).
        resource: String,
        /// Client flags.
        flags: OfflineResourceFlags,
        /// Reason (never changes behaviour).
        reason: OfflineReason,
    },
    /// `online_resource`.
    OnlineResource {
        /// Resource name (may be unknown).
        resource: String,
    },
    /// `move_group`.
    MoveGroup {
        /// Group name (may be unknown).
        group: String,
        /// Destination node name, or null.
        dest: Option<String>,
        /// Client flags.
        flags: MoveGroupFlags,
    },
    /// `cancel_group_operation`.
    CancelGroupOperation {
        /// Group name (may be unknown).
        group: String,
        /// Reserved.
        reserved: u32,
    },
    /// `raw_offline_v2`.
    RawOfflineV2 {
        /// Declared node whose DLL is called.
        node: String,
        /// RESID.
        resid: RawResidSpec,
        /// DestinationNodeName as given (any string, valid or not), or null.
        dest: Option<String>,
        /// OfflineFlags, raw.
        flags: u32,
        /// InBuffer bytes, or null.
        inbuf: Option<Vec<u8>>,
        /// InBufferSize.
        inbuf_size: u32,
        /// Reserved.
        reserved: u32,
    },
}

/// An environment event (only declared names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Pending offline work ends well.
    CompleteOffline(String),
    /// Pending offline work fails.
    FailOffline(String),
    /// Pending online work ends well.
    CompleteOnline(String),
    /// Pending online work fails.
    FailOnline(String),
    /// Logical time advances.
    Tick(u64),
    /// Lock.
    Lock(String),
    /// Unlock.
    Unlock(String),
    /// Busy.
    Busy(String),
    /// Unbusy.
    Unbusy(String),
    /// Link down.
    NetDown(String, String),
    /// Link up.
    NetUp(String, String),
    /// Node crash.
    CrashNode(String),
    /// Node start.
    StartNode(String),
    /// Embedded failure.
    EmbeddedFailure(String),
    /// Injected panic.
    InjectPanic(String),
}

/// A `check` of the host view (partial maps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    /// group → node.
    pub owner: Vec<(String, String)>,
    /// resource → state.
    pub state: Vec<(String, ResourceState)>,
    /// resource → persistent.
    pub persistent: Vec<(String, PersistentState)>,
    /// resource → locked.
    pub locked: Vec<(String, bool)>,
    /// group → queued.
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

/// One expected DLL call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedCall {
    /// Node.
    pub node: String,
    /// Entry.
    pub entry: CallEntry,
    /// Resource.
    pub resource: String,
    /// Destination (OfflineV2 only).
    pub dest: Option<String>,
    /// Exact flag set (OfflineV2 only).
    pub flags: OfflineFlags,
    /// The DLL's return code, if the scenario states it.
    pub result: Option<ErrorCode>,
}

/// One expected completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedCompletion {
    /// 0-based index in `steps` of the accepted call.
    pub step: usize,
    /// Result.
    pub result: ErrorCode,
}

/// One step.
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

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Where it came from (or `<inline>`).
    pub file: PathBuf,
    /// `name`.
    pub name: String,
    /// R19 timeout.
    pub pending_timeout: u64,
    /// R16 retry interval.
    pub retry_interval: u64,
    /// Nodes in declaration order.
    pub nodes: Vec<String>,
    /// Groups in declaration order.
    pub groups: Vec<GroupDecl>,
    /// Steps.
    pub steps: Vec<Step>,
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
        let p = Parser { file };
        let value: Value = serde_json::from_str(text).map_err(|e| ScenarioError {
            file: file.to_owned(),
            path: format!("$ (line {}, column {})", e.line(), e.column()),
            message: format!("not valid JSON: {e}"),
        })?;
        p.scenario(&value)
    }

    /// The names of every declared resource, in declaration order across groups.
    pub fn resource_names(&self) -> impl Iterator<Item = &str> {
        self.groups
            .iter()
            .flat_map(|g| g.resources.iter().map(|r| r.name.as_str()))
    }
}

/// A JSON path under construction.
#[derive(Clone)]
struct At(String);

impl At {
    fn key(&self, k: &str) -> At {
        At(format!("{}.{k}", self.0))
    }
    fn idx(&self, i: usize) -> At {
        At(format!("{}[{i}]", self.0))
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct Parser<'f> {
    file: &'f Path,
}

type R<T> = Result<T, ScenarioError>;

const CALLS: &[&str] = &[
    "offline_resource",
    "online_resource",
    "move_group",
    "cancel_group_operation",
    "raw_offline_v2",
];
const EVENTS: &[&str] = &[
    "complete_offline",
    "fail_offline",
    "complete_online",
    "fail_online",
    "tick",
    "lock",
    "unlock",
    "busy",
    "unbusy",
    "net_down",
    "net_up",
    "crash_node",
    "start_node",
    "embedded_failure",
    "inject_panic",
];

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Parser<'_> {
    fn err<T>(&self, at: &At, message: impl Into<String>) -> R<T> {
        Err(ScenarioError {
            file: self.file.to_owned(),
            path: at.0.clone(),
            message: message.into(),
        })
    }

    fn object<'v>(&self, v: &'v Value, at: &At) -> R<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Ok(m),
            other => self.err(
                at,
                format!("expected an object, found {}", kind_name(other)),
            ),
        }
    }

    fn array<'v>(&self, v: &'v Value, at: &At) -> R<&'v Vec<Value>> {
        match v {
            Value::Array(a) => Ok(a),
            other => self.err(at, format!("expected an array, found {}", kind_name(other))),
        }
    }

    fn string<'v>(&self, v: &'v Value, at: &At) -> R<&'v str> {
        match v {
            Value::String(s) => Ok(s),
            other => self.err(at, format!("expected a string, found {}", kind_name(other))),
        }
    }

    fn u64(&self, v: &Value, at: &At) -> R<u64> {
        match v.as_u64() {
            Some(n) => Ok(n),
            None => self.err(
                at,
                format!("expected a non-negative integer, found {}", kind_name(v)),
            ),
        }
    }

    fn u32(&self, v: &Value, at: &At) -> R<u32> {
        let n = self.u64(v, at)?;
        match u32::try_from(n) {
            Ok(n) => Ok(n),
            Err(_) => self.err(at, format!("{n} does not fit in a DWORD")),
        }
    }

    fn bool(&self, v: &Value, at: &At) -> R<bool> {
        match v {
            Value::Bool(b) => Ok(*b),
            other => self.err(
                at,
                format!("expected a boolean, found {}", kind_name(other)),
            ),
        }
    }

    /// Rejects keys outside `allowed`, so that typos never pass silently.
    fn only_keys(&self, m: &Map<String, Value>, at: &At, allowed: &[&str]) -> R<()> {
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                return self.err(
                    &at.key(k),
                    format!(
                        "unknown key {k:?} (expected one of: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Ok(())
    }

    fn required<'v>(&self, m: &'v Map<String, Value>, at: &At, key: &str) -> R<&'v Value> {
        match m.get(key) {
            Some(v) => Ok(v),
            None => self.err(at, format!("missing key {key:?}")),
        }
    }

    fn code(&self, v: &Value, at: &At) -> R<ErrorCode> {
        match v {
            Value::Number(_) => self.u32(v, at).map(ErrorCode),
            Value::String(s) => match ErrorCode::parse(s) {
                Some(c) => Ok(c),
                None => self.err(
                    at,
                    format!("unknown code {s:?} (a SPEC §2 name or a number)"),
                ),
            },
            other => self.err(
                at,
                format!("expected a code name or number, found {}", kind_name(other)),
            ),
        }
    }

    /// A flag list: names (case-insensitive) of `F`, or numbers for raw bits.
    fn flags<F: bitflags::Flags<Bits = u32> + Copy>(&self, v: &Value, at: &At) -> R<F> {
        let mut bits = 0u32;
        for (i, item) in self.array(v, at)?.iter().enumerate() {
            let at = at.idx(i);
            bits |= match item {
                Value::Number(_) => self.u32(item, &at)?,
                Value::String(s) => match parse_flag::<F>(s) {
                    Some(f) => f.bits(),
                    None => {
                        let known: Vec<&str> = F::FLAGS.iter().map(bitflags::Flag::name).collect();
                        return self.err(
                            &at,
                            format!("unknown flag {s:?} (expected one of: {})", known.join(", ")),
                        );
                    }
                },
                other => {
                    return self.err(
                        &at,
                        format!("expected a flag name, found {}", kind_name(other)),
                    )
                }
            };
        }
        Ok(F::from_bits_retain(bits))
    }

    fn mode(&self, m: &Map<String, Value>, at: &At, key: &str) -> R<WorkMode> {
        match m.get(key) {
            None => Ok(WorkMode::Pending),
            Some(v) => {
                let s = self.string(v, &at.key(key))?;
                if s.eq_ignore_ascii_case("sync") {
                    Ok(WorkMode::Sync)
                } else if s.eq_ignore_ascii_case("pending") {
                    Ok(WorkMode::Pending)
                } else {
                    self.err(
                        &at.key(key),
                        format!("unknown mode {s:?} (sync or pending)"),
                    )
                }
            }
        }
    }

    fn scenario(&self, v: &Value) -> R<Scenario> {
        let at = At("$".into());
        let m = self.object(v, &at)?;
        self.only_keys(
            m,
            &at,
            &["name", "config", "nodes", "groups", "steps", "description"],
        )?;
        let name = match m.get("name") {
            Some(n) => self.string(n, &at.key("name"))?.to_owned(),
            None => String::new(),
        };
        let (mut pending_timeout, mut retry_interval) =
            (DEFAULT_PENDING_TIMEOUT, DEFAULT_RETRY_INTERVAL);
        if let Some(c) = m.get("config") {
            let cat = at.key("config");
            let cm = self.object(c, &cat)?;
            self.only_keys(cm, &cat, &["pending_timeout", "retry_interval"])?;
            if let Some(t) = cm.get("pending_timeout") {
                pending_timeout = self.u64(t, &cat.key("pending_timeout"))?;
            }
            if let Some(t) = cm.get("retry_interval") {
                retry_interval = self.u64(t, &cat.key("retry_interval"))?;
            }
        }
        let nat = at.key("nodes");
        let mut nodes = Vec::new();
        for (i, n) in self
            .array(self.required(m, &at, "nodes")?, &nat)?
            .iter()
            .enumerate()
        {
            let s = self.string(n, &nat.idx(i))?;
            if let Err(e) = NodeName::new(s) {
                return self.err(&nat.idx(i), format!("invalid node name {s:?}: {e}"));
            }
            if nodes.iter().any(|x: &String| x == s) {
                return self.err(&nat.idx(i), format!("node {s:?} is declared twice"));
            }
            nodes.push(s.to_owned());
        }
        if nodes.is_empty() {
            return self.err(&nat, "at least one node is needed");
        }
        let gat = at.key("groups");
        let mut groups: Vec<GroupDecl> = Vec::new();
        let mut all_resources: Vec<String> = Vec::new();
        for (i, g) in self
            .array(self.required(m, &at, "groups")?, &gat)?
            .iter()
            .enumerate()
        {
            let at = gat.idx(i);
            let gm = self.object(g, &at)?;
            self.only_keys(gm, &at, &["name", "owner", "resources"])?;
            let name = self.string(self.required(gm, &at, "name")?, &at.key("name"))?;
            if groups.iter().any(|x| x.name == name) {
                return self.err(&at.key("name"), format!("group {name:?} is declared twice"));
            }
            let owner = self.string(self.required(gm, &at, "owner")?, &at.key("owner"))?;
            if !nodes.iter().any(|n| n == owner) {
                return self.err(&at.key("owner"), format!("undeclared node {owner:?}"));
            }
            let rat = at.key("resources");
            let mut resources = Vec::new();
            for (j, r) in self
                .array(self.required(gm, &at, "resources")?, &rat)?
                .iter()
                .enumerate()
            {
                let at = rat.idx(j);
                let rm = self.object(r, &at)?;
                self.only_keys(rm, &at, &["name", "persistent", "offline", "online"])?;
                let rname = self.string(self.required(rm, &at, "name")?, &at.key("name"))?;
                if all_resources.iter().any(|x| x == rname) {
                    return self.err(
                        &at.key("name"),
                        format!("resource {rname:?} is declared twice"),
                    );
                }
                let ps =
                    self.string(self.required(rm, &at, "persistent")?, &at.key("persistent"))?;
                let Some(persistent) = PersistentState::parse(ps) else {
                    return self.err(
                        &at.key("persistent"),
                        format!("unknown persistent state {ps:?} (online or offline)"),
                    );
                };
                all_resources.push(rname.to_owned());
                resources.push(ResourceDecl {
                    name: rname.to_owned(),
                    persistent,
                    offline: self.mode(rm, &at, "offline")?,
                    online: self.mode(rm, &at, "online")?,
                });
            }
            groups.push(GroupDecl {
                name: name.to_owned(),
                owner: owner.to_owned(),
                resources,
            });
        }
        if all_resources.len() > 255 || groups.len() > 255 || nodes.len() > 255 {
            return self.err(&at, "at most 255 nodes, groups and resources");
        }
        let decl = Declared {
            nodes: &nodes,
            groups: &groups,
            resources: &all_resources,
        };
        let sat = at.key("steps");
        let raw_steps = self.array(self.required(m, &at, "steps")?, &sat)?;
        let mut steps = Vec::with_capacity(raw_steps.len());
        for (i, s) in raw_steps.iter().enumerate() {
            steps.push(self.step(s, &sat.idx(i), &decl)?);
        }
        // check_completions may only name earlier call steps.
        for (i, s) in steps.iter().enumerate() {
            if let Step::CheckCompletions(list) = s {
                for (j, c) in list.iter().enumerate() {
                    let ok = c.step < i && matches!(steps[c.step], Step::Call { .. });
                    if !ok {
                        return self.err(
                            &sat.idx(i).key("check_completions").idx(j).key("step"),
                            format!("step {} is not an earlier call step", c.step),
                        );
                    }
                }
            }
        }
        Ok(Scenario {
            file: self.file.to_owned(),
            name,
            pending_timeout,
            retry_interval,
            nodes,
            groups,
            steps,
        })
    }

    fn step(&self, v: &Value, at: &At, d: &Declared<'_>) -> R<Step> {
        let m = self.object(v, at)?;
        if let Some(c) = m.get("call") {
            let call = self.string(c, &at.key("call"))?;
            return self.call(call, m, at, d);
        }
        if let Some(e) = m.get("event") {
            let event = self.string(e, &at.key("event"))?;
            return self.event(event, m, at, d).map(Step::Event);
        }
        if let Some(c) = m.get("check") {
            self.only_keys(m, at, &["check", "comment"])?;
            return self.check(c, &at.key("check"), d).map(Step::Check);
        }
        if let Some(c) = m.get("check_calls") {
            self.only_keys(m, at, &["check_calls", "comment"])?;
            let cat = at.key("check_calls");
            let mut list = Vec::new();
            for (i, e) in self.array(c, &cat)?.iter().enumerate() {
                list.push(self.expected_call(e, &cat.idx(i), d)?);
            }
            return Ok(Step::CheckCalls(list));
        }
        if let Some(c) = m.get("check_completions") {
            self.only_keys(m, at, &["check_completions", "comment"])?;
            let cat = at.key("check_completions");
            let mut list = Vec::new();
            for (i, e) in self.array(c, &cat)?.iter().enumerate() {
                let at = cat.idx(i);
                let em = self.object(e, &at)?;
                self.only_keys(em, &at, &["step", "result"])?;
                let step = self.u64(self.required(em, &at, "step")?, &at.key("step"))?;
                list.push(ExpectedCompletion {
                    step: usize::try_from(step).unwrap_or(usize::MAX),
                    result: self.code(self.required(em, &at, "result")?, &at.key("result"))?,
                });
            }
            return Ok(Step::CheckCompletions(list));
        }
        self.err(
            at,
            "a step needs one of the keys call, event, check, check_calls, check_completions",
        )
    }

    fn expect(&self, m: &Map<String, Value>, at: &At) -> R<Option<ErrorCode>> {
        m.get("expect")
            .map(|v| self.code(v, &at.key("expect")))
            .transpose()
    }

    fn name_field<'v>(&self, m: &'v Map<String, Value>, at: &At, key: &str) -> R<&'v str> {
        self.string(self.required(m, at, key)?, &at.key(key))
    }

    fn call(&self, call: &str, m: &Map<String, Value>, at: &At, d: &Declared<'_>) -> R<Step> {
        const COMMON: [&str; 3] = ["call", "expect", "comment"];
        let keys = |extra: &[&'static str]| -> Vec<&'static str> {
            COMMON.iter().chain(extra).copied().collect()
        };
        let call = match call {
            "offline_resource" => {
                self.only_keys(m, at, &keys(&["resource", "flags", "reason"]))?;
                let flags = match m.get("flags") {
                    Some(f) => self.flags::<OfflineResourceFlags>(f, &at.key("flags"))?,
                    None => OfflineResourceFlags::empty(),
                };
                let reason = match m.get("reason") {
                    None => OfflineReason::None,
                    Some(r) => {
                        let s = self.string(r, &at.key("reason"))?;
                        match OfflineReason::ALL
                            .iter()
                            .find(|x| x.name().eq_ignore_ascii_case(s))
                        {
                            Some(r) => *r,
                            None => {
                                return self.err(&at.key("reason"), format!("unknown reason {s:?}"))
                            }
                        }
                    }
                };
                Call::OfflineResource {
                    resource: self.name_field(m, at, "resource")?.to_owned(),
                    flags,
                    reason,
                }
            }
            "online_resource" => {
                self.only_keys(m, at, &keys(&["resource"]))?;
                Call::OnlineResource {
                    resource: self.name_field(m, at, "resource")?.to_owned(),
                }
            }
            "move_group" => {
                self.only_keys(m, at, &keys(&["group", "dest", "flags"]))?;
                let dest = match m.get("dest") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(self.string(v, &at.key("dest"))?.to_owned()),
                };
                let flags = match m.get("flags") {
                    Some(f) => self.flags::<MoveGroupFlags>(f, &at.key("flags"))?,
                    None => MoveGroupFlags::empty(),
                };
                Call::MoveGroup {
                    group: self.name_field(m, at, "group")?.to_owned(),
                    dest,
                    flags,
                }
            }
            "cancel_group_operation" => {
                self.only_keys(m, at, &keys(&["group", "reserved"]))?;
                let reserved = match m.get("reserved") {
                    Some(v) => self.u32(v, &at.key("reserved"))?,
                    None => 0,
                };
                Call::CancelGroupOperation {
                    group: self.name_field(m, at, "group")?.to_owned(),
                    reserved,
                }
            }
            "raw_offline_v2" => {
                self.only_keys(
                    m,
                    at,
                    &keys(&[
                        "node",
                        "resid",
                        "resource",
                        "dest",
                        "flags",
                        "inbuf",
                        "inbuf_size",
                        "reserved",
                    ]),
                )?;
                let node = self.name_field(m, at, "node")?;
                d.node(self, node, &at.key("node"))?;
                let resid = match (m.get("resid"), m.get("resource")) {
                    (Some(v), None) => RawResidSpec::Value(self.u64(v, &at.key("resid"))?),
                    (None, Some(v)) => {
                        let r = self.string(v, &at.key("resource"))?;
                        d.resource(self, r, &at.key("resource"))?;
                        RawResidSpec::Resource(r.to_owned())
                    }
                    _ => {
                        return self.err(at, "raw_offline_v2 needs exactly one of resid, resource")
                    }
                };
                let dest = match m.get("dest") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(self.string(v, &at.key("dest"))?.to_owned()),
                };
                let inbuf = match m.get("inbuf") {
                    None | Some(Value::Null) => None,
                    Some(v) => {
                        let s = self.string(v, &at.key("inbuf"))?;
                        match parse_hex(s) {
                            Some(b) => Some(b),
                            None => {
                                return self.err(
                                    &at.key("inbuf"),
                                    format!("{s:?} is not an even-length hex string"),
                                )
                            }
                        }
                    }
                };
                let num = |k: &str| -> R<u32> {
                    match m.get(k) {
                        Some(v) => self.u32(v, &at.key(k)),
                        None => Ok(0),
                    }
                };
                Call::RawOfflineV2 {
                    node: node.to_owned(),
                    resid,
                    dest,
                    flags: num("flags")?,
                    inbuf_size: match m.get("inbuf_size") {
                        Some(v) => self.u32(v, &at.key("inbuf_size"))?,
                        None => inbuf
                            .as_ref()
                            .map_or(0, |b| u32::try_from(b.len()).unwrap_or(u32::MAX)),
                    },
                    inbuf,
                    reserved: num("reserved")?,
                }
            }
            other => {
                return self.err(
                    &at.key("call"),
                    format!(
                        "unknown call {other:?} (expected one of: {})",
                        CALLS.join(", ")
                    ),
                )
            }
        };
        Ok(Step::Call {
            call,
            expect: self.expect(m, at)?,
        })
    }

    fn event(&self, event: &str, m: &Map<String, Value>, at: &At, d: &Declared<'_>) -> R<Event> {
        let resource = |k: &str| -> R<String> {
            self.only_keys(m, at, &["event", "comment", k])?;
            let r = self.name_field(m, at, k)?;
            d.resource(self, r, &at.key(k))?;
            Ok(r.to_owned())
        };
        let node = |k: &str| -> R<String> {
            let n = self.name_field(m, at, k)?;
            d.node(self, n, &at.key(k))?;
            Ok(n.to_owned())
        };
        Ok(match event {
            "complete_offline" => Event::CompleteOffline(resource("resource")?),
            "fail_offline" => Event::FailOffline(resource("resource")?),
            "complete_online" => Event::CompleteOnline(resource("resource")?),
            "fail_online" => Event::FailOnline(resource("resource")?),
            "lock" => Event::Lock(resource("resource")?),
            "unlock" => Event::Unlock(resource("resource")?),
            "busy" => Event::Busy(resource("resource")?),
            "unbusy" => Event::Unbusy(resource("resource")?),
            "embedded_failure" => Event::EmbeddedFailure(resource("resource")?),
            "inject_panic" => Event::InjectPanic(resource("resource")?),
            "tick" => {
                self.only_keys(m, at, &["event", "comment", "ms"])?;
                Event::Tick(self.u64(self.required(m, at, "ms")?, &at.key("ms"))?)
            }
            "net_down" | "net_up" => {
                self.only_keys(m, at, &["event", "comment", "from", "to"])?;
                let (a, b) = (node("from")?, node("to")?);
                if event == "net_down" {
                    Event::NetDown(a, b)
                } else {
                    Event::NetUp(a, b)
                }
            }
            "crash_node" | "start_node" => {
                self.only_keys(m, at, &["event", "comment", "node"])?;
                let n = node("node")?;
                if event == "crash_node" {
                    Event::CrashNode(n)
                } else {
                    Event::StartNode(n)
                }
            }
            other => {
                return self.err(
                    &at.key("event"),
                    format!(
                        "unknown event {other:?} (expected one of: {})",
                        EVENTS.join(", ")
                    ),
                )
            }
        })
    }

    fn check(&self, v: &Value, at: &At, d: &Declared<'_>) -> R<Check> {
        let m = self.object(v, at)?;
        self.only_keys(m, at, &["owner", "state", "persistent", "locked", "queued"])?;
        let mut check = Check::default();
        let entries = |key: &str| -> R<Vec<(String, &Value, At)>> {
            match m.get(key) {
                None => Ok(Vec::new()),
                Some(v) => {
                    let kat = at.key(key);
                    Ok(self
                        .object(v, &kat)?
                        .iter()
                        .map(|(k, v)| (k.clone(), v, kat.key(k)))
                        .collect())
                }
            }
        };
        for (g, v, at) in entries("owner")? {
            d.group(self, &g, &at)?;
            let n = self.string(v, &at)?;
            d.node(self, n, &at)?;
            check.owner.push((g, n.to_owned()));
        }
        for (r, v, at) in entries("state")? {
            d.resource(self, &r, &at)?;
            let s = self.string(v, &at)?;
            let Some(state) = ResourceState::parse(s) else {
                return self.err(&at, format!("unknown state {s:?}"));
            };
            check.state.push((r, state));
        }
        for (r, v, at) in entries("persistent")? {
            d.resource(self, &r, &at)?;
            let s = self.string(v, &at)?;
            let Some(state) = PersistentState::parse(s) else {
                return self.err(&at, format!("unknown persistent state {s:?}"));
            };
            check.persistent.push((r, state));
        }
        for (r, v, at) in entries("locked")? {
            d.resource(self, &r, &at)?;
            check.locked.push((r, self.bool(v, &at)?));
        }
        for (g, v, at) in entries("queued")? {
            d.group(self, &g, &at)?;
            check.queued.push((g, self.bool(v, &at)?));
        }
        Ok(check)
    }

    fn expected_call(&self, v: &Value, at: &At, d: &Declared<'_>) -> R<ExpectedCall> {
        let m = self.object(v, at)?;
        self.only_keys(
            m,
            at,
            &["node", "entry", "resource", "dest", "flags", "result"],
        )?;
        let node = self.name_field(m, at, "node")?;
        d.node(self, node, &at.key("node"))?;
        let resource = self.name_field(m, at, "resource")?;
        d.resource(self, resource, &at.key("resource"))?;
        let e = self.name_field(m, at, "entry")?;
        let entry = match e.to_ascii_lowercase().as_str() {
            "onlinev2" => CallEntry::OnlineV2,
            "offlinev2" => CallEntry::OfflineV2,
            "terminate" => CallEntry::Terminate,
            _ => {
                return self.err(
                    &at.key("entry"),
                    format!("unknown entry {e:?} (OnlineV2, OfflineV2 or Terminate)"),
                )
            }
        };
        let dest = match m.get("dest") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let n = self.string(v, &at.key("dest"))?;
                d.node(self, n, &at.key("dest"))?;
                Some(n.to_owned())
            }
        };
        let flags = match m.get("flags") {
            Some(f) => self.flags::<OfflineFlags>(f, &at.key("flags"))?,
            None => OfflineFlags::empty(),
        };
        if entry != CallEntry::OfflineV2 && (dest.is_some() || !flags.is_empty()) {
            return self.err(
                at,
                format!("{} entries have no dest or flags", entry.name()),
            );
        }
        Ok(ExpectedCall {
            node: node.to_owned(),
            entry,
            resource: resource.to_owned(),
            dest,
            flags,
            result: m
                .get("result")
                .map(|v| self.code(v, &at.key("result")))
                .transpose()?,
        })
    }
}

struct Declared<'a> {
    nodes: &'a [String],
    groups: &'a [GroupDecl],
    resources: &'a [String],
}

impl Declared<'_> {
    fn node(&self, p: &Parser<'_>, name: &str, at: &At) -> R<()> {
        if self.nodes.iter().any(|n| n == name) {
            Ok(())
        } else {
            p.err(at, format!("undeclared node {name:?}"))
        }
    }
    fn group(&self, p: &Parser<'_>, name: &str, at: &At) -> R<()> {
        if self.groups.iter().any(|g| g.name == name) {
            Ok(())
        } else {
            p.err(at, format!("undeclared group {name:?}"))
        }
    }
    fn resource(&self, p: &Parser<'_>, name: &str, at: &At) -> R<()> {
        if self.resources.iter().any(|r| r == name) {
            Ok(())
        } else {
            p.err(at, format!("undeclared resource {name:?}"))
        }
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../scenarios/r12-r17-spec-example-return-to-source.json");

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(text, Path::new("t.json"))
    }

    #[test]
    fn spec_example_parses() {
        let s = parse(EXAMPLE).expect("the SPEC §7 example is valid");
        assert_eq!(s.nodes, ["n1", "n2"]);
        assert_eq!(s.steps.len(), 7);
        assert_eq!(s.pending_timeout, 180_000);
        let Step::CheckCalls(calls) = &s.steps[5] else {
            panic!("step 5 is check_calls")
        };
        assert_eq!(
            calls[0].flags,
            OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR
                | OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE
        );
    }

    fn error_of(text: &str) -> ScenarioError {
        parse(text).expect_err("must be rejected")
    }

    const HEAD: &str = r#""nodes":["n1","n2"],"groups":[{"name":"g1","owner":"n1","resources":[{"name":"vm1","persistent":"online"}]}]"#;

    fn with_steps(steps: &str) -> String {
        format!("{{{HEAD},\"steps\":{steps}}}")
    }

    #[test]
    fn malformed_files_name_the_json_path() {
        let cases = [
            ("{", "$ (line 1, column 1)"),
            (&with_steps(r#"[{"call":"fly"}]"#), "$.steps[0].call"),
            (
                &with_steps(r#"[{"event":"complete_offline","resource":"vm9"}]"#),
                "$.steps[0].resource",
            ),
            (
                &with_steps(r#"[{"call":"move_group","group":"g1","flags":["NOPE"]}]"#),
                "$.steps[0].flags[0]",
            ),
            (
                &with_steps(r#"[{"call":"move_group","group":"g1","expect":"ERROR_NOPE"}]"#),
                "$.steps[0].expect",
            ),
            (
                &with_steps(r#"[{"check":{"state":{"vm1":"Sleeping"}}}]"#),
                "$.steps[0].check.state.vm1",
            ),
            (
                &with_steps(r#"[{"check":{"owner":{"g1":"n7"}}}]"#),
                "$.steps[0].check.owner.g1",
            ),
            (
                &with_steps(r#"[{"event":"tick","ms":"ten"}]"#),
                "$.steps[0].ms",
            ),
            (
                &with_steps(r#"[{"check_completions":[{"step":0,"result":"ERROR_SUCCESS"}]}]"#),
                "$.steps[0].check_completions[0].step",
            ),
            (
                &with_steps(r#"[{"event":"tick","ms":1,"extra":true}]"#),
                "$.steps[0].extra",
            ),
            (
                &with_steps(r#"[{"call":"raw_offline_v2","node":"n1","resid":1,"inbuf":"abc"}]"#),
                "$.steps[0].inbuf",
            ),
            (
                &with_steps(r#"[{"check_calls":[{"node":"n1","entry":"Open","resource":"vm1"}]}]"#),
                "$.steps[0].check_calls[0].entry",
            ),
            (r#"{"nodes":["n_1"],"groups":[],"steps":[]}"#, "$.nodes[0]"),
        ];
        for (text, path) in cases {
            let e = error_of(text);
            assert_eq!(e.path, path, "{e}");
            assert!(e.to_string().starts_with("t.json: "), "{e}");
        }
    }

    #[test]
    fn unknown_names_in_calls_are_legal() {
        let s = parse(&with_steps(
            r#"[{"call":"move_group","group":"nope","dest":"n9","expect":5013},{"call":"online_resource","resource":"vm9"}]"#,
        ))
        .expect("calls may name unknown things");
        assert!(matches!(
            s.steps[0],
            Step::Call {
                expect: Some(ErrorCode::ERROR_GROUP_NOT_FOUND),
                ..
            }
        ));
    }

    #[test]
    fn names_are_case_insensitive_and_flags_may_be_numbers() {
        let s = parse(&with_steps(
            r#"[{"call":"move_group","group":"g1","flags":["return_to_source_node_on_error",32],"expect":"error_io_pending"}]"#,
        ))
        .expect("valid");
        let Step::Call {
            call: Call::MoveGroup { flags, .. },
            expect,
        } = &s.steps[0]
        else {
            panic!("a move")
        };
        assert_eq!(flags.bits(), 0x2 | 32);
        assert_eq!(*expect, Some(ErrorCode::ERROR_IO_PENDING));
    }
}
