//! Tokenising and generic pre-masking. Only shape-based rules live here (anything carrying a
//! digit is a value: counters, ids, hex, IPs, ports, UUIDs, durations, timestamps, paths with
//! numbers), never rules about a particular program's log format.

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
}

impl Tokens {
    pub fn fill(&mut self, text: &str) {
        self.buf.clear();
        self.spans.clear();
        self.var.clear();
        let mut rest = text;
        let mut header = true;
        while let Some(tok) = next_token(&mut rest) {
            let start = self.buf.len();
            let var = if header && is_bracket_tag(tok) {
                // A `[...]` tag in the line's prefix names a thread or module: it varies
                // independently of the message, so it is a value, not template text.
                self.buf.push('[');
                self.buf.push_str(WILDCARD);
                self.buf.push_str(&tok[tok.rfind(']').unwrap_or(0)..]);
                true
            } else {
                let var = mask_token(tok, &mut self.buf);
                header &= var || is_header_word(tok);
                var
            };
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

/// Longest bracketed span kept as one token.
const MAX_BRACKET: usize = 256;

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

/// Pipes separate fields as whitespace does (`ts|component|pid|message`): kept inside a token
/// they would glue the header to the message's first word, and masking the header's digits
/// would then swallow that word too.
fn is_separator(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b'|'
}

/// Splits on ASCII whitespace and pipes, except that a short `[...]` group stays one token: headers
/// put thread or module names there (`[main]`, `[IPC Server handler 5]`), and a varying
/// word count would otherwise change the line's length and so its template.
pub(super) fn next_token<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let s = rest.trim_start_matches(|c: char| c.is_ascii() && is_separator(c as u8));
    if s.is_empty() {
        *rest = s;
        return None;
    }
    let b = s.as_bytes();
    let mut from = 0;
    if b[0] == b'[' {
        let window = &b[..b.len().min(MAX_BRACKET)];
        if let Some(close) = window.iter().position(|&c| c == b']') {
            from = close;
        }
    }
    let end = b[from..]
        .iter()
        .position(|&c| is_separator(c))
        .map_or(b.len(), |p| from + p);
    let (tok, tail) = s.split_at(end);
    *rest = tail;
    Some(tok)
}

/// Appends the masked form of `tok` to `out`; true if anything was masked.
fn mask_token(tok: &str, out: &mut String) -> bool {
    let bytes = tok.as_bytes();
    // Fast path: most tokens are plain words.
    if !bytes.iter().any(u8::is_ascii_digit) {
        out.push_str(tok);
        return false;
    }
    let mut masked = false;
    let mut seg_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_delim(b) {
            masked |= push_segment(&tok[seg_start..i], out);
            out.push(b as char);
            seg_start = i + 1;
        }
    }
    masked |= push_segment(&tok[seg_start..], out);
    masked
}

fn push_segment(seg: &str, out: &mut String) -> bool {
    if seg.bytes().any(|b| b.is_ascii_digit()) {
        out.push_str(WILDCARD);
        true
    } else {
        out.push_str(seg);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(line: &str) -> String {
        let mut t = Tokens::default();
        t.fill(line);
        t.iter().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn masks_values_by_shape() {
        let cases = [
            ("took 12ms to read 4096 bytes", "took <*> to read <*> bytes"),
            (
                "from 10.0.0.12:8080 to [::1]:443",
                "from <*>:<*> to [::<*>]:<*>",
            ),
            ("id 3f2a9c1e-4b7d-4c2a-9e1f-0a1b2c3d4e5f ok", "id <*> ok"),
            (
                "addr 0xdeadbeef size=512 user=alice",
                "addr <*> size=<*> user=alice",
            ),
            (
                "2024-01-02T03:04:05.678Z INFO start",
                "<*>:<*>:<*> INFO start",
            ),
            ("open /var/lib/data/part-00017 failed", "open <*> failed"),
            ("open /etc/hosts failed", "open /etc/hosts failed"),
            (
                "worker[42]: request \"req-9\" done",
                "worker[<*>]: request \"<*>\" done",
            ),
            ("  spaced\tout   words  ", "spaced out words"),
            (
                "20240102-03:04:05:006|Stepper|30002312|onStep 3",
                "<*>:<*>:<*>:<*> Stepper <*> onStep <*>",
            ),
            ("INFO [IPC Server handler 5 on 80] x", "INFO [<*>] x"),
            ("INFO [Async event handler] x", "INFO [<*>] x"),
            ("<*> [main] INFO c.e.App: up", "<*> [<*>] INFO c.e.App: up"),
            (
                "12:00:01 - WARN [nio-exec-1]: slow",
                "<*>:<*>:<*> - WARN [<*>]: slow",
            ),
            // Past the prefix a bracket group is message text.
            (
                "Registered signal handlers for [TERM, HUP, INT]",
                "Registered signal handlers for [TERM, HUP, INT]",
            ),
            // Long groups stay one token (their word count would otherwise vary).
            (
                "x [DataStreamer for file /tmp/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q block BP-17-10.0.0.1-12]",
                "x [<*>]",
            ),
            ("[unclosed bracket here", "[unclosed bracket here"),
        ];
        for (line, want) in cases {
            assert_eq!(masked(line), want, "line {line:?}");
        }
    }

    #[test]
    fn marks_masked_tokens_as_variable() {
        let mut t = Tokens::default();
        t.fill("user=alice size=3 plain");
        assert_eq!(
            (t.is_var(0), t.is_var(1), t.is_var(2), t.is_var(9)),
            (false, true, false, false)
        );
        assert_eq!(t.get(9), "");
        t.fill("");
        assert!(t.is_empty());
    }
}
