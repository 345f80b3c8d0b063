//! The DLL-rule monitor inside lockstep conformance: [`MonitoredDll`] wraps each node's DLL
//! instance and shows every call the cluster makes, its answer and the callbacks to a
//! [`DllMonitor`]; [`DllRulesChecker`] turns a violation into a failed replay step. So the
//! reference DLL's answers are judged against R1–R9 by the same encoding that judges a user's
//! DLL (`offline-v2 conform`), not only compared with the model.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};

use offline_v2::resource_dll::{
    DllCallback, RawDest, RawOfflineV2, Resid, ResourceDll, WorkloadControl,
};
use offline_v2::types::{ErrorCode, NodeName, OfflineFlags, ResourceId};

use super::event::{Callback, Dest, Event, OfflineCall, OnlineCall};
use super::monitor::{DllMonitor, StartedBy, Violation};
use crate::replay::{FailureKind, StepFailure};
use crate::replay::{StepChecker, StepView};

/// Units an unterminated raw destination is padded to by the host (A8).
const RAW_DEST_PAD: usize = 16;

#[derive(Debug)]
struct Log {
    started_by: StartedBy,
    /// One monitor per node's instance.
    monitors: Vec<DllMonitor>,
    /// (node, violation), in order.
    violations: Vec<(usize, Violation)>,
    events: u64,
}

/// The monitors of one run, shared by the wrapped DLLs and the checker.
#[derive(Debug, Clone)]
pub struct MonitorLog(Arc<Mutex<Log>>);

impl MonitorLog {
    /// A log for DLL instances started by `started_by`.
    #[must_use]
    pub fn new(started_by: StartedBy) -> Self {
        Self(Arc::new(Mutex::new(Log {
            started_by,
            monitors: Vec::new(),
            violations: Vec::new(),
            events: 0,
        })))
    }

    fn observe(&self, node: usize, event: &Event) {
        let mut log = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let started_by = log.started_by;
        while log.monitors.len() <= node {
            log.monitors.push(DllMonitor::new(started_by));
        }
        log.events += 1;
        let n = log.events;
        if let Err(v) = log.monitors[node].observe(n, event) {
            log.violations.push((node, v));
        }
    }

    /// Events judged so far, over every node.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).events
    }

    /// Every violation so far: (node index, violation).
    #[must_use]
    pub fn violations(&self) -> Vec<(usize, Violation)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .violations
            .clone()
    }
}

/// A node's DLL instance with its calls shown to the run's [`MonitorLog`]. Derefs to the
/// wrapped DLL (tests reach its control export through it).
#[derive(Debug)]
pub struct MonitoredDll<D> {
    inner: D,
    node: usize,
    log: MonitorLog,
    /// Callbacks seen by the monitor and not yet taken by the host.
    queue: Vec<DllCallback>,
}

impl<D> Deref for MonitoredDll<D> {
    type Target = D;
    fn deref(&self) -> &D {
        &self.inner
    }
}

impl<D> DerefMut for MonitoredDll<D> {
    fn deref_mut(&mut self) -> &mut D {
        &mut self.inner
    }
}

impl<D: ResourceDll> MonitoredDll<D> {
    /// Wraps node `node`'s instance.
    pub fn new(inner: D, node: usize, log: MonitorLog) -> Self {
        Self {
            inner,
            node,
            log,
            queue: Vec::new(),
        }
    }

    /// Takes the inner DLL's callbacks: shown to the monitor as `during` by the caller.
    fn pull(&mut self) -> Vec<Callback> {
        let mut got = Vec::new();
        self.inner.take_callbacks(&mut got);
        let shown = got.iter().copied().map(Callback::from).collect();
        self.queue.extend(got);
        shown
    }

    fn between(&mut self) {
        let callbacks = self.pull();
        if !callbacks.is_empty() {
            self.log.observe(self.node, &Event::Callbacks { callbacks });
        }
    }

    fn offline_event(&mut self, call: OfflineCall, answer: ErrorCode) {
        let during = self.pull();
        let event = Event::OfflineV2 {
            call,
            answer: answer.0,
            during,
        };
        self.log.observe(self.node, &event);
    }
}

fn resid(r: Resid) -> u64 {
    r.0.get() as u64
}

/// The destination exactly as the host passes a raw one (A8 pads an unterminated one).
fn raw_dest(dest: &RawDest) -> Dest {
    match dest {
        RawDest::Null => Dest::Null,
        RawDest::Units { units, terminated } => {
            let mut units = units.clone();
            if !terminated {
                while units.len() < RAW_DEST_PAD {
                    units.push(u16::from(b'x'));
                }
            }
            Dest::Units {
                units,
                terminated: true,
            }
        }
    }
}

impl<D: ResourceDll> ResourceDll for MonitoredDll<D> {
    fn open(&mut self, resource: ResourceId, name: &str) -> Option<Resid> {
        self.between();
        let out = self.inner.open(resource, name);
        let during = self.pull();
        let event = Event::Open {
            resource: resource.0,
            name: name.to_owned(),
            resid: out.map(resid),
            during,
        };
        self.log.observe(self.node, &event);
        out
    }

    fn close(&mut self, r: Resid) {
        self.between();
        self.inner.close(r);
        let during = self.pull();
        let event = Event::Close {
            resid: resid(r),
            during,
        };
        self.log.observe(self.node, &event);
    }

    fn online_v2(&mut self, r: Resid) -> ErrorCode {
        self.between();
        let answer = self.inner.online_v2(r);
        let during = self.pull();
        let event = Event::OnlineV2 {
            call: OnlineCall {
                resid: resid(r),
                inbuf: false,
                inbuf_size: 0,
                reserved: 0,
            },
            answer: answer.0,
            during,
        };
        self.log.observe(self.node, &event);
        answer
    }

    fn offline_v2(&mut self, r: Resid, dest: Option<NodeName>, flags: OfflineFlags) -> ErrorCode {
        self.between();
        let answer = self.inner.offline_v2(r, dest, flags);
        let call = OfflineCall {
            resid: resid(r),
            dest: dest.map_or(Dest::Null, |n| Dest::Name(n.as_str().to_owned())),
            flags: flags.bits(),
            inbuf: false,
            inbuf_size: 0,
            reserved: 0,
        };
        self.offline_event(call, answer);
        answer
    }

    fn terminate(&mut self, r: Resid) {
        self.between();
        self.inner.terminate(r);
        let during = self.pull();
        let event = Event::Terminate {
            resid: resid(r),
            during,
        };
        self.log.observe(self.node, &event);
    }

    fn raw_offline_v2(&mut self, call: &RawOfflineV2) -> ErrorCode {
        self.between();
        let answer = self.inner.raw_offline_v2(call);
        let observed = OfflineCall {
            resid: call.resid as u64,
            dest: raw_dest(&call.dest),
            flags: call.flags,
            inbuf: call.inbuf.is_some(),
            inbuf_size: call.inbuf_size,
            reserved: call.reserved,
        };
        self.offline_event(observed, answer);
        answer
    }

    fn control(&mut self, control: WorkloadControl<'_>) -> ErrorCode {
        self.between();
        let answer = self.inner.control(control);
        if control == WorkloadControl::Reset {
            // The instance forgot every RESID and its work (R20): callbacks it still had are
            // dropped with it.
            self.log.observe(self.node, &Event::Reset);
        }
        self.between();
        answer
    }

    fn take_callbacks(&mut self, out: &mut Vec<DllCallback>) {
        self.between();
        out.append(&mut self.queue);
    }

    fn dll_state(&self, resid: Resid) -> Option<Option<offline_v2::types::ResourceState>> {
        self.inner.dll_state(resid)
    }
}

/// Fails a replay step at which a wrapped DLL broke one of R1–R9.
#[derive(Debug)]
pub struct DllRulesChecker {
    log: MonitorLog,
    reported: usize,
}

impl DllRulesChecker {
    /// A checker over `log`.
    #[must_use]
    pub fn new(log: MonitorLog) -> Self {
        Self { log, reported: 0 }
    }
}

impl StepChecker for DllRulesChecker {
    fn check_step(&mut self, step: &StepView<'_>, failures: &mut Vec<StepFailure>) {
        let all = self.log.violations();
        for (node, v) in all.iter().skip(self.reported) {
            let node_name = step
                .names
                .0
                .nodes
                .get(*node)
                .cloned()
                .unwrap_or_else(|| format!("node #{node}"));
            failures.push(StepFailure {
                step: step.index,
                kind: FailureKind::Divergence,
                what: format!(
                    "DLL rule {} on {node_name} (DLL-rule monitor, docs/conform.md)",
                    v.rule
                ),
                expected: "answers and callbacks that R1-R9 allow".into(),
                produced: vec![("impl", v.message.clone())],
                diverged: vec!["impl"],
            });
        }
        self.reported = all.len();
    }
}
