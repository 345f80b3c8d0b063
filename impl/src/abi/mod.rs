//! The C ABI (SPEC §1a). The only module where `unsafe` is allowed; every `unsafe` block
//! carries a `// SAFETY:` comment.
//!
//! - [`types`]: `#[repr(C)]` layouts of resapi.h and the reference DLL's extra exports.
//! - [`dll`]: the reference DLL's exports (`StartupEx`, `Startup`, per-instance V4 tables,
//!   the control, release and state-query exports).
//! - [`host`]: the host side, calling any resource DLL through its function table.
//! - [`load`]: the `libloading` calls that resolve a DLL's exports.
//! - [`alloc_count`]: a counting global allocator for the zero-allocation checks (SPEC §8).
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod alloc_count;
pub mod dll;
pub mod guard;
pub mod host;
pub mod load;
pub mod types;
