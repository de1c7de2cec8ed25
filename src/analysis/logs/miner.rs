//! One line in, one template id out: JSON message extraction, level and trace detection,
//! header stripping, pre-masking and the Drain tree, with every buffer reused between lines.

use super::drain::{Drain, DrainConfig};
use super::header::{Header, HeaderConfig};
use super::json;
use super::level::{LineClass, TraceState};
use super::mask::Tokens;
use super::tuning::MinerConfig;
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
    header_cfg: HeaderConfig,
    header: Header,
    /// A stream's first lines, held back until its header is learned; `None` once learned.
    held: Option<Vec<String>>,
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
            header_cfg: HeaderConfig::default(),
            header: Header::default(),
            held: Some(Vec::new()),
        }
    }

    pub fn with_config(cfg: MinerConfig) -> Self {
        let mut m = Self::new(cfg.drain);
        m.header_cfg = cfg.header;
        m.tokens = Tokens::with_config(cfg.mask);
        m
    }

    /// Streaming entry point: mines `line` and hands it to `out` with its result, except
    /// that a stream's first lines are held back and handed over once the stream's header
    /// has been learned from them. Call [`Self::end_stream`] after a stream's last line.
    pub fn feed(&mut self, line: &str, out: &mut dyn FnMut(&str, Mined)) {
        match &mut self.held {
            Some(held) if held.len() < self.header_cfg.sample_lines => {
                held.push(line.to_owned());
                if held.len() == self.header_cfg.sample_lines {
                    self.replay_held(out);
                }
            }
            _ => {
                let m = self.mine(line);
                out(line, m);
            }
        }
    }

    fn replay_held(&mut self, out: &mut dyn FnMut(&str, Mined)) {
        let Some(held) = self.held.take() else {
            return;
        };
        self.header = Header::learn(&self.header_cfg, held.iter().map(String::as_str));
        for line in &held {
            let m = self.mine(line);
            out(line, m);
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
                self.tokens.fill(self.header.strip(line));
                self.trace.classify(line)
            }
        };
        Mined {
            template: self.drain.add(&self.tokens),
            level: class.level,
            frame: class.frame,
        }
    }

    /// Hands over any lines still held back, then forgets the stream's header and trace
    /// context: the next stream learns its own header, and one stream's trace cannot claim
    /// the next stream's first lines.
    pub fn end_stream(&mut self, out: &mut dyn FnMut(&str, Mined)) {
        self.replay_held(out);
        self.header = Header::default();
        self.held = Some(Vec::new());
        self.trace.reset();
    }

    pub fn drain(&self) -> &Drain {
        &self.drain
    }

    pub fn drain_mut(&mut self) -> &mut Drain {
        &mut self.drain
    }
}
