//! The host's records: what it knows of each group and each resource, and the environment it
//! told the DLL instances (D2). Plain data; each concern that changes it lives in its own file.

use std::collections::BTreeSet;

use super::operation::Operation;
use crate::types::{GroupId, NodeId, OpId, PersistentState, ResourceId, ResourceState};

/// The host's view of one group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct GroupHost {
    /// The single owner (R10).
    pub owner: NodeId,
    /// The group's resources, in declaration order.
    pub resources: Vec<ResourceId>,
    /// In-flight work: while there is some, the group is held (R14).
    pub operation: Option<Operation>,
    /// The accepted client operation not yet completed (R14: it completes exactly once).
    pub open_op: Option<OpId>,
}

/// The host's view of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ResourceHost {
    /// Its group.
    pub group: GroupId,
    /// State on the group's owner (R10).
    pub state: ResourceState,
    /// The durable intent (R11).
    pub persistent: PersistentState,
    /// What SetResourceLockedMode said (D3).
    pub locked: bool,
}

/// What the environment is, as told to the DLL instances (D2): replayed to a node that starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Environment {
    /// Per resource: locked.
    pub locked: Vec<bool>,
    /// Per resource: busy (R6).
    pub busy: Vec<bool>,
    /// Down links, as (lower, higher) node pairs.
    pub links_down: BTreeSet<(NodeId, NodeId)>,
}
