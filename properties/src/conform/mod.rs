//! Conformance of any resource DLL to the DLL rules R1–R9, black-box (issue 15).
//!
//! - [`event`]: what a host observes — calls with their exact arguments, answers, callbacks.
//! - [`rules`]: R1–R9 as pure functions: the answers a call may get, and which rule an answer
//!   outside that set breaks.
//! - [`monitor`]: [`DllMonitor`], the one encoding of R1–R9 outside the DLL itself: fed every
//!   observed event, it keeps the hidden environment as nondeterminism and gives a verdict.
//!   `offline-v2 conform`, the lockstep conformance of the reference DLL ([`monitored`]) and
//!   the fuzzer all use it.
//!
//! `docs/conform.md` describes what is checked and what a black box is assumed to do.

pub mod event;
pub mod monitor;
pub mod monitored;
pub mod plan;
pub mod rules;
pub mod run;
pub mod session;
pub mod shrink;

pub use event::{Callback, Dest, Event, OfflineCall, OnlineCall};
pub use monitor::{DllMonitor, StartedBy, Tally, Violation};
pub use rules::Rule;
