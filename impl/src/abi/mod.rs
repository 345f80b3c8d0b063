//! The C ABI (SPEC §1a). The only module where `unsafe` is allowed.
