//! Set-up: what a runnable configuration is ([`ConfigError`], I13), the immutable name tables,
//! and [`Cluster::new`] (D4).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use super::invariants::InvariantViolation;
use super::state::{Environment, GroupHost, ResourceHost};
use super::{Cluster, ClusterConfig};
use crate::resource_dll::{ResourceDll, WorkloadControl};
use crate::types::{GroupId, NodeId, NodeState, PersistentState, ResourceId};

/// Why a [`ClusterConfig`] cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No node declared.
    #[error("a cluster needs at least one node")]
    NoNodes,
    /// More than 255 nodes, groups or resources (ids are `u8`).
    #[error("too many {what}: {count} (at most 255)")]
    TooMany {
        /// "nodes", "groups" or "resources".
        what: &'static str,
        /// How many were declared.
        count: usize,
    },
    /// A node name is declared twice.
    #[error("node {0:?} is declared twice")]
    DuplicateNode(String),
    /// A group name is declared twice.
    #[error("group {0:?} is declared twice")]
    DuplicateGroup(String),
    /// A resource name is declared twice (resource names are unique cluster-wide).
    #[error("resource {0:?} is declared twice")]
    DuplicateResource(String),
    /// An empty group or resource name.
    #[error("empty {0} name")]
    EmptyName(&'static str),
    /// A group's owner is not a declared node.
    #[error("group {group:?} is owned by node #{owner}, but only {nodes} nodes are declared")]
    OwnerOutOfRange {
        /// The group.
        group: String,
        /// The owner index.
        owner: usize,
        /// How many nodes exist.
        nodes: usize,
    },
    /// There must be exactly one DLL instance per node (D1).
    #[error("{dlls} DLL instances for {nodes} nodes (D1: one per node)")]
    DllCount {
        /// DLL instances given.
        dlls: usize,
        /// Nodes declared.
        nodes: usize,
    },
    /// The owner's DLL refused to open a resource at set-up (D4).
    #[error("node {node:?} could not open resource {resource:?} at set-up")]
    OpenFailed {
        /// The node.
        node: String,
        /// The resource.
        resource: String,
    },
    /// The set-up broke an invariant (I17; a DLL that answers set-up controls strangely).
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
}

/// The configuration and its name lookups: immutable after set-up.
#[derive(Debug)]
pub(crate) struct Tables {
    /// The configuration as given.
    pub config: ClusterConfig,
    pub nodes: HashMap<String, NodeId>,
    pub groups: HashMap<String, GroupId>,
    pub resources: HashMap<String, ResourceId>,
    /// Resource names by [`ResourceId`].
    pub resource_names: Vec<String>,
}

fn dense(index: usize, what: &'static str, count: usize) -> Result<u8, ConfigError> {
    u8::try_from(index).map_err(|_| ConfigError::TooMany { what, count })
}

/// I13: what a runnable configuration is.
fn tables(config: ClusterConfig, dlls: usize) -> Result<Tables, ConfigError> {
    let node_count = config.nodes.len();
    if node_count == 0 {
        return Err(ConfigError::NoNodes);
    }
    if dlls != node_count {
        return Err(ConfigError::DllCount {
            dlls,
            nodes: node_count,
        });
    }
    let total: usize = config.groups.iter().map(|g| g.resources.len()).sum();
    let mut nodes = HashMap::new();
    for (n, name) in config.nodes.iter().enumerate() {
        let id = NodeId(dense(n, "nodes", node_count)?);
        if nodes.insert(name.as_str().to_owned(), id).is_some() {
            return Err(ConfigError::DuplicateNode(name.as_str().to_owned()));
        }
    }
    let (mut groups, mut resources, mut resource_names) = (HashMap::new(), HashMap::new(), vec![]);
    for (g, group) in config.groups.iter().enumerate() {
        if group.name.is_empty() {
            return Err(ConfigError::EmptyName("group"));
        }
        let id = GroupId(dense(g, "groups", config.groups.len())?);
        if groups.insert(group.name.clone(), id).is_some() {
            return Err(ConfigError::DuplicateGroup(group.name.clone()));
        }
        if group.owner.index() >= node_count {
            return Err(ConfigError::OwnerOutOfRange {
                group: group.name.clone(),
                owner: group.owner.index(),
                nodes: node_count,
            });
        }
        for resource in &group.resources {
            if resource.name.is_empty() {
                return Err(ConfigError::EmptyName("resource"));
            }
            let id = ResourceId(dense(resource_names.len(), "resources", total)?);
            if resources.insert(resource.name.clone(), id).is_some() {
                return Err(ConfigError::DuplicateResource(resource.name.clone()));
            }
            resource_names.push(resource.name.clone());
        }
    }
    Ok(Tables {
        config,
        nodes,
        groups,
        resources,
        resource_names,
    })
}

impl<D: ResourceDll> Cluster<D> {
    /// Validates `config` and sets the cluster up (D4): every node's DLL is told its local
    /// node and every resource's workload, then each resource is opened on its group's owner
    /// in the state named by its persistent field. Set-up produces no outputs.
    ///
    /// # Errors
    /// [`ConfigError`] when the configuration is not runnable.
    pub fn new(config: ClusterConfig, dlls: Vec<D>) -> Result<Self, ConfigError> {
        let tables = tables(config, dlls.len())?;
        let (mut groups, mut resources) = (Vec::new(), Vec::new());
        let (group_count, total) = (tables.config.groups.len(), tables.resource_names.len());
        for (g, group) in tables.config.groups.iter().enumerate() {
            let mut members = Vec::with_capacity(group.resources.len());
            for resource in &group.resources {
                members.push(ResourceId(dense(resources.len(), "resources", total)?));
                resources.push(ResourceHost {
                    group: GroupId(dense(g, "groups", group_count)?),
                    state: resource.persistent.target(),
                    persistent: resource.persistent,
                    locked: false,
                });
            }
            groups.push(GroupHost {
                owner: group.owner,
                resources: members,
                operation: None,
                open_op: None,
            });
        }
        let (node_count, resource_count) = (tables.config.nodes.len(), resources.len());
        let mut cluster = Self {
            tables: Arc::new(tables),
            dlls,
            now: 0,
            nodes: vec![NodeState::Up; node_count],
            groups,
            resources,
            resids: vec![vec![None; node_count]; resource_count],
            env: Environment {
                locked: vec![false; resource_count],
                busy: vec![false; resource_count],
                links_down: BTreeSet::new(),
            },
            next_op: 0,
            out: Vec::new(),
            polled: 0,
            deferred: VecDeque::new(),
            callbacks: Vec::new(),
            violation: None,
            #[cfg(feature = "seeded-bugs")]
            bug: crate::seeded::SeededBug::None,
        };
        cluster.open_at_setup()?;
        cluster.deferred.clear();
        cluster.out.clear(); // D4: set-up emits no outputs.
        cluster.check_invariants()?;
        Ok(cluster)
    }

    /// D4: local node and workload on every instance (running only on the owner), then each
    /// resource opened on its group's owner.
    fn open_at_setup(&mut self) -> Result<(), ConfigError> {
        for node in self.node_ids() {
            self.configure_instance(node, true);
        }
        for g in 0..self.groups.len() {
            let owner = self.groups[g].owner;
            for i in 0..self.groups[g].resources.len() {
                let r = self.groups[g].resources[i];
                if self.open(owner, r)?.is_none() {
                    return Err(ConfigError::OpenFailed {
                        node: self.node_name(owner).to_owned(),
                        resource: self.resource_name(r).to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Tells a (fresh) instance its local node, every resource's workload and the current
    /// environment (D2, D4). `setup`: resources run on their owner (D4); otherwise the node
    /// comes up empty (R20).
    pub(super) fn configure_instance(&mut self, node: NodeId, setup: bool) {
        let tables = Arc::clone(&self.tables);
        let config = &tables.config;
        self.control(
            node,
            WorkloadControl::SetLocalNode(config.nodes[node.index()]),
        );
        for group in &config.groups {
            for resource in &group.resources {
                let running =
                    setup && group.owner == node && resource.persistent == PersistentState::Online;
                let control = WorkloadControl::Configure {
                    resource: &resource.name,
                    offline: resource.offline,
                    online: resource.online,
                    running,
                };
                self.control(node, control);
            }
        }
        if setup {
            return;
        }
        for (r, name) in tables.resource_names.iter().enumerate() {
            if self.env.locked[r] {
                self.control(node, WorkloadControl::Lock(name));
            }
            if self.env.busy[r] {
                self.control(node, WorkloadControl::Busy(name));
            }
        }
        let down: Vec<(NodeId, NodeId)> = self.env.links_down.iter().copied().collect();
        for (a, b) in down {
            let other = match (a == node, b == node) {
                (true, _) => b,
                (_, true) => a,
                _ => continue,
            };
            self.control(node, WorkloadControl::NetDown(config.nodes[other.index()]));
        }
    }
}
