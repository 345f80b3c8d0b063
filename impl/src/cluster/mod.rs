//! The sans-IO cluster coordinator and resource host (SPEC §5, R10–R23).

pub mod io;
pub use io::*;
