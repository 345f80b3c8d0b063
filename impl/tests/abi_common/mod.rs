//! Shared helpers of the ABI tests: everything goes through the **loaded cdylib**
//! (`target/<profile>/liboffline_v2.so`, or `$OFFLINE_V2_DLL`), never through Rust calls.
#![allow(dead_code)]

use std::sync::OnceLock;

use offline_v2::abi::host::TableDll;
use offline_v2::loader::LoadedDll;
use offline_v2::resource_dll::{DllCallback, RawDest, RawOfflineV2, WorkloadControl};
use offline_v2::types::{ErrorCode, NodeName, OfflineFlags, ResourceId, ResourceState, WorkMode};

/// The cdylib, loaded once per test binary.
pub fn dll() -> &'static LoadedDll {
    static DLL: OnceLock<LoadedDll> = OnceLock::new();
    DLL.get_or_init(|| match LoadedDll::open_built() {
        Ok(dll) => dll,
        Err(e) => panic!("{e}"),
    })
}

/// A fresh instance of the reference DLL from the cdylib (D1).
pub fn instance() -> TableDll {
    match dll().instance() {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    }
}

/// A node name.
pub fn node(name: &str) -> NodeName {
    NodeName::new(name).expect("valid node name")
}

/// This instance runs on `n1`; the destination used by the tests is `n2`.
pub const LOCAL: &str = "n1";
/// The destination node of move offlines.
pub const DEST: &str = "n2";
/// The resource of single-resource tests.
pub const RES: &str = "vm1";

/// A resource state to set up, with its workload modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The DLL state of the resource before the call.
    pub state: ResourceState,
    /// `offline: sync` (else pending).
    pub offline_sync: bool,
    /// Locked (R4).
    pub locked: bool,
    /// Busy (R6).
    pub busy: bool,
    /// The link n1–n2 is down (R5).
    pub unreachable: bool,
}

impl Setup {
    /// A plain resource in `state`, offline work pending.
    pub const fn plain(state: ResourceState) -> Self {
        Self {
            state,
            offline_sync: false,
            locked: false,
            busy: false,
            unreachable: false,
        }
    }
}

/// Every setup the flag matrix covers: the five states, Online with sync offline work, and
/// Online locked / busy / unreachable / all three, plus locked Offline and locked Failed.
pub fn all_setups() -> Vec<Setup> {
    use ResourceState::*;
    let mut v: Vec<Setup> = ResourceState::ALL.into_iter().map(Setup::plain).collect();
    let online = Setup::plain(Online);
    v.push(Setup {
        offline_sync: true,
        ..online
    });
    v.push(Setup {
        locked: true,
        ..online
    });
    v.push(Setup {
        busy: true,
        ..online
    });
    v.push(Setup {
        unreachable: true,
        ..online
    });
    v.push(Setup {
        locked: true,
        busy: true,
        unreachable: true,
        ..online
    });
    v.push(Setup {
        busy: true,
        unreachable: true,
        offline_sync: true,
        ..online
    });
    v.push(Setup {
        locked: true,
        ..Setup::plain(Offline)
    });
    v.push(Setup {
        locked: true,
        busy: true,
        ..Setup::plain(Failed)
    });
    v
}

/// Sends a control and asserts ERROR_SUCCESS.
pub fn ctl(dll: &TableDll, control: WorkloadControl<'_>) {
    assert_eq!(
        dll.send_control(control),
        ErrorCode::ERROR_SUCCESS,
        "{control:?}"
    );
}

/// A fresh instance holding `RES` in the set-up state; callbacks drained. Returns the RESID.
pub fn prepare(setup: Setup) -> (TableDll, usize) {
    use ResourceState::*;
    let dll = instance();
    ctl(&dll, WorkloadControl::SetLocalNode(node(LOCAL)));
    let running = matches!(setup.state, Online | OfflinePending | Failed);
    ctl(
        &dll,
        WorkloadControl::Configure {
            resource: RES,
            offline: WorkMode::Pending,
            online: WorkMode::Pending,
            running,
        },
    );
    let resid = dll
        .open_resource(ResourceId(0), RES)
        .expect("OpenV2 returns a RESID")
        .0
        .get();
    match setup.state {
        Offline | Online => {}
        OnlinePending => {
            assert_eq!(
                dll.online_v2_raw(resid, None, 0, 0),
                ErrorCode::ERROR_IO_PENDING
            );
        }
        OfflinePending => {
            assert_eq!(
                dll.offline_v2_call(resid, None, OfflineFlags::empty()),
                ErrorCode::ERROR_IO_PENDING
            );
        }
        Failed => ctl(&dll, WorkloadControl::EmbeddedFailure(RES)),
    }
    if setup.offline_sync {
        ctl(
            &dll,
            WorkloadControl::Configure {
                resource: RES,
                offline: WorkMode::Sync,
                online: WorkMode::Pending,
                running: setup.state == Online,
            },
        );
    }
    if setup.locked {
        ctl(&dll, WorkloadControl::Lock(RES));
    }
    if setup.busy {
        ctl(&dll, WorkloadControl::Busy(RES));
    }
    if setup.unreachable {
        ctl(&dll, WorkloadControl::NetDown(node(DEST)));
    }
    assert_eq!(dll.dll_state(resid), Some(Some(setup.state)), "{setup:?}");
    let _ = dll.drain_callbacks();
    (dll, resid)
}

/// What the DLL believes about `resid` (None: not open).
pub fn state(dll: &TableDll, resid: usize) -> Option<ResourceState> {
    dll.dll_state(resid)
        .expect("the reference DLL has the state export")
}

/// A raw OfflineV2 call with a terminated destination or none.
pub fn raw(resid: usize, dest: Option<&str>, flags: u32) -> RawOfflineV2 {
    RawOfflineV2 {
        resid,
        dest: dest.map_or(RawDest::Null, |d| RawDest::Units {
            units: d.encode_utf16().collect(),
            terminated: true,
        }),
        flags,
        inbuf: None,
        inbuf_size: 0,
        reserved: 0,
    }
}

/// Asserts that `call` answers `code` and changes nothing: same DLL state, no callback.
pub fn assert_rejected(dll: &TableDll, resid: usize, call: &RawOfflineV2, code: ErrorCode) {
    let before = state(dll, resid);
    let _ = dll.drain_callbacks();
    assert_eq!(dll.offline_v2_raw(call), code, "{call:?}");
    assert_eq!(state(dll, resid), before, "state changed by {call:?}");
    assert_eq!(dll.drain_callbacks(), Vec::<DllCallback>::new(), "{call:?}");
}

/// A Status callback for resource 0.
pub fn status(state: ResourceState) -> DllCallback {
    DllCallback::Status {
        resource: ResourceId(0),
        state,
    }
}

/// Runs `f` on its own thread and waits at most `limit` for it (a watchdog, not a speed
/// check: the bound is far above any normal run, valgrind included). Panics with "deadlock"
/// if `f` has not returned by then (the stuck thread is left behind; the test binary exits
/// at the end anyway), and re-raises a panic of `f`.
pub fn within_watchdog<T: Send + 'static>(
    limit: std::time::Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let out = f();
        let _ = tx.send(());
        out
    });
    match rx.recv_timeout(limit) {
        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("deadlock: {what} did not return within {limit:?}")
        }
    }
}

/// The project's convention for a test that cannot do its work here (README "Tests that
/// skip"): prints `SKIPPED: <reason>` and, when `OFFLINE_V2_SKIP_LOG` names a file, appends
/// `<crate>::<test>: <reason>` to it, so that `scripts/test.sh` counts it as skipped.
pub fn skipped(test: &str, reason: &str) {
    eprintln!("SKIPPED: {reason}");
    if let Some(path) = std::env::var_os("OFFLINE_V2_SKIP_LOG") {
        use std::io::Write;
        let line = format!("{}::{test}: {reason}\n", env!("CARGO_PKG_NAME"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        match file.and_then(|mut f| f.write_all(line.as_bytes())) {
            Ok(()) => {}
            Err(e) => panic!("cannot append to OFFLINE_V2_SKIP_LOG {path:?}: {e}"),
        }
    }
}
