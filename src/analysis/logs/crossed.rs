//! Post-pass over final templates: two columns that draw their values from one set
//! (`mode from AUTO to SUSPENDED`, `from SUSPENDED to AUTO`) are a transition between
//! values, not a family of events. Each template alone looks like a message with two
//! constants in it, and the single-column sibling pass never sees two columns vary at once.

use super::hash::{FxMap, rest_hash};
use super::mask::WILDCARD;
use super::siblings::{flatten, join, roots};
use std::collections::BTreeSet;
use std::hash::Hasher;

/// Widest distance between the two columns (`from X to Y` is 2).
const MAX_GAP: usize = 3;
/// Longer templates are skipped: the pass is quadratic in columns within the gap.
const MAX_LEN: usize = 64;
/// Distinct pairs needed: with two values, three of the four transitions.
const MIN_PAIRS: usize = 3;

/// Unions `rep` groups of templates that agree everywhere but columns `a < b` (at most
/// [`MAX_GAP`] apart), when both columns hold the same set of at least two literal values,
/// at least [`MIN_PAIRS`] distinct pairs of them occur, and `min_literals` literal tokens
/// remain outside. Two columns with different value sets (`opened`/`closed` beside
/// `root`/`news`) are a verb and a name and stay for the other passes to judge.
pub fn merge_crossed(tmpls: &[&[Box<str>]], rep: &mut [usize], min_literals: usize) {
    let mut by_rest: FxMap<u64, (usize, usize, Vec<usize>)> = FxMap::default();
    for (k, t) in tmpls.iter().enumerate() {
        if t.len() > MAX_LEN {
            continue;
        }
        let literals = t.iter().filter(|x| &***x != WILDCARD).count();
        if literals < min_literals + 2 {
            continue;
        }
        for a in 0..t.len() {
            for b in a + 1..t.len().min(a + MAX_GAP + 1) {
                if &*t[a] == WILDCARD || &*t[b] == WILDCARD {
                    continue;
                }
                by_rest
                    .entry(rest_hash(t, a, b).finish())
                    .or_insert((a, b, Vec::new()))
                    .2
                    .push(k);
            }
        }
    }
    let mut groups: Vec<(usize, usize, Vec<usize>)> = by_rest
        .into_values()
        .filter(|(_, _, m)| m.len() >= MIN_PAIRS)
        .collect();
    // Deterministic order whatever the map's iteration order.
    groups.sort_unstable();
    for (a, b, members) in groups {
        // Hash agreement is a hint; the tokens themselves decide.
        let first = tmpls[members[0]];
        let same_rest = |t: &[Box<str>]| {
            t.len() == first.len()
                && t.iter()
                    .zip(first)
                    .enumerate()
                    .all(|(i, (x, y))| i == a || i == b || x == y)
        };
        let members: Vec<usize> = members
            .into_iter()
            .filter(|&k| same_rest(tmpls[k]))
            .collect();
        let from: BTreeSet<&str> = members.iter().map(|&k| &*tmpls[k][a]).collect();
        let to: BTreeSet<&str> = members.iter().map(|&k| &*tmpls[k][b]).collect();
        let pairs: BTreeSet<(&str, &str)> = members
            .iter()
            .map(|&k| (&*tmpls[k][a], &*tmpls[k][b]))
            .collect();
        if from.len() < 2 || from != to || pairs.len() < MIN_PAIRS {
            continue;
        }
        join(rep, &roots(rep, &members));
    }
    flatten(rep);
}
