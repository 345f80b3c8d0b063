//! Symmetry reduction is sound and reduces (M16): renaming interchangeable groups and (where
//! declaration order does not decide) nodes commutes with `step` up to the canonical form,
//! and on symmetric configurations the unique count drops by close to the group's order.

use std::collections::HashSet;

use offline_v2_model::explore::{explore, Options};
use offline_v2_model::symmetry::canonical;
use offline_v2_model::{
    initial_state, step_into, Action, Dest, Discard, ModelConfig, NodeSym, RawCall, ResidArg, State,
};
use stateright::Model;

/// A renaming: new index of each old group (one resource per group) and of each old node.
struct Renaming {
    groups: Vec<usize>,
    nodes: Vec<u8>,
}

impl Renaming {
    fn node(&self, n: u8) -> u8 {
        self.nodes.get(usize::from(n)).copied().unwrap_or(n)
    }
    fn group(&self, g: usize) -> usize {
        self.groups.get(g).copied().unwrap_or(g)
    }
    /// The action on the renamed state (resources are groups: one resource per group).
    fn action(&self, a: Action) -> Action {
        let r = |x: usize| self.group(x);
        match a {
            Action::OfflineResource {
                resource,
                flags,
                reason,
            } => Action::OfflineResource {
                resource: resource.map(r),
                flags,
                reason,
            },
            Action::OnlineResource { resource } => Action::OnlineResource {
                resource: resource.map(r),
            },
            Action::MoveGroup { group, dest, flags } => Action::MoveGroup {
                group: group.map(r),
                dest: match dest {
                    Dest::Node(d) => Dest::Node(self.node(d)),
                    x => x,
                },
                flags,
            },
            Action::CancelGroupOperation { group, reserved } => Action::CancelGroupOperation {
                group: group.map(r),
                reserved,
            },
            Action::RawOfflineV2 { node, call } => Action::RawOfflineV2 {
                node: self.node(node),
                call: RawCall {
                    resid: match call.resid {
                        ResidArg::Held(x) => ResidArg::Held(r(x)),
                        x => x,
                    },
                    ..call
                },
            },
            Action::CompleteOffline(x) => Action::CompleteOffline(r(x)),
            Action::FailOffline(x) => Action::FailOffline(r(x)),
            Action::CompleteOnline(x) => Action::CompleteOnline(r(x)),
            Action::FailOnline(x) => Action::FailOnline(r(x)),
            Action::Timeout(g) => Action::Timeout(r(g)),
            Action::Retry(g) => Action::Retry(r(g)),
            Action::Lock(x) => Action::Lock(r(x)),
            Action::Unlock(x) => Action::Unlock(r(x)),
            Action::Busy(x) => Action::Busy(r(x)),
            Action::Unbusy(x) => Action::Unbusy(r(x)),
            Action::NetDown(a, b) => Action::NetDown(self.node(a), self.node(b)),
            Action::NetUp(a, b) => Action::NetUp(self.node(a), self.node(b)),
            Action::CrashNode(n) => Action::CrashNode(self.node(n)),
            Action::StartNode(n) => Action::StartNode(self.node(n)),
            Action::EmbeddedFailure(x) => Action::EmbeddedFailure(r(x)),
            Action::InjectPanic(x) => Action::InjectPanic(r(x)),
        }
    }
}

/// The canonical form is a function of the orbit: a renamed path leads to a state with the
/// same canonical form as the original path (renaming commutes with `step`).
fn renamed_paths_agree(
    cfg: &ModelConfig,
    pi: &Renaming,
    start: (State, State),
    limit: usize,
) -> usize {
    // Explore pairs (s, r) where r is reached by the renamed actions of s's path, from a pair
    // of states that are renamings of each other.
    let mut seen = HashSet::from([start]);
    let mut stack = vec![start];
    let mut checked = 0;
    let mut actions = Vec::new();
    while let Some((s, r)) = stack.pop() {
        if checked >= limit {
            break;
        }
        actions.clear();
        cfg.actions(&s, &mut actions);
        for &a in &actions {
            let t = step_into(cfg, &s, &a, &mut Discard);
            let u = step_into(cfg, &r, &pi.action(a), &mut Discard);
            assert_eq!(
                canonical(&t),
                canonical(&u),
                "renaming does not commute with {a:?} from {s:?} / {r:?}"
            );
            checked += 1;
            if seen.insert((t, u)) {
                stack.push((t, u));
            }
        }
    }
    checked
}

fn limit() -> usize {
    std::env::var("OFFLINE_V2_MODEL_SYM_LIMIT")
        .ok()
        .and_then(|x| x.parse().ok())
        .unwrap_or(200_000)
}

/// Two groups with the same resources, both on n1 (a symmetric initial state, so the
/// renamed path starts from the same state), two nodes (every node renaming is a symmetry).
fn symmetric_two_by_two() -> ModelConfig {
    let mut cfg = ModelConfig::table(2, 2, 1, 2, 1);
    for g in &mut cfg.setup.groups {
        g.owner = 0;
    }
    cfg.bounds.faults_enabled = offline_v2_model::Faults::all();
    cfg
}

#[test]
fn swapping_groups_commutes_with_step() {
    let cfg = symmetric_two_by_two();
    let pi = Renaming {
        groups: vec![1, 0],
        nodes: vec![0, 1],
    };
    // Both groups start on n1: the swapped initial state is the initial state.
    let init = initial_state(&cfg);
    let n = renamed_paths_agree(&cfg, &pi, (init, init), limit());
    println!("group swap: {n} transition pairs checked");
    assert!(n > 1000);
}

#[test]
fn swapping_two_nodes_commutes_with_step() {
    let cfg = symmetric_two_by_two();
    assert_eq!(cfg.node_symmetry(), NodeSym::All);
    let pi = Renaming {
        groups: vec![0, 1],
        nodes: vec![1, 0],
    };
    // The renamed initial state: both groups on n2 (only the set-up's owners differ; the
    // transition relation does not read them).
    let mut twin = cfg.clone();
    for g in &mut twin.setup.groups {
        g.owner = 1;
    }
    let start = (initial_state(&cfg), initial_state(&twin));
    assert_eq!(canonical(&start.0), canonical(&start.1));
    let n = renamed_paths_agree(&cfg, &pi, start, limit());
    println!("node swap: {n} transition pairs checked");
    assert!(n > 1000);
}

/// Measured reduction factors (recorded in docs/decisions.md, M16).
fn factor(cfg: &ModelConfig) -> (u64, u64) {
    let plain = explore(cfg, Options::default());
    let sym = explore(
        cfg,
        Options {
            symmetry: true,
            ..Options::default()
        },
    );
    assert!(plain.passed() && sym.passed());
    println!(
        "nodes·groups·resources {}: {} → {} unique with symmetry, factor {:.2}",
        cfg.setup.nodes.len() * 100 + cfg.setup.groups.len() * 10 + cfg.setup.resource_count(),
        plain.unique,
        sym.unique,
        plain.unique as f64 / sym.unique as f64
    );
    (plain.unique, sym.unique)
}

fn all_on_first_node(mut cfg: ModelConfig) -> ModelConfig {
    for g in &mut cfg.setup.groups {
        g.owner = 0;
    }
    cfg
}

#[test]
fn interchangeable_groups_shrink_by_close_to_the_factorial() {
    // Groups with the same resources, all on n1: the initial state is invariant under
    // renaming groups, so nearly every orbit of g groups has g! reachable members. Three
    // nodes with crashes: no node renaming is a symmetry (M16), so this is the group factor.
    let (plain, sym) = factor(&all_on_first_node(ModelConfig::table(3, 2, 1, 2, 1)));
    assert!(plain as f64 / sym as f64 > 1.8, "{plain} → {sym}");
    let (plain, sym) = factor(&all_on_first_node(ModelConfig::table(3, 3, 1, 2, 1)));
    assert!(plain as f64 / sym as f64 > 4.5, "{plain} → {sym}");
}

#[test]
fn node_renamings_reduce_where_they_are_symmetries() {
    // Nodes are never interchangeable in the initial state (groups have owners), so node
    // renamings merge only states reached after moves or crashes: less than the factorial.
    let two = all_on_first_node(ModelConfig::table(2, 2, 1, 2, 1));
    assert_eq!(two.node_symmetry(), NodeSym::All);
    let (plain, sym) = factor(&two);
    assert!(plain as f64 / sym as f64 > 2.0, "{plain} → {sym}");
    let mut three = ModelConfig::table(3, 1, 1, 3, 1);
    three.bounds.null_dest = false;
    three.bounds.faults_enabled.crash = false;
    assert_eq!(three.node_symmetry(), NodeSym::All);
    let (plain, sym) = factor(&three);
    assert!(plain > sym, "{plain} → {sym}");
}
