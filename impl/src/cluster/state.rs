//! Small named state of the host and coordinator: what each group is doing, the host's
//! outstanding DLL call, and how such a call ended. No boolean soup: every phase is an enum.

use super::flags::OfflineContext;
use crate::types::{
    ErrorCode, GroupId, MoveGroupFlags, NodeId, OpId, PersistentState, ResourceId, ResourceState,
};

/// Which host entry point an outstanding call is (R7, R19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// `OnlineV2`.
    Online,
    /// `OfflineV2`.
    Offline,
}

/// The host's one outstanding (ERROR_IO_PENDING) call of a group (R7, R19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outstanding {
    /// The resource called.
    pub resource: ResourceId,
    /// Where (always the group's owner when the call was made).
    pub node: NodeId,
    /// Which entry point.
    pub kind: CallKind,
    /// Logical time of the call (R19).
    pub started: u64,
}

/// How a host call ended, synchronously or later (R7, R8, R19, D16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallEnd {
    /// The call reached its target: Offline for OfflineV2 (ERROR_SUCCESS, an Offline callback,
    /// or a timeout → Terminate, R19), Online for OnlineV2.
    Done,
    /// The work failed: the resource is Failed (ERROR_GEN_FAILURE, or ERROR_TIMEOUT for an
    /// OnlineV2 timeout; I4: every error answer of OnlineV2 is a failure).
    Failed(ErrorCode),
    /// OfflineV2 answered this error synchronously (R16, R23); with ERROR_GEN_FAILURE the
    /// resource is Failed (D16), otherwise it stays as it was.
    Refused(ErrorCode),
}

/// The nodes and client flags of a move, kept while the move (or its rollback) runs (R20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MoveEnds {
    /// S, the owner when the move was accepted.
    pub source: NodeId,
    /// D.
    pub dest: NodeId,
    /// The client's flags (R12).
    pub flags: MoveGroupFlags,
}

impl MoveEnds {
    /// RETURN_TO_SOURCE_NODE_ON_ERROR (R17).
    pub fn return_to_source(self) -> bool {
        self.flags
            .contains(MoveGroupFlags::RETURN_TO_SOURCE_NODE_ON_ERROR)
    }
    /// QUEUE_ENABLED (R16).
    pub fn queue_enabled(self) -> bool {
        self.flags.contains(MoveGroupFlags::QUEUE_ENABLED)
    }
}

/// Where the restart of an embedded failure is (R21, D18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RestartStep {
    /// OfflineV2(0x10|0x40) next.
    Offline,
    /// OnlineV2 next.
    Online,
    /// Over (no completion, R21).
    Done,
}

/// Whether a first-leg attempt goes without the network (R12 0x20, D9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Network {
    /// The first attempt for this resource.
    Needed,
    /// The second attempt after ERROR_HOST_UNREACHABLE with client IGNORE_RESOURCE_STATUS.
    Ignored,
}

/// Whether a settle pass starts by waiting for a call it inherited from an aborted operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Adoption {
    /// The pass runs normally.
    None,
    /// The outstanding call was made by the aborted operation (a first leg, bring-up, return
    /// leg or an interrupted D13 pass): the pass waits for it to end, and that end does not
    /// move the pass, which then starts from the first resource (R14, I6).
    Foreign,
}

/// What a group's job does next. Each phase is a cursor over the group's resources in
/// declaration order (R15, D13), or a single-resource operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// OfflineResourceEx on the owner (D6); `result` is set when the call ended.
    UserOffline {
        /// The resource.
        resource: ResourceId,
        /// The client's flags as R12 sees them.
        context: OfflineContext,
        /// The completion code, once known.
        result: Option<ErrorCode>,
    },
    /// OnlineResourceEx on the owner (D7, R23).
    UserOnline {
        /// The resource.
        resource: ResourceId,
        /// The completion code, once known.
        result: Option<ErrorCode>,
    },
    /// Move, source-side offlines (R15, D9).
    FirstLeg {
        /// Index in the group of the resource to offline next.
        next: usize,
        /// 0x20 on the next attempt (R12).
        network: Network,
    },
    /// Move, queued after ERROR_RETRY with QUEUE_ENABLED (R16, D12).
    Queued {
        /// Index of the resource that answered ERROR_RETRY.
        next: usize,
        /// Whether that attempt carried 0x20 (same flags on retry).
        network: Network,
        /// Logical time of the last attempt.
        last_attempt: u64,
    },
    /// Move, destination brings resources up (R15, D10).
    BringUp {
        /// Index of the next resource.
        next: usize,
        /// The first failure's code (without RETURN_TO_SOURCE, R17).
        first_failure: Option<ErrorCode>,
    },
    /// Move, destination-side return leg (R17, D14).
    Return {
        /// Index of the next resource.
        next: usize,
        /// The code that failed on D: the move's result.
        code: ErrorCode,
    },
    /// Bringing the group to its persistent state on the owner (D13): rollback, return,
    /// cancel, recovery.
    Settle {
        /// Index of the next resource.
        next: usize,
        /// The operation's result once settled (None: no operation).
        result: Option<ErrorCode>,
        /// An inherited outstanding call (I6).
        adoption: Adoption,
    },
    /// Embedded-failure restart (R21, D18); never completes an operation.
    Restart {
        /// The resource.
        resource: ResourceId,
        /// Next step.
        step: RestartStep,
    },
}

/// A group's in-flight (or queued, or settling) work: while it exists the group is held (R14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Job {
    /// The accepted operation it completes, if any (recovery and restart have none).
    pub op: Option<OpId>,
    /// The client passed IGNORE_RESOURCE_STATUS (R12 0x01, R14).
    pub ignore: bool,
    /// Set while a move or its rollback runs (R20: "source or destination").
    pub ends: Option<MoveEnds>,
    /// The outstanding call, if any (at most one per group).
    pub waiting: Option<Outstanding>,
    /// What comes next.
    pub phase: Phase,
}

impl Job {
    /// A job starting at `phase`.
    pub fn new(op: Option<OpId>, ignore: bool, ends: Option<MoveEnds>, phase: Phase) -> Self {
        Self {
            op,
            ignore,
            ends,
            waiting: None,
            phase,
        }
    }
    /// The move is queued (R16, R13 check 3).
    pub fn is_queued(&self) -> bool {
        matches!(self.phase, Phase::Queued { .. })
    }
}

/// The host's view of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupHost {
    /// The single owner (R10).
    pub owner: NodeId,
    /// The group's resources, in declaration order.
    pub resources: Vec<ResourceId>,
    /// In-flight work.
    pub job: Option<Job>,
}

/// The host's view of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResourceHost {
    /// Its group.
    pub group: GroupId,
    /// State on the group's owner (R10).
    pub state: ResourceState,
    /// The durable intent (R11).
    pub persistent: PersistentState,
    /// What SetResourceLockedMode said (D3).
    pub locked: bool,
}
