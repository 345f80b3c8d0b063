//! What makes a [`Cluster`] model-checkable (I18): `Clone` when the DLLs are, and `Hash` + `Eq`
//! over every piece of state that decides its future — deterministic (no `HashMap` order), and
//! without the immutable configuration and name tables, which clones share.

use std::hash::{Hash, Hasher};

use super::Cluster;
use crate::resource_dll::ResourceDll;

impl<D: ResourceDll + Clone> Clone for Cluster<D> {
    fn clone(&self) -> Self {
        Self {
            tables: std::sync::Arc::clone(&self.tables),
            dlls: self.dlls.clone(),
            now: self.now,
            nodes: self.nodes.clone(),
            groups: self.groups.clone(),
            resources: self.resources.clone(),
            resids: self.resids.clone(),
            env: self.env.clone(),
            next_op: self.next_op,
            out: self.out[self.polled..].to_vec(),
            polled: 0,
            deferred: self.deferred.clone(),
            callbacks: Vec::new(),
            violation: self.violation.clone(),
            #[cfg(feature = "seeded-bugs")]
            bug: self.bug,
        }
    }
}

impl<D: ResourceDll> Cluster<D> {
    /// Translates time so that the earliest time the cluster still remembers is 0 (I18): the
    /// clock and every timestamp (an outstanding call's start, a queued move's last attempt)
    /// move back by the same amount. Only differences of logical times decide the future
    /// (R16, R19, R22), so the translated cluster behaves exactly as the original, shifted in
    /// time; a model checker calls this after every input so that states which differ only
    /// by absolute time are one state (without it, a queued move retried forever is an
    /// infinite state space). Outputs carry no times.
    pub fn rebase_clock(&mut self) {
        let base = self
            .groups
            .iter()
            .filter_map(|g| g.operation.as_ref().and_then(|o| o.earliest_time()))
            .fold(self.now, u64::min);
        if base == 0 {
            return;
        }
        for g in &mut self.groups {
            if let Some(o) = &mut g.operation {
                o.shift_time(base);
            }
        }
        self.now -= base;
    }
}

/// Hashes the dynamic state: the DLL instances, time, nodes, each group's owner and operation
/// (phase, cursor, outstanding call, deadlines), each resource's host record, the RESIDs held,
/// the environment, the next operation id (ids appear in outputs), the outputs not yet polled
/// and a violation. Not hashed: the configuration and names (immutable, shared by clones), the
/// scratch buffers, and the deferred callbacks (empty between inputs: `run_deferred` returns
/// `Ok` only once it has emptied them).
impl<D: ResourceDll + Hash> Hash for Cluster<D> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.dlls.hash(state);
        self.now.hash(state);
        self.nodes.hash(state);
        self.groups.hash(state);
        self.resources.hash(state);
        self.resids.hash(state);
        self.env.hash(state);
        self.next_op.hash(state);
        self.out[self.polled..].hash(state);
        self.violation.hash(state);
        #[cfg(feature = "seeded-bugs")]
        self.bug.hash(state);
    }
}

/// Equal when the hashed state is equal and the configuration is the same one (clones share
/// it, so that is a pointer comparison) or an equal one.
impl<D: ResourceDll + PartialEq> PartialEq for Cluster<D> {
    fn eq(&self, other: &Self) -> bool {
        let same_tables = std::sync::Arc::ptr_eq(&self.tables, &other.tables)
            || self.tables.config == other.tables.config;
        #[cfg(feature = "seeded-bugs")]
        let same_bug = self.bug == other.bug;
        #[cfg(not(feature = "seeded-bugs"))]
        let same_bug = true;
        same_tables
            && same_bug
            && self.dlls == other.dlls
            && self.now == other.now
            && self.nodes == other.nodes
            && self.groups == other.groups
            && self.resources == other.resources
            && self.resids == other.resids
            && self.env == other.env
            && self.next_op == other.next_op
            && self.out[self.polled..] == other.out[other.polled..]
            && self.violation == other.violation
    }
}

impl<D: ResourceDll + Eq> Eq for Cluster<D> {}
