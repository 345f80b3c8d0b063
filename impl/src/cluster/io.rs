//! Inputs, outputs and configuration of the sans-IO [`Cluster`](super::Cluster) (SPEC §5, §7).

use crate::resource_dll::RawOfflineV2;
use crate::types::{
    ErrorCode, MoveGroupFlags, NodeId, NodeName, OfflineFlags, OfflineReason, OfflineResourceFlags,
    OpId, PersistentState, ResourceId, WorkMode,
};

/// Default `pending_timeout` in logical ms (R22).
pub const DEFAULT_PENDING_TIMEOUT: u64 = 180_000;
/// Default `retry_interval` in logical ms (R22).
pub const DEFAULT_RETRY_INTERVAL: u64 = 1_000;

/// A resource as declared (SPEC §7 set-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceConfig {
    /// Unique name.
    pub name: String,
    /// Initial persistent state; the resource starts in the matching state on its owner.
    pub persistent: PersistentState,
    /// How its OfflineV2 work ends (R7).
    pub offline: WorkMode,
    /// How its OnlineV2 work ends (R7).
    pub online: WorkMode,
}

/// A group as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    /// Unique name.
    pub name: String,
    /// Initial owner.
    pub owner: NodeId,
    /// Resources in declaration order (their [`ResourceId`]s are global, in declaration order
    /// across all groups).
    pub resources: Vec<ResourceConfig>,
}

/// The whole cluster as declared (SPEC §7 `config`, `nodes`, `groups`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// R19 timeout in logical ms.
    pub pending_timeout: u64,
    /// R16 retry interval in logical ms.
    pub retry_interval: u64,
    /// Nodes in declaration order, all Up at start.
    pub nodes: Vec<NodeName>,
    /// Groups in declaration order.
    pub groups: Vec<GroupConfig>,
}

/// Which RESID a raw call passes (SPEC §7 `raw_offline_v2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawResid {
    /// A number, forged or not.
    Value(usize),
    /// The RESID the node's DLL holds for this resource, or a never-issued one if it holds none.
    Of(ResourceId),
}

/// One input to [`Cluster::step`](super::Cluster::step): a client call or an environment event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `OfflineResourceEx(resource, flags, reason)` (R11, R13, R19, R23).
    OfflineResource {
        /// Resource name (unknown names are legal: 5007).
        resource: String,
        /// Client flags; unknown bits are kept so R13 can reject them.
        flags: OfflineResourceFlags,
        /// Never changes behaviour.
        reason: OfflineReason,
    },
    /// `OnlineResourceEx(resource)` (R11, R23).
    OnlineResource {
        /// Resource name.
        resource: String,
    },
    /// `MoveGroupEx(group, dest, flags)` (R13, R15–R17).
    MoveGroup {
        /// Group name.
        group: String,
        /// Destination node name, or None for "pick one" (R13 check 6).
        dest: Option<String>,
        /// Client flags; unknown bits kept.
        flags: MoveGroupFlags,
    },
    /// `CancelGroupOperation(group, reserved)` (R18).
    CancelGroupOperation {
        /// Group name.
        group: String,
        /// Must be 0.
        reserved: u32,
    },
    /// A direct call of a node's `OfflineV2` export; the host is not told (SPEC §7).
    RawOfflineV2 {
        /// The node whose DLL is called (a Down node: ERROR_CLUSTER_NODE_DOWN, nothing called).
        node: NodeId,
        /// The call's arguments, with the RESID named as [`RawResid`].
        call: RawOfflineV2<RawResid>,
    },
    /// Pending offline work ends well.
    CompleteOffline(ResourceId),
    /// Pending offline work fails (ERROR_GEN_FAILURE, resource Failed).
    FailOffline(ResourceId),
    /// Pending online work ends well.
    CompleteOnline(ResourceId),
    /// Pending online work fails (ERROR_GEN_FAILURE, resource Failed).
    FailOnline(ResourceId),
    /// Logical time advances by `ms` (R16, R19, R22).
    Tick {
        /// Milliseconds.
        ms: u64,
    },
    /// The DLL reports the resource locked.
    Lock(ResourceId),
    /// The DLL reports the resource unlocked.
    Unlock(ResourceId),
    /// The resource becomes busy (R6).
    Busy(ResourceId),
    /// The resource stops being busy.
    Unbusy(ResourceId),
    /// The link between two nodes goes down (both directions, R5).
    NetDown {
        /// One end.
        from: NodeId,
        /// The other end.
        to: NodeId,
    },
    /// The link comes back.
    NetUp {
        /// One end.
        from: NodeId,
        /// The other end.
        to: NodeId,
    },
    /// A node goes Down (R20).
    CrashNode(NodeId),
    /// A node comes Up, empty (R20).
    StartNode(NodeId),
    /// The resource fails inside (R21).
    EmbeddedFailure(ResourceId),
    /// Test-only: the DLL's next OnlineV2/OfflineV2 of the resource panics inside (R8).
    InjectPanic(ResourceId),
}

/// A DLL entry point the host called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entry {
    /// `OpenV2` (not listed by `check_calls`).
    Open,
    /// `Close` (not listed by `check_calls`).
    Close,
    /// `OnlineV2`.
    OnlineV2,
    /// `OfflineV2`.
    OfflineV2,
    /// `Terminate`.
    Terminate,
}

/// One DLL call made by the host, with its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DllCall {
    /// Where.
    pub node: NodeId,
    /// Which entry point.
    pub entry: Entry,
    /// On which resource.
    pub resource: ResourceId,
    /// DestinationNodeName (OfflineV2 only; R12).
    pub dest: Option<NodeId>,
    /// OfflineFlags (OfflineV2 only; empty otherwise).
    pub flags: OfflineFlags,
    /// The DLL's return code (ERROR_SUCCESS for void entries).
    pub result: ErrorCode,
}

/// What one [`Cluster::step`](super::Cluster::step) produced, in the order it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Output {
    /// The return code of the call input of this step (exactly one per call; none for events).
    /// `op` is set when the call was accepted as an operation that will complete (R13, R14).
    Returned {
        /// The code the caller sees.
        code: ErrorCode,
        /// The accepted operation.
        op: Option<OpId>,
    },
    /// A DLL entry point was called.
    DllCall(DllCall),
    /// The persistent state was written durably (R11), before any DLL call it precedes.
    PersistentWrite {
        /// Which resource.
        resource: ResourceId,
        /// The value written.
        state: PersistentState,
    },
    /// An operation completed, exactly once (R14).
    Completed {
        /// Which.
        op: OpId,
        /// Its result.
        result: ErrorCode,
    },
}
