//! Symmetry reduction (M5): interchangeable groups (same declared shape) and, when sound,
//! interchangeable nodes. Used by the DFS checker only (stateright ignores symmetry in BFS).

use stateright::Representative;

use crate::state::{JobKind, OfflineRec, Purpose, State};

fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur: Vec<usize> = (0..n).collect();
    fn rec(k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if k == cur.len() {
            out.push(cur.clone());
            return;
        }
        for j in k..cur.len() {
            cur.swap(k, j);
            rec(k + 1, cur, out);
            cur.swap(k, j);
        }
    }
    rec(0, &mut cur, &mut out);
    out
}

fn u8_of(x: usize) -> u8 {
    u8::try_from(x).unwrap_or(u8::MAX)
}

/// The state with groups and nodes renamed: new group `k` is old group `gp[k]`, new node `k`
/// is old node `np[k]`.
#[must_use]
pub fn permute(s: &State, gp: &[usize], np: &[usize]) -> State {
    let mut ninv = vec![0usize; np.len()];
    for (new, &old) in np.iter().enumerate() {
        ninv[old] = new;
    }
    let mut ginv = vec![0usize; gp.len()];
    for (new, &old) in gp.iter().enumerate() {
        ginv[old] = new;
    }
    let nmap = |n: u8| u8_of(ninv.get(usize::from(n)).copied().unwrap_or(usize::from(n)));
    let gmap = |g: u8| u8_of(ginv.get(usize::from(g)).copied().unwrap_or(usize::from(g)));
    let mut t = s.clone();
    t.up = np.iter().map(|&o| s.up[o]).collect();
    t.dll = np
        .iter()
        .map(|&o| crate::state::Dll {
            res: gp.iter().map(|&og| s.dll[o].res[og].clone()).collect(),
        })
        .collect();
    t.groups = gp
        .iter()
        .map(|&og| {
            let mut gs = s.groups[og].clone();
            gs.owner = nmap(gs.owner);
            if let Some(j) = gs.job.as_mut() {
                if let JobKind::Move { src, dst, .. } = &mut j.kind {
                    *src = nmap(*src);
                    *dst = nmap(*dst);
                }
            }
            gs
        })
        .collect();
    t.locked = gp.iter().map(|&og| s.locked[og].clone()).collect();
    t.busy = gp.iter().map(|&og| s.busy[og].clone()).collect();
    t.intent = gp.iter().map(|&og| s.intent[og].clone()).collect();
    t.links_down = s
        .links_down
        .iter()
        .map(|&(a, b)| {
            let (x, y) = (nmap(a), nmap(b));
            (x.min(y), x.max(y))
        })
        .collect();
    t.links_down.sort_unstable();
    for o in &mut t.ops {
        o.group = gmap(o.group);
    }
    t.last_offline = np
        .iter()
        .map(|&o| {
            s.last_offline[o].map(|rec| OfflineRec {
                res: crate::state::ResRef {
                    g: gmap(rec.res.g),
                    i: rec.res.i,
                },
                dest: rec.dest.map(nmap),
                purpose: match rec.purpose {
                    Purpose::FirstLeg {
                        ignore,
                        rts,
                        queue,
                        forced,
                        dst,
                    } => Purpose::FirstLeg {
                        ignore,
                        rts,
                        queue,
                        forced,
                        dst: nmap(dst),
                    },
                    Purpose::ReturnLeg { ignore, src } => Purpose::ReturnLeg {
                        ignore,
                        src: nmap(src),
                    },
                    p => p,
                },
                ..rec
            })
        })
        .collect();
    t
}

impl Representative for State {
    /// The least state (by `Ord`) among all renamings of interchangeable groups and (when
    /// sound) nodes.
    fn representative(&self) -> Self {
        let ng = self.groups.len();
        let nn = self.up.len();
        let gperms: Vec<Vec<usize>> = permutations(ng)
            .into_iter()
            .filter(|p| {
                p.iter()
                    .enumerate()
                    .all(|(k, &o)| self.sym.group_class[k] == self.sym.group_class[o])
            })
            .collect();
        let nperms = if self.sym.nodes {
            permutations(nn)
        } else {
            vec![(0..nn).collect()]
        };
        let mut best = self.clone();
        for gp in &gperms {
            for np in &nperms {
                let c = permute(self, gp, np);
                if c < best {
                    best = c;
                }
            }
        }
        best
    }
}
