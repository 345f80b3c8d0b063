//! M2, on toy models: exactly which liveness violations stateright 0.31's `eventually` misses.
//! Each toy has a path on which the condition never holds; `eventually` reports it only when
//! that path ends in a terminal state first reached along it.

use stateright::{Checker, Model, Property};

/// A graph model: `edges[s]` are the successors of state `s`; the condition holds in `good`.
struct Graph {
    edges: Vec<Vec<usize>>,
    good: Vec<usize>,
}

impl Model for Graph {
    type State = usize;
    type Action = usize;
    fn init_states(&self) -> Vec<usize> {
        vec![0]
    }
    fn actions(&self, s: &usize, out: &mut Vec<usize>) {
        out.extend(self.edges[*s].iter().copied());
    }
    fn next_state(&self, _: &usize, a: usize) -> Option<usize> {
        Some(a)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("good", |m: &Graph, s: &usize| {
            m.good.contains(s)
        })]
    }
}

fn found(g: Graph) -> bool {
    g.checker().spawn_bfs().join().discovery("good").is_some()
}

/// Caught: 0 → 1 (terminal), never good.
#[test]
fn terminal_path_is_caught() {
    assert!(found(Graph {
        edges: vec![vec![1], vec![]],
        good: vec![],
    }));
}

/// Missed (M2.1): a lasso 0 → 1 → 1 …, never good, has no terminal state.
#[test]
fn lasso_is_missed() {
    assert!(!found(Graph {
        edges: vec![vec![1], vec![1]],
        good: vec![],
    }));
}

/// Missed (M2.2): 0 → 1 (good) → 3 and 0 → 2 → 3; the path 0,2,3 is never good, but 3 was
/// first reached through 1, so it carries "satisfied".
#[test]
fn dag_join_is_missed() {
    assert!(!found(Graph {
        edges: vec![vec![1, 2], vec![3], vec![3], vec![]],
        good: vec![1],
    }));
    // The same bad path without the join is caught.
    assert!(found(Graph {
        edges: vec![vec![1, 2], vec![3], vec![4], vec![], vec![]],
        good: vec![1],
    }));
}

/// Missed (M2.3): "eventually" is "at some state of the path": good at 0 covers the rest, so
/// a later request that is never served (1 → 2 terminal) is not judged.
#[test]
fn after_first_satisfaction_nothing_is_judged() {
    assert!(!found(Graph {
        edges: vec![vec![1], vec![2], vec![]],
        good: vec![0],
    }));
}

/// Missed (M2.4): with `target_max_depth`, the last state is skipped, never terminal.
#[test]
fn depth_bound_is_missed() {
    let g = Graph {
        edges: vec![vec![1], vec![2], vec![]],
        good: vec![],
    };
    let c = g.checker().target_max_depth(2).spawn_bfs().join();
    assert!(c.discovery("good").is_none());
}
