//! Tokenising and generic pre-masking. Only shape-based rules live here (anything carrying a
//! digit is a value: counters, ids, hex, IPs, ports, UUIDs, durations, timestamps, paths with
//! numbers), never rules about a particular program's log format.

use super::shape::is_date_word;
use super::token::{class, is_http_method, is_message_key, next_token, split_token};
use super::value::{MaskConfig, whole_value};

pub const WILDCARD: &str = "<*>";

/// Bytes that separate a key from its value or wrap a value inside one whitespace token, so
/// `size=123` masks to `size=<*>` and `worker[42]:` to `worker[<*>]:` instead of `<*>`.
fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'=' | b':' | b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b'\'' | b';'
    )
}

/// The masked tokens of one line, in one reused buffer.
#[derive(Debug, Default)]
pub struct Tokens {
    buf: String,
    spans: Vec<(u32, u32)>,
    var: Vec<bool>,
    cfg: MaskConfig,
}

impl Tokens {
    pub fn with_config(cfg: MaskConfig) -> Self {
        Tokens {
            cfg,
            ..Tokens::default()
        }
    }

    pub fn fill(&mut self, text: &str) {
        self.buf.clear();
        self.spans.clear();
        self.var.clear();
        let mut rest = text;
        let mut header = true;
        let mut assigned = false;
        let mut requested = false;
        while let Some((tok, flags)) = split_token(&mut rest, header) {
            let start = self.buf.len();
            let after_method = std::mem::replace(&mut requested, is_http_method(tok));
            let var = if std::mem::replace(&mut assigned, self.cfg.kv_values && tok.ends_with('='))
                && !tok.starts_with('"')
                && !tok.contains('=')
            {
                // `key= value`, `key = value`: the token after the `=` is the value
                // whatever its shape, as in `key=value`; a `next=pair` after `key=` says
                // the key's value was empty.
                let core = tok.trim_end_matches(|c: char| c.is_ascii() && is_delim(c as u8));
                self.buf.push_str(WILDCARD);
                self.buf.push_str(&tok[core.len()..]);
                true
            } else if after_method && tok.starts_with('/') {
                // A request's route is a value like any path: `GET /v2/<tenant>/servers/detail`
                // and `GET /v2/<tenant>/servers/<id>` are one request event with two targets.
                let core = tok.trim_end_matches(['"', '\'', ',', ';', ')', ']']);
                self.buf.push_str(WILDCARD);
                self.buf.push_str(&tok[core.len()..]);
                true
            } else if header && is_bracket_tag(tok) && !rest.trim_start().is_empty() {
                // A `[...]` tag in the line's prefix names a thread or module: it varies
                // independently of the message, so it is a value, not template text.
                self.buf.push('[');
                self.buf.push_str(WILDCARD);
                self.buf.push_str(&tok[tok.rfind(']').unwrap_or(0)..]);
                true
            } else if is_date_word(tok.trim_end_matches(',')) && dated(&self.var, rest) {
                // `at Fri Jun 17 07:07:00 2005`: a day or month name beside a number is
                // part of a timestamp, as variable as the digits.
                self.buf.push_str(WILDCARD);
                true
            } else if self.var.last() == Some(&true)
                && self.buf.ends_with(WILDCARD)
                && let Some(unit) = size_unit(tok)
            {
                // `(8.78 KB)` beside `(1.50 MB)`: a human-readable size picks its unit with
                // its number, so the unit is as variable as the digits.
                self.buf.push_str(WILDCARD);
                self.buf.push_str(&tok[unit..]);
                true
            } else {
                let var = mask_token(tok, flags, &mut self.buf, &self.cfg);
                header &= var || is_header_word(tok);
                var
            };
            if var {
                collapse_joined(&mut self.buf, start);
            }
            self.spans.push((start as u32, self.buf.len() as u32));
            self.var.push(var);
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn get(&self, i: usize) -> &str {
        match self.spans.get(i) {
            Some(&(s, e)) => self.buf.get(s as usize..e as usize).unwrap_or(""),
            None => "",
        }
    }

    /// True when pre-masking replaced part of the token: it says nothing about the template.
    pub fn is_var(&self, i: usize) -> bool {
        self.var.get(i).copied().unwrap_or(false)
    }

    /// Hash of the masked tokens and their boundaries.
    pub fn shape_hash(&self) -> u64 {
        use std::hash::Hasher;
        let mut h = super::hash::FxHasher::default();
        h.write(self.buf.as_bytes());
        for &(_, e) in &self.spans {
            h.write_u32(e);
        }
        h.finish()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// True when the previous token was masked or the next one holds a digit or is a date
/// word itself (`Fri Jun 17`).
fn dated(var: &[bool], rest: &str) -> bool {
    let mut peek = rest;
    var.last().copied().unwrap_or(false)
        || next_token(&mut peek).is_some_and(|t| {
            t.bytes().any(|b| b.is_ascii_digit()) || is_date_word(t.trim_end_matches(','))
        })
}

/// The unit's length when `tok` is a byte-size unit as formatters of human-readable sizes
/// print it (`KB`, `MiB`, `kB`), with punctuation after it (`GB,`, `KB)`). Fixed units
/// (`bytes`, `ms`) stay words: a format string spells those out.
fn size_unit(tok: &str) -> Option<usize> {
    let core = tok.trim_end_matches(|c: char| c.is_ascii_punctuation());
    let unit = match core.as_bytes() {
        b"kB" => true,
        [p, rest @ ..] => b"KMGTPE".contains(p) && matches!(rest, b"B" | b"iB"),
        [] => false,
    };
    unit.then_some(core.len())
}

/// A whole-token `[...]` group, possibly followed by `:`.
fn is_bracket_tag(tok: &str) -> bool {
    tok.len() > 2 && tok.starts_with('[') && (tok.ends_with(']') || tok.ends_with("]:"))
}

/// Header tokens that keep the line in its prefix: level names and bare punctuation
/// (`-`, `---`, `|`). Masked values (timestamps, pids) count too, see `fill`.
fn is_header_word(tok: &str) -> bool {
    tok.bytes().all(|b| b.is_ascii_punctuation())
        || super::level::word_level(tok.trim_matches(|c: char| !c.is_ascii_alphabetic()), false)
            .is_some()
}

/// Appends the masked form of `tok` (whose byte classes are `flags`) to `out`; true if
/// anything was masked.
fn mask_token(tok: &str, flags: u8, out: &mut String, cfg: &MaskConfig) -> bool {
    let bytes = tok.as_bytes();
    if flags & class::PATHY != 0
        && let Some((start, end)) = whole_value(tok, cfg)
    {
        out.push_str(&tok[..start]);
        out.push_str(WILDCARD);
        out.push_str(&tok[end..]);
        return true;
    }
    if let Some(close) = quoted_value(tok) {
        out.push_str(&tok[..1]);
        out.push_str(WILDCARD);
        out.push_str(&tok[close..]);
        return true;
    }
    let kv = cfg.kv_values && flags & class::EQ != 0;
    // Fast path: most tokens are plain words.
    if !kv && flags & class::DIGIT == 0 && !has_word_value(tok) {
        out.push_str(tok);
        return false;
    }
    let mut masked = false;
    let mut seg_start = 0;
    // After `=` the next non-empty segment is a value whatever its shape.
    let mut value_next = false;
    for (i, &b) in bytes.iter().enumerate() {
        if is_delim(b) {
            let seg = &tok[seg_start..i];
            masked |= push_segment(seg, value_next, out);
            // `msg="many words` opens a text, not a value: its first word stays a word.
            let opens_text = is_message_key(seg)
                || (bytes.get(i + 1) == Some(&b'"') && !tok[i + 2..].contains('"'));
            value_next = (value_next && seg.is_empty()) || (kv && b == b'=' && !opens_text);
            out.push(b as char);
            seg_start = i + 1;
        }
    }
    masked |= push_segment(&tok[seg_start..], value_next, out);
    masked
}

/// The index of the closing quote when the whole token is one quoted value (`'US'.`,
/// `"Google Chrome"`): quotes mark a name inserted into the message. A quoted key
/// (`'ExternalConnected':`) and a quoted request line are not values.
fn quoted_value(tok: &str) -> Option<usize> {
    let b = tok.as_bytes();
    let q = *b.first().filter(|&&c| c == b'"' || c == b'\'')?;
    let close = 1 + b[1..].iter().position(|&c| c == q)?;
    let tail = &b[close + 1..];
    (close > 1
        && !tail.starts_with(b":")
        && tail
            .iter()
            .all(|c| matches!(c, b',' | b'.' | b';' | b')' | b']' | b'}'))
        && !tok[1..].split(' ').next().is_some_and(is_http_method))
    .then_some(close)
}

/// A token masked to values joined by `,` `:` `;` only (`10.0.0.7,10.0.0.1`, `00:02` beside
/// `01:40:24`) is one value: a list or a duration, whose element count varies per line while
/// the event stays the same.
fn collapse_joined(buf: &mut String, start: usize) {
    let mut rest = &buf[start..];
    let mut values = 0;
    // Punctuation closing the token (`01:40:24,`) stays after the one value.
    let tail = loop {
        let Some(r) = rest.strip_prefix(WILDCARD) else {
            return;
        };
        values += 1;
        match r.as_bytes() {
            [] => break 0,
            [b',' | b':' | b';', ..] if r[1..].starts_with(WILDCARD) => rest = &r[1..],
            t if t.len() <= 2 && t.iter().all(u8::is_ascii_punctuation) => break t.len(),
            _ => return,
        }
    };
    if values > 1 {
        let suffix = buf[buf.len() - tail..].to_string();
        buf.truncate(start);
        buf.push_str(WILDCARD);
        buf.push_str(&suffix);
    }
}

/// A flag's state is a value as much as a number is (`opt-in: False`, `setLightsOn(true)`);
/// the oracle the benchmarks use masks it too.
fn is_bool(seg: &str) -> bool {
    // Capitalised `YES`/`NO` is how Objective-C code prints a BOOL; `no` in a sentence
    // stays a word.
    seg.eq_ignore_ascii_case("true")
        || seg.eq_ignore_ascii_case("false")
        || seg == "YES"
        || seg == "NO"
}

/// A hash or object id that happens to hold no digit (`abcdeac`, one in a thousand 7-digit
/// hex ids): no English word of this length uses only the letters a–f but a handful
/// (`defaced`), while ids of this length are everywhere.
const HEX_WORD_MIN: usize = 7;

fn is_hex_word(seg: &str) -> bool {
    seg.len() >= HEX_WORD_MIN && seg.bytes().all(|b| matches!(b, b'a'..=b'f'))
}

/// A value spelled in letters only: a flag's state or a digitless hex id.
fn is_word_value(seg: &str) -> bool {
    is_bool(seg) || is_hex_word(seg)
}

/// Cheap pre-check for the fast path: could a segment of `tok` be a value in letters?
fn has_word_value(tok: &str) -> bool {
    if tok.len() < 4 {
        return is_bool(tok.trim_end_matches(|c: char| c.is_ascii_punctuation()));
    }
    tok.split(|c: char| c.is_ascii() && is_delim(c as u8))
        .any(is_word_value)
}

fn push_segment(seg: &str, value: bool, out: &mut String) -> bool {
    if (value && !seg.is_empty()) || seg.bytes().any(|b| b.is_ascii_digit()) || is_word_value(seg) {
        out.push_str(WILDCARD);
        true
    } else {
        out.push_str(seg);
        false
    }
}

#[cfg(test)]
#[path = "mask_tests.rs"]
mod tests;
