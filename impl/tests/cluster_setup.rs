//! Set-up (D4), configuration errors (I13), `step_into`, and the crash ordering of I2.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::*;
use offline_v2::cluster::{Cluster, ConfigError, Input, Output};
use offline_v2::reference::ReferenceDll;
use offline_v2::types::{MoveGroupFlags as M, NodeId, NodeName, PersistentState as P};

fn dlls(n: usize) -> Vec<ReferenceDll> {
    (0..n).map(|_| ReferenceDll::new()).collect()
}

#[test]
fn d4_setup_opens_on_owner_in_persistent_state_and_emits_nothing() {
    let h = Builder::new(&["n1", "n2"])
        .group("g1", "n2", vec![on("a"), off("b")])
        .build();
    assert_eq!((h.state("a"), h.state("b")), (S::Online, S::Offline));
    assert_eq!(
        (h.persistent("a"), h.persistent("b")),
        (P::Online, P::Offline)
    );
    assert_eq!(h.owner("g1"), "n2");
    let on_n2 = h.c.dll(h.n("n2")).instance();
    let on_n1 = h.c.dll(h.n("n1")).instance();
    let resid = on_n2.resid_of("a").unwrap();
    assert_eq!(on_n2.state_of(resid), Some(S::Online));
    assert!(on_n2.resid_of("b").is_some());
    assert!(on_n1.resid_of("a").is_none());
    assert_eq!(on_n2.local_node().unwrap().as_str(), "n2");
    assert!(!h.c.held(h.g("g1")) && !h.c.queued(h.g("g1")));
    assert_eq!(h.c.now(), 0);
    // Names both ways.
    assert_eq!(h.c.node_name(h.n("n1")), "n1");
    assert_eq!(h.c.group_name(h.g("g1")), "g1");
    assert_eq!(h.c.resource_name(h.r("b")), "b");
    assert_eq!(h.c.node_id("zz"), None);
}

#[test]
fn i13_configuration_errors() {
    let base = || Builder::new(&["n1", "n2"]).group("g1", "n1", vec![on("a")]);
    let err = |config, n| Cluster::new(config, dlls(n)).map(|_| ()).unwrap_err();
    assert_eq!(
        err(base().config(), 1),
        ConfigError::DllCount { dlls: 1, nodes: 2 }
    );
    let mut c = base().config();
    c.nodes.clear();
    assert_eq!(err(c, 0), ConfigError::NoNodes);
    let mut c = base().config();
    c.nodes.push(NodeName::new("n1").unwrap());
    assert_eq!(err(c, 3), ConfigError::DuplicateNode("n1".into()));
    assert_eq!(
        err(base().group("g1", "n2", vec![on("z")]).config(), 2),
        ConfigError::DuplicateGroup("g1".into())
    );
    assert_eq!(
        err(base().group("g2", "n2", vec![on("a")]).config(), 2),
        ConfigError::DuplicateResource("a".into())
    );
    assert_eq!(
        err(base().group("g2", "n2", vec![on("")]).config(), 2),
        ConfigError::EmptyName("resource")
    );
    let mut c = base().config();
    c.groups[0].owner = NodeId(2);
    assert!(matches!(
        err(c, 2),
        ConfigError::OwnerOutOfRange { owner: 2, .. }
    ));
    assert!(!ConfigError::NoNodes.to_string().is_empty());
}

#[test]
fn step_into_appends_to_the_callers_buffer() {
    let mut h = two_nodes_one_vm();
    let mut out = vec![returned(E::ERROR_BUSY)];
    h.c.step_into(Input::Tick { ms: 1 }, &mut out);
    h.c.step_into(
        Input::MoveGroup {
            group: "g1".into(),
            dest: Some("n2".into()),
            flags: M::empty(),
        },
        &mut out,
    );
    assert_eq!(
        out,
        [
            returned(E::ERROR_BUSY),
            accepted(0),
            h.off_call("n1", "vm1", Some("n2"), DNU, E::ERROR_IO_PENDING),
        ]
    );
    let empty: Vec<Output> = h.c.step(Input::Tick { ms: 1 });
    assert!(empty.is_empty());
}

#[test]
fn i2_crash_completes_and_places_each_group_before_any_recovery_runs() {
    let mut h = Builder::new(&["n1", "n2", "n3"])
        .group("g1", "n1", vec![sync(on("a")), on("b")])
        .group("g2", "n2", vec![on("c")])
        .build();
    h.ev(Input::Busy, "b");
    h.move_group("g1", Some("n2"), M::QUEUE_ENABLED);
    assert!(h.c.queued(h.g("g1")));
    h.move_group("g2", Some("n3"), M::empty());
    let out = h.crash("n2");
    assert_eq!(
        out,
        [
            // Per group: completion, then placement (g1 stays on n1; g2, owned by the Down
            // node, fails over to the first Up node: Open there) ...
            completed(0, E::ERROR_CLUSTER_NODE_DOWN),
            completed(1, E::ERROR_CLUSTER_NODE_DOWN),
            h.open("n1", "c"),
            // ... then the recoveries run, in declaration order.
            h.on_call("n1", "a", E::ERROR_SUCCESS),
            h.on_call("n1", "c", E::ERROR_IO_PENDING),
        ]
    );
    assert!(!h.c.queued(h.g("g1")) && !h.c.held(h.g("g1")));
    assert_eq!(h.owner("g2"), "n1");
}
