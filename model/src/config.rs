//! Configuration: the cluster set-up (SPEC §7), the budgets of exhaustive checking (issue 11:
//! every client call costs one call, every fault one fault; outcomes of pending calls and
//! queued retries are free), and the named configurations.

use crate::bugs::Bug;
use crate::state::{NodeSym, Shape, MAX_GROUPS, MAX_NODES, MAX_PER_GROUP, MAX_RESOURCES};
use crate::vocab::Persist;

/// How a resource's pending work ends (R7): at once, or later through a status callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkMode {
    /// `sync`: the entry point answers ERROR_SUCCESS.
    Sync,
    /// `pending` (the default): ERROR_IO_PENDING, then one callback.
    Pending,
}

/// A resource as declared (SPEC §7 set-up).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceSetup {
    /// Unique name.
    pub name: String,
    /// Initial persistent state; the resource starts in the matching state (D4).
    pub persistent: Persist,
    /// How OfflineV2 work ends.
    pub offline: WorkMode,
    /// How OnlineV2 work ends.
    pub online: WorkMode,
}

/// A group as declared.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupSetup {
    /// Unique name.
    pub name: String,
    /// Index of the initial owner in [`Setup::nodes`].
    pub owner: usize,
    /// Resources in declaration order.
    pub resources: Vec<ResourceSetup>,
}

/// A SPEC §7 scenario set-up as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    /// Node names in declaration order; all start Up.
    pub nodes: Vec<String>,
    /// Groups in declaration order.
    pub groups: Vec<GroupSetup>,
    /// R19 timeout in logical ms. The model has no clock (M15): only the replay adapter and
    /// the conformance driver use it, to turn `tick`s into `Timeout` events and back.
    pub pending_timeout: u64,
    /// R16 retry interval in logical ms (likewise).
    pub retry_interval: u64,
}

/// Which environment faults the checker may inject.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::struct_excessive_bools)]
pub struct Faults {
    /// `fail_offline` / `fail_online` of pending work (a free outcome, like completion).
    pub fail_work: bool,
    /// `lock` / `unlock` (one fault each).
    pub lock: bool,
    /// `busy` / `unbusy`.
    pub busy: bool,
    /// `net_down` / `net_up`.
    pub net: bool,
    /// `crash_node` / `start_node`.
    pub crash: bool,
    /// `embedded_failure`.
    pub embedded: bool,
    /// `inject_panic`.
    pub panic: bool,
}

impl Faults {
    /// Every fault kind.
    #[must_use]
    pub fn all() -> Self {
        Self {
            fail_work: true,
            lock: true,
            busy: true,
            net: true,
            crash: true,
            embedded: true,
            panic: true,
        }
    }

    /// The fault kinds of the SPIN reference encoding (issue 11): lock, busy, crash, net,
    /// embedded, and failing pending work; no injected panic.
    #[must_use]
    pub fn spin() -> Self {
        Self {
            panic: false,
            ..Self::all()
        }
    }

    /// Parses a comma-separated list of `lock,busy,crash,net,embedded,fail,panic` (or `all`,
    /// `none`).
    ///
    /// # Errors
    /// The unknown name.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut f = Self {
            fail_work: false,
            lock: false,
            busy: false,
            net: false,
            crash: false,
            embedded: false,
            panic: false,
        };
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "all" => f = Self::all(),
                "none" => {}
                "lock" => f.lock = true,
                "busy" => f.busy = true,
                "crash" => f.crash = true,
                "net" => f.net = true,
                "embedded" => f.embedded = true,
                "fail" => f.fail_work = true,
                "panic" => f.panic = true,
                other => {
                    return Err(format!(
                        "unknown fault kind {other:?}; use lock, busy, crash, net, embedded, fail, panic"
                    ))
                }
            }
        }
        Ok(f)
    }
}

/// Budgets and choices of the exhaustive exploration (only `actions()` reads them; `step`
/// applies any action whatever they say).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::struct_excessive_bools)]
pub struct Bounds {
    /// Client calls the checker may make (rejected ones count too).
    pub calls: u8,
    /// Faults the checker may inject (a heal — unlock, unbusy, net up, start — is one too).
    pub faults: u8,
    /// Raw client flags of `OfflineResourceEx` to try (each a separate action).
    pub offline_flags: Vec<u32>,
    /// Raw client flags of `MoveGroupEx` to try.
    pub move_flags: Vec<u32>,
    /// Also try `MoveGroupEx` with a null destination (R13 check 6).
    pub null_dest: bool,
    /// Also try calls that R13 rejects before anything else (bad flags, unknown names, reserved).
    pub probe_rejections: bool,
    /// Also try a few `raw_offline_v2` calls (SPEC §7).
    pub raw_calls: bool,
    /// Which faults.
    pub faults_enabled: Faults,
}

/// The whole configuration: set-up, exploration bounds and the (deliberate) bug, if any.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelConfig {
    /// The cluster.
    pub setup: Setup,
    /// The exploration.
    pub bounds: Bounds,
    /// A deliberately broken variant (non-vacuity tests); `Bug::None` is the real model.
    pub bug: Bug,
    /// Mark what each transition witnessed, for the `sometimes` properties (the mark lives
    /// in the state produced by that transition only, so it adds a few states).
    pub witnesses: bool,
}

/// Move flag bits of `MoveGroupEx` (SPEC §2).
pub mod move_flags {
    /// IGNORE_RESOURCE_STATUS
    pub const IGNORE: u32 = 0x1;
    /// RETURN_TO_SOURCE_NODE_ON_ERROR
    pub const RTS: u32 = 0x2;
    /// QUEUE_ENABLED
    pub const QUEUE: u32 = 0x4;
    /// HIGH_PRIORITY_START
    pub const HIGH_PRIORITY: u32 = 0x8;
    /// FAILBACK (reserved, rejected)
    pub const FAILBACK: u32 = 0x10;
}

/// Client flag bits of `OfflineResourceEx` (SPEC §2).
pub mod offline_flags {
    /// IGNORE_RESOURCE_STATUS
    pub const IGNORE: u32 = 0x1;
    /// FORCE_WITH_TERMINATION
    pub const FORCE: u32 = 0x2;
    /// DO_NOT_UPDATE_PERSISTENT_STATE
    pub const DNU: u32 = 0x4;
}

impl Setup {
    /// A set-up of `nodes` nodes `n1..`, `groups` groups `g1..` owned round-robin, each with
    /// `per_group` resources, all persistent Online, pending work.
    #[must_use]
    pub fn uniform(nodes: usize, groups: usize, per_group: usize) -> Self {
        let mut next = 0;
        Self {
            nodes: (1..=nodes).map(|n| format!("n{n}")).collect(),
            groups: (0..groups)
                .map(|g| GroupSetup {
                    name: format!("g{}", g + 1),
                    owner: g % nodes.max(1),
                    resources: (0..per_group)
                        .map(|_| {
                            next += 1;
                            ResourceSetup {
                                name: format!("r{next}"),
                                persistent: Persist::Online,
                                offline: WorkMode::Pending,
                                online: WorkMode::Pending,
                            }
                        })
                        .collect(),
                })
                .collect(),
            pending_timeout: 2,
            retry_interval: 1,
        }
    }

    /// Number of resources over all groups.
    #[must_use]
    pub fn resource_count(&self) -> usize {
        self.groups.iter().map(|g| g.resources.len()).sum()
    }

    /// `(group, index in group)` of a resource numbered globally in declaration order.
    #[must_use]
    pub fn locate(&self, global: usize) -> Option<(usize, usize)> {
        let mut base = 0;
        for (g, group) in self.groups.iter().enumerate() {
            if global < base + group.resources.len() {
                return Some((g, global - base));
            }
            base += group.resources.len();
        }
        None
    }

    /// Global declaration-order number of resource `i` of group `g`.
    #[must_use]
    pub fn global(&self, g: usize, i: usize) -> usize {
        self.groups[..g]
            .iter()
            .map(|x| x.resources.len())
            .sum::<usize>()
            + i
    }

    /// The set-up of resource `i` of group `g`.
    #[must_use]
    pub fn resource(&self, g: usize, i: usize) -> &ResourceSetup {
        &self.groups[g].resources[i]
    }

    /// The set-up of global resource `r`.
    #[must_use]
    pub fn resource_at(&self, r: usize) -> Option<&ResourceSetup> {
        let (g, i) = self.locate(r)?;
        Some(self.resource(g, i))
    }

    /// Whether the model can hold this set-up (its state has a fixed size, M14).
    ///
    /// # Errors
    /// What exceeds the model's capacity, or an owner out of range.
    pub fn validate(&self) -> Result<(), String> {
        let too = |what: &str, n: usize, max: usize| {
            (n > max).then(|| format!("the model holds at most {max} {what} (this set-up has {n})"))
        };
        let checks = [
            too("nodes", self.nodes.len(), MAX_NODES),
            too("groups", self.groups.len(), MAX_GROUPS),
            too("resources", self.resource_count(), MAX_RESOURCES),
            self.groups
                .iter()
                .map(|g| g.resources.len())
                .max()
                .and_then(|n| too("resources per group", n, MAX_PER_GROUP)),
            self.nodes
                .is_empty()
                .then(|| "the model needs at least one node".to_owned()),
            self.groups
                .iter()
                .find(|g| g.owner >= self.nodes.len())
                .map(|g| format!("group {} has no declared owner", g.name)),
        ];
        match checks.into_iter().flatten().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Bounds {
    /// The same bounds but trying every allowed client flag combination: the 8 of
    /// OfflineResourceEx and the 16 of MoveGroupEx without FAILBACK.
    #[must_use]
    pub fn every_flag_combination(mut self) -> Self {
        self.offline_flags = (0..8).collect();
        self.move_flags = (0..16).collect();
        self
    }

    /// The budgets as issue 11 counts them (and the SPIN reference encoding): OfflineResourceEx
    /// with each of the 8 sets of {IGNORE, FORCE, DNU}, OnlineResourceEx, MoveGroupEx with each
    /// of the 8 sets of {IGNORE, RTS, QUEUE} to every node and to null, CancelGroupOperation;
    /// the SPIN fault kinds.
    #[must_use]
    pub fn spin(calls: u8, faults: u8) -> Self {
        Self {
            calls,
            faults,
            offline_flags: (0..8).collect(),
            move_flags: (0..8).collect(),
            null_dest: true,
            probe_rejections: false,
            raw_calls: false,
            faults_enabled: Faults::spin(),
        }
    }
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            calls: 2,
            faults: 1,
            offline_flags: vec![0, offline_flags::DNU, offline_flags::FORCE],
            move_flags: vec![
                move_flags::RTS,
                move_flags::QUEUE,
                move_flags::IGNORE | move_flags::RTS,
            ],
            null_dest: false,
            probe_rejections: true,
            raw_calls: false,
            faults_enabled: Faults {
                fail_work: true,
                lock: true,
                busy: true,
                net: false,
                crash: true,
                embedded: true,
                panic: false,
            },
        }
    }
}

impl Default for ModelConfig {
    /// The configuration `cargo test` checks exhaustively with BFS: 2 nodes, 1 group of 2
    /// resources (both persistent Online, pending work), 2 client calls, 1 fault.
    fn default() -> Self {
        Self {
            setup: Setup::uniform(2, 1, 2),
            bounds: Bounds::default(),
            bug: Bug::None,
            witnesses: true,
        }
    }
}

impl ModelConfig {
    /// A configuration from a scenario set-up, with default bounds (for replay, where the
    /// bounds are irrelevant).
    #[must_use]
    pub fn from_setup(setup: Setup) -> Self {
        Self {
            setup,
            ..Self::default()
        }
    }

    /// A row of issue 11's table: `nodes` nodes, `groups` groups of `resources` resources
    /// (owned round-robin, persistent Online, pending work) with [`Bounds::spin`] budgets.
    #[must_use]
    pub fn table(nodes: usize, groups: usize, resources: usize, calls: u8, faults: u8) -> Self {
        Self {
            setup: Setup::uniform(nodes, groups, resources),
            bounds: Bounds::spin(calls, faults),
            bug: Bug::None,
            witnesses: true,
        }
    }

    /// The largest configuration the brief allows (4 nodes, 3 groups × 3 resources, 4 calls,
    /// 3 faults, every flag and fault): far too big to exhaust; for seeded simulation.
    #[must_use]
    pub fn maximal() -> Self {
        let bounds = Bounds {
            calls: 4,
            faults: 3,
            null_dest: true,
            raw_calls: true,
            faults_enabled: Faults::all(),
            ..Bounds::default()
        }
        .every_flag_combination();
        Self {
            setup: Setup::uniform(4, 3, 3),
            bounds,
            bug: Bug::None,
            witnesses: true,
        }
    }

    /// The default bounds on a mixed set-up: 2 nodes, 1 group of 2 resources, the first
    /// persistent Online with pending work, the second persistent Offline with synchronous
    /// work (covers R7 `sync`, and rollbacks/recoveries whose target is Offline).
    #[must_use]
    pub fn mixed() -> Self {
        let mut setup = Setup::uniform(2, 1, 2);
        let r = &mut setup.groups[0].resources[1];
        r.persistent = Persist::Offline;
        r.offline = WorkMode::Sync;
        r.online = WorkMode::Sync;
        Self {
            setup,
            ..Self::default()
        }
    }

    /// The middle row of issue 11's table, (3,2,1,2,1), for timing runs.
    #[must_use]
    pub fn medium() -> Self {
        Self::table(3, 2, 1, 2, 1)
    }

    /// The CI configuration (`OFFLINE_V2_MODEL_LARGE=1`, `.ci/run`): (3,2,2,3,2) with the
    /// issue's budgets, checked by DFS with symmetry.
    #[must_use]
    pub fn large() -> Self {
        Self::table(3, 2, 2, 3, 2)
    }

    /// The same configuration with a deliberate bug.
    #[must_use]
    pub fn with_bug(mut self, bug: Bug) -> Self {
        self.bug = bug;
        self
    }

    /// The fair-step bound K of the bounded-response property (M3): generous for one
    /// operation per group plus its recovery, with every fault healed first.
    #[must_use]
    pub fn response_bound(&self) -> usize {
        16 * (self.setup.resource_count() + 1) * self.setup.groups.len().max(1)
            + 4 * self.setup.nodes.len()
            + 16
    }

    /// Which node renamings are symmetries (M16): declaration order decides failover targets
    /// ("first Up node", R20) and null destinations ("first Up node after the owner,
    /// wrapping", R13). With two nodes both choices are "the other node"; without crashes
    /// nothing fails over, and null destinations still commute with rotations.
    #[must_use]
    pub fn node_symmetry(&self) -> NodeSym {
        let f = &self.bounds.faults_enabled;
        match (self.setup.nodes.len() <= 2, f.crash, self.bounds.null_dest) {
            (true, _, _) | (false, false, false) => NodeSym::All,
            (false, false, true) => NodeSym::Rotations,
            _ => NodeSym::None,
        }
    }

    /// The constant shape every state carries.
    #[must_use]
    pub fn shape(&self) -> Shape {
        let su = &self.setup;
        let small = |x: usize| u8::try_from(x).unwrap_or(u8::MAX);
        let mut shape = Shape {
            nodes: small(su.nodes.len().min(MAX_NODES)),
            groups: small(su.groups.len().min(MAX_GROUPS)),
            len: [0; MAX_GROUPS],
            base: [0; MAX_GROUPS],
            class: [0; MAX_GROUPS],
            node_sym: self.node_symmetry(),
            group: [0; MAX_RESOURCES],
            sync_offline: 0,
            sync_online: 0,
        };
        let key = |g: &GroupSetup| -> Vec<(WorkMode, WorkMode)> {
            g.resources.iter().map(|r| (r.offline, r.online)).collect()
        };
        let mut base = 0;
        for (g, gs) in su.groups.iter().take(MAX_GROUPS).enumerate() {
            shape.len[g] = small(gs.resources.len());
            shape.base[g] = small(base);
            for (i, r) in gs.resources.iter().enumerate() {
                let x = (base + i) % MAX_RESOURCES;
                shape.group[x] = small(g);
                let bit = 1u16 << x;
                if r.offline == WorkMode::Sync {
                    shape.sync_offline |= bit;
                }
                if r.online == WorkMode::Sync {
                    shape.sync_online |= bit;
                }
            }
            base += gs.resources.len();
            // Groups are interchangeable when their resources' work modes agree position by
            // position (M16); persistent state is state, not shape.
            let first = su
                .groups
                .iter()
                .position(|o| key(o) == key(gs))
                .unwrap_or(g);
            shape.class[g] = small(first);
        }
        shape
    }
}
