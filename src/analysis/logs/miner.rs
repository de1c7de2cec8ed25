//! One line in, one template id out: JSON message extraction, level and trace detection,
//! pre-masking and the Drain tree, with every buffer reused between lines.

use super::drain::{Drain, DrainConfig};
use super::json;
use super::level::{LineClass, TraceState};
use super::mask::Tokens;
use crate::evidence::LogLevel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mined {
    pub template: u32,
    pub level: LogLevel,
    pub frame: bool,
}

#[derive(Debug)]
pub struct TemplateMiner {
    drain: Drain,
    tokens: Tokens,
    json_text: String,
    trace: TraceState,
}

impl Default for TemplateMiner {
    fn default() -> Self {
        Self::new(DrainConfig::default())
    }
}

impl TemplateMiner {
    pub fn new(cfg: DrainConfig) -> Self {
        TemplateMiner {
            drain: Drain::new(cfg),
            tokens: Tokens::default(),
            json_text: String::new(),
            trace: TraceState::default(),
        }
    }

    pub fn mine(&mut self, line: &str) -> Mined {
        let class = match json::message(line, &mut self.json_text) {
            Some(level) => {
                self.trace.reset();
                self.tokens.fill(&self.json_text);
                LineClass {
                    level,
                    frame: false,
                }
            }
            None => {
                self.tokens.fill(line);
                self.trace.classify(line)
            }
        };
        Mined {
            template: self.drain.add(&self.tokens),
            level: class.level,
            frame: class.frame,
        }
    }

    /// Forgets trace context at a stream boundary so one stream's trace cannot claim the
    /// next stream's first lines.
    pub fn end_stream(&mut self) {
        self.trace.reset();
    }

    pub fn drain(&self) -> &Drain {
        &self.drain
    }
}
