//! Deliberately broken variants of the model (non-vacuity: each must be caught, see
//! `tests/bugs.rs`).

/// A deliberate bug, selected in [`crate::ModelConfig::bug`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// The real model.
    #[default]
    None,
    /// A return leg forgets DO_NOT_UPDATE_PERSISTENT_STATE (0x40) — breaks R12.
    ReturnLegWithoutDnu,
    /// A first leg forgets DO_NOT_UPDATE (0x40) when RTS is set — breaks R12.
    FirstLegRtsWithoutDnu,
    /// A move writes persistent Offline on S (as a user offline would) — breaks R11.
    MoveUpdatesPersistent,
    /// Cancel completes the move at once and again when settled — breaks R14.
    CancelCompletesTwice,
    /// The DLL skips R4: offlines a locked resource without 0x01 — breaks R4.
    DllIgnoresLock,
    /// Failover opens and onlines on the new node but leaves the dead node as owner — breaks R10.
    CrashLosesOwner,
    /// An OnlineResourceEx on a held group writes persistent Online before rejecting — breaks R13.
    RejectedOnlineWritesPersistent,
    /// A move accepted on a queued group is queued a second time (R13 check 3 skipped) —
    /// breaks "one queued operation per group".
    SecondQueuedMove,
    /// A queued move's retry is never made and time stops while queued (a lasso) —
    /// `eventually` misses it; the bounded-response property catches it (M2, M3).
    RetryNeverFires,
    /// A recovery forgets to finish (the group stays held) — breaks the bounded response and
    /// is also caught by `eventually` (a terminal state, M2).
    RecoveryNeverSettles,
    /// A move settles on D with resources left offline yet reports SUCCESS — breaks
    /// "settled groups are at their target".
    DestSkipsLastResource,
    /// A crash aborts the operations touching the node but forgets to complete them (R20) —
    /// the `eventually every accepted operation completes` property catches it at the
    /// terminal states (and the bounded response too).
    CrashForgetsCompletion,
}

impl Bug {
    /// Every deliberate bug.
    pub const ALL: [Bug; 12] = [
        Bug::ReturnLegWithoutDnu,
        Bug::FirstLegRtsWithoutDnu,
        Bug::MoveUpdatesPersistent,
        Bug::CancelCompletesTwice,
        Bug::DllIgnoresLock,
        Bug::CrashLosesOwner,
        Bug::RejectedOnlineWritesPersistent,
        Bug::SecondQueuedMove,
        Bug::RetryNeverFires,
        Bug::RecoveryNeverSettles,
        Bug::DestSkipsLastResource,
        Bug::CrashForgetsCompletion,
    ];
}
