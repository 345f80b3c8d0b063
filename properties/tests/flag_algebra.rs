//! quickcheck properties of the flag algebra (issue 5), `budget::cases()` tests each:
//!
//! - flag names: parse/format round trip for `OfflineFlags`, `MoveGroupFlags` and
//!   `OfflineResourceFlags` (SPEC §7: names are case-insensitive), unknown bits kept by
//!   `from_bits_retain` (R1 needs to see them);
//! - R12 as the pure function `offline_v2::cluster::flags::offline_flags`: total and
//!   deterministic, never a bit outside 0x7F (R1), never 0x08 with 0x02 (R1, R12), 0x40
//!   exactly when persistent state is left alone (R11, R12: every context but a user offline
//!   without DO_NOT_UPDATE), so RETURN_TO_SOURCE always travels with DO_NOT_UPDATE, and
//!   monotone in the client's IGNORE_RESOURCE_STATUS and QUEUE_ENABLED.
//!
//! Each R12 property also runs on a deliberately broken copy of the function and must fail
//! there (`QuickCheck::quicktest` returns `Err`): the properties are not vacuous.

use std::sync::atomic::{AtomicU32, Ordering};

use offline_v2::cluster::flags::{offline_flags, OfflineContext};
use offline_v2::types::{
    flag_names, parse_flag, MoveGroupFlags, NodeId, OfflineFlags, OfflineResourceFlags,
};
use offline_v2_properties::budget;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

const IGN: OfflineFlags = OfflineFlags::IGNORE_RESOURCE_STATUS;
const RTS: OfflineFlags = OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR;
const QUE: OfflineFlags = OfflineFlags::QUEUE_ENABLED;
const RET: OfflineFlags = OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR;
const EMB: OfflineFlags = OfflineFlags::DUE_TO_EMBEDDED_FAILURE;
const DNU: OfflineFlags = OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE;

fn qc() -> QuickCheck {
    QuickCheck::new().tests(u64::from(budget::cases()))
}

/// The R12 function under test, or a broken copy of it.
type FlagFn = fn(OfflineContext) -> OfflineFlags;

// ---- Arbitrary ----

/// An arbitrary [`OfflineContext`] (every variant, every field).
#[derive(Debug, Clone, Copy)]
struct Ctx(OfflineContext);

impl Arbitrary for Ctx {
    fn arbitrary(g: &mut Gen) -> Self {
        let node = NodeId(u8::arbitrary(g));
        let b = |g: &mut Gen| bool::arbitrary(g);
        Ctx(match u8::arbitrary(g) % 5 {
            0 => OfflineContext::UserOffline {
                ignore_resource_status: b(g),
                do_not_update_persistent_state: b(g),
            },
            1 => OfflineContext::MoveFirstLeg {
                dest: node,
                ignore_resource_status: b(g),
                return_to_source: b(g),
                queue_enabled: b(g),
                second_attempt_without_network: b(g),
            },
            2 => OfflineContext::ReturnLeg {
                source: node,
                ignore_resource_status: b(g),
            },
            3 => OfflineContext::ToPersistentOffline {
                ignore_resource_status: b(g),
            },
            _ => OfflineContext::EmbeddedFailureRestart,
        })
    }
}

/// The same context with the client's IGNORE_RESOURCE_STATUS set, if the context has it.
fn with_ignore(c: OfflineContext) -> Option<OfflineContext> {
    let mut c = c;
    match &mut c {
        OfflineContext::UserOffline {
            ignore_resource_status,
            ..
        }
        | OfflineContext::MoveFirstLeg {
            ignore_resource_status,
            ..
        }
        | OfflineContext::ReturnLeg {
            ignore_resource_status,
            ..
        }
        | OfflineContext::ToPersistentOffline {
            ignore_resource_status,
        } => *ignore_resource_status = true,
        OfflineContext::EmbeddedFailureRestart => return None,
    }
    Some(c)
}

/// The same context with the client's QUEUE_ENABLED set, if the context has it.
fn with_queue(c: OfflineContext) -> Option<OfflineContext> {
    match c {
        OfflineContext::MoveFirstLeg {
            dest,
            ignore_resource_status,
            return_to_source,
            second_attempt_without_network,
            ..
        } => Some(OfflineContext::MoveFirstLeg {
            dest,
            ignore_resource_status,
            return_to_source,
            queue_enabled: true,
            second_attempt_without_network,
        }),
        _ => None,
    }
}

/// R11/R12: the persistent state is written only by a user offline without DO_NOT_UPDATE.
fn leaves_persistent_state(c: OfflineContext) -> bool {
    !matches!(
        c,
        OfflineContext::UserOffline {
            do_not_update_persistent_state: false,
            ..
        }
    )
}

// ---- the R12 properties, over any function ----

fn total_and_deterministic(f: FlagFn, c: Ctx) -> bool {
    f(c.0) == f(c.0)
}

fn within_0x7f(f: FlagFn, c: Ctx) -> bool {
    f(c.0).bits() & !0x7F == 0
}

fn never_0x08_with_0x02(f: FlagFn, c: Ctx) -> bool {
    !f(c.0).contains(RTS | RET)
}

fn dnu_iff_persistent_state_left_alone(f: FlagFn, c: Ctx) -> bool {
    f(c.0).contains(DNU) == leaves_persistent_state(c.0)
}

fn rts_travels_with_dnu(f: FlagFn, c: Ctx) -> bool {
    let flags = f(c.0);
    !flags.contains(RTS) || flags.contains(DNU)
}

fn monotone_in_ignore(f: FlagFn, c: Ctx) -> TestResult {
    match with_ignore(c.0) {
        Some(more) => TestResult::from_bool(f(more).contains(f(c.0))),
        None => TestResult::discard(),
    }
}

fn monotone_in_queue(f: FlagFn, c: Ctx) -> TestResult {
    match with_queue(c.0) {
        Some(more) => TestResult::from_bool(f(more).contains(f(c.0))),
        None => TestResult::discard(),
    }
}

// ---- broken copies (non-vacuity) ----

/// Answers differently on every other call (not deterministic).
fn broken_flaky(c: OfflineContext) -> OfflineFlags {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let flags = offline_flags(c);
    if CALLS.fetch_add(1, Ordering::Relaxed) & 1 == 0 {
        flags
    } else {
        flags ^ IGN
    }
}

/// Sets a bit outside 0x7F on embedded-failure restarts.
fn broken_0x80(c: OfflineContext) -> OfflineFlags {
    let flags = offline_flags(c);
    if flags.contains(EMB) {
        flags | OfflineFlags::from_bits_retain(0x80)
    } else {
        flags
    }
}

/// Copies RETURN_TO_SOURCE onto the return leg (the seeded ReturningWithReturnToSource).
fn broken_rts_on_return(c: OfflineContext) -> OfflineFlags {
    let flags = offline_flags(c);
    if let OfflineContext::ReturnLeg { .. } = c {
        flags | RTS
    } else {
        flags
    }
}

/// Drops 0x40 on return legs (the seeded NoDoNotUpdateOnReturnLeg).
fn broken_no_dnu_on_return(c: OfflineContext) -> OfflineFlags {
    let flags = offline_flags(c);
    if let OfflineContext::ReturnLeg { .. } = c {
        flags - DNU
    } else {
        flags
    }
}

/// Drops 0x40 on a first leg with RETURN_TO_SOURCE.
fn broken_no_dnu_with_rts(c: OfflineContext) -> OfflineFlags {
    let flags = offline_flags(c);
    if flags.contains(RTS) {
        flags - DNU
    } else {
        flags
    }
}

/// Treats IGNORE as "force": drops QUEUE_ENABLED when IGNORE is set (not monotone in IGNORE).
fn broken_ignore_drops_queue(c: OfflineContext) -> OfflineFlags {
    let flags = offline_flags(c);
    if flags.contains(IGN) {
        flags - QUE
    } else {
        flags
    }
}

/// Drops 0x40 from a queued first leg (not monotone in QUEUE_ENABLED).
fn broken_queue_drops_dnu(c: OfflineContext) -> OfflineFlags {
    let flags = offline_flags(c);
    if flags.contains(QUE) {
        flags - DNU
    } else {
        flags
    }
}

/// Asserts that `prop` holds for the real R12 function and fails for `broken`.
fn holds_and_is_not_vacuous(prop: fn(Ctx) -> bool, broken: fn(Ctx) -> bool) {
    qc().quickcheck(prop);
    assert!(
        qc().quicktest(broken).is_err(),
        "the property also holds for the broken copy: it is vacuous"
    );
}

/// As [`holds_and_is_not_vacuous`] for a property that discards inapplicable inputs.
fn holds_and_is_not_vacuous_tr(prop: fn(Ctx) -> TestResult, broken: fn(Ctx) -> TestResult) {
    qc().quickcheck(prop);
    assert!(
        qc().quicktest(broken).is_err(),
        "the property also holds for the broken copy: it is vacuous"
    );
}

#[test]
fn r12_offline_flags_is_total_and_deterministic() {
    holds_and_is_not_vacuous(
        |c| total_and_deterministic(offline_flags, c),
        |c| total_and_deterministic(broken_flaky, c),
    );
}

#[test]
fn r1_r12_offline_flags_never_sets_a_bit_outside_0x7f() {
    holds_and_is_not_vacuous(
        |c| within_0x7f(offline_flags, c),
        |c| within_0x7f(broken_0x80, c),
    );
}

#[test]
fn r1_r12_offline_flags_never_sets_0x08_with_0x02() {
    holds_and_is_not_vacuous(
        |c| never_0x08_with_0x02(offline_flags, c),
        |c| never_0x08_with_0x02(broken_rts_on_return, c),
    );
}

#[test]
fn r11_r12_0x40_exactly_when_persistent_state_is_left_unchanged() {
    holds_and_is_not_vacuous(
        |c| dnu_iff_persistent_state_left_alone(offline_flags, c),
        |c| dnu_iff_persistent_state_left_alone(broken_no_dnu_on_return, c),
    );
}

#[test]
fn r12_return_to_source_always_travels_with_do_not_update() {
    holds_and_is_not_vacuous(
        |c| rts_travels_with_dnu(offline_flags, c),
        |c| rts_travels_with_dnu(broken_no_dnu_with_rts, c),
    );
}

#[test]
fn r12_client_ignore_resource_status_never_removes_a_dll_bit() {
    holds_and_is_not_vacuous_tr(
        |c| monotone_in_ignore(offline_flags, c),
        |c| monotone_in_ignore(broken_ignore_drops_queue, c),
    );
}

#[test]
fn r12_client_queue_enabled_never_removes_a_dll_bit() {
    holds_and_is_not_vacuous_tr(
        |c| monotone_in_queue(offline_flags, c),
        |c| monotone_in_queue(broken_queue_drops_dnu, c),
    );
}

// ---- flag names ----

/// Names then parse gives back the known bits; the unknown bits are kept by
/// `from_bits_retain` and are exactly what the names leave out.
fn round_trip<F>(bits: u32) -> bool
where
    F: bitflags::Flags<Bits = u32> + Copy + PartialEq,
{
    let flags = F::from_bits_retain(bits);
    if flags.bits() != bits {
        return false; // from_bits_retain must keep every bit (R1 sees unknown ones)
    }
    let names = flag_names(&flags);
    let mut parsed = F::empty();
    for name in &names {
        match parse_flag::<F>(name) {
            Some(f) => parsed = F::from_bits_retain(parsed.bits() | f.bits()),
            None => return false,
        }
    }
    let known = F::all().bits();
    parsed.bits() == bits & known
        && F::from_bits_retain(parsed.bits() | (bits & !known)).bits() == bits
        && names.len() == (bits & known).count_ones() as usize
}

/// Every flag name parses to the same flag in any letter case; a non-name parses to nothing.
fn case_insensitive<F>(pick: usize, cases: Vec<bool>) -> bool
where
    F: bitflags::Flags<Bits = u32> + Copy + PartialEq,
{
    let all = F::FLAGS;
    if all.is_empty() {
        return true;
    }
    let flag = &all[pick % all.len()];
    let mixed: String = flag
        .name()
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            if cases.get(i).copied().unwrap_or(false) {
                ch.to_ascii_lowercase()
            } else {
                ch.to_ascii_uppercase()
            }
        })
        .collect();
    let parsed = parse_flag::<F>(&mixed).map(|f| f.bits());
    parsed == Some(flag.value().bits()) && parse_flag::<F>(&format!("{mixed}_X")).is_none()
}

#[test]
fn offline_flags_names_round_trip_and_keep_unknown_bits() {
    qc().quickcheck(round_trip::<OfflineFlags> as fn(u32) -> bool);
    qc().quickcheck(case_insensitive::<OfflineFlags> as fn(usize, Vec<bool>) -> bool);
}

#[test]
fn move_group_flags_names_round_trip_and_keep_unknown_bits() {
    qc().quickcheck(round_trip::<MoveGroupFlags> as fn(u32) -> bool);
    qc().quickcheck(case_insensitive::<MoveGroupFlags> as fn(usize, Vec<bool>) -> bool);
}

#[test]
fn offline_resource_flags_names_round_trip_and_keep_unknown_bits() {
    qc().quickcheck(round_trip::<OfflineResourceFlags> as fn(u32) -> bool);
    qc().quickcheck(case_insensitive::<OfflineResourceFlags> as fn(usize, Vec<bool>) -> bool);
}

#[test]
fn the_name_properties_are_not_vacuous() {
    // A formatter that forgets a name (here DO_NOT_UPDATE_PERSISTENT_STATE) fails the round
    // trip.
    fn broken_round_trip(bits: u32) -> bool {
        let flags = OfflineFlags::from_bits_retain(bits);
        let names: Vec<_> = flag_names(&flags)
            .into_iter()
            .filter(|n| *n != "DO_NOT_UPDATE_PERSISTENT_STATE")
            .collect();
        let parsed = names
            .iter()
            .filter_map(|n| parse_flag::<OfflineFlags>(n))
            .fold(OfflineFlags::empty(), |a, b| a | b);
        parsed.bits() == bits & OfflineFlags::all().bits()
    }
    assert!(qc()
        .quicktest(broken_round_trip as fn(u32) -> bool)
        .is_err());
    // A case-sensitive parser must fail the case-insensitivity property.
    fn broken_case(pick: usize, cases: Vec<bool>) -> bool {
        let all = <OfflineFlags as bitflags::Flags>::FLAGS;
        let flag = &all[pick % all.len()];
        let mixed: String = flag
            .name()
            .chars()
            .enumerate()
            .map(|(i, ch)| {
                if cases.get(i).copied().unwrap_or(false) {
                    ch.to_ascii_lowercase()
                } else {
                    ch
                }
            })
            .collect();
        all.iter().any(|f| f.name() == mixed) // case-sensitive lookup
    }
    assert!(qc()
        .quicktest(broken_case as fn(usize, Vec<bool>) -> bool)
        .is_err());
}
