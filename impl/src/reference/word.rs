//! The per-resource word and the RESID layout of the reference DLL (R2, R8, A11).
//!
//! Each slot of an instance has one 64-bit word holding everything an entry point decides
//! on: the slot's generation, whether a resource is open in it and its state, and the
//! workload traits that R4–R7 read (locked, busy, work modes, an armed panic). OnlineV2,
//! OfflineV2, Terminate, LooksAlive and IsAlive load the word, decide with the pure rules of
//! [`super::rules`] and change it with one compare-and-swap: no lock on the hot path.
//!
//! A RESID is `(generation << 16) | (slot + 1)`: never 0, and stale once the slot's
//! generation moved on. A slot's generation grows by one at every Close (and at a Reset of an
//! open slot), modulo 2^40, so a closed RESID answers ERROR_RESOURCE_NOT_FOUND until its slot
//! has been reopened 2^40 times (R8 asks for at least 2^32), and there is no limit on the
//! number of opens (the old instance-wide counter stopped opening after 2^24 − 1).

use crate::types::ResourceState;

bitflags::bitflags! {
    /// What the workload says about a resource (SPEC §3, R4–R8): kept in the word while the
    /// resource is open, in the instance's workload record while it is not.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Traits: u8 {
        /// `locked` (R4).
        const LOCKED = 1 << 0;
        /// `busy` (R6).
        const BUSY = 1 << 1;
        /// `offline: pending` (R7; else sync).
        const OFFLINE_PENDING = 1 << 2;
        /// `online: pending` (R7; else sync).
        const ONLINE_PENDING = 1 << 3;
        /// An injected panic waits for the next OnlineV2/OfflineV2 past R1 and R2 (R8, D20).
        const PANIC_ARMED = 1 << 4;
    }
}

/// Bits of a slot index + 1 in a RESID.
pub const SLOT_BITS: u32 = 16;
/// The slot field of a RESID (slot index + 1; 0 names no slot).
pub const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;
/// Where a host RESID's instance tag starts (the ABI's top byte, A2): above every RESID the
/// core issues ([`RESID_MAX`]).
pub const TAG_SHIFT: u32 = GEN_BITS + SLOT_BITS;
/// Bits of a slot generation (in the word and in a RESID).
pub const GEN_BITS: u32 = 40;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;
/// Where the generation starts in a word (bits 24..64).
pub(crate) const GEN_SHIFT: u32 = 24;
/// The state field of a word (bits 0..3; 0, 6 and 7: closed).
pub(crate) const STATE_MASK: u64 = 0x7;
/// Where the traits start in a word (bits 3..8).
pub(crate) const TRAITS_SHIFT: u32 = 3;

/// The largest RESID value the reference DLL hands out (56 bits: room for the ABI's
/// instance tag in the top byte, A2).
pub const RESID_MAX: usize = (1 << (GEN_BITS + SLOT_BITS)) - 1;

/// The code of an open state in a word's state field (1..=5).
#[must_use]
pub(crate) const fn state_code(state: ResourceState) -> u64 {
    match state {
        ResourceState::Offline => 1,
        ResourceState::OnlinePending => 2,
        ResourceState::Online => 3,
        ResourceState::OfflinePending => 4,
        ResourceState::Failed => 5,
    }
}

/// One slot's word: generation, open resource state (or closed) and traits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Word(pub u64);

impl Word {
    /// A closed slot of generation `generation` (mod 2^40).
    #[must_use]
    pub fn closed(generation: u64) -> Self {
        Word((generation & GEN_MASK) << GEN_SHIFT)
    }

    /// An open resource.
    #[must_use]
    pub fn open(generation: u64, state: ResourceState, traits: Traits) -> Self {
        Word(
            ((generation & GEN_MASK) << GEN_SHIFT)
                | (u64::from(traits.bits()) << TRAITS_SHIFT)
                | state_code(state),
        )
    }

    /// The slot's generation.
    #[must_use]
    #[inline]
    pub fn generation(self) -> u64 {
        self.0 >> GEN_SHIFT
    }

    /// The open resource's state; `None` for a closed slot (or a word no code writes).
    #[must_use]
    #[inline]
    pub fn state(self) -> Option<ResourceState> {
        Some(match self.0 & STATE_MASK {
            1 => ResourceState::Offline,
            2 => ResourceState::OnlinePending,
            3 => ResourceState::Online,
            4 => ResourceState::OfflinePending,
            5 => ResourceState::Failed,
            _ => return None,
        })
    }

    /// The traits.
    #[must_use]
    #[inline]
    pub fn traits(self) -> Traits {
        // The traits field is 5 bits wide (bits 3..8); truncation keeps exactly them.
        Traits::from_bits_truncate((self.0 >> TRAITS_SHIFT) as u8)
    }

    /// The open state of the resource named by `generation`, if it is this one (R2).
    #[must_use]
    #[inline]
    pub fn state_of(self, generation: u64) -> Option<ResourceState> {
        if self.generation() == generation {
            self.state()
        } else {
            None
        }
    }

    /// The same word in another state (the slot must be open).
    #[must_use]
    #[inline]
    pub fn with_state(self, state: ResourceState) -> Self {
        Word((self.0 & !STATE_MASK) | state_code(state))
    }

    /// The same word with other traits.
    #[must_use]
    #[inline]
    pub fn with_traits(self, traits: Traits) -> Self {
        Word((self.0 & !(0x1F << TRAITS_SHIFT)) | (u64::from(traits.bits()) << TRAITS_SHIFT))
    }

    /// The slot closed, one generation on: every RESID of this generation is stale.
    #[must_use]
    pub fn closed_next(self) -> Self {
        Word::closed(self.generation().wrapping_add(1))
    }
}

/// The RESID of `slot` at `generation`.
#[must_use]
#[inline]
pub fn resid(slot: usize, generation: u64) -> usize {
    // Both fit: slot < 2^16 − 1 (MAX_SLOTS) and generation < 2^40, on 64-bit targets.
    ((generation & GEN_MASK) as usize) << SLOT_BITS | (slot + 1)
}

/// The slot and generation a RESID names; `None` for 0 and for values no instance issues.
#[must_use]
#[inline]
pub fn split_resid(resid: usize) -> Option<(usize, u64)> {
    if resid > RESID_MAX {
        return None;
    }
    let slot = (resid & ((1 << SLOT_BITS) - 1)).checked_sub(1)?;
    Some((slot, (resid >> SLOT_BITS) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_every_state_and_trait() {
        for state in ResourceState::ALL {
            for bits in 0..32u8 {
                let traits = Traits::from_bits_truncate(bits);
                let w = Word::open(GEN_MASK, state, traits);
                assert_eq!(w.state(), Some(state));
                assert_eq!(w.traits(), traits);
                assert_eq!(w.generation(), GEN_MASK);
                assert_eq!(w.state_of(GEN_MASK), Some(state));
                assert_eq!(w.state_of(0), None);
                let other = w.with_state(ResourceState::Failed);
                assert_eq!(other.traits(), traits);
                assert_eq!(other.with_traits(Traits::empty()).traits(), Traits::empty());
            }
        }
        assert_eq!(Word::closed(7).state(), None);
        assert_eq!(Word::default().state(), None);
    }

    #[test]
    fn generations_wrap_after_2_40_and_resids_stay_distinct_for_2_32_reuses() {
        let last = Word::closed(GEN_MASK);
        assert_eq!(last.closed_next().generation(), 0);
        for slot in [0, 1, 1022, 1023] {
            for g in [0, 1, 1 << 24, (1 << 24) - 1, 1 << 32, GEN_MASK] {
                let r = resid(slot, g);
                assert_ne!(r, 0);
                assert!(r <= RESID_MAX, "fits below the ABI's instance tag");
                assert_eq!(split_resid(r), Some((slot, g)));
                // 2^32 reuses later the slot's RESID is still a different value.
                assert_ne!(resid(slot, g + (1 << 32)), r);
            }
        }
        assert_eq!(split_resid(0), None);
        assert_eq!(split_resid(RESID_MAX + 1), None);
        assert_eq!(split_resid(usize::MAX), None);
        assert_eq!(
            split_resid(1 << SLOT_BITS),
            None,
            "slot field 0 is never issued"
        );
    }
}
