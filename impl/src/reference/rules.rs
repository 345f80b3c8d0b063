//! The reference DLL's rules R1–R9 as pure functions over a call's arguments and one
//! resource's [`Word`](super::word::Word). The exported cdylib (lock-free, through
//! [`super::shared::SharedInstance`]) and the in-process [`super::Instance`] /
//! [`super::ReferenceDll`] both decide with exactly these functions.

use super::word::Traits;
use crate::types::{ErrorCode, OfflineFlags, ResourceState, NODE_NAME_MAX};

/// Longest DestinationNodeName scan, NUL included (R1: "NUL-terminated UTF-16 within 16 units").
pub const DEST_SCAN_UNITS: usize = NODE_NAME_MAX + 1;

/// A DestinationNodeName after R1's syntax scan (one pass: the NUL and the node-name
/// characters are checked together, SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestArg<'a>(Dest<'a>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest<'a> {
    Null,
    Valid(&'a [u16]),
    Invalid,
}

/// What one unit of the destination scan says (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStep {
    /// A node-name character: read the next unit (if the bound allows).
    Next,
    /// The NUL after `len` valid units, `len` ≥ 1: a syntactically valid name.
    End(usize),
    /// An empty name, a character outside `[A-Za-z0-9-]`, or a 16th non-NUL unit.
    Invalid,
}

/// One step of R1's destination scan at `index` (0-based) reading `unit`.
#[must_use]
#[inline(always)]
pub fn scan_step(index: usize, unit: u16) -> ScanStep {
    if unit == 0 {
        return if index == 0 {
            ScanStep::Invalid
        } else {
            ScanStep::End(index)
        };
    }
    let node_char = NODE_CHAR.get(usize::from(unit)).copied().unwrap_or(false);
    if node_char && index < NODE_NAME_MAX {
        ScanStep::Next
    } else {
        ScanStep::Invalid
    }
}

/// What one unit of a DestinationNodeName is, for the ABI's unrolled scan (R1, SPEC §3):
/// [`UNIT_NODE`], [`UNIT_END`] or [`UNIT_BAD`]. One table load per unit; decides exactly as
/// [`scan_step`] does (`abi::dll`'s tests compare the two scans).
#[must_use]
#[inline(always)]
pub fn unit_class(unit: u16) -> u8 {
    UNIT_CLASS
        .get(usize::from(unit))
        .copied()
        .unwrap_or(UNIT_BAD)
}

/// [`unit_class`]: a character outside `[A-Za-z0-9-]` (or outside ASCII).
pub const UNIT_BAD: u8 = 0;
/// [`unit_class`]: a node-name character.
pub const UNIT_NODE: u8 = 1;
/// [`unit_class`]: the NUL.
pub const UNIT_END: u8 = 2;

static UNIT_CLASS: [u8; 128] = {
    let mut t = [UNIT_BAD; 128];
    let mut c = 0;
    while c < 128 {
        if NODE_CHAR[c] {
            t[c] = UNIT_NODE;
        }
        c += 1;
    }
    t[0] = UNIT_END;
    t
};

/// [`unit_class`] of a unit's **low byte** alone (the ABI's fused scan, A16): the class of a
/// unit whose high byte is 0. A unit with a non-zero high byte is never a node-name character
/// nor the NUL: the scan ORs the high bytes together and answers invalid unless they are 0.
pub static LOW_BYTE_CLASS: [u8; 256] = {
    let mut t = [UNIT_BAD; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = UNIT_CLASS[c];
        c += 1;
    }
    t
};

/// `[A-Za-z0-9-]` over the ASCII range (SPEC §3): one table load per unit.
static NODE_CHAR: [bool; 128] = {
    let mut t = [false; 128];
    let mut c = 0;
    while c < 128 {
        t[c] = matches!(c as u8, b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'-');
        c += 1;
    }
    t
};

impl<'a> DestArg<'a> {
    /// A NULL DestinationNodeName.
    pub const NULL: DestArg<'static> = DestArg(Dest::Null);

    /// Scans `units` the way the ABI scans a `LPCWSTR`, in one pass: at most
    /// [`DEST_SCAN_UNITS`] units, stopping at the NUL or the first invalid unit.
    #[must_use]
    #[inline]
    pub fn scan(units: &'a [u16]) -> Self {
        for (i, &u) in units.iter().take(DEST_SCAN_UNITS).enumerate() {
            match scan_step(i, u) {
                ScanStep::Next => {}
                ScanStep::End(len) => return DestArg(Dest::Valid(&units[..len])),
                ScanStep::Invalid => return DestArg(Dest::Invalid),
            }
        }
        DestArg(Dest::Invalid)
    }

    /// Units that [`scan_step`] accepted up to their NUL (the ABI scans in place).
    #[must_use]
    #[inline]
    pub(crate) fn checked(units: &'a [u16]) -> Self {
        debug_assert!(!units.is_empty() && units.len() <= NODE_NAME_MAX);
        DestArg(Dest::Valid(units))
    }

    /// An invalid destination (R1 rejects it).
    pub const INVALID: DestArg<'static> = DestArg(Dest::Invalid);
}

/// An OfflineV2 call that passed R1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflineCall<'a> {
    /// The flags (no bit outside 0x7F).
    pub flags: OfflineFlags,
    /// The destination, syntactically a node name.
    pub dest: Option<&'a [u16]>,
}

/// The raw arguments of an OfflineV2 call after the DestinationNodeName scan (the one
/// argument struct the ABI, the in-process instance and the tests share).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflineArgs<'a> {
    /// DestinationNodeName, scanned.
    pub dest: DestArg<'a>,
    /// OfflineFlags, unknown bits included.
    pub flags: u32,
    /// InBuffer is NULL (the DLL never reads it, A5).
    pub inbuf_null: bool,
    /// InBufferSize.
    pub inbuf_size: u32,
    /// Reserved.
    pub reserved: u32,
}

impl<'a> OfflineArgs<'a> {
    /// What a well-behaved host passes: no buffer, Reserved 0.
    #[must_use]
    pub fn host(dest: DestArg<'a>, flags: u32) -> Self {
        Self {
            dest,
            flags,
            inbuf_null: true,
            inbuf_size: 0,
            reserved: 0,
        }
    }
}

/// R1: OfflineV2's argument checks, before anything else (R9).
///
/// # Errors
/// ERROR_INVALID_PARAMETER for Reserved ≠ 0, a bit outside 0x7F, a NULL InBuffer with a
/// size, 0x08 with 0x02, 0x02 or 0x08 without a destination, or a destination that is not a
/// node name.
#[inline(always)]
pub fn validate_offline<'a>(args: &OfflineArgs<'a>) -> Result<OfflineCall<'a>, ErrorCode> {
    validate_offline_lazy(
        args.flags,
        args.inbuf_null,
        args.inbuf_size,
        args.reserved,
        || args.dest,
    )
}

/// [`validate_offline`] with the destination scanned by `dest` only after the checks that do
/// not need it passed (A16: the ABI scans DestinationNodeName in place; every R1 failure is
/// the same ERROR_INVALID_PARAMETER, so the order inside R1 is not observable).
///
/// # Errors
/// As [`validate_offline`].
#[inline(always)]
pub fn validate_offline_lazy<'a>(
    flags: u32,
    inbuf_null: bool,
    inbuf_size: u32,
    reserved: u32,
    dest: impl FnOnce() -> DestArg<'a>,
) -> Result<OfflineCall<'a>, ErrorCode> {
    const E87: ErrorCode = ErrorCode::ERROR_INVALID_PARAMETER;
    // Reserved ≠ 0, a bit outside 0x7F, a NULL InBuffer with a size: one test of their OR.
    let sized_null = if inbuf_null { inbuf_size } else { 0 };
    if reserved | (flags & !OfflineFlags::all().bits()) | sized_null != 0 {
        return Err(E87);
    }
    let flags = OfflineFlags::from_bits_retain(flags);
    let leg = OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR
        | OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR;
    if flags.contains(leg) {
        return Err(E87);
    }
    let dest = match dest().0 {
        Dest::Null if flags.intersects(leg) => return Err(E87),
        Dest::Null => None,
        Dest::Valid(units) => Some(units),
        Dest::Invalid => return Err(E87),
    };
    Ok(OfflineCall { flags, dest })
}

/// R8: OnlineV2 validates like R1 (OnlineFlags are ignored).
///
/// # Errors
/// ERROR_INVALID_PARAMETER for Reserved ≠ 0 or a NULL InBuffer with a size.
#[inline]
pub fn validate_online(inbuf_null: bool, inbuf_size: u32, reserved: u32) -> Result<(), ErrorCode> {
    if reserved != 0 || (inbuf_null && inbuf_size > 0) {
        return Err(ErrorCode::ERROR_INVALID_PARAMETER);
    }
    Ok(())
}

/// What an entry point does to a resource that passed R1 and R2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Answer without changing anything.
    Answer(ErrorCode),
    /// Move to the state and answer.
    Become(ResourceState, ErrorCode),
    /// The armed panic fires (R8): disarm it and panic inside the entry point.
    Panic,
}

/// R3–R7 for OfflineV2 in rule order (R9), given the resource's state and traits.
/// `unreachable(dest)` answers R5 (only `net_down` makes a destination unreachable).
#[inline(always)]
pub fn decide_offline(
    state: ResourceState,
    traits: Traits,
    call: &OfflineCall<'_>,
    unreachable: impl FnOnce(&[u16]) -> bool,
) -> Decision {
    use ErrorCode as E;
    if traits.contains(Traits::PANIC_ARMED) {
        return Decision::Panic;
    }
    // R3: the resource's own state first.
    match state {
        ResourceState::Offline => return Decision::Answer(E::ERROR_SUCCESS),
        ResourceState::OfflinePending => return Decision::Answer(E::ERROR_IO_PENDING),
        ResourceState::OnlinePending => return Decision::Answer(E::ERROR_INVALID_STATE),
        ResourceState::Failed => return Decision::Become(ResourceState::Offline, E::ERROR_SUCCESS),
        ResourceState::Online => {}
    }
    let ignore_status = call.flags.contains(OfflineFlags::IGNORE_RESOURCE_STATUS);
    // R4: locked.
    if traits.contains(Traits::LOCKED) && !ignore_status {
        return Decision::Answer(E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS);
    }
    // R5: a move offline to a destination this node cannot reach.
    if let Some(dest) = call.dest {
        if !call.flags.intersects(
            OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR
                | OfflineFlags::IGNORE_NETWORK_CONNECTIVITY,
        ) && unreachable(dest)
        {
            return Decision::Answer(E::ERROR_HOST_UNREACHABLE);
        }
    }
    // R6: busy.
    if traits.contains(Traits::BUSY) && !ignore_status {
        return Decision::Answer(E::ERROR_RETRY);
    }
    // R7: start going offline.
    if traits.contains(Traits::OFFLINE_PENDING) {
        Decision::Become(ResourceState::OfflinePending, E::ERROR_IO_PENDING)
    } else {
        Decision::Become(ResourceState::Offline, E::ERROR_SUCCESS)
    }
}

/// R7 for OnlineV2 (locks and busy never matter, R9).
#[inline(always)]
pub fn decide_online(state: ResourceState, traits: Traits) -> Decision {
    use ErrorCode as E;
    if traits.contains(Traits::PANIC_ARMED) {
        return Decision::Panic;
    }
    match state {
        ResourceState::Online => Decision::Answer(E::ERROR_SUCCESS),
        ResourceState::OnlinePending => Decision::Answer(E::ERROR_IO_PENDING),
        ResourceState::OfflinePending => Decision::Answer(E::ERROR_INVALID_STATE),
        ResourceState::Offline | ResourceState::Failed => {
            if traits.contains(Traits::ONLINE_PENDING) {
                Decision::Become(ResourceState::OnlinePending, E::ERROR_IO_PENDING)
            } else {
                Decision::Become(ResourceState::Online, E::ERROR_SUCCESS)
            }
        }
    }
}

/// How pending work ends (the control export's completions, R7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkEnd {
    /// Offline work succeeds: Offline.
    CompleteOffline,
    /// Offline work fails: Failed.
    FailOffline,
    /// Online work succeeds: Online.
    CompleteOnline,
    /// Online work fails: Failed.
    FailOnline,
}

/// The state pending work ends in, if `state` has that work pending (else the completion
/// answers ERROR_INVALID_STATE and changes nothing).
#[must_use]
pub fn end_work(state: ResourceState, end: WorkEnd) -> Option<ResourceState> {
    use ResourceState as S;
    match (state, end) {
        (S::OfflinePending, WorkEnd::CompleteOffline) => Some(S::Offline),
        (S::OfflinePending, WorkEnd::FailOffline) | (S::OnlinePending, WorkEnd::FailOnline) => {
            Some(S::Failed)
        }
        (S::OnlinePending, WorkEnd::CompleteOnline) => Some(S::Online),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn destination_scan_is_one_pass_of_node_name_syntax() {
        let ok = |s: &str| {
            let mut u = units(s);
            u.push(0);
            assert_eq!(
                DestArg::scan(&u),
                DestArg(Dest::Valid(&u[..u.len() - 1])),
                "{s}"
            );
        };
        let bad = |u: &[u16]| assert_eq!(DestArg::scan(u), DestArg::INVALID, "{u:?}");
        ok("n2");
        ok("node-15-chars-x");
        ok("A-z-0-9");
        bad(&[0]);
        bad(&units("n2")); // unterminated
        bad(&[u16::from(b'n'); 16]); // 16 units without a NUL
        let mut long = units("node-16-chars-xx");
        long.push(0);
        bad(&long);
        for c in ["n_1", "n.1", "n 1", "nœud", "n\u{1F600}"] {
            let mut u = units(c);
            u.push(0);
            bad(&u);
        }
        // Invalid beats unterminated: the scan stops at the first bad unit.
        assert_eq!(scan_step(0, u16::from(b'_')), ScanStep::Invalid);
        assert_eq!(scan_step(15, u16::from(b'a')), ScanStep::Invalid);
        assert_eq!(scan_step(15, 0), ScanStep::End(15));
    }

    #[test]
    fn r1_rejects_each_class_and_accepts_the_rest() {
        let n2 = [u16::from(b'n'), u16::from(b'2'), 0];
        let d = DestArg::scan(&n2);
        let e = Err(ErrorCode::ERROR_INVALID_PARAMETER);
        let v = |dest, flags, inbuf_null, inbuf_size, reserved| {
            validate_offline(&OfflineArgs {
                dest,
                flags,
                inbuf_null,
                inbuf_size,
                reserved,
            })
            .map(|_| ())
        };
        assert_eq!(v(d, 0, true, 0, 1), e);
        assert_eq!(v(d, 0x80, true, 0, 0), e);
        assert_eq!(v(d, 0, true, 4, 0), e);
        assert_eq!(v(d, 0x0A, true, 0, 0), e);
        assert_eq!(v(DestArg::NULL, 0x02, true, 0, 0), e);
        assert_eq!(v(DestArg::NULL, 0x08, true, 0, 0), e);
        assert_eq!(v(DestArg::INVALID, 0, true, 0, 0), e);
        assert_eq!(v(d, 0x02 | 0x40, true, 0, 0), Ok(()));
        assert_eq!(v(DestArg::NULL, 0x7F & !0x0A, false, 9, 0), Ok(()));
        assert_eq!(validate_online(true, 1, 0), e);
        assert_eq!(validate_online(true, 0, 2), e);
        assert_eq!(validate_online(false, 9, 0), Ok(()));
    }

    #[test]
    fn r3_to_r7_in_rule_order() {
        use ResourceState::*;
        let call = |flags: u32| OfflineCall {
            flags: OfflineFlags::from_bits_retain(flags),
            dest: Some(&[0x6E, 0x32]),
        };
        let all = Traits::LOCKED | Traits::BUSY;
        let never = |_: &[u16]| false;
        let always = |_: &[u16]| true;
        let e = |c: ErrorCode| Decision::Answer(c);
        assert_eq!(
            decide_offline(Offline, all, &call(0), always),
            e(ErrorCode::ERROR_SUCCESS)
        );
        assert_eq!(
            decide_offline(Failed, all, &call(0), always),
            Decision::Become(Offline, ErrorCode::ERROR_SUCCESS)
        );
        assert_eq!(
            decide_offline(Online, all, &call(0), always),
            e(ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS)
        );
        assert_eq!(
            decide_offline(Online, all, &call(0x01), always),
            e(ErrorCode::ERROR_HOST_UNREACHABLE)
        );
        assert_eq!(decide_offline(Online, all, &call(0x01), never).clone(), {
            Decision::Become(Offline, ErrorCode::ERROR_SUCCESS)
        });
        assert_eq!(decide_offline(Online, Traits::BUSY, &call(0x20), always), {
            e(ErrorCode::ERROR_RETRY)
        });
        assert_eq!(
            decide_offline(Online, Traits::PANIC_ARMED, &call(0), never),
            Decision::Panic
        );
        assert_eq!(
            decide_online(Failed, Traits::ONLINE_PENDING | all),
            Decision::Become(OnlinePending, ErrorCode::ERROR_IO_PENDING)
        );
        assert_eq!(
            decide_online(OfflinePending, all),
            e(ErrorCode::ERROR_INVALID_STATE)
        );
        assert_eq!(end_work(OfflinePending, WorkEnd::FailOffline), Some(Failed));
        assert_eq!(end_work(OnlinePending, WorkEnd::CompleteOffline), None);
    }
}
