//! Log template mining (Drain-style) and canary-vs-stable comparison.
//!
//! Every stream of one Rollout goes through one [`LogMiner`], so a template id means the same
//! thing in canary and stable logs; [`LogMiner::finish`] then ranks templates into findings.

mod crossed;
pub mod drain;
mod hash;
pub mod header;
mod json;
pub mod level;
mod limits;
pub mod mask;
pub mod miner;
pub mod rank;
pub mod reader;
mod shape;
mod siblings;
mod tail;
mod token;
pub mod tuning;
mod value;
mod weight;

pub use drain::{DrainConfig, OVERFLOW_TEMPLATE};
pub use header::HeaderConfig;
pub use miner::{Mined, TemplateMiner};
pub use reader::{Limits, LineReader, ReadStats};
pub use tail::cut_note;
pub use tuning::MinerConfig;
pub use value::MaskConfig;

use crate::evidence::{LogEvidence, LogStream, Role};
use crate::redact::Redactor;
use rank::{Ranked, TemplateStats, Totals};
use std::collections::BTreeMap;
use std::io::Read;

/// One example line is kept per template, cut to this many bytes...
const EXAMPLE_BYTES: usize = 512;
/// ...while all examples together stay under this.
const EXAMPLES_TOTAL_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub max_line_bytes: usize,
    /// The head of each stream: lines mined from its start.
    pub max_lines_per_stream: u64,
    pub max_bytes_per_stream: u64,
    /// Past the head, the last lines of the stream are mined too (a crash is at the end).
    pub tail_lines_per_stream: u64,
    pub tail_bytes_per_stream: u64,
    /// No stream is read further than this, whatever it holds.
    pub max_scan_bytes_per_stream: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            max_line_bytes: 4096,
            max_lines_per_stream: 1_000_000,
            max_bytes_per_stream: 256 << 20,
            tail_lines_per_stream: 10_000,
            tail_bytes_per_stream: 8 << 20,
            max_scan_bytes_per_stream: 4 << 30,
        }
    }
}

pub struct StreamMeta {
    pub pod: String,
    pub container: String,
    pub role: Role,
    pub previous: bool,
}

/// Mines every stream of one Rollout with one shared template tree, so a template means the
/// same thing in canary and stable logs.
pub struct LogMiner {
    cfg: LogConfig,
    miner: TemplateMiner,
    stats: Vec<TemplateStats>,
    streams: Vec<LogStream>,
    example_bytes: usize,
}

impl LogMiner {
    pub fn new(cfg: LogConfig) -> Self {
        LogMiner {
            cfg,
            miner: TemplateMiner::default(),
            stats: Vec::new(),
            streams: Vec::new(),
            example_bytes: 0,
        }
    }

    /// Mines one stream to its end or its caps. On a read error the lines read so far are
    /// kept and the stream is still recorded; the error is returned so the caller can note
    /// the gap.
    pub fn add_stream(&mut self, meta: StreamMeta, reader: &mut dyn Read) -> std::io::Result<()> {
        let limits = Limits {
            max_line_bytes: self.cfg.max_line_bytes,
            max_lines: self.cfg.max_lines_per_stream,
            max_bytes: self.cfg.max_bytes_per_stream,
            tail_lines: self.cfg.tail_lines_per_stream,
            tail_bytes: self.cfg.tail_bytes_per_stream,
            max_scan_bytes: self.cfg.max_scan_bytes_per_stream,
            detect_binary: true,
        };
        let idx = self.streams.len() as u32;
        let mut lines = LineReader::new(reader, limits);
        let mut rec = Recorder {
            stats: &mut self.stats,
            example_bytes: &mut self.example_bytes,
            role: meta.role,
            previous: meta.previous,
            stream: idx,
        };
        let mut record = |line: &str, m: Mined| rec.record(line, m);
        let mut keys = crate::redact::pem::PemLines::default();
        let result = loop {
            match lines.next_line() {
                // Mined in its visible form: colours do not split templates and no control
                // character reaches an example; a private key logged line by line is gone.
                Ok(Some(line)) => self.miner.feed(&mineable(line, &mut keys), &mut record),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.miner.end_stream(&mut record);
        let st = lines.stats();
        self.streams.push(LogStream {
            pod: meta.pod,
            container: meta.container,
            role: meta.role,
            previous: meta.previous,
            lines: st.lines,
            bytes: st.bytes,
            truncated_lines: st.truncated_lines,
            invalid_utf8_lines: st.invalid_utf8_lines,
            binary: st.binary,
            capped: st.capped,
            skipped_lines: st.skipped_lines,
            tail_lines: st.tail_lines,
            rest_unread: st.rest_unread,
        });
        result
    }

    /// The stream most recently added, with its read counts.
    pub fn last_stream(&self) -> Option<&LogStream> {
        self.streams.last()
    }

    /// Ranked findings (ids `log/1`, `log/2`, ... in rank order) with redacted examples.
    ///
    /// Classes: `NewInCanary` (in canary, never in stable, and stable logs exist),
    /// `MoreFrequentInCanary` (≥ 3× the stable rate per line, at least 5 times, z ≥ 3),
    /// `Error` (error or fatal level otherwise), `Noise` (the rest, stack frames included).
    /// When no stable stream was mined nothing can be new, so canary error templates are
    /// `Error` and the rest `Noise`. At most [`rank::MAX_FINDINGS`] findings are returned.
    pub fn finish(mut self, redactor: &Redactor) -> LogEvidence {
        let canon = self.miner.drain_mut().canonical_ids();
        let drain = self.miner.drain();
        let mut merged: BTreeMap<u32, TemplateStats> = BTreeMap::new();
        for (id, s) in self.stats.into_iter().enumerate() {
            if s.total() == 0 {
                continue;
            }
            let c = canon.get(id).copied().unwrap_or(id as u32);
            merged.entry(c).or_default().merge(s);
        }
        let mut totals = Totals::default();
        for s in &self.streams {
            match s.role {
                Role::Canary => totals.canary_lines += s.lines,
                Role::Stable => totals.stable_lines += s.lines,
                Role::Other => {}
            }
        }
        let names: Vec<String> = self.streams.iter().map(stream_name).collect();
        let items = merged
            .into_iter()
            .map(|(id, stats)| Ranked {
                template: drain.template(id),
                stats,
            })
            .collect();
        let findings = rank::rank(items, totals, &names, redactor);
        LogEvidence {
            streams: self.streams,
            findings,
            coverage: Vec::new(),
        }
    }
}

/// Folds one mined line into its template's counts.
struct Recorder<'a> {
    stats: &'a mut Vec<TemplateStats>,
    example_bytes: &'a mut usize,
    role: Role,
    previous: bool,
    stream: u32,
}

impl Recorder<'_> {
    fn record(&mut self, line: &str, m: Mined) {
        let Some(s) = grow_to(self.stats, m.template as usize) else {
            return;
        };
        match self.role {
            Role::Canary => s.canary += 1,
            Role::Stable => s.stable += 1,
            Role::Other => s.other += 1,
        }
        s.level = Some(s.level.map_or(m.level, |l| l.min(m.level)));
        s.frames += u64::from(m.frame);
        s.previous |= self.previous;
        match s.streams.last_mut() {
            Some((i, n)) if *i == self.stream => *n += 1,
            _ => s.streams.push((self.stream, 1)),
        }
        if s.example.is_none() && *self.example_bytes < EXAMPLES_TOTAL_BYTES {
            let ex = cut(line, EXAMPLE_BYTES);
            *self.example_bytes += ex.len();
            s.example = Some(ex.into());
        }
    }
}

/// The form of a log line that is mined: without ANSI sequences, controls made visible, and
/// nothing of a private key that spans lines.
pub fn mineable<'a>(
    line: &'a str,
    keys: &mut crate::redact::pem::PemLines,
) -> std::borrow::Cow<'a, str> {
    let visible = crate::text::plain_log_line(line);
    if keys.is_key_line(&visible) {
        std::borrow::Cow::Borrowed(crate::redact::pem::KEY_LINE)
    } else {
        visible
    }
}

pub fn stream_name(s: &LogStream) -> String {
    let base = format!("{}/{}", s.pod, s.container);
    if s.previous {
        base + " (previous)"
    } else {
        base
    }
}

fn grow_to(v: &mut Vec<TemplateStats>, i: usize) -> Option<&mut TemplateStats> {
    if v.len() <= i {
        v.resize_with(i + 1, TemplateStats::default);
    }
    v.get_mut(i)
}

/// `s` cut to at most `max` bytes at a character boundary.
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
#[path = "miner_tests.rs"]
mod tests;
