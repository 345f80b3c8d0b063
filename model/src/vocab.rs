//! The model's small vocabulary, in SPEC words: codes (§2), OfflineV2 flag bits (§1), resource
//! and persistent states (§3), DLL entry points and the observations a step emits (D5).

/// Windows codes of SPEC §2 as plain `u32`.
pub mod codes {
    /// 0
    pub const ERROR_SUCCESS: u32 = 0;
    /// 31
    pub const ERROR_GEN_FAILURE: u32 = 31;
    /// 87
    pub const ERROR_INVALID_PARAMETER: u32 = 87;
    /// 997
    pub const ERROR_IO_PENDING: u32 = 997;
    /// 1223
    pub const ERROR_CANCELLED: u32 = 1223;
    /// 1232
    pub const ERROR_HOST_UNREACHABLE: u32 = 1232;
    /// 1237
    pub const ERROR_RETRY: u32 = 1237;
    /// 1460
    pub const ERROR_TIMEOUT: u32 = 1460;
    /// 5007
    pub const ERROR_RESOURCE_NOT_FOUND: u32 = 5007;
    /// 5013
    pub const ERROR_GROUP_NOT_FOUND: u32 = 5013;
    /// 5023
    pub const ERROR_INVALID_STATE: u32 = 5023;
    /// 5042
    pub const ERROR_CLUSTER_NODE_NOT_FOUND: u32 = 5042;
    /// 5050
    pub const ERROR_CLUSTER_NODE_DOWN: u32 = 5050;
    /// 5959
    pub const ERROR_CLUSTER_GROUP_QUEUED: u32 = 5959;
    /// 5960
    pub const ERROR_CLUSTER_RESOURCE_LOCKED_STATUS: u32 = 5960;

    /// Every SPEC §2 code, so that a result code packs into 5 bits (its index here).
    pub(crate) const TABLE: [u32; 23] = [
        0, 1, 8, 31, 87, 170, 995, 997, 1223, 1232, 1237, 1306, 1460, 5007, 5013, 5023, 5038, 5042,
        5050, 5078, 5955, 5959, 5960,
    ];

    /// The 5-bit index of a §2 code (the model only ever stores §2 codes; anything else is
    /// stored as ERROR_GEN_FAILURE, which is what the host makes of an unknown failure, I4).
    pub(crate) fn index(code: u32) -> u32 {
        match code {
            ERROR_SUCCESS => 0,
            ERROR_GEN_FAILURE => 3,
            ERROR_TIMEOUT => 12,
            _ => TABLE.iter().position(|&c| c == code).unwrap_or(3) as u32,
        }
    }

    /// The code at a 5-bit index.
    pub(crate) fn at(index: u32) -> u32 {
        TABLE
            .get(index as usize)
            .copied()
            .unwrap_or(ERROR_GEN_FAILURE)
    }
}

/// OfflineV2 flag bits (SPEC §1) as `u8`.
pub mod oflags {
    /// 0x01 IGNORE_RESOURCE_STATUS
    pub const IGNORE: u8 = 0x01;
    /// 0x02 RETURN_TO_SOURCE_NODE_ON_ERROR
    pub const RTS: u8 = 0x02;
    /// 0x04 QUEUE_ENABLED
    pub const QUEUE: u8 = 0x04;
    /// 0x08 RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR
    pub const RETURNING: u8 = 0x08;
    /// 0x10 DUE_TO_EMBEDDED_FAILURE
    pub const EMBEDDED: u8 = 0x10;
    /// 0x20 IGNORE_NETWORK_CONNECTIVITY
    pub const IGNORE_NET: u8 = 0x20;
    /// 0x40 DO_NOT_UPDATE_PERSISTENT_STATE
    pub const DNU: u8 = 0x40;
}

/// A resource's state (SPEC §3), in the host's or a DLL instance's view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RState {
    /// Offline
    Offline,
    /// OnlinePending
    OnlinePending,
    /// Online
    Online,
    /// OfflinePending
    OfflinePending,
    /// Failed
    Failed,
}

impl RState {
    /// OnlinePending, Online or OfflinePending (R10).
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::OnlinePending | Self::Online | Self::OfflinePending
        )
    }

    /// OnlinePending or OfflinePending: work is pending (for the host: a call is outstanding).
    #[must_use]
    pub fn is_pending(self) -> bool {
        matches!(self, Self::OnlinePending | Self::OfflinePending)
    }

    pub(crate) const fn bits(self) -> u16 {
        self as u16
    }

    pub(crate) const fn from_bits(b: u16) -> Self {
        match b & 7 {
            1 => Self::OnlinePending,
            2 => Self::Online,
            3 => Self::OfflinePending,
            4 => Self::Failed,
            _ => Self::Offline,
        }
    }
}

/// Persistent state (the cluster database's intent, R11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Persist {
    /// Online
    Online,
    /// Offline
    Offline,
}

impl Persist {
    /// The resource state that reaches this intent.
    #[must_use]
    pub fn target(self) -> RState {
        match self {
            Self::Online => RState::Online,
            Self::Offline => RState::Offline,
        }
    }
}

/// A DLL entry point the host called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entry {
    /// OnlineV2
    OnlineV2,
    /// OfflineV2
    OfflineV2,
    /// Terminate
    Terminate,
    /// OpenV2
    Open,
    /// Close
    Close,
}

/// What an outside observer sees, in order (D5), in SPEC vocabulary.
///
/// An operation is named by its group (`op` = the group's index): at most one operation is in
/// flight per group (R13 checks 3 and 4), so the group names it from acceptance to completion
/// and the model needs no operation counter in its state. The replay adapter numbers them in
/// acceptance order (`properties/src/model_side.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observation {
    /// The answer of a call action (always first in its step).
    Returned {
        /// The code the caller sees.
        code: u32,
        /// The accepted operation (its group's index), if the call started one.
        op: Option<u32>,
    },
    /// A host → DLL call.
    Call {
        /// Node index.
        node: u8,
        /// Entry point.
        entry: Entry,
        /// Global resource index (declaration order).
        resource: usize,
        /// DestinationNodeName (OfflineV2 only).
        dest: Option<u8>,
        /// OfflineV2 flags (0 otherwise).
        flags: u8,
        /// The DLL's answer (0 for void entries).
        result: u32,
    },
    /// Persistent state written durably (R11).
    PersistentWrite {
        /// Global resource index.
        resource: usize,
        /// The value.
        state: Persist,
    },
    /// An operation completed (R14).
    Completed {
        /// The operation (its group's index).
        op: u32,
        /// Result code.
        result: u32,
    },
}

/// Where a step's observations go: a `Vec` for callers that want them, nothing on the
/// checker's hot path (no allocation, see `tests/alloc.rs`).
pub trait Sink {
    /// Receives the next observation.
    fn emit(&mut self, o: Observation);
}

impl Sink for Vec<Observation> {
    fn emit(&mut self, o: Observation) {
        self.push(o);
    }
}

/// A sink that drops everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl Sink for Discard {
    fn emit(&mut self, _: Observation) {}
}
