//! Bounded streaming line reader: constant memory whatever the size of the log, one reused
//! line buffer, lossy UTF-8, and a binary sniff so a core dump is not mined as text. Past the
//! head caps it reads on to the end (up to a scan bound) and returns the last lines too.

pub use super::limits::{Limits, ReadStats};
use super::tail::TailRing;
use memchr::memchr;
use std::io::{self, Read};

const BUF_BYTES: usize = 64 * 1024;
/// How much of the stream the binary sniff looks at.
const SNIFF_BYTES: usize = 8 * 1024;

pub struct LineReader<R> {
    inner: R,
    limits: Limits,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    sniffed: bool,
    done: bool,
    line: Vec<u8>,
    lossy: String,
    stats: ReadStats,
    /// Set once the head is full and the rest was read: the lines still to return.
    tail: Option<TailRing>,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R, limits: Limits) -> Self {
        LineReader {
            inner,
            limits,
            buf: vec![0u8; BUF_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            sniffed: false,
            done: false,
            line: Vec::with_capacity(256),
            lossy: String::new(),
            stats: ReadStats::default(),
            tail: None,
        }
    }

    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// The next line without its terminator ("\n", or "\r\n"), or `None` at the end, at a
    /// cap, or when the stream is binary. The slice is valid until the next call.
    pub fn next_line(&mut self) -> io::Result<Option<&str>> {
        if self.done {
            return Ok(None);
        }
        if !self.sniffed {
            self.sniffed = true;
            if self.limits.detect_binary && self.sniff()? {
                self.stats.binary = true;
                self.done = true;
                return Ok(None);
            }
        }
        if let Some(tail) = &mut self.tail {
            if !tail.pop_into(&mut self.line) {
                self.done = true;
                return Ok(None);
            }
            self.stats.lines += 1;
            self.stats.tail_lines += 1;
            return Ok(Some(self.decode()));
        }
        let (lim, st) = (&self.limits, &self.stats);
        let scanned = st.bytes >= lim.max_scan_bytes;
        if st.lines >= lim.max_lines || st.bytes >= lim.max_bytes || scanned {
            if lim.tail_lines == 0 || scanned || !self.has_more()? {
                self.stats.capped = self.has_more()?;
                self.stats.rest_unread = self.stats.capped;
                self.done = true;
                return Ok(None);
            }
            self.read_tail()?;
            return self.next_line();
        }
        if !self.read_raw_line(self.limits.max_bytes.min(self.limits.max_scan_bytes))? {
            self.done = true;
            return Ok(None);
        }
        self.stats.lines += 1;
        Ok(Some(self.decode()))
    }

    fn decode(&mut self) -> &str {
        match std::str::from_utf8(&self.line) {
            Ok(s) => s,
            Err(_) => {
                self.stats.invalid_utf8_lines += 1;
                self.lossy.clear();
                self.lossy.push_str(&String::from_utf8_lossy(&self.line));
                &self.lossy
            }
        }
    }

    /// Reads on past the head to the end of the stream (or the scan bound), keeping the last
    /// lines in a bounded ring and counting the ones in between.
    fn read_tail(&mut self) -> io::Result<()> {
        let mut ring = TailRing::new(self.limits.tail_lines, self.limits.tail_bytes);
        loop {
            if self.stats.bytes >= self.limits.max_scan_bytes {
                self.stats.rest_unread = self.has_more()?;
                break;
            }
            if !self.read_raw_line(self.limits.max_scan_bytes)? {
                break;
            }
            self.stats.skipped_lines += ring.push(&self.line);
        }
        self.stats.capped = self.stats.skipped_lines > 0 || self.stats.rest_unread;
        self.tail = Some(ring);
        Ok(())
    }

    /// Fills `self.line` with the next raw line, cut to the per-line cap; a line still going
    /// at `stop_at` bytes into the stream ends there. False at the end.
    fn read_raw_line(&mut self, stop_at: u64) -> io::Result<bool> {
        self.line.clear();
        // One byte over the cap is kept so a "\r" right at the cap is still recognised.
        let keep = self.limits.max_line_bytes.saturating_add(1);
        let mut dropped = false;
        let mut saw_any = false;
        let mut terminated = false;
        while !terminated {
            if self.start == self.end && !self.refill()? {
                break;
            }
            saw_any = true;
            let avail = &self.buf[self.start..self.end];
            let (chunk, used) = match memchr(b'\n', avail) {
                Some(i) => {
                    terminated = true;
                    (&avail[..i], i + 1)
                }
                None => (avail, avail.len()),
            };
            let room = keep.saturating_sub(self.line.len());
            let take = chunk.len().min(room);
            self.line.extend_from_slice(&chunk[..take]);
            dropped |= take < chunk.len();
            self.start += used;
            self.stats.bytes += used as u64;
            // A single endless line must not defeat the byte cap.
            if !terminated && self.stats.bytes >= stop_at {
                break;
            }
        }
        if !saw_any {
            return Ok(false);
        }
        if !dropped && self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if dropped || self.line.len() > self.limits.max_line_bytes {
            self.stats.truncated_lines += 1;
            let mut cut = self.limits.max_line_bytes.min(self.line.len());
            // Back off to the first byte of the character the cut would split.
            while cut > 0 && cut < self.line.len() && (self.line[cut] & 0xC0) == 0x80 {
                cut -= 1;
            }
            self.line.truncate(cut);
        }
        Ok(true)
    }

    fn refill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.start = 0;
        self.end = 0;
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn has_more(&mut self) -> io::Result<bool> {
        Ok(self.start < self.end || self.refill()?)
    }

    /// Reads up to the sniff window into the buffer and judges it. Called before any line.
    fn sniff(&mut self) -> io::Result<bool> {
        while self.end < SNIFF_BYTES && !self.eof {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(looks_binary(&self.buf[..self.end.min(SNIFF_BYTES)]))
    }
}

/// NUL bytes never occur in text logs; other control bytes do (tabs, ANSI colours), so only
/// a high share of them counts.
pub fn looks_binary(sample: &[u8]) -> bool {
    if sample.is_empty() {
        return false;
    }
    if memchr(0, sample).is_some() {
        return true;
    }
    let control = sample
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || b == 0x7f)
        .count();
    control * 10 > sample.len()
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
