//! Splitting a line into tokens, with a summary of the byte classes each token holds: the
//! masking rules test that summary instead of rescanning the token once per rule, which
//! kept the per-token path within the throughput budget (issue #11).

/// Longest bracketed span kept as one token.
const MAX_BRACKET: usize = 256;

/// Words a quoted or bracketed value may have and still be one value.
const MAX_VALUE_WORDS: usize = 3;

/// Words an object printed by name (`Window{42 u0 Splash Screen com.app}`) may have: its
/// fields are one value however many there are, while plain quotes and brackets may hold
/// the message's own words.
const MAX_OBJECT_WORDS: usize = 16;

/// Byte classes of a token, ORed over its bytes.
pub(super) mod class {
    /// ASCII whitespace or `|`: ends a token.
    pub const SEP: u8 = 1;
    pub const DIGIT: u8 = 2;
    /// `:` `/` `\`: a token that may be an endpoint or a path.
    pub const PATHY: u8 = 4;
    pub const EQ: u8 = 8;
    /// `{` `[` `(`: a token that may open a value spanning spaces.
    pub const OPEN: u8 = 16;
}

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'|' => class::SEP,
            b'0'..=b'9' => class::DIGIT,
            b':' | b'/' | b'\\' => class::PATHY,
            b'=' => class::EQ,
            b'{' | b'[' | b'(' => class::OPEN,
            _ => 0,
        };
        i += 1;
    }
    t
};

fn flags_of(b: &[u8]) -> u8 {
    b.iter().fold(0, |f, &c| f | CLASS[c as usize])
}

/// Pipes separate fields as whitespace does (`ts|component|pid|message`): kept inside a token
/// they would glue the header to the message's first word, and masking the header's digits
/// would then swallow that word too.
fn is_separator(b: u8) -> bool {
    CLASS[b as usize] & class::SEP != 0
}

/// logfmt's message keys (the ones JSON lines are mined from too): their value is the
/// event's text, never a value to mask.
pub(super) fn is_message_key(key: &str) -> bool {
    matches!(key, "msg" | "message")
}

pub(super) fn is_http_method(tok: &str) -> bool {
    // Most tokens fail on the first byte; the string match is for the few that do not.
    matches!(
        tok.as_bytes().first(),
        Some(b'"' | b'G' | b'P' | b'D' | b'H' | b'O')
    ) && matches!(
        tok.trim_start_matches('"'),
        "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS"
    )
}

/// Splits on ASCII whitespace and pipes, except that a short `[...]` group stays one token: headers
/// put thread or module names there (`[main]`, `[IPC Server handler 5]`), and a varying
/// word count would otherwise change the line's length and so its template.
pub(super) fn next_token<'a>(rest: &mut &'a str) -> Option<&'a str> {
    split_token(rest, true).map(|(tok, _)| tok)
}

/// [`next_token`] with the token's byte [`class`]es, where `[...]` groups stay one token only
/// while `in_prefix`: past the prefix a bracket holds message text
/// (`repeated 2 times: [ Failed password for root ]`).
pub(super) fn split_token<'a>(rest: &mut &'a str, in_prefix: bool) -> Option<(&'a str, u8)> {
    let b = rest.as_bytes();
    let Some(start) = b.iter().position(|&c| !is_separator(c)) else {
        *rest = "";
        return None;
    };
    // Separators are ASCII, so `start` is a char boundary.
    let s = &rest[start..];
    let b = s.as_bytes();
    let mut from = 0;
    if in_prefix && b[0] == b'[' {
        let window = &b[..b.len().min(MAX_BRACKET)];
        if let Some(close) = window.iter().position(|&c| c == b']') {
            from = close;
        }
    }
    let mut flags = flags_of(&b[..from]) & !class::SEP;
    let mut end = b.len();
    for (i, &c) in b.iter().enumerate().skip(from) {
        let k = CLASS[c as usize];
        // Past a key's `=` a pipe glued on both sides is inside the value
        // (`key=0|com.app|1|null|10135`); header pipes come before any `=`.
        let in_value =
            c == b'|' && flags & class::EQ != 0 && b.get(i + 1).is_some_and(|&n| !is_separator(n));
        if k & class::SEP != 0 && !in_value {
            end = i;
            break;
        }
        flags |= k & !class::SEP;
    }
    if let Some(close) = value_close(s, end, flags) {
        let joined = end;
        end = close;
        end += b[end..]
            .iter()
            .position(|&c| is_separator(c))
            .unwrap_or(b.len() - end);
        flags |= flags_of(&b[joined..end]) & !class::SEP;
    }
    let (tok, tail) = s.split_at(end);
    *rest = tail;
    Some((tok, flags))
}

/// Where a value opened in the token `s[..end]` closes, when that is further on: a quoted
/// name (`application "Google Chrome" for`), a key's quoted or bracketed value
/// (`key="two words"`, `ws=WorkSource{10113 com.tencent.mm}`) and an object printed by name
/// (`WifiLock{hwpush type=2 ...}`) are one value each, and their word count must not change
/// the line's length. A longer text (logfmt's `msg="..."`) is the message itself and stays
/// words.
fn value_close(s: &str, end: usize, flags: u8) -> Option<usize> {
    let b = s.as_bytes();
    let quoted = matches!(b[0], b'"' | b'\'');
    if !quoted && flags & (class::EQ | class::OPEN) == 0 {
        return None;
    }
    let (open, at) = if quoted {
        if is_http_method(&s[..end]) {
            return None;
        }
        (b[0], 0)
    } else {
        match b[..end].iter().position(|&c| c == b'=') {
            Some(eq) if is_message_key(&s[..eq]) => return None,
            Some(eq) if b.get(eq + 1) == Some(&b'"') => (b'"', eq + 1),
            Some(eq) => {
                let at = eq + 1 + b[eq + 1..end].iter().position(|c| b"{[(".contains(c))?;
                (b[at], at)
            }
            None => {
                let at = b[..end].iter().position(|&c| c == b'{')?;
                if !names_object(b, at) {
                    return None;
                }
                (b'{', at)
            }
        }
    };
    let close = match open {
        b'{' => b'}',
        b'[' => b']',
        b'(' => b')',
        q => q,
    };
    let max_words = if open == b'{' && names_object(b, at) {
        MAX_OBJECT_WORDS
    } else {
        MAX_VALUE_WORDS
    };
    let mut depth = 1usize;
    let mut words = 0usize;
    for (i, &c) in b
        .iter()
        .enumerate()
        .take(b.len().min(at + MAX_BRACKET))
        .skip(at + 1)
    {
        if c == close {
            depth -= 1;
            if depth == 0 {
                return (i >= end).then_some(i + 1);
            }
        } else if c == open {
            depth += 1;
        } else if c.is_ascii_whitespace() {
            words += 1;
            if words >= max_words {
                return None;
            }
        }
    }
    None
}

/// A `{` glued to a name (`Window{`, `ws=WorkSource{`): an object printed by name.
fn names_object(b: &[u8], at: usize) -> bool {
    at > 0 && b[at - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(line: &str, in_prefix: bool) -> Vec<(&str, u8)> {
        let mut rest = line;
        std::iter::from_fn(|| split_token(&mut rest, in_prefix)).collect()
    }

    #[test]
    fn flags_summarise_the_whole_token_even_when_a_value_joins_words() {
        use class::*;
        let got = tokens(
            "a|size=12 ws=WorkSource{10113 com.x} \"Google Chrome\" at /v1:",
            false,
        );
        assert_eq!(
            got,
            [
                ("a", 0),
                ("size=12", EQ | DIGIT),
                ("ws=WorkSource{10113 com.x}", EQ | OPEN | DIGIT),
                ("\"Google Chrome\"", 0),
                ("at", 0),
                ("/v1:", PATHY | DIGIT),
            ]
        );
    }

    #[test]
    fn a_bracket_is_one_token_only_in_the_prefix() {
        let line = "[IPC Server 5] x";
        assert_eq!(
            tokens(line, true)[0],
            ("[IPC Server 5]", class::OPEN | class::DIGIT)
        );
        assert_eq!(tokens(line, false)[0].0, "[IPC");
    }

    #[test]
    fn only_request_methods_are_methods() {
        for (tok, want) in [
            ("GET", true),
            ("\"POST", true),
            ("Get", false),
            ("PUTS", false),
            ("", false),
        ] {
            assert_eq!(is_http_method(tok), want, "{tok:?}");
        }
    }
}
