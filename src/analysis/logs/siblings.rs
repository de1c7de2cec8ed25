//! Post-pass over final templates: a column in which several templates of one length differ
//! while agreeing on every other token is a variable the masks could not see (a user name,
//! a host name). The prefix tree and the similarity threshold keep short messages apart
//! when one word in four differs; the siblings, taken together, show that the word varies.

use super::hash::{FxHasher, FxMap};
use super::mask::WILDCARD;
use std::hash::Hasher;

/// Unions `rep` groups of templates that agree everywhere but one column, when at least
/// `min_siblings` distinct groups do so there and the templates keep at least
/// `min_literals` literal tokens outside that column (so `<*> <*> x` and `<*> <*> y` stay
/// apart). `rep[k]` is the group representative of template `k`, updated in place.
pub fn merge_siblings(
    tmpls: &[&[Box<str>]],
    rep: &mut [usize],
    min_siblings: usize,
    min_literals: usize,
) {
    if min_siblings < 2 {
        return;
    }
    let mut by_rest: FxMap<u64, Vec<usize>> = FxMap::default();
    for (k, t) in tmpls.iter().enumerate() {
        let literals = t.iter().filter(|x| &***x != WILDCARD).count();
        for col in 0..t.len() {
            let here = usize::from(&*t[col] != WILDCARD);
            if literals - here < min_literals {
                continue;
            }
            let mut h = FxHasher::default();
            h.write_usize(t.len());
            h.write_usize(col);
            for (i, tok) in t.iter().enumerate() {
                if i != col {
                    h.write(tok.as_bytes());
                }
                h.write_u8(0xff);
            }
            by_rest.entry(h.finish()).or_default().push(k);
        }
    }
    let mut groups: Vec<Vec<usize>> = by_rest.into_values().filter(|m| m.len() >= 2).collect();
    // Deterministic order whatever the map's iteration order.
    groups.sort_unstable();
    for members in groups {
        let mut reps: Vec<usize> = members.iter().map(|&k| root(rep, k)).collect();
        reps.sort_unstable();
        reps.dedup();
        if reps.len() < min_siblings {
            continue;
        }
        for &r in &reps[1..] {
            rep[r] = reps[0];
        }
    }
    for k in 0..rep.len() {
        rep[k] = root(rep, k);
    }
}

fn root(rep: &[usize], mut k: usize) -> usize {
    while rep[k] != k {
        k = rep[k];
    }
    k
}

/// Unions a template into a shorter one that has a wildcard where the longer one holds a
/// run of 2..=`max_run` literal tokens and agrees on every other token: a value with spaces in it
/// (`mail client.exe`, `Mon Dec 4`) stretches one event over several token counts, and the
/// prefix tree, which routes by token count, can never bring them together. The wildcard
/// must have a literal after it, and the shorter
/// template needs `min_literals` literal tokens so two mostly-wildcard shapes stay apart.
pub fn merge_stretched(
    tmpls: &[&[Box<str>]],
    rep: &mut [usize],
    max_run: usize,
    min_literals: usize,
) {
    if max_run < 2 {
        return;
    }
    let mut by_gap: FxMap<u64, Vec<usize>> = FxMap::default();
    for (k, t) in tmpls.iter().enumerate() {
        let literals = t.iter().filter(|x| &***x != WILDCARD).count();
        if literals < min_literals {
            continue;
        }
        for (col, tok) in t.iter().enumerate() {
            // A wildcard with no literal after it is an open tail: words beyond it are
            // more likely another message than the rest of one value.
            let closed = t[col + 1..].iter().any(|x| &**x != WILDCARD);
            if &**tok == WILDCARD && closed {
                by_gap
                    .entry(gap_key(&t[..col], &t[col + 1..]))
                    .or_default()
                    .push(k);
            }
        }
    }
    if by_gap.is_empty() {
        return;
    }
    for (k, t) in tmpls.iter().enumerate() {
        for run in 2..=max_run.min(t.len()) {
            for col in 0..=t.len() - run {
                // A run holding a value of its own (`field <*>` for `<*>`) is a
                // different structure, not one value with spaces in it.
                if t[col..col + run].iter().any(|x| &**x == WILDCARD) {
                    continue;
                }
                let Some(short) = by_gap.get(&gap_key(&t[..col], &t[col + run..])) else {
                    continue;
                };
                // Hash agreement is a hint; the tokens themselves decide.
                let fits = |&s: &usize| {
                    let a = tmpls[s];
                    a.len() + run - 1 == t.len()
                        && a[..col] == t[..col]
                        && a[col + 1..] == t[col + run..]
                };
                if let Some(&s) = short.iter().find(|s| fits(s)) {
                    // The shorter template, with its wildcard, names the group.
                    let (a, b) = (root(rep, s), root(rep, k));
                    if a != b {
                        rep[b] = a;
                    }
                }
            }
        }
    }
    for k in 0..rep.len() {
        rep[k] = root(rep, k);
    }
}

fn gap_key(before: &[Box<str>], after: &[Box<str>]) -> u64 {
    let mut h = FxHasher::default();
    h.write_usize(before.len());
    for tok in before.iter().chain(after) {
        h.write(tok.as_bytes());
        h.write_u8(0xff);
    }
    h.finish()
}
