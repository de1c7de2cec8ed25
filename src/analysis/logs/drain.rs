//! Drain (He et al., ICWS 2017): a fixed-depth prefix tree routes a line by its token count
//! and leading tokens to a small leaf; inside the leaf the most similar template wins if it is
//! similar enough, and positions where they differ become `<*>`.

use super::crossed::merge_crossed;
use super::hash::{FxHasher, FxMap, FxSet};
use super::mask::{Tokens, WILDCARD};
use super::siblings::{merge_siblings, merge_stretched};
use super::weight::TokenWeights;
use std::collections::HashMap;
use std::hash::Hasher;

#[derive(Debug, Clone)]
pub struct DrainConfig {
    /// Leading tokens used to route a line (Drain's depth minus the root and length layers).
    pub prefix_tokens: usize,
    /// Share of a template's tokens a line must match to join it.
    pub similarity: f64,
    /// Children per tree node before new branches share the wildcard child.
    pub max_children: usize,
    /// Templates kept before unmatched lines go to one overflow template.
    pub max_clusters: usize,
    /// Weight of a position where line and template hold the same masked value: some
    /// evidence that they are one event (both had a number there), less than a word.
    pub var_agree: f32,
    /// Templates that must differ in the same single column for it to count as a
    /// variable (`0` turns the sibling merge off), and the literal tokens they must share.
    pub min_siblings: usize,
    pub sibling_literals: usize,
    /// Longest run of tokens a wildcard may stand for when templates of different token
    /// counts are compared (`0` turns the merge off; see [`merge_stretched`]).
    pub max_stretch: usize,
    /// Weight of a position where the line holds a whole masked value and the template a
    /// plain word: a value where a word stood is evidence of another event (`HTTPS` /
    /// `SOCKS5`); a dotted name may itself be a value (`a.b.Type` / `a.v2.Type`).
    pub value_mismatch: f32,
    /// Weight multiplier of a position where line and template hold two different plain
    /// words (`bytes`/`values`, `opened`/`closed`): in a long line one such word passes the
    /// similarity threshold, yet a word is what names the event. A column that really holds
    /// words as values shows many of them and is joined by the sibling pass. Level names are
    /// header fields and weigh as usual.
    pub word_mismatch: f32,
    /// Joins templates whose two columns hold transitions within one value set (see
    /// [`merge_crossed`]).
    pub crossed: bool,
}

impl Default for DrainConfig {
    fn default() -> Self {
        DrainConfig {
            prefix_tokens: 2,
            similarity: 0.8,
            max_children: 100,
            max_clusters: 5000,
            var_agree: 0.5,
            min_siblings: 8,
            sibling_literals: 3,
            max_stretch: 3,
            value_mismatch: 1.0,
            word_mismatch: 10.0,
            crossed: true,
        }
    }
}

/// Line shapes remembered for the fast path; bounded so unique lines cannot grow it.
const MAX_SHAPES: usize = 1 << 16;

pub const OVERFLOW_TEMPLATE: &str = "<overflow>";

#[derive(Debug)]
struct Cluster {
    tokens: Vec<Box<str>>,
}

#[derive(Debug, Default)]
struct Node {
    children: FxMap<Box<str>, u32>,
    wildcard: Option<u32>,
    clusters: Vec<u32>,
}

#[derive(Debug)]
pub struct Drain {
    cfg: DrainConfig,
    by_len: FxMap<usize, u32>,
    nodes: Vec<Node>,
    clusters: Vec<Cluster>,
    overflow: Option<u32>,
    overflow_lines: u64,
    weights: TokenWeights,
    /// Line shape (hash of its masked tokens) to the template it went to.
    seen: FxMap<u64, u32>,
}

impl Drain {
    pub fn new(cfg: DrainConfig) -> Self {
        Drain {
            cfg,
            by_len: FxMap::default(),
            nodes: Vec::new(),
            clusters: Vec::new(),
            overflow: None,
            overflow_lines: 0,
            weights: TokenWeights::default(),
            seen: FxMap::default(),
        }
    }

    /// The template id for one line.
    pub fn add(&mut self, toks: &Tokens) -> u32 {
        self.weights.observe(toks);
        // Most lines repeat an earlier line's exact shape; if that line's template still
        // covers this one, the tree walk and the leaf scan would find nothing better.
        let shape = toks.shape_hash();
        if let Some(&id) = self.seen.get(&shape)
            && self.covers(id, toks)
        {
            return id;
        }
        let id = self.add_slow(toks);
        if Some(id) != self.overflow && self.seen.len() < MAX_SHAPES {
            self.seen.insert(shape, id);
        }
        id
    }

    fn covers(&self, id: u32, toks: &Tokens) -> bool {
        self.clusters.get(id as usize).is_some_and(|c| {
            c.tokens.len() == toks.len()
                && c.tokens
                    .iter()
                    .enumerate()
                    .all(|(i, t)| &**t == WILDCARD || **t == *toks.get(i))
        })
    }

    fn add_slow(&mut self, toks: &Tokens) -> u32 {
        let full = self.clusters.len() >= self.cfg.max_clusters;
        let Some(leaf) = self.leaf(toks, !full) else {
            return self.overflow_id();
        };
        if let Some(id) = self.best_match(leaf, toks) {
            if let Some(c) = self.clusters.get_mut(id as usize) {
                for (i, t) in c.tokens.iter_mut().enumerate() {
                    if &**t != WILDCARD && **t != *toks.get(i) {
                        *t = WILDCARD.into();
                    }
                }
            }
            return id;
        }
        if full {
            return self.overflow_id();
        }
        let id = self.clusters.len() as u32;
        self.clusters.push(Cluster {
            tokens: toks.iter().map(Box::from).collect(),
        });
        self.nodes[leaf as usize].clusters.push(id);
        id
    }

    pub fn template(&self, id: u32) -> String {
        match self.clusters.get(id as usize) {
            Some(c) if Some(id) != self.overflow => c.tokens.join(" "),
            _ => OVERFLOW_TEMPLATE.to_owned(),
        }
    }

    /// Number of ids handed out, the overflow template included.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    pub fn overflow_lines(&self) -> u64 {
        self.overflow_lines
    }

    /// Maps every id to one representative id of its group: first, templates that are
    /// equal (two branches of the tree can converge once their differing tokens have become
    /// wildcards); then templates that differ only in a few leading columns whose values
    /// are shared by many templates (see [`merge_free_columns`]), and sibling templates
    /// that differ in one column only (see [`merge_siblings`]) or in two columns of one
    /// value set (see [`merge_crossed`]). Each representative's
    /// template is widened to cover its group.
    pub fn canonical_ids(&mut self) -> Vec<u32> {
        let mut first: HashMap<String, u32> = HashMap::new();
        let mut canon: Vec<u32> = (0..self.clusters.len() as u32)
            .map(|id| *first.entry(self.template(id)).or_insert(id))
            .collect();
        let uniq: Vec<u32> = canon
            .iter()
            .enumerate()
            .filter(|&(i, &c)| i as u32 == c && Some(c) != self.overflow)
            .map(|(_, &c)| c)
            .collect();
        let tmpls: Vec<&[Box<str>]> = uniq
            .iter()
            .map(|&id| &*self.clusters[id as usize].tokens)
            .collect();
        // Siblings first, only to see which columns vary within a message: a message word
        // before `invalid user admin` and `invalid user test` stands before one message.
        let mut siblings: Vec<usize> = (0..tmpls.len()).collect();
        merge_siblings(
            &tmpls,
            &mut siblings,
            self.cfg.min_siblings,
            self.cfg.sibling_literals,
        );
        let mut rep = merge_free_columns(&tmpls, &siblings);
        merge_siblings(
            &tmpls,
            &mut rep,
            self.cfg.min_siblings,
            self.cfg.sibling_literals,
        );
        if self.cfg.crossed {
            merge_crossed(&tmpls, &mut rep, self.cfg.sibling_literals);
        }
        self.widen(&uniq, &rep);
        // Widened first: a column merged above is a wildcard only once widened, and
        // that wildcard is what a longer template's run of tokens lines up with.
        let tmpls: Vec<&[Box<str>]> = uniq
            .iter()
            .map(|&id| &*self.clusters[id as usize].tokens)
            .collect();
        merge_stretched(
            &tmpls,
            &mut rep,
            self.cfg.max_stretch,
            self.cfg.sibling_literals,
        );
        let mut remap: Vec<u32> = (0..self.clusters.len() as u32).collect();
        for (k, &id) in uniq.iter().enumerate() {
            remap[id as usize] = uniq[rep[k]];
        }
        for c in &mut canon {
            *c = remap[*c as usize];
        }
        canon
    }

    /// Turns every column where a group member differs from its representative into a
    /// wildcard, so the representative's template names the whole group.
    fn widen(&mut self, uniq: &[u32], rep: &[usize]) {
        for (k, &r) in rep.iter().enumerate() {
            if r == k {
                continue;
            }
            let (member, target) = (uniq[k] as usize, uniq[r] as usize);
            let Some(m) = self.clusters.get(member).map(|c| c.tokens.clone()) else {
                continue;
            };
            if let Some(t) = self.clusters.get_mut(target)
                && t.tokens.len() == m.len()
            {
                for (x, y) in t.tokens.iter_mut().zip(&m) {
                    if x != y {
                        *x = WILDCARD.into();
                    }
                }
            }
        }
    }

    fn overflow_id(&mut self) -> u32 {
        self.overflow_lines += 1;
        if let Some(id) = self.overflow {
            return id;
        }
        let id = self.clusters.len() as u32;
        self.clusters.push(Cluster { tokens: Vec::new() });
        self.overflow = Some(id);
        id
    }

    /// Walks (and when `grow`, extends) the tree to the line's leaf.
    fn leaf(&mut self, toks: &Tokens, grow: bool) -> Option<u32> {
        let mut node = match self.by_len.get(&toks.len()) {
            Some(&n) => n,
            None if grow => {
                let n = self.new_node();
                self.by_len.insert(toks.len(), n);
                n
            }
            None => return None,
        };
        // Route on the leading tokens that carry no masked value: a timestamp or pid header
        // would otherwise put every line in the same branch.
        let keys = (0..toks.len())
            .filter(|&i| !toks.is_var(i))
            .take(self.cfg.prefix_tokens);
        for i in keys {
            let key = toks.get(i);
            let cur = &self.nodes[node as usize];
            let next = match cur.children.get(key) {
                Some(&n) => Some(n),
                None if grow && cur.children.len() < self.cfg.max_children => {
                    let n = self.new_node();
                    self.nodes[node as usize].children.insert(key.into(), n);
                    Some(n)
                }
                None => match cur.wildcard {
                    Some(n) => Some(n),
                    None if grow => {
                        let n = self.new_node();
                        self.nodes[node as usize].wildcard = Some(n);
                        Some(n)
                    }
                    None => None,
                },
            };
            node = next?;
        }
        Some(node)
    }

    fn new_node(&mut self) -> u32 {
        self.nodes.push(Node::default());
        (self.nodes.len() - 1) as u32
    }

    /// The most similar template in the leaf, if similar enough; ties go to the template
    /// with more wildcards (the more general one), then the older one.
    fn best_match(&self, leaf: u32, toks: &Tokens) -> Option<u32> {
        let mut best: Option<(f64, usize, u32)> = None;
        for &id in &self.nodes[leaf as usize].clusters {
            let Some(c) = self.clusters.get(id as usize) else {
                continue;
            };
            let (sim, params) = similarity(&c.tokens, toks, &self.weights, &self.cfg);
            if best.is_none_or(|(s, p, _)| sim > s || (sim == s && params > p)) {
                best = Some((sim, params, id));
            }
        }
        best.filter(|&(s, _, _)| s >= self.cfg.similarity)
            .map(|(_, _, id)| id)
    }
}

/// Leading columns where a header field (host, component, state, thread) may sit.
const FREE_PREFIX: usize = 8;
/// Columns two templates may differ in and still merge.
const MAX_FREE_DIFFS: usize = 2;
/// Different messages a value must stand before, in that column, to count as a header value.
const MIN_COLUMN_SPREAD: usize = 3;
/// Bucket members compared pairwise; larger buckets only merge along this window.
const MAX_BUCKET_PAIRS: usize = 64;

/// Post-pass over final templates: two templates of one length merge when they differ in
/// at most [`MAX_FREE_DIFFS`] of the first [`FREE_PREFIX`] columns, each differing value
/// there is a wildcard or stands, in that column, before at least [`MIN_COLUMN_SPREAD`]
/// different template rests, and they share a literal token after the differences. A value
/// that recurs with many different messages is a header field (component, state, host
/// name) and not part of the message, so a message seen behind two such values is still one
/// template; the prefix tree had split them because it routes on leading tokens. Message
/// words rarely recur before three different rests in the same column, so two different
/// messages that differ only in one word stay apart. Returns, per template, the index of its group's
/// representative: the most general member (most wildcards), then the first. `siblings`
/// holds each template's group root from a sibling pass alone (see [`merge_siblings`]).
fn merge_free_columns(tmpls: &[&[Box<str>]], siblings: &[usize]) -> Vec<usize> {
    let n = tmpls.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let spread = message_spread(tmpls, siblings);
    let free = |p: usize, tok: &str| {
        tok == WILDCARD
            || spread
                .get(&(p, tok))
                .is_some_and(|&c| c >= MIN_COLUMN_SPREAD)
    };
    // Bucket by length and the template with up to two leading columns blanked out; any
    // mergeable pair shares at least one bucket.
    let mut buckets: FxMap<u64, Vec<usize>> = FxMap::default();
    for (k, t) in tmpls.iter().enumerate() {
        let cols = t.len().min(FREE_PREFIX);
        for a in 0..cols {
            for b in a..cols {
                if !free(a, &t[a]) || !free(b, &t[b]) {
                    continue;
                }
                use std::hash::Hasher;
                let h = super::hash::rest_hash(t, a, b);
                buckets.entry(h.finish()).or_default().push(k);
            }
        }
    }
    for members in buckets.values() {
        if members.len() < 2 {
            continue;
        }
        for (i, &x) in members.iter().enumerate().take(MAX_BUCKET_PAIRS) {
            for &y in members.iter().skip(i + 1).take(MAX_BUCKET_PAIRS) {
                if find(&mut parent, x) != find(&mut parent, y)
                    && mergeable(tmpls[x], tmpls[y], &free)
                {
                    let (rx, ry) = (find(&mut parent, x), find(&mut parent, y));
                    parent[rx.max(ry)] = rx.min(ry);
                }
            }
        }
    }
    let wild = |k: usize| tmpls[k].iter().filter(|t| &***t == WILDCARD).count();
    let mut best: Vec<usize> = (0..n).collect();
    for k in 0..n {
        let r = find(&mut parent, k);
        if wild(k) > wild(best[r]) {
            best[r] = k;
        }
    }
    (0..n).map(|k| best[find(&mut parent, k)]).collect()
}

/// Per leading column and value, behind how many different messages the value stands.
fn message_spread<'a>(
    tmpls: &[&'a [Box<str>]],
    siblings: &[usize],
) -> FxMap<(usize, &'a str), usize> {
    // Columns in which a sibling group's members differ count as wildcards in its rests:
    // `for invalid user admin` and `for invalid user test` are one message.
    let mut varies: FxMap<usize, Vec<bool>> = FxMap::default();
    for (k, t) in tmpls.iter().enumerate() {
        let r = siblings[k];
        if r != k && tmpls[r].len() == t.len() {
            let v = varies.entry(r).or_insert_with(|| vec![false; t.len()]);
            for (p, (x, y)) in t.iter().zip(tmpls[r]).enumerate() {
                v[p] |= x != y;
            }
        }
    }
    // Behind how many different messages each value stands in each leading column: a
    // header field precedes many messages, while a word that recurs only because the
    // columns before it vary (`cupsd startup succeeded`, `crond startup succeeded`) stands
    // before one.
    let mut pairs: FxSet<(usize, &str, u64)> = FxSet::default();
    let mut spread: FxMap<(usize, &'a str), usize> = FxMap::default();
    for (k, t) in tmpls.iter().enumerate() {
        let v = varies.get(&siblings[k]).filter(|v| v.len() == t.len());
        for (p, tok) in t.iter().take(FREE_PREFIX).enumerate() {
            let mut message = FxHasher::default();
            for (q, rest) in t.iter().enumerate().skip(p + 1) {
                let varied = v.is_some_and(|v| v[q]);
                message.write(if varied { WILDCARD } else { rest }.as_bytes());
                message.write_u8(0xff);
            }
            if pairs.insert((p, &**tok, message.finish())) {
                *spread.entry((p, &**tok)).or_default() += 1;
            }
        }
    }
    spread
}

fn mergeable(a: &[Box<str>], b: &[Box<str>], free: &impl Fn(usize, &str) -> bool) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diffs = 0;
    let mut last = 0;
    for (p, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            if p >= FREE_PREFIX || !free(p, x) || !free(p, y) {
                return false;
            }
            diffs += 1;
            last = p;
        }
    }
    (1..=MAX_FREE_DIFFS).contains(&diffs)
        && a.iter()
            .zip(b)
            .skip(last + 1)
            .any(|(x, y)| x == y && &**x != WILDCARD)
}

/// A line token that is itself partly masked (`LOCAL(<*>)` against `<*>`) differs mostly in
/// shape, so disagreeing there costs less than disagreeing on a word.
const VAR_MISMATCH_WEIGHT: f32 = 0.3;

/// Weighted share of positions where the template holds the line's literal token. Positions
/// where the line's own token was pre-masked are left out: agreeing on `<*>` proves
/// nothing. Tokens common to most lines (header columns) weigh little, so a short message
/// behind a long constant header still has to match on its own words.
fn similarity(
    tmpl: &[Box<str>],
    toks: &Tokens,
    w: &TokenWeights,
    cfg: &DrainConfig,
) -> (f64, usize) {
    let agree = cfg.var_agree;
    let mut same = 0f32;
    let mut params = 0usize;
    let mut considered = 0f32;
    for (i, t) in tmpl.iter().enumerate() {
        let lt = toks.get(i);
        let var = toks.is_var(i);
        if var && **t == *lt {
            same += agree;
            considered += agree;
            continue;
        }
        let wi = if !var {
            if cfg.word_mismatch != 1.0 && **t != *lt && plain_word(t) && plain_word(lt) {
                w.get(i) * cfg.word_mismatch
            } else {
                w.get(i)
            }
        } else if lt == WILDCARD && t.bytes().all(|b| b.is_ascii_alphabetic()) {
            cfg.value_mismatch
        } else {
            VAR_MISMATCH_WEIGHT
        };
        considered += wi;
        if &**t == WILDCARD {
            // As in Drain, a wildcard is not evidence of similarity: a template only
            // generalises further through lines that match its remaining literal tokens.
            params += 1;
        } else if **t == *lt {
            same += wi;
        }
    }
    if considered == 0.0 {
        return (1.0, params);
    }
    ((same / considered) as f64, params)
}

/// A letters-only word, punctuation at its edges aside, that is not a level name.
fn plain_word(t: &str) -> bool {
    let t = t.trim_matches(|c: char| matches!(c, ',' | '.' | ':' | ';' | '(' | ')'));
    t.len() >= 2
        && t.bytes().all(|b| b.is_ascii_alphabetic())
        && super::level::word_level(t, false).is_none()
}

#[cfg(test)]
#[path = "drain_tests.rs"]
mod tests;
