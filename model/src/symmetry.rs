//! Symmetry reduction (M16): a canonical form over the renamings of interchangeable groups and
//! nodes, used by stateright's DFS (its BFS ignores symmetry).
//!
//! Groups: within each class (same resources' work modes, [`crate::Shape::class`]) the groups
//! are sorted by everything that belongs to them — their word (owner and job) and their
//! resources' words and armed panics —, which is the least arrangement of the class, hence one
//! representative per orbit. Nodes: where renaming nodes is a symmetry
//! ([`crate::ModelConfig::node_symmetry`]), every allowed renaming is tried (each followed by
//! the group sort) and the least result by [`State`]'s order is kept. Only up to four nodes
//! are renamed (24 renamings); with more, node symmetry is not used.

use stateright::Representative;

use crate::state::{NodeSym, State, MAX_GROUPS, MAX_NODES};

/// The representative of `s`'s orbit.
#[must_use]
pub fn canonical(s: &State) -> State {
    let sh = s.shape();
    let nodes = usize::from(sh.nodes);
    let mut best = sort_groups(*s);
    let mut map = identity();
    let mut each = |map: &[u8; MAX_NODES]| {
        let c = sort_groups(s.rename_nodes(map));
        if c.order_key() < best.order_key() {
            best = c;
        }
    };
    match sh.node_sym {
        NodeSym::None => {}
        _ if nodes > 4 => {}
        NodeSym::Rotations => {
            for k in 1..nodes {
                for (n, m) in map.iter_mut().enumerate().take(nodes) {
                    *m = u8::try_from((n + k) % nodes).unwrap_or(0);
                }
                each(&map);
            }
        }
        NodeSym::All => permutations(&mut map, 0, nodes, &mut each),
    }
    best
}

fn identity() -> [u8; MAX_NODES] {
    let mut map = [0u8; MAX_NODES];
    for (n, m) in map.iter_mut().enumerate() {
        *m = u8::try_from(n).unwrap_or(0);
    }
    map
}

/// Calls `f` with every permutation of `map[k..n]` (Heap-style swaps, restored after).
fn permutations(
    map: &mut [u8; MAX_NODES],
    k: usize,
    n: usize,
    f: &mut dyn FnMut(&[u8; MAX_NODES]),
) {
    if k + 1 >= n {
        f(map);
        return;
    }
    for j in k..n {
        map.swap(k, j);
        permutations(map, k + 1, n, f);
        map.swap(k, j);
    }
}

/// Sorts the groups of each class by their block key (insertion sort: at most 8 groups).
fn sort_groups(mut s: State) -> State {
    let sh = *s.shape();
    let ng = usize::from(sh.groups).min(MAX_GROUPS);
    for i in 1..ng {
        let mut j = i;
        while j > 0 {
            // The previous group of the same class, if any.
            let Some(p) = (0..j).rev().find(|&p| sh.class[p] == sh.class[j]) else {
                break;
            };
            if s.block_key(p) <= s.block_key(j) {
                break;
            }
            s.swap_groups(p, j);
            j = p;
        }
    }
    s
}

impl Representative for State {
    /// The least state among all renamings of interchangeable groups and (where sound) nodes.
    fn representative(&self) -> Self {
        canonical(self)
    }
}
