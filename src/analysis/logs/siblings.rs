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
