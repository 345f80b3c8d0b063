//! The shared vocabulary of SPEC §1–§3: flag sets, error codes, states and ids.
//!
//! Every name here is the SPEC's name. The ABI module (`crate::abi`) converts between these
//! types and raw `DWORD`s; nothing else in the crate touches raw integers.

use std::fmt;

bitflags::bitflags! {
    /// The `OfflineFlags` argument of `OfflineV2` (SPEC §1, R1, R12).
    ///
    /// Built with [`OfflineFlags::from_bits_retain`], unknown bits are kept so that R1 can
    /// detect them with [`OfflineFlags::unknown_bits`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct OfflineFlags: u32 {
        /// 0x01: go offline even though the resource said it is locked (R4, R6).
        const IGNORE_RESOURCE_STATUS = 0x01;
        /// 0x02: first leg of a move that returns to this node on error (R12, R17).
        const RETURN_TO_SOURCE_NODE_ON_ERROR = 0x02;
        /// 0x04: a delayed offline is queued and retried (R16).
        const QUEUE_ENABLED = 0x04;
        /// 0x08: destination-side offline undoing a failed move (R17).
        const RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR = 0x08;
        /// 0x10: the offline is caused by an embedded failure (R21).
        const DUE_TO_EMBEDDED_FAILURE = 0x10;
        /// 0x20: offline without depending on the network to the destination (R5).
        const IGNORE_NETWORK_CONNECTIVITY = 0x20;
        /// 0x40: the cluster leaves the persistent state as it is (R11, R12).
        const DO_NOT_UPDATE_PERSISTENT_STATE = 0x40;
    }
}

impl OfflineFlags {
    /// Bits outside 0x7F (R1 rejects any).
    #[must_use]
    pub fn unknown_bits(self) -> u32 {
        self.bits() & !Self::all().bits()
    }
}

bitflags::bitflags! {
    /// Client flags of `OfflineResourceEx` (SPEC §2).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct OfflineResourceFlags: u32 {
        /// 0x1: offline even if the resource is locked (R13 check 7).
        const IGNORE_RESOURCE_STATUS = 0x1;
        /// 0x2: skip OfflineV2 and call Terminate (R19).
        const FORCE_WITH_TERMINATION = 0x2;
        /// 0x4: leave the persistent state as it is (R11).
        const DO_NOT_UPDATE_PERSISTENT_STATE = 0x4;
    }
}

bitflags::bitflags! {
    /// Client flags of `MoveGroupEx` (SPEC §2). FAILBACK is reserved and rejected (R13 check 1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct MoveGroupFlags: u32 {
        /// 0x1: move even if a resource is locked (R13 check 7, R12 0x01).
        const IGNORE_RESOURCE_STATUS = 0x1;
        /// 0x2: return to the source node if the destination fails (R17).
        const RETURN_TO_SOURCE_NODE_ON_ERROR = 0x2;
        /// 0x4: queue and retry when the DLL answers ERROR_RETRY (R16).
        const QUEUE_ENABLED = 0x4;
        /// 0x8: accepted, changes nothing (R15).
        const HIGH_PRIORITY_START = 0x8;
        /// 0x10: reserved; rejected with ERROR_INVALID_PARAMETER (R13 check 1).
        const FAILBACK = 0x10;
    }
}

/// The `reason` of `OfflineResourceEx` (SPEC §2). It never changes behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum OfflineReason {
    /// 0
    #[default]
    None,
    /// 1
    Unknown,
    /// 2
    Moving,
    /// 4
    UserRequested,
    /// 8
    BeingDeleted,
    /// 0x10
    BeingRestarted,
}

impl OfflineReason {
    /// Every reason, in value order.
    pub const ALL: [Self; 6] = [
        Self::None,
        Self::Unknown,
        Self::Moving,
        Self::UserRequested,
        Self::BeingDeleted,
        Self::BeingRestarted,
    ];
    /// The wire value.
    #[must_use]
    pub fn value(self) -> u32 {
        match self {
            Self::None => 0,
            Self::Unknown => 1,
            Self::Moving => 2,
            Self::UserRequested => 4,
            Self::BeingDeleted => 8,
            Self::BeingRestarted => 0x10,
        }
    }
    /// The SPEC name (`NONE`, `UNKNOWN`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Unknown => "UNKNOWN",
            Self::Moving => "MOVING",
            Self::UserRequested => "USER_REQUESTED",
            Self::BeingDeleted => "BEING_DELETED",
            Self::BeingRestarted => "BEING_RESTARTED",
        }
    }
}

/// A Windows error code (SPEC §2). `Display` prints the Windows name, or the number if unnamed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(pub u32);

macro_rules! error_codes {
    ($($name:ident = $value:expr,)*) => {
        impl ErrorCode {
            $(
                #[doc = concat!("`", stringify!($name), "` (", stringify!($value), ")")]
                pub const $name: ErrorCode = ErrorCode($value);
            )*
            /// Every named code of SPEC §2, in value order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            /// The Windows name, if this code is one of SPEC §2.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// Parses a Windows name (case-insensitive) or a decimal number.
            #[must_use]
            pub fn parse(text: &str) -> Option<ErrorCode> {
                $(if text.eq_ignore_ascii_case(stringify!($name)) { return Some(ErrorCode::$name); })*
                text.parse::<u32>().ok().map(ErrorCode)
            }
        }
    };
}

error_codes! {
    ERROR_SUCCESS = 0,
    ERROR_INVALID_FUNCTION = 1,
    ERROR_NOT_ENOUGH_MEMORY = 8,
    ERROR_GEN_FAILURE = 31,
    ERROR_INVALID_PARAMETER = 87,
    ERROR_BUSY = 170,
    ERROR_OPERATION_ABORTED = 995,
    ERROR_IO_PENDING = 997,
    ERROR_CANCELLED = 1223,
    ERROR_HOST_UNREACHABLE = 1232,
    ERROR_RETRY = 1237,
    ERROR_REVISION_MISMATCH = 1306,
    ERROR_TIMEOUT = 1460,
    ERROR_RESOURCE_NOT_FOUND = 5007,
    ERROR_GROUP_NOT_FOUND = 5013,
    ERROR_INVALID_STATE = 5023,
    ERROR_RESOURCE_FAILED = 5038,
    ERROR_CLUSTER_NODE_NOT_FOUND = 5042,
    ERROR_CLUSTER_NODE_DOWN = 5050,
    ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND = 5078,
    ERROR_CLUSTER_RESOURCE_VETOED_CALL = 5955,
    ERROR_CLUSTER_GROUP_QUEUED = 5959,
    ERROR_CLUSTER_RESOURCE_LOCKED_STATUS = 5960,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}({})", self.0)
    }
}

/// A resource's state (SPEC §3), with its `CLUSTER_RESOURCE_STATE` value (SPEC §1a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceState {
    /// 3
    Offline,
    /// 129
    OnlinePending,
    /// 2
    Online,
    /// 130
    OfflinePending,
    /// 4
    Failed,
}

impl ResourceState {
    /// Every state.
    pub const ALL: [Self; 5] = [
        Self::Offline,
        Self::OnlinePending,
        Self::Online,
        Self::OfflinePending,
        Self::Failed,
    ];
    /// The `CLUSTER_RESOURCE_STATE` value used in `RESOURCE_STATUS_EX`.
    #[must_use]
    pub fn cluster_value(self) -> i32 {
        match self {
            Self::Online => 2,
            Self::Offline => 3,
            Self::Failed => 4,
            Self::OnlinePending => 129,
            Self::OfflinePending => 130,
        }
    }
    /// The state for a `CLUSTER_RESOURCE_STATE` value, if it is one of SPEC §1a.
    #[must_use]
    pub fn from_cluster_value(value: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.cluster_value() == value)
    }
    /// The SPEC name (`Offline`, `OnlinePending`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Offline => "Offline",
            Self::OnlinePending => "OnlinePending",
            Self::Online => "Online",
            Self::OfflinePending => "OfflinePending",
            Self::Failed => "Failed",
        }
    }
    /// Parses a SPEC name, case-insensitively.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for ResourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The cluster database's durable intent for a resource (SPEC §3, R11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersistentState {
    /// The resource should be online.
    Online,
    /// The resource should be offline.
    Offline,
}

impl PersistentState {
    /// The resource state this intent is a target for.
    #[must_use]
    pub fn target(self) -> ResourceState {
        match self {
            Self::Online => ResourceState::Online,
            Self::Offline => ResourceState::Offline,
        }
    }
    /// The SPEC name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Online => "Online",
            Self::Offline => "Offline",
        }
    }
    /// Parses a SPEC name, case-insensitively.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Online, Self::Offline]
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text))
    }
}

/// A node's state (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeState {
    /// Running.
    Up,
    /// Crashed or stopped.
    Down,
}

/// How a resource's pending offline or online work ends (R7): at once, or later via callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum WorkMode {
    /// The entry point finishes the work and returns ERROR_SUCCESS.
    Sync,
    /// The entry point returns ERROR_IO_PENDING; an environment event ends the work (default).
    #[default]
    Pending,
}

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u8);
        impl $name {
            /// The dense index (declaration order).
            #[must_use]
            pub fn index(self) -> usize {
                usize::from(self.0)
            }
        }
    };
}

dense_id!(
    /// A node, by declaration order (SPEC §3).
    NodeId
);
dense_id!(
    /// A group, by declaration order.
    GroupId
);
dense_id!(
    /// A resource, by declaration order across all groups.
    ResourceId
);

/// An accepted client operation, numbered in acceptance order from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub u32);

/// Why a node name is not valid (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeNameError {
    /// Empty name.
    #[error("a node name is 1-15 characters; this one is empty")]
    Empty,
    /// More than 15 characters.
    #[error("a node name is 1-15 characters; this one has {0}")]
    TooLong(usize),
    /// A character outside `[A-Za-z0-9-]`.
    #[error("a node name uses only [A-Za-z0-9-]; this one has {0:?}")]
    BadChar(char),
}

/// Maximum length of a node name (SPEC §3).
pub const NODE_NAME_MAX: usize = 15;

/// A valid node name: 1–15 characters of `[A-Za-z0-9-]` (SPEC §3, R1). Stored inline (no heap).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeName {
    len: u8,
    bytes: [u8; NODE_NAME_MAX],
}

impl NodeName {
    /// Validates `text` as a node name.
    ///
    /// # Errors
    /// [`NodeNameError`] when the syntax of SPEC §3 is not met.
    pub fn new(text: &str) -> Result<Self, NodeNameError> {
        Self::from_chars(text.chars().map(u32::from))
    }

    /// Validates UTF-16 code units (without the terminating NUL) as a node name (R1).
    ///
    /// # Errors
    /// [`NodeNameError`] when the syntax of SPEC §3 is not met.
    pub fn from_utf16(units: &[u16]) -> Result<Self, NodeNameError> {
        Self::from_chars(units.iter().map(|&u| u32::from(u)))
    }

    fn from_chars(chars: impl Iterator<Item = u32>) -> Result<Self, NodeNameError> {
        let mut bytes = [0u8; NODE_NAME_MAX];
        let mut len = 0usize;
        for c in chars {
            let ch = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
            if !(ch.is_ascii_alphanumeric() || ch == '-') {
                return Err(NodeNameError::BadChar(ch));
            }
            if len == NODE_NAME_MAX {
                return Err(NodeNameError::TooLong(len + 1));
            }
            // The check above makes `ch` ASCII.
            bytes[len] = u8::try_from(c).map_err(|_| NodeNameError::BadChar(ch))?;
            len += 1;
        }
        if len == 0 {
            return Err(NodeNameError::Empty);
        }
        Ok(Self {
            len: u8::try_from(len).map_err(|_| NodeNameError::TooLong(len))?,
            bytes,
        })
    }

    /// Whether UTF-16 code units (without the NUL) are a valid node name (SPEC §3, R1),
    /// checked without building a [`NodeName`] (the OfflineV2 hot path, SPEC §8).
    #[must_use]
    pub fn is_valid_utf16(units: &[u16]) -> bool {
        (1..=NODE_NAME_MAX).contains(&units.len())
            && units
                .iter()
                .all(|&u| u8::try_from(u).is_ok_and(|b| b.is_ascii_alphanumeric() || b == b'-'))
    }

    /// Whether this name is spelled by these UTF-16 code units (without the NUL).
    #[must_use]
    pub fn eq_utf16(&self, units: &[u16]) -> bool {
        let bytes = &self.bytes[..usize::from(self.len)];
        bytes.len() == units.len() && bytes.iter().zip(units).all(|(&b, &u)| u16::from(b) == u)
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored (see `from_chars`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// Parses a flag name (case-insensitive) of a bitflags type.
pub fn parse_flag<F: bitflags::Flags>(name: &str) -> Option<F> {
    F::FLAGS
        .iter()
        .find(|f| f.name().eq_ignore_ascii_case(name))
        .map(|f| F::from_bits_retain(f.value().bits()))
}

/// The names of the known flags set in `flags`, in bit order.
pub fn flag_names<F: bitflags::Flags>(flags: &F) -> Vec<&'static str> {
    F::FLAGS
        .iter()
        .filter(|f| flags.contains(F::from_bits_retain(f.value().bits())))
        .map(bitflags::Flag::name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_flags_keep_unknown_bits() {
        let f = OfflineFlags::from_bits_retain(0x80 | 0x01);
        assert_eq!(f.unknown_bits(), 0x80);
        assert!(f.contains(OfflineFlags::IGNORE_RESOURCE_STATUS));
        assert_eq!(OfflineFlags::all().bits(), 0x7F);
    }

    #[test]
    fn error_codes_print_windows_names() {
        assert_eq!(ErrorCode::ERROR_IO_PENDING.to_string(), "ERROR_IO_PENDING");
        assert_eq!(ErrorCode(12345).to_string(), "12345");
        assert_eq!(ErrorCode::parse("error_retry"), Some(ErrorCode(1237)));
        assert_eq!(
            ErrorCode::parse("5960"),
            Some(ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS)
        );
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    #[test]
    fn node_names_follow_spec_syntax() {
        assert!(NodeName::new("n1").is_ok());
        assert!(NodeName::new("node-15-chars-x").is_ok());
        assert_eq!(NodeName::new(""), Err(NodeNameError::Empty));
        assert!(matches!(
            NodeName::new("node-16-chars-xx"),
            Err(NodeNameError::TooLong(_))
        ));
        assert!(matches!(
            NodeName::new("n_1"),
            Err(NodeNameError::BadChar('_'))
        ));
        assert!(matches!(
            NodeName::from_utf16(&[0xD800]),
            Err(NodeNameError::BadChar(_))
        ));
    }

    #[test]
    fn flag_names_round_trip() {
        let f = OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR
            | OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE;
        let names = flag_names(&f);
        assert_eq!(
            names,
            [
                "RETURN_TO_SOURCE_NODE_ON_ERROR",
                "DO_NOT_UPDATE_PERSISTENT_STATE"
            ]
        );
        let back = names
            .iter()
            .filter_map(|n| parse_flag::<OfflineFlags>(n))
            .fold(OfflineFlags::empty(), |a, b| a | b);
        assert_eq!(back, f);
    }
}
