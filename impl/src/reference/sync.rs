//! The synchronisation primitives of the DLL core, behind a small facade so that the same
//! core runs on `std` in the cdylib and on a schedule-exploring checker's primitives in
//! tests (`impl/tests/abi_concurrency.rs` implements [`Facade`] with `shuttle`, A13).
//!
//! The core needs only three things: a mutex used with a closure (never held across a host
//! callback), a 64-bit atomic word with load / store / compare-and-swap, and the choice of
//! how notices are delivered ([`Delivery`], a test-only knob for the checker's non-vacuity).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// A 64-bit word with the three operations the core uses. Loads acquire, stores release,
/// a successful compare-and-swap does both.
pub trait AtomicWord {
    /// A word holding `value`.
    fn new(value: u64) -> Self;
    /// The current value.
    fn load(&self) -> u64;
    /// Replaces the value.
    fn store(&self, value: u64);
    /// Replaces `current` with `new`; on failure returns the value found.
    ///
    /// # Errors
    /// The value found, when it is not `current`.
    fn cas(&self, current: u64, new: u64) -> Result<(), u64>;
}

impl AtomicWord for AtomicU64 {
    fn new(value: u64) -> Self {
        AtomicU64::new(value)
    }
    #[inline(always)]
    fn load(&self) -> u64 {
        AtomicU64::load(self, Ordering::Acquire)
    }
    #[inline(always)]
    fn store(&self, value: u64) {
        AtomicU64::store(self, value, Ordering::Release);
    }
    #[inline(always)]
    fn cas(&self, current: u64, new: u64) -> Result<(), u64> {
        self.compare_exchange(current, new, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
    }
}

/// The single-threaded word of the in-process [`super::Instance`]: the same core code runs
/// on a plain `u64` seen as a `Cell` (no atomics, deterministic, `Clone + Eq + Hash`).
impl AtomicWord for Cell<u64> {
    fn new(value: u64) -> Self {
        Cell::new(value)
    }
    #[inline(always)]
    fn load(&self) -> u64 {
        self.get()
    }
    #[inline(always)]
    fn store(&self, value: u64) {
        self.set(value);
    }
    #[inline(always)]
    fn cas(&self, current: u64, new: u64) -> Result<(), u64> {
        let found = self.get();
        if found == current {
            self.set(new);
            Ok(())
        } else {
            Err(found)
        }
    }
}

/// A mutex used only through a closure, so that no guard can be held across a host callback.
pub trait FacadeMutex<T> {
    /// A mutex holding `value`.
    fn new(value: T) -> Self;
    /// Runs `f` with the value locked (a poisoned lock is taken over: every critical section
    /// of the core leaves its data consistent before anything can panic).
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

impl<T> FacadeMutex<T> for Mutex<T> {
    fn new(value: T) -> Self {
        Mutex::new(value)
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// How the core delivers notices. Only [`Delivery::Combining`] ships; the others exist so the
/// concurrency checker can show it finds the bugs they put back (non-vacuity, A13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// One deliverer at a time drains the queue with no lock held across callbacks; a thread
    /// that finds a deliverer at work leaves its notices to it (A11).
    Combining,
    /// Test-only: the old design (before issue 12) — a delivery lock held across callbacks,
    /// taken by every call that queued something. Re-entrant callbacks deadlock.
    HoldLockAcrossCallbacks,
    /// Test-only: `Combining` without the re-check after the deliverer stands down, so a
    /// notice queued in that window is never delivered (a lost callback).
    CombiningWithoutRecheck,
}

/// The primitives a [`super::shared::SharedInstance`] is built from.
pub trait Facade: 'static {
    /// The mutex.
    type Mutex<T: Send>: FacadeMutex<T> + Send + Sync;
    /// The atomic word.
    type Word: AtomicWord + Send + Sync;
    /// How notices are delivered ([`Delivery::Combining`] but in the checker's broken
    /// variants).
    const DELIVERY: Delivery = Delivery::Combining;
}

/// `std`'s primitives: what the cdylib uses.
#[derive(Debug, Clone, Copy)]
pub struct StdSync;

impl Facade for StdSync {
    type Mutex<T: Send> = Mutex<T>;
    type Word = AtomicU64;
}
