//! Test-only seeded bugs (issue 5, non-vacuity of conformance). Compiled only with the
//! `seeded-bugs` feature, which only `offline-v2-properties`' *dev*-dependency enables: a
//! release build of the DLL, the host or the CLI never contains any of this (see
//! `scripts/check-no-seeded-bugs.sh`).
//!
//! Each bug is a realistic mistake, switched on at run time; each injection point in the real
//! code path is a one-line `if` behind `#[cfg(feature = "seeded-bugs")]`, so without the
//! feature the code is exactly what ships. Host bugs are switched with
//! [`crate::cluster::Cluster::set_seeded_bug`]; the DLL bug ([`SeededBug::ReservedIgnored`])
//! lives in the reference DLL and is switched through the control export
//! ([`crate::abi::types::control_op::SEEDED_BUG`], name = [`SeededBug::name`]), so it works
//! through the loaded cdylib.

/// A deliberate bug, and the rules it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SeededBug {
    /// No bug: the code as it ships.
    #[default]
    None,
    /// Host: the return leg's OfflineV2 lacks DO_NOT_UPDATE_PERSISTENT_STATE 0x40 (R12, R17).
    NoDoNotUpdateOnReturnLeg,
    /// Host: a move's first leg writes persistent Offline before each OfflineV2, as a user
    /// offline would (R11: moves never change persistent state).
    PersistentWriteOnMove,
    /// Host: a cancelled queued move completes twice, once from the cancel path and once
    /// from the rollback that settles it (R14, R18).
    SecondCompletionAfterCancel,
    /// Host: R13 check 7 is skipped for MoveGroupEx ("the DLL will refuse it anyway"): a move
    /// of a group with a locked resource is accepted without IGNORE_RESOURCE_STATUS and the
    /// locked resource is offlined without 0x01 (R4, R13 check 7). The reference DLL then
    /// answers LOCKED_STATUS and the move rolls back, but the client saw ERROR_IO_PENDING.
    LockedWithoutIgnore,
    /// Host: the return leg's OfflineV2 carries RETURN_TO_SOURCE 0x02 together with 0x08
    /// (copied from the move's client flags; R1, R12). The DLL answers 87 and the host
    /// Terminates.
    ReturningWithReturnToSource,
    /// Host: when the owner of a group crashes, the recovery runs but ownership is not moved
    /// to the new node (R10, R20): the group's recovery calls go to the Down owner.
    OwnerLostOnCrash,
    /// DLL: `Reserved != 0` is not rejected (R1); validation goes on as if it were 0.
    ReservedIgnored,
    /// Host: the R19 pending timeout compares with `>` instead of `>=`, so it fires one tick
    /// late (R19, D15).
    TimeoutOffByOne,
}

impl SeededBug {
    /// Every seeded bug (without [`SeededBug::None`]).
    pub const ALL: [SeededBug; 8] = [
        SeededBug::NoDoNotUpdateOnReturnLeg,
        SeededBug::PersistentWriteOnMove,
        SeededBug::SecondCompletionAfterCancel,
        SeededBug::LockedWithoutIgnore,
        SeededBug::ReturningWithReturnToSource,
        SeededBug::OwnerLostOnCrash,
        SeededBug::ReservedIgnored,
        SeededBug::TimeoutOffByOne,
    ];

    /// The bug's name (also the name the control export's SEEDED_BUG op takes).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SeededBug::None => "None",
            SeededBug::NoDoNotUpdateOnReturnLeg => "NoDoNotUpdateOnReturnLeg",
            SeededBug::PersistentWriteOnMove => "PersistentWriteOnMove",
            SeededBug::SecondCompletionAfterCancel => "SecondCompletionAfterCancel",
            SeededBug::LockedWithoutIgnore => "LockedWithoutIgnore",
            SeededBug::ReturningWithReturnToSource => "ReturningWithReturnToSource",
            SeededBug::OwnerLostOnCrash => "OwnerLostOnCrash",
            SeededBug::ReservedIgnored => "ReservedIgnored",
            SeededBug::TimeoutOffByOne => "TimeoutOffByOne",
        }
    }

    /// The bug of a name ([`SeededBug::name`]).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        std::iter::once(SeededBug::None)
            .chain(SeededBug::ALL)
            .find(|b| b.name() == name)
    }

    /// True for the bug that lives in the DLL (switched through the control export).
    #[must_use]
    pub fn in_dll(self) -> bool {
        self == SeededBug::ReservedIgnored
    }
}
