//! Shrinking a failing plan to a minimal reproducer: replay the prefix up to the failing
//! step, then delete chunks of steps (halving their size, ddmin-style), keeping a deletion
//! whenever the replay — on a fresh load — still breaks the same rule.
//!
//! A black box may be nondeterministic (its own threads, random delays), so a candidate
//! that does not fail is simply not taken; the result says whether the final plan
//! reproduced at all.

use super::plan::Plan;
use super::rules::Rule;

/// What one replay showed: the rule broken, the step that showed it, and the message.
pub type Replayed = Option<(Rule, usize, String)>;

/// A shrunk plan.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest plan found that still breaks the rule (the prefix if nothing smaller
    /// reproduced).
    pub plan: Plan,
    /// The message of its last failing replay.
    pub message: String,
    /// Replays made.
    pub runs: usize,
    /// The prefix (and so `plan`) reproduced the failure on a fresh load.
    pub reproduced: bool,
}

/// Shrinks `plan`, whose run broke `rule` at step `at` with `message`, with at most
/// `max_runs` replays through `replay`.
pub fn shrink(
    plan: &Plan,
    rule: Rule,
    at: usize,
    message: &str,
    max_runs: usize,
    replay: &mut dyn FnMut(&Plan) -> Replayed,
) -> Shrunk {
    let mut keep: Vec<usize> = (0..=at.min(plan.steps.len().saturating_sub(1))).collect();
    let mut out = Shrunk {
        plan: plan.subset(&keep),
        message: message.to_owned(),
        runs: 0,
        reproduced: false,
    };
    if max_runs == 0 {
        return out;
    }
    out.runs += 1;
    match replay(&out.plan) {
        Some((r, step, m)) if r == rule => {
            keep.truncate(step + 1);
            out.message = m;
            out.reproduced = true;
        }
        _ => return out,
    }
    let mut chunk = (keep.len() / 2).max(1);
    while out.runs < max_runs {
        let mut removed = false;
        let mut end = keep.len();
        while end > 0 && out.runs < max_runs {
            let start = end.saturating_sub(chunk);
            let candidate: Vec<usize> = keep[..start].iter().chain(&keep[end..]).copied().collect();
            end = start;
            if candidate.is_empty() {
                continue;
            }
            out.runs += 1;
            if let Some((r, step, m)) = replay(&plan.subset(&candidate)) {
                if r == rule {
                    keep = candidate;
                    keep.truncate(step + 1);
                    end = end.min(keep.len());
                    out.message = m;
                    removed = true;
                }
            }
        }
        if !removed {
            if chunk == 1 {
                break;
            }
            chunk = (chunk / 2).max(1);
        }
    }
    out.plan = plan.subset(&keep);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::plan::{Phase, Step};

    #[test]
    fn shrinks_to_the_steps_the_failure_needs() {
        // Fails (R4) iff steps Wait{salt:3} and Wait{salt:7} both stay, at the later one.
        let steps: Vec<Step> = (0..20)
            .map(|salt| Step::Wait { salt, grace: false })
            .collect();
        let plan = Plan {
            phases: vec![Phase::Random; steps.len()],
            steps,
        };
        let mut replay = |p: &Plan| -> Replayed {
            let pos = |want: u32| {
                p.steps
                    .iter()
                    .position(|s| matches!(s, Step::Wait { salt, .. } if *salt == want))
            };
            match (pos(3), pos(7)) {
                (Some(_), Some(b)) => Some((Rule::R4, b, "x".into())),
                _ => None,
            }
        };
        let s = shrink(&plan, Rule::R4, 7, "x", 100, &mut replay);
        assert!(s.reproduced);
        assert_eq!(
            s.plan.steps,
            [
                Step::Wait {
                    salt: 3,
                    grace: false
                },
                Step::Wait {
                    salt: 7,
                    grace: false
                }
            ]
        );
    }
}
