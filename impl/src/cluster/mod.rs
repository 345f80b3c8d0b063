//! The sans-IO cluster coordinator and resource host (SPEC §5, R10–R23).
//!
//! [`Cluster`] is a dispatcher over one deterministic state machine per group, shaped like
//! quinn-proto's `Connection`: input goes in through [`Cluster::handle_input`] (a client call
//! or an environment event, at a logical time — R22), outputs come out through
//! [`Cluster::poll_output`] in the order they happened (D5), and [`Cluster::poll_timeout`] says
//! when the next R16 retry or R19 timeout falls due. [`Cluster::step`] is both at once.
//!
//! ```text
//!  Input ─▶ Cluster::handle_input ─▶ calls (R13 admission) ─┐      ┌─▶ Operation::next_action ─▶ Action
//!   (call │                       ─▶ events, recovery ──────┴─▶ drive(group)                        │
//!   or    │                                                  ▲      └── pending / ended / timers ◀──┤
//!   event)│                                                  │                                      ▼
//!         │                              status callbacks (deferred) ◀── host: ResourceDll calls, Open/Close/Terminate
//!         ▼                                                                         │
//!  invariants after every input ◀── Output queue (Returned, DllCall, PersistentWrite, Completed) ─▶ poll_output
//! ```
//!
//! One concern per file:
//! - `mod.rs` (this file): the [`Cluster`] type and its dispatcher (`handle_input`, `poll_*`);
//! - `setup`: [`ConfigError`] and set-up (D4, I13);
//! - `view`: the host view ([`ClusterView`] and the getters);
//! - `calls`: client calls and the R13 check order;
//! - `operation`: `Operation`, one group's in-flight work, and the
//!   `Action`s it asks for; `phase`: its vocabulary;
//! - `drive`: running a group's operation — acting on its actions, completing once (R14);
//! - `host`: DLL calls, callbacks, ownership transfer;
//! - `events`: ticks (R16, R19), callbacks (R7), embedded failures (R21), the workload (D2);
//! - `recovery`: crashes and restarts of nodes (R20, D17, D19);
//! - [`flags`]: R12 as a pure function;
//! - `state`: the host's records per group and resource;
//! - `invariants`: [`InvariantViolation`] and the always-on checks (I17);
//! - `fingerprint`: `Clone`, `Hash` and `Eq` over the state that decides the future (I18).

mod calls;
mod drive;
mod events;
mod fingerprint;
pub mod flags;
mod host;
pub(crate) mod invariants;
pub mod io;
pub(crate) mod operation;
pub(crate) mod phase;
mod recovery;
mod setup;
pub(crate) mod state;
mod view;

use std::collections::VecDeque;

use std::sync::Arc;

pub use calls::NEVER_ISSUED_RESID;
pub use flags::{offline_destination, offline_flags, OfflineContext};
pub use invariants::InvariantViolation;
pub use io::*;
pub use setup::ConfigError;
pub use view::ClusterView;

use crate::resource_dll::{DllCallback, Resid, ResourceDll};
use crate::types::{NodeId, NodeState};
use state::{Environment, GroupHost, ResourceHost};

/// The cluster coordinator and resource host: a dispatcher over one deterministic sans-IO
/// state machine per group (an `Operation`).
pub struct Cluster<D: ResourceDll> {
    /// The configuration and name tables: immutable after set-up, shared by clones.
    tables: Arc<setup::Tables>,
    /// One DLL instance per node (D1).
    dlls: Vec<D>,
    /// Logical time (R22).
    now: u64,
    nodes: Vec<NodeState>,
    groups: Vec<GroupHost>,
    resources: Vec<ResourceHost>,
    /// `resids[resource][node]`: the RESID that node's DLL gave the host (R2).
    resids: Vec<Vec<Option<Resid>>>,
    env: Environment,
    next_op: u32,
    /// Outputs; those from `polled` on are not yet polled (oldest first).
    out: Vec<Output>,
    /// How many of `out` were polled.
    polled: usize,
    /// Callbacks that end an outstanding call or signal a failure, processed after the action
    /// that drained them (no re-entrancy); empty between inputs.
    deferred: VecDeque<(NodeId, DllCallback)>,
    /// Scratch buffer for `take_callbacks`.
    callbacks: Vec<DllCallback>,
    /// The invariant a previous input broke: the cluster refuses every later input (I17).
    violation: Option<InvariantViolation>,
    /// The switched-on seeded host bug (tests only).
    #[cfg(feature = "seeded-bugs")]
    bug: crate::seeded::SeededBug,
}

impl<D: ResourceDll> std::fmt::Debug for Cluster<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("view", &self.view())
            .field("violation", &self.violation)
            .finish_non_exhaustive()
    }
}

impl<D: ResourceDll> Cluster<D> {
    /// Applies one input arriving at logical time `now` (R22). If `now` is later than
    /// [`Cluster::now`], the time in between passes first, as a `tick` would (R16, R19 fire;
    /// I16); an earlier `now` is read as [`Cluster::now`] (time never goes back). The outputs
    /// are queued for [`Cluster::poll_output`].
    ///
    /// # Errors
    /// An [`InvariantViolation`] stops the input where it was found; the outputs made before
    /// it stay queued, and every later input returns the same violation (I17).
    pub fn handle_input(&mut self, now: u64, input: Input) -> Result<(), InvariantViolation> {
        if let Some(violation) = &self.violation {
            return Err(violation.clone());
        }
        if self.polled == self.out.len() {
            self.out.clear();
            self.polled = 0;
        }
        let mut result = Ok(());
        if now > self.now {
            result = self.apply(Input::Tick { ms: now - self.now });
        }
        if result.is_ok() {
            result = self.apply(input);
        }
        if let Err(violation) = &result {
            self.violation = Some(violation.clone());
        }
        result
    }

    /// The R16 retries and R19 timeouts due at `now`: a `tick` to `now` (a spurious call
    /// changes nothing).
    ///
    /// # Errors
    /// As [`Cluster::handle_input`].
    pub fn handle_timeout(&mut self, now: u64) -> Result<(), InvariantViolation> {
        self.handle_input(now, Input::Tick { ms: 0 })
    }

    /// The oldest output not yet polled (D5 order).
    pub fn poll_output(&mut self) -> Option<Output> {
        let output = self.out.get(self.polled).copied();
        if output.is_some() {
            self.polled += 1;
        } else {
            self.out.clear();
            self.polled = 0;
        }
        output
    }

    /// The next logical time at which a `tick` has something to do — the earliest R19 timeout
    /// of an outstanding call or R16 retry of a queued move — or None if no tick would change
    /// anything but the clock. A driver that calls [`Cluster::handle_timeout`] at that time
    /// never needs to tick blindly.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        let config = &self.tables.config;
        self.groups
            .iter()
            .filter_map(|g| g.operation.as_ref())
            .filter_map(|op| op.deadline(config.pending_timeout, config.retry_interval))
            .min()
    }

    /// Applies one input at the current time and returns what happened, in order (D5):
    /// [`Cluster::handle_input`] then every [`Cluster::poll_output`].
    ///
    /// # Panics
    /// On an [`InvariantViolation`], with its message (use [`Cluster::try_step`] or
    /// [`Cluster::handle_input`] to handle it instead).
    pub fn step(&mut self, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        self.step_into(input, &mut out);
        out
    }

    /// Like [`Cluster::step`], appending the outputs to `out` (no allocation once `out` and the
    /// cluster's buffers have grown).
    ///
    /// # Panics
    /// As [`Cluster::step`].
    pub fn step_into(&mut self, input: Input, out: &mut Vec<Output>) {
        if self.polled < self.out.len() {
            out.extend(self.out.drain(self.polled..));
        }
        self.out.clear();
        self.polled = 0;
        // The outputs go straight into the caller's buffer (no copy on the hot path).
        std::mem::swap(&mut self.out, out);
        let result = self.handle_input(self.now, input);
        std::mem::swap(&mut self.out, out);
        if let Err(violation) = result {
            panic!("{violation}");
        }
    }

    /// Like [`Cluster::step`], returning a violation instead of panicking.
    ///
    /// # Errors
    /// As [`Cluster::handle_input`]; the outputs made before the violation stay queued.
    pub fn try_step(&mut self, input: Input) -> Result<Vec<Output>, InvariantViolation> {
        self.handle_input(self.now, input)?;
        let out = self.out.drain(self.polled..).collect();
        self.out.clear();
        self.polled = 0;
        Ok(out)
    }

    /// Queues one output.
    fn emit(&mut self, output: Output) {
        self.out.push(output);
    }

    /// One input, then the invariants (I17).
    #[inline]
    fn apply(&mut self, input: Input) -> Result<(), InvariantViolation> {
        let start = self.out.len();
        #[cfg(debug_assertions)]
        let before = self.view();
        let is_client_call = self.dispatch(input)?;
        self.run_deferred()?;
        // A rejected call changed nothing (R13: its admission checks are `&self`; debug builds
        // check it below), so the state the previous scan passed is unchanged.
        let rejected = is_client_call
            && self.out.len() == start + 1
            && matches!(self.out[start], Output::Returned { code, op: None }
                if code != crate::types::ErrorCode::ERROR_SUCCESS);
        if !rejected {
            self.check_invariants()?;
        }
        #[cfg(debug_assertions)]
        self.check_pairs(&before, start, is_client_call)?;
        Ok(())
    }

    /// Hands the input to the concern that handles it (a table: one line per input kind).
    /// Returns whether it was a client call (D5, R13).
    #[inline]
    fn dispatch(&mut self, input: Input) -> Result<bool, InvariantViolation> {
        match input {
            Input::OfflineResource {
                resource,
                flags,
                reason: _, // never changes behaviour (SPEC §7)
            } => self.offline_resource(&resource, flags)?,
            Input::OnlineResource { resource } => self.online_resource(&resource)?,
            Input::MoveGroup { group, dest, flags } => {
                self.move_group(&group, dest.as_deref(), flags)?;
            }
            Input::CancelGroupOperation { group, reserved } => {
                self.cancel_group_operation(&group, reserved)?;
            }
            Input::RawOfflineV2 { node, call } => {
                self.raw_offline_v2(node, call);
                return Ok(false);
            }
            event => {
                self.handle_event(event)?;
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Switches a seeded host bug on (tests only; [`crate::seeded`]). The DLL bug
    /// ([`crate::seeded::SeededBug::ReservedIgnored`]) is switched through the control export
    /// instead; here it changes nothing.
    #[cfg(feature = "seeded-bugs")]
    pub fn set_seeded_bug(&mut self, bug: crate::seeded::SeededBug) {
        self.bug = bug;
    }

    /// The seeded host bug switched on.
    #[cfg(feature = "seeded-bugs")]
    #[must_use]
    pub fn seeded_bug(&self) -> crate::seeded::SeededBug {
        self.bug
    }
}
