//! The host view: [`ClusterView`] (a comparable snapshot, R13) and the getters of
//! [`Cluster`].

use super::{Cluster, ClusterConfig};
use crate::resource_dll::ResourceDll;
use crate::types::{GroupId, NodeId, NodeState, PersistentState, ResourceId, ResourceState};

/// The host's view of the whole cluster, for snapshots (R13: a rejected call changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterView {
    /// Logical time.
    pub now: u64,
    /// Per node.
    pub nodes: Vec<NodeState>,
    /// Per group: owner.
    pub owners: Vec<NodeId>,
    /// Per group: queued.
    pub queued: Vec<bool>,
    /// Per group: held.
    pub held: Vec<bool>,
    /// Per resource: state.
    pub states: Vec<ResourceState>,
    /// Per resource: persistent state.
    pub persistent: Vec<PersistentState>,
    /// Per resource: locked.
    pub locked: Vec<bool>,
}

impl<D: ResourceDll> Cluster<D> {
    /// The configuration this cluster runs.
    #[must_use]
    pub fn config(&self) -> &ClusterConfig {
        &self.tables.config
    }
    /// Logical time (R22).
    #[must_use]
    pub fn now(&self) -> u64 {
        self.now
    }
    /// The RESID `node`'s DLL gave the host for `resource`, if the host holds one there (R2:
    /// on the group's owner only). For observers (e.g. reading the DLL-side state through
    /// [`ResourceDll::dll_state`]); `None` for an undeclared index.
    #[must_use]
    pub fn resid(&self, resource: ResourceId, node: NodeId) -> Option<crate::resource_dll::Resid> {
        self.resids
            .get(resource.index())
            .and_then(|per_node| per_node.get(node.index()))
            .copied()
            .flatten()
    }
    /// The group's single owner (R10).
    #[must_use]
    pub fn owner(&self, group: GroupId) -> NodeId {
        self.groups[group.index()].owner
    }
    /// Up or Down.
    #[must_use]
    pub fn node_state(&self, node: NodeId) -> NodeState {
        self.nodes[node.index()]
    }
    /// The resource's state on its group's owner (host view).
    #[must_use]
    pub fn resource_state(&self, resource: ResourceId) -> ResourceState {
        self.resources[resource.index()].state
    }
    /// The durable intent (R11).
    #[must_use]
    pub fn persistent(&self, resource: ResourceId) -> PersistentState {
        self.resources[resource.index()].persistent
    }
    /// What SetResourceLockedMode said last (D3).
    #[must_use]
    pub fn locked(&self, resource: ResourceId) -> bool {
        self.resources[resource.index()].locked
    }
    /// The group has a queued move (R16, R13 check 3).
    #[must_use]
    pub fn queued(&self, group: GroupId) -> bool {
        self.groups[group.index()]
            .operation
            .as_ref()
            .is_some_and(super::operation::Operation::is_queued)
    }
    /// The group is held: work in flight or settling, or its owner is Down (R13 check 4, R14).
    #[must_use]
    pub fn held(&self, group: GroupId) -> bool {
        let g = &self.groups[group.index()];
        g.operation.is_some() || self.nodes[g.owner.index()] == NodeState::Down
    }
    /// Whether the environment has `resource` locked (D2: what the DLL instances were told;
    /// for a model checker choosing the next `lock`/`unlock`). False for an undeclared index.
    #[must_use]
    pub fn environment_locked(&self, resource: ResourceId) -> bool {
        self.env
            .locked
            .get(resource.index())
            .copied()
            .unwrap_or(false)
    }
    /// Whether the environment has `resource` busy (R6, D2). False for an undeclared index.
    #[must_use]
    pub fn environment_busy(&self, resource: ResourceId) -> bool {
        self.env
            .busy
            .get(resource.index())
            .copied()
            .unwrap_or(false)
    }
    /// Whether the link between `a` and `b` is down (R5, D2).
    #[must_use]
    pub fn link_down(&self, a: NodeId, b: NodeId) -> bool {
        self.env.links_down.contains(&(a.min(b), a.max(b)))
    }
    /// The group of a resource.
    #[must_use]
    pub fn group_of(&self, resource: ResourceId) -> GroupId {
        self.resources[resource.index()].group
    }
    /// Number of nodes, groups and resources.
    #[must_use]
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.nodes.len(), self.groups.len(), self.resources.len())
    }
    /// A node by name.
    #[must_use]
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.tables.nodes.get(name).copied()
    }
    /// A group by name.
    #[must_use]
    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.tables.groups.get(name).copied()
    }
    /// A resource by name.
    #[must_use]
    pub fn resource_id(&self, name: &str) -> Option<ResourceId> {
        self.tables.resources.get(name).copied()
    }
    /// A node's name.
    #[must_use]
    pub fn node_name(&self, node: NodeId) -> &str {
        self.tables.config.nodes[node.index()].as_str()
    }
    /// A group's name.
    #[must_use]
    pub fn group_name(&self, group: GroupId) -> &str {
        &self.tables.config.groups[group.index()].name
    }
    /// A resource's name.
    #[must_use]
    pub fn resource_name(&self, resource: ResourceId) -> &str {
        &self.tables.resource_names[resource.index()]
    }
    /// One node's DLL instance (for tests and harnesses that inspect the DLL side).
    #[must_use]
    pub fn dll(&self, node: NodeId) -> &D {
        &self.dlls[node.index()]
    }
    /// The whole host view, comparable with `==`.
    #[must_use]
    pub fn view(&self) -> ClusterView {
        ClusterView {
            now: self.now,
            nodes: self.nodes.clone(),
            owners: self.groups.iter().map(|g| g.owner).collect(),
            queued: self.group_ids().map(|g| self.queued(g)).collect(),
            held: self.group_ids().map(|g| self.held(g)).collect(),
            states: self.resources.iter().map(|r| r.state).collect(),
            persistent: self.resources.iter().map(|r| r.persistent).collect(),
            locked: self.resources.iter().map(|r| r.locked).collect(),
        }
    }

    /// Every node id, in declaration order (ids fit in a `u8`, I13).
    pub(super) fn node_ids(&self) -> impl Iterator<Item = NodeId> {
        (0..self.nodes.len()).map(|n| NodeId(u8::try_from(n).unwrap_or(u8::MAX)))
    }
    /// Every group id, in declaration order (ids fit in a `u8`, I13).
    pub(super) fn group_ids(&self) -> impl Iterator<Item = GroupId> {
        (0..self.groups.len()).map(|g| GroupId(u8::try_from(g).unwrap_or(u8::MAX)))
    }
}
