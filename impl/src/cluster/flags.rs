//! R12: the OfflineV2 flags and DestinationNodeName the host passes, as a pure function of
//! the operation context.

use crate::types::{NodeId, OfflineFlags};

/// Why the host calls OfflineV2: the operation context that R12 maps to flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfflineContext {
    /// OfflineResourceEx (D6).
    UserOffline {
        /// The client passed IGNORE_RESOURCE_STATUS.
        ignore_resource_status: bool,
        /// The client passed DO_NOT_UPDATE_PERSISTENT_STATE.
        do_not_update_persistent_state: bool,
    },
    /// The source-side offline of a move (R15, D9).
    MoveFirstLeg {
        /// S → D.
        dest: NodeId,
        /// The client passed IGNORE_RESOURCE_STATUS.
        ignore_resource_status: bool,
        /// The client passed RETURN_TO_SOURCE_NODE_ON_ERROR.
        return_to_source: bool,
        /// The client passed QUEUE_ENABLED.
        queue_enabled: bool,
        /// This is the second attempt after ERROR_HOST_UNREACHABLE (meaningful only with
        /// `ignore_resource_status`, R12).
        second_attempt_without_network: bool,
    },
    /// The destination-side offline of a return to source (R17, D14).
    ReturnLeg {
        /// S: DestinationNodeName of the return leg.
        source: NodeId,
        /// The client passed IGNORE_RESOURCE_STATUS.
        ignore_resource_status: bool,
    },
    /// Bringing a resource to persistent Offline outside a user offline (R14, D13).
    ToPersistentOffline {
        /// The operation's client passed IGNORE_RESOURCE_STATUS.
        ignore_resource_status: bool,
    },
    /// The restart of an embedded failure (R21, D18).
    EmbeddedFailureRestart,
}

/// The OfflineV2 flags for a context, exactly as R12 lists them.
#[must_use]
pub fn offline_flags(context: OfflineContext) -> OfflineFlags {
    let mut flags = OfflineFlags::empty();
    let mut set = |flag: OfflineFlags, on: bool| {
        if on {
            flags |= flag;
        }
    };
    match context {
        OfflineContext::UserOffline {
            ignore_resource_status,
            do_not_update_persistent_state,
        } => {
            // R12: 0x40 only with DO_NOT_UPDATE on a plain user offline.
            set(OfflineFlags::IGNORE_RESOURCE_STATUS, ignore_resource_status);
            set(
                OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE,
                do_not_update_persistent_state,
            );
        }
        OfflineContext::MoveFirstLeg {
            dest: _,
            ignore_resource_status,
            return_to_source,
            queue_enabled,
            second_attempt_without_network,
        } => {
            set(OfflineFlags::IGNORE_RESOURCE_STATUS, ignore_resource_status);
            set(
                OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR,
                return_to_source,
            );
            set(OfflineFlags::QUEUE_ENABLED, queue_enabled);
            // R12: 0x20 iff second attempt AND the client passed IGNORE_RESOURCE_STATUS.
            set(
                OfflineFlags::IGNORE_NETWORK_CONNECTIVITY,
                second_attempt_without_network && ignore_resource_status,
            );
            set(OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE, true);
        }
        OfflineContext::ReturnLeg {
            source: _,
            ignore_resource_status,
        } => {
            set(OfflineFlags::IGNORE_RESOURCE_STATUS, ignore_resource_status);
            set(
                OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR,
                true,
            );
            set(OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE, true);
        }
        OfflineContext::ToPersistentOffline {
            ignore_resource_status,
        } => {
            set(OfflineFlags::IGNORE_RESOURCE_STATUS, ignore_resource_status);
            set(OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE, true);
        }
        OfflineContext::EmbeddedFailureRestart => {
            set(OfflineFlags::DUE_TO_EMBEDDED_FAILURE, true);
            set(OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE, true);
        }
    }
    flags
}

/// What R12 (with R1) forbids in any OfflineV2 call the host makes, if `flags` does it: 0x02
/// with 0x08, 0x04 on a return leg (0x08), bits outside 0x7F. The host checks every call's
/// flags with it, in release builds too (I17).
#[must_use]
pub fn r12_exclusion(flags: OfflineFlags) -> Option<&'static str> {
    let return_leg = OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR;
    if flags.contains(OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR | return_leg) {
        return Some("RETURN_TO_SOURCE_NODE_ON_ERROR together with RETURNING_TO_SOURCE");
    }
    if flags.contains(OfflineFlags::QUEUE_ENABLED | return_leg) {
        return Some("QUEUE_ENABLED on a return leg");
    }
    if flags.unknown_bits() != 0 {
        return Some("bits outside 0x7F");
    }
    None
}

/// The DestinationNodeName for a context: set only on move legs (R12).
#[must_use]
pub fn offline_destination(context: OfflineContext) -> Option<NodeId> {
    match context {
        OfflineContext::MoveFirstLeg { dest, .. } => Some(dest),
        OfflineContext::ReturnLeg { source, .. } => Some(source),
        OfflineContext::UserOffline { .. }
        | OfflineContext::ToPersistentOffline { .. }
        | OfflineContext::EmbeddedFailureRestart => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IGN: OfflineFlags = OfflineFlags::IGNORE_RESOURCE_STATUS;
    const RTS: OfflineFlags = OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR;
    const QUE: OfflineFlags = OfflineFlags::QUEUE_ENABLED;
    const RET: OfflineFlags = OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR;
    const EMB: OfflineFlags = OfflineFlags::DUE_TO_EMBEDDED_FAILURE;
    const NET: OfflineFlags = OfflineFlags::IGNORE_NETWORK_CONNECTIVITY;
    const DNU: OfflineFlags = OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE;

    fn leg(ignore: bool, rts: bool, queue: bool, second: bool) -> OfflineContext {
        OfflineContext::MoveFirstLeg {
            dest: NodeId(1),
            ignore_resource_status: ignore,
            return_to_source: rts,
            queue_enabled: queue,
            second_attempt_without_network: second,
        }
    }

    #[test]
    fn r12_user_offline_carries_0x40_only_with_do_not_update() {
        for ignore in [false, true] {
            for dnu in [false, true] {
                let ctx = OfflineContext::UserOffline {
                    ignore_resource_status: ignore,
                    do_not_update_persistent_state: dnu,
                };
                let mut want = OfflineFlags::empty();
                if ignore {
                    want |= IGN;
                }
                if dnu {
                    want |= DNU;
                }
                assert_eq!(offline_flags(ctx), want);
                assert_eq!(offline_destination(ctx), None);
            }
        }
    }

    #[test]
    fn r12_first_leg_flags_follow_client_flags_exactly() {
        for bits in 0..16u32 {
            let (ignore, rts, queue, second) =
                (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0, bits & 8 != 0);
            let ctx = leg(ignore, rts, queue, second);
            let mut want = DNU;
            if ignore {
                want |= IGN;
            }
            if rts {
                want |= RTS;
            }
            if queue {
                want |= QUE;
            }
            if second && ignore {
                want |= NET;
            }
            assert_eq!(offline_flags(ctx), want, "bits {bits:#x}");
            assert_eq!(offline_destination(ctx), Some(NodeId(1)));
        }
    }

    #[test]
    fn r12_return_leg_is_0x08_0x40_to_source_never_0x02_or_0x04() {
        let ctx = OfflineContext::ReturnLeg {
            source: NodeId(0),
            ignore_resource_status: false,
        };
        assert_eq!(offline_flags(ctx), RET | DNU);
        assert_eq!(offline_destination(ctx), Some(NodeId(0)));
        let ctx = OfflineContext::ReturnLeg {
            source: NodeId(0),
            ignore_resource_status: true,
        };
        assert_eq!(offline_flags(ctx), RET | DNU | IGN);
    }

    #[test]
    fn r12_r14_settle_and_restart_offlines_have_no_destination() {
        let ctx = OfflineContext::ToPersistentOffline {
            ignore_resource_status: true,
        };
        assert_eq!(offline_flags(ctx), IGN | DNU);
        assert_eq!(offline_destination(ctx), None);
        let ctx = OfflineContext::EmbeddedFailureRestart;
        assert_eq!(offline_flags(ctx), EMB | DNU);
        assert_eq!(offline_destination(ctx), None);
    }

    #[test]
    fn r12_exclusion_holds_for_every_context_and_fires_on_each_forbidden_mix() {
        let bools = [false, true];
        let mut contexts = vec![OfflineContext::EmbeddedFailureRestart];
        for (a, b, c, d) in bools
            .iter()
            .flat_map(|&a| bools.iter().map(move |&b| (a, b)))
            .flat_map(|(a, b)| bools.iter().map(move |&c| (a, b, c)))
            .flat_map(|(a, b, c)| bools.iter().map(move |&d| (a, b, c, d)))
        {
            contexts.push(leg(a, b, c, d));
            contexts.push(OfflineContext::UserOffline {
                ignore_resource_status: a,
                do_not_update_persistent_state: b,
            });
            contexts.push(OfflineContext::ReturnLeg {
                source: NodeId(0),
                ignore_resource_status: a,
            });
            contexts.push(OfflineContext::ToPersistentOffline {
                ignore_resource_status: a,
            });
        }
        for ctx in contexts {
            assert_eq!(r12_exclusion(offline_flags(ctx)), None, "{ctx:?}");
        }
        for bad in [
            RTS | RET | DNU,
            QUE | RET,
            OfflineFlags::from_bits_retain(0x80),
        ] {
            assert!(r12_exclusion(bad).is_some(), "{bad:?}");
        }
    }
}
