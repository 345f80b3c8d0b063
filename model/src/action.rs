//! The actions: client calls with raw inputs (so that R13's rejections are modelled), the
//! environment events of SPEC §7, and the two abstract time events (M15): a pending call
//! times out (R19), a queued move is retried (R16).

/// Destination of `MoveGroupEx` (raw input: R13 check 2 and 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dest {
    /// NULL: the host picks (R13 check 6).
    Null,
    /// A declared node.
    Node(u8),
    /// A name that is not a node (5042).
    Unknown,
}

/// The RESID a raw call passes (SPEC §7 `raw_offline_v2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResidArg {
    /// The RESID the node's DLL holds for this (global) resource, or a never-issued one.
    Held(usize),
    /// A forged RESID.
    Forged,
}

/// DestinationNodeName of a raw call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DestArg {
    /// NULL.
    None,
    /// A syntactically valid node name: the name of this declared node.
    Valid(u8),
    /// A syntactically invalid name (R1).
    Invalid,
}

/// The arguments of one OfflineV2 call as the DLL sees them (R1): one struct for the host's
/// calls and the raw ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawCall {
    /// Which RESID.
    pub resid: ResidArg,
    /// DestinationNodeName.
    pub dest: DestArg,
    /// Raw OfflineFlags.
    pub flags: u32,
    /// InBuffer is NULL.
    pub inbuf_null: bool,
    /// InBufferSize.
    pub inbuf_size: u32,
    /// Reserved.
    pub reserved: u32,
}

impl RawCall {
    /// Well-formed arguments: `flags`, `dest`, no buffer, Reserved 0.
    #[must_use]
    pub fn plain(resid: ResidArg, dest: DestArg, flags: u32) -> Self {
        Self {
            resid,
            dest,
            flags,
            inbuf_null: true,
            inbuf_size: 0,
            reserved: 0,
        }
    }
}

/// Everything that can happen. Resources are numbered globally in declaration order; nodes
/// and groups by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `OfflineResourceEx` (R11, R13, R19, R23).
    OfflineResource {
        /// None = unknown name.
        resource: Option<usize>,
        /// Raw client bits.
        flags: u32,
        /// Never changes behaviour.
        reason: u32,
    },
    /// `OnlineResourceEx` (R11, R23).
    OnlineResource {
        /// None = unknown name.
        resource: Option<usize>,
    },
    /// `MoveGroupEx` (R13, R15–R17).
    MoveGroup {
        /// None = unknown name.
        group: Option<usize>,
        /// Destination.
        dest: Dest,
        /// Raw client bits.
        flags: u32,
    },
    /// `CancelGroupOperation` (R18).
    CancelGroupOperation {
        /// None = unknown name.
        group: Option<usize>,
        /// Must be 0.
        reserved: u32,
    },
    /// A direct call of a node's OfflineV2 export; the host is not told (SPEC §7).
    RawOfflineV2 {
        /// Declared node.
        node: u8,
        /// The arguments.
        call: RawCall,
    },
    /// Pending offline work ends well.
    CompleteOffline(usize),
    /// Pending offline work fails.
    FailOffline(usize),
    /// Pending online work ends well.
    CompleteOnline(usize),
    /// Pending online work fails.
    FailOnline(usize),
    /// The group's outstanding call has been pending for `pending_timeout` (R19).
    Timeout(usize),
    /// The group's queued move reaches its retry time (R16).
    Retry(usize),
    /// `lock`.
    Lock(usize),
    /// `unlock`.
    Unlock(usize),
    /// `busy`.
    Busy(usize),
    /// `unbusy`.
    Unbusy(usize),
    /// `net_down` (both directions).
    NetDown(u8, u8),
    /// `net_up`.
    NetUp(u8, u8),
    /// `crash_node` (R20).
    CrashNode(u8),
    /// `start_node` (R20).
    StartNode(u8),
    /// `embedded_failure` (R21).
    EmbeddedFailure(usize),
    /// `inject_panic` (R8).
    InjectPanic(usize),
}

impl Action {
    /// A client call (costs one call of the budget, rejected or not).
    #[must_use]
    pub fn is_call(&self) -> bool {
        matches!(
            self,
            Self::OfflineResource { .. }
                | Self::OnlineResource { .. }
                | Self::MoveGroup { .. }
                | Self::CancelGroupOperation { .. }
                | Self::RawOfflineV2 { .. }
        )
    }

    /// A fault or a heal (costs one fault of the budget). The outcomes of pending work
    /// (complete, fail, time out) and queued retries are free (issue 11).
    #[must_use]
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Self::Lock(_)
                | Self::Unlock(_)
                | Self::Busy(_)
                | Self::Unbusy(_)
                | Self::NetDown(..)
                | Self::NetUp(..)
                | Self::CrashNode(_)
                | Self::StartNode(_)
                | Self::EmbeddedFailure(_)
                | Self::InjectPanic(_)
        )
    }
}
