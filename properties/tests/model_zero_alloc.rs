//! Issue 11: the model's hot path allocates nothing. On every reachable state of a small
//! configuration, what the native checker does per state and per transition — enumerate the
//! actions into a reserved `Vec`, step (with the transition checks), fingerprint, take the
//! canonical form, judge every `always` property (the bounded-response simulation included) —
//! makes no heap allocation. (Here, not in `model/tests`: the counting allocator lives in the
//! implementation's ABI module, the only place `unsafe` is allowed, and the model crate never
//! depends on the implementation.)

use std::hint::black_box;

use offline_v2::abi::alloc_count::CountingAllocator;
use offline_v2_model::properties::{catalog, Judge};
use offline_v2_model::state::fingerprint;
use offline_v2_model::symmetry::canonical;
use offline_v2_model::{
    enumerate, initial_state, step_witnessed, Action, Discard, ModelConfig, State,
};

#[global_allocator]
static COUNTING: CountingAllocator = CountingAllocator;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = CountingAllocator::thread_allocations();
    f();
    CountingAllocator::thread_allocations() - before
}

/// Every reachable state of `cfg` (collected with allocation, before measuring).
fn reachable(cfg: &ModelConfig) -> Vec<State> {
    let init = initial_state(cfg);
    let mut seen = std::collections::HashSet::from([init]);
    let mut stack = vec![init];
    let mut all = Vec::new();
    let mut actions = Vec::new();
    while let Some(s) = stack.pop() {
        all.push(s);
        actions.clear();
        enumerate::actions(cfg, &s, &mut actions);
        for a in &actions {
            let (t, _) = step_witnessed(cfg, &s, a, &mut Discard);
            if seen.insert(t) {
                stack.push(t);
            }
        }
    }
    all
}

#[test]
fn the_counter_sees_a_deliberate_allocation() {
    let n = allocations_during(|| {
        black_box(Vec::<u64>::with_capacity(black_box(8)));
    });
    assert_eq!(n, 1);
}

#[test]
fn a_checker_step_allocates_nothing() {
    let mut cfg = ModelConfig::table(2, 2, 1, 2, 1);
    cfg.bounds.faults_enabled = offline_v2_model::Faults::all();
    cfg.bounds.raw_calls = true;
    let states = reachable(&cfg);
    let props = catalog(&cfg);
    let mut actions: Vec<Action> = Vec::with_capacity(1024);
    let mut transitions = 0u64;
    let n = allocations_during(|| {
        for s in &states {
            actions.clear();
            enumerate::actions(&cfg, s, &mut actions);
            for p in &props {
                if let Judge::Always(f) | Judge::Eventually(f) | Judge::Sometimes(f) = p.judge {
                    black_box(f(&cfg, s));
                }
            }
            for a in &actions {
                let (t, w) = step_witnessed(&cfg, s, a, &mut Discard);
                black_box((fingerprint(&canonical(&t)), w));
                transitions += 1;
            }
        }
    });
    println!(
        "{} states, {transitions} transitions: {n} allocations",
        states.len()
    );
    assert!(transitions > 10_000);
    assert_eq!(n, 0, "the checker's hot path allocated");
}
