//! Independent stateright model of the OfflineV2 cluster (SPEC §3–§6).
//!
//! One file per concern: [`config`] (set-up and exploration bounds), [`state`] (host view, DLL
//! side, ghosts, vocabulary), [`actions`] (the actions and the pure transition function
//! [`step`]), [`properties`] (SPEC §6), [`symmetry`] (reduction for DFS), [`bugs`]
//! (deliberately broken variants). The model never depends on the implementation crate.

pub mod actions;
pub mod bugs;
pub mod config;
pub mod properties;
pub mod shortest;
pub mod state;
pub mod symmetry;

pub use actions::{initial_state, step, Action, Dest, DestArg, ResidArg};
pub use bugs::Bug;
pub use config::{Bounds, Faults, GroupSetup, ModelConfig, ResourceSetup, Setup, WorkMode};
pub use state::{codes, oflags, Entry, Observation, Persist, RState, State};

use stateright::{Model, Property};

use state::Phase;

impl Model for ModelConfig {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![initial_state(self)]
    }

    /// Every client call (each enabled flag combination) while the call budget lasts, every
    /// environment event that has something to act on (faults while the fault budget lasts,
    /// heals and work completions free), and `tick` while something waits on time and time is
    /// below its bound.
    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        let b = &self.bounds;
        let su = &self.setup;
        let nn = u8::try_from(su.nodes.len()).unwrap_or(u8::MAX);
        let nr = su.resource_count();
        let ng = su.groups.len();
        if s.calls_left > 0 {
            for r in 0..nr {
                for &flags in &b.offline_flags {
                    out.push(Action::OfflineResource {
                        resource: Some(r),
                        flags,
                        reason: 0,
                    });
                }
                out.push(Action::OnlineResource { resource: Some(r) });
            }
            for g in 0..ng {
                for &flags in &b.move_flags {
                    for d in 0..nn {
                        out.push(Action::MoveGroup {
                            group: Some(g),
                            dest: Dest::Node(d),
                            flags,
                        });
                    }
                    if b.null_dest {
                        out.push(Action::MoveGroup {
                            group: Some(g),
                            dest: Dest::Null,
                            flags,
                        });
                    }
                }
                out.push(Action::CancelGroupOperation {
                    group: Some(g),
                    reserved: 0,
                });
            }
            if b.probe_rejections {
                out.push(Action::OfflineResource {
                    resource: None,
                    flags: 0,
                    reason: 0,
                });
                out.push(Action::MoveGroup {
                    group: Some(0),
                    dest: Dest::Unknown,
                    flags: config::move_flags::FAILBACK,
                });
                out.push(Action::CancelGroupOperation {
                    group: Some(0),
                    reserved: 1,
                });
            }
            if b.raw_calls {
                for n in 0..nn {
                    for r in 0..nr {
                        out.push(Action::RawOfflineV2 {
                            node: n,
                            resid: ResidArg::Held(r),
                            dest: DestArg::None,
                            flags: 0,
                            inbuf_null: true,
                            inbuf_size: 0,
                            reserved: 0,
                        });
                    }
                }
                out.push(Action::RawOfflineV2 {
                    node: 0,
                    resid: ResidArg::Forged,
                    dest: DestArg::Invalid,
                    flags: 0x02,
                    inbuf_null: true,
                    inbuf_size: 4,
                    reserved: 0,
                });
            }
        }
        let fe = &b.faults_enabled;
        let fault = s.faults_left > 0;
        for (g, gs) in su.groups.iter().enumerate() {
            for i in 0..gs.resources.len() {
                let r = su.global(g, i);
                let pending = |st: RState| {
                    (0..s.up.len())
                        .any(|n| s.up[n] && s.dll[n].res[g][i].is_some_and(|d| d.state == st))
                };
                if pending(RState::OfflinePending) {
                    out.push(Action::CompleteOffline(r));
                    if fault && fe.fail_work {
                        out.push(Action::FailOffline(r));
                    }
                }
                if pending(RState::OnlinePending) {
                    out.push(Action::CompleteOnline(r));
                    if fault && fe.fail_work {
                        out.push(Action::FailOnline(r));
                    }
                }
                if s.locked[g][i] {
                    out.push(Action::Unlock(r));
                } else if fault && fe.lock {
                    out.push(Action::Lock(r));
                }
                if s.busy[g][i] {
                    out.push(Action::Unbusy(r));
                } else if fault && fe.busy {
                    out.push(Action::Busy(r));
                }
                let owner = s.owner(g);
                let idle = s.groups[g].job.is_none() && s.groups[g].queued == 0;
                if fault
                    && fe.embedded
                    && idle
                    && s.up[owner]
                    && s.groups[g].res[i].state == RState::Online
                {
                    out.push(Action::EmbeddedFailure(r));
                }
                if fault
                    && fe.panic
                    && s.up[owner]
                    && s.dll[owner].res[g][i].is_some_and(|d| !d.panic)
                {
                    out.push(Action::InjectPanic(r));
                }
            }
        }
        for a in 0..nn {
            for c in (a + 1)..nn {
                if s.links_down.contains(&(a, c)) {
                    out.push(Action::NetUp(a, c));
                } else if fault && fe.net {
                    out.push(Action::NetDown(a, c));
                }
            }
            if s.up[usize::from(a)] {
                if fault && fe.crash {
                    out.push(Action::CrashNode(a));
                }
            } else {
                out.push(Action::StartNode(a));
            }
        }
        let waits_on_time = s
            .groups
            .iter()
            .any(|g| g.call.is_some() || g.job.is_some_and(|j| j.phase == Phase::Queued));
        if waits_on_time && s.now.saturating_add(b.tick_ms) <= b.max_time {
            out.push(Action::Tick(b.tick_ms));
        }
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        Some(step(self, s, &a).0)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all(self)
    }
}

/// Getters the conformance layer compares with the implementation's host view.
impl State {
    /// Host view: state of the resource numbered `global` in declaration order.
    #[must_use]
    pub fn resource_state(&self, cfg: &ModelConfig, global: usize) -> Option<RState> {
        let (g, i) = cfg.setup.locate(global)?;
        Some(self.groups[g].res[i].state)
    }
    /// Persistent state of a resource.
    #[must_use]
    pub fn persistent(&self, cfg: &ModelConfig, global: usize) -> Option<Persist> {
        let (g, i) = cfg.setup.locate(global)?;
        Some(self.groups[g].res[i].persistent)
    }
    /// Host view: locked.
    #[must_use]
    pub fn locked_host(&self, cfg: &ModelConfig, global: usize) -> Option<bool> {
        let (g, i) = cfg.setup.locate(global)?;
        Some(self.groups[g].res[i].locked)
    }
}
