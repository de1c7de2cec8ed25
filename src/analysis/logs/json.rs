//! Structured (JSON) log lines: the template is mined from the message, not from the whole
//! object, whose timestamps and request ids would make every line unique.

use super::level::{numeric_level, word_level};
use crate::evidence::LogLevel;
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow, default)]
    msg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    err: Option<Cow<'a, str>>,
    #[serde(default)]
    level: Option<Level<'a>>,
    #[serde(default)]
    severity: Option<Level<'a>>,
    #[serde(default)]
    lvl: Option<Level<'a>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Level<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Number(f64),
}

/// The message text of a JSON log line, written into `out`, and its level when it has one.
/// `None` when the line is not a JSON object with a message (it is then mined as text).
pub fn message(line: &str, out: &mut String) -> Option<LogLevel> {
    let t = line.trim();
    if !(t.starts_with('{') && t.ends_with('}')) {
        return None;
    }
    // Field types other than the expected ones make the line plain text, never an error.
    let parsed: Line<'_> = serde_json::from_str(t).ok()?;
    let main = parsed.msg.or(parsed.message);
    let err = parsed.error.or(parsed.err);
    if main.is_none() && err.is_none() {
        return None;
    }
    out.clear();
    if let Some(m) = &main {
        out.push_str(m);
    }
    if let Some(e) = &err {
        if !out.is_empty() {
            out.push_str(" error: ");
        }
        out.push_str(e);
    }
    let level = parsed
        .level
        .or(parsed.severity)
        .or(parsed.lvl)
        .map(|l| match l {
            Level::Text(s) => word_level(&s, true).unwrap_or(LogLevel::Unknown),
            Level::Number(n) => numeric_level(n),
        });
    Some(level.unwrap_or(LogLevel::Unknown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_message_and_level() {
        let cases = [
            (
                r#"{"level":"error","msg":"db down","ts":1}"#,
                Some(("db down", LogLevel::Error)),
            ),
            (
                r#"{"severity":"WARNING","message":"slow"}"#,
                Some(("slow", LogLevel::Warn)),
            ),
            (
                r#"{"level":50,"msg":"x","err":"EOF"}"#,
                Some(("x error: EOF", LogLevel::Error)),
            ),
            (r#"{"error":"boom"}"#, Some(("boom", LogLevel::Unknown))),
            (
                r#" {"lvl":"info","msg":"esc \"q\""} "#,
                Some(("esc \"q\"", LogLevel::Info)),
            ),
            (r#"{"level":"info","ts":1}"#, None),
            (r#"{"msg":42}"#, None),
            (r#"{"msg":"unterminated"#, None),
            ("plain text", None),
            ("{not json}", None),
        ];
        let mut out = String::new();
        for (line, want) in cases {
            let got = message(line, &mut out);
            assert_eq!(got.map(|l| (out.as_str(), l)), want, "line {line:?}");
        }
    }
}
