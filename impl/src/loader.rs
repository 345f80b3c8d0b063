//! Loading a resource DLL with `libloading` (SPEC §1a).
