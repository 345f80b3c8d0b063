//! What a host observes of a resource DLL: its calls with their exact arguments, the answers,
//! and the callbacks (SPEC §1a). These are the [`DllMonitor`](super::DllMonitor)'s inputs and
//! the lines of the JSON-lines trace `offline-v2 conform` writes (`docs/conform.md`).

use offline_v2::resource_dll::DllCallback;
use offline_v2::types::{ResourceId, ResourceState};
use serde::{Deserialize, Serialize};

/// The DestinationNodeName of an `OfflineV2` call as the host passed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dest {
    /// A NULL pointer.
    Null,
    /// These characters followed by a NUL.
    Name(String),
    /// Exactly these UTF-16 units, followed by a NUL only if `terminated` (an unterminated
    /// destination is passed as the last units before an unreadable guard page).
    Units {
        /// The code units.
        units: Vec<u16>,
        /// A NUL follows them.
        terminated: bool,
    },
}

impl Dest {
    /// The units the DLL can read, and whether a NUL follows them.
    #[must_use]
    pub fn units(&self) -> Option<(Vec<u16>, bool)> {
        match self {
            Dest::Null => None,
            Dest::Name(s) => Some((s.encode_utf16().collect(), true)),
            Dest::Units { units, terminated } => Some((units.clone(), *terminated)),
        }
    }

    /// A short human form: `NULL`, `"N2"`, or the units in hex.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Dest::Null => "NULL".into(),
            Dest::Name(s) => format!("{s:?}"),
            Dest::Units { units, terminated } => {
                let text: Vec<String> = units.iter().map(|u| format!("{u:04x}")).collect();
                format!(
                    "[{}]{}",
                    text.join(" "),
                    if *terminated { "+NUL" } else { " (no NUL)" }
                )
            }
        }
    }
}

/// `, InBuffer buffer of size 8, Reserved 0x1` — the unusual arguments of a call, for
/// messages (empty for a NULL buffer of size 0 and Reserved 0).
#[must_use]
pub fn unusual_args(inbuf: bool, inbuf_size: u32, reserved: u32) -> String {
    let mut text = String::new();
    if inbuf || inbuf_size != 0 {
        let buffer = if inbuf { "buffer" } else { "NULL" };
        text.push_str(&format!(", InBuffer {buffer} of size {inbuf_size}"));
    }
    if reserved != 0 {
        text.push_str(&format!(", Reserved {reserved:#x}"));
    }
    text
}

/// One `OfflineV2(Resource, DestinationNodeName, OfflineFlags, InBuffer, InBufferSize,
/// Reserved)` call, every argument as passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineCall {
    /// The RESID value (real, closed or forged).
    pub resid: u64,
    /// DestinationNodeName.
    pub dest: Dest,
    /// OfflineFlags, unknown bits included.
    pub flags: u32,
    /// InBuffer is non-NULL (then exactly `inbuf_size` readable bytes are passed).
    pub inbuf: bool,
    /// InBufferSize.
    pub inbuf_size: u32,
    /// Reserved.
    pub reserved: u32,
}

/// One `OnlineV2(Resource, EventHandle = NULL, OnlineFlags = 0, InBuffer, InBufferSize,
/// Reserved)` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineCall {
    /// The RESID value.
    pub resid: u64,
    /// InBuffer is non-NULL (then exactly `inbuf_size` readable bytes are passed).
    pub inbuf: bool,
    /// InBufferSize.
    pub inbuf_size: u32,
    /// Reserved.
    pub reserved: u32,
}

/// A callback from the DLL, by the host's resource index (the ResourceHandle passed at Open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "callback", rename_all = "snake_case")]
pub enum Callback {
    /// `SetResourceStatusEx(handle, status)` (R7, R8).
    Status {
        /// The resource.
        resource: u8,
        /// `ResourceState`, by its SPEC name.
        #[serde(with = "state_name")]
        state: ResourceState,
    },
    /// `SetResourceLockedMode(handle, locked, reason)` (R4).
    LockedMode {
        /// The resource.
        resource: u8,
        /// Locked or not.
        locked: bool,
    },
    /// `SignalFailure(handle, FAILURE_TYPE_EMBEDDED, code)` (R21).
    EmbeddedFailure {
        /// The resource.
        resource: u8,
        /// The application's error code.
        code: u32,
    },
}

impl Callback {
    /// The resource it names.
    #[must_use]
    pub fn resource(&self) -> u8 {
        match *self {
            Callback::Status { resource, .. }
            | Callback::LockedMode { resource, .. }
            | Callback::EmbeddedFailure { resource, .. } => resource,
        }
    }
}

impl From<DllCallback> for Callback {
    fn from(c: DllCallback) -> Self {
        match c {
            DllCallback::Status { resource, state } => Callback::Status {
                resource: resource.0,
                state,
            },
            DllCallback::LockedMode { resource, locked } => Callback::LockedMode {
                resource: resource.0,
                locked,
            },
            DllCallback::EmbeddedFailure { resource, code } => Callback::EmbeddedFailure {
                resource: resource.0,
                code,
            },
        }
    }
}

impl From<Callback> for DllCallback {
    fn from(c: Callback) -> Self {
        match c {
            Callback::Status { resource, state } => DllCallback::Status {
                resource: ResourceId(resource),
                state,
            },
            Callback::LockedMode { resource, locked } => DllCallback::LockedMode {
                resource: ResourceId(resource),
                locked,
            },
            Callback::EmbeddedFailure { resource, code } => DllCallback::EmbeddedFailure {
                resource: ResourceId(resource),
                code,
            },
        }
    }
}

/// One thing a host observed. `during` lists the callbacks that arrived while the call ran or
/// before the host looked again after it returned: a DLL working on its own threads may call
/// back before the call that started the work has returned (R7), so they are judged as
/// coming after the answer, and a lock they report counts for the answer too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// `OpenV2(name, NULL, handle of resource, 0)` answered `resid` (None = NULL).
    Open {
        /// The host's index of the resource (its ResourceHandle).
        resource: u8,
        /// The name passed.
        name: String,
        /// The RESID returned, None for NULL.
        resid: Option<u64>,
        /// Callbacks during the call.
        during: Vec<Callback>,
    },
    /// `Close(resid)`.
    Close {
        /// The RESID passed.
        resid: u64,
        /// Callbacks during the call.
        during: Vec<Callback>,
    },
    /// `Terminate(resid)`.
    Terminate {
        /// The RESID passed.
        resid: u64,
        /// Callbacks during the call.
        during: Vec<Callback>,
    },
    /// `OfflineV2` and its answer.
    OfflineV2 {
        /// The arguments.
        call: OfflineCall,
        /// The return code.
        answer: u32,
        /// Callbacks during the call.
        during: Vec<Callback>,
    },
    /// `OnlineV2` and its answer.
    OnlineV2 {
        /// The arguments.
        call: OnlineCall,
        /// The return code.
        answer: u32,
        /// Callbacks during the call.
        during: Vec<Callback>,
    },
    /// Callbacks that arrived between calls.
    Callbacks {
        /// In arrival order.
        callbacks: Vec<Callback>,
    },
    /// The instance forgot every RESID and all work (the reference DLL's `Reset` control, a
    /// node crash; never a WSFC entry point).
    Reset,
    /// The host's bounded wait for pending work is over: every status callback still owed is
    /// late (R7).
    Expire,
}

/// Serde of a [`ResourceState`] by its SPEC name.
mod state_name {
    use offline_v2::types::ResourceState;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(state: &ResourceState, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(state.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ResourceState, D::Error> {
        let text = String::deserialize(d)?;
        ResourceState::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown resource state {text:?}")))
    }
}
