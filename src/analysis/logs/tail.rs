//! The tail of a log past its head cap: a crash is usually the last thing a (previous) log
//! says, so the reader keeps the last lines in a ring of bounded bytes while reading past the
//! middle, and every output says what was cut.

use std::collections::VecDeque;

/// The last lines read, at most `max_lines` of them and `max_bytes` in all (one line more
/// than `max_bytes` is never kept: each line is already cut to the per-line cap).
#[derive(Debug, Default)]
pub(crate) struct TailRing {
    bytes: VecDeque<u8>,
    lens: VecDeque<usize>,
    max_lines: u64,
    max_bytes: u64,
}

impl TailRing {
    pub fn new(max_lines: u64, max_bytes: u64) -> Self {
        TailRing {
            max_lines,
            max_bytes,
            ..TailRing::default()
        }
    }

    /// Keeps `line` as the newest; returns how many older lines fell out.
    pub fn push(&mut self, line: &[u8]) -> u64 {
        self.bytes.extend(line);
        self.lens.push_back(line.len());
        let mut evicted = 0;
        while self.lens.len() as u64 > self.max_lines
            || (self.bytes.len() as u64 > self.max_bytes && !self.lens.is_empty())
        {
            if let Some(n) = self.lens.pop_front() {
                self.bytes.drain(..n);
                evicted += 1;
            }
        }
        evicted
    }

    /// The oldest kept line, moved into `out`; false when none is left.
    pub fn pop_into(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(n) = self.lens.pop_front() else {
            return false;
        };
        out.clear();
        out.extend(self.bytes.drain(..n));
        true
    }
}

/// What a cut log says wherever it is shown: the lines kept at the head, skipped, and kept
/// at the tail, or that the rest was not read.
pub fn cut_note(lines: u64, tail: u64, skipped: u64, rest_unread: bool) -> String {
    let head = lines.saturating_sub(tail);
    let mut note = format!("log cut: kept the first {head} lines");
    if tail > 0 || skipped > 0 {
        note.push_str(&format!(", skipped {skipped}, kept the last {tail}"));
    }
    if rest_unread {
        note.push_str(if tail > 0 {
            " read before the read bound (the end of the log was not reached)"
        } else {
            "; the rest was not read"
        });
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_lines_within_its_bounds() {
        let mut ring = TailRing::new(2, 1000);
        assert_eq!(ring.push(b"a") + ring.push(b"bb") + ring.push(b"ccc"), 1);
        let mut out = Vec::new();
        assert!(ring.pop_into(&mut out) && out == b"bb");
        assert!(ring.pop_into(&mut out) && out == b"ccc");
        assert!(!ring.pop_into(&mut out));
        let mut ring = TailRing::new(100, 5);
        assert_eq!(ring.push(b"abc") + ring.push(b"de") + ring.push(b"f"), 1);
        assert!(ring.pop_into(&mut out) && out == b"de");
    }

    #[test]
    fn the_note_counts_head_skipped_and_tail() {
        assert_eq!(
            cut_note(1200, 200, 5000, false),
            "log cut: kept the first 1000 lines, skipped 5000, kept the last 200"
        );
        assert_eq!(
            cut_note(10, 0, 0, true),
            "log cut: kept the first 10 lines; the rest was not read"
        );
    }
}
