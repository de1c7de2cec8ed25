//! What one read of a log stream may take (head, tail, scan bound) and what it took.

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_line_bytes: usize,
    /// The head: lines returned from the start of the stream.
    pub max_lines: u64,
    pub max_bytes: u64,
    /// The tail: past the head, the last lines (and at most this many bytes of them) are
    /// returned too, the middle skipped and counted. 0: nothing after the head is read.
    pub tail_lines: u64,
    pub tail_bytes: u64,
    /// Reading stops here whatever is left, so an endless stream ends.
    pub max_scan_bytes: u64,
    /// Off for `logs templates`, which must give every line an id whatever the content.
    pub detect_binary: bool,
}

impl Limits {
    /// No caps except the per-line one: every line of the input is returned.
    pub fn unbounded(max_line_bytes: usize) -> Self {
        Limits {
            max_line_bytes,
            max_lines: u64::MAX,
            max_bytes: u64::MAX,
            tail_lines: 0,
            tail_bytes: 0,
            max_scan_bytes: u64::MAX,
            detect_binary: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub lines: u64,
    /// Raw bytes consumed, terminators included.
    pub bytes: u64,
    pub truncated_lines: u64,
    pub invalid_utf8_lines: u64,
    pub binary: bool,
    /// Some lines were not returned: skipped between head and tail, or never read.
    pub capped: bool,
    /// Lines read past between the head and the tail.
    pub skipped_lines: u64,
    /// Of `lines`, how many are the stream's last lines (the tail).
    pub tail_lines: u64,
    /// The scan bound stopped reading before the end of the stream.
    pub rest_unread: bool,
}

impl ReadStats {
    /// What every output says about a cut stream; `None` when every line was returned.
    pub fn cut_note(&self) -> Option<String> {
        self.capped.then(|| {
            super::tail::cut_note(
                self.lines,
                self.tail_lines,
                self.skipped_lines,
                self.rest_unread,
            )
        })
    }
}
