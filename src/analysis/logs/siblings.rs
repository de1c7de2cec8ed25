//! Post-pass over final templates: a column in which several templates of one length differ
//! while agreeing on every other token is a variable the masks could not see (a user name,
//! a host name). The prefix tree and the similarity threshold keep short messages apart
//! when one word in four differs; the siblings, taken together, show that the word varies.

use super::hash::{FxHasher, FxMap, rest_hash};
use super::mask::WILDCARD;
use std::hash::Hasher;

/// Unions `rep` groups of templates that agree everywhere but one column, when at least
/// `min_siblings` distinct groups do so there and the templates keep at least
/// `min_literals` literal tokens outside that column (so `<*> <*> x` and `<*> <*> y` stay
/// apart). Two siblings suffice when the column already shows it is a value: one of them
/// holds a wildcard there, or every value there is shaped like an identifier
/// (`android.intent.action.SCREEN_ON`, `mail.example.com`); plain words (`spawn`,
/// `destroy`) need the many siblings, as they are as often the event's verb as a value.
/// `rep[k]` is the group representative of template `k`, updated in place.
pub fn merge_siblings(
    tmpls: &[&[Box<str>]],
    rep: &mut [usize],
    min_siblings: usize,
    min_literals: usize,
) {
    if min_siblings < 2 {
        return;
    }
    // Members share every token outside the column, so they share its literal count. A
    // token with a glued key (`action:...`) also joins the members that share that key.
    let mut by_rest: FxMap<u64, (usize, usize, usize, Vec<usize>)> = FxMap::default();
    for (k, t) in tmpls.iter().enumerate() {
        let literals = t.iter().filter(|x| &***x != WILDCARD).count();
        for col in 0..t.len() {
            let here = usize::from(&*t[col] != WILDCARD);
            let outside = literals - here;
            // Named values may stand beside fewer literals (`onReceive action: <*>`), and
            // a key glued to them is one more (`processHandleBroadcastAction action:<*>`).
            if outside + 2 < min_literals {
                continue;
            }
            let h = rest_hash(t, col, col);
            let key = glued_key(&t[col]);
            let keys = if key > 0 { &[0, key][..] } else { &[0][..] };
            for &key in keys {
                let mut h = h;
                h.write(&t[col].as_bytes()[..key]);
                by_rest
                    .entry(h.finish())
                    .or_insert((col, outside, key, Vec::new()))
                    .3
                    .push(k);
            }
        }
    }
    let mut groups: Vec<(usize, usize, usize, Vec<usize>)> = by_rest
        .into_values()
        .filter(|(_, _, _, m)| m.len() >= 2)
        .collect();
    // Deterministic order whatever the map's iteration order.
    groups.sort_unstable();
    for (col, outside, key, members) in groups {
        let reps = roots(rep, &members);
        let shown = || {
            let vals = || members.iter().map(|&k| &*tmpls[k][col]);
            let named = vals().all(|v| is_identifier(&v[key..]))
                && (col > 0 || !vals().any(is_code_site))
                && outside + 1 + usize::from(key > 0) >= min_literals;
            let widened = vals().any(|v| v.contains(WILDCARD))
                && !vals().any(is_constant)
                && outside + 1 >= min_literals;
            let keyed = col > 0 && is_identity_key(&tmpls[members[0]][col - 1]);
            // A message's first word is its subject (`minSessionTimeout set to <*>`), so
            // there the literals outside must be as many as for plain words; a glued key
            // is the subject of a name behind it (`action:android.intent.action.X, ...`).
            (named || widened || (keyed && outside >= min_literals))
                && (col > 0 || key > 0 || outside >= min_literals)
        };
        let plain_ok = reps.len() >= min_siblings && outside >= min_literals;
        if reps.len() < 2 || !(plain_ok || shown()) {
            continue;
        }
        join(rep, &reps);
    }
    flatten(rep);
}

/// A token that reads as a name rather than a word: dotted, underscored or slashed inside,
/// camel-cased, or partly masked. An all-capitals `FAIL_CONTAINER_CLEANUP` is an enum
/// constant, which is as often the event as a value.
pub(super) fn is_identifier(tok: &str) -> bool {
    let core = tok.trim_matches(|c: char| c.is_ascii_punctuation());
    let b = core.as_bytes();
    let inner = |c: u8| b.len() > 2 && b[1..b.len() - 1].contains(&c);
    tok.contains(WILDCARD)
        || inner(b'.')
        || (inner(b'_') && b.iter().any(u8::is_ascii_lowercase))
        || inner(b'/')
        || inner(b'@')
        || b.windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

/// A function or log-site name (`mDNS_RegisterInterface:`, `tcp_connection_connect`): a
/// message's first word made of word characters only says which line of code logged it.
/// Two such sites are two events, however alike the rest reads.
fn is_code_site(tok: &str) -> bool {
    let core = tok.strip_suffix(':').unwrap_or(tok);
    !core.is_empty() && core.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Length of a `key:` or `key=` prefix with a value after it (`action:`), else 0: the key
/// is a literal of the message, the rest the value it names.
fn glued_key(tok: &str) -> usize {
    match tok.find([':', '=']) {
        Some(end)
            if end > 0
                && end + 1 < tok.len()
                && tok[..end]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            end + 1
        }
        _ => 0,
    }
}

/// A noun that names who or where (`for user root`, `Invalid user admin`): the word after it
/// is that name, a value, even when only a few names occur (`root`, `news`, `cyrus`).
fn is_identity_key(tok: &str) -> bool {
    const KEYS: &[&str] = &["user", "username", "account", "host", "hostname", "group"];
    KEYS.iter().any(|k| tok.eq_ignore_ascii_case(k))
}

/// An all-capitals word (`LOOKING`, `FAIL_CONTAINER_CLEANUP`): a state or enum constant,
/// which logs keep per event more often than not.
fn is_constant(tok: &str) -> bool {
    let core = tok.trim_matches(|c: char| c.is_ascii_punctuation() && c != '_');
    core.len() > 1
        && core.bytes().any(|c| c.is_ascii_uppercase())
        && core
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit())
}

/// The distinct group roots of `members`, smallest first.
pub(super) fn roots(rep: &[usize], members: &[usize]) -> Vec<usize> {
    let mut reps: Vec<usize> = members.iter().map(|&k| root(rep, k)).collect();
    reps.sort_unstable();
    reps.dedup();
    reps
}

/// Unions the groups of `reps` (as from [`roots`]) under the first.
pub(super) fn join(rep: &mut [usize], reps: &[usize]) {
    for &r in reps.iter().skip(1) {
        rep[r] = reps[0];
    }
}

/// Points every template straight at its group's root.
pub(super) fn flatten(rep: &mut [usize]) {
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
    let mut by_gap: FxMap<u64, Vec<(usize, bool)>> = FxMap::default();
    for (k, t) in tmpls.iter().enumerate() {
        let literals = t.iter().filter(|x| &***x != WILDCARD).count();
        if literals < min_literals {
            continue;
        }
        for (col, tok) in t.iter().enumerate() {
            // A wildcard with no literal after it is an open tail: words beyond it are
            // more likely another message than the rest of one value.
            let closed = t[col + 1..].iter().any(|x| &**x != WILDCARD);
            if &**tok == WILDCARD {
                by_gap
                    .entry(gap_key(&t[..col], &t[col + 1..]))
                    .or_default()
                    .push((k, closed));
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
                // different structure, not one value with spaces in it; but a value
                // with its unit or qualifier beside it (`<*> sec` for `<*>`, where the
                // other lines say `00:02`) is still the one value.
                let head_value = &*t[col] == WILDCARD;
                if t[col + 1..col + run].iter().any(|x| &**x == WILDCARD)
                    || (!head_value && &*t[col] == WILDCARD)
                {
                    continue;
                }
                let Some(short) = by_gap.get(&gap_key(&t[..col], &t[col + run..])) else {
                    continue;
                };
                // Hash agreement is a hint; the tokens themselves decide.
                let fits = |&(s, closed): &(usize, bool)| {
                    let a = tmpls[s];
                    (closed || head_value)
                        && a.len() + run - 1 == t.len()
                        && a[..col] == t[..col]
                        && a[col + 1..] == t[col + run..]
                };
                if let Some(&(s, _)) = short.iter().find(|s| fits(s)) {
                    // The shorter template, with its wildcard, names the group.
                    let (a, b) = (root(rep, s), root(rep, k));
                    if a != b {
                        rep[b] = a;
                    }
                }
            }
        }
    }
    flatten(rep);
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
