//! The model's state: host view, DLL side (per node), environment, ghosts — and the model's own
//! small vocabulary (codes, OfflineV2 flag bits, observations).

/// Windows codes of SPEC §2 as plain `u32`.
pub mod codes {
    /// 0
    pub const ERROR_SUCCESS: u32 = 0;
    /// 31
    pub const ERROR_GEN_FAILURE: u32 = 31;
    /// 87
    pub const ERROR_INVALID_PARAMETER: u32 = 87;
    /// 997
    pub const ERROR_IO_PENDING: u32 = 997;
    /// 1223
    pub const ERROR_CANCELLED: u32 = 1223;
    /// 1232
    pub const ERROR_HOST_UNREACHABLE: u32 = 1232;
    /// 1237
    pub const ERROR_RETRY: u32 = 1237;
    /// 1460
    pub const ERROR_TIMEOUT: u32 = 1460;
    /// 5007
    pub const ERROR_RESOURCE_NOT_FOUND: u32 = 5007;
    /// 5013
    pub const ERROR_GROUP_NOT_FOUND: u32 = 5013;
    /// 5023
    pub const ERROR_INVALID_STATE: u32 = 5023;
    /// 5042
    pub const ERROR_CLUSTER_NODE_NOT_FOUND: u32 = 5042;
    /// 5050
    pub const ERROR_CLUSTER_NODE_DOWN: u32 = 5050;
    /// 5959
    pub const ERROR_CLUSTER_GROUP_QUEUED: u32 = 5959;
    /// 5960
    pub const ERROR_CLUSTER_RESOURCE_LOCKED_STATUS: u32 = 5960;
}

/// OfflineV2 flag bits (SPEC §1) as `u8`.
pub mod oflags {
    /// 0x01 IGNORE_RESOURCE_STATUS
    pub const IGNORE: u8 = 0x01;
    /// 0x02 RETURN_TO_SOURCE_NODE_ON_ERROR
    pub const RTS: u8 = 0x02;
    /// 0x04 QUEUE_ENABLED
    pub const QUEUE: u8 = 0x04;
    /// 0x08 RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR
    pub const RETURNING: u8 = 0x08;
    /// 0x10 DUE_TO_EMBEDDED_FAILURE
    pub const EMBEDDED: u8 = 0x10;
    /// 0x20 IGNORE_NETWORK_CONNECTIVITY
    pub const IGNORE_NET: u8 = 0x20;
    /// 0x40 DO_NOT_UPDATE_PERSISTENT_STATE
    pub const DNU: u8 = 0x40;
}

/// A resource's state (SPEC §3), in the host's or a DLL instance's view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RState {
    /// Offline
    Offline,
    /// OnlinePending
    OnlinePending,
    /// Online
    Online,
    /// OfflinePending
    OfflinePending,
    /// Failed
    Failed,
}

impl RState {
    /// OnlinePending, Online or OfflinePending (R10).
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::OnlinePending | Self::Online | Self::OfflinePending
        )
    }
}

/// Persistent state (the cluster database's intent, R11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Persist {
    /// Online
    Online,
    /// Offline
    Offline,
}

impl Persist {
    /// The resource state that reaches this intent.
    #[must_use]
    pub fn target(self) -> RState {
        match self {
            Self::Online => RState::Online,
            Self::Offline => RState::Offline,
        }
    }
}

/// A resource named by group and position in the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResRef {
    /// Group index.
    pub g: u8,
    /// Index within the group.
    pub i: u8,
}

/// A DLL entry point the host called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entry {
    /// OnlineV2
    OnlineV2,
    /// OfflineV2
    OfflineV2,
    /// Terminate
    Terminate,
    /// OpenV2
    Open,
    /// Close
    Close,
}

/// What an outside observer sees, in order (D5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observation {
    /// The answer of a call action (first).
    Returned {
        /// The code the caller sees.
        code: u32,
        /// The accepted operation, numbered 0,1,2,… in acceptance order.
        op: Option<u32>,
    },
    /// A host → DLL call.
    Call {
        /// Node index.
        node: u8,
        /// Entry point.
        entry: Entry,
        /// Global resource index (declaration order).
        resource: usize,
        /// DestinationNodeName (OfflineV2 only).
        dest: Option<u8>,
        /// OfflineV2 flags (0 otherwise).
        flags: u8,
        /// The DLL's answer (0 for void entries).
        result: u32,
    },
    /// Persistent state written durably (R11).
    PersistentWrite {
        /// Global resource index.
        resource: usize,
        /// The value.
        state: Persist,
    },
    /// An operation completed (R14).
    Completed {
        /// Operation id.
        op: u32,
        /// Result code.
        result: u32,
    },
}

/// Why the host called OfflineV2 — recorded independently of the flags so that the R12
/// property can recompute what the flags must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// OfflineResourceEx (D6).
    User {
        /// Client IGNORE_RESOURCE_STATUS.
        ignore: bool,
        /// Client DO_NOT_UPDATE_PERSISTENT_STATE.
        dnu: bool,
    },
    /// Source-side first leg of a move (D9).
    FirstLeg {
        /// Client IGNORE.
        ignore: bool,
        /// Client RTS.
        rts: bool,
        /// Client QUEUE.
        queue: bool,
        /// Second attempt after HOST_UNREACHABLE with IGNORE (R12 0x20).
        forced: bool,
        /// The destination.
        dst: u8,
    },
    /// Destination-side return leg (D14).
    ReturnLeg {
        /// Client IGNORE.
        ignore: bool,
        /// The source.
        src: u8,
    },
    /// Bringing a resource to persistent Offline outside a user offline (R14, D13).
    Settle {
        /// The operation's client IGNORE.
        ignore: bool,
    },
    /// R21 restart.
    Embedded,
}

/// The last OfflineV2 call the host made on a node (ghost for R4 and R12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfflineRec {
    /// Which resource.
    pub res: ResRef,
    /// Flags passed.
    pub flags: u8,
    /// DestinationNodeName passed.
    pub dest: Option<u8>,
    /// Why.
    pub purpose: Purpose,
    /// The DLL's answer.
    pub result: u32,
    /// Whether the resource was locked at the call.
    pub locked: bool,
    /// The DLL's state of the resource before the call.
    pub prior: RState,
}

/// A host call outstanding on a group's owner (at most one per group: flows go one resource
/// at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostCall {
    /// Index in the group.
    pub res: u8,
    /// OnlineV2 (true) or OfflineV2 (false).
    pub online: bool,
    /// Logical time of the call (R19).
    pub started: u64,
    /// The phase of the job that made the call.
    pub phase: Phase,
}

/// What a group's in-flight activity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// OfflineResourceEx of one resource (D6).
    Offline {
        /// Index in group.
        res: u8,
    },
    /// OnlineResourceEx (D7).
    Online {
        /// Index in group.
        res: u8,
    },
    /// MoveGroupEx S→D (R15–R18).
    Move {
        /// Source.
        src: u8,
        /// Destination.
        dst: u8,
        /// RETURN_TO_SOURCE_NODE_ON_ERROR.
        rts: bool,
        /// QUEUE_ENABLED.
        queue: bool,
        /// A return leg started (ghost for a witness).
        returned: bool,
    },
    /// Crash recovery (R20, D17): no operation.
    Recover,
    /// Embedded-failure restart (R21): no operation.
    Restart {
        /// Index in group.
        res: u8,
    },
}

/// Where in its flow a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// A user offline/online call is outstanding.
    UserCall,
    /// Offlining on S (D9).
    FirstLeg,
    /// Queued after ERROR_RETRY (D12).
    Queued,
    /// Bringing resources up on D (D10).
    DestOnline,
    /// Return leg on D (D14).
    ReturnLeg,
    /// Bringing the group to its persistent state on its owner (D13).
    Settle,
    /// Waiting for a node to start (D17).
    WaitNode,
    /// R21 restart: the offline.
    RestartOffline,
    /// R21 restart: the online.
    RestartOnline,
}

/// A group's in-flight (or queued) activity; the group is held while there is one (R14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Job {
    /// The operation to complete when settled, if any.
    pub op: Option<u32>,
    /// The client passed IGNORE_RESOURCE_STATUS.
    pub ignore: bool,
    /// What it is.
    pub kind: JobKind,
    /// Where it is.
    pub phase: Phase,
    /// Next resource index to consider in the phase.
    pub cursor: u8,
    /// The code to complete with (SUCCESS until something decides otherwise).
    pub result: u32,
    /// The current first-leg resource is being re-tried with 0x20 (R12).
    pub forced: bool,
    /// Last OfflineV2 attempt while queued (R16).
    pub last_attempt: u64,
}

/// Host view of one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostRes {
    /// State as the host believes.
    pub state: RState,
    /// Persistent state (durable).
    pub persistent: Persist,
    /// What SetResourceLockedMode last said (D3).
    pub locked: bool,
}

/// What finished last on a group (ghost for the "settled at target" property and witnesses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Done {
    /// A user offline/online.
    User,
    /// A move, rollback or return.
    Move,
    /// A recovery.
    Recover,
    /// A restart.
    Restart,
}

/// Host view of one group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupSt {
    /// Owner node (R10).
    pub owner: u8,
    /// In-flight activity.
    pub job: Option<Job>,
    /// Queued operations (R16; the property says at most one).
    pub queued: u8,
    /// The outstanding host call.
    pub call: Option<HostCall>,
    /// Resources in declaration order.
    pub res: Vec<HostRes>,
    /// Ghost: what finished last.
    pub last_done: Option<Done>,
}

/// What one DLL instance believes about one resource it holds open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DllRes {
    /// The DLL's state (pending states mean pending work).
    pub state: RState,
    /// `inject_panic` armed (R8).
    pub panic: bool,
}

/// One node's DLL instance (D1): the resources it holds open, per group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dll {
    /// `res[g][i]` is Some while the instance holds a RESID for it.
    pub res: Vec<Vec<Option<DllRes>>>,
}

/// Per-operation bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpSt {
    /// The group it acts on.
    pub group: u8,
    /// How many times it completed (R14: at most once).
    pub completions: u8,
    /// Its (last) result.
    pub result: u32,
}

/// Ghost witness bits for `sometimes` properties.
pub mod witness {
    /// A DO_NOT_UPDATE offline of a persistent-Online resource happened.
    pub const DNU_OFFLINE: u16 = 1 << 0;
    /// …and then a failover brought it back Online.
    pub const DNU_THEN_FAILOVER: u16 = 1 << 1;
    /// A pending call timed out and the host called Terminate.
    pub const TIMEOUT_TERMINATE: u16 = 1 << 2;
    /// A queued move was retried.
    pub const RETRIED: u16 = 1 << 3;
    /// An OfflineV2 went out with 0x20.
    pub const FORCED_NET: u16 = 1 << 4;
    /// A raw call changed a DLL instance.
    pub const RAW_CHANGED: u16 = 1 << 5;
    /// An embedded-failure restart ended Online.
    pub const RESTARTED: u16 = 1 << 6;
    /// A move returned to its source and ended with every resource Online on S.
    pub const RETURN_ONLINE: u16 = 1 << 7;
    /// A move ended with ERROR_SUCCESS and every resource Online on D.
    pub const MOVED: u16 = 1 << 8;
}

/// Symmetry classes (constant during a run; carried so that `Representative` can see them).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym {
    /// Groups with equal class may be permuted.
    pub group_class: Vec<u8>,
    /// Nodes may be permuted (M5).
    pub nodes: bool,
}

/// The whole model state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State {
    /// Node Up (true) / Down.
    pub up: Vec<bool>,
    /// DLL instance per node (D1).
    pub dll: Vec<Dll>,
    /// Groups (host view).
    pub groups: Vec<GroupSt>,
    /// Workload truth: locked, per resource (D2: every instance is told).
    pub locked: Vec<Vec<bool>>,
    /// Workload truth: busy, per resource.
    pub busy: Vec<Vec<bool>>,
    /// Down links `(a, b)` with `a < b`, sorted.
    pub links_down: Vec<(u8, u8)>,
    /// Logical time (R22).
    pub now: u64,
    /// Operations in acceptance order.
    pub ops: Vec<OpSt>,
    /// Last OfflineV2 call per node (ghost for R4, R12).
    pub last_offline: Vec<Option<OfflineRec>>,
    /// Ghost: intended persistent state, changed only where R11 allows.
    pub intent: Vec<Vec<Persist>>,
    /// Ghost: a rejected call changed something (R13).
    pub rejected_changed: bool,
    /// Ghost witness bits.
    pub witness: u16,
    /// Client calls left (exploration budget).
    pub calls_left: u8,
    /// Faults left (exploration budget).
    pub faults_left: u8,
    /// Symmetry classes.
    pub sym: Sym,
}

impl State {
    /// Owner of group `g`.
    #[must_use]
    pub fn owner(&self, g: usize) -> usize {
        usize::from(self.groups[g].owner)
    }
    /// Node `n` is Up.
    #[must_use]
    pub fn is_up(&self, n: usize) -> bool {
        self.up[n]
    }
    /// Host view of resource `i` of group `g`.
    #[must_use]
    pub fn host(&self, r: ResRef) -> &HostRes {
        &self.groups[usize::from(r.g)].res[usize::from(r.i)]
    }
    /// Group `g` has a queued operation.
    #[must_use]
    pub fn queued(&self, g: usize) -> bool {
        self.groups[g].queued > 0
    }
    /// Group `g` is held (R13 check 4, R14).
    #[must_use]
    pub fn held(&self, g: usize) -> bool {
        self.groups[g].job.is_some() || !self.up[self.owner(g)]
    }
    /// Completed operations as `(op, result)`, and how many times each completed.
    #[must_use]
    pub fn completions(&self) -> Vec<(u32, u32, u8)> {
        self.ops
            .iter()
            .enumerate()
            .filter(|(_, o)| o.completions > 0)
            .map(|(k, o)| {
                (
                    u32::try_from(k).unwrap_or(u32::MAX),
                    o.result,
                    o.completions,
                )
            })
            .collect()
    }
    /// Accepted operations not yet completed.
    #[must_use]
    pub fn outstanding_ops(&self) -> usize {
        self.ops.iter().filter(|o| o.completions == 0).count()
    }
    /// The DLL instance of node `n`'s view of a resource, if it holds it.
    #[must_use]
    pub fn dll(&self, n: usize, r: ResRef) -> Option<&DllRes> {
        self.dll[n].res[usize::from(r.g)][usize::from(r.i)].as_ref()
    }
    /// The link between `a` and `b` is up.
    #[must_use]
    pub fn link_up(&self, a: u8, b: u8) -> bool {
        let key = (a.min(b), a.max(b));
        a == b || !self.links_down.contains(&key)
    }
}
