//! Conformance of any resource DLL to the DLL rules R1–R9, black-box (issue 15,
//! `docs/conform.md`).
//!
//! - [`event`]: what a host observes — calls with their exact arguments, answers, callbacks.
//! - [`rules`]: R1–R9 as pure functions: the answers a call may get, and which rule an answer
//!   outside that set breaks.
//! - [`monitor`]: [`DllMonitor`], the one encoding of R1–R9 outside the DLL itself. Fed every
//!   observed event, it keeps the DLL's hidden environment as nondeterminism and gives a
//!   verdict per event. `offline-v2 conform` ([`session`]), lockstep conformance of the
//!   reference DLL ([`monitored`]) and a fuzzer all use it.
//! - [`plan`]: the seeded call sequences `conform` sends; [`session`] runs one against a DLL
//!   instance; [`run`] loads a DLL and runs in this process or a child; [`shrink`] makes a
//!   failing plan minimal.
//!
//! # The monitor as a library (e.g. from a fuzz target)
//!
//! Feed each call with its answer and the callbacks that came with it; the first event that
//! no hidden environment explains is the verdict.
//!
//! ```
//! use offline_v2::types::ErrorCode;
//! use offline_v2_properties::conform::{Dest, DllMonitor, Event, OfflineCall, Rule, StartedBy};
//!
//! let mut monitor = DllMonitor::new(StartedBy::StartupEx);
//! let open = Event::Open { resource: 0, name: "vm1".into(), resid: Some(0x11), during: vec![] };
//! assert!(monitor.observe(1, &open).is_ok());
//! // Busy without IGNORE_RESOURCE_STATUS may answer ERROR_RETRY (R6)...
//! let call = OfflineCall { resid: 0x11, dest: Dest::Null, flags: 0x00, inbuf: false,
//!                          inbuf_size: 0, reserved: 0 };
//! let retry = Event::OfflineV2 { call: call.clone(), answer: ErrorCode::ERROR_RETRY.0,
//!                                during: vec![] };
//! assert!(monitor.observe(2, &retry).is_ok());
//! // ...but not with 0x01.
//! let forced = Event::OfflineV2 { call: OfflineCall { flags: 0x01, ..call },
//!                                 answer: ErrorCode::ERROR_RETRY.0, during: vec![] };
//! let verdict = monitor.observe(3, &forced).unwrap_err();
//! assert_eq!(verdict.rule, Rule::R6);
//! ```
//!
//! A host that waited long enough for pending work sends [`Event::Expire`]: every status
//! callback still owed then breaks R7.

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
