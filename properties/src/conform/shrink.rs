//! Shrinking a failing plan to a minimal reproducer: replay the prefix up to the failing
//! step, then delete chunks of steps (halving their size, ddmin-style), keeping a deletion
//! whenever the replay — on a fresh load — still breaks the same rule.
//!
//! A black box may be nondeterministic (its own threads, random delays), so a candidate
//! that does not fail is simply not taken; the result says whether the final plan
//! reproduced at all.

use super::plan::{Plan, Step};
use super::rules::Rule;
use super::run::Failure;

/// What one replay showed: the failure, if any.
pub type Replayed = Option<Failure>;

/// Replays of the unshrunk prefix before giving up on reproducing it.
const PREFIX_TRIES: usize = 3;

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

/// Shrinks `plan`, whose run failed as `failure`, with at most `max_runs` replays through
/// `replay`. The first tries are the prefix up to the failing step, then that prefix
/// sliced to the failure's resource ([`super::plan::Step::concerns`]); then chunks of
/// halving size are deleted from the end backwards.
pub fn shrink(
    plan: &Plan,
    failure: &Failure,
    max_runs: usize,
    replay: &mut dyn FnMut(&Plan) -> Replayed,
) -> Shrunk {
    let rule: Rule = failure.rule;
    let last = failure.step.min(plan.steps.len().saturating_sub(1));
    let mut keep: Vec<usize> = (0..=last).collect();
    let mut out = Shrunk {
        plan: plan.subset(&keep),
        message: failure.message.clone(),
        runs: 0,
        reproduced: false,
    };
    if max_runs == 0 {
        return out;
    }
    // A black box may need a few tries to show a race again.
    for _ in 0..PREFIX_TRIES.min(max_runs) {
        out.runs += 1;
        if let Some(f) = replay(&out.plan).filter(|f| f.rule == rule) {
            keep.truncate(f.step + 1);
            out.message = f.message;
            out.reproduced = true;
            break;
        }
    }
    if !out.reproduced {
        return out;
    }
    if let Some(r) = failure.resource {
        let sliced: Vec<usize> = keep
            .iter()
            .copied()
            .filter(|&i| plan.steps[i].concerns(r))
            .collect();
        if sliced.len() < keep.len() && out.runs < max_runs {
            out.runs += 1;
            if let Some(f) = replay(&plan.subset(&sliced)).filter(|f| f.rule == rule) {
                keep = sliced;
                keep.truncate(f.step + 1);
                out.message = f.message;
            }
        }
    }
    suffixes(plan, rule, &mut keep, &mut out, max_runs, replay);
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
            if let Some(f) = replay(&plan.subset(&candidate)).filter(|f| f.rule == rule) {
                keep = candidate;
                keep.truncate(f.step + 1);
                end = end.min(keep.len());
                out.message = f.message;
                removed = true;
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

/// A failure usually needs only the steps just before it: tries the set-up steps (Open,
/// workload controls) followed by the last 2, 4, 8, … steps, keeping the first that fails the
/// same way. Cheap when a replay is slow (a hang costs the whole watchdog time).
fn suffixes(
    plan: &Plan,
    rule: Rule,
    keep: &mut Vec<usize>,
    out: &mut Shrunk,
    max_runs: usize,
    replay: &mut dyn FnMut(&Plan) -> Replayed,
) {
    let mut k = 2;
    while k < keep.len() && out.runs < max_runs {
        let cut = keep.len() - k;
        // Before the cut: every workload control, and each resource's last Open.
        let setup = keep[..cut]
            .iter()
            .enumerate()
            .filter(|&(at, &i)| match &plan.steps[i] {
                Step::Control(_) => true,
                Step::Open { resource } => !keep[at + 1..cut].iter().any(
                    |&j| matches!(&plan.steps[j], Step::Open { resource: r } if r == resource),
                ),
                _ => false,
            });
        let candidate: Vec<usize> = setup
            .map(|(_, &i)| i)
            .chain(keep[cut..].iter().copied())
            .collect();
        if candidate.len() < keep.len() {
            out.runs += 1;
            if let Some(f) = replay(&plan.subset(&candidate)).filter(|f| f.rule == rule) {
                *keep = candidate;
                keep.truncate(f.step + 1);
                out.message = f.message;
                return;
            }
        }
        k *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::plan::Phase;

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
                (Some(_), Some(b)) => Some(Failure {
                    rule: Rule::R4,
                    step: b,
                    message: "x".into(),
                    resource: None,
                }),
                _ => None,
            }
        };
        let failure = Failure {
            rule: Rule::R4,
            step: 7,
            message: "x".into(),
            resource: None,
        };
        let s = shrink(&plan, &failure, 100, &mut replay);
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
