//! Line headers learned per stream. Whatever a program puts before its message (timestamps
//! in any form, pids, hosts with numbers, levels, `[thread]` tags, `-` separators) sits in
//! the same leading columns of almost every line with almost the same *shape*, while the
//! message's first words vary with the event. So the header is learned from a sample of the
//! stream's first lines as the run of leading columns whose shapes are near-constant and
//! header-like, and each line is mined without it: the same event then gives the same tokens
//! under any header, and header fields that vary on their own cannot split an event.

use super::mask::next_token;
use super::shape::{Shape, is_punct, shape};

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
            labels: false,
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
        let max = cfg.max_columns;
        // Per column: (shape, count) over the lines long enough to have it.
        let mut counts: Vec<Vec<(Shape, u32, bool)>> = vec![Vec::new(); max];
        let mut labels = vec![0u32; max];
        let mut lines = 0u32;
        for line in sample {
            lines += 1;
            let mut rest = line;
            let mut p = 0;
            while p < max
                && let Some(tok) = next_token(&mut rest)
            {
                let s = shape(tok);
                labels[p] += u32::from(tok.len() > 1 && tok.ends_with(':'));
                let col = &mut counts[p];
                match col.iter_mut().find(|(c, _, _)| *c == s) {
                    Some(e) => e.1 += 1,
                    None => col.push((s, 1, is_punct(tok))),
                }
                p += 1;
            }
        }
        if (lines as usize) < cfg.min_lines.max(1) || cfg.sample_lines == 0 {
            return Header::default();
        }
        let n = lines as f64;
        let accepted = |col: &[(Shape, u32, bool)]| -> (Vec<u64>, f64, bool) {
            let mut shapes = Vec::new();
            let (mut covered, mut punct) = (0u32, 0u32);
            for &(s, c, p) in col {
                if s.header_like && c as f64 >= cfg.min_shape_share * n {
                    shapes.push(s.hash);
                    covered += c;
                    punct += if p { c } else { 0 };
                }
            }
            (shapes, covered as f64 / n, punct as f64 >= cfg.coverage * n)
        };
        let mut columns: Vec<Column> = Vec::new();
        let mut p = 0;
        while p < max {
            let (shapes, covered, _) = accepted(&counts[p]);
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
                let (next, covered_next, separator) = accepted(&counts[p + 1]);
                if separator || (cfg.sandwiched && covered_next >= cfg.coverage) {
                    columns.push(Column {
                        shapes: Vec::new(),
                        free: true,
                    });
                    columns.push(Column {
                        shapes: next,
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
                continue;
            }
            if !col.shapes.contains(&shape(tok).hash) {
                if p == 0 {
                    return line;
                }
                misses += 1;
            }
        }
        if misses > self.max_misses {
            return line;
        }
        let body = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '|');
        if body.is_empty() { line } else { body }
    }
}

#[cfg(test)]
#[path = "header_tests.rs"]
mod tests;
