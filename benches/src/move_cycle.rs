//! The `move_cycle` workload (SPEC §8): one move with RETURN_TO_SOURCE_NODE_ON_ERROR whose
//! destination fails, through the sans-IO core's `Cluster::step`, until the group is back
//! Online on its source and the move has completed.
//!
//! Set-up: nodes `n1`, `n2`; group `g1` owned by `n1` with one resource `vm1`, persistent
//! Online, `offline: sync`, `online: pending`; the in-process [`ReferenceDll`] on each node
//! (the core's cost, not the C ABI's). One cycle is three inputs:
//! 1. `MoveGroup(g1, n2, RETURN_TO_SOURCE_NODE_ON_ERROR)`: OfflineV2 on n1 (0x02|0x40, sync),
//!    Close on n1, Open on n2, OnlineV2 on n2 (pending);
//! 2. `FailOnline(vm1)`: the online on n2 fails; the return leg offlines vm1 on n2
//!    (0x08|0x40, Failed → Offline at once, R3), ownership goes back to n1, OnlineV2 on n1
//!    (pending);
//! 3. `CompleteOnline(vm1)`: vm1 is Online on n1; the move completes with ERROR_GEN_FAILURE.
//!
//! After a cycle the cluster is where it started (owner n1, vm1 Online), so cycles repeat.

use offline_v2::cluster::{
    Cluster, ClusterConfig, GroupConfig, Input, Output, ResourceConfig, DEFAULT_PENDING_TIMEOUT,
    DEFAULT_RETRY_INTERVAL,
};
use offline_v2::reference::ReferenceDll;
use offline_v2::types::{
    ErrorCode, GroupId, MoveGroupFlags, NodeId, NodeName, PersistentState, ResourceId,
    ResourceState, WorkMode,
};

/// One move + failure + return-to-source cycle, ready to repeat.
#[derive(Debug)]
pub struct MoveCycle {
    cluster: Cluster<ReferenceDll>,
    inputs: [Input; 3],
    out: Vec<Output>,
}

/// The set-up described in the module documentation.
///
/// # Panics
/// If the core rejects it (a bug the bench must not hide).
#[must_use]
pub fn config() -> ClusterConfig {
    ClusterConfig {
        pending_timeout: DEFAULT_PENDING_TIMEOUT,
        retry_interval: DEFAULT_RETRY_INTERVAL,
        nodes: vec![
            NodeName::new("n1").expect("node name"),
            NodeName::new("n2").expect("node name"),
        ],
        groups: vec![GroupConfig {
            name: "g1".into(),
            owner: NodeId(0),
            resources: vec![ResourceConfig {
                name: "vm1".into(),
                persistent: PersistentState::Online,
                offline: WorkMode::Sync,
                online: WorkMode::Pending,
            }],
        }],
    }
}

impl MoveCycle {
    /// A fresh cluster in the starting position.
    ///
    /// # Panics
    /// If the core rejects the set-up.
    #[must_use]
    pub fn new() -> Self {
        let cluster = Cluster::new(config(), vec![ReferenceDll::new(), ReferenceDll::new()])
            .expect("the move_cycle set-up is valid");
        let vm1 = ResourceId(0);
        Self {
            cluster,
            inputs: [
                Input::MoveGroup {
                    group: "g1".into(),
                    dest: Some("n2".into()),
                    flags: MoveGroupFlags::RETURN_TO_SOURCE_NODE_ON_ERROR,
                },
                Input::FailOnline(vm1),
                Input::CompleteOnline(vm1),
            ],
            out: Vec::with_capacity(64),
        }
    }

    /// Runs one cycle; returns the move's completion result (ERROR_GEN_FAILURE), or None if
    /// it did not complete within the cycle.
    #[inline]
    pub fn run(&mut self) -> Option<ErrorCode> {
        self.out.clear();
        for input in &self.inputs {
            self.cluster.step_into(input.clone(), &mut self.out);
        }
        self.out.iter().find_map(|o| match o {
            Output::Completed { result, .. } => Some(*result),
            _ => None,
        })
    }

    /// Outputs of the last cycle.
    #[must_use]
    pub fn outputs(&self) -> &[Output] {
        &self.out
    }

    /// True when the cluster is in the starting position (owner n1, vm1 Online there).
    #[must_use]
    pub fn at_start(&self) -> bool {
        self.cluster.owner(GroupId(0)) == NodeId(0)
            && self.cluster.resource_state(ResourceId(0)) == ResourceState::Online
    }
}

impl Default for MoveCycle {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offline_v2::cluster::{DllCall, Entry};
    use offline_v2::types::OfflineFlags;

    #[test]
    fn a_cycle_returns_to_the_start_with_the_failure_code() {
        let mut m = MoveCycle::new();
        assert!(m.at_start());
        for _ in 0..3 {
            assert_eq!(m.run(), Some(ErrorCode::ERROR_GEN_FAILURE));
            assert!(m.at_start());
            let calls: Vec<(u8, Entry, OfflineFlags)> = m
                .outputs()
                .iter()
                .filter_map(|o| match o {
                    Output::DllCall(DllCall {
                        node, entry, flags, ..
                    }) if matches!(entry, Entry::OfflineV2 | Entry::OnlineV2) => {
                        Some((node.0, *entry, *flags))
                    }
                    _ => None,
                })
                .collect();
            let dnu = OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE;
            assert_eq!(
                calls,
                vec![
                    (
                        0,
                        Entry::OfflineV2,
                        OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR | dnu
                    ),
                    (1, Entry::OnlineV2, OfflineFlags::empty()),
                    (
                        1,
                        Entry::OfflineV2,
                        OfflineFlags::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR | dnu
                    ),
                    (0, Entry::OnlineV2, OfflineFlags::empty()),
                ]
            );
        }
    }
}
