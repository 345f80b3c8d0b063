//! libFuzzer target: byte-decoded call sequences through the reference DLL's exported
//! function table (StartupEx, the V4 entries, the control export), including a host callback
//! that re-enters the DLL. The oracle is a small shadow of SPEC §4 written from the rules
//! (independent of the DLL's code): every answer must be the exact code R1–R9 give for the
//! state the sequence drove, every callback the one the SPEC makes (one status callback per
//! pending work that is completed, none after Terminate/Close), RESIDs never repeat and
//! closed ones stay not found. A crash or a mismatch panics, and libFuzzer saves the input.

#![no_main]

use std::sync::{Arc, Mutex};

use libfuzzer_sys::fuzz_target;
use offline_v2::abi::host::TableDll;
use offline_v2::resource_dll::{DllCallback, RawDest, RawOfflineV2, WorkloadControl};
use offline_v2::types::{ErrorCode, NodeName, ResourceId, ResourceState, WorkMode};

const NAMES: [&str; 3] = ["a", "b", "c"];
const NODES: [&str; 2] = ["n2", "n3"];
/// Re-entrant calls per outer call.
const REENTRY: u32 = 2;

#[derive(Clone, Copy, Default)]
struct Res {
    resid: Option<usize>,
    state: Option<ResourceState>, // Some while open
    locked: bool,
    busy: bool,
    offline_pending: bool,
    online_pending: bool,
    panic: bool,
    running: bool,
}

#[derive(Default)]
struct Shadow {
    res: [Res; 3],
    down: [bool; 2],
    issued: Vec<usize>,
    expected: Vec<DllCallback>,
    hook: Option<Op>,
    budget: u32,
    /// The resource whose OpenV2 is in progress: its RESID is known only when OpenV2 returns,
    /// so a re-entrant call on it is skipped (a locked resource reports at Open, D3).
    opening: Option<usize>,
}

#[derive(Clone, Debug)]
enum Op {
    Open(usize),
    Close(usize),
    Offline {
        r: usize,
        forged: Option<usize>,
        dest: u8,
        flags: u32,
        buf: u8,
        reserved: u32,
    },
    Online {
        r: usize,
        reserved: u32,
        buf: u8,
    },
    Terminate(usize),
    Alive(usize),
    End(usize, u8),
    Lock(usize, bool),
    Busy(usize, bool),
    Net(usize, bool),
    Configure(usize, bool, bool),
    Panic(usize),
    Embedded(usize),
    Reset,
    Hook(Option<Box<Op>>),
}

struct Bytes<'a>(&'a [u8]);
impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }
}

fn decode(b: &mut Bytes<'_>, nested: bool) -> Option<Op> {
    let tag = b.u8()?;
    let r = usize::from(tag >> 4) % 3;
    Some(match tag % 15 {
        0 => Op::Open(r),
        1 => Op::Close(r),
        2 => {
            let sel = b.u8()?;
            let forged = match sel % 8 {
                0 => Some(0),
                1 => Some(b.u32()? as usize | ((b.u32()? as usize) << 32)),
                _ => None,
            };
            let flags = u32::from(b.u8()?) | if sel & 0x80 != 0 { 0x100 } else { 0 };
            let reserved = if sel & 0x40 != 0 {
                u32::from(b.u8()?)
            } else {
                0
            };
            Op::Offline {
                r,
                forged,
                dest: b.u8()?,
                flags,
                buf: b.u8()?,
                reserved,
            }
        }
        3 => {
            let x = b.u8()?;
            Op::Online {
                r,
                reserved: u32::from(x & 1),
                buf: x >> 1,
            }
        }
        4 => Op::Terminate(r),
        5 => Op::Alive(r),
        6 => Op::End(r, b.u8()? % 4),
        7 => Op::Lock(r, tag & 8 != 0),
        8 => Op::Busy(r, tag & 8 != 0),
        9 => Op::Net(r % 2, tag & 8 != 0),
        10 => {
            let m = b.u8()?;
            Op::Configure(r, m & 1 != 0, m & 2 != 0)
        }
        11 => Op::Panic(r),
        12 => Op::Embedded(r),
        13 => Op::Reset,
        _ if nested => Op::Alive(r),
        _ => Op::Hook(if tag & 8 != 0 {
            decode(b, true).map(Box::new)
        } else {
            None
        }),
    })
}

/// `FUZZ_TRACE=1` prints every call and callback (to read a saved crash input).
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

fn status(r: usize, state: ResourceState) -> DllCallback {
    DllCallback::Status {
        resource: ResourceId(r as u8),
        state,
    }
}

/// DestinationNodeName choices: NULL, n1 (local), n2, n3, invalid, empty, unterminated.
fn dest_of(sel: u8) -> (RawDest, Option<Result<usize, ()>>) {
    let units = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    let t = |s: &str| RawDest::Units {
        units: units(s),
        terminated: true,
    };
    match sel % 8 {
        0 | 7 => (RawDest::Null, None),
        1 => (t("n1"), Some(Err(()))), // valid, reachable (never cut)
        2 => (t("n2"), Some(Ok(0))),
        3 => (t("n3"), Some(Ok(1))),
        4 => (t("n_2"), Some(Err(()))),
        5 => (t(""), Some(Err(()))),
        _ => (
            RawDest::Units {
                units: units("n2"),
                terminated: false,
            },
            Some(Err(())),
        ),
    }
}

impl Shadow {
    fn resid(&self, r: usize) -> usize {
        self.res[r].resid.unwrap_or(usize::MAX - 1)
    }

    /// R1 for OfflineV2 as the SPEC words it. `buf`: InBuffer NULL iff its low 7 bits are
    /// 0, InBufferSize 8 iff its top bit is set.
    fn r1(dest: u8, flags: u32, buf: u8, reserved: u32) -> bool {
        // n1, n2, n3 are node names; "n_2", "" and an unterminated name are not.
        let dest_valid = match dest % 8 {
            0 | 7 => None,
            1..=3 => Some(true),
            _ => Some(false),
        };
        let null_sized = buf & 0x7F == 0 && buf & 0x80 != 0;
        reserved != 0
            || flags & !0x7F != 0
            || null_sized
            || (flags & 0x0A == 0x0A)
            || (flags & 0x0A != 0 && dest_valid.is_none())
            || dest_valid == Some(false)
    }

    /// Which resource a RESID names (R2): open and exactly its value.
    fn named(&self, resid: usize) -> Option<usize> {
        (0..3).find(|&r| self.res[r].resid == Some(resid) && self.res[r].state.is_some())
    }

    fn fail_panic(&mut self, r: usize) -> u32 {
        self.res[r].panic = false;
        self.res[r].state = Some(ResourceState::Failed);
        self.expected.push(status(r, ResourceState::Failed));
        31
    }

    fn offline(&mut self, resid: usize, dest: u8, flags: u32, buf: u8, reserved: u32) -> u32 {
        use ResourceState::*;
        if Self::r1(dest, flags, buf, reserved) {
            return 87;
        }
        let Some(r) = self.named(resid) else {
            return 5007;
        };
        let x = self.res[r];
        if x.panic {
            return self.fail_panic(r);
        }
        let st = x.state.unwrap_or(Offline);
        match st {
            Offline => return 0,
            OfflinePending => return 997,
            OnlinePending => return 5023,
            Failed => {
                self.res[r].state = Some(Offline);
                return 0;
            }
            Online => {}
        }
        let ignore = flags & 1 != 0;
        if x.locked && !ignore {
            return 5960;
        }
        if let (_, Some(Ok(n))) = dest_of(dest) {
            if flags & 0x08 == 0 && flags & 0x20 == 0 && self.down[n] {
                return 1232;
            }
        }
        if x.busy && !ignore {
            return 1237;
        }
        if x.offline_pending {
            self.res[r].state = Some(OfflinePending);
            997
        } else {
            self.res[r].state = Some(Offline);
            0
        }
    }

    fn online(&mut self, resid: usize, reserved: u32, buf: u8) -> u32 {
        use ResourceState::*;
        let null_sized = buf & 0x3F == 0 && buf & 0x40 != 0;
        if reserved != 0 || null_sized {
            return 87;
        }
        let Some(r) = self.named(resid) else {
            return 5007;
        };
        if self.res[r].panic {
            return self.fail_panic(r);
        }
        match self.res[r].state.unwrap_or(Offline) {
            Online => 0,
            OnlinePending => 997,
            OfflinePending => 5023,
            Offline | Failed if self.res[r].online_pending => {
                self.res[r].state = Some(OnlinePending);
                997
            }
            Offline | Failed => {
                self.res[r].state = Some(Online);
                0
            }
        }
    }
}

/// One call, predicted on the shadow first (so a re-entrant callback sees its effect), then
/// made, then compared.
fn step(dll: &TableDll, shadow: &Mutex<Shadow>, op: &Op) {
    let mut s = shadow.lock().unwrap();
    match *op {
        Op::Open(r) => {
            let x = s.res[r];
            let want = x.state.is_none();
            if want {
                s.res[r].state = Some(if x.running {
                    ResourceState::Online
                } else {
                    ResourceState::Offline
                });
                if x.locked {
                    s.expected.push(DllCallback::LockedMode {
                        resource: ResourceId(r as u8),
                        locked: true,
                    });
                }
            }
            s.opening = Some(r);
            drop(s);
            let got = dll
                .open_resource(ResourceId(r as u8), NAMES[r])
                .map(|x| x.0.get());
            let mut s = shadow.lock().unwrap();
            s.opening = None;
            assert_eq!(
                got.is_some(),
                want,
                "OpenV2({}) of an {} resource",
                NAMES[r],
                if want { "unopened" } else { "open" }
            );
            if let Some(resid) = got {
                assert!(!s.issued.contains(&resid), "RESID {resid:#x} issued twice");
                s.issued.push(resid);
                s.res[r].resid = Some(resid);
            }
        }
        Op::Close(r) => {
            let resid = s.resid(r);
            if let Some(st) = s.res[r].state.take() {
                s.res[r].running = st == ResourceState::Online;
            }
            drop(s);
            dll.close_raw(resid);
        }
        Op::Offline {
            r,
            forged,
            dest,
            flags,
            buf,
            reserved,
        } => {
            let resid = forged.unwrap_or_else(|| s.resid(r));
            let want = s.offline(resid, dest, flags, buf, reserved);
            drop(s);
            let call = RawOfflineV2 {
                resid,
                dest: dest_of(dest).0,
                flags,
                inbuf: (buf & 0x7F != 0).then(|| vec![buf; 3]),
                inbuf_size: u32::from(buf & 0x80 != 0) * 8,
                reserved,
            };
            let got = dll.offline_v2_raw(&call);
            assert_eq!(got.0, want, "{call:?}");
        }
        Op::Online { r, reserved, buf } => {
            let resid = s.resid(r);
            let want = s.online(resid, reserved, buf);
            drop(s);
            let inbuf = (buf & 0x3F != 0).then(|| vec![buf; 2]);
            let got = dll.online_v2_raw(
                resid,
                inbuf.as_deref(),
                u32::from(buf & 0x40 != 0) * 4,
                reserved,
            );
            assert_eq!(
                got.0, want,
                "OnlineV2({}) reserved {reserved} buf {buf:#x}",
                NAMES[r]
            );
        }
        Op::Terminate(r) => {
            let resid = s.resid(r);
            if s.res[r].state.is_some() {
                s.res[r].state = Some(ResourceState::Offline);
            }
            drop(s);
            dll.terminate_raw(resid);
        }
        Op::Alive(r) => {
            let resid = s.resid(r);
            let want = s.res[r].state == Some(ResourceState::Online);
            drop(s);
            assert_eq!(
                dll.looks_alive(resid),
                Some(want),
                "LooksAlive({})",
                NAMES[r]
            );
            assert_eq!(dll.is_alive(resid), Some(want), "IsAlive({})", NAMES[r]);
        }
        Op::End(r, kind) => {
            use ResourceState::*;
            let (from, to, c) = match kind {
                0 => (
                    OfflinePending,
                    Offline,
                    WorkloadControl::CompleteOffline(NAMES[r]),
                ),
                1 => (
                    OfflinePending,
                    Failed,
                    WorkloadControl::FailOffline(NAMES[r]),
                ),
                2 => (
                    OnlinePending,
                    Online,
                    WorkloadControl::CompleteOnline(NAMES[r]),
                ),
                _ => (OnlinePending, Failed, WorkloadControl::FailOnline(NAMES[r])),
            };
            let want = match s.res[r].state {
                None => 5007,
                Some(st) if st == from => {
                    s.res[r].state = Some(to);
                    s.expected.push(status(r, to));
                    0
                }
                Some(_) => 5023,
            };
            drop(s);
            assert_eq!(dll.send_control(c).0, want, "{c:?}");
        }
        Op::Lock(r, on) => {
            if s.res[r].locked != on && s.res[r].state.is_some() {
                s.expected.push(DllCallback::LockedMode {
                    resource: ResourceId(r as u8),
                    locked: on,
                });
            }
            s.res[r].locked = on;
            drop(s);
            let c = if on {
                WorkloadControl::Lock(NAMES[r])
            } else {
                WorkloadControl::Unlock(NAMES[r])
            };
            assert_eq!(dll.send_control(c), ErrorCode::ERROR_SUCCESS);
        }
        Op::Busy(r, on) => {
            s.res[r].busy = on;
            drop(s);
            let c = if on {
                WorkloadControl::Busy(NAMES[r])
            } else {
                WorkloadControl::Unbusy(NAMES[r])
            };
            assert_eq!(dll.send_control(c), ErrorCode::ERROR_SUCCESS);
        }
        Op::Net(n, down) => {
            s.down[n] = down;
            drop(s);
            let node = NodeName::new(NODES[n]).unwrap();
            let c = if down {
                WorkloadControl::NetDown(node)
            } else {
                WorkloadControl::NetUp(node)
            };
            assert_eq!(dll.send_control(c), ErrorCode::ERROR_SUCCESS);
        }
        Op::Configure(r, off, on) => {
            // Only on a closed resource (the host configures before it opens, D4).
            if s.res[r].state.is_some() {
                return;
            }
            s.res[r].offline_pending = off;
            s.res[r].online_pending = on;
            drop(s);
            let mode = |p| if p { WorkMode::Pending } else { WorkMode::Sync };
            let c = WorkloadControl::Configure {
                resource: NAMES[r],
                offline: mode(off),
                online: mode(on),
                running: false,
            };
            assert_eq!(dll.send_control(c), ErrorCode::ERROR_SUCCESS);
            shadow.lock().unwrap().res[r].running = false;
        }
        Op::Panic(r) => {
            s.res[r].panic = true;
            drop(s);
            assert_eq!(
                dll.send_control(WorkloadControl::InjectPanic(NAMES[r])),
                ErrorCode::ERROR_SUCCESS
            );
        }
        Op::Embedded(r) => {
            let want = match s.res[r].state {
                None => 5007,
                Some(ResourceState::Online) => {
                    s.res[r].state = Some(ResourceState::Failed);
                    s.expected.push(DllCallback::EmbeddedFailure {
                        resource: ResourceId(r as u8),
                        code: 31,
                    });
                    0
                }
                Some(_) => 5023,
            };
            drop(s);
            assert_eq!(
                dll.send_control(WorkloadControl::EmbeddedFailure(NAMES[r]))
                    .0,
                want
            );
        }
        Op::Reset => {
            // Notices already queued are still delivered ("already in delivery", R7).
            let hook = s.hook.take();
            let issued = std::mem::take(&mut s.issued);
            let expected = std::mem::take(&mut s.expected);
            let budget = s.budget;
            *s = Shadow {
                issued,
                hook,
                expected,
                budget,
                ..Shadow::default()
            };
            s.res.iter_mut().for_each(|x| {
                x.offline_pending = true;
                x.online_pending = true;
            });
            drop(s);
            assert_eq!(
                dll.send_control(WorkloadControl::Reset),
                ErrorCode::ERROR_SUCCESS
            );
            // The reset forgot the local node: tell it again, as the host does (D2).
            assert_eq!(
                dll.send_control(WorkloadControl::SetLocalNode(NodeName::new("n1").unwrap())),
                ErrorCode::ERROR_SUCCESS
            );
        }
        Op::Hook(ref h) => s.hook = h.as_deref().cloned(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(dll) = TableDll::in_process() else {
        return;
    };
    // Non-vacuity build (`--features seeded`): the DLL ignores Reserved (R1), which the
    // oracle must catch at once.
    #[cfg(feature = "seeded")]
    assert_eq!(
        dll.send_control_raw(
            0x5EED,
            &"ReservedIgnored".encode_utf16().collect::<Vec<_>>()
        ),
        ErrorCode::ERROR_SUCCESS
    );
    let dll = Arc::new(dll);
    let shadow = Arc::new(Mutex::new(Shadow::default()));
    for x in &mut shadow.lock().unwrap().res {
        x.offline_pending = true;
        x.online_pending = true;
    }
    assert_eq!(
        dll.send_control(WorkloadControl::SetLocalNode(NodeName::new("n1").unwrap())),
        ErrorCode::ERROR_SUCCESS
    );
    // The host callback: re-enters the DLL with the hook's call, a bounded number of times.
    let (weak, sh) = (Arc::downgrade(&dll), Arc::clone(&shadow));
    dll.set_callback_hook(Some(Arc::new(move |cb| {
        if trace() {
            eprintln!("  callback {cb:?}");
        }
        let op = {
            let mut s = sh.lock().unwrap();
            if s.budget == 0 {
                return;
            }
            s.budget -= 1;
            match (&s.hook, s.opening) {
                (Some(Op::Open(r) | Op::Close(r) | Op::Terminate(r) | Op::Alive(r)), Some(o))
                | (Some(Op::Offline { r, .. } | Op::Online { r, .. }), Some(o))
                    if *r == o =>
                {
                    return;
                }
                (Some(Op::Reset), Some(_)) => return,
                (hook, _) => hook.clone(),
            }
        };
        if let (Some(op), Some(dll)) = (op, weak.upgrade()) {
            step(&dll, &sh, &op);
        }
    })));
    let mut bytes = Bytes(data);
    let mut ops = 0;
    while let Some(op) = decode(&mut bytes, false) {
        ops += 1;
        if ops > 64 {
            break;
        }
        if trace() {
            eprintln!("op {op:?}");
        }
        shadow.lock().unwrap().budget = REENTRY;
        step(&dll, &shadow, &op);
        // Every callback the SPEC expects, exactly once, in order, delivered before the
        // outermost call returned (one thread: no other deliverer).
        let got = dll.drain_callbacks();
        let want = std::mem::take(&mut shadow.lock().unwrap().expected);
        assert_eq!(got, want, "callbacks after {op:?}");
        // Every closed RESID stays not found (R2, R8).
        let s = shadow.lock().unwrap();
        let live: Vec<usize> = s
            .res
            .iter()
            .filter(|x| x.state.is_some())
            .filter_map(|x| x.resid)
            .collect();
        for &old in s.issued.iter().filter(|r| !live.contains(r)).take(4) {
            assert_eq!(
                dll.dll_state(old),
                Some(None),
                "closed RESID {old:#x} answers"
            );
        }
    }
    dll.set_callback_hook(None);
});
