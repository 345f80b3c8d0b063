//! The concurrency checker of the DLL core (issue 12, A13): `shuttle` explores thread
//! schedules of the very code the cdylib exports ([`SharedInstance`], built here on shuttle's
//! mutex and atomics through the [`Facade`]), randomized and PCT, each replayable.
//!
//! Three threads mix OfflineV2, OnlineV2, Terminate, Close + Open, lock toggles, work
//! completions and injected panics on one instance, and every notice is handed to a host
//! callback that re-enters the instance (OfflineV2, OnlineV2, LooksAlive, Terminate, a control,
//! Close + Open). Properties, checked on every schedule:
//! - no deadlock (shuttle fails a schedule where every task is blocked);
//! - no lost or duplicated status callback: per resource, Status notices delivered = pending
//!   work ended by a completion control + panics reported (R7, R8), and nothing is left
//!   undelivered; lock notices of a resource alternate true/false (exactly once, in order);
//! - every resource is in a SPEC state and the registry agrees with the words (`check`);
//! - rejected calls change nothing: resource `z` receives only calls R1/R2/R4 reject and ends
//!   as it started, with no status notice;
//! - every answer is one R1–R9 allow for the calls made.
//!
//! Budget: `OFFLINE_V2_SHUTTLE_SCHEDULES` (default 10,000: half random, half PCT depth 3);
//! `OFFLINE_V2_SHUTTLE_SEED` varies the seeds (printed). A failure prints shuttle's encoded
//! schedule; `OFFLINE_V2_SHUTTLE_REPLAY=<schedule>` replays it.
//!
//! Non-vacuity: with the delivery lock held across callbacks again (the old design,
//! `Delivery::HoldLockAcrossCallbacks`) the checker finds the deadlock, persists the
//! schedule and the replay of that file deadlocks again; without the deliverer's re-check
//! (`Delivery::CombiningWithoutRecheck`) it finds a lost callback.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use offline_v2::reference::shared::SharedInstance;
use offline_v2::reference::sync::{AtomicWord, Delivery, Facade, FacadeMutex};
use offline_v2::reference::{DestArg, Notice, OfflineArgs};
use offline_v2::resource_dll::WorkloadControl;
use offline_v2::types::{ErrorCode, NodeName, ResourceState, WorkMode};
use shuttle::scheduler::{PctScheduler, RandomScheduler};
use shuttle::sync::atomic::{AtomicU64, Ordering};
use shuttle::{Config, FailurePersistence, Runner};

// ---- the facade on shuttle's primitives ----

/// Shuttle's atomic (sequentially consistent, every access a scheduling point).
struct ShWord(AtomicU64);

impl AtomicWord for ShWord {
    fn new(value: u64) -> Self {
        ShWord(AtomicU64::new(value))
    }
    fn load(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
    fn store(&self, value: u64) {
        self.0.store(value, Ordering::SeqCst);
    }
    fn cas(&self, current: u64, new: u64) -> Result<(), u64> {
        self.0
            .compare_exchange(current, new, Ordering::SeqCst, Ordering::SeqCst)
            .map(|_| ())
    }
}

/// Shuttle's mutex.
struct ShMutex<T>(shuttle::sync::Mutex<T>);

impl<T> FacadeMutex<T> for ShMutex<T> {
    fn new(value: T) -> Self {
        ShMutex(shuttle::sync::Mutex::new(value))
    }
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}

/// Which delivery the facade selects.
trait Variant: Send + Sync + 'static {
    const DELIVERY: Delivery;
}
struct Shipped;
struct OldDeliveryLock;
struct NoRecheck;
impl Variant for Shipped {
    const DELIVERY: Delivery = Delivery::Combining;
}
impl Variant for OldDeliveryLock {
    const DELIVERY: Delivery = Delivery::HoldLockAcrossCallbacks;
}
impl Variant for NoRecheck {
    const DELIVERY: Delivery = Delivery::CombiningWithoutRecheck;
}

struct Sh<V>(PhantomData<V>);

impl<V: Variant> Facade for Sh<V> {
    type Mutex<T: Send> = ShMutex<T>;
    type Word = ShWord;
    const DELIVERY: Delivery = V::DELIVERY;
}

// ---- the world of one schedule ----

/// Resources: `r0` is closed and reopened, `r1` is locked/unlocked and panics, `z` only gets
/// rejected calls.
const R0: usize = 0;
const R1: usize = 1;
const Z: usize = 2;
const NAMES: [&str; 3] = ["r0", "r1", "z"];
const THREADS: usize = 3;
const OPS: usize = 4;
/// Re-entrant calls the host callback may make in one schedule (bounds callback chains).
const REENTRY: u64 = 5;

type Dll<V> = SharedInstance<Sh<V>, (), 4>;

/// What the host saw and what the calls did, for the properties.
#[derive(Default)]
struct Log {
    /// Delivered notices in delivery order: (handle, notice).
    delivered: Vec<(usize, Notice)>,
    /// Completion controls that answered ERROR_SUCCESS, per resource.
    completions: [u64; 3],
    /// OfflineV2/OnlineV2 calls that answered ERROR_GEN_FAILURE (an injected panic), per
    /// resource.
    panics: [u64; 3],
    /// Answers outside what R1–R9 allow: (what, code).
    bad: Vec<(String, u32)>,
}

struct World<V: Variant> {
    dll: Dll<V>,
    resid: [ShWord; 3],
    reentry: ShWord,
    log: ShMutex<Log>,
}

fn n(name: &str) -> NodeName {
    NodeName::new(name).expect("node name")
}

impl<V: Variant> World<V> {
    fn new() -> Arc<Self> {
        let world = Arc::new(Self {
            dll: SharedInstance::new(()),
            resid: std::array::from_fn(|_| ShWord::new(0)),
            reentry: ShWord::new(0),
            log: ShMutex::new(Log::default()),
        });
        world.dll.claim(());
        world.control(WorkloadControl::SetLocalNode(n("n1")));
        for name in NAMES {
            world.control(WorkloadControl::Configure {
                resource: name,
                offline: WorkMode::Pending,
                online: WorkMode::Pending,
                running: true,
            });
        }
        world.control(WorkloadControl::Lock("z"));
        for r in [R0, R1, Z] {
            world.open(r);
        }
        world
    }

    /// The host callback: records the notice, then maybe re-enters the DLL (R8).
    fn host(self: &Arc<Self>) -> impl FnMut((), usize, Notice) + '_ {
        move |(), handle, notice| {
            self.log.with(|l| l.delivered.push((handle, notice)));
            let k = loop {
                let k = self.reentry.load();
                if k >= REENTRY {
                    return;
                }
                if self.reentry.cas(k, k + 1).is_ok() {
                    break k;
                }
            };
            // Each re-entry calls another entry point, from inside the callback.
            match k % 5 {
                0 => self.offline(R1, 0),
                1 => self.online(R0),
                2 => self.toggle_lock(true),
                3 => self.reopen(),
                _ => {
                    // Terminate and LooksAlive.
                    let r1 = self.resid[R1].load() as usize;
                    self.dll.terminate(r1);
                    if self.dll.state_of(r1) == Some(ResourceState::Online) {
                        self.bad("LooksAlive after Terminate".into(), ErrorCode(0));
                    }
                }
            }
        }
    }

    fn control(self: &Arc<Self>, c: WorkloadControl<'_>) -> ErrorCode {
        let code = self.dll.control(c, &mut self.host());
        let completion = matches!(
            c,
            WorkloadControl::CompleteOffline(_)
                | WorkloadControl::FailOffline(_)
                | WorkloadControl::CompleteOnline(_)
                | WorkloadControl::FailOnline(_)
        );
        if completion {
            let r = NAMES.iter().position(|&x| Some(x) == name_of(c));
            match (code, r) {
                (ErrorCode::ERROR_SUCCESS, Some(r)) => self.log.with(|l| l.completions[r] += 1),
                (ErrorCode::ERROR_INVALID_STATE | ErrorCode::ERROR_RESOURCE_NOT_FOUND, _) => {}
                _ => self.bad(format!("{c:?}"), code),
            }
        }
        code
    }

    fn bad(&self, what: String, code: ErrorCode) {
        self.log.with(|l| l.bad.push((what, code.0)));
    }

    fn open(self: &Arc<Self>, r: usize) {
        match self.dll.open(NAMES[r], r, &mut self.host()) {
            Some(resid) => self.resid[r].store(resid as u64),
            None => self.bad(format!("OpenV2({})", NAMES[r]), ErrorCode(0)),
        }
    }

    /// Close then Open of r0 (only this path closes r0; a concurrent reopen finds it open
    /// and gets NULL, which the SPEC allows: one RESID per resource).
    fn reopen(self: &Arc<Self>) {
        let old = self.resid[R0].load() as usize;
        self.dll.close(old);
        if let Some(resid) = self.dll.open(NAMES[R0], R0, &mut self.host()) {
            self.resid[R0].store(resid as u64);
        }
    }

    fn offline(self: &Arc<Self>, r: usize, flags: u32) {
        let resid = self.resid[r].load() as usize;
        let args = OfflineArgs::host(DestArg::NULL, flags);
        let code = self
            .dll
            .guarded(resid, &mut self.host(), |d| d.offline_v2(resid, &args));
        self.answer(r, "OfflineV2", code);
    }

    fn online(self: &Arc<Self>, r: usize) {
        let resid = self.resid[r].load() as usize;
        let code = self
            .dll
            .guarded(resid, &mut self.host(), |d| d.online_v2(resid, true, 0, 0));
        self.answer(r, "OnlineV2", code);
    }

    fn answer(&self, r: usize, what: &str, code: ErrorCode) {
        use ErrorCode as E;
        let allowed: &[ErrorCode] = match r {
            // A stale RESID after a concurrent reopen is not found (R2).
            R0 => &[
                E::ERROR_SUCCESS,
                E::ERROR_IO_PENDING,
                E::ERROR_INVALID_STATE,
                E(5007),
            ],
            R1 => &[
                E::ERROR_SUCCESS,
                E::ERROR_IO_PENDING,
                E::ERROR_INVALID_STATE,
                E::ERROR_CLUSTER_RESOURCE_LOCKED_STATUS,
                E::ERROR_GEN_FAILURE,
            ],
            _ => &[],
        };
        if code == E::ERROR_GEN_FAILURE {
            self.log.with(|l| l.panics[r] += 1);
        }
        if !allowed.contains(&code) {
            self.bad(format!("{what}({})", NAMES[r]), code);
        }
    }

    fn toggle_lock(self: &Arc<Self>, on: bool) {
        let c = if on {
            WorkloadControl::Lock("r1")
        } else {
            WorkloadControl::Unlock("r1")
        };
        if self.control(c) != ErrorCode::ERROR_SUCCESS {
            self.bad(format!("{c:?}"), ErrorCode(1));
        }
    }

    /// Calls that R1, R2 or R4 reject, on `z` (locked, Online): they must change nothing.
    fn rejected(self: &Arc<Self>, k: usize) {
        let z = self.resid[Z].load() as usize;
        let (what, code, want) = match k % 4 {
            0 => {
                let args = OfflineArgs::host(DestArg::NULL, 0x80);
                ("flags 0x80", self.dll.offline_v2(z, &args), 87)
            }
            1 => {
                let args = OfflineArgs::host(DestArg::NULL, 0);
                ("locked", self.dll.offline_v2(z, &args), 5960)
            }
            2 => ("reserved", self.dll.online_v2(z, true, 0, 1), 87),
            _ => {
                let args = OfflineArgs::host(DestArg::NULL, 0);
                ("forged", self.dll.offline_v2(z ^ (1 << 20), &args), 5007)
            }
        };
        if code.0 != want {
            self.bad(format!("rejected {what}"), code);
        }
    }

    /// Thread `t`'s script: OPS operations chosen by (t, i), deterministic.
    fn run_thread(self: &Arc<Self>, t: usize) {
        for i in 0..OPS {
            match (t * 7 + i * 3) % 10 {
                0 => self.offline(R0, 0x40),
                1 => self.online(R1),
                2 => self.reopen(),
                3 => {
                    let _ = self.control(WorkloadControl::CompleteOffline("r0"));
                    let _ = self.control(WorkloadControl::FailOnline("r1"));
                }
                4 => self.toggle_lock(i % 2 == 0),
                5 => {
                    let _ = self.control(WorkloadControl::InjectPanic("r1"));
                    self.offline(R1, 0x01);
                }
                6 => self.dll.terminate(self.resid[R1].load() as usize),
                7 => {
                    let _ = self.control(WorkloadControl::CompleteOnline("r1"));
                    let _ = self.control(WorkloadControl::CompleteOnline("r0"));
                }
                8 => self.rejected(t + i),
                _ => {
                    self.offline(R1, 0x01);
                    self.online(R0);
                }
            }
        }
    }

    /// The properties, after every thread joined.
    fn check(self: &Arc<Self>) -> Result<(), String> {
        // Every notice made by a call that returned was delivered before the last one did.
        if self.dll.undelivered() != 0 {
            return Err(format!(
                "{} notices never delivered",
                self.dll.undelivered()
            ));
        }
        // Ending any pending work gives exactly one more status notice (R7).
        for r in [R0, R1] {
            let resid = self.resid[r].load() as usize;
            let end = match self.dll.state_of(resid) {
                Some(ResourceState::OfflinePending) => WorkloadControl::CompleteOffline(NAMES[r]),
                Some(ResourceState::OnlinePending) => WorkloadControl::CompleteOnline(NAMES[r]),
                _ => continue,
            };
            let first = self.control(end);
            let second = self.control(end);
            if (first, second) != (ErrorCode::ERROR_SUCCESS, ErrorCode::ERROR_INVALID_STATE) {
                return Err(format!("ending {end:?}: {first} then {second}"));
            }
        }
        self.dll.check()?;
        let z = self.resid[Z].load() as usize;
        if self.dll.state_of(z) != Some(ResourceState::Online) {
            return Err(format!("z changed: {:?}", self.dll.state_of(z)));
        }
        self.log.with(|l| {
            if !l.bad.is_empty() {
                return Err(format!("answers outside R1–R9: {:?}", l.bad));
            }
            for (r, name) in NAMES.iter().enumerate() {
                let statuses = l
                    .delivered
                    .iter()
                    .filter(|(h, n)| *h == r && matches!(n, Notice::Status(_)))
                    .count() as u64;
                let want = l.completions[r] + l.panics[r];
                if statuses != want {
                    return Err(format!(
                        "{name}: {statuses} status notices for {} completions + {} panics",
                        l.completions[r], l.panics[r]
                    ));
                }
            }
            let locks: Vec<bool> = l
                .delivered
                .iter()
                .filter_map(|&(h, n)| match n {
                    Notice::LockedMode(on) if h == R1 => Some(on),
                    _ => None,
                })
                .collect();
            if locks.iter().enumerate().any(|(i, &on)| on != (i % 2 == 0)) {
                return Err(format!(
                    "r1 lock notices out of order or doubled: {locks:?}"
                ));
            }
            Ok(())
        })
    }
}

fn name_of(c: WorkloadControl<'_>) -> Option<&str> {
    match c {
        WorkloadControl::CompleteOffline(n)
        | WorkloadControl::FailOffline(n)
        | WorkloadControl::CompleteOnline(n)
        | WorkloadControl::FailOnline(n) => Some(n),
        _ => None,
    }
}

/// One schedule: set up, run the threads, check.
fn schedule<V: Variant>() {
    let world = World::<V>::new();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let w = Arc::clone(&world);
            shuttle::thread::spawn(move || w.run_thread(t))
        })
        .collect();
    for h in handles {
        h.join().expect("a checker thread panicked");
    }
    if let Err(e) = world.check() {
        panic!("property violated: {e}");
    }
}

// ---- running it ----

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// Installs shuttle's panic hook first, then the DLL's quiet hook for injected panics on top
/// (so a caught injected panic is not reported as a failing task).
fn hooks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        shuttle::check_random(|| {}, 1);
        offline_v2::reference::quiet_injected_panics();
    });
}

fn config(persist: FailurePersistence) -> Config {
    let mut c = Config::new();
    c.failure_persistence = persist;
    c
}

#[test]
fn shuttle_explores_the_dll_core_without_deadlock_loss_or_rule_breach() {
    hooks();
    if let Ok(schedule_text) = std::env::var("OFFLINE_V2_SHUTTLE_REPLAY") {
        shuttle::replay(schedule::<Shipped>, &schedule_text);
        return;
    }
    let budget = env_u64("OFFLINE_V2_SHUTTLE_SCHEDULES", 10_000);
    let seed = env_u64("OFFLINE_V2_SHUTTLE_SEED", 0x00FF_11E2);
    eprintln!("shuttle: seed {seed} (OFFLINE_V2_SHUTTLE_SEED), {budget} schedules");
    let start = Instant::now();
    let random = budget / 2;
    let pct = budget - random;
    let cfg = || config(FailurePersistence::Print);
    let ran_random = Runner::new(
        RandomScheduler::new_from_seed(seed, usize::try_from(random).expect("budget")),
        cfg(),
    )
    .run(schedule::<Shipped>);
    let ran_pct = Runner::new(
        PctScheduler::new_from_seed(seed, 3, usize::try_from(pct).expect("budget")),
        cfg(),
    )
    .run(schedule::<Shipped>);
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "shuttle: {} schedules explored ({ran_random} random + {ran_pct} PCT depth 3) in {secs:.1} s",
        ran_random + ran_pct
    );
    assert_eq!(
        (ran_random + ran_pct) as u64,
        budget,
        "every schedule of the budget ran"
    );
}

/// Runs `schedule::<V>` until shuttle reports a failure; returns its message and the file
/// holding the failing schedule, if shuttle persisted one (it does for a deadlock; a failed
/// property is a panic, whose schedule shuttle's panic hook prints instead).
fn find_failure<V: Variant>(
    dir: &std::path::Path,
    budget: usize,
) -> (String, Option<std::path::PathBuf>) {
    hooks();
    std::fs::create_dir_all(dir).expect("schedule dir");
    let seed = env_u64("OFFLINE_V2_SHUTTLE_SEED", 0x00FF_11E2);
    let runner = Runner::new(
        PctScheduler::new_from_seed(seed, 3, budget),
        config(FailurePersistence::File(Some(dir.to_path_buf()))),
    );
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runner.run(schedule::<V>);
    }));
    let Err(payload) = failure else {
        panic!("the checker found nothing in {budget} schedules (seed {seed}): it is vacuous");
    };
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    let file = std::fs::read_dir(dir)
        .expect("schedule dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    eprintln!("non-vacuity: seed {seed} (OFFLINE_V2_SHUTTLE_SEED): {message}");
    if let Some(file) = &file {
        eprintln!(
            "failing schedule in {} (replay: shuttle::replay_from_file):\n{}",
            file.display(),
            std::fs::read_to_string(file).unwrap_or_default()
        );
    }
    (message, file)
}

fn target_dir(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn non_vacuity_the_old_delivery_lock_deadlocks_and_the_schedule_replays() {
    let dir = target_dir("shuttle-old-delivery-lock");
    let _ = std::fs::remove_dir_all(&dir);
    let (message, file) = find_failure::<OldDeliveryLock>(&dir, 2_000);
    assert!(
        message.contains("deadlock"),
        "expected a deadlock, got: {message}"
    );
    let file = file.expect("shuttle persisted the deadlocking schedule");
    let replay = std::panic::catch_unwind(|| {
        shuttle::replay_from_file(schedule::<OldDeliveryLock>, &file);
    });
    let Err(payload) = replay else {
        panic!("the persisted schedule did not deadlock again");
    };
    let again = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(again.contains("deadlock"), "replay: {again}");
}

#[test]
fn non_vacuity_a_deliverer_without_its_recheck_loses_a_callback() {
    let dir = target_dir("shuttle-no-recheck");
    let _ = std::fs::remove_dir_all(&dir);
    let (message, _) = find_failure::<NoRecheck>(&dir, 10_000);
    assert!(
        message.contains("never delivered") || message.contains("status notices"),
        "expected a lost notice, got: {message}"
    );
}
