//! The actions (client calls with raw inputs, environment events of SPEC §7) and the pure,
//! total transition function [`step`]. Every transition cites the rule it implements.

use crate::bugs::Bug;
use crate::config::{move_flags as mf, offline_flags as of, ModelConfig, WorkMode};
use crate::state::{
    codes::*, oflags, witness, DllRes, Done, Entry, HostCall, Job, JobKind, Observation,
    OfflineRec, OpSt, Persist, Phase, Purpose, RState, ResRef, State,
};

/// Destination of `MoveGroupEx` (raw input: R13 check 2 and 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dest {
    /// NULL: the host picks (R13 check 6).
    Null,
    /// A declared node.
    Node(u8),
    /// A name that is not a node (5042).
    Unknown,
}

/// The RESID a raw call passes (SPEC §7 `raw_offline_v2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResidArg {
    /// The RESID the node's DLL holds for this (global) resource, or a never-issued one.
    Held(usize),
    /// A forged RESID.
    Forged,
}

/// DestinationNodeName of a raw call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DestArg {
    /// NULL.
    None,
    /// A syntactically valid node name: the name of this declared node.
    Valid(u8),
    /// A syntactically invalid name (R1).
    Invalid,
}

/// Everything that can happen (client calls carry raw inputs so R13 rejections are modelled).
/// Resources are numbered globally in declaration order; nodes and groups by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `OfflineResourceEx` (R11, R13, R19, R23).
    OfflineResource {
        /// None = unknown name.
        resource: Option<usize>,
        /// Raw client bits.
        flags: u32,
        /// Never changes behaviour.
        reason: u32,
    },
    /// `OnlineResourceEx` (R11, R23).
    OnlineResource {
        /// None = unknown name.
        resource: Option<usize>,
    },
    /// `MoveGroupEx` (R13, R15–R17).
    MoveGroup {
        /// None = unknown name.
        group: Option<usize>,
        /// Destination.
        dest: Dest,
        /// Raw client bits.
        flags: u32,
    },
    /// `CancelGroupOperation` (R18).
    CancelGroupOperation {
        /// None = unknown name.
        group: Option<usize>,
        /// Must be 0.
        reserved: u32,
    },
    /// A direct call of a node's OfflineV2 export; the host is not told (SPEC §7).
    RawOfflineV2 {
        /// Declared node.
        node: u8,
        /// Which RESID.
        resid: ResidArg,
        /// DestinationNodeName.
        dest: DestArg,
        /// Raw OfflineFlags.
        flags: u32,
        /// InBuffer is NULL.
        inbuf_null: bool,
        /// InBufferSize.
        inbuf_size: u32,
        /// Reserved.
        reserved: u32,
    },
    /// Pending offline work ends well.
    CompleteOffline(usize),
    /// Pending offline work fails.
    FailOffline(usize),
    /// Pending online work ends well.
    CompleteOnline(usize),
    /// Pending online work fails.
    FailOnline(usize),
    /// Logical time advances (R16, R19, R22).
    Tick(u64),
    /// `lock`.
    Lock(usize),
    /// `unlock`.
    Unlock(usize),
    /// `busy`.
    Busy(usize),
    /// `unbusy`.
    Unbusy(usize),
    /// `net_down` (both directions).
    NetDown(u8, u8),
    /// `net_up`.
    NetUp(u8, u8),
    /// `crash_node` (R20).
    CrashNode(u8),
    /// `start_node` (R20).
    StartNode(u8),
    /// `embedded_failure` (R21).
    EmbeddedFailure(usize),
    /// `inject_panic` (R8).
    InjectPanic(usize),
}

impl Action {
    /// A client call (counts against the call budget).
    #[must_use]
    pub fn is_call(&self) -> bool {
        matches!(
            self,
            Self::OfflineResource { .. }
                | Self::OnlineResource { .. }
                | Self::MoveGroup { .. }
                | Self::CancelGroupOperation { .. }
                | Self::RawOfflineV2 { .. }
        )
    }
    /// A fault (counts against the fault budget); heals and work completions are free.
    #[must_use]
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Self::FailOffline(_)
                | Self::FailOnline(_)
                | Self::Lock(_)
                | Self::Busy(_)
                | Self::NetDown(..)
                | Self::CrashNode(_)
                | Self::EmbeddedFailure(_)
                | Self::InjectPanic(_)
        )
    }
}

/// The initial state of a configuration (D4: every resource opened on its group's owner, in
/// the state named by its persistent field; all nodes Up).
#[must_use]
pub fn initial_state(cfg: &ModelConfig) -> State {
    let su = &cfg.setup;
    let n = su.nodes.len();
    let shape: Vec<usize> = su.groups.iter().map(|g| g.resources.len()).collect();
    let mut dll: Vec<crate::state::Dll> = (0..n)
        .map(|_| crate::state::Dll {
            res: shape.iter().map(|&k| vec![None; k]).collect(),
            armed: shape.iter().map(|&k| vec![false; k]).collect(),
        })
        .collect();
    let mut groups = Vec::new();
    for (g, gs) in su.groups.iter().enumerate() {
        let owner = gs.owner.min(n.saturating_sub(1));
        let res = gs
            .resources
            .iter()
            .map(|r| crate::state::HostRes {
                state: r.persistent.target(),
                persistent: r.persistent,
                locked: false,
            })
            .collect::<Vec<_>>();
        for (i, r) in gs.resources.iter().enumerate() {
            dll[owner].res[g][i] = Some(DllRes {
                state: r.persistent.target(),
            });
        }
        groups.push(crate::state::GroupSt {
            owner: u8::try_from(owner).unwrap_or(0),
            job: None,
            queued: 0,
            call: None,
            res,
            last_done: None,
        });
    }
    // Groups are interchangeable (M5) when their declared shape is equal.
    let mut classes: Vec<Vec<(Persist, WorkMode, WorkMode)>> = Vec::new();
    let group_class = su
        .groups
        .iter()
        .map(|gs| {
            let key: Vec<_> = gs
                .resources
                .iter()
                .map(|r| (r.persistent, r.offline, r.online))
                .collect();
            let pos = classes.iter().position(|c| *c == key).unwrap_or_else(|| {
                classes.push(key);
                classes.len() - 1
            });
            u8::try_from(pos).unwrap_or(u8::MAX)
        })
        .collect();
    State {
        up: vec![true; n],
        dll,
        groups,
        locked: shape.iter().map(|&k| vec![false; k]).collect(),
        busy: shape.iter().map(|&k| vec![false; k]).collect(),
        links_down: Vec::new(),
        now: 0,
        ops: Vec::new(),
        last_offline: vec![vec![None; shape.len()]; n],
        intent: su
            .groups
            .iter()
            .map(|g| g.resources.iter().map(|r| r.persistent).collect())
            .collect(),
        rejected_changed: false,
        witness: 0,
        calls_left: cfg.bounds.calls,
        faults_left: cfg.bounds.faults,
        sym: crate::state::Sym {
            group_class,
            nodes: cfg.node_symmetry_sound(),
        },
    }
}

/// Applies ANY action to a state (total: an event with nothing to act on changes nothing but
/// the exploration budget) and returns the new state and what an outside observer sees, in
/// order (D5).
#[must_use]
pub fn step(cfg: &ModelConfig, state: &State, action: &Action) -> (State, Vec<Observation>) {
    let mut cx = Cx {
        cfg,
        s: state.clone(),
        obs: Vec::new(),
    };
    if action.is_call() {
        let (code, op) = cx.call(action);
        let accepted = code == ERROR_IO_PENDING || code == ERROR_SUCCESS;
        if let Action::RawOfflineV2 { .. } = action {
            // A raw call changes the DLL side only; its rejections are R1/R2, not R13.
        } else if !accepted && cx.s != *state {
            // R13: a rejected call changes nothing at all (ghost, checked by a property).
            cx.s.rejected_changed = true;
        }
        cx.obs.insert(0, Observation::Returned { code, op });
        cx.s.calls_left = cx.s.calls_left.saturating_sub(1);
    } else {
        cx.event(action);
        if action.is_fault() {
            cx.s.faults_left = cx.s.faults_left.saturating_sub(1);
        }
    }
    (cx.s, cx.obs)
}

/// The transition context: the state being built and the observations so far.
struct Cx<'a> {
    cfg: &'a ModelConfig,
    s: State,
    obs: Vec<Observation>,
}

fn idx(x: u8) -> usize {
    usize::from(x)
}

fn u8_of(x: usize) -> u8 {
    u8::try_from(x).unwrap_or(u8::MAX)
}

impl Cx<'_> {
    fn bug(&self, b: Bug) -> bool {
        self.cfg.bug == b
    }

    fn res_of(&self, global: usize) -> Option<ResRef> {
        let (g, i) = self.cfg.setup.locate(global)?;
        (g < self.s.groups.len() && i < self.s.groups[g].res.len()).then(|| ResRef {
            g: u8_of(g),
            i: u8_of(i),
        })
    }

    fn global(&self, r: ResRef) -> usize {
        self.cfg.setup.global(idx(r.g), idx(r.i))
    }

    fn node_ok(&self, n: u8) -> bool {
        idx(n) < self.s.up.len()
    }

    fn rr(g: usize, i: usize) -> ResRef {
        ResRef {
            g: u8_of(g),
            i: u8_of(i),
        }
    }

    fn nres(&self, g: usize) -> usize {
        self.s.groups[g].res.len()
    }

    fn hstate(&self, g: usize, i: usize) -> RState {
        self.s.groups[g].res[i].state
    }

    fn set_hstate(&mut self, g: usize, i: usize, st: RState) {
        self.s.groups[g].res[i].state = st;
    }

    fn job_mut(&mut self, g: usize) -> Option<&mut Job> {
        self.s.groups[g].job.as_mut()
    }

    // ---------------------------------------------------------------- bookkeeping

    /// R14: an operation completes (exactly once, checked by a property).
    fn complete(&mut self, op: u32, result: u32) {
        if let Some(o) = self.s.ops.get_mut(op as usize) {
            o.completions = o.completions.saturating_add(1);
            o.result = result;
        }
        self.obs.push(Observation::Completed { op, result });
    }

    /// R11: persistent state written durably, before any DLL call it precedes (D5).
    fn write_persistent(&mut self, r: ResRef, p: Persist) {
        self.s.groups[idx(r.g)].res[idx(r.i)].persistent = p;
        let resource = self.global(r);
        self.obs
            .push(Observation::PersistentWrite { resource, state: p });
    }

    fn accept(&mut self, g: usize) -> u32 {
        let op = u32::try_from(self.s.ops.len()).unwrap_or(u32::MAX);
        self.s.ops.push(OpSt {
            group: u8_of(g),
            completions: 0,
            result: 0,
        });
        op
    }

    // ---------------------------------------------------------------- the DLL (R1–R9)

    /// OfflineV2 as the reference DLL implements it, rules in order (R9). Changes the DLL
    /// side only.
    #[allow(clippy::too_many_arguments)]
    fn dll_offline(
        &mut self,
        node: u8,
        r: Option<ResRef>,
        dest: DestArg,
        flags: u32,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> u32 {
        // R1 validation first, no state change on failure.
        let f = flags;
        let has_dest = !matches!(dest, DestArg::None);
        if reserved != 0
            || f & !0x7F != 0
            || (inbuf_null && inbuf_size > 0)
            || (f & 0x08 != 0 && f & 0x02 != 0)
            || (f & 0x0A != 0 && !has_dest)
            || matches!(dest, DestArg::Invalid)
        {
            return ERROR_INVALID_PARAMETER;
        }
        // R2 unknown, closed or forged RESID.
        let Some(r) = r else {
            return ERROR_RESOURCE_NOT_FOUND;
        };
        let n = idx(node);
        let (g, i) = (idx(r.g), idx(r.i));
        let Some(d) = self.s.dll[n].res[g][i] else {
            return ERROR_RESOURCE_NOT_FOUND;
        };
        // R8 an injected panic: ERROR_GEN_FAILURE, the resource Failed (D20: armed on this
        // instance, fired once).
        if self.s.dll[n].armed[g][i] {
            self.s.dll[n].armed[g][i] = false;
            self.s.dll[n].res[g][i] = Some(DllRes {
                state: RState::Failed,
            });
            return ERROR_GEN_FAILURE;
        }
        let set = |cx: &mut Self, st: RState| {
            cx.s.dll[n].res[g][i] = Some(DllRes { state: st });
        };
        // R3 state checks.
        match d.state {
            RState::Offline => return ERROR_SUCCESS,
            RState::OfflinePending => return ERROR_IO_PENDING,
            RState::OnlinePending => return ERROR_INVALID_STATE,
            RState::Failed => {
                set(self, RState::Offline);
                return ERROR_SUCCESS;
            }
            RState::Online => {}
        }
        // R4 locked without IGNORE.
        if self.s.locked[g][i] && f & 0x01 == 0 && !self.bug(Bug::DllIgnoresLock) {
            return ERROR_CLUSTER_RESOURCE_LOCKED_STATUS;
        }
        // R5 a move offline to an unreachable destination without 0x20.
        if let DestArg::Valid(to) = dest {
            if f & 0x08 == 0 && f & 0x20 == 0 && !self.s.link_up(node, to) {
                return ERROR_HOST_UNREACHABLE;
            }
        }
        // R6 busy without IGNORE.
        if self.s.busy[g][i] && f & 0x01 == 0 {
            return ERROR_RETRY;
        }
        // R7 start going offline.
        match self.cfg.setup.resource(g, i).offline {
            WorkMode::Sync => {
                set(self, RState::Offline);
                ERROR_SUCCESS
            }
            WorkMode::Pending => {
                set(self, RState::OfflinePending);
                ERROR_IO_PENDING
            }
        }
    }

    /// OnlineV2 as the reference DLL implements it (R7, R8; locks and busy ignored, R9).
    fn dll_online(&mut self, node: u8, r: ResRef) -> u32 {
        let (n, g, i) = (idx(node), idx(r.g), idx(r.i));
        // R2
        let Some(d) = self.s.dll[n].res[g][i] else {
            return ERROR_RESOURCE_NOT_FOUND;
        };
        // R8 (D20)
        if self.s.dll[n].armed[g][i] {
            self.s.dll[n].armed[g][i] = false;
            self.s.dll[n].res[g][i] = Some(DllRes {
                state: RState::Failed,
            });
            return ERROR_GEN_FAILURE;
        }
        // R7
        match d.state {
            RState::Online => ERROR_SUCCESS,
            RState::OnlinePending => ERROR_IO_PENDING,
            RState::OfflinePending => ERROR_INVALID_STATE,
            RState::Offline | RState::Failed => {
                let (st, code) = match self.cfg.setup.resource(g, i).online {
                    WorkMode::Sync => (RState::Online, ERROR_SUCCESS),
                    WorkMode::Pending => (RState::OnlinePending, ERROR_IO_PENDING),
                };
                self.s.dll[n].res[g][i] = Some(DllRes { state: st });
                code
            }
        }
    }

    // ---------------------------------------------------------------- host → DLL calls

    /// The host calls OfflineV2 on the group's owner (R12 flags computed by the caller) and
    /// updates its view from the answer (R7, D16).
    fn host_offline(&mut self, g: usize, i: usize, flags: u8, dest: Option<u8>, p: Purpose) -> u32 {
        let node = self.s.groups[g].owner;
        let r = Self::rr(g, i);
        let prior = self
            .s
            .dll(idx(node), r)
            .map_or(RState::Offline, |d| d.state);
        let locked = self.s.locked[g][i];
        let darg = dest.map_or(DestArg::None, DestArg::Valid);
        let code = self.dll_offline(node, Some(r), darg, u32::from(flags), false, 0, 0);
        let resource = self.global(r);
        self.obs.push(Observation::Call {
            node,
            entry: Entry::OfflineV2,
            resource,
            dest,
            flags,
            result: code,
        });
        self.s.last_offline[idx(node)][g] = Some(OfflineRec {
            res: r,
            flags,
            dest,
            purpose: p,
            result: code,
            locked,
            prior,
        });
        if flags & oflags::IGNORE_NET != 0 && self.cfg.witnesses {
            self.s.witness |= witness::FORCED_NET;
        }
        match code {
            ERROR_SUCCESS => self.set_hstate(g, i, RState::Offline),
            ERROR_IO_PENDING => {
                self.set_hstate(g, i, RState::OfflinePending);
                self.start_call(g, i, false);
            }
            ERROR_GEN_FAILURE => self.set_hstate(g, i, RState::Failed), // D16
            _ => {}
        }
        code
    }

    fn start_call(&mut self, g: usize, i: usize, online: bool) {
        let phase = self.s.groups[g].job.map_or(Phase::UserCall, |j| j.phase);
        self.s.groups[g].call = Some(HostCall {
            res: u8_of(i),
            online,
            started: self.s.now,
            phase,
        });
    }

    /// The host calls OnlineV2 on the group's owner (R7); any error answer leaves the
    /// resource Failed in the host view (D16, M1).
    fn host_online(&mut self, g: usize, i: usize) -> u32 {
        let node = self.s.groups[g].owner;
        let r = Self::rr(g, i);
        let code = self.dll_online(node, r);
        let resource = self.global(r);
        self.obs.push(Observation::Call {
            node,
            entry: Entry::OnlineV2,
            resource,
            dest: None,
            flags: 0,
            result: code,
        });
        match code {
            ERROR_SUCCESS => self.set_hstate(g, i, RState::Online),
            ERROR_IO_PENDING => {
                self.set_hstate(g, i, RState::OnlinePending);
                self.start_call(g, i, true);
            }
            _ => self.set_hstate(g, i, RState::Failed),
        }
        code
    }

    /// Terminate on the owner (D16): Offline (or Failed after an online timeout, R19), any
    /// pending work dropped.
    fn host_terminate(&mut self, g: usize, i: usize, failed: bool) {
        let node = self.s.groups[g].owner;
        let st = if failed {
            RState::Failed
        } else {
            RState::Offline
        };
        if let Some(d) = self.s.dll[idx(node)].res[g][i].as_mut() {
            d.state = st;
        }
        self.set_hstate(g, i, st);
        let resource = self.cfg.setup.global(g, i);
        self.obs.push(Observation::Call {
            node,
            entry: Entry::Terminate,
            resource,
            dest: None,
            flags: 0,
            result: ERROR_SUCCESS,
        });
    }

    /// D10: Close on `from` (if Up), Open on `to` for each resource in declaration order;
    /// ownership passes to `to`. OpenV2 reports a lock at once (D3).
    fn transfer(&mut self, g: usize, from: u8, to: u8) {
        if self.s.up[idx(from)] {
            for i in 0..self.nres(g) {
                if self.s.dll[idx(from)].res[g][i].take().is_some() {
                    let resource = self.cfg.setup.global(g, i);
                    self.obs.push(Observation::Call {
                        node: from,
                        entry: Entry::Close,
                        resource,
                        dest: None,
                        flags: 0,
                        result: ERROR_SUCCESS,
                    });
                }
            }
        }
        self.open_all(g, to);
        self.s.groups[g].owner = to;
    }

    fn open_all(&mut self, g: usize, to: u8) {
        for i in 0..self.nres(g) {
            let st = self.hstate(g, i);
            self.s.dll[idx(to)].res[g][i] = Some(DllRes {
                state: if st == RState::Failed {
                    RState::Failed
                } else {
                    RState::Offline
                },
            });
            self.s.groups[g].res[i].locked = self.s.locked[g][i]; // D3
            let resource = self.cfg.setup.global(g, i);
            self.obs.push(Observation::Call {
                node: to,
                entry: Entry::Open,
                resource,
                dest: None,
                flags: 0,
                result: ERROR_SUCCESS,
            });
        }
    }

    // ---------------------------------------------------------------- client calls (R13)

    fn call(&mut self, a: &Action) -> (u32, Option<u32>) {
        match *a {
            Action::OfflineResource {
                resource, flags, ..
            } => self.offline_resource(resource, flags),
            Action::OnlineResource { resource } => self.online_resource(resource),
            Action::MoveGroup { group, dest, flags } => self.move_group(group, dest, flags),
            Action::CancelGroupOperation { group, reserved } => {
                (self.cancel(group, reserved), None)
            }
            Action::RawOfflineV2 {
                node,
                resid,
                dest,
                flags,
                inbuf_null,
                inbuf_size,
                reserved,
            } => (
                self.raw(node, resid, dest, flags, inbuf_null, inbuf_size, reserved),
                None,
            ),
            _ => (ERROR_INVALID_PARAMETER, None),
        }
    }

    /// OfflineResourceEx (R13 checks in order, R11, D6, D8, R19 FORCE).
    fn offline_resource(&mut self, resource: Option<usize>, flags: u32) -> (u32, Option<u32>) {
        // R13.1 bad flag bits
        if flags & !(of::IGNORE | of::FORCE | of::DNU) != 0 {
            return (ERROR_INVALID_PARAMETER, None);
        }
        // R13.2 unknown resource
        let Some(r) = resource.and_then(|x| self.res_of(x)) else {
            return (ERROR_RESOURCE_NOT_FOUND, None);
        };
        let (g, i) = (idx(r.g), idx(r.i));
        // R13.3 queued, R13.4 held
        if self.s.queued(g) {
            return (ERROR_CLUSTER_GROUP_QUEUED, None);
        }
        if self.s.held(g) {
            return (ERROR_INVALID_STATE, None);
        }
        let dnu = flags & of::DNU != 0;
        let ignore = flags & of::IGNORE != 0;
        // R13.5 nothing to do: still records persistent Offline unless DNU (R11 b, D8).
        if self.hstate(g, i) == RState::Offline {
            if !dnu {
                self.write_persistent(r, Persist::Offline);
                self.s.intent[g][i] = Persist::Offline;
            }
            return (ERROR_SUCCESS, None);
        }
        // R13.7 locked without IGNORE (FORCE included, Failed included).
        if self.s.groups[g].res[i].locked && !ignore {
            return (ERROR_CLUSTER_RESOURCE_LOCKED_STATUS, None);
        }
        let op = self.accept(g);
        // R11 (b): written before the DLL is called, kept whatever the DLL says.
        if !dnu {
            self.write_persistent(r, Persist::Offline);
            self.s.intent[g][i] = Persist::Offline;
        }
        if flags & of::FORCE != 0 {
            // R19 FORCE_WITH_TERMINATION: Terminate directly, done at once (D6).
            self.host_terminate(g, i, false);
            self.complete(op, ERROR_SUCCESS);
            self.s.groups[g].last_done = Some(Done::User);
            return (ERROR_IO_PENDING, Some(op));
        }
        // D6 / R12: 0x01 iff IGNORE, 0x40 iff DNU, no destination.
        let f = if ignore { oflags::IGNORE } else { 0 } | if dnu { oflags::DNU } else { 0 };
        self.s.groups[g].job = Some(Job {
            op: Some(op),
            ignore,
            kind: JobKind::Offline { res: u8_of(i) },
            phase: Phase::UserCall,
            cursor: 0,
            result: ERROR_SUCCESS,
            forced: false,
            last_attempt: 0,
        });
        let code = self.host_offline(g, i, f, None, Purpose::User { ignore, dnu });
        match code {
            ERROR_SUCCESS => self.finish(g),
            ERROR_IO_PENDING => {}
            // R23: an error answer completes the operation with that code.
            c => {
                if let Some(j) = self.job_mut(g) {
                    j.result = c;
                }
                self.finish(g);
            }
        }
        (ERROR_IO_PENDING, Some(op))
    }

    /// OnlineResourceEx (R13, R11 a, R23, D7).
    fn online_resource(&mut self, resource: Option<usize>) -> (u32, Option<u32>) {
        let Some(r) = resource.and_then(|x| self.res_of(x)) else {
            return (ERROR_RESOURCE_NOT_FOUND, None);
        };
        let (g, i) = (idx(r.g), idx(r.i));
        if self.bug(Bug::RejectedOnlineWritesPersistent) && self.s.held(g) {
            self.write_persistent(r, Persist::Online);
            self.s.intent[g][i] = Persist::Online;
        }
        if self.s.queued(g) {
            return (ERROR_CLUSTER_GROUP_QUEUED, None);
        }
        if self.s.held(g) {
            return (ERROR_INVALID_STATE, None);
        }
        // R13.5 nothing to do: writes persistent Online (R11 a, D8).
        if self.hstate(g, i) == RState::Online {
            self.write_persistent(r, Persist::Online);
            self.s.intent[g][i] = Persist::Online;
            return (ERROR_SUCCESS, None);
        }
        let op = self.accept(g);
        self.write_persistent(r, Persist::Online); // R23: durably, first
        self.s.intent[g][i] = Persist::Online;
        self.s.groups[g].job = Some(Job {
            op: Some(op),
            ignore: false,
            kind: JobKind::Online { res: u8_of(i) },
            phase: Phase::UserCall,
            cursor: 0,
            result: ERROR_SUCCESS,
            forced: false,
            last_attempt: 0,
        });
        match self.host_online(g, i) {
            ERROR_SUCCESS => self.finish(g),
            ERROR_IO_PENDING => {}
            c => {
                if let Some(j) = self.job_mut(g) {
                    j.result = c;
                }
                self.finish(g);
            }
        }
        (ERROR_IO_PENDING, Some(op))
    }

    /// MoveGroupEx (R13 checks 1–7 in order, R15).
    fn move_group(&mut self, group: Option<usize>, dest: Dest, flags: u32) -> (u32, Option<u32>) {
        // R13.1 bad bits, FAILBACK
        if flags & !(mf::IGNORE | mf::RTS | mf::QUEUE | mf::HIGH_PRIORITY) != 0 {
            return (ERROR_INVALID_PARAMETER, None);
        }
        // R13.2 unknown group, unknown node
        let Some(g) = group.filter(|&g| g < self.s.groups.len()) else {
            return (ERROR_GROUP_NOT_FOUND, None);
        };
        let dest = match dest {
            Dest::Node(d) if !self.node_ok(d) => Dest::Unknown,
            x => x,
        };
        if dest == Dest::Unknown {
            return (ERROR_CLUSTER_NODE_NOT_FOUND, None);
        }
        // R13.3 queued
        if self.s.queued(g) {
            if self.bug(Bug::SecondQueuedMove) {
                self.s.groups[g].queued += 1;
                let op = self.accept(g);
                return (ERROR_IO_PENDING, Some(op));
            }
            return (ERROR_CLUSTER_GROUP_QUEUED, None);
        }
        // R13.4 held
        if self.s.held(g) {
            return (ERROR_INVALID_STATE, None);
        }
        let owner = self.s.groups[g].owner;
        // R13.5 destination = owner
        if dest == Dest::Node(owner) {
            return (ERROR_SUCCESS, None);
        }
        // R13.6 destination Down; null: first Up node after the owner, wrapping, never it.
        let dst = match dest {
            Dest::Node(d) => {
                if !self.s.up[idx(d)] {
                    return (ERROR_CLUSTER_NODE_DOWN, None);
                }
                d
            }
            _ => {
                let n = self.s.up.len();
                let pick = (1..n).map(|k| (idx(owner) + k) % n).find(|&c| self.s.up[c]);
                match pick {
                    Some(c) => u8_of(c),
                    None => return (ERROR_CLUSTER_NODE_DOWN, None),
                }
            }
        };
        // R13.7 a locked resource that is not Offline or Failed, without IGNORE.
        let ignore = flags & mf::IGNORE != 0;
        let locked = self.s.groups[g]
            .res
            .iter()
            .any(|h| h.locked && !matches!(h.state, RState::Offline | RState::Failed));
        if locked && !ignore {
            return (ERROR_CLUSTER_RESOURCE_LOCKED_STATUS, None);
        }
        let op = self.accept(g);
        self.s.groups[g].job = Some(Job {
            op: Some(op),
            ignore,
            kind: JobKind::Move {
                src: owner,
                dst,
                rts: flags & mf::RTS != 0,
                queue: flags & mf::QUEUE != 0,
                returned: false,
            },
            phase: Phase::FirstLeg,
            cursor: 0,
            result: ERROR_SUCCESS,
            forced: false,
            last_attempt: 0,
        });
        self.drive(g); // R15
        (ERROR_IO_PENDING, Some(op))
    }

    /// CancelGroupOperation (R18, D12).
    fn cancel(&mut self, group: Option<usize>, reserved: u32) -> u32 {
        if reserved != 0 {
            return ERROR_INVALID_PARAMETER;
        }
        let Some(g) = group.filter(|&g| g < self.s.groups.len()) else {
            return ERROR_GROUP_NOT_FOUND;
        };
        if !self.s.queued(g) {
            return ERROR_INVALID_STATE;
        }
        self.s.groups[g].queued = 0;
        let twice = self.bug(Bug::CancelCompletesTwice);
        let op = self.s.groups[g].job.and_then(|j| j.op);
        if let Some(j) = self.job_mut(g) {
            j.result = ERROR_CANCELLED;
            j.phase = Phase::Settle; // D13: back to persistent state on S
            j.cursor = 0;
            j.forced = false;
        }
        if twice {
            if let Some(op) = op {
                self.complete(op, ERROR_CANCELLED);
            }
        }
        self.drive(g);
        ERROR_SUCCESS
    }

    /// `raw_offline_v2`: the node's DLL export directly; the host is not told (SPEC §7).
    #[allow(clippy::too_many_arguments)]
    fn raw(
        &mut self,
        node: u8,
        resid: ResidArg,
        dest: DestArg,
        flags: u32,
        inbuf_null: bool,
        inbuf_size: u32,
        reserved: u32,
    ) -> u32 {
        if !self.node_ok(node) {
            return ERROR_CLUSTER_NODE_NOT_FOUND;
        }
        if !self.s.up[idx(node)] {
            return ERROR_CLUSTER_NODE_DOWN;
        }
        let r = match resid {
            ResidArg::Held(x) => self
                .res_of(x)
                .filter(|&r| self.s.dll(idx(node), r).is_some()),
            ResidArg::Forged => None,
        };
        let dest = match dest {
            DestArg::Valid(d) if !self.node_ok(d) => DestArg::Invalid,
            x => x,
        };
        let before = self.s.dll[idx(node)].clone();
        let code = self.dll_offline(node, r, dest, flags, inbuf_null, inbuf_size, reserved);
        if self.s.dll[idx(node)] != before && self.cfg.witnesses {
            self.s.witness |= witness::RAW_CHANGED;
        }
        // R8: an injected panic's Failed report is a status callback like any other.
        if code == ERROR_GEN_FAILURE {
            if let Some(r) = r {
                self.callback(node, r, RState::Failed, ERROR_GEN_FAILURE);
            }
        }
        code
    }

    // ---------------------------------------------------------------- events (SPEC §7)

    fn event(&mut self, a: &Action) {
        match *a {
            Action::CompleteOffline(x) => self.work(x, RState::OfflinePending, RState::Offline),
            Action::FailOffline(x) => self.work(x, RState::OfflinePending, RState::Failed),
            Action::CompleteOnline(x) => self.work(x, RState::OnlinePending, RState::Online),
            Action::FailOnline(x) => self.work(x, RState::OnlinePending, RState::Failed),
            Action::Tick(ms) => self.tick(ms),
            Action::Lock(x) | Action::Unlock(x) => {
                // D2, D3: every Up instance is told; the holder reports to the host at once.
                let Some(r) = self.res_of(x) else { return };
                let (g, i) = (idx(r.g), idx(r.i));
                let on = matches!(a, Action::Lock(_));
                self.s.locked[g][i] = on;
                let owner = self.s.owner(g);
                if self.s.up[owner] && self.s.dll(owner, r).is_some() {
                    self.s.groups[g].res[i].locked = on;
                }
            }
            Action::Busy(x) | Action::Unbusy(x) => {
                let Some(r) = self.res_of(x) else { return };
                self.s.busy[idx(r.g)][idx(r.i)] = matches!(a, Action::Busy(_)); // R6, D2
            }
            Action::NetDown(a1, b1) | Action::NetUp(a1, b1) => {
                if a1 == b1 || !self.node_ok(a1) || !self.node_ok(b1) {
                    return;
                }
                let key = (a1.min(b1), a1.max(b1)); // R5: a link, both directions
                self.s.links_down.retain(|&k| k != key);
                if matches!(a, Action::NetDown(..)) {
                    self.s.links_down.push(key);
                    self.s.links_down.sort_unstable();
                }
            }
            Action::CrashNode(n) => self.crash(n),
            Action::StartNode(n) => self.start(n),
            Action::EmbeddedFailure(x) => self.embedded(x),
            Action::InjectPanic(x) => {
                // D2: the owner's instance only, ignored if the owner is Down.
                let Some(r) = self.res_of(x) else { return };
                let owner = self.s.owner(idx(r.g));
                if self.s.up[owner] {
                    self.s.dll[owner].armed[idx(r.g)][idx(r.i)] = true; // D20
                }
            }
            _ => {}
        }
    }

    /// `complete_*` / `fail_*`: the Up instance that has such pending work acts (D2, R7).
    fn work(&mut self, x: usize, pending: RState, to: RState) {
        let Some(r) = self.res_of(x) else { return };
        let holder = (0..self.s.up.len())
            .find(|&n| self.s.up[n] && self.s.dll(n, r).is_some_and(|d| d.state == pending));
        let Some(n) = holder else { return };
        if let Some(d) = self.s.dll[n].res[idx(r.g)][idx(r.i)].as_mut() {
            d.state = to;
        }
        let code = if to == RState::Failed {
            ERROR_GEN_FAILURE
        } else {
            ERROR_SUCCESS
        };
        self.callback(u8_of(n), r, to, code);
    }

    /// A status callback (R7): ends the host's outstanding call on that resource, whichever
    /// call started the work; otherwise unsolicited and ignored (R20).
    fn callback(&mut self, node: u8, r: ResRef, status: RState, code: u32) {
        let g = idx(r.g);
        if self.s.groups[g].owner != node || !self.s.up[idx(node)] {
            return;
        }
        match self.s.groups[g].call {
            Some(c) if c.res == r.i => self.call_ended(g, status, code),
            _ => {}
        }
    }

    /// The outstanding host call of group `g` ended with `status` (callback or R19 timeout).
    fn call_ended(&mut self, g: usize, status: RState, code: u32) {
        let Some(call) = self.s.groups[g].call.take() else {
            return;
        };
        let i = idx(call.res);
        self.set_hstate(g, i, status);
        let Some(job) = self.s.groups[g].job else {
            return;
        };
        let mine = call.phase == job.phase;
        match job.phase {
            Phase::UserCall => {
                let ok = if call.online {
                    status == RState::Online
                } else {
                    status == RState::Offline
                };
                if let Some(j) = self.job_mut(g) {
                    j.result = if ok { ERROR_SUCCESS } else { code };
                }
                self.finish(g);
                return;
            }
            Phase::FirstLeg if mine => {
                if status == RState::Offline {
                    self.advance(g, i); // R15 / R19: a timed-out offline counts as done
                } else {
                    self.abort(g, code); // D11: fail_offline aborts the move
                }
            }
            Phase::DestOnline if mine => {
                if status == RState::Online {
                    self.advance(g, i);
                } else {
                    self.online_failed(g, i, code); // R17
                }
            }
            Phase::ReturnLeg | Phase::Settle if mine => self.advance(g, i), // R17, D13: goes on
            Phase::RestartOffline => {
                if status == RState::Offline {
                    if let Some(j) = self.job_mut(g) {
                        j.phase = Phase::RestartOnline;
                    }
                } else {
                    self.finish(g);
                }
            }
            Phase::RestartOnline => self.finish(g),
            _ => {}
        }
        self.drive(g);
    }

    fn advance(&mut self, g: usize, i: usize) {
        if let Some(j) = self.job_mut(g) {
            j.cursor = u8_of(i + 1);
            j.forced = false;
        }
    }

    /// D11: the first leg stops; the group returns to its persistent state on S, then the
    /// move completes with `code`.
    fn abort(&mut self, g: usize, code: u32) {
        if let Some(j) = self.job_mut(g) {
            j.result = code;
            j.phase = Phase::Settle;
            j.cursor = 0;
            j.forced = false;
        }
    }

    /// R17: the first failure on D decides.
    fn online_failed(&mut self, g: usize, i: usize, code: u32) {
        if let Some(j) = self.job_mut(g) {
            if j.result == ERROR_SUCCESS {
                j.result = code;
            }
            j.cursor = u8_of(i + 1);
            if let JobKind::Move {
                rts: true,
                returned,
                ..
            } = &mut j.kind
            {
                *returned = true; // D14: return to source
                j.phase = Phase::ReturnLeg;
                j.cursor = 0;
            }
        }
    }

    /// R19 timeouts, then R16 retries, per group in declaration order (D15).
    fn tick(&mut self, ms: u64) {
        let frozen = self.bug(Bug::RetryNeverFires) && self.s.groups.iter().any(|g| g.queued > 0);
        if !frozen {
            self.s.now = self.s.now.saturating_add(ms);
        }
        for g in 0..self.s.groups.len() {
            if let Some(c) = self.s.groups[g].call {
                if self.s.now.saturating_sub(c.started) >= self.cfg.setup.pending_timeout {
                    if self.cfg.witnesses {
                        self.s.witness |= witness::TIMEOUT_TERMINATE;
                    }
                    let i = idx(c.res);
                    if c.online {
                        // R19: Terminate, Failed (host and DLL), ERROR_TIMEOUT.
                        self.host_terminate(g, i, true);
                        self.call_ended(g, RState::Failed, ERROR_TIMEOUT);
                    } else {
                        // R19: Terminate, Offline, as if the offline had succeeded.
                        self.host_terminate(g, i, false);
                        self.call_ended(g, RState::Offline, ERROR_SUCCESS);
                    }
                }
            }
            let Some(j) = self.s.groups[g].job else {
                continue;
            };
            if j.phase == Phase::Queued
                && !frozen
                && self.s.now >= j.last_attempt.saturating_add(self.cfg.setup.retry_interval)
            {
                // R16, D12: re-call OfflineV2 once on the resource that answered RETRY.
                if self.cfg.witnesses {
                    self.s.witness |= witness::RETRIED;
                }
                self.s.groups[g].queued = 0;
                if let Some(j) = self.job_mut(g) {
                    j.phase = Phase::FirstLeg;
                }
                self.first_leg_call(g, idx(j.cursor));
                self.drive(g);
            }
        }
    }

    /// R20, D17: a node goes Down.
    fn crash(&mut self, n: u8) {
        if !self.node_ok(n) || !self.s.up[idx(n)] {
            return;
        }
        let ni = idx(n);
        self.s.up[ni] = false;
        for g in self.s.dll[ni].res.iter_mut() {
            g.iter_mut().for_each(|x| *x = None); // the instance is reset
        }
        for g in self.s.dll[ni].armed.iter_mut() {
            g.iter_mut().for_each(|x| *x = false); // D20: a reset disarms
        }
        let affected: Vec<usize> = (0..self.s.groups.len())
            .filter(|&g| {
                let gs = &self.s.groups[g];
                let touches = matches!(gs.job, Some(Job { kind: JobKind::Move { src, dst, .. }, .. }) if src == n || dst == n);
                (gs.owner == n && !self.bug(Bug::CrashLosesOwner)) || touches
            })
            .collect();
        // First every operation touching the node completes at once with NODE_DOWN, in group
        // declaration order; then the affected groups are recovered (R20 "Then").
        for &g in &affected {
            if let Some(op) = self.s.groups[g].job.and_then(|j| j.op) {
                if !self.bug(Bug::CrashForgetsCompletion) {
                    self.complete(op, ERROR_CLUSTER_NODE_DOWN);
                }
            }
        }
        for &g in &affected {
            let gs = &self.s.groups[g];
            let job = gs.job;
            let owned = gs.owner == n;
            // Ghost: a DO_NOT_UPDATE offline left a persistent-Online resource Offline.
            let dnu_left = job.is_none()
                && gs
                    .res
                    .iter()
                    .any(|h| h.state == RState::Offline && h.persistent == Persist::Online);
            if dnu_left && self.cfg.witnesses && owned {
                self.s.witness |= witness::DNU_OFFLINE;
            }
            let ignore = job.is_some_and(|j| j.ignore);
            // During a move with RTS whose destination died after ownership passed: to S.
            let prefer = match job {
                Some(Job {
                    kind:
                        JobKind::Move {
                            src,
                            dst,
                            rts: true,
                            ..
                        },
                    phase: Phase::DestOnline | Phase::ReturnLeg,
                    ..
                }) if dst == n && owned && self.s.up[idx(src)] => Some(src),
                _ => None,
            };
            self.s.groups[g].queued = 0;
            let mut rec = Job {
                op: None,
                ignore,
                kind: JobKind::Recover,
                phase: Phase::Settle,
                cursor: 0,
                result: ERROR_SUCCESS,
                forced: false,
                last_attempt: 0,
            };
            if owned {
                // Every resource it owned is Offline in the host view; its calls are gone.
                self.s.groups[g].call = None;
                for h in self.s.groups[g].res.iter_mut() {
                    h.state = RState::Offline;
                }
                let first_up = (0..self.s.up.len()).find(|&c| self.s.up[c]).map(u8_of);
                match prefer.or(first_up) {
                    Some(to) => {
                        self.open_all(g, to); // no Close on the dead node
                        self.s.groups[g].owner = to;
                    }
                    None => rec.phase = Phase::WaitNode, // R10: waits, owned by the Down node
                }
            }
            self.s.groups[g].job = Some(rec);
        }
        for g in 0..self.s.groups.len() {
            self.drive(g);
        }
    }

    /// R20, D17: a node starts, empty; waiting groups go to it.
    fn start(&mut self, n: u8) {
        if !self.node_ok(n) || self.s.up[idx(n)] {
            return;
        }
        self.s.up[idx(n)] = true;
        for g in 0..self.s.groups.len() {
            let waiting = matches!(
                self.s.groups[g].job,
                Some(Job {
                    phase: Phase::WaitNode,
                    ..
                })
            );
            if waiting {
                self.open_all(g, n);
                self.s.groups[g].owner = n;
                if let Some(j) = self.job_mut(g) {
                    j.phase = Phase::Settle;
                    j.cursor = 0;
                }
                self.drive(g);
            }
        }
    }

    /// R21, D18: an embedded failure of an Online resource of an idle group.
    fn embedded(&mut self, x: usize) {
        let Some(r) = self.res_of(x) else { return };
        let (g, i) = (idx(r.g), idx(r.i));
        let owner = self.s.owner(g);
        let dll_online = self
            .s
            .dll(owner, r)
            .is_some_and(|d| d.state == RState::Online);
        if !self.s.up[owner]
            || self.hstate(g, i) != RState::Online
            || !dll_online
            || self.s.held(g)
            || self.s.queued(g)
        {
            return;
        }
        if let Some(d) = self.s.dll[owner].res[g][i].as_mut() {
            d.state = RState::Failed; // SignalFailure
        }
        self.set_hstate(g, i, RState::Failed);
        self.s.groups[g].job = Some(Job {
            op: None,
            ignore: false,
            kind: JobKind::Restart { res: u8_of(i) },
            phase: Phase::RestartOffline,
            cursor: u8_of(i),
            result: ERROR_SUCCESS,
            forced: false,
            last_attempt: 0,
        });
        self.drive(g);
    }

    // ---------------------------------------------------------------- the flows

    /// Runs the group's job until it waits (a call outstanding, queued, no node) or ends.
    fn drive(&mut self, g: usize) {
        // Bounded: each pass makes one call or one phase change.
        for _ in 0..(8 * self.nres(g) + 16) {
            if self.s.groups[g].call.is_some() || !self.s.up[self.s.owner(g)] {
                return;
            }
            let Some(job) = self.s.groups[g].job else {
                return;
            };
            let n = self.nres(g);
            let cur = idx(job.cursor);
            match (job.phase, job.kind) {
                (Phase::UserCall | Phase::Queued | Phase::WaitNode, _) => return,
                (Phase::FirstLeg, JobKind::Move { src, dst, .. }) => {
                    // R15, D9: Offline resources are skipped.
                    match (cur..n).find(|&i| self.hstate(g, i) != RState::Offline) {
                        Some(i) => self.first_leg_call(g, i),
                        None => {
                            // D10: ownership passes.
                            self.transfer(g, src, dst);
                            if let Some(j) = self.job_mut(g) {
                                j.phase = Phase::DestOnline;
                                j.cursor = 0;
                            }
                        }
                    }
                }
                (Phase::DestOnline, _) => {
                    let end = if self.bug(Bug::DestSkipsLastResource) {
                        n.saturating_sub(1)
                    } else {
                        n
                    };
                    let next = (cur..end).find(|&i| {
                        self.s.groups[g].res[i].persistent == Persist::Online
                            && self.hstate(g, i) != RState::Online
                    });
                    match next {
                        // D10: bring up resources with persistent Online, in order.
                        Some(i) => match self.host_online(g, i) {
                            ERROR_SUCCESS => self.advance(g, i),
                            ERROR_IO_PENDING => return,
                            c => self.online_failed(g, i, c),
                        },
                        None => self.finish(g),
                    }
                }
                (Phase::ReturnLeg, JobKind::Move { src, dst, .. }) => {
                    match (cur..n).find(|&i| self.hstate(g, i) != RState::Offline) {
                        Some(i) => {
                            // R12, D14: 0x08|0x40 (+0x01), dest = S; never stops.
                            let mut f = oflags::RETURNING | oflags::DNU;
                            if self.bug(Bug::ReturnLegWithoutDnu) {
                                f &= !oflags::DNU;
                            }
                            if job.ignore {
                                f |= oflags::IGNORE;
                            }
                            let p = Purpose::ReturnLeg {
                                ignore: job.ignore,
                                src,
                            };
                            match self.host_offline(g, i, f, Some(src), p) {
                                ERROR_SUCCESS => self.advance(g, i),
                                ERROR_IO_PENDING => return,
                                _ => {
                                    self.host_terminate(g, i, false); // R17: error → Terminate
                                    self.advance(g, i);
                                }
                            }
                        }
                        None => {
                            // D14: back to S, which brings the group to its persistent state.
                            self.transfer(g, dst, src);
                            if let Some(j) = self.job_mut(g) {
                                j.phase = Phase::Settle;
                                j.cursor = 0;
                            }
                        }
                    }
                }
                (Phase::Settle, kind) => {
                    let next = (cur..n).find(|&i| {
                        let h = self.s.groups[g].res[i];
                        h.state != h.persistent.target()
                    });
                    match next {
                        None => {
                            if self.bug(Bug::RecoveryNeverSettles) && kind == JobKind::Recover {
                                return;
                            }
                            self.finish(g);
                        }
                        Some(i) => self.settle_one(g, i, job.ignore),
                    }
                }
                (Phase::RestartOffline, JobKind::Restart { res }) => {
                    // R21: 0x10|0x40, no destination; R3 answers at once.
                    let i = idx(res);
                    let f = oflags::EMBEDDED | oflags::DNU;
                    match self.host_offline(g, i, f, None, Purpose::Embedded) {
                        ERROR_SUCCESS => {
                            if let Some(j) = self.job_mut(g) {
                                j.phase = Phase::RestartOnline;
                            }
                        }
                        ERROR_IO_PENDING => return,
                        _ => self.finish(g), // the online is not tried
                    }
                }
                (Phase::RestartOnline, JobKind::Restart { res }) => {
                    match self.host_online(g, idx(res)) {
                        ERROR_IO_PENDING => return,
                        _ => self.finish(g),
                    }
                }
                _ => return,
            }
        }
    }

    /// One first-leg OfflineV2 call on resource `i` and the reaction to its answer (R12, R16,
    /// D9, D11, D12).
    fn first_leg_call(&mut self, g: usize, i: usize) {
        let Some(job) = self.s.groups[g].job else {
            return;
        };
        let JobKind::Move {
            dst, rts, queue, ..
        } = job.kind
        else {
            return;
        };
        let mut f = oflags::DNU;
        if job.ignore {
            f |= oflags::IGNORE;
        }
        if rts {
            f |= oflags::RTS;
            if self.bug(Bug::FirstLegRtsWithoutDnu) {
                f &= !oflags::DNU;
            }
        }
        if queue {
            f |= oflags::QUEUE;
        }
        if job.forced {
            f |= oflags::IGNORE_NET;
        }
        if self.bug(Bug::MoveUpdatesPersistent) {
            self.write_persistent(Self::rr(g, i), Persist::Offline);
        }
        let p = Purpose::FirstLeg {
            ignore: job.ignore,
            rts,
            queue,
            forced: job.forced,
            dst,
        };
        let code = self.host_offline(g, i, f, Some(dst), p);
        let now = self.s.now;
        match code {
            ERROR_SUCCESS => self.advance(g, i),
            ERROR_IO_PENDING => {
                if let Some(j) = self.job_mut(g) {
                    j.cursor = u8_of(i);
                }
            }
            ERROR_HOST_UNREACHABLE if job.ignore && !job.forced => {
                if let Some(j) = self.job_mut(g) {
                    j.forced = true; // R12 0x20: re-called at once
                    j.cursor = u8_of(i);
                }
            }
            ERROR_RETRY if queue => {
                // R16, D12: queued; retried at ticks.
                self.s.groups[g].queued = 1;
                if let Some(j) = self.job_mut(g) {
                    j.phase = Phase::Queued;
                    j.cursor = u8_of(i);
                    j.last_attempt = now;
                }
            }
            c => self.abort(g, c),
        }
    }

    /// D13: one attempt to bring resource `i` to its persistent state on the owner.
    fn settle_one(&mut self, g: usize, i: usize, ignore: bool) {
        match self.s.groups[g].res[i].persistent {
            Persist::Online => match self.host_online(g, i) {
                ERROR_IO_PENDING => {}
                _ => self.advance(g, i), // success, or Failed: no second try
            },
            Persist::Offline => {
                // R14: 0x40 (+0x01), no destination; never stops.
                let f = oflags::DNU | if ignore { oflags::IGNORE } else { 0 };
                match self.host_offline(g, i, f, None, Purpose::Settle { ignore }) {
                    ERROR_IO_PENDING => {}
                    ERROR_SUCCESS => self.advance(g, i),
                    _ => {
                        self.host_terminate(g, i, false);
                        self.advance(g, i);
                    }
                }
            }
        }
    }

    /// The job is over: the group is settled (R14); complete its operation, if any.
    fn finish(&mut self, g: usize) {
        let Some(job) = self.s.groups[g].job.take() else {
            return;
        };
        let done = match job.kind {
            JobKind::Offline { .. } | JobKind::Online { .. } => Done::User,
            JobKind::Move { .. } => Done::Move,
            JobKind::Recover => Done::Recover,
            JobKind::Restart { .. } => Done::Restart,
        };
        self.s.groups[g].last_done = Some(done);
        if self.cfg.witnesses {
            let all_online = self.s.groups[g]
                .res
                .iter()
                .all(|h| h.state == RState::Online);
            if done == Done::Recover && all_online && self.s.witness & witness::DNU_OFFLINE != 0 {
                self.s.witness |= witness::DNU_THEN_FAILOVER;
            }
            if let JobKind::Move {
                src, dst, returned, ..
            } = job.kind
            {
                let owner = self.s.groups[g].owner;
                if returned && owner == src && all_online {
                    self.s.witness |= witness::RETURN_ONLINE;
                }
                if owner == dst && all_online && job.result == ERROR_SUCCESS {
                    self.s.witness |= witness::MOVED;
                }
            }
            if let JobKind::Restart { res } = job.kind {
                if self.hstate(g, idx(res)) == RState::Online {
                    self.s.witness |= witness::RESTARTED;
                }
            }
        }
        if let Some(op) = job.op {
            self.complete(op, job.result);
        }
    }
}
