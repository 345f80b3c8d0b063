//! OfflineV2's fast path (SPEC §8, issue 13; decision A15): R3–R7 decided by **one load from a
//! table precomputed at compile time**, keyed by the resource word's low byte (its state and
//! traits, [`super::word`]) and by IGNORE_RESOURCE_STATUS (0x01), the only flag R3, R4, R6 and
//! R7 read.
//!
//! The table is a second encoding of [`super::rules::decide_offline`], written here in the
//! word's own terms; the generic path ([`super::core::offline_v2_generic`], the rules as
//! written) stays the cold fallback for what the table does not decide:
//! - an **armed panic** (R8: the generic path disarms it and the entry point panics), and
//! - **R5 with a cut link**: when a link is down, a move leg (destination set, neither 0x08
//!   nor 0x20) goes to the generic path before the table is read. With every link up R5 never
//!   answers, so the table is built without it.
//!
//! `impl/src/reference/fast.rs`'s tests compare the two paths over every input (flags
//! 0..=255 × every word low byte — 8 state codes × locked × busy × work modes × armed panic —
//! × destination × cut links × RESID) and show that the comparison fails when any one table
//! entry is wrong.

use super::word::{state_code, Traits, STATE_MASK, TRAITS_SHIFT};
use crate::types::{ErrorCode, OfflineFlags, ResourceState};

/// Entries: 256 word low bytes × IGNORE_RESOURCE_STATUS.
pub const OFFLINE_TABLE_LEN: usize = 512;

/// The table type (a parameter of the fast path, so tests can run it on a broken copy).
pub type OfflineTable = [u32; OFFLINE_TABLE_LEN];

/// Entry bit: the table does not decide; run the generic path.
pub const GENERIC: u32 = 1 << 31;
/// Entry bits 16..19: the state code to move to XOR the word's (0: no change; A16), so the
/// new word is the old one XOR `entry >> DELTA_SHIFT`.
pub const DELTA_SHIFT: u32 = 16;
/// Entry bits 0..16: the answer.
pub const CODE_MASK: u32 = 0xFFFF;

/// OfflineV2's decision table (R3–R7 without R5, see the module documentation).
pub static OFFLINE_TABLE: OfflineTable = build();

/// The table's key for a word and the call's flags.
#[inline(always)]
#[must_use]
pub fn key(word: u64, flags: OfflineFlags) -> usize {
    // The low byte is state (3 bits) + traits (5 bits); 0x01 selects the upper half.
    (word & 0xFF) as usize
        | ((flags.bits() & OfflineFlags::IGNORE_RESOURCE_STATUS.bits()) as usize) << 8
}

const fn answer(code: ErrorCode) -> u32 {
    assert!(code.0 <= CODE_MASK);
    code.0
}

const fn become_(from: ResourceState, to: ResourceState, code: ErrorCode) -> u32 {
    let delta = state_code(from) ^ state_code(to);
    assert!(delta != 0);
    answer(code) | (delta as u32) << DELTA_SHIFT
}

/// The entry for a word whose low byte is `low`, with or without IGNORE_RESOURCE_STATUS.
const fn entry(low: u8, ignore: bool) -> u32 {
    use ErrorCode as E;
    use ResourceState as S;
    let traits = Traits::from_bits_truncate(low >> TRAITS_SHIFT);
    // R2: a state field no open resource has (a closed slot of this generation).
    let state = match low as u64 & STATE_MASK {
        1 => S::Offline,
        2 => S::OnlinePending,
        3 => S::Online,
        4 => S::OfflinePending,
        5 => S::Failed,
        _ => return answer(E::ERROR_RESOURCE_NOT_FOUND),
    };
    // R8: an armed panic fires (disarmed by the generic path).
    if traits.contains(Traits::PANIC_ARMED) {
        return GENERIC;
    }
    // R3.
    match state {
        S::Offline => return answer(E::ERROR_SUCCESS),
        S::OfflinePending => return answer(E::ERROR_IO_PENDING),
        S::OnlinePending => return answer(E::ERROR_INVALID_STATE),
        S::Failed => return become_(S::Failed, S::Offline, E::ERROR_SUCCESS),
        S::Online => {}
    }
    // R4 (R5 is decided before the table is read).
    if traits.contains(Traits::LOCKED) && !ignore {
        return answer(E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS);
    }
    // R6.
    if traits.contains(Traits::BUSY) && !ignore {
        return answer(E::ERROR_RETRY);
    }
    // R7.
    if traits.contains(Traits::OFFLINE_PENDING) {
        become_(S::Online, S::OfflinePending, E::ERROR_IO_PENDING)
    } else {
        become_(S::Online, S::Offline, E::ERROR_SUCCESS)
    }
}

const fn build() -> OfflineTable {
    let mut table = [0u32; OFFLINE_TABLE_LEN];
    let mut k = 0;
    while k < OFFLINE_TABLE_LEN {
        table[k] = entry((k & 0xFF) as u8, k >= 256);
        k += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::reference::core::{offline_v2_generic, offline_v2_with};
    use crate::reference::rules::OfflineCall;
    use crate::reference::word::{resid, GEN_SHIFT};
    use crate::types::NodeName;

    const GEN: u64 = 5;

    /// The first input on which the fast path with `table` and the generic path disagree
    /// (answer or resulting word), over every flag value 0..=255, every word low byte in
    /// `lows` (state code 0..=7 × the five traits), destination NULL or `n2`, no cut link /
    /// `n2` cut / another node cut, and a RESID that names the word, a stale one and 0.
    fn first_mismatch(table: &OfflineTable, lows: impl Iterator<Item = u8>) -> Option<String> {
        let n2: Vec<u16> = "n2".encode_utf16().collect();
        let cut = |s: &str| vec![NodeName::new(s).expect("node name")];
        let links: [Vec<NodeName>; 3] = [Vec::new(), cut("n2"), cut("n9")];
        let dests: [Option<&[u16]>; 2] = [None, Some(&n2)];
        let resids = [resid(0, GEN), resid(0, GEN + 1), 0];
        for low in lows {
            let w = GEN << GEN_SHIFT | u64::from(low);
            for flags in 0..=255u32 {
                for dest in dests {
                    let call = OfflineCall {
                        flags: OfflineFlags::from_bits_retain(flags),
                        dest,
                    };
                    for down in &links {
                        for r in resids {
                            let fast_words = [Cell::new(w)];
                            let slow_words = [Cell::new(w)];
                            let fast =
                                offline_v2_with(&fast_words, down.as_slice(), r, &call, table);
                            let slow = offline_v2_generic(&slow_words, down.as_slice(), r, &call);
                            let (fw, sw) = (fast_words[0].get(), slow_words[0].get());
                            if (fast, fw) != (slow, sw) {
                                return Some(format!(
                                    "low {low:#04x} flags {flags:#04x} dest {dest:?} down {down:?} \
                                     resid {r:#x}: fast {fast:?} word {fw:#x}, generic {slow:?} word {sw:#x}"
                                ));
                            }
                        }
                    }
                }
            }
        }
        None
    }

    #[test]
    fn fast_path_equals_generic_path_on_every_input() {
        assert_eq!(first_mismatch(&OFFLINE_TABLE, 0..=255), None);
    }

    #[test]
    fn the_comparison_fails_when_one_entry_is_wrong() {
        // Online, busy, no IGNORE_RESOURCE_STATUS: R6's ERROR_RETRY made ERROR_SUCCESS.
        let busy_online = (state_code(ResourceState::Online)
            | u64::from(Traits::BUSY.bits()) << TRAITS_SHIFT) as usize;
        assert_eq!(OFFLINE_TABLE[busy_online], ErrorCode::ERROR_RETRY.0);
        let mut broken = OFFLINE_TABLE;
        broken[busy_online] = ErrorCode::ERROR_SUCCESS.0;
        let found = first_mismatch(&broken, 0..=255);
        let Some(found) = found else {
            panic!("a wrong entry must make the comparison fail")
        };
        assert!(found.contains("low 0x13"), "{found}");
    }

    #[test]
    fn every_single_wrong_entry_is_caught() {
        for k in 0..OFFLINE_TABLE_LEN {
            let mut broken = OFFLINE_TABLE;
            broken[k] = if OFFLINE_TABLE[k] & GENERIC != 0 {
                // Deciding an armed panic in the table loses the panic.
                ErrorCode::ERROR_SUCCESS.0
            } else {
                // Another answer (or, for a move, the same answer from another code).
                OFFLINE_TABLE[k] ^ 1
            };
            let low = (k & 0xFF) as u8;
            assert!(
                first_mismatch(&broken, low..=low).is_some(),
                "entry {k:#x} changed and nothing noticed"
            );
        }
    }

    #[test]
    fn table_speaks_the_rules_in_a_few_spot_checks() {
        let k = |state: ResourceState, traits: Traits, ignore: bool| {
            (state_code(state) | u64::from(traits.bits()) << TRAITS_SHIFT) as usize
                | usize::from(ignore) << 8
        };
        let t = &OFFLINE_TABLE;
        let all = Traits::LOCKED | Traits::BUSY;
        assert_eq!(t[k(ResourceState::Offline, all, false)], 0);
        assert_eq!(
            t[k(ResourceState::Online, all, false)],
            ErrorCode::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS.0
        );
        assert_eq!(
            t[k(ResourceState::Online, all | Traits::OFFLINE_PENDING, true)],
            ErrorCode::ERROR_IO_PENDING.0 | (3 ^ 4) << DELTA_SHIFT
        );
        assert_eq!(
            t[k(ResourceState::Failed, Traits::PANIC_ARMED, true)],
            GENERIC
        );
        assert_eq!(t[0], ErrorCode::ERROR_RESOURCE_NOT_FOUND.0);
    }
}
