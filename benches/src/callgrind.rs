//! A reader of callgrind's output format (the files gungraun leaves under
//! `target/gungraun/**/callgrind.*.out*`): event totals and each function's *self* instruction
//! count, which the gate diffs per function to name what grew.
//!
//! Format (valgrind's "Callgrind Format Specification"): header lines `positions:`, `events:`,
//! `totals:`/`summary:`; then `fn=` switches the current function (with name compression
//! `fn=(id) name` / `fn=(id)`), and each cost line (`<positions> <event counts>`) adds to the
//! current function's self cost — except the one line right after `calls=`, which is the
//! inclusive cost of a call and belongs to the callee.

use std::collections::BTreeMap;

/// Event totals of one run (the events of callgrind with `--cache-sim=yes`; absent ones are 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Events {
    /// Instructions executed (`Ir`).
    pub ir: u64,
    /// Data reads (`Dr`).
    pub dr: u64,
    /// Data writes (`Dw`).
    pub dw: u64,
    /// L1 instruction-read misses (`I1mr`).
    pub i1mr: u64,
    /// L1 data-read misses (`D1mr`).
    pub d1mr: u64,
    /// L1 data-write misses (`D1mw`).
    pub d1mw: u64,
    /// Last-level instruction-read misses (`ILmr`).
    pub ilmr: u64,
    /// Last-level data-read misses (`DLmr`).
    pub dlmr: u64,
    /// Last-level data-write misses (`DLmw`).
    pub dlmw: u64,
}

impl Events {
    fn set(&mut self, name: &str, value: u64) {
        let slot = match name {
            "Ir" => &mut self.ir,
            "Dr" => &mut self.dr,
            "Dw" => &mut self.dw,
            "I1mr" => &mut self.i1mr,
            "D1mr" => &mut self.d1mr,
            "D1mw" => &mut self.d1mw,
            "ILmr" => &mut self.ilmr,
            "DLmr" => &mut self.dlmr,
            "DLmw" => &mut self.dlmw,
            _ => return,
        };
        *slot = value;
    }

    /// The sum of two runs' events (threads of one benchmark).
    #[must_use]
    pub fn plus(self, o: Self) -> Self {
        Self {
            ir: self.ir + o.ir,
            dr: self.dr + o.dr,
            dw: self.dw + o.dw,
            i1mr: self.i1mr + o.i1mr,
            d1mr: self.d1mr + o.d1mr,
            d1mw: self.d1mw + o.d1mw,
            ilmr: self.ilmr + o.ilmr,
            dlmr: self.dlmr + o.dlmr,
            dlmw: self.dlmw + o.dlmw,
        }
    }

    /// Accesses that hit L1 (instruction fetches + data reads + writes − L1 misses), as
    /// gungraun computes "L1 Hits".
    #[must_use]
    pub fn l1_hits(&self) -> u64 {
        (self.ir + self.dr + self.dw).saturating_sub(self.l1_misses())
    }

    fn l1_misses(&self) -> u64 {
        self.i1mr + self.d1mr + self.d1mw
    }

    /// Accesses that missed L1 but hit the last-level cache ("LL Hits").
    #[must_use]
    pub fn ll_hits(&self) -> u64 {
        self.l1_misses().saturating_sub(self.ram_hits())
    }

    /// Accesses that missed every cache ("RAM Hits").
    #[must_use]
    pub fn ram_hits(&self) -> u64 {
        self.ilmr + self.dlmr + self.dlmw
    }

    /// gungraun's (and iai's) cycle estimate: L1 hits + 5 × LL hits + 35 × RAM hits.
    #[must_use]
    pub fn estimated_cycles(&self) -> u64 {
        self.l1_hits() + 5 * self.ll_hits() + 35 * self.ram_hits()
    }
}

/// One callgrind output file (or several summed): totals and self instructions per function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Event totals.
    pub events: Events,
    /// Self (exclusive) instructions per function, by [`normalize`]d name.
    pub self_ir: BTreeMap<String, u64>,
}

impl Profile {
    /// Adds another profile of the same benchmark (another thread's file).
    pub fn merge(&mut self, other: Profile) {
        self.events = self.events.plus(other.events);
        for (f, n) in other.self_ir {
            *self.self_ir.entry(f).or_default() += n;
        }
    }
}

/// A malformed callgrind file: the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {what}")]
pub struct FormatError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// A function name without what changes between builds of the same code: the `::h<16 hex>`
/// hash of legacy Rust symbols and callgrind's `'N` recursion-depth suffix.
#[must_use]
pub fn normalize(name: &str) -> String {
    let mut n = name.trim();
    if let Some((head, depth)) = n.rsplit_once('\'') {
        if !depth.is_empty() && depth.bytes().all(|b| b.is_ascii_digit()) {
            n = head;
        }
    }
    if let Some((head, hash)) = n.rsplit_once("::h") {
        if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            n = head;
        }
    }
    n.to_owned()
}

/// `(id) name`, `(id)` or `name` → the name (compressed names resolved through `names`).
fn resolve(value: &str, names: &mut BTreeMap<String, String>) -> String {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('(') {
        if let Some((id, name)) = rest.split_once(')') {
            let name = name.trim();
            if name.is_empty() {
                return names.get(id).cloned().unwrap_or_else(|| format!("({id})"));
            }
            let name = normalize(name);
            names.insert(id.to_owned(), name.clone());
            return name;
        }
    }
    normalize(value)
}

/// Parses one callgrind output file.
///
/// # Errors
/// [`FormatError`] for a file that is not callgrind output (no `events:` line before the first
/// cost line, or a cost that is not a number).
pub fn parse(text: &str) -> Result<Profile, FormatError> {
    let mut events: Vec<String> = Vec::new();
    let mut positions = 1usize;
    let mut names = BTreeMap::new();
    let mut current = String::from("???");
    let mut skip_next_cost = false;
    let mut totals: Option<Events> = None;
    let mut profile = Profile::default();
    for (i, line) in text.lines().enumerate() {
        let err = |what: String| FormatError { line: i + 1, what };
        let first = line.bytes().next();
        match first {
            Some(b'0'..=b'9' | b'+' | b'-' | b'*') => {
                if events.is_empty() {
                    return Err(err("a cost line before the `events:` header".into()));
                }
                if std::mem::take(&mut skip_next_cost) {
                    continue;
                }
                let mut fields = line.split_ascii_whitespace().skip(positions);
                if let Some(ir) = fields.next() {
                    let ir: u64 = ir
                        .parse()
                        .map_err(|_| err(format!("`{ir}` is not an event count")))?;
                    if events[0] == "Ir" {
                        *profile.self_ir.entry(current.clone()).or_default() += ir;
                    }
                }
            }
            _ => {
                let Some((key, value)) = line.split_once(['=', ':']) else {
                    continue;
                };
                match key {
                    "events" => events = value.split_whitespace().map(str::to_owned).collect(),
                    "positions" => positions = value.split_whitespace().count().max(1),
                    "fn" => current = resolve(value, &mut names),
                    "cfn" => {
                        resolve(value, &mut names);
                    }
                    "calls" => skip_next_cost = true,
                    "totals" | "summary" => {
                        let mut t = Events::default();
                        for (name, v) in events.iter().zip(value.split_whitespace()) {
                            let v = v
                                .parse()
                                .map_err(|_| err(format!("`{v}` is not an event count")))?;
                            t.set(name, v);
                        }
                        totals = Some(t);
                    }
                    _ => {}
                }
            }
        }
    }
    if events.is_empty() {
        return Err(FormatError {
            line: 0,
            what: "no `events:` header: not a callgrind output file".into(),
        });
    }
    profile.events = totals.unwrap_or(Events {
        ir: profile.self_ir.values().sum(),
        ..Events::default()
    });
    profile.self_ir.retain(|_, n| *n > 0);
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# callgrind format
version: 1
positions: line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
fl=(1) src/lib.rs
fn=(1) offline_v2::reference::Instance::offline_v2::h0123456789abcdef
10 100 20 10 1 0 0 1 0 0
+2 50
cfl=(1)
cfn=(2) offline_v2::reference::helper
calls=1 30
30 40 5
fn=(2)
30 40 5 0 0 1 0 0 0 0
fn=(3) fib'2
5 7
totals: 197 25 10 1 1 1 1 0 0
";

    #[test]
    fn self_costs_exclude_the_inclusive_cost_of_calls() {
        let p = parse(SAMPLE).expect("parses");
        assert_eq!(
            p.self_ir.get("offline_v2::reference::Instance::offline_v2"),
            Some(&150)
        );
        assert_eq!(p.self_ir.get("offline_v2::reference::helper"), Some(&40));
        assert_eq!(p.self_ir.get("fib"), Some(&7), "recursion suffix dropped");
        assert_eq!(p.events.ir, 197);
        assert_eq!(p.events.ll_hits(), 2);
        assert_eq!(p.events.ram_hits(), 1);
        assert_eq!(p.events.l1_hits(), 197 + 25 + 10 - 3);
        assert_eq!(p.events.estimated_cycles(), p.events.l1_hits() + 5 * 2 + 35);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        assert!(parse("hello\nworld\n").is_err());
        let e = parse("events: Ir\nfn=(1) f\n10 x\n").expect_err("bad count");
        assert_eq!(e.line, 3);
        let e = parse("10 20\n").expect_err("cost before header");
        assert!(e.what.contains("events"));
    }

    #[test]
    fn names_lose_their_hash_only() {
        assert_eq!(normalize("a::b::h0123456789abcdef"), "a::b");
        assert_eq!(normalize("a::b::hello"), "a::b::hello");
        assert_eq!(normalize("x'12"), "x");
        assert_eq!(normalize("<T as Tr>::f"), "<T as Tr>::f");
    }
}
