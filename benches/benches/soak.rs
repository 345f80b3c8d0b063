//! Soak of one reference DLL instance (issue 12; a plain harness, not a timed test): 10^8
//! OpenV2/Close cycles and 10^7 mixed calls through the built cdylib's exported table, every
//! answer checked against the SPEC, reporting ns per cycle / per call.
//!
//! `cargo bench -p offline-v2-benches --bench soak` (after `cargo build --release -p
//! offline-v2 --lib`). `OFFLINE_V2_SOAK_OPENS` / `OFFLINE_V2_SOAK_CALLS` change the counts;
//! the CI-sized soak (2^25 cycles, past the old 2^24 limit) is the `abi_soak` test that
//! `scripts/test.sh` runs in release.

use std::time::Instant;

use offline_v2::abi::host::TableCaller;
use offline_v2::loader::LoadedDll;
use offline_v2::resource_dll::WorkloadControl;
use offline_v2::types::{ErrorCode, NodeName, WorkMode};

/// A handle no host registered (A7): callbacks carrying it are ignored.
const NO_HOST: usize = usize::MAX - 7;

fn count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        })
        .unwrap_or(default)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("soak: bench");
        return;
    }
    // The quick profile (scripts/bench.sh in CI) stays past the old limit at a CI cost.
    let quick =
        offline_v2_benches::knobs::Profile::from_env() == offline_v2_benches::knobs::Profile::Quick;
    let opens = count(
        "OFFLINE_V2_SOAK_OPENS",
        if quick { 1 << 25 } else { 100_000_000 },
    );
    let calls = count(
        "OFFLINE_V2_SOAK_CALLS",
        if quick { 1_000_000 } else { 10_000_000 },
    );
    let dll = LoadedDll::open_built()
        .expect("the built cdylib (cargo build --release -p offline-v2 --lib)");
    let inst = dll.instance().expect("an instance");
    let t = TableCaller::new(inst.function_table());
    let name: Vec<u16> = "soak".encode_utf16().chain(Some(0)).collect();

    // 1. OpenV2/Close cycles: a fresh RESID each time, the closed one stale (R2, R8).
    let start = Instant::now();
    let mut previous = 0usize;
    for cycle in 0..opens {
        let resid = t.open_v2(&name, NO_HOST);
        assert!(
            resid != 0 && resid != previous,
            "OpenV2 at cycle {cycle}: {resid:#x}"
        );
        t.close(resid);
        previous = resid;
    }
    let open_ns = start.elapsed().as_nanos() as f64 / opens as f64;
    assert_eq!(
        t.offline_v2(previous, None, 0),
        ErrorCode::ERROR_RESOURCE_NOT_FOUND.0
    );
    println!("soak: {opens} OpenV2/Close cycles, {open_ns:.1} ns per cycle, every answer per SPEC");

    // 2. Mixed calls on one open resource (sync work): OfflineV2 with and without a
    //    destination, OnlineV2, a rejected call, Terminate, LooksAlive — each answer exact.
    let ok = |c: ErrorCode| assert_eq!(c, ErrorCode::ERROR_SUCCESS);
    ok(inst.send_control(WorkloadControl::SetLocalNode(
        NodeName::new("n1").expect("node"),
    )));
    ok(inst.send_control(WorkloadControl::Configure {
        resource: "mixed",
        offline: WorkMode::Sync,
        online: WorkMode::Sync,
        running: true,
    }));
    let mixed: Vec<u16> = "mixed".encode_utf16().chain(Some(0)).collect();
    let resid = t.open_v2(&mixed, NO_HOST);
    assert_ne!(resid, 0);
    let dest: [u16; 3] = [u16::from(b'n'), u16::from(b'2'), 0];
    let looks_alive = inst.function_table().V4Functions.LooksAlive.is_some();
    assert!(looks_alive);
    let start = Instant::now();
    for i in 0..calls {
        let (code, want) = match i % 6 {
            0 => (t.offline_v2(resid, Some(&dest), 0x42), 0), // Online → Offline (move leg)
            1 => (t.offline_v2(resid, None, 0), 0),           // R3: already Offline
            2 => (t.online_v2(resid), 0),                     // Offline → Online
            3 => (t.offline_v2(resid, None, 0x80), 87),       // R1
            4 => (t.offline_v2(resid ^ (1 << 20), None, 0), 5007), // R2: stale/forged
            _ => (t.online_v2(resid), 0),                     // R7: already Online
        };
        assert_eq!(code, want, "mixed call {i}");
    }
    let call_ns = start.elapsed().as_nanos() as f64 / calls as f64;
    assert_eq!(inst.is_alive(resid), Some(true));
    inst.terminate_raw(resid);
    assert_eq!(inst.is_alive(resid), Some(false));
    println!("soak: {calls} mixed calls on one instance, {call_ns:.1} ns per call, every answer per SPEC");
}
