//! Token informativeness from how many lines so far carried the token. Raw lines keep their
//! headers (host, level, component columns): those tokens sit in most lines, so letting them
//! count as much as message words would merge every short message behind the same header.

use super::hash::FxMap;
use super::mask::Tokens;

/// Distinct tokens tracked; later new tokens count as rare, which only makes merging
/// stricter, and memory stays bounded on adversarial input.
const MAX_TRACKED: usize = 200_000;
/// The weight never reaches zero, so even an everywhere-token still says something.
const MIN_WEIGHT: f32 = 0.05;

#[derive(Debug, Default)]
pub struct TokenWeights {
    counts: FxMap<Box<str>, u32>,
    lines: u32,
    weights: Vec<f32>,
}

impl TokenWeights {
    /// Counts the line's literal tokens and computes their weights; pre-masked tokens get
    /// none (they are skipped by the similarity anyway).
    pub fn observe(&mut self, toks: &Tokens) {
        self.lines = self.lines.saturating_add(1);
        self.weights.clear();
        let n = self.lines as f32;
        for i in 0..toks.len() {
            if toks.is_var(i) {
                self.weights.push(0.0);
                continue;
            }
            let t = toks.get(i);
            let count = if let Some(c) = self.counts.get_mut(t) {
                *c = c.saturating_add(1);
                *c
            } else {
                if self.counts.len() < MAX_TRACKED {
                    self.counts.insert(t.into(), 1);
                }
                1
            };
            let w = 1.0 - count as f32 / n;
            self.weights.push(w.max(MIN_WEIGHT));
        }
    }

    /// Weight of the current line's token `i`.
    pub fn get(&self, i: usize) -> f32 {
        self.weights.get(i).copied().unwrap_or(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequent_tokens_weigh_less() {
        let mut w = TokenWeights::default();
        let mut t = Tokens::default();
        for i in 0..10 {
            t.fill(&format!("HEADER word{} {}", ["alpha", "beta"][i % 2], i));
            w.observe(&t);
        }
        t.fill("HEADER rare 7");
        w.observe(&t);
        assert!(w.get(0) <= 0.1, "header {}", w.get(0));
        assert!(w.get(1) > 0.9, "rare {}", w.get(1));
        assert_eq!(w.get(2), 0.0);
    }
}
