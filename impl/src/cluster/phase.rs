//! The vocabulary of an [`Operation`](super::operation::Operation): its phases, the one host
//! call it may wait for, and how a call ended. Small `Copy` enums, no boolean soup.

use super::flags::OfflineContext;
use crate::types::{ErrorCode, MoveGroupFlags, NodeId, ResourceId, ResourceState};

/// Which host entry point an outstanding call is (R7, R19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CallKind {
    /// `OnlineV2`.
    Online,
    /// `OfflineV2`.
    Offline,
}

impl CallKind {
    /// The host view of a resource while this call is pending (R7).
    pub fn pending_state(self) -> ResourceState {
        match self {
            Self::Online => ResourceState::OnlinePending,
            Self::Offline => ResourceState::OfflinePending,
        }
    }
}

/// The host's one outstanding (ERROR_IO_PENDING) call of a group (R7, R19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

impl CallEnd {
    /// The end of a call the DLL answered with `code` (anything but ERROR_IO_PENDING).
    pub fn of_answer(kind: CallKind, code: ErrorCode) -> Self {
        match (kind, code) {
            (_, ErrorCode::ERROR_SUCCESS) => Self::Done,
            (CallKind::Offline, code) => Self::Refused(code),
            (CallKind::Online, code) => Self::Failed(code), // I4
        }
    }

    /// The code an operation that ends with this call completes with (R23): ERROR_SUCCESS
    /// when the call reached its target (a timed-out offline included, R19).
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Done => ErrorCode::ERROR_SUCCESS,
            Self::Failed(code) | Self::Refused(code) => code,
        }
    }

    /// The host view of the resource after a `kind` call ended so (R7, R8, R19, D16, I4).
    pub fn host_state(self, kind: CallKind, current: ResourceState) -> ResourceState {
        match (kind, self) {
            (CallKind::Offline, Self::Done) => ResourceState::Offline,
            (CallKind::Online, Self::Done) => ResourceState::Online,
            (_, Self::Failed(_)) | (_, Self::Refused(ErrorCode::ERROR_GEN_FAILURE)) => {
                ResourceState::Failed
            }
            (CallKind::Offline, Self::Refused(_)) => current, // stays as it was (R23)
            (CallKind::Online, Self::Refused(_)) => ResourceState::Failed, // I4
        }
    }
}

/// The nodes and client flags of a move, kept while the move (or its rollback) runs (R20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RestartStep {
    /// OfflineV2(0x10|0x40) next.
    Offline,
    /// OnlineV2 next.
    Online,
    /// Over (no completion, R21).
    Done,
}

/// Whether a first-leg attempt goes without the network (R12 0x20, D9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Network {
    /// The first attempt for this resource.
    Needed,
    /// The second attempt after ERROR_HOST_UNREACHABLE with client IGNORE_RESOURCE_STATUS.
    Ignored,
}

/// Whose call a settle pass is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Adoption {
    /// The pass's own calls (or none).
    Own,
    /// The outstanding call was made by the operation a crash aborted (a first leg, bring-up,
    /// return leg or an interrupted D13 pass): the pass waits for it to end, and that end does
    /// not move the pass, which then starts from the first resource (R14, I6).
    Inherited,
}

/// What an operation does next. Each phase is a cursor over the group's resources in
/// declaration order (R15, D13), or a single-resource operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
        /// Whether the pass waits for an inherited call first (R14, I6).
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

impl Phase {
    /// The rollback after an aborted first leg, a cancel or a return: bring the group to its
    /// persistent state on the owner, then complete with `code` (D11, D13, R16, R18).
    pub fn settle_then(code: ErrorCode) -> Self {
        Self::Settle {
            next: 0,
            result: Some(code),
            adoption: Adoption::Own,
        }
    }
}
