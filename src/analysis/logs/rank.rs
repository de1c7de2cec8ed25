//! Canary-vs-stable classification and ranking of mined templates into findings.

use crate::evidence::{LogClass, LogFinding, LogLevel};
use crate::redact::Redactor;
use std::cmp::Reverse;

/// Findings handed to the evidence; the evidence budget trims further.
pub const MAX_FINDINGS: usize = 200;
/// A template must be this much more frequent per line in canary than in stable.
const RATE_RATIO: f64 = 3.0;
/// ...seen at least this often in canary...
const MIN_CANARY_COUNT: u64 = 5;
/// ...and unlikely to be chance: z-score of the canary share of its occurrences.
const MIN_Z: f64 = 3.0;

/// Everything known about one template after mining.
#[derive(Debug, Clone, Default)]
pub struct TemplateStats {
    pub canary: u64,
    pub stable: u64,
    pub other: u64,
    /// Most severe level seen on any of its lines.
    pub level: Option<LogLevel>,
    /// Lines that were stack frames or other trace continuations.
    pub frames: u64,
    /// (stream index, lines) in stream order.
    pub streams: Vec<(u32, u64)>,
    pub example: Option<Box<str>>,
    pub previous: bool,
}

impl TemplateStats {
    pub fn total(&self) -> u64 {
        self.canary + self.stable + self.other
    }

    pub fn merge(&mut self, o: TemplateStats) {
        self.canary += o.canary;
        self.stable += o.stable;
        self.other += o.other;
        self.level = match (self.level, o.level) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.frames += o.frames;
        for (s, n) in o.streams {
            match self.streams.iter_mut().find(|(x, _)| *x == s) {
                Some((_, m)) => *m += n,
                None => self.streams.push((s, n)),
            }
        }
        self.streams.sort_unstable();
        self.example = self.example.take().or(o.example);
        self.previous |= o.previous;
    }
}

/// Lines mined per role, the denominators of the rates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub canary_lines: u64,
    pub stable_lines: u64,
}

/// With no stable logs nothing can be "new": canary error templates are then plain
/// `Error`, the rest `Noise`.
pub fn classify(s: &TemplateStats, t: Totals) -> LogClass {
    let level = s.level.unwrap_or(LogLevel::Unknown);
    // Stack frames and blank lines carry no signal of their own: their header line does.
    let blank = s.example.as_deref().is_some_and(|e| e.trim().is_empty());
    let is_frame = blank || (s.frames == s.total() && s.total() > 0);
    if !is_frame && t.stable_lines > 0 && s.canary > 0 {
        if s.stable == 0 {
            return LogClass::NewInCanary;
        }
        if more_frequent(s.canary, s.stable, t) {
            return LogClass::MoreFrequentInCanary;
        }
    }
    if !is_frame && level <= LogLevel::Error {
        return LogClass::Error;
    }
    LogClass::Noise
}

fn more_frequent(c: u64, s: u64, t: Totals) -> bool {
    if c < MIN_CANARY_COUNT || t.canary_lines == 0 {
        return false;
    }
    let (cl, sl) = (t.canary_lines as f64, t.stable_lines as f64);
    if (c as f64 / cl) < RATE_RATIO * (s as f64 / sl) {
        return false;
    }
    // Under "same rate" the canary share of the n occurrences is binomial(n, p0).
    let n = (c + s) as f64;
    let p0 = cl / (cl + sl);
    let sd = (n * p0 * (1.0 - p0)).sqrt();
    sd > 0.0 && (c as f64 - n * p0) / sd >= MIN_Z
}

pub struct Ranked {
    pub template: String,
    pub stats: TemplateStats,
}

/// Orders by class, severity, crashed-container logs first, then frequency; the template
/// text breaks ties so the order never depends on hash or insertion order.
pub fn rank(
    items: Vec<Ranked>,
    totals: Totals,
    stream_names: &[String],
    redactor: &Redactor,
) -> Vec<LogFinding> {
    let mut keyed: Vec<(LogClass, Ranked)> = items
        .into_iter()
        .map(|r| (classify(&r.stats, totals), r))
        .collect();
    keyed.sort_by(|(ca, a), (cb, b)| {
        let key = |c: &LogClass, r: &Ranked| {
            (
                *c,
                r.stats.level.unwrap_or(LogLevel::Unknown),
                !r.stats.previous,
                Reverse(r.stats.total()),
            )
        };
        key(ca, a)
            .cmp(&key(cb, b))
            .then_with(|| a.template.cmp(&b.template))
    });
    keyed
        .into_iter()
        .take(MAX_FINDINGS)
        .enumerate()
        .map(|(i, (class, r))| LogFinding {
            id: format!("log/{}", i + 1),
            class,
            level: r.stats.level.unwrap_or(LogLevel::Unknown),
            template: redactor.line(&r.template).into_owned(),
            example: r
                .stats
                .example
                .as_deref()
                .map(|e| redactor.line(e).into_owned())
                .unwrap_or_default(),
            canary_count: r.stats.canary,
            stable_count: r.stats.stable,
            streams: r
                .stats
                .streams
                .iter()
                .filter_map(|&(s, _)| stream_names.get(s as usize).cloned())
                .collect(),
            previous: r.stats.previous,
        })
        .collect()
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
