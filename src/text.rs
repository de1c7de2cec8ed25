//! Text from logs and cluster objects made safe for people's screens: a log line must not
//! retitle a terminal, clear it, move the cursor to forge lines, or reorder text with bidi
//! overrides. Control characters are shown as visible escapes, never passed through; JSON
//! output needs none of this (serde escapes controls).

use std::borrow::Cow;
use std::fmt::Write;

/// Characters a renderer must never emit raw. Tab and newline are the caller's choice.
fn hostile(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether `s` may hold a hostile character: printable ASCII, nearly every log byte, never
/// does, and a byte test vectorises where decoding chars does not.
fn may_be_hostile(s: &str) -> bool {
    // A fold over a chunk has no early exit, so it vectorises; `any` over bytes does not.
    s.as_bytes()
        .chunks(64)
        .any(|c| c.iter().fold(false, |f, &b| f | !(0x20..0x7f).contains(&b)))
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !may_be_hostile(s) || !s.chars().any(|c| hostile(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !hostile(c) || keep(c) {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\x1b' => write!(out, "\\e"),
            '\r' => write!(out, "\\r"),
            '\n' => write!(out, "\\n"),
            '\t' => write!(out, "\\t"),
            c if (c as u32) < 0x100 => write!(out, "\\x{:02x}", c as u32),
            c => write!(out, "\\u{{{:04x}}}", c as u32),
        };
    }
    Cow::Owned(out)
}

/// A multi-line rendering (text, Markdown, chat, PR bodies): newlines and tabs stay.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\n' || c == '\t')
}

/// One line of a table or a log example: only tabs stay.
pub fn visible_line(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\t')
}

/// Removes ANSI escape sequences (colours, cursor moves, OSC titles and links) from a log
/// line, so a coloured `panic:` mines and matches like a plain one; what is left of any
/// other control character is made visible by [`visible_line`].
pub fn plain_log_line(line: &str) -> Cow<'_, str> {
    if !may_be_hostile(line) || !line.chars().any(hostile) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' && c != '\u{9b}' {
            out.push(c);
            continue;
        }
        let csi = c == '\u{9b}' || chars.next_if_eq(&'[').is_some();
        if csi {
            // Parameters and intermediates, then one final byte in @..~.
            while let Some(&n) = chars.peek() {
                chars.next();
                if ('@'..='~').contains(&n) {
                    break;
                }
            }
        } else if chars.next_if_eq(&']').is_some() {
            // OSC: up to BEL or ST (ESC \).
            while let Some(n) = chars.next() {
                if n == '\x07' || (n == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                    break;
                }
            }
        } else {
            // A two-character sequence (ESC c, ESC 7, ESC =, ...).
            chars.next();
        }
    }
    match visible_line(&out) {
        Cow::Borrowed(_) => Cow::Owned(out),
        Cow::Owned(o) => Cow::Owned(o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderings_show_controls_as_escapes() {
        assert_eq!(visible("a\tb\nc"), "a\tb\nc");
        assert_eq!(visible("\x1b]0;pwned\x07x"), "\\e]0;pwned\\x07x");
        assert_eq!(visible("\x1b[2J\x1b[H"), "\\e[2J\\e[H");
        assert_eq!(visible("ok\rFAKE LINE"), "ok\\rFAKE LINE");
        assert_eq!(visible("x\u{202e}gnp.exe"), "x\\u{202e}gnp.exe");
        assert_eq!(visible("\u{9b}31m"), "\\x9b31m");
        assert_eq!(visible_line("a\nb"), "a\\nb");
        assert!(matches!(visible("plain ünïcode"), Cow::Borrowed(_)));
    }

    #[test]
    fn log_lines_lose_ansi_sequences_and_keep_their_words() {
        assert_eq!(plain_log_line("\x1b[31mpanic:\x1b[0m boom"), "panic: boom");
        assert_eq!(
            plain_log_line("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ text"),
            "link text"
        );
        assert_eq!(plain_log_line("\x1b]0;title\x07after"), "after");
        assert_eq!(plain_log_line("a\x1bcb"), "ab");
        assert_eq!(plain_log_line("bell\x07 nul\0"), "bell\\x07 nul\\x00");
        assert_eq!(plain_log_line("\x1b[38;5;196mred"), "red");
        // A lone ESC at the end, or an unterminated CSI, consumes nothing beyond the line.
        assert_eq!(plain_log_line("end\x1b"), "end");
        assert_eq!(plain_log_line("x\x1b[12"), "x");
        assert!(matches!(plain_log_line("plain"), Cow::Borrowed(_)));
    }
}
