//! Log template mining (Drain-style) and canary-vs-stable comparison. OWNED BY THE LOGS WORK.

use crate::evidence::{LogEvidence, Role};
use crate::redact::Redactor;
use std::io::Read;

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub max_line_bytes: usize,
    pub max_lines_per_stream: u64,
    pub max_bytes_per_stream: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            max_line_bytes: 4096,
            max_lines_per_stream: 1_000_000,
            max_bytes_per_stream: 256 << 20,
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
    _cfg: LogConfig,
}

impl LogMiner {
    pub fn new(cfg: LogConfig) -> Self {
        LogMiner { _cfg: cfg }
    }

    pub fn add_stream(&mut self, _meta: StreamMeta, _reader: &mut dyn Read) -> std::io::Result<()> {
        Ok(())
    }

    /// Ranked findings (ids `log/1`, `log/2`, ... in rank order) with redacted examples.
    pub fn finish(self, _redactor: &Redactor) -> LogEvidence {
        LogEvidence::default()
    }
}
