//! The `unsafe` half of loading a resource DLL with `libloading` ([`crate::loader`] is the
//! safe half).

use std::path::Path;
use std::sync::Arc;

use super::host::DllEntries;
use super::types::{
    ControlExportFn, ReleaseExportFn, StartupExFn, StartupFn, StateExportFn, CONTROL_EXPORT,
    RELEASE_EXPORT, STATE_EXPORT,
};

/// Loads the shared library at `path`.
///
/// # Errors
/// The loader's error (file missing, not a library, unresolved dependencies).
pub fn open_library(path: &Path) -> Result<Arc<libloading::Library>, libloading::Error> {
    // SAFETY: loading a library runs its initialisers. The harness loads resource DLLs the user
    // points it at, like a resource monitor does; trusting them is the premise of the tool.
    let lib = unsafe { libloading::Library::new(path) }?;
    Ok(Arc::new(lib))
}

/// Resolves an optional export as a function pointer of type `T`.
///
/// # Safety
/// `T` must be the export's real function-pointer type.
unsafe fn symbol<T: Copy>(lib: &libloading::Library, name: &str) -> Option<T> {
    // SAFETY: forwarded from the caller (the type); the pointer is copied out and kept
    // usable by holding the library in `DllEntries::keep`.
    unsafe { lib.get::<T>(name.as_bytes()) }.ok().map(|s| *s)
}

/// Resolves `StartupEx` (else the classic `Startup`) and the reference DLL's optional exports.
/// `None` if the library exports neither start-up routine.
#[must_use]
pub fn resolve_entries(lib: Arc<libloading::Library>) -> Option<DllEntries> {
    // SAFETY: each symbol is read with the type resapi.h (or ARCHITECTURE.md, for the
    // reference exports) gives it; a DLL that exports these names with other signatures
    // breaks the resource API contract, which the tool cannot check.
    unsafe {
        let startup_ex = symbol::<StartupExFn>(&lib, "StartupEx");
        let startup = symbol::<StartupFn>(&lib, "Startup");
        let control = symbol::<ControlExportFn>(&lib, CONTROL_EXPORT);
        let release = symbol::<ReleaseExportFn>(&lib, RELEASE_EXPORT);
        let state = symbol::<StateExportFn>(&lib, STATE_EXPORT);
        DllEntries::from_symbols(startup_ex, startup, control, release, state, lib)
    }
}
