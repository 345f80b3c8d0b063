//! `offline-v2`: the reference OfflineV2 resource DLL, its resource host and the cluster
//! coordinator (SPEC §1–§5).
//!
//! - [`types`]: the SPEC vocabulary (flags, codes, states, ids).
//! - [`reference`](mod@reference): the reference resource's logic (R1–R9) as safe, deterministic Rust.
//! - [`abi`]: the only `unsafe` code: the exported C ABI (`StartupEx`, `Startup`, the V4
//!   function table, the control export) and the host side that calls such a table.
//! - [`resource_dll`]: the seam between the host and one node's DLL instance.
//! - [`cluster`]: the sans-IO coordinator and host: a dispatcher (`handle_input`, `poll_output`,
//!   `poll_timeout`, `step`) over one `Operation` per group, with always-on invariants.
//! - [`loader`]: loads a built cdylib with `libloading` and drives it through the same seam.
//! - `seeded` (feature `seeded-bugs`, tests only): deliberate bugs proving conformance is not
//!   vacuous.

pub mod abi;
pub mod cluster;
pub mod loader;
pub mod reference;
pub mod resource_dll;
#[cfg(feature = "seeded-bugs")]
pub mod seeded;
pub mod types;
