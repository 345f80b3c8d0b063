//! One test per cluster rule R10–R23 (SPEC §5), named after the rule, asserting exact outputs
//! and the host view, plus the SPEC §7 example end to end.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::*;
use offline_v2::cluster::{Entry, Input, Output, RawResid};
use offline_v2::resource_dll::RawDest;
use offline_v2::types::{
    MoveGroupFlags as M, NodeState, OfflineResourceFlags as O, PersistentState as P,
};

const RTS: M = M::RETURN_TO_SOURCE_NODE_ON_ERROR;

#[test]
fn r17_spec_section7_example_end_to_end() {
    let mut h = two_nodes_one_vm();
    let mut all = Vec::new();
    let out = h.move_group("g1", Some("n2"), RTS);
    assert_eq!(
        out,
        [
            accepted(0),
            h.off_call(
                "n1",
                "vm1",
                Some("n2"),
                F::RETURN_TO_SOURCE_NODE_ON_ERROR | DNU,
                E::ERROR_IO_PENDING
            ),
        ]
    );
    assert_eq!(h.state("vm1"), S::OfflinePending);
    all.extend(out);
    let out = h.ev(Input::CompleteOffline, "vm1");
    assert_eq!(
        out,
        [
            h.close("n1", "vm1"),
            h.open("n2", "vm1"),
            h.on_call("n2", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(h.owner("g1"), "n2");
    assert_eq!(h.state("vm1"), S::OnlinePending);
    all.extend(out);
    let out = h.ev(Input::FailOnline, "vm1");
    assert_eq!(
        out,
        [
            h.off_call(
                "n2",
                "vm1",
                Some("n1"),
                F::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR | DNU,
                E::ERROR_SUCCESS
            ),
            h.close("n2", "vm1"),
            h.open("n1", "vm1"),
            h.on_call("n1", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(h.owner("g1"), "n1");
    assert!(h.c.held(h.g("g1")));
    all.extend(out);
    let out = h.ev(Input::CompleteOnline, "vm1");
    assert_eq!(out, [completed(0, E::ERROR_GEN_FAILURE)]);
    all.extend(out);
    // check: owner, state, persistent
    assert_eq!(h.owner("g1"), "n1");
    assert_eq!(h.state("vm1"), S::Online);
    assert_eq!(h.persistent("vm1"), P::Online);
    assert!(!h.c.held(h.g("g1")));
    // check_calls
    assert_eq!(
        calls(&all),
        [
            h.off_call(
                "n1",
                "vm1",
                Some("n2"),
                F::RETURN_TO_SOURCE_NODE_ON_ERROR | DNU,
                E::ERROR_IO_PENDING
            ),
            h.on_call("n2", "vm1", E::ERROR_IO_PENDING),
            h.off_call(
                "n2",
                "vm1",
                Some("n1"),
                F::RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR | DNU,
                E::ERROR_SUCCESS
            ),
            h.on_call("n1", "vm1", E::ERROR_IO_PENDING),
        ]
    );
    assert_eq!(completions(&all), [completed(0, E::ERROR_GEN_FAILURE)]);
}
