//! Token counting for prompt budgets, without a tokenizer vocabulary (nothing is downloaded).
//!
//! Builds on [`crate::evidence::budget::estimate_tokens`] (ASCII word pieces of ~4 chars, one
//! token per punctuation mark), which the evidence budget uses too, and corrects its one
//! large blind spot: non-ASCII letters (CJK, accented or Cyrillic log text) cost about one
//! token each in cl100k/o200k-style BPE rather than a quarter. The estimate is not exact;
//! the prompt keeps a margin of 10 % of the context window for that (see
//! [`super::prompt::margin`]).

use crate::evidence::budget::estimate_tokens;

pub fn count(s: &str) -> usize {
    if s.is_ascii() {
        return estimate_tokens(s);
    }
    let non_ascii_letters = s
        .chars()
        .filter(|c| !c.is_ascii() && c.is_alphanumeric())
        .count();
    // estimate_tokens charged those letters at ~1/4 each inside word runs.
    estimate_tokens(s) + non_ascii_letters - non_ascii_letters / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_matches_the_evidence_estimate_and_cjk_costs_more() {
        assert_eq!(count("hello world"), estimate_tokens("hello world"));
        assert!(count("数据库连接失败") >= 6, "{}", count("数据库连接失败"));
        assert_eq!(count(""), 0);
    }
}
