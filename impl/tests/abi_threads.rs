//! 8 threads calling OfflineV2, Terminate, OnlineV2 and control completions at once into the
//! loaded cdylib (R8: every entry point is safe to call from any thread). Afterwards every
//! resource is in a SPEC state and every pending work got exactly one completion callback.

mod abi_common;

use std::sync::Arc;
use std::thread;

use abi_common::{ctl, instance, node, raw, state, DEST, LOCAL};
use offline_v2::resource_dll::{DllCallback, WorkloadControl};
use offline_v2::types::{ErrorCode, ResourceId, ResourceState, WorkMode};

const THREADS: usize = 8;
const ITERATIONS: usize = 3000;
const NAMES: [&str; 4] = ["r0", "r1", "r2", "r3"];

/// Successful completions per resource: [CompleteOffline, FailOffline, CompleteOnline,
/// FailOnline].
type Tally = [[u64; 4]; NAMES.len()];

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn concurrent_calls_keep_spec_states_and_one_completion_per_pending_work() {
    let dll = Arc::new(instance());
    ctl(&dll, WorkloadControl::SetLocalNode(node(LOCAL)));
    let mut resids = Vec::new();
    for (i, name) in NAMES.iter().enumerate() {
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
        resids.push(dll.open_resource(id, name).expect("open").0.get());
    }
    let resids = Arc::new(resids);

    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let dll = Arc::clone(&dll);
            let resids = Arc::clone(&resids);
            thread::spawn(move || {
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (t as u64 + 1).wrapping_mul(0x1234_5678);
                let mut tally: Tally = [[0; 4]; NAMES.len()];
                for _ in 0..ITERATIONS {
                    let r = usize::try_from(xorshift(&mut rng) % 4).expect("small");
                    let resid = resids[r];
                    let name = NAMES[r];
                    let op = xorshift(&mut rng) % 9;
                    let ok = [0, 997, 5023];
                    match op {
                        0 => {
                            let code = dll.offline_v2_raw(&raw(resid, None, 0x40));
                            assert!(ok.contains(&code.0), "OfflineV2 {code}");
                        }
                        1 => {
                            let code = dll.offline_v2_raw(&raw(resid, Some(DEST), 0x02 | 0x41));
                            assert!(ok.contains(&code.0), "OfflineV2 move {code}");
                        }
                        2 => {
                            let code = dll.online_v2_raw(resid, None, 0, 0);
                            assert!(ok.contains(&code.0), "OnlineV2 {code}");
                        }
                        3 => dll.terminate_raw(resid),
                        4..=7 => {
                            let kind = usize::try_from(op - 4).expect("small");
                            let control = match kind {
                                0 => WorkloadControl::CompleteOffline(name),
                                1 => WorkloadControl::FailOffline(name),
                                2 => WorkloadControl::CompleteOnline(name),
                                _ => WorkloadControl::FailOnline(name),
                            };
                            let code = dll.send_control(control);
                            match code {
                                ErrorCode::ERROR_SUCCESS => tally[r][kind] += 1,
                                ErrorCode::ERROR_INVALID_STATE => {}
                                other => panic!("{control:?} answered {other}"),
                            }
                        }
                        _ => {
                            let alive = dll.is_alive(resid).expect("IsAlive");
                            let _ = alive;
                        }
                    }
                }
                tally
            })
        })
        .collect();

    let mut total: Tally = [[0; 4]; NAMES.len()];
    for h in handles {
        let tally = h.join().expect("no thread panicked");
        for (r, row) in tally.iter().enumerate() {
            for (k, n) in row.iter().enumerate() {
                total[r][k] += n;
            }
        }
    }

    // Every successful completion produced exactly one status callback, and nothing else did.
    let callbacks = dll.drain_callbacks();
    let mut seen: Tally = [[0; 4]; NAMES.len()];
    for cb in &callbacks {
        let DllCallback::Status { resource, state } = *cb else {
            panic!("unexpected callback {cb:?}");
        };
        let r = resource.index();
        match state {
            ResourceState::Offline => seen[r][0] += 1,
            // A Failed status is either a failed offline or a failed online.
            ResourceState::Failed => seen[r][1] += 1,
            ResourceState::Online => seen[r][2] += 1,
            other => panic!("status {other} is not a completion"),
        }
    }
    for r in 0..NAMES.len() {
        assert_eq!(seen[r][0], total[r][0], "Offline callbacks of {}", NAMES[r]);
        assert_eq!(
            seen[r][1],
            total[r][1] + total[r][3],
            "Failed callbacks of {}",
            NAMES[r]
        );
        assert_eq!(seen[r][2], total[r][2], "Online callbacks of {}", NAMES[r]);
    }
    let work: u64 = total.iter().flatten().sum();
    assert!(work > 0, "the threads completed some work");

    // Every resource is in a SPEC state whose pending work (if any) agrees with it: a
    // non-pending resource has no work to complete, LooksAlive/IsAlive agree with the state,
    // and pending work ends with exactly one callback.
    for (r, &resid) in resids.iter().enumerate() {
        let st = state(&dll, resid).expect("still open");
        assert_eq!(
            dll.is_alive(resid),
            Some(st == ResourceState::Online),
            "IsAlive of {} in {st}",
            NAMES[r]
        );
        if !matches!(
            st,
            ResourceState::OfflinePending | ResourceState::OnlinePending
        ) {
            for end in [
                WorkloadControl::CompleteOffline(NAMES[r]),
                WorkloadControl::CompleteOnline(NAMES[r]),
            ] {
                assert_eq!(
                    dll.send_control(end),
                    ErrorCode::ERROR_INVALID_STATE,
                    "{end:?} of a resource in {st}"
                );
            }
            assert_eq!(dll.drain_callbacks(), Vec::new(), "no work, no callback");
        }
        let (finish, end) = match st {
            ResourceState::OfflinePending => (
                WorkloadControl::CompleteOffline(NAMES[r]),
                ResourceState::Offline,
            ),
            ResourceState::OnlinePending => (
                WorkloadControl::CompleteOnline(NAMES[r]),
                ResourceState::Online,
            ),
            _ => continue,
        };
        assert_eq!(dll.send_control(finish), ErrorCode::ERROR_SUCCESS);
        assert_eq!(dll.send_control(finish), ErrorCode::ERROR_INVALID_STATE);
        let id = ResourceId(u8::try_from(r).expect("small"));
        assert_eq!(
            dll.drain_callbacks(),
            [DllCallback::Status {
                resource: id,
                state: end
            }]
        );
    }
}
