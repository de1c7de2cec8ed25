//! Token shapes for header learning: what stays the same about a column's tokens while
//! their letters and digits change.

use super::hash::FxHasher;
use super::level::word_level;
use std::hash::Hasher;

/// Shape class of a token: a hash of its shape, plus whether that shape can be header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub hash: u64,
    pub header_like: bool,
}

const LEVEL: u64 = 1;
const DATE_WORD: u64 = 2;
const BRACKETED: u64 = 3;

/// Names of months and weekdays: parts of a timestamp in every common human-readable form.
const DATE_WORDS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
];

pub fn is_date_word(w: &str) -> bool {
    (3..=4).contains(&w.len()) && DATE_WORDS.iter().any(|d| w.eq_ignore_ascii_case(d))
}

/// Runs of letters become `a`, runs of alphanumerics holding a digit `0`, other bytes stay,
/// repeated bytes collapse: `2016-09-28T04:30:30.1Z` and `1999-01-01T00:00:00.42Z` agree,
/// `node-7` and `node-212` agree, `sshd[42]:` and `cron[7]:` agree. A level or date word, or
/// a `[...]` tag, is its own class whatever its letters.
pub fn shape(tok: &str) -> Shape {
    let word = tok.trim_matches(|c: char| !c.is_ascii_alphabetic());
    if tok.len() > 2 && tok.starts_with('[') && (tok.ends_with(']') || tok.ends_with("]:")) {
        return Shape {
            hash: BRACKETED,
            header_like: true,
        };
    }
    // Single-letter levels (`I`, `W`, `E` in logcat and glog lines) count as levels too.
    let letter = tok.len() == 1 && b"VDIWEF".contains(&tok.as_bytes()[0]);
    if letter || (word_level(word, true).is_some() && word.len() + 2 >= tok.len()) {
        return Shape {
            hash: LEVEL,
            header_like: true,
        };
    }
    if is_date_word(tok.trim_end_matches([',', '.'])) {
        return Shape {
            hash: DATE_WORD,
            header_like: true,
        };
    }
    let mut h = FxHasher::default();
    let (mut letters, mut digit) = (false, false);
    let mut last = 0u8;
    let mut run = false;
    let b = tok.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphanumeric() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let d = b[start..i].iter().any(u8::is_ascii_digit);
            let c = if d { b'0' } else { b'a' };
            digit |= d;
            letters |= !d;
            if !(run && last == c) {
                h.write_u8(c);
            }
            (last, run) = (c, true);
            continue;
        }
        if b[i] != last {
            h.write_u8(b[i]);
        }
        (last, run) = (b[i], false);
        i += 1;
    }
    Shape {
        hash: h.finish() | 0x100,
        header_like: digit || !letters,
    }
}

pub fn is_punct(tok: &str) -> bool {
    tok.bytes().all(|b| b.is_ascii_punctuation())
}
