//! What `offline-v2 conform` sends: a seeded, static sequence of [`Step`]s (a *plan*).
//!
//! A plan never depends on the DLL's answers, so the same plan can be replayed on a fresh
//! load and shrunk by deleting steps (a deleted Open just makes later calls on that resource
//! use a never-issued RESID, which R2 answers). It has phases, each aimed at some rules:
//! start-up and Open (R2, D3), every invalid-input class of R1 and amended R8, unknown,
//! closed and forged RESIDs (R2), all 128 OfflineV2 flag combinations on every resource
//! (R3–R7, R9), calls on pending work (R3, R7), Terminate and Close with work in flight
//! (R7 late callbacks), then random calls. `docs/conform.md` lists them.

use serde::{Deserialize, Serialize};

use super::event::Dest;

/// Which RESID a call passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The RESID the host holds for this resource now (a never-issued one if it is closed).
    Resource(u8),
    /// The RESID this resource had before its last Close (a never-issued one if none).
    Stale(u8),
    /// RESID 0 (NULL).
    Zero,
    /// A value the DLL never returned.
    Forged(u64),
}

/// A workload control, sent only to a DLL with the reference control export (SPEC §1a); a
/// black-box DLL's workload is its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// This instance runs on the node (R5 needs it).
    SetLocalNode(String),
    /// Work modes (true = sync) and whether the workload runs, before Open.
    Configure {
        /// Resource.
        resource: u8,
        /// OfflineV2 finishes at once.
        offline_sync: bool,
        /// OnlineV2 finishes at once.
        online_sync: bool,
        /// Running (an Open sees it Online).
        running: bool,
    },
    /// Lock (reported through SetResourceLockedMode).
    Lock(u8),
    /// Unlock.
    Unlock(u8),
    /// Busy (R6).
    Busy(u8),
    /// Not busy.
    Unbusy(u8),
    /// The link to this node is down (R5).
    NetDown(String),
    /// The link is up.
    NetUp(String),
}

/// One thing the checker does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// `OpenV2(name of resource, NULL, handle, 0)`.
    Open {
        /// Resource index.
        resource: u8,
    },
    /// `Close(RESID)`.
    Close {
        /// Which RESID.
        target: Target,
    },
    /// `Terminate(RESID)`.
    Terminate {
        /// Which RESID.
        target: Target,
    },
    /// `OfflineV2` with raw arguments.
    Offline {
        /// Which RESID.
        target: Target,
        /// DestinationNodeName.
        dest: Dest,
        /// OfflineFlags.
        flags: u32,
        /// InBuffer non-NULL.
        #[serde(default)]
        inbuf: bool,
        /// InBufferSize.
        #[serde(default)]
        inbuf_size: u32,
        /// Reserved.
        #[serde(default)]
        reserved: u32,
    },
    /// `OnlineV2` with raw arguments.
    Online {
        /// Which RESID.
        target: Target,
        /// InBuffer non-NULL.
        #[serde(default)]
        inbuf: bool,
        /// InBufferSize.
        #[serde(default)]
        inbuf_size: u32,
        /// Reserved.
        #[serde(default)]
        reserved: u32,
    },
    /// Wait (bounded) until every owed status callback came. With the control export, pending
    /// work is finished through it first; `salt` picks which work fails.
    Wait {
        /// Seeds the choice of failing work (control export only).
        #[serde(default)]
        salt: u32,
        /// Then listen a little longer for late or duplicate callbacks (end of a plan).
        #[serde(default)]
        grace: bool,
    },
    /// A workload control (control export only; skipped otherwise).
    Control(Control),
}

impl Step {
    fn offline(target: Target, dest: Dest, flags: u32) -> Self {
        Step::Offline {
            target,
            dest,
            flags,
            inbuf: false,
            inbuf_size: 0,
            reserved: 0,
        }
    }

    fn online(target: Target) -> Self {
        Step::Online {
            target,
            inbuf: false,
            inbuf_size: 0,
            reserved: 0,
        }
    }
}

impl Step {
    /// The resource this step is about, if one (a forged RESID is about none).
    #[must_use]
    pub fn resource(&self) -> Option<u8> {
        let of = |t: &Target| match *t {
            Target::Resource(r) | Target::Stale(r) => Some(r),
            Target::Zero | Target::Forged(_) => None,
        };
        match self {
            Step::Open { resource } => Some(*resource),
            Step::Close { target }
            | Step::Terminate { target }
            | Step::Offline { target, .. }
            | Step::Online { target, .. } => of(target),
            Step::Control(
                Control::Configure { resource: r, .. }
                | Control::Lock(r)
                | Control::Unlock(r)
                | Control::Busy(r)
                | Control::Unbusy(r),
            ) => Some(*r),
            Step::Wait { .. } | Step::Control(_) => None,
        }
    }

    /// Whether a plan sliced to resource `r` keeps this step: the steps about `r`, every
    /// wait and every control that is about no resource (node, links).
    #[must_use]
    pub fn concerns(&self, r: u8) -> bool {
        match self.resource() {
            Some(x) => x == r,
            None => matches!(self, Step::Wait { .. } | Step::Control(_)),
        }
    }
}

/// A part of a plan, aimed at some rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Open every resource (and tell the workload, with the control export).
    Setup,
    /// Every invalid-input class of R1 (OfflineV2) and amended R8 (OnlineV2).
    InvalidInput,
    /// RESID 0, forged, closed RESIDs; Close/Open cycles (R2, R8).
    Resids,
    /// All 128 OfflineV2 flag combinations on every resource (R3–R7, R9).
    Flags,
    /// Calls on pending work, Terminate and Close with work in flight (R3, R7).
    Pending,
    /// Seeded random calls.
    Random,
    /// Wait for everything owed, then Close every resource.
    Teardown,
}

impl Phase {
    /// Every phase, in plan order.
    pub const ALL: [Phase; 7] = [
        Phase::Setup,
        Phase::InvalidInput,
        Phase::Resids,
        Phase::Flags,
        Phase::Pending,
        Phase::Random,
        Phase::Teardown,
    ];

    /// The summary row's text.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Setup => "open every resource",
            Phase::InvalidInput => "R1/R8 every invalid-input class",
            Phase::Resids => "R2 RESID 0, forged, closed; reopen",
            Phase::Flags => "R3-R7 all 128 flag combinations",
            Phase::Pending => "R3/R7 calls on pending work",
            Phase::Random => "random calls",
            Phase::Teardown => "wait for callbacks, close all",
        }
    }
}

/// A plan: steps with the phase each belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The phase of each step (same length as `steps`).
    pub phases: Vec<Phase>,
}

impl Plan {
    fn push(&mut self, phase: Phase, step: Step) {
        self.steps.push(step);
        self.phases.push(phase);
    }

    /// The sub-plan of the steps kept by `keep` (indices into this plan, ascending).
    #[must_use]
    pub fn subset(&self, keep: &[usize]) -> Plan {
        Plan {
            steps: keep
                .iter()
                .filter_map(|&i| self.steps.get(i).cloned())
                .collect(),
            phases: keep
                .iter()
                .filter_map(|&i| self.phases.get(i).copied())
                .collect(),
        }
    }

    /// Steps per phase.
    #[must_use]
    pub fn phase_sizes(&self) -> Vec<(Phase, usize)> {
        Phase::ALL
            .iter()
            .map(|&p| (p, self.phases.iter().filter(|&&q| q == p).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// What a plan is made for.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Resources opened (by index into the names the driver uses).
    pub resources: u8,
    /// Random calls in the last phase.
    pub calls: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// The DLL has the reference control export: drive its workload too.
    pub control: bool,
}

/// Destinations a plan uses: syntactically valid node names (R1 checks only syntax; whether
/// the DLL reaches them is its hidden environment, R5).
pub const NODES: [&str; 3] = ["N1", "N2", "N3"];

/// splitmix64: small, seedable, good enough for choosing calls.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[i]
    }
}

/// Makes the plan for `options`.
#[must_use]
pub fn make(options: &PlanOptions) -> Plan {
    let mut rng = Rng::new(options.seed);
    let mut plan = Plan::default();
    let n = options.resources.max(1);
    setup(&mut plan, n, options.control);
    invalid_inputs(&mut plan);
    resids(&mut plan, &mut rng);
    flags(&mut plan, n, &mut rng);
    pending(&mut plan, n, &mut rng);
    random(&mut plan, n, options, &mut rng);
    let salt = salt(&mut rng);
    plan.push(Phase::Teardown, Step::Wait { salt, grace: true });
    for r in 0..n {
        plan.push(
            Phase::Teardown,
            Step::Close {
                target: Target::Resource(r),
            },
        );
    }
    plan
}

fn salt(rng: &mut Rng) -> u32 {
    u32::try_from(rng.next_u64() >> 32).unwrap_or(0)
}

/// With the control export the checker plays the environment: a node name, one resource
/// per situation (locked, busy, sync offline, sync online, plain) and a cut link to N3.
fn setup(plan: &mut Plan, n: u8, control: bool) {
    if control {
        plan.push(
            Phase::Setup,
            Step::Control(Control::SetLocalNode("N1".into())),
        );
        plan.push(Phase::Setup, Step::Control(Control::NetDown("N3".into())));
        for r in 0..n {
            plan.push(
                Phase::Setup,
                Step::Control(Control::Configure {
                    resource: r,
                    offline_sync: r % 5 == 3,
                    online_sync: r % 5 == 4,
                    running: r % 2 == 1,
                }),
            );
            match r % 5 {
                1 => plan.push(Phase::Setup, Step::Control(Control::Lock(r))),
                2 => plan.push(Phase::Setup, Step::Control(Control::Busy(r))),
                _ => {}
            }
        }
    }
    for r in 0..n {
        plan.push(Phase::Setup, Step::Open { resource: r });
    }
    plan.push(
        Phase::Setup,
        Step::Wait {
            salt: 0,
            grace: false,
        },
    );
}

/// Every class of R1 (OfflineV2) and amended R8 (OnlineV2), on resource 0 and on a forged
/// RESID (R9: R1 before R2).
fn invalid_inputs(plan: &mut Plan) {
    for target in [Target::Resource(0), Target::Forged(0x00DE_AD00_0000_BEEF)] {
        for step in invalid_offline(target) {
            plan.push(Phase::InvalidInput, step);
        }
        // OnlineV2 (amended R8): Reserved, and a NULL buffer with a size.
        for (inbuf_size, reserved) in [(0, 1), (0, 0xFFFF_FFFF), (8, 0)] {
            plan.push(
                Phase::InvalidInput,
                Step::Online {
                    target,
                    inbuf: false,
                    inbuf_size,
                    reserved,
                },
            );
        }
    }
    // A present buffer with its size is valid: it must not be read past its end.
    plan.push(
        Phase::InvalidInput,
        Step::Offline {
            target: Target::Resource(0),
            dest: Dest::Null,
            flags: 0x01,
            inbuf: true,
            inbuf_size: 24,
            reserved: 0,
        },
    );
    plan.push(
        Phase::InvalidInput,
        Step::Online {
            target: Target::Resource(0),
            inbuf: true,
            inbuf_size: 24,
            reserved: 0,
        },
    );
    plan.push(
        Phase::InvalidInput,
        Step::Wait {
            salt: 0,
            grace: false,
        },
    );
}

/// Destinations R1 rejects: empty, too long, characters outside `[A-Za-z0-9-]`, a lone
/// surrogate, and 16 units with no NUL right before an unreadable page (a DLL that scans
/// further faults: R1, and "never UB" of R2).
fn invalid_dests() -> Vec<Dest> {
    vec![
        Dest::Name(String::new()),
        Dest::Name("a".repeat(16)),
        Dest::Name("n 1".into()),
        Dest::Name("n_1".into()),
        Dest::Name("n.1".into()),
        Dest::Name("n\u{e9}".into()),
        Dest::Units {
            units: vec![0xD800, u16::from(b'a')],
            terminated: true,
        },
        Dest::Units {
            units: "abcdefghijklmnop".encode_utf16().collect(),
            terminated: false,
        },
    ]
}

/// Every OfflineV2 class R1 rejects, on `target`.
fn invalid_offline(target: Target) -> Vec<Step> {
    let base = |flags: u32, dest: Dest| Step::offline(target, dest, flags);
    let mut out = Vec::new();
    for reserved in [1, 0x8000_0000] {
        out.push(Step::Offline {
            target,
            dest: Dest::Null,
            flags: 0x01,
            inbuf: false,
            inbuf_size: 0,
            reserved,
        });
    }
    for bit in 7..32 {
        out.push(base(0x01 | (1 << bit), Dest::Null));
    }
    out.push(base(0xFFFF_FFFF, Dest::Null));
    out.push(Step::Offline {
        target,
        dest: Dest::Null,
        flags: 0x01,
        inbuf: false,
        inbuf_size: 16,
        reserved: 0,
    });
    out.push(base(0x0A, Dest::Name("N2".into())));
    out.push(base(0x02, Dest::Null));
    out.push(base(0x08, Dest::Null));
    for d in invalid_dests() {
        out.push(base(0x01, d.clone()));
        out.push(base(0x02 | 0x01, d));
    }
    out
}

/// R2: RESID 0, forged values, a closed RESID; Close/Open cycles (a closed RESID is never
/// handed out again; OpenV2 keeps working, R8).
fn resids(plan: &mut Plan, rng: &mut Rng) {
    let mut forged = vec![
        Target::Zero,
        Target::Forged(1),
        Target::Forged(0xFFFF_FFFF_FFFF_FFFF),
        Target::Forged(0x0000_7FFF_DEAD_BEE0),
        Target::Forged(0x0101_0101_0101_0101),
    ];
    for _ in 0..3 {
        forged.push(Target::Forged(rng.next_u64() | 1));
    }
    for &target in &forged {
        plan.push(Phase::Resids, Step::offline(target, Dest::Null, 0x01));
        plan.push(Phase::Resids, Step::online(target));
        plan.push(Phase::Resids, Step::Terminate { target });
        plan.push(Phase::Resids, Step::Close { target });
    }
    for _ in 0..3 {
        plan.push(
            Phase::Resids,
            Step::Close {
                target: Target::Resource(0),
            },
        );
        let stale = Target::Stale(0);
        plan.push(Phase::Resids, Step::offline(stale, Dest::Null, 0x01));
        plan.push(Phase::Resids, Step::online(stale));
        plan.push(Phase::Resids, Step::Terminate { target: stale });
        plan.push(Phase::Resids, Step::Close { target: stale });
        plan.push(Phase::Resids, Step::Open { resource: 0 });
        plan.push(Phase::Resids, Step::offline(stale, Dest::Null, 0x01));
    }
    plan.push(
        Phase::Resids,
        Step::Wait {
            salt: 0,
            grace: false,
        },
    );
}

/// The destination a flag combination is tried with: one is needed with 0x02 or 0x08;
/// otherwise NULL or a node, in turn.
fn dest_for(flags: u32, turn: u64) -> Dest {
    let needs = flags & 0x0A != 0;
    match (needs, turn % 3) {
        (false, 0) => Dest::Null,
        (_, t) => Dest::Name(NODES[usize::try_from(1 + t % 2).unwrap_or(1)].into()),
    }
}

/// All 128 combinations on every resource: Online first (a no-op if it is), then the
/// OfflineV2, then wait for the callbacks, then the OfflineV2 again with 0x01 toggled — now on
/// a resource the DLL reported Offline or Failed (R3: ERROR_SUCCESS whatever the flags, lock
/// or busy).
fn flags(plan: &mut Plan, n: u8, rng: &mut Rng) {
    for flags in 0u32..0x80 {
        for r in 0..n {
            plan.push(Phase::Flags, Step::online(Target::Resource(r)));
        }
        plan.push(
            Phase::Flags,
            Step::Wait {
                salt: salt(rng),
                grace: false,
            },
        );
        // The second time with 0x01 toggled: a locked or busy resource that went offline
        // with 0x01 is now asked without it (R9: R3 comes before R4 and R6).
        for again in [flags, flags ^ 0x01] {
            for r in 0..n {
                let dest = dest_for(again, u64::from(flags) + u64::from(r));
                plan.push(
                    Phase::Flags,
                    Step::offline(Target::Resource(r), dest, again),
                );
            }
            plan.push(
                Phase::Flags,
                Step::Wait {
                    salt: salt(rng),
                    grace: false,
                },
            );
        }
    }
}

/// R3/R7 on work in flight: a second OfflineV2 or an OnlineV2 while an offline is pending,
/// and the other way round; Terminate and Close while pending, then reopen.
fn pending(plan: &mut Plan, n: u8, rng: &mut Rng) {
    for r in 0..n {
        let t = Target::Resource(r);
        let push = |plan: &mut Plan, s: Step| plan.push(Phase::Pending, s);
        push(plan, Step::online(t));
        push(
            plan,
            Step::Wait {
                salt: salt(rng),
                grace: false,
            },
        );
        push(plan, Step::offline(t, Dest::Null, 0x41));
        push(plan, Step::offline(t, Dest::Null, 0x41));
        push(plan, Step::online(t));
        push(
            plan,
            Step::Wait {
                salt: salt(rng),
                grace: false,
            },
        );
        push(plan, Step::online(t));
        push(plan, Step::online(t));
        push(plan, Step::offline(t, Dest::Null, 0x01));
        push(
            plan,
            Step::Wait {
                salt: salt(rng),
                grace: false,
            },
        );
        push(plan, Step::offline(t, Dest::Null, 0x01));
        push(plan, Step::Terminate { target: t });
        push(plan, Step::online(t));
        push(plan, Step::Terminate { target: t });
        push(
            plan,
            Step::Wait {
                salt: salt(rng),
                grace: false,
            },
        );
        push(plan, Step::online(t));
        push(plan, Step::Close { target: t });
        push(plan, Step::Open { resource: r });
        push(
            plan,
            Step::Wait {
                salt: salt(rng),
                grace: false,
            },
        );
    }
}

fn random(plan: &mut Plan, n: u8, options: &PlanOptions, rng: &mut Rng) {
    for _ in 0..options.calls {
        let r = u8::try_from(rng.below(u64::from(n))).unwrap_or(0);
        let t = Target::Resource(r);
        let roll = rng.below(100);
        let step = match roll {
            0..=39 => {
                let mut flags = u32::try_from(rng.below(0x80)).unwrap_or(0);
                if rng.chance(5) {
                    flags |= 1 << (7 + rng.below(25));
                }
                let dest = if flags & 0x0A != 0 || rng.chance(50) {
                    Dest::Name((*rng.pick(&NODES)).into())
                } else {
                    Dest::Null
                };
                Step::offline(t, dest, flags)
            }
            40..=64 => Step::online(t),
            65..=76 => Step::Wait {
                salt: salt(rng),
                grace: false,
            },
            77..=80 => Step::Terminate { target: t },
            81..=84 => {
                plan.push(Phase::Random, Step::Close { target: t });
                Step::Open { resource: r }
            }
            85..=87 => Step::offline(Target::Stale(r), Dest::Null, 0x01),
            88..=89 => Step::online(Target::Forged(rng.next_u64() | 1)),
            _ if options.control => random_control(r, rng),
            _ => Step::online(t),
        };
        plan.push(Phase::Random, step);
    }
}

/// The environment changes under the checker's feet (control export only); it stays hidden
/// from the monitor, which learns of a lock only through SetResourceLockedMode.
fn random_control(r: u8, rng: &mut Rng) -> Step {
    Step::Control(match rng.below(6) {
        0 => Control::Lock(r),
        1 => Control::Unlock(r),
        2 => Control::Busy(r),
        3 => Control::Unbusy(r),
        4 => Control::NetDown(NODES[1].into()),
        _ => Control::NetUp(NODES[1].into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_seeded_and_cover_every_flag_combination() {
        let o = PlanOptions {
            resources: 3,
            calls: 50,
            seed: 7,
            control: false,
        };
        assert_eq!(make(&o), make(&o));
        assert_ne!(
            make(&o),
            make(&PlanOptions {
                seed: 8,
                ..o.clone()
            })
        );
        let plan = make(&o);
        let mut seen = std::collections::BTreeSet::new();
        for s in &plan.steps {
            if let Step::Offline {
                target: Target::Resource(_),
                flags,
                reserved: 0,
                ..
            } = s
            {
                seen.insert(*flags & 0x7F);
            }
        }
        assert_eq!(seen.len(), 128);
        assert_eq!(plan.steps.len(), plan.phases.len());
        let json = serde_json::to_string(&plan).expect("serialises");
        let back: Plan = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, plan);
    }
}
