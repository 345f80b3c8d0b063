//! R8 re-entrancy through the loaded cdylib: a host callback may call any entry point of the
//! same DLL, from its own thread or another, and no mix of concurrent calls and callbacks
//! deadlocks (issue 12, faults 1 and 2). Each test runs under a watchdog: a generous bound
//! after which it reports "deadlock" and fails (not a speed check).

mod abi_common;

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use abi_common::{ctl, instance, node, raw, within_watchdog, LOCAL};
use offline_v2::abi::host::TableDll;
use offline_v2::resource_dll::{DllCallback, WorkloadControl};
use offline_v2::types::{ErrorCode, ResourceId, ResourceState, WorkMode};

/// Far above any normal run (valgrind included): only a deadlock reaches it.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Lock toggles per thread in the two-thread test (the old design hung within a few
/// thousand).
const TOGGLES: usize = 20_000;

/// An instance with `x` (ResourceId 0) and `y` (ResourceId 1) open and Online.
fn two_resources() -> (Arc<TableDll>, usize, usize) {
    let dll = Arc::new(instance());
    ctl(&dll, WorkloadControl::SetLocalNode(node(LOCAL)));
    let mut resids = [0; 2];
    for (i, name) in ["x", "y"].into_iter().enumerate() {
        ctl(
            &dll,
            WorkloadControl::Configure {
                resource: name,
                offline: WorkMode::Pending,
                online: WorkMode::Pending,
                running: true,
            },
        );
        let id = ResourceId(u8::try_from(i).expect("small"));
        resids[i] = dll.open_resource(id, name).expect("OpenV2").0.get();
    }
    (dll, resids[0], resids[1])
}

fn locked(resource: u8, locked: bool) -> DllCallback {
    DllCallback::LockedMode {
        resource: ResourceId(resource),
        locked,
    }
}

/// Fault 1: a SetResourceLockedMode callback for x calls OfflineV2(x), which panics (armed)
/// and so makes a Failed notice while the lock notice is being delivered; a later lock
/// notice for y must still be delivered and every control must return.
#[test]
fn a_callback_that_calls_offline_v2_of_a_panicking_resource_does_not_deadlock() {
    let (dll, x, y) = two_resources();
    ctl(&dll, WorkloadControl::InjectPanic("x"));
    let answers = Arc::new(Mutex::new(Vec::new()));
    let weak: Weak<TableDll> = Arc::downgrade(&dll);
    let seen = Arc::clone(&answers);
    dll.set_callback_hook(Some(Arc::new(move |cb| {
        if cb == locked(0, true) {
            if let Some(dll) = weak.upgrade() {
                let code = dll.offline_v2_raw(&raw(x, None, 0));
                seen.lock().expect("answers").push(code);
            }
        }
    })));
    let d = Arc::clone(&dll);
    within_watchdog(WATCHDOG, "Lock(x) then Lock(y)", move || {
        ctl(&d, WorkloadControl::Lock("x"));
        ctl(&d, WorkloadControl::Lock("y"));
    });
    dll.set_callback_hook(None);
    assert_eq!(
        *answers.lock().expect("answers"),
        [ErrorCode::ERROR_GEN_FAILURE],
        "the re-entrant OfflineV2(x) hit the armed panic (R8)"
    );
    // Each notice exactly once, in the order the state changed.
    assert_eq!(
        dll.drain_callbacks(),
        [
            locked(0, true),
            DllCallback::Status {
                resource: ResourceId(0),
                state: ResourceState::Failed
            },
            locked(1, true),
        ]
    );
    assert_eq!(
        dll.dll_state(x),
        Some(Some(ResourceState::Failed)),
        "x is Failed after the panic"
    );
    assert_eq!(dll.dll_state(y), Some(Some(ResourceState::Online)));
}

/// Fault 2: callbacks that only call LooksAlive(x); thread 1 toggles the lock of x, thread 2
/// the lock of y, through the control export. Nothing may hang, and each resource's lock
/// notices arrive exactly once and in order (true, false, true, … per resource).
#[test]
fn two_threads_toggling_locks_with_read_only_reentrant_callbacks_do_not_deadlock() {
    let (dll, x, _y) = two_resources();
    let weak: Weak<TableDll> = Arc::downgrade(&dll);
    dll.set_callback_hook(Some(Arc::new(move |_cb| {
        if let Some(dll) = weak.upgrade() {
            // x is Online and never changes state here.
            assert_eq!(
                dll.looks_alive(x),
                Some(true),
                "LooksAlive(x) in a callback"
            );
        }
    })));
    let d = Arc::clone(&dll);
    within_watchdog(WATCHDOG, "two threads toggling locks", move || {
        let workers: Vec<_> = ["x", "y"]
            .into_iter()
            .map(|name| {
                let d = Arc::clone(&d);
                std::thread::spawn(move || {
                    for _ in 0..TOGGLES {
                        ctl(&d, WorkloadControl::Lock(name));
                        ctl(&d, WorkloadControl::Unlock(name));
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("toggling thread");
        }
    });
    dll.set_callback_hook(None);
    let callbacks = dll.drain_callbacks();
    for r in 0..2u8 {
        let mine: Vec<bool> = callbacks
            .iter()
            .filter_map(|cb| match *cb {
                DllCallback::LockedMode { resource, locked } if resource == ResourceId(r) => {
                    Some(locked)
                }
                _ => None,
            })
            .collect();
        assert_eq!(mine.len(), 2 * TOGGLES, "lock notices of resource {r}");
        for (i, &l) in mine.iter().enumerate() {
            assert_eq!(l, i % 2 == 0, "notice {i} of resource {r} out of order");
        }
    }
    assert_eq!(callbacks.len(), 4 * TOGGLES, "only lock notices");
}

/// A callback may call every entry point (Open, Close, OnlineV2, OfflineV2, Terminate,
/// LooksAlive, IsAlive, the control export) of the same instance; notices those calls make
/// are delivered after the callback returns, each once, in order.
#[test]
fn a_callback_may_call_every_entry_point() {
    let (dll, x, y) = two_resources();
    let weak: Weak<TableDll> = Arc::downgrade(&dll);
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    dll.set_callback_hook(Some(Arc::new(move |cb| {
        let Some(dll) = weak.upgrade() else { return };
        if cb != locked(0, true) {
            return;
        }
        let mut out = seen.lock().expect("log");
        out.push(dll.offline_v2_raw(&raw(y, None, 0)).0); // y: Online → OfflinePending
        out.push(dll.online_v2_raw(x, None, 0, 0).0); // x: Online → SUCCESS
        out.push(u32::from(dll.looks_alive(x) == Some(true)));
        out.push(u32::from(dll.is_alive(y) == Some(false)));
        ctl(&dll, WorkloadControl::CompleteOffline("y")); // Status(y, Offline), queued
        dll.terminate_raw(x); // x: Offline, no callback
        dll.close_raw(x);
        let z = dll.open_resource(ResourceId(2), "z").map(|r| r.0.get());
        out.push(u32::from(z.is_some()));
    })));
    let d = Arc::clone(&dll);
    within_watchdog(WATCHDOG, "Lock(x) with a busy callback", move || {
        ctl(&d, WorkloadControl::Lock("x"));
    });
    dll.set_callback_hook(None);
    assert_eq!(*log.lock().expect("log"), [997, 0, 1, 1, 1]);
    assert_eq!(
        dll.drain_callbacks(),
        [
            locked(0, true),
            DllCallback::Status {
                resource: ResourceId(1),
                state: ResourceState::Offline
            },
        ]
    );
    assert_eq!(dll.dll_state(x), Some(None), "x was closed in the callback");
    assert_eq!(dll.dll_state(y), Some(Some(ResourceState::Offline)));
}
