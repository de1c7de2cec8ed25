//! Line headers learned per stream. Whatever a program puts before its message (timestamps
//! in any form, pids, hosts with numbers, levels, `[thread]` tags, `-` separators) sits in
//! the same leading columns of almost every line with almost the same *shape*, while the
//! message's first words vary with the event. So the header is learned from a sample of the
//! stream's first lines as the run of leading columns whose shapes are near-constant and
//! header-like, and each line is mined without it: the same event then gives the same tokens
//! under any header, and header fields that vary on their own cannot split an event.

use super::hash::FxMap;
use super::shape::{Shape, is_punct, shape};
use super::siblings::is_identifier;
use super::token::next_token;

/// Tunables, chosen by leave-one-dataset-out on the public LogHub-2k sets (see README).
#[derive(Debug, Clone)]
pub struct HeaderConfig {
    /// Lines held back at a stream's start to learn its header.
    pub sample_lines: usize,
    /// Fewer sample lines than this: too little evidence, nothing is stripped.
    pub min_lines: usize,
    /// Leading columns considered.
    pub max_columns: usize,
    /// Share of sample lines whose token in a column must have an accepted shape.
    pub coverage: f64,
    /// Share a shape needs in its column to be accepted there.
    pub min_shape_share: f64,
    /// Share of a header's columns (after the first) a line may miss and still be stripped.
    pub max_miss_share: f64,
    /// A column of any shape between two header columns is header (`ts|component|pid|`).
    pub sandwiched: bool,
    /// A column of `name:` labels right after the header ends it (`WindowManager:`).
    pub labels: bool,
}

impl Default for HeaderConfig {
    fn default() -> Self {
        HeaderConfig {
            sample_lines: 128,
            min_lines: 16,
            max_columns: 10,
            coverage: 0.9,
            min_shape_share: 0.05,
            max_miss_share: 1.0,
            sandwiched: true,
            labels: true,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Column {
    shapes: Vec<u64>,
    /// A free column between two header columns (a program name before ` - `).
    free: bool,
}

/// The learned header of one stream; empty (strips nothing) until learned.
#[derive(Debug, Clone, Default)]
pub struct Header {
    columns: Vec<Column>,
    max_misses: usize,
}

impl Header {
    pub fn learn<'a>(cfg: &HeaderConfig, sample: impl IntoIterator<Item = &'a str>) -> Header {
        // Label positions are kept as bits of a u32 per line.
        let max = cfg.max_columns.min(u32::BITS as usize);
        // Per column: (shape, count) over the lines long enough to have it.
        let mut counts: Vec<Vec<(Shape, u32, bool)>> = vec![Vec::new(); max];
        let mut labels = vec![0u32; max];
        // Per column, lines with a `name:` label there or within a free column's extra
        // words after it (`Google Chrome Helper[123]:`).
        let mut labels_near = vec![0u32; max];
        // Per column, how many lines hold each exact token (the first few dozen tokens).
        let mut values: Vec<FxMap<&str, u32>> = vec![FxMap::default(); max];
        let mut lines = 0u32;
        for line in sample {
            lines += 1;
            let mut rest = line;
            let mut p = 0;
            let mut label_at = 0u32;
            while p < max
                && let Some(tok) = next_token(&mut rest)
            {
                let s = shape(tok);
                let label = tok.len() > 1 && tok.ends_with(':');
                labels[p] += u32::from(label);
                label_at |= u32::from(label) << p;
                let seen = values[p].len();
                match values[p].get_mut(tok) {
                    Some(c) => *c += 1,
                    None if seen < MAX_VALUES => {
                        values[p].insert(tok, 1);
                    }
                    None => {}
                }
                let col = &mut counts[p];
                match col.iter_mut().find(|(c, _, _)| *c == s) {
                    Some(e) => e.1 += 1,
                    None => col.push((s, 1, is_punct(tok))),
                }
                p += 1;
            }
            let near = (1u32 << (MAX_FREE_EXTRA + 1)) - 1;
            for (q, c) in labels_near.iter_mut().enumerate() {
                *c += u32::from((label_at >> q) & near != 0);
            }
        }
        if (lines as usize) < cfg.min_lines.max(1) || cfg.sample_lines == 0 {
            return Header::default();
        }
        let n = lines as f64;
        // A column's accepted shapes, its coverage, its separator shapes when bare
        // punctuation fills most of it (else empty), and whether they cover it.
        let accepted = |col: &[(Shape, u32, bool)]| -> (Vec<u64>, f64, Vec<u64>, bool) {
            let (mut shapes, mut seps) = (Vec::new(), Vec::new());
            let (mut covered, mut punct) = (0u32, 0u32);
            for &(s, c, p) in col {
                if s.header_like && c as f64 >= cfg.min_shape_share * n {
                    shapes.push(s.hash);
                    covered += c;
                    if p {
                        punct += c;
                        seps.push(s.hash);
                    }
                }
            }
            if 2 * punct <= lines {
                seps.clear();
            }
            let separator = punct as f64 >= cfg.coverage * n;
            (shapes, covered as f64 / n, seps, separator)
        };
        let mut columns: Vec<Column> = Vec::new();
        let mut p = 0;
        while p < max {
            let (mut shapes, mut covered, _, _) = accepted(&counts[p]);
            // A host is only header when header follows it (`combo sshd[19939]:`): a
            // stream where one event fills nearly every line repeats its first words too.
            let header_follows = p + 1 < max
                && (labels_near[p + 1] as f64 >= cfg.coverage * n
                    || accepted(&counts[p + 1]).1 >= cfg.coverage);
            if p > 0 && header_follows {
                // Host names are header whatever their letters: one name in nearly every
                // line (`combo`: no message starts with one word so often), or a few
                // names shaped like names (`authorMacBook-Pro` beside
                // `calvisitor-10-105-160-95`), which message words rarely are.
                for (&tok, &c) in &values[p] {
                    let s = shape(tok);
                    let host = c as f64 >= cfg.coverage * n
                        || (c as f64 >= cfg.min_shape_share * n && is_identifier(tok));
                    if host && !shapes.contains(&s.hash) {
                        shapes.push(s.hash);
                        covered += c as f64 / n;
                    }
                }
            }
            if covered >= cfg.coverage {
                columns.push(Column {
                    shapes,
                    free: false,
                });
                p += 1;
                continue;
            }
            // A column of any shape is header too when a separator column, or with
            // `sandwiched` any header column, closes it.
            if p > 0 && p + 1 < max {
                let (next, covered_next, seps, separator) = accepted(&counts[p + 1]);
                if separator || (cfg.sandwiched && covered_next >= cfg.coverage) {
                    columns.push(Column {
                        shapes: Vec::new(),
                        free: true,
                    });
                    // Behind a separator only the separator closes the free column: the
                    // few lines whose name has a second word (`chrome.exe *64 -`) put that
                    // word in this column, and it must not pass for the separator.
                    columns.push(Column {
                        shapes: if seps.is_empty() { next } else { seps },
                        free: false,
                    });
                    p += 2;
                    continue;
                }
            }
            if cfg.labels && p > 0 && labels[p] as f64 >= cfg.coverage * n {
                columns.push(Column {
                    shapes: Vec::new(),
                    free: true,
                });
            }
            break;
        }
        let max_misses = (cfg.max_miss_share * columns.len() as f64) as usize;
        Header {
            columns,
            max_misses,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The line without its header. A line whose first column does not fit (a stack frame,
    /// a continuation line) or that misses too many columns keeps everything; a line is
    /// never stripped to nothing.
    pub fn strip<'a>(&self, line: &'a str) -> &'a str {
        if self.columns.is_empty() {
            return line;
        }
        let mut rest = line;
        let mut misses = 0;
        for (p, col) in self.columns.iter().enumerate() {
            let Some(tok) = next_token(&mut rest) else {
                return line;
            };
            if col.free {
                match self.columns.get(p + 1) {
                    Some(next) => rest = past_free_words(rest, &next.shapes),
                    // A closing label column holds `name:` or `name[pid]:`; a name with
                    // spaces in it (`Microsoft Word[412]:`) runs on to its marked label.
                    None if !tok.ends_with(':') => rest = past_name_words(rest),
                    None => {}
                }
                continue;
            }
            if !col.shapes.contains(&shape(tok).hash) {
                if p == 0 {
                    return line;
                }
                // A program name with spaces in it (`Microsoft Word[412]:`) fits the
                // header's last column a word or two on; earlier columns stay aligned.
                match fitting_within(rest, &col.shapes) {
                    Some(after) if p + 1 == self.columns.len() => rest = after,
                    _ => misses += 1,
                }
            }
        }
        if misses > self.max_misses {
            return line;
        }
        let body = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '|');
        if body.is_empty() { line } else { body }
    }
}

/// Distinct tokens counted per column while learning; hosts are few, message words many.
const MAX_VALUES: usize = 32;

/// Words a free column may hold beyond its first (`chrome.exe *64 -`, `Google Chrome Helper`).
const MAX_FREE_EXTRA: usize = 2;

/// `rest` past the extra words of a free column: a name with spaces in it runs on until the
/// column after it shows up, within [`MAX_FREE_EXTRA`] words; if it does not, `rest` as is.
fn past_free_words<'a>(rest: &'a str, next: &[u64]) -> &'a str {
    fit_ahead(rest, next, MAX_FREE_EXTRA + 1, |_| true).map_or(rest, |(before, _)| before)
}

/// `rest` past a label marked as a field (`Word[412]:`) within its next [`MAX_FREE_EXTRA`]
/// tokens; a plain `word:` there is the message's own label, so `rest` stays as is.
fn past_name_words(rest: &str) -> &str {
    let mut r = rest;
    for _ in 0..MAX_FREE_EXTRA {
        let Some(tok) = next_token(&mut r) else { break };
        let name = tok.trim_end_matches(':');
        if name.len() < tok.len() && name.bytes().any(|b| b == b']' || b == b')') {
            return r;
        }
    }
    rest
}

/// `rest` past the first of its next [`MAX_FREE_EXTRA`] tokens that has one of `shapes` and
/// is marked as a field (`Word[412]:`, `host-7`); a plain word there is the message's.
fn fitting_within<'a>(rest: &'a str, shapes: &[u64]) -> Option<&'a str> {
    let marked = |tok: &str| tok.bytes().any(|b| !b.is_ascii_alphabetic());
    fit_ahead(rest, shapes, MAX_FREE_EXTRA, marked).map(|(_, after)| after)
}

/// The first of `rest`'s next `n` tokens that has one of `shapes` and passes `accept`, as
/// `rest` before it and after it.
fn fit_ahead<'a>(
    rest: &'a str,
    shapes: &[u64],
    n: usize,
    accept: impl Fn(&str) -> bool,
) -> Option<(&'a str, &'a str)> {
    let mut r = rest;
    for _ in 0..n {
        let before = r;
        let tok = next_token(&mut r)?;
        if accept(tok) && shapes.contains(&shape(tok).hash) {
            return Some((before, r));
        }
    }
    None
}

#[cfg(test)]
#[path = "header_tests.rs"]
mod tests;
