//! R1–R9 as pure functions: which answers a DLL may give to one call, given what the host
//! knows about the resource, and which rule an answer outside that set breaks.
//!
//! The DLL's environment (locked, busy, reachability, sync or pending work) is hidden from a
//! black-box host, so each function returns a *set*: every answer some hidden environment
//! allows. What the host does know narrows it: the arguments (R1), whether the RESID is open
//! (R2), the state the DLL last reported (R3) and whether it reported the resource locked
//! through SetResourceLockedMode (R4).

use offline_v2::types::{ErrorCode, NodeName, OfflineFlags, ResourceState, NODE_NAME_MAX};
use serde::{Deserialize, Serialize};

use super::event::{Dest, OfflineCall, OnlineCall};

/// A DLL rule of SPEC §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    /// Validation first, no state change on failure.
    R1,
    /// Unknown, closed or forged RESIDs; never a crash.
    R2,
    /// Answers by the resource's own state.
    R3,
    /// Locked without IGNORE_RESOURCE_STATUS.
    R4,
    /// Unreachable destination without IGNORE_NETWORK_CONNECTIVITY.
    R5,
    /// Busy without IGNORE_RESOURCE_STATUS.
    R6,
    /// Going offline/online; exactly one status callback per ERROR_IO_PENDING.
    R7,
    /// Panics, threads, OnlineV2 validation, lifetime.
    R8,
    /// Rule order; locked and busy never affect OnlineV2.
    R9,
}

impl Rule {
    /// Every rule, in order.
    pub const ALL: [Rule; 9] = [
        Rule::R1,
        Rule::R2,
        Rule::R3,
        Rule::R4,
        Rule::R5,
        Rule::R6,
        Rule::R7,
        Rule::R8,
        Rule::R9,
    ];

    /// `R1` … `R9`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Rule::R1 => "R1",
            Rule::R2 => "R2",
            Rule::R3 => "R3",
            Rule::R4 => "R4",
            Rule::R5 => "R5",
            Rule::R6 => "R6",
            Rule::R7 => "R7",
            Rule::R8 => "R8",
            Rule::R9 => "R9",
        }
    }

    /// Parses `R1` … `R9` (case-insensitive).
    #[must_use]
    pub fn parse(text: &str) -> Option<Rule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(text))
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a DestinationNodeName is to R1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestKind {
    /// NULL.
    Null,
    /// A valid node name (§3 syntax, NUL within 16 units).
    Valid,
    /// Anything else, with the reason.
    Invalid(&'static str),
}

/// Classifies a destination the way R1 reads it: the DLL scans at most 16 units for the NUL.
#[must_use]
pub fn dest_kind(dest: &Dest) -> DestKind {
    let Some((units, terminated)) = dest.units() else {
        return DestKind::Null;
    };
    let scan = NODE_NAME_MAX + 1;
    let mut seen: Vec<u16> = units.iter().copied().take(scan).collect();
    if terminated && seen.len() < scan {
        seen.push(0);
    }
    match seen.iter().position(|&u| u == 0) {
        None => DestKind::Invalid("no NUL within 16 units"),
        Some(0) => DestKind::Invalid("an empty name"),
        Some(end) if NodeName::is_valid_utf16(&seen[..end]) => DestKind::Valid,
        Some(_) => DestKind::Invalid("not a node name ([A-Za-z0-9-], 1-15 characters)"),
    }
}

/// Why R1 requires ERROR_INVALID_PARAMETER for this OfflineV2 call, if it does.
#[must_use]
pub fn offline_invalid(call: &OfflineCall) -> Option<String> {
    let flags = OfflineFlags::from_bits_retain(call.flags);
    let rts = flags.contains(OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR);
    let returning = flags.contains(OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR);
    if call.reserved != 0 {
        return Some(format!("Reserved = {:#x}", call.reserved));
    }
    if flags.unknown_bits() != 0 {
        return Some(format!(
            "flag bits {:#x} outside 0x7F",
            flags.unknown_bits()
        ));
    }
    if !call.inbuf && call.inbuf_size > 0 {
        return Some(format!(
            "InBuffer NULL with InBufferSize {}",
            call.inbuf_size
        ));
    }
    if rts && returning {
        return Some("0x08 together with 0x02".into());
    }
    match dest_kind(&call.dest) {
        DestKind::Invalid(why) => Some(format!("DestinationNodeName: {why}")),
        DestKind::Null if rts || returning => {
            Some("0x02 or 0x08 without a DestinationNodeName".into())
        }
        DestKind::Null | DestKind::Valid => None,
    }
}

/// Why amended R8 requires ERROR_INVALID_PARAMETER for this OnlineV2 call, if it does.
#[must_use]
pub fn online_invalid(call: &OnlineCall) -> Option<String> {
    if call.reserved != 0 {
        return Some(format!("Reserved = {:#x}", call.reserved));
    }
    if !call.inbuf && call.inbuf_size > 0 {
        return Some(format!(
            "InBuffer NULL with InBufferSize {}",
            call.inbuf_size
        ));
    }
    None
}

/// What an allowed answer does to the DLL's state of the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing changes.
    Same,
    /// The resource is now in this (settled) state.
    Becomes(ResourceState),
    /// Work starts: the resource is pending and owes one status callback (R7).
    Starts(ResourceState),
}

/// The answers R3–R7 allow to a valid OfflineV2 on an open RESID whose DLL state is `state`,
/// with the lock as given (GEN_FAILURE, R8, is allowed separately).
#[must_use]
pub fn offline_outcomes(
    state: ResourceState,
    locked: bool,
    call: &OfflineCall,
) -> Vec<(ErrorCode, Effect)> {
    use ResourceState as S;
    let flags = OfflineFlags::from_bits_retain(call.flags);
    let ignore = flags.contains(OfflineFlags::IGNORE_RESOURCE_STATUS);
    match state {
        // R3.
        S::Offline => vec![(ErrorCode::ERROR_SUCCESS, Effect::Same)],
        S::OfflinePending => vec![(ErrorCode::ERROR_IO_PENDING, Effect::Same)],
        S::OnlinePending => vec![(ErrorCode::ERROR_INVALID_STATE, Effect::Same)],
        S::Failed => vec![(ErrorCode::ERROR_SUCCESS, Effect::Becomes(S::Offline))],
        S::Online => {
            // R4.
            if locked && !ignore {
                return vec![(
                    ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
                    Effect::Same,
                )];
            }
            let mut out = Vec::with_capacity(4);
            // R5: a move offline (destination, no 0x08) without 0x20 may find it unreachable.
            let moving = dest_kind(&call.dest) == DestKind::Valid
                && !flags.contains(OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR);
            if moving && !flags.contains(OfflineFlags::IGNORE_NETWORK_CONNECTIVITY) {
                out.push((ErrorCode::ERROR_HOST_UNREACHABLE, Effect::Same));
            }
            // R6.
            if !ignore {
                out.push((ErrorCode::ERROR_RETRY, Effect::Same));
            }
            // R7: sync or pending.
            out.push((ErrorCode::ERROR_SUCCESS, Effect::Becomes(S::Offline)));
            out.push((
                ErrorCode::ERROR_IO_PENDING,
                Effect::Starts(S::OfflinePending),
            ));
            out
        }
    }
}

/// The answers R7 allows to a valid OnlineV2 on an open RESID whose DLL state is `state`
/// (locks and busy never matter, R9; GEN_FAILURE, R8, is allowed separately).
#[must_use]
pub fn online_outcomes(state: ResourceState) -> Vec<(ErrorCode, Effect)> {
    use ResourceState as S;
    match state {
        S::Online => vec![(ErrorCode::ERROR_SUCCESS, Effect::Same)],
        S::OnlinePending => vec![(ErrorCode::ERROR_IO_PENDING, Effect::Same)],
        S::OfflinePending => vec![(ErrorCode::ERROR_INVALID_STATE, Effect::Same)],
        S::Offline | S::Failed => vec![
            (ErrorCode::ERROR_SUCCESS, Effect::Becomes(S::Online)),
            (
                ErrorCode::ERROR_IO_PENDING,
                Effect::Starts(S::OnlinePending),
            ),
        ],
    }
}

/// Answers that belong to R4–R6 (the hidden environment).
fn environment_answer(code: ErrorCode) -> bool {
    [
        ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
        ErrorCode::ERROR_HOST_UNREACHABLE,
        ErrorCode::ERROR_RETRY,
    ]
    .contains(&code)
}

/// Which rule a disallowed OfflineV2 answer breaks, and why, for an open RESID whose DLL
/// state is `state` and whose lock (as reported) is `locked`.
#[must_use]
pub fn blame_offline(
    call: &OfflineCall,
    state: ResourceState,
    locked: bool,
    answer: ErrorCode,
) -> (Rule, String) {
    if answer == ErrorCode::ERROR_INVALID_PARAMETER {
        return (
            Rule::R1,
            "valid arguments answered ERROR_INVALID_PARAMETER".into(),
        );
    }
    if answer == ErrorCode::ERROR_RESOURCE_NOT_FOUND {
        return (
            Rule::R2,
            "an open RESID answered ERROR_RESOURCE_NOT_FOUND".into(),
        );
    }
    if state != ResourceState::Online {
        return blame_settled(state, answer);
    }
    blame_online_state(call, locked, answer)
}

/// R3 decided: the resource is not Online.
fn blame_settled(state: ResourceState, answer: ErrorCode) -> (Rule, String) {
    use ResourceState as S;
    let due = match state {
        S::OfflinePending => "ERROR_IO_PENDING (no second completion)",
        S::OnlinePending => "ERROR_INVALID_STATE",
        _ => "ERROR_SUCCESS",
    };
    if environment_answer(answer) {
        return (
            Rule::R9,
            format!(
                "R3 comes before R4-R6: a resource that is {state} answers {due}, \
                 whatever its lock, reachability or busy state"
            ),
        );
    }
    (
        Rule::R3,
        format!("a resource that is {state} answers {due}"),
    )
}

/// R4-R7 decide: the resource is Online.
fn blame_online_state(call: &OfflineCall, locked: bool, answer: ErrorCode) -> (Rule, String) {
    let flags = OfflineFlags::from_bits_retain(call.flags);
    let ignore = flags.contains(OfflineFlags::IGNORE_RESOURCE_STATUS);
    let lock_due = locked && !ignore;
    if answer == ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS {
        let why = if ignore {
            "LOCKED_STATUS although IGNORE_RESOURCE_STATUS 0x01 was passed"
        } else {
            "LOCKED_STATUS although the DLL never reported the resource locked \
             (SetResourceLockedMode)"
        };
        return (Rule::R4, why.into());
    }
    if lock_due {
        if environment_answer(answer) {
            return (
                Rule::R9,
                "R4 comes before R5 and R6: the DLL reported the resource locked and 0x01 \
                 is absent, so ERROR_CLUSTER_RESOURCE_LOCKED_STATUS"
                    .into(),
            );
        }
        return (
            Rule::R4,
            "the DLL reported the resource locked and 0x01 is absent: \
             ERROR_CLUSTER_RESOURCE_LOCKED_STATUS"
                .into(),
        );
    }
    if answer == ErrorCode::ERROR_HOST_UNREACHABLE {
        let why = if dest_kind(&call.dest) != DestKind::Valid {
            "HOST_UNREACHABLE without a DestinationNodeName (only a move offline can be unreachable)"
        } else if flags.contains(OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR) {
            "HOST_UNREACHABLE on a return leg (0x08 is not a move offline)"
        } else {
            "HOST_UNREACHABLE with IGNORE_NETWORK_CONNECTIVITY 0x20 (it goes offline by the local path)"
        };
        return (Rule::R5, why.into());
    }
    if answer == ErrorCode::ERROR_RETRY {
        return (
            Rule::R6,
            "ERROR_RETRY with IGNORE_RESOURCE_STATUS 0x01 (busy goes offline anyway)".into(),
        );
    }
    if answer == ErrorCode::ERROR_INVALID_STATE {
        return (
            Rule::R3,
            "ERROR_INVALID_STATE is only for an OnlinePending resource; this one is Online".into(),
        );
    }
    (
        Rule::R7,
        "an Online resource answers ERROR_SUCCESS or ERROR_IO_PENDING (or an R4-R6 code)".into(),
    )
}

/// Which rule a disallowed OnlineV2 answer breaks, for an open RESID in `state`.
#[must_use]
pub fn blame_online(state: ResourceState, answer: ErrorCode) -> (Rule, String) {
    if answer == ErrorCode::ERROR_INVALID_PARAMETER {
        return (
            Rule::R8,
            "valid OnlineV2 arguments answered ERROR_INVALID_PARAMETER".into(),
        );
    }
    if answer == ErrorCode::ERROR_RESOURCE_NOT_FOUND {
        return (
            Rule::R2,
            "an open RESID answered ERROR_RESOURCE_NOT_FOUND".into(),
        );
    }
    if environment_answer(answer) {
        return (
            Rule::R9,
            "locked, busy and reachability affect only OfflineV2, never OnlineV2".into(),
        );
    }
    let due = match state {
        ResourceState::Online => "ERROR_SUCCESS",
        ResourceState::OnlinePending => "ERROR_IO_PENDING (no second completion)",
        ResourceState::OfflinePending => "ERROR_INVALID_STATE",
        _ => "ERROR_SUCCESS or ERROR_IO_PENDING (it starts going online)",
    };
    (
        Rule::R7,
        format!("OnlineV2 of a resource that is {state} answers {due}"),
    )
}

/// Names a set of codes: `{ERROR_SUCCESS, ERROR_IO_PENDING}`.
#[must_use]
pub fn describe_codes(codes: &[ErrorCode]) -> String {
    let mut v: Vec<ErrorCode> = codes.to_vec();
    v.sort();
    v.dedup();
    let names: Vec<String> = v.iter().map(ToString::to_string).collect();
    format!("{{{}}}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(flags: u32, dest: Dest) -> OfflineCall {
        OfflineCall {
            resid: 1,
            dest,
            flags,
            inbuf: false,
            inbuf_size: 0,
            reserved: 0,
        }
    }

    #[test]
    fn destinations_are_read_within_16_units() {
        assert_eq!(dest_kind(&Dest::Null), DestKind::Null);
        assert_eq!(dest_kind(&Dest::Name("N2".into())), DestKind::Valid);
        assert!(matches!(
            dest_kind(&Dest::Name(String::new())),
            DestKind::Invalid(_)
        ));
        assert!(matches!(
            dest_kind(&Dest::Name("a".repeat(16))),
            DestKind::Invalid(_)
        ));
        assert_eq!(dest_kind(&Dest::Name("a".repeat(15))), DestKind::Valid);
        let sixteen = Dest::Units {
            units: vec![u16::from(b'a'); 16],
            terminated: false,
        };
        assert_eq!(
            dest_kind(&sixteen),
            DestKind::Invalid("no NUL within 16 units")
        );
        // A NUL inside the units ends the name.
        let inner = Dest::Units {
            units: vec![u16::from(b'n'), 0, u16::from(b' ')],
            terminated: false,
        };
        assert_eq!(dest_kind(&inner), DestKind::Valid);
    }

    #[test]
    fn every_r1_class_requires_87() {
        let valid = call(0x41, Dest::Null);
        assert_eq!(offline_invalid(&valid), None);
        for bad in [
            OfflineCall {
                reserved: 1,
                ..valid.clone()
            },
            call(0x80, Dest::Null),
            OfflineCall {
                inbuf_size: 4,
                ..valid.clone()
            },
            call(0x0A, Dest::Name("N2".into())),
            call(0x02, Dest::Null),
            call(0x08, Dest::Null),
            call(0, Dest::Name("n 1".into())),
        ] {
            assert!(offline_invalid(&bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn the_hidden_environment_widens_only_what_it_may() {
        let codes = |flags, dest| -> Vec<ErrorCode> {
            offline_outcomes(ResourceState::Online, false, &call(flags, dest))
                .into_iter()
                .map(|(c, _)| c)
                .collect()
        };
        // 0x01: no RETRY; no destination: no HOST_UNREACHABLE.
        assert_eq!(
            codes(0x01, Dest::Null),
            [ErrorCode::ERROR_SUCCESS, ErrorCode::ERROR_IO_PENDING]
        );
        assert!(codes(0, Dest::Name("N2".into())).contains(&ErrorCode::ERROR_HOST_UNREACHABLE));
        assert!(!codes(0x20, Dest::Name("N2".into())).contains(&ErrorCode::ERROR_HOST_UNREACHABLE));
        // Locked without 0x01: only LOCKED_STATUS.
        let locked: Vec<ErrorCode> =
            offline_outcomes(ResourceState::Online, true, &call(0, Dest::Null))
                .into_iter()
                .map(|(c, _)| c)
                .collect();
        assert_eq!(locked, [ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS]);
    }

    #[test]
    fn blame_names_the_rule_order() {
        let c = call(0, Dest::Null);
        assert_eq!(
            blame_offline(
                &c,
                ResourceState::Offline,
                true,
                ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS
            )
            .0,
            Rule::R9
        );
        assert_eq!(
            blame_offline(
                &call(1, Dest::Null),
                ResourceState::Online,
                false,
                ErrorCode::ERROR_RETRY
            )
            .0,
            Rule::R6
        );
        assert_eq!(
            blame_online(ResourceState::Online, ErrorCode::ERROR_RETRY).0,
            Rule::R9
        );
    }
}
