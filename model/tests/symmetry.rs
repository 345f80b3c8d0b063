//! Symmetry reduction is sound (M5): renaming interchangeable groups commutes with `step`.

use std::collections::{HashSet, VecDeque};

use offline_v2_model::symmetry::permute;
use offline_v2_model::{step, Action, ModelConfig, State};
use stateright::Model;

/// Swaps groups 0 and 1 in an action of a configuration with one resource per group.
fn swap_action(a: Action) -> Action {
    let sw = |x: usize| if x < 2 { 1 - x } else { x };
    match a {
        Action::OfflineResource {
            resource,
            flags,
            reason,
        } => Action::OfflineResource {
            resource: resource.map(sw),
            flags,
            reason,
        },
        Action::OnlineResource { resource } => Action::OnlineResource {
            resource: resource.map(sw),
        },
        Action::MoveGroup { group, dest, flags } => Action::MoveGroup {
            group: group.map(sw),
            dest,
            flags,
        },
        Action::CancelGroupOperation { group, reserved } => Action::CancelGroupOperation {
            group: group.map(sw),
            reserved,
        },
        Action::RawOfflineV2 {
            node,
            resid,
            dest,
            flags,
            inbuf_null,
            inbuf_size,
            reserved,
        } => Action::RawOfflineV2 {
            node,
            resid: match resid {
                offline_v2_model::ResidArg::Held(r) => offline_v2_model::ResidArg::Held(sw(r)),
                x => x,
            },
            dest,
            flags,
            inbuf_null,
            inbuf_size,
            reserved,
        },
        Action::CompleteOffline(r) => Action::CompleteOffline(sw(r)),
        Action::FailOffline(r) => Action::FailOffline(sw(r)),
        Action::CompleteOnline(r) => Action::CompleteOnline(sw(r)),
        Action::FailOnline(r) => Action::FailOnline(sw(r)),
        Action::Lock(r) => Action::Lock(sw(r)),
        Action::Unlock(r) => Action::Unlock(sw(r)),
        Action::Busy(r) => Action::Busy(sw(r)),
        Action::Unbusy(r) => Action::Unbusy(sw(r)),
        Action::EmbeddedFailure(r) => Action::EmbeddedFailure(sw(r)),
        Action::InjectPanic(r) => Action::InjectPanic(sw(r)),
        x => x,
    }
}

#[test]
fn group_renaming_commutes_with_step() {
    let cfg = ModelConfig::medium();
    let id: Vec<usize> = (0..cfg.setup.nodes.len()).collect();
    let gp = [1usize, 0];
    let init = offline_v2_model::initial_state(&cfg);
    let mut seen: HashSet<State> = HashSet::from([init.clone()]);
    let mut queue = VecDeque::from([init]);
    let mut checked = 0usize;
    let limit: usize = std::env::var("OFFLINE_V2_MODEL_SYM_LIMIT")
        .ok()
        .and_then(|x| x.parse().ok())
        .unwrap_or(20_000);
    let mut actions = Vec::new();
    while let Some(s) = queue.pop_front() {
        if checked > limit {
            break;
        }
        actions.clear();
        cfg.actions(&s, &mut actions);
        for &a in &actions {
            let t = step(&cfg, &s, &a).0;
            let lhs = permute(&t, &gp, &id);
            let rhs = step(&cfg, &permute(&s, &gp, &id), &swap_action(a)).0;
            assert_eq!(lhs, rhs, "renaming does not commute with {a:?} from {s:?}");
            checked += 1;
            if seen.insert(t.clone()) {
                queue.push_back(t);
            }
        }
    }
    println!("group symmetry: {checked} transitions checked");
}

/// Swaps nodes 0 and 1 in an action.
fn swap_nodes(a: Action) -> Action {
    use offline_v2_model::{Dest, DestArg};
    let sw = |n: u8| if n < 2 { 1 - n } else { n };
    match a {
        Action::MoveGroup {
            group,
            dest: Dest::Node(d),
            flags,
        } => Action::MoveGroup {
            group,
            dest: Dest::Node(sw(d)),
            flags,
        },
        Action::RawOfflineV2 {
            node,
            resid,
            dest,
            flags,
            inbuf_null,
            inbuf_size,
            reserved,
        } => Action::RawOfflineV2 {
            node: sw(node),
            resid,
            dest: match dest {
                DestArg::Valid(d) => DestArg::Valid(sw(d)),
                x => x,
            },
            flags,
            inbuf_null,
            inbuf_size,
            reserved,
        },
        Action::NetDown(x, y) => Action::NetDown(sw(x), sw(y)),
        Action::NetUp(x, y) => Action::NetUp(sw(x), sw(y)),
        Action::CrashNode(n) => Action::CrashNode(sw(n)),
        Action::StartNode(n) => Action::StartNode(sw(n)),
        x => x,
    }
}

#[test]
fn node_renaming_commutes_with_step_for_two_nodes() {
    let mut cfg = ModelConfig::default();
    cfg.bounds.null_dest = true;
    cfg.bounds.raw_calls = true;
    cfg.bounds.faults_enabled = offline_v2_model::Faults::all();
    assert!(cfg.node_symmetry_sound());
    let np = [1usize, 0];
    let gp = [0usize];
    let init = offline_v2_model::initial_state(&cfg);
    let mut seen: HashSet<State> = HashSet::from([init.clone()]);
    let mut queue = VecDeque::from([init]);
    let mut checked = 0usize;
    let mut actions = Vec::new();
    while let Some(s) = queue.pop_front() {
        if checked > 50_000 {
            break;
        }
        actions.clear();
        cfg.actions(&s, &mut actions);
        for &a in &actions {
            let t = step(&cfg, &s, &a).0;
            let lhs = permute(&t, &gp, &np);
            let rhs = step(&cfg, &permute(&s, &gp, &np), &swap_nodes(a)).0;
            assert_eq!(lhs, rhs, "renaming does not commute with {a:?} from {s:?}");
            checked += 1;
            if seen.insert(t.clone()) {
                queue.push_back(t);
            }
        }
    }
    println!("node symmetry: {checked} transitions checked");
}
