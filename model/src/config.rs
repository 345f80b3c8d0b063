//! Configuration: the cluster set-up (SPEC §7) and the bounds of exhaustive checking.

use crate::bugs::Bug;
use crate::state::Persist;

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

/// A SPEC §7 scenario set-up as plain data (requirement 3 of the model brief).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    /// Node names in declaration order; all start Up.
    pub nodes: Vec<String>,
    /// Groups in declaration order.
    pub groups: Vec<GroupSetup>,
    /// R19 timeout in logical ms.
    pub pending_timeout: u64,
    /// R16 retry interval in logical ms.
    pub retry_interval: u64,
}

/// Which environment faults the checker may inject (each costs one unit of
/// [`Bounds::faults`]; their heals — unlock, unbusy, net up, start — are free).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::struct_excessive_bools)]
pub struct Faults {
    /// `fail_offline` / `fail_online` of pending work.
    pub fail_work: bool,
    /// `lock` (and free `unlock`).
    pub lock: bool,
    /// `busy` (and free `unbusy`).
    pub busy: bool,
    /// `net_down` (and free `net_up`).
    pub net: bool,
    /// `crash_node` (and free `start_node`).
    pub crash: bool,
    /// `embedded_failure`.
    pub embedded: bool,
    /// `inject_panic`.
    pub panic: bool,
}

impl Faults {
    /// Every fault enabled.
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
}

/// Bounds and choices of the exhaustive exploration (only `actions()` reads them; `step`
/// applies any action whatever they say).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::struct_excessive_bools)]
pub struct Bounds {
    /// Client calls the checker may make (rejected ones count too).
    pub calls: u8,
    /// Faults the checker may inject.
    pub faults: u8,
    /// Logical ms advanced by each enumerated `tick`.
    pub tick_ms: u64,
    /// Enumerated ticks stop when `now + tick_ms` would exceed this.
    pub max_time: u64,
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
    /// Track the ghost witnesses of the `sometimes` properties (they enlarge the state a bit).
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
    /// `per_group` resources, all persistent Online, pending work, abstract time
    /// (`pending_timeout` 2, `retry_interval` 1).
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
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            calls: 2,
            faults: 1,
            tick_ms: 1,
            max_time: 3,
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

    /// The larger configuration of the CI property run (`OFFLINE_V2_MODEL_LARGE=1`): 3 nodes,
    /// 2 groups of 1 resource, 3 calls, 2 faults, every fault kind, null destinations, raw calls.
    #[must_use]
    pub fn large() -> Self {
        let mut bounds = Bounds {
            calls: 3,
            faults: 2,
            null_dest: true,
            raw_calls: true,
            faults_enabled: Faults::all(),
            ..Bounds::default()
        };
        bounds.move_flags = vec![move_flags::RTS | move_flags::QUEUE, move_flags::IGNORE];
        bounds.offline_flags = vec![0, offline_flags::DNU];
        Self {
            setup: Setup::uniform(3, 2, 1),
            bounds,
            bug: Bug::None,
            witnesses: true,
        }
    }

    /// The same configuration with a deliberate bug.
    #[must_use]
    pub fn with_bug(mut self, bug: Bug) -> Self {
        self.bug = bug;
        self
    }

    /// The fair-step bound K of the bounded-response properties (M3): generous for one
    /// operation per group plus its recovery.
    #[must_use]
    pub fn response_bound(&self) -> usize {
        16 * (self.setup.resource_count() + 1) * self.setup.groups.len().max(1) + 16
    }

    /// True when permuting nodes is a symmetry of the model (M5): declaration order decides
    /// failover targets and null destinations, so only with at most 2 nodes.
    #[must_use]
    pub fn node_symmetry_sound(&self) -> bool {
        self.setup.nodes.len() <= 2
    }
}
