//! The reference resource (R1–R9) as safe, deterministic Rust.
