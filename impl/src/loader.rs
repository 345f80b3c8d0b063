//! Loading a resource DLL with `libloading` (SPEC §1a). Safe code: the `unsafe` calls live in
//! [`crate::abi::load`].
//!
//! [`LoadedDll::open`] resolves `StartupEx` (falling back to the classic `Startup`) and the
//! reference DLL's optional control export; [`LoadedDll::instance`] starts one fresh instance
//! per node (D1), each a [`TableDll`] driven through the DLL's own function table.

use std::path::{Path, PathBuf};

use crate::abi::dll::RESOURCE_TYPE;
use crate::abi::host::{DllEntries, StartError, TableDll};
use crate::abi::load;
use crate::types::ErrorCode;

/// Environment variable naming the cdylib to load instead of the built one.
pub const DLL_ENV: &str = "OFFLINE_V2_DLL";

/// Environment variable naming the resource type the harness asks `StartupEx` for (default
/// the reference's, [`RESOURCE_TYPE`]); `--resource-type` on the command line sets it too.
pub const RESOURCE_TYPE_ENV: &str = "OFFLINE_V2_RESOURCE_TYPE";

/// Why a resource DLL could not be loaded or started.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// No file at the path.
    #[error("resource DLL {0} does not exist")]
    FileMissing(PathBuf),
    /// The path is a directory.
    #[error(
        "resource DLL {0} is a directory, not a shared library: pass the DLL file in it \
         (e.g. libmy_resource.so)"
    )]
    IsDirectory(PathBuf),
    /// The dynamic loader refused the file.
    #[error(
        "cannot load resource DLL {path}: {source} (is it a shared library built for this \
         platform?)"
    )]
    Open {
        /// The file.
        path: PathBuf,
        /// The loader's error.
        source: libloading::Error,
    },
    /// Neither `StartupEx` nor `Startup` is exported.
    #[error("resource DLL {0} exports neither StartupEx nor Startup")]
    SymbolMissing(PathBuf),
    /// The DLL does not support resource API version 0x400.
    #[error(
        "resource DLL {0} does not support resource API version 0x400 (ERROR_REVISION_MISMATCH)"
    )]
    RevisionMismatch(PathBuf),
    /// StartupEx refused for another reason, or returned an unusable table.
    #[error("StartupEx of {path} failed: {source}")]
    Startup {
        /// The file.
        path: PathBuf,
        /// What it answered.
        source: StartError,
    },
    /// The built cdylib was not found.
    #[error(
        "the offline-v2 cdylib was not found (looked at {searched:?}); build it with \
         `cargo build -p offline-v2` or set {DLL_ENV}"
    )]
    NotBuilt {
        /// Paths tried.
        searched: Vec<PathBuf>,
    },
}

/// A resource DLL loaded from a file; it stays loaded while this or any instance lives.
#[derive(Debug, Clone)]
pub struct LoadedDll {
    path: PathBuf,
    entries: DllEntries,
    resource_type: String,
}

/// What a loaded DLL exports, and so what the harness can do with it (issue 15: say what
/// can run instead of reporting divergences).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// `StartupEx` (else only the classic `Startup`: no locked-mode or failure callbacks).
    pub startup_ex: bool,
    /// The classic `Startup`.
    pub startup: bool,
    /// The reference control export: the harness can drive the workload (scenarios,
    /// lockstep conformance).
    pub control: bool,
    /// The reference release export: instances are freed when the harness drops them.
    pub release: bool,
    /// The reference state-query export.
    pub state: bool,
}

impl Capabilities {
    /// One line: `StartupEx yes, Startup yes, control export no, release export no, state
    /// export no`.
    #[must_use]
    pub fn summary(&self) -> String {
        let yn = |b: bool| if b { "yes" } else { "no" };
        format!(
            "StartupEx {}, Startup {}, control export {}, release export {}, state export {}",
            yn(self.startup_ex),
            yn(self.startup),
            yn(self.control),
            yn(self.release),
            yn(self.state)
        )
    }

    /// Why scenarios and lockstep conformance cannot drive this DLL, if they cannot: they
    /// need the control export to set up and change the workload (SPEC §1a).
    #[must_use]
    pub fn lockstep_blocker(&self) -> Option<String> {
        (!self.control).then(|| {
            format!(
                "the DLL has no control export ({}): scenarios and lockstep conformance \
                 set up and drive the workload through it, so nothing they check could \
                 hold. Check the DLL black-box with `offline-v2 conform --dll PATH \
                 --resource-type NAME` instead, or add the adapter described in \
                 ARCHITECTURE.md (\"The control export\")",
                crate::abi::types::CONTROL_EXPORT
            )
        })
    }
}

impl LoadedDll {
    /// Loads `path` and resolves its exports.
    ///
    /// # Errors
    /// [`LoadError::FileMissing`], [`LoadError::Open`] or [`LoadError::SymbolMissing`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref().to_path_buf();
        if path.is_dir() {
            return Err(LoadError::IsDirectory(path));
        }
        if !path.is_file() {
            return Err(LoadError::FileMissing(path));
        }
        let lib = load::open_library(&path).map_err(|source| LoadError::Open {
            path: path.clone(),
            source,
        })?;
        let entries = load::resolve_entries(lib).ok_or(LoadError::SymbolMissing(path.clone()))?;
        let resource_type = std::env::var(RESOURCE_TYPE_ENV)
            .ok()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| RESOURCE_TYPE.to_owned());
        Ok(Self {
            path,
            entries,
            resource_type,
        })
    }

    /// Loads the built cdylib of this crate ([`find_cdylib`]).
    ///
    /// # Errors
    /// As [`find_cdylib`] and [`LoadedDll::open`].
    pub fn open_built() -> Result<Self, LoadError> {
        Self::open(find_cdylib()?)
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The resolved entry points (raw StartupEx calls for tests).
    #[must_use]
    pub fn entries(&self) -> &DllEntries {
        &self.entries
    }

    /// True if the DLL has the reference control export (SPEC §1a).
    #[must_use]
    pub fn has_control(&self) -> bool {
        self.entries.has_control()
    }

    /// What the DLL exports.
    #[must_use]
    pub fn capabilities(&self) -> Capabilities {
        Capabilities {
            startup_ex: self.entries.has_startup_ex(),
            startup: self.entries.has_classic_startup(),
            control: self.entries.has_control(),
            release: self.entries.has_release(),
            state: self.entries.has_state(),
        }
    }

    /// The resource type [`LoadedDll::instance`] asks `StartupEx` for.
    #[must_use]
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The same DLL, starting instances of `resource_type` (a user's DLL implements its own
    /// type; the default is the reference's or `$OFFLINE_V2_RESOURCE_TYPE`).
    #[must_use]
    pub fn with_resource_type(mut self, resource_type: &str) -> Self {
        resource_type.clone_into(&mut self.resource_type);
        self
    }

    /// A fresh instance of the configured resource type (D1: call once per node).
    ///
    /// # Errors
    /// [`LoadError::RevisionMismatch`] or [`LoadError::Startup`].
    pub fn instance(&self) -> Result<TableDll, LoadError> {
        self.instance_of(&self.resource_type)
    }

    /// A fresh instance of `resource_type` (for a user's DLL).
    ///
    /// # Errors
    /// [`LoadError::RevisionMismatch`] or [`LoadError::Startup`].
    pub fn instance_of(&self, resource_type: &str) -> Result<TableDll, LoadError> {
        self.instance_with_versions(resource_type, 0x400, 0x400)
    }

    /// A fresh instance of `resource_type`, offering resource API versions [`min`, `max`].
    ///
    /// # Errors
    /// [`LoadError::RevisionMismatch`] or [`LoadError::Startup`].
    pub fn instance_with_versions(
        &self,
        resource_type: &str,
        min: u32,
        max: u32,
    ) -> Result<TableDll, LoadError> {
        self.entries
            .start_with_versions(resource_type, min, max)
            .map_err(|source| match source {
                StartError::Startup(ErrorCode::ERROR_REVISION_MISMATCH) => {
                    LoadError::RevisionMismatch(self.path.clone())
                }
                source => LoadError::Startup {
                    path: self.path.clone(),
                    source,
                },
            })
    }

    /// One instance per node (D1).
    ///
    /// # Errors
    /// As [`LoadedDll::instance`].
    pub fn instances(&self, nodes: usize) -> Result<Vec<TableDll>, LoadError> {
        (0..nodes).map(|_| self.instance()).collect()
    }
}

/// The file name of this crate's cdylib on this platform (`liboffline_v2.so`, …).
#[must_use]
pub fn cdylib_file_name() -> String {
    format!(
        "{}offline_v2{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// Finds the built cdylib: `$OFFLINE_V2_DLL` if set, else `liboffline_v2.so` in `target/<profile>`
/// or its `deps` folder
/// next to the running executable (a test binary lives in `target/<profile>/deps`).
///
/// # Errors
/// [`LoadError::NotBuilt`] with the paths tried, or [`LoadError::FileMissing`] if the
/// environment variable names a missing file.
pub fn find_cdylib() -> Result<PathBuf, LoadError> {
    if let Some(path) = std::env::var_os(DLL_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(LoadError::FileMissing(path))
        };
    }
    let name = cdylib_file_name();
    let mut searched = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        // A test binary lives in target/<profile>/deps, a binary in target/<profile>; cargo
        // leaves the cdylib of a *dependency* in target/<profile>/deps.
        let dirs = exe
            .ancestors()
            .skip(1)
            .take(2)
            .flat_map(|d| [d.to_path_buf(), d.join("deps")]);
        // Both places may hold a copy; the newest one is the one cargo just built.
        let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
        for dir in dirs {
            let candidate = dir.join(&name);
            if let Ok(modified) = std::fs::metadata(&candidate).and_then(|m| m.modified()) {
                if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
                    newest = Some((modified, candidate.clone()));
                }
            }
            searched.push(candidate);
        }
        if let Some((_, path)) = newest {
            return Ok(path);
        }
    }
    Err(LoadError::NotBuilt { searched })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_a_clear_error() {
        let err = LoadedDll::open("/nonexistent/liboffline_v2.so");
        assert!(matches!(err, Err(LoadError::FileMissing(_))));
    }

    #[test]
    fn a_library_without_startup_is_symbol_missing() {
        // libc has neither StartupEx nor Startup.
        let candidates = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/lib64/libc.so.6",
        ];
        if let Some(path) = candidates.iter().find(|p| Path::new(p).is_file()) {
            let err = LoadedDll::open(path);
            assert!(matches!(err, Err(LoadError::SymbolMissing(_))), "{err:?}");
        }
    }
}
