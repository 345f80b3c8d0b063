//! What makes the implementation model-checkable (I18): `Cluster<D>` is `Clone` when `D` is,
//! and `Hash + Eq` over the state that decides its future. Two clusters reached by the same
//! inputs — or by different inputs that leave the same state — are equal and hash equal;
//! different states differ; a clone evolves on its own.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::hash::{Hash, Hasher};

use common::mini_dll::MiniDll;
use common::*;
use offline_v2::cluster::{Cluster, Input};
use offline_v2::resource_dll::ResourceDll;
use offline_v2::types::{MoveGroupFlags as M, ResourceId};

fn fingerprint<T: Hash>(value: &T) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new(); // fixed keys: deterministic
    value.hash(&mut hasher);
    hasher.finish()
}

fn cluster() -> Cluster<MiniDll> {
    let config = Builder::new(&["n1", "n2"])
        .group("g1", "n1", vec![on("a"), off("b")])
        .group("g2", "n2", vec![on("c")])
        .timeouts(100, 10)
        .config();
    Cluster::new(config, vec![MiniDll::default(), MiniDll::default()]).unwrap()
}

const A: ResourceId = ResourceId(0);

fn move_g1() -> Input {
    Input::MoveGroup {
        group: "g1".into(),
        dest: Some("n2".into()),
        flags: M::RETURN_TO_SOURCE_NODE_ON_ERROR,
    }
}

fn run<D: ResourceDll>(c: &mut Cluster<D>, inputs: &[Input]) {
    for input in inputs {
        c.step(input.clone());
    }
}

fn same<D: ResourceDll + Hash + Eq + std::fmt::Debug>(x: &Cluster<D>, y: &Cluster<D>) {
    assert_eq!(x, y);
    assert_eq!(fingerprint(x), fingerprint(y));
}

fn differ<D: ResourceDll + Hash + Eq + std::fmt::Debug>(x: &Cluster<D>, y: &Cluster<D>) {
    assert_ne!(x, y);
    assert_ne!(fingerprint(x), fingerprint(y));
}

#[test]
fn i18_the_same_inputs_reach_equal_clusters() {
    let inputs = [move_g1(), Input::CompleteOnline(A), Input::Tick { ms: 30 }];
    let (mut x, mut y) = (cluster(), cluster());
    same(&x, &y);
    run(&mut x, &inputs);
    run(&mut y, &inputs);
    same(&x, &y);
}

#[test]
fn i18_equality_is_of_state_not_of_history() {
    // A lock that comes and goes (the MiniDll never reports locks) leaves the same state.
    let (mut x, y) = (cluster(), cluster());
    run(&mut x, &[Input::Lock(A), Input::Unlock(A)]);
    same(&x, &y);
}

#[test]
fn i18_states_that_decide_different_futures_differ() {
    let base = cluster();
    // The operation: a move pending on n2's OnlineV2 …
    let mut moving = base.clone();
    moving.step(move_g1());
    differ(&base, &moving);
    // … versus the same move after its OnlineV2 ended (cursor and outstanding call differ).
    let mut moved = moving.clone();
    moved.step(Input::CompleteOnline(A));
    differ(&moving, &moved);
    // Time alone decides the R19 deadline's distance.
    let mut later = moving.clone();
    later.step(Input::Tick { ms: 1 });
    differ(&moving, &later);
    // The next operation id is in future outputs.
    let mut rejected = base.clone();
    rejected.step(Input::OnlineResource {
        resource: "a".into(), // Online already: nothing to do, no id taken
    });
    let mut accepted = base.clone();
    accepted.step(Input::OfflineResource {
        resource: "a".into(),
        flags: offline_v2::types::OfflineResourceFlags::empty(),
        reason: offline_v2::types::OfflineReason::None,
    });
    accepted.step(Input::OnlineResource {
        resource: "a".into(),
    });
    accepted.step(Input::CompleteOnline(A));
    assert_eq!(rejected.view(), accepted.view(), "the same host view …");
    differ(&rejected, &accepted); // … but op ids 0 and 1 are spent
}

#[test]
fn i18_outputs_not_yet_polled_are_part_of_the_state() {
    let (mut x, mut y) = (cluster(), cluster());
    x.handle_input(0, move_g1()).unwrap();
    y.handle_input(0, move_g1()).unwrap();
    same(&x, &y);
    y.poll_output();
    differ(&x, &y);
    while x.poll_output().is_some() {}
    while y.poll_output().is_some() {}
    same(&x, &y);
}

#[test]
fn i18_a_clone_is_equal_and_evolves_on_its_own() {
    let mut original = cluster();
    original.step(move_g1());
    let mut copy = original.clone();
    same(&original, &copy);
    copy.step(Input::FailOnline(A));
    differ(&original, &copy);
    original.step(Input::FailOnline(A));
    same(&original, &copy);
}
