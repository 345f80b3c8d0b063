//! The abstract state (issue 11): only what SPEC §3 makes observable and what the future
//! depends on, in a fixed-size, allocation-free layout (M14).
//!
//! - per node: Up (a bit mask) and, per link, down (a bit per node pair);
//! - per resource (global declaration order, one `u16`): host state, the owner instance's
//!   DLL state, persistent state, locked (truth and host view, D3), busy; and one `u8` mask of
//!   the nodes whose instance holds an armed `inject_panic` for it (D20, SPEC §7);
//! - per group (one `u32`): owner and the operation in flight in the least detail that decides
//!   what happens next ([`Job`]);
//! - the exploration budgets, the sticky violation marks of the transition checks
//!   (`monitor.rs`) and the transient witness marks of the last transition.
//!
//! No clock (time is the `Timeout`/`Retry` events, M15), no operation list, no history. The
//! DLL state is kept for the owner only: a resource is open on its group's owner and nowhere
//! else (R2, R10), so the other instances' views are empty by construction.

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::vocab::{codes, Persist, RState};

/// Most nodes a configuration may declare.
pub const MAX_NODES: usize = 8;
/// Most groups.
pub const MAX_GROUPS: usize = 8;
/// Most resources over all groups.
pub const MAX_RESOURCES: usize = 16;
/// Most resources in one group (a cursor is 3 bits).
pub const MAX_PER_GROUP: usize = 7;

/// Which node renamings are symmetries of a configuration (M16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeSym {
    /// None: declaration order decides failover targets (R20) and null destinations (R13).
    None,
    /// Rotations only: null destinations ("first Up node after the owner, wrapping") commute
    /// with them; no crash, hence no "first Up node" failover.
    Rotations,
    /// Every permutation (two nodes; or neither crashes nor null destinations).
    All,
}

/// The constant shape of a configuration, carried by every state so that the symmetry
/// reduction (which sees only states) knows it. Not hashed: it never varies within a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Declared nodes.
    pub nodes: u8,
    /// Declared groups.
    pub groups: u8,
    /// Resources per group.
    pub len: [u8; MAX_GROUPS],
    /// Global index of each group's first resource.
    pub base: [u8; MAX_GROUPS],
    /// Symmetry class per group: equal classes are interchangeable (same declared resources).
    pub class: [u8; MAX_GROUPS],
    /// Which node renamings are symmetries.
    pub node_sym: NodeSym,
    /// The group of each resource.
    pub group: [u8; MAX_RESOURCES],
    /// Resources whose OfflineV2 work is synchronous (R7), a bit each.
    pub sync_offline: u16,
    /// Resources whose OnlineV2 work is synchronous.
    pub sync_online: u16,
}

impl Shape {
    /// Resources over all groups.
    #[must_use]
    pub fn resources(&self) -> usize {
        let g = usize::from(self.groups);
        if g == 0 {
            return 0;
        }
        usize::from(self.base[g - 1]) + usize::from(self.len[g - 1])
    }

    /// The group of global resource `r`.
    #[must_use]
    pub fn group_of(&self, r: usize) -> usize {
        usize::from(self.group[r % MAX_RESOURCES])
    }

    /// Global index of resource `i` of group `g`.
    #[must_use]
    pub fn global(&self, g: usize, i: usize) -> usize {
        usize::from(self.base[g]) + i
    }
}

/// Where a move is (R15–R18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MovePhase {
    /// Offlining on the source, one resource at a time (R15, D9); the next resource is the
    /// first one that is not Offline, so no cursor is kept.
    FirstLeg,
    /// Queued after ERROR_RETRY with QUEUE_ENABLED (R16, D12).
    Queued,
    /// Bringing resources up on the destination (D10); the next one is the first with
    /// persistent Online that is still Offline.
    DestOnline,
    /// The return leg on the destination (R17, D14), with a cursor.
    ReturnLeg,
    /// Rollback on the source after an aborted first leg or a cancel (R16, R18, D13).
    Rollback,
    /// The source brings the group to its persistent state after a return (R17, D14).
    SettleOnSource,
}

/// A move in flight: its client inputs (source, destination, flags) and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Move {
    /// Source node S.
    pub src: u8,
    /// Destination node D.
    pub dst: u8,
    /// Client IGNORE_RESOURCE_STATUS.
    pub ignore: bool,
    /// Client RETURN_TO_SOURCE_NODE_ON_ERROR (kept while it can still matter).
    pub rts: bool,
    /// Client QUEUE_ENABLED (kept while it can still matter).
    pub queue: bool,
    /// Where.
    pub phase: MovePhase,
    /// Next resource of a return leg or settle pass (0 elsewhere).
    pub cursor: u8,
    /// The code the move completes with (ERROR_SUCCESS until something decides otherwise).
    pub result: u32,
}

/// A recovery after a crash (R20, D17, D19): no operation, holds the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Recover {
    /// The aborted operation's client IGNORE_RESOURCE_STATUS (I5).
    pub ignore: bool,
    /// The pass has not started: it waits for a call the aborted operation left pending
    /// (R14 amended: that call is not the pass's attempt).
    pub awaiting: bool,
    /// Next resource of the pass.
    pub cursor: u8,
}

/// What a group is doing: the operation in flight (or the recovery/restart that holds it),
/// in the least detail that decides what happens next. The outstanding DLL call is not
/// stored: it is on the group's one resource whose host state is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Job {
    /// Nothing in flight (a group whose owner is Down waits for a node, R10).
    Idle,
    /// OfflineResourceEx whose OfflineV2 is pending (D6).
    UserOffline {
        /// Index in the group.
        res: u8,
        /// Client IGNORE_RESOURCE_STATUS (a crash's recovery uses it, I5).
        ignore: bool,
    },
    /// OnlineResourceEx whose OnlineV2 is pending (D7).
    UserOnline {
        /// Index in the group.
        res: u8,
    },
    /// The R21 restart's OnlineV2 is pending (no operation).
    Restart {
        /// Index in the group.
        res: u8,
    },
    /// MoveGroupEx (R15–R18).
    Move(Move),
    /// Crash recovery (R20).
    Recover(Recover),
}

impl Job {
    /// The group's operation is in flight (R14: it completes exactly once).
    #[must_use]
    pub fn has_op(self) -> bool {
        matches!(
            self,
            Self::UserOffline { .. } | Self::UserOnline { .. } | Self::Move(_)
        )
    }

    /// The move, if the job is one.
    #[must_use]
    pub fn as_move(self) -> Option<Move> {
        match self {
            Self::Move(m) => Some(m),
            _ => None,
        }
    }

    /// The client IGNORE_RESOURCE_STATUS of the operation (or aborted operation) it serves.
    #[must_use]
    pub fn ignore(self) -> bool {
        match self {
            Self::UserOffline { ignore, .. } => ignore,
            Self::Move(m) => m.ignore,
            Self::Recover(r) => r.ignore,
            _ => false,
        }
    }
}

// Group word layout.
const OWNER: u32 = 0; // 3 bits
const KIND: u32 = 3; // 4 bits
const CURSOR: u32 = 7; // 3 bits
const IGNORE: u32 = 10;
const RTS: u32 = 11;
const QUEUE: u32 = 12;
const SRC: u32 = 13; // 3 bits
const DST: u32 = 16; // 3 bits
const RESULT: u32 = 19; // 5 bits

fn field(w: u32, at: u32, bits: u32) -> u32 {
    (w >> at) & ((1 << bits) - 1)
}

fn narrow(x: u32) -> u8 {
    u8::try_from(x).unwrap_or(u8::MAX)
}

/// Packs a job (every field that cannot matter in its phase is zero: one situation, one word).
fn encode(job: Job) -> u32 {
    let put = |kind: u32, cursor: u8, ignore: bool| {
        (kind << KIND) | (u32::from(cursor & 7) << CURSOR) | (u32::from(ignore) << IGNORE)
    };
    match job {
        Job::Idle => 0,
        Job::UserOffline { res, ignore } => put(1, res, ignore),
        Job::UserOnline { res } => put(2, res, false),
        Job::Restart { res } => put(3, res, false),
        Job::Move(m) => {
            // The client's IGNORE matters only where an OfflineV2 may still follow: on D a
            // persistent-Offline resource stays Offline and the rest only go online, so after
            // the first leg only a return leg (RTS) or a rollback on S offlines anything.
            let (kind, cursor, rts, queue, result, ignore) = match m.phase {
                MovePhase::FirstLeg => (4, 0, m.rts, m.queue, codes::ERROR_SUCCESS, m.ignore),
                MovePhase::Queued => (5, 0, m.rts, true, codes::ERROR_SUCCESS, m.ignore),
                MovePhase::DestOnline => (6, 0, m.rts, false, m.result, m.ignore && m.rts),
                MovePhase::ReturnLeg => (7, m.cursor, true, false, m.result, m.ignore),
                MovePhase::Rollback => (8, m.cursor, false, false, m.result, m.ignore),
                MovePhase::SettleOnSource => (9, m.cursor, false, false, m.result, false),
            };
            put(kind, cursor, ignore)
                | (u32::from(rts) << RTS)
                | (u32::from(queue) << QUEUE)
                | (u32::from(m.src & 7) << SRC)
                | (u32::from(m.dst & 7) << DST)
                | (codes::index(result) << RESULT)
        }
        Job::Recover(r) if r.awaiting => put(11, 0, r.ignore),
        Job::Recover(r) => put(10, r.cursor, r.ignore),
    }
}

fn decode(w: u32) -> Job {
    let cursor = narrow(field(w, CURSOR, 3));
    let ignore = field(w, IGNORE, 1) == 1;
    let phase = match field(w, KIND, 4) {
        1 => {
            return Job::UserOffline {
                res: cursor,
                ignore,
            }
        }
        2 => return Job::UserOnline { res: cursor },
        3 => return Job::Restart { res: cursor },
        4 => MovePhase::FirstLeg,
        5 => MovePhase::Queued,
        6 => MovePhase::DestOnline,
        7 => MovePhase::ReturnLeg,
        8 => MovePhase::Rollback,
        9 => MovePhase::SettleOnSource,
        k @ (10 | 11) => {
            return Job::Recover(Recover {
                ignore,
                awaiting: k == 11,
                cursor,
            })
        }
        _ => return Job::Idle,
    };
    Job::Move(Move {
        src: narrow(field(w, SRC, 3)),
        dst: narrow(field(w, DST, 3)),
        ignore,
        rts: field(w, RTS, 1) == 1,
        queue: field(w, QUEUE, 1) == 1,
        phase,
        cursor,
        result: codes::at(field(w, RESULT, 5)),
    })
}

// Resource word layout.
const HOST: u16 = 0; // 3 bits
const DLL: u16 = 3; // 3 bits
const PERSIST_OFFLINE: u16 = 1 << 6;
const LOCKED: u16 = 1 << 7;
const HOST_LOCKED: u16 = 1 << 8;
const BUSY: u16 = 1 << 9;

/// Indices of the sticky violation marks (transition checks, `monitor.rs`).
pub mod mark {
    /// R11 persistent-state discipline.
    pub const R11: u16 = 1 << 0;
    /// R12 exact OfflineV2 flags.
    pub const R12: u16 = 1 << 1;
    /// R4 no offline of a locked resource without 0x01.
    pub const R4: u16 = 1 << 2;
    /// R13 rejected calls change nothing.
    pub const R13: u16 = 1 << 3;
    /// R14 each accepted operation completes exactly once.
    pub const R14: u16 = 1 << 4;
    /// At most one queued operation per group.
    pub const QUEUE: u16 = 1 << 5;
    /// A finished move, rollback or recovery leaves its group at target.
    pub const TARGET: u16 = 1 << 6;
}

/// The transient witness marks: what the last transition did (for `sometimes`, §6).
pub mod witness {
    /// A pending call timed out and the host called Terminate (R19).
    pub const TIMEOUT_TERMINATE: u16 = 1 << 0;
    /// A queued move was cancelled (R18).
    pub const CANCELLED: u16 = 1 << 1;
    /// A move that returned to its source ended with every resource Online on S (R17).
    pub const RETURN_ONLINE: u16 = 1 << 2;
    /// A failover recovery brings back a resource a DO_NOT_UPDATE offline left Offline.
    pub const DNU_THEN_FAILOVER: u16 = 1 << 3;
    /// A move ended with ERROR_SUCCESS and every resource Online on D.
    pub const MOVED: u16 = 1 << 4;
    /// A queued move was retried (R16).
    pub const RETRIED: u16 = 1 << 5;
    /// An embedded-failure restart ended Online (R21).
    pub const RESTARTED: u16 = 1 << 6;
    /// An OfflineV2 went out with 0x20 (R12).
    pub const FORCED_NET: u16 = 1 << 7;
    /// A raw call changed a DLL instance behind the host (SPEC §7).
    pub const RAW_CHANGED: u16 = 1 << 8;
}

/// The whole model state: fixed size, `Copy`, no allocation (M14).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct State {
    res: [u16; MAX_RESOURCES],
    armed: [u8; MAX_RESOURCES],
    groups: [u32; MAX_GROUPS],
    links_down: u32,
    up: u8,
    /// Client calls left (exploration budget).
    pub calls_left: u8,
    /// Faults left (exploration budget).
    pub faults_left: u8,
    violations: u16,
    witness: u16,
    shape: &'static Shape,
}

/// One `&'static` copy per distinct shape, so that a state carries a pointer, not the shape
/// (a process holds a handful of configurations; each shape is leaked once, never again).
fn intern(shape: Shape) -> &'static Shape {
    static SHAPES: std::sync::Mutex<Vec<&'static Shape>> = std::sync::Mutex::new(Vec::new());
    let mut known = SHAPES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(s) = known.iter().find(|s| ***s == shape) {
        return s;
    }
    let s: &'static Shape = Box::leak(Box::new(shape));
    known.push(s);
    s
}

/// A 64-bit hash of the declared part of a state, never 0 (the checker's fingerprint, M17):
/// the words are folded with a multiply-rotate and finished with MurmurHash3's avalanche.
#[must_use]
pub fn fingerprint(s: &State) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    let mut mix = |w: u64| h = (h ^ w).wrapping_mul(K).rotate_left(29);
    let nr = s.shape.resources();
    // Undeclared entries are zero, so whole words may be read past the declared part.
    for i in (0..nr).step_by(4) {
        let r = &s.res[i..i + 4];
        mix(u64::from(r[0])
            | u64::from(r[1]) << 16
            | u64::from(r[2]) << 32
            | u64::from(r[3]) << 48);
    }
    for i in (0..nr).step_by(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s.armed[i..i + 8]);
        mix(u64::from_le_bytes(w));
    }
    for i in (0..usize::from(s.shape.groups)).step_by(2) {
        mix(u64::from(s.groups[i]) | u64::from(s.groups[i + 1]) << 32);
    }
    mix(u64::from(s.links_down)
        | u64::from(s.up) << 32
        | u64::from(s.calls_left) << 40
        | u64::from(s.faults_left) << 48);
    mix(u64::from(s.violations) | u64::from(s.witness) << 16);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h.max(1)
}

impl Hash for State {
    /// Hashes only the declared part (the rest is zero) and never the constant shape.
    fn hash<H: Hasher>(&self, h: &mut H) {
        let nr = self.shape.resources();
        Hash::hash_slice(&self.res[..nr], h);
        Hash::hash_slice(&self.armed[..nr], h);
        Hash::hash_slice(&self.groups[..usize::from(self.shape.groups)], h);
        h.write_u64(
            u64::from(self.links_down)
                | u64::from(self.up) << 32
                | u64::from(self.calls_left) << 40
                | u64::from(self.faults_left) << 48,
        );
        h.write_u32(u32::from(self.violations) | u32::from(self.witness) << 16);
    }
}

fn pair_bit(a: u8, b: u8) -> u32 {
    let (lo, hi) = (u32::from(a.min(b)), u32::from(a.max(b)));
    // Pairs (lo, hi) with hi < 8 numbered hi*(hi-1)/2 + lo: 28 bits.
    1 << (hi * hi.saturating_sub(1) / 2 + lo)
}

impl State {
    /// An empty state of `shape`: every node Up, every group idle on node 0.
    #[must_use]
    pub fn empty(shape: Shape) -> Self {
        let up = if shape.nodes >= 8 {
            u8::MAX
        } else {
            (1u8 << shape.nodes) - 1
        };
        Self {
            res: [0; MAX_RESOURCES],
            armed: [0; MAX_RESOURCES],
            groups: [0; MAX_GROUPS],
            links_down: 0,
            up,
            calls_left: 0,
            faults_left: 0,
            violations: 0,
            witness: 0,
            shape: intern(shape),
        }
    }

    /// The configuration's shape.
    #[must_use]
    pub fn shape(&self) -> &'static Shape {
        self.shape
    }

    /// Node `n` is Up.
    #[must_use]
    pub fn is_up(&self, n: usize) -> bool {
        n < 8 && self.up & (1 << n) != 0
    }

    /// Some node is Up.
    #[must_use]
    pub fn any_up(&self) -> bool {
        self.up != 0
    }

    pub(crate) fn set_up(&mut self, n: usize, up: bool) {
        let bit = 1u8 << (n & 7);
        if up {
            self.up |= bit;
        } else {
            self.up &= !bit;
        }
    }

    /// The link between `a` and `b` is up (a node always reaches itself).
    #[must_use]
    pub fn link_up(&self, a: u8, b: u8) -> bool {
        a == b || self.links_down & pair_bit(a, b) == 0
    }

    pub(crate) fn set_link(&mut self, a: u8, b: u8, up: bool) {
        if a == b {
            return;
        }
        if up {
            self.links_down &= !pair_bit(a, b);
        } else {
            self.links_down |= pair_bit(a, b);
        }
    }

    fn rw(&self, r: usize) -> u16 {
        self.res[r]
    }

    fn set_flag(&mut self, r: usize, bit: u16, on: bool) {
        if on {
            self.res[r] |= bit;
        } else {
            self.res[r] &= !bit;
        }
    }

    /// Host view of global resource `r`.
    #[must_use]
    pub fn host(&self, r: usize) -> RState {
        RState::from_bits(self.rw(r) >> HOST)
    }

    pub(crate) fn set_host(&mut self, r: usize, st: RState) {
        self.res[r] = (self.res[r] & !(7 << HOST)) | (st.bits() << HOST);
    }

    /// What the owner's DLL instance believes about `r` (meaningful while the owner is Up).
    #[must_use]
    pub fn dll(&self, r: usize) -> RState {
        RState::from_bits(self.rw(r) >> DLL)
    }

    pub(crate) fn set_dll(&mut self, r: usize, st: RState) {
        self.res[r] = (self.res[r] & !(7 << DLL)) | (st.bits() << DLL);
    }

    /// The instance of node `n` holds a RESID for `r`: only the group's Up owner does (R2).
    #[must_use]
    pub fn holds(&self, n: usize, r: usize) -> bool {
        let g = self.shape.group_of(r);
        self.owner(g) == n && self.is_up(n)
    }

    /// Persistent state of `r`.
    #[must_use]
    pub fn persistent(&self, r: usize) -> Persist {
        if self.rw(r) & PERSIST_OFFLINE == 0 {
            Persist::Online
        } else {
            Persist::Offline
        }
    }

    pub(crate) fn set_persistent(&mut self, r: usize, p: Persist) {
        self.set_flag(r, PERSIST_OFFLINE, p == Persist::Offline);
    }

    /// Workload truth: `r` is locked (D2: every instance is told).
    #[must_use]
    pub fn locked(&self, r: usize) -> bool {
        self.rw(r) & LOCKED != 0
    }

    pub(crate) fn set_locked(&mut self, r: usize, on: bool) {
        self.set_flag(r, LOCKED, on);
    }

    /// Host view of `locked`: what SetResourceLockedMode last said (D3, I15).
    #[must_use]
    pub fn host_locked(&self, r: usize) -> bool {
        self.rw(r) & HOST_LOCKED != 0
    }

    pub(crate) fn set_host_locked(&mut self, r: usize, on: bool) {
        self.set_flag(r, HOST_LOCKED, on);
    }

    /// Workload truth: `r` is busy (R6).
    #[must_use]
    pub fn busy(&self, r: usize) -> bool {
        self.rw(r) & BUSY != 0
    }

    pub(crate) fn set_busy(&mut self, r: usize, on: bool) {
        self.set_flag(r, BUSY, on);
    }

    /// Node `n`'s instance has an `inject_panic` armed for `r` (D20).
    #[must_use]
    pub fn armed(&self, n: usize, r: usize) -> bool {
        self.armed[r] & (1 << (n & 7)) != 0
    }

    pub(crate) fn set_armed(&mut self, n: usize, r: usize, on: bool) {
        let bit = 1u8 << (n & 7);
        if on {
            self.armed[r] |= bit;
        } else {
            self.armed[r] &= !bit;
        }
    }

    /// A crash resets node `n`'s instance: every armed panic there is dropped (SPEC §7).
    pub(crate) fn disarm_node(&mut self, n: usize) {
        let keep = !(1u8 << (n & 7));
        for a in &mut self.armed {
            *a &= keep;
        }
    }

    /// Owner of group `g`.
    #[must_use]
    pub fn owner(&self, g: usize) -> usize {
        field(self.groups[g], OWNER, 3) as usize
    }

    pub(crate) fn set_owner(&mut self, g: usize, n: u8) {
        self.groups[g] = (self.groups[g] & !7) | u32::from(n & 7);
    }

    /// The job of group `g`.
    #[must_use]
    pub fn job(&self, g: usize) -> Job {
        decode(self.groups[g])
    }

    pub(crate) fn set_job(&mut self, g: usize, job: Job) {
        self.groups[g] = (self.groups[g] & 7) | encode(job);
    }

    fn kind(&self, g: usize) -> u32 {
        field(self.groups[g], KIND, 4)
    }

    /// Group `g` has a queued operation (R16, R13 check 3).
    #[must_use]
    pub fn queued(&self, g: usize) -> bool {
        self.kind(g) == 5
    }

    /// Group `g` has nothing in flight.
    #[must_use]
    pub fn idle(&self, g: usize) -> bool {
        self.kind(g) == 0
    }

    /// Group `g` has an operation in flight (a user offline/online or a move, R14).
    #[must_use]
    pub fn has_op(&self, g: usize) -> bool {
        matches!(self.kind(g), 1 | 2 | 4..=9)
    }

    /// Group `g` is held (R13 check 4, R14): something in flight, or its owner is Down.
    #[must_use]
    pub fn held(&self, g: usize) -> bool {
        !self.idle(g) || !self.is_up(self.owner(g))
    }

    /// The resource of group `g` with an outstanding host call: the one whose host state is
    /// pending (at most one per group; the flows call one resource at a time).
    #[must_use]
    pub fn outstanding(&self, g: usize) -> Option<usize> {
        let base = usize::from(self.shape.base[g]);
        (base..base + usize::from(self.shape.len[g])).find(|&r| self.host(r).is_pending())
    }

    /// Accepted operations not yet completed (at most one per group).
    #[must_use]
    pub fn outstanding_ops(&self) -> usize {
        (0..usize::from(self.shape.groups))
            .filter(|&g| self.has_op(g))
            .count()
    }

    /// Persistent Offline, a bit per resource (what R11 compares).
    #[must_use]
    pub fn persistent_mask(&self) -> u32 {
        let mut m = 0;
        for r in 0..self.shape.resources() {
            m |= u32::from(self.res[r] & PERSIST_OFFLINE != 0) << r;
        }
        m
    }

    /// Groups with an operation in flight, a bit per group (what R14 compares).
    #[must_use]
    pub fn op_mask(&self) -> u16 {
        let mut m = 0;
        for g in 0..usize::from(self.shape.groups) {
            m |= u16::from(matches!(field(self.groups[g], KIND, 4), 1 | 2 | 4..=9)) << g;
        }
        m
    }

    /// Same situation: equal but for budgets, marks and witness (what R13 compares).
    #[must_use]
    pub fn same_situation(&self, other: &Self) -> bool {
        self.res == other.res
            && self.armed == other.armed
            && self.groups == other.groups
            && self.links_down == other.links_down
            && self.up == other.up
    }

    /// The sticky violation marks ([`mark`]).
    #[must_use]
    pub fn violations(&self) -> u16 {
        self.violations
    }

    pub(crate) fn add_violations(&mut self, v: u16) {
        self.violations |= v;
    }

    /// What the transition that produced this state witnessed ([`witness`]).
    #[must_use]
    pub fn witness(&self) -> u16 {
        self.witness
    }

    pub(crate) fn set_witness(&mut self, w: u16) {
        self.witness = w;
    }

    /// This state without its budgets, marks and witness (what R13 compares).
    #[must_use]
    pub fn situation(&self) -> Self {
        Self {
            calls_left: 0,
            faults_left: 0,
            violations: 0,
            witness: 0,
            ..*self
        }
    }

    /// Swaps groups `a` and `b` with their resources (same shape; symmetry only).
    pub(crate) fn swap_groups(&mut self, a: usize, b: usize) {
        self.groups.swap(a, b);
        let (ba, bb) = (
            usize::from(self.shape.base[a]),
            usize::from(self.shape.base[b]),
        );
        for i in 0..usize::from(self.shape.len[a]) {
            self.res.swap(ba + i, bb + i);
            self.armed.swap(ba + i, bb + i);
        }
    }

    /// Everything that belongs to group `g`, as an ordered key (symmetry only).
    pub(crate) fn block_key(&self, g: usize) -> (u32, [u16; MAX_PER_GROUP], [u8; MAX_PER_GROUP]) {
        let mut res = [0; MAX_PER_GROUP];
        let mut armed = [0; MAX_PER_GROUP];
        let base = usize::from(self.shape.base[g]);
        let len = usize::from(self.shape.len[g]).min(MAX_PER_GROUP);
        res[..len].copy_from_slice(&self.res[base..base + len]);
        armed[..len].copy_from_slice(&self.armed[base..base + len]);
        (self.groups[g], res, armed)
    }

    /// A total order on the declared part (symmetry only).
    pub(crate) fn order_key(&self) -> impl Ord + '_ {
        let nr = self.shape.resources();
        (
            &self.groups[..usize::from(self.shape.groups)],
            &self.res[..nr],
            &self.armed[..nr],
            self.links_down,
            self.up,
        )
    }

    /// The state with node `n` renamed `map[n]` everywhere (symmetry only).
    pub(crate) fn rename_nodes(&self, map: &[u8; MAX_NODES]) -> Self {
        let nodes = usize::from(self.shape.nodes);
        let mut t = *self;
        t.up = 0;
        t.links_down = 0;
        for n in 0..nodes {
            t.set_up(usize::from(map[n]), self.is_up(n));
            for m in n + 1..nodes {
                let (a, b) = (u8::try_from(n).unwrap_or(0), u8::try_from(m).unwrap_or(0));
                t.set_link(map[n], map[m], self.link_up(a, b));
            }
        }
        for r in 0..self.shape.resources() {
            t.armed[r] = (0..nodes)
                .filter(|&n| self.armed(n, r))
                .fold(0, |acc, n| acc | 1 << (map[n] & 7));
        }
        for g in 0..usize::from(self.shape.groups) {
            let job = match self.job(g) {
                Job::Move(m) => Job::Move(Move {
                    src: map[usize::from(m.src & 7)],
                    dst: map[usize::from(m.dst & 7)],
                    ..m
                }),
                other => other,
            };
            t.set_job(g, job);
            t.set_owner(g, map[self.owner(g)]);
        }
        t
    }
}

impl fmt::Debug for State {
    /// A compact, readable form (indices for names): nodes, links, groups, resources.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sh = self.shape;
        write!(f, "nodes up:")?;
        for n in 0..usize::from(sh.nodes) {
            if self.is_up(n) {
                write!(f, " n{n}")?;
            }
        }
        for a in 0..sh.nodes {
            for b in a + 1..sh.nodes {
                if !self.link_up(a, b) {
                    write!(f, "; link n{a}-n{b} down")?;
                }
            }
        }
        for g in 0..usize::from(sh.groups) {
            write!(f, "; g{g} on n{}: {:?}", self.owner(g), self.job(g))?;
            for i in 0..usize::from(sh.len[g]) {
                let r = sh.global(g, i);
                write!(
                    f,
                    " [r{r} {:?}/dll {:?}/persistent {:?}{}{}{}]",
                    self.host(r),
                    self.dll(r),
                    self.persistent(r),
                    if self.locked(r) { " locked" } else { "" },
                    if self.busy(r) { " busy" } else { "" },
                    if self.armed[r] != 0 { " armed" } else { "" },
                )?;
            }
        }
        write!(f, "; calls {} faults {}", self.calls_left, self.faults_left)?;
        if self.violations != 0 {
            write!(f, "; VIOLATIONS {:#x}", self.violations)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_through_their_word() {
        let m = Move {
            src: 2,
            dst: 1,
            ignore: true,
            rts: true,
            queue: false,
            phase: MovePhase::ReturnLeg,
            cursor: 3,
            result: codes::ERROR_TIMEOUT,
        };
        for job in [
            Job::Idle,
            Job::UserOffline {
                res: 6,
                ignore: true,
            },
            Job::UserOnline { res: 1 },
            Job::Restart { res: 2 },
            Job::Move(m),
            Job::Recover(Recover {
                ignore: true,
                awaiting: false,
                cursor: 5,
            }),
        ] {
            assert_eq!(decode(encode(job)), job);
        }
        // Fields that cannot matter in a phase are dropped, so one situation is one word.
        let first = Move {
            phase: MovePhase::FirstLeg,
            cursor: 4,
            result: codes::ERROR_RETRY,
            ..m
        };
        assert_eq!(
            encode(Job::Move(first)),
            encode(Job::Move(Move {
                cursor: 0,
                result: 0,
                ..first
            }))
        );
    }

    #[test]
    fn link_bits_are_distinct_per_pair() {
        let mut seen = 0u32;
        for a in 0..8u8 {
            for b in a + 1..8 {
                let bit = pair_bit(a, b);
                assert_eq!(bit, pair_bit(b, a));
                assert_eq!(seen & bit, 0, "{a}-{b}");
                seen |= bit;
            }
        }
        assert_eq!(seen.count_ones(), 28);
    }
}
