//! Runs a [`Plan`] against one started DLL instance, acting as the host: each call goes
//! through the DLL's function table with guard-paged buffers, every callback the DLL makes
//! (from any thread, at any time) is collected, and everything is judged by a
//! [`DllMonitor`] and written to the JSON-lines trace.

use std::io::Write;
use std::time::{Duration, Instant};

use offline_v2::abi::host::TableDll;
use offline_v2::resource_dll::{DllCallback, WorkloadControl};
use offline_v2::types::{ErrorCode, NodeName, ResourceId, WorkMode};
use serde::{Deserialize, Serialize};

use super::event::{Callback, Event, OfflineCall, OnlineCall};
use super::monitor::{DllMonitor, StartedBy, Tally, Violation};
use super::plan::{Control, Plan, Step, Target};

/// A RESID no DLL returned: what a call on a closed resource passes (R2 answers it).
pub const NEVER_ISSUED: u64 = 0x00AB_CDEF_0000_0001;

/// One line of the trace (`docs/conform.md`): a step about to run, an observed event, or
/// the violation that ended the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLine {
    /// Index of the plan step.
    pub step: usize,
    /// Microseconds since the run started.
    pub t_us: u64,
    /// The step, written (and flushed) before the DLL is called: after a crash the last
    /// `begin` names the call that crashed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub begin: Option<Step>,
    /// The monitor's event number.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n: Option<u64>,
    /// What was observed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub event: Option<Event>,
    /// The violation this event showed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub violation: Option<Violation>,
    /// The first line says how the DLL was started (R4 reads locks differently after the
    /// classic Startup).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub started_by: Option<StartedBy>,
}

/// How a session waits and how long it may run.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Resource names, by index (passed to OpenV2).
    pub names: Vec<String>,
    /// Longest wait for an owed status callback (then R7 is broken).
    pub pending_wait: Duration,
    /// Extra time a `Wait { grace: true }` listens after everything came (late or duplicate
    /// callbacks).
    pub grace: Duration,
    /// Stop starting steps after this instant.
    pub deadline: Option<Instant>,
}

/// Where a run ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Steps that ran.
    pub steps_run: usize,
    /// The first violation and the step that showed it.
    pub violation: Option<(usize, Violation)>,
    /// The deadline stopped the run before the plan's end.
    pub stopped_by_time: bool,
    /// What the monitor judged.
    pub tally: Tally,
    /// Longest time a Wait took, in microseconds.
    pub longest_wait_us: u64,
}

/// A host driving one DLL instance through a plan.
pub struct Session<'w> {
    dll: TableDll,
    control: bool,
    started_by: StartedBy,
    monitor: DllMonitor,
    options: SessionOptions,
    resids: Vec<Option<u64>>,
    stale: Vec<Option<u64>>,
    trace: Option<&'w mut dyn Write>,
    events: u64,
    started: Instant,
    longest_wait: Duration,
    /// Per resource: it was opened at least once.
    ever_opened: Vec<bool>,
    /// Resources whose first OpenV2 answered NULL.
    refused: Vec<u8>,
}

impl<'w> Session<'w> {
    /// A session on `dll` (started by `started_by`); `control`: drive the workload through
    /// the reference control export (the DLL has it). The trace, if any, gets one JSON line
    /// per step and event.
    #[must_use]
    pub fn new(
        dll: TableDll,
        started_by: StartedBy,
        control: bool,
        options: SessionOptions,
        trace: Option<&'w mut dyn Write>,
    ) -> Self {
        let n = options.names.len();
        Self {
            dll,
            control,
            started_by,
            monitor: DllMonitor::new(started_by),
            options,
            resids: vec![None; n],
            stale: vec![None; n],
            trace,
            events: 0,
            started: Instant::now(),
            longest_wait: Duration::ZERO,
            ever_opened: vec![false; n],
            refused: Vec::new(),
        }
    }

    /// Resources whose first OpenV2 answered NULL (nothing can be checked on them).
    #[must_use]
    pub fn refused_at_setup(&self) -> Vec<u8> {
        self.refused.clone()
    }

    /// The monitor (for summaries).
    #[must_use]
    pub fn monitor(&self) -> &DllMonitor {
        &self.monitor
    }

    /// Runs `plan` until its end, the first violation or the deadline.
    pub fn run(&mut self, plan: &Plan) -> Outcome {
        let mut out = Outcome::default();
        let header = TraceLine {
            step: 0,
            t_us: 0,
            begin: None,
            n: None,
            event: None,
            violation: None,
            started_by: Some(self.started_by),
        };
        self.write(&header);
        for (i, step) in plan.steps.iter().enumerate() {
            if self.options.deadline.is_some_and(|d| Instant::now() >= d) {
                out.stopped_by_time = true;
                break;
            }
            out.steps_run = i + 1;
            if let Err(v) = self.step(i, step) {
                out.violation = Some((i, v));
                break;
            }
        }
        // Every plan ends by waiting for what is owed and listening for late or duplicate
        // callbacks, attributed to its last step: a shrunk plan needs no trailing Wait.
        if out.violation.is_none() && !out.stopped_by_time && out.steps_run > 0 {
            let last = out.steps_run - 1;
            if let Err(v) = self.wait(last, 0, true) {
                out.violation = Some((last, v));
            }
        }
        out.tally = self.monitor.tally().clone();
        out.longest_wait_us = u64::try_from(self.longest_wait.as_micros()).unwrap_or(u64::MAX);
        out
    }

    fn elapsed_us(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn write(&mut self, line: &TraceLine) {
        if let Some(w) = self.trace.as_mut() {
            if let Ok(text) = serde_json::to_string(line) {
                // A trace that cannot be written is not a verdict on the DLL: keep going.
                let _ = writeln!(w, "{text}").and_then(|()| w.flush());
            }
        }
    }

    fn begin(&mut self, step: usize, s: &Step) {
        let line = TraceLine {
            step,
            t_us: self.elapsed_us(),
            begin: Some(s.clone()),
            n: None,
            event: None,
            violation: None,
            started_by: None,
        };
        self.write(&line);
    }

    /// Judges `event` and writes it. The monitor numbers it by plan step, from 1, so its
    /// messages ("call #12 answered …") match the reproducer's listing.
    fn observe(&mut self, step: usize, event: Event) -> Result<(), Violation> {
        let n = self.events;
        self.events += 1;
        let verdict = self.monitor.observe(step as u64 + 1, &event);
        let line = TraceLine {
            step,
            t_us: self.elapsed_us(),
            begin: None,
            n: Some(n),
            event: Some(event),
            violation: verdict.as_ref().err().cloned(),
            started_by: None,
        };
        self.write(&line);
        verdict
    }

    fn drain(&self) -> Vec<Callback> {
        self.dll
            .drain_callbacks()
            .into_iter()
            .map(Callback::from)
            .collect()
    }

    /// Judges the callbacks that came between calls.
    fn between(&mut self, step: usize) -> Result<(), Violation> {
        let callbacks = self.drain();
        if callbacks.is_empty() {
            return Ok(());
        }
        self.observe(step, Event::Callbacks { callbacks })
    }

    fn resid(&self, target: Target) -> u64 {
        let at = |v: &[Option<u64>], r: u8| v.get(usize::from(r)).copied().flatten();
        match target {
            Target::Resource(r) => at(&self.resids, r).unwrap_or(NEVER_ISSUED),
            Target::Stale(r) => at(&self.stale, r).unwrap_or(NEVER_ISSUED),
            Target::Zero => 0,
            Target::Forged(v) => v,
        }
    }

    fn step(&mut self, i: usize, step: &Step) -> Result<(), Violation> {
        self.between(i)?;
        match step {
            Step::Wait { salt, grace } => return self.wait(i, *salt, *grace),
            Step::Control(c) => return self.control_step(i, c),
            Step::Open { resource } => {
                let r = usize::from(*resource);
                if r >= self.options.names.len() || self.resids[r].is_some() {
                    return Ok(()); // not a resource of this run, or open already
                }
            }
            _ => {}
        }
        self.begin(i, step);
        let event = self.call(step);
        self.observe(i, event)
    }

    /// Makes the DLL call of `step` and returns what was observed.
    fn call(&mut self, step: &Step) -> Event {
        match step {
            Step::Open { resource } => self.open(*resource),
            Step::Close { target } => {
                let resid = self.resid(*target);
                self.dll.close_raw(usize_of(resid));
                if let Target::Resource(r) = target {
                    let r = usize::from(*r);
                    if let Some(old) = self.resids.get_mut(r).and_then(Option::take) {
                        self.stale[r] = Some(old);
                    }
                }
                Event::Close {
                    resid,
                    during: self.drain(),
                }
            }
            Step::Terminate { target } => {
                let resid = self.resid(*target);
                self.dll.terminate_raw(usize_of(resid));
                Event::Terminate {
                    resid,
                    during: self.drain(),
                }
            }
            Step::Offline {
                target,
                dest,
                flags,
                inbuf,
                inbuf_size,
                reserved,
            } => self.offline(OfflineCall {
                resid: self.resid(*target),
                dest: dest.clone(),
                flags: *flags,
                inbuf: *inbuf,
                inbuf_size: *inbuf_size,
                reserved: *reserved,
            }),
            Step::Online {
                target,
                inbuf,
                inbuf_size,
                reserved,
            } => self.online(OnlineCall {
                resid: self.resid(*target),
                inbuf: *inbuf,
                inbuf_size: *inbuf_size,
                reserved: *reserved,
            }),
            Step::Wait { .. } | Step::Control(_) => Event::Callbacks {
                callbacks: Vec::new(),
            },
        }
    }

    fn open(&mut self, resource: u8) -> Event {
        let r = usize::from(resource);
        let name = self.options.names[r].clone();
        let resid = self
            .dll
            .open_resource(ResourceId(resource), &name)
            .map(|x| x.0.get() as u64);
        self.resids[r] = resid;
        if resid.is_none() && !self.ever_opened[r] && !self.refused.contains(&resource) {
            self.refused.push(resource);
        }
        self.ever_opened[r] |= resid.is_some();
        Event::Open {
            resource,
            name,
            resid,
            during: self.drain(),
        }
    }

    fn offline(&mut self, call: OfflineCall) -> Event {
        let units = call.dest.units();
        let answer = self.dll.offline_v2_guarded(
            usize_of(call.resid),
            units.as_ref().map(|(u, t)| (u.as_slice(), *t)),
            call.flags,
            call.inbuf,
            call.inbuf_size,
            call.reserved,
        );
        Event::OfflineV2 {
            call,
            answer: answer.0,
            during: self.drain(),
        }
    }

    fn online(&mut self, call: OnlineCall) -> Event {
        let answer = self.dll.online_v2_guarded(
            usize_of(call.resid),
            call.inbuf,
            call.inbuf_size,
            call.reserved,
        );
        Event::OnlineV2 {
            call,
            answer: answer.0,
            during: self.drain(),
        }
    }

    /// Waits until no status callback is owed (at most `pending_wait`, then R7), finishing
    /// pending work through the control export first if the DLL has one.
    fn wait(&mut self, i: usize, salt: u32, grace: bool) -> Result<(), Violation> {
        let started = Instant::now();
        if self.control {
            self.finish_work(i, salt)?;
        }
        let deadline = started + self.options.pending_wait;
        let mut nap = Duration::from_micros(100);
        while !self.monitor.waiting().is_empty() {
            if Instant::now() >= deadline {
                self.longest_wait = self.longest_wait.max(started.elapsed());
                return self.observe(i, Event::Expire);
            }
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(2));
            self.between(i)?;
        }
        self.longest_wait = self.longest_wait.max(started.elapsed());
        // A callback right behind the last one (a duplicate) is judged in this wait.
        std::thread::sleep(Duration::from_micros(200));
        self.between(i)?;
        if grace {
            std::thread::sleep(self.options.grace);
            self.between(i)?;
        }
        Ok(())
    }

    /// Control export only: ends each resource's pending work, failing it when the salt says
    /// so (about one in five).
    fn finish_work(&mut self, i: usize, salt: u32) -> Result<(), Violation> {
        let waiting: Vec<u8> = self.monitor.waiting().into_iter().map(|(r, _)| r).collect();
        for r in waiting {
            let Some(name) = self.options.names.get(usize::from(r)).cloned() else {
                continue;
            };
            let fail = (salt ^ u32::from(r).wrapping_mul(0x9E37_79B9)).is_multiple_of(5);
            let (off, on) = if fail {
                (
                    WorkloadControl::FailOffline(&name),
                    WorkloadControl::FailOnline(&name),
                )
            } else {
                (
                    WorkloadControl::CompleteOffline(&name),
                    WorkloadControl::CompleteOnline(&name),
                )
            };
            // Only the kind of work that is pending answers ERROR_SUCCESS; the other one
            // answers ERROR_INVALID_STATE and does nothing.
            self.dll.send_control(off);
            self.dll.send_control(on);
            self.between(i)?;
        }
        Ok(())
    }

    fn control_step(&mut self, i: usize, c: &Control) -> Result<(), Violation> {
        if !self.control {
            return Ok(());
        }
        let name = |r: &u8| self.options.names.get(usize::from(*r)).cloned();
        let node = |s: &str| NodeName::new(s).ok();
        let answer = match c {
            Control::SetLocalNode(n) => {
                node(n).map(|n| self.dll.send_control(WorkloadControl::SetLocalNode(n)))
            }
            Control::NetDown(n) => {
                node(n).map(|n| self.dll.send_control(WorkloadControl::NetDown(n)))
            }
            Control::NetUp(n) => node(n).map(|n| self.dll.send_control(WorkloadControl::NetUp(n))),
            Control::Configure {
                resource,
                offline_sync,
                online_sync,
                running,
            } => name(resource).map(|n| {
                let mode = |sync: bool| {
                    if sync {
                        WorkMode::Sync
                    } else {
                        WorkMode::Pending
                    }
                };
                self.dll.send_control(WorkloadControl::Configure {
                    resource: &n,
                    offline: mode(*offline_sync),
                    online: mode(*online_sync),
                    running: *running,
                })
            }),
            Control::Lock(r) => name(r).map(|n| self.dll.send_control(WorkloadControl::Lock(&n))),
            Control::Unlock(r) => {
                name(r).map(|n| self.dll.send_control(WorkloadControl::Unlock(&n)))
            }
            Control::Busy(r) => name(r).map(|n| self.dll.send_control(WorkloadControl::Busy(&n))),
            Control::Unbusy(r) => {
                name(r).map(|n| self.dll.send_control(WorkloadControl::Unbusy(&n)))
            }
        };
        let _: Option<ErrorCode> = answer; // the workload's answer is not a WSFC answer
        self.between(i)
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // Callbacks still queued belong to nobody once the session is gone.
        let _: Vec<DllCallback> = self.dll.drain_callbacks();
    }
}

fn usize_of(resid: u64) -> usize {
    usize::try_from(resid).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lines_round_trip() {
        let header: Result<TraceLine, _> =
            serde_json::from_str(r#"{"step":0,"t_us":0,"started_by":"Startup"}"#);
        assert!(header.is_ok(), "{header:?}");
        let begin: Result<TraceLine, _> =
            serde_json::from_str(r#"{"step":0,"t_us":72,"begin":{"step":"open","resource":0}}"#);
        assert!(begin.is_ok(), "{begin:?}");
    }
}
