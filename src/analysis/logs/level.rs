//! Severity and stack-trace detection from common log shapes: level words (`ERROR`,
//! `[warn]`, `level=info`), klog prefixes (`E1123 ...`), and exception headers and frames of
//! Java, Python, Go and Node traces.

use crate::evidence::LogLevel;

/// How many leading words may carry the level: headers put it early, and looking further
/// would read "error" inside a message as the line's severity.
const LEVEL_WORDS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineClass {
    pub level: LogLevel,
    /// A stack frame or other trace continuation: worth little on its own.
    pub frame: bool,
}

/// Remembers whether the previous lines were part of a trace, so indented source lines
/// under a Python frame count as frames too.
#[derive(Debug, Default)]
pub struct TraceState {
    in_trace: bool,
}

impl TraceState {
    pub fn classify(&mut self, line: &str) -> LineClass {
        let frame = is_frame(line) || (self.in_trace && starts_indented(line));
        if frame {
            self.in_trace = true;
            return LineClass {
                level: LogLevel::Unknown,
                frame: true,
            };
        }
        let level = level_of(line);
        let header = is_trace_header(line.trim_start());
        self.in_trace = header;
        let level = if header && level > LogLevel::Error {
            LogLevel::Error
        } else {
            level
        };
        LineClass {
            level,
            frame: false,
        }
    }

    /// A JSON line is never part of a plain-text trace.
    pub fn reset(&mut self) {
        self.in_trace = false;
    }
}

fn starts_indented(line: &str) -> bool {
    line.starts_with([' ', '\t']) && !line.trim().is_empty()
}

fn is_frame(line: &str) -> bool {
    let t = line.trim_start();
    let indented = t.len() < line.len();
    if indented && t.starts_with("at ") && (t.contains('(') || t.contains(':')) {
        return true; // Java, Node
    }
    if indented && t.starts_with("File \"") && t.contains(", line ") {
        return true; // Python
    }
    if t.starts_with("... ") && t.ends_with(" more") {
        return true; // Java elided frames
    }
    if line.starts_with('\t') && t.contains(".go:") {
        return true; // Go file:line under a function
    }
    if t.starts_with("goroutine ") && t.ends_with("]:") {
        return true;
    }
    // Go function lines: `pkg.(*T).Method(0x1, ...)` with no spaces before the argument list.
    if indented || !t.ends_with(')') {
        return false;
    }
    let head = t.split('(').next().unwrap_or("");
    head.contains('.') && !head.contains(' ') && !head.is_empty()
}

fn is_trace_header(t: &str) -> bool {
    if t.starts_with("Traceback (most recent call last)")
        || t.starts_with("panic:")
        || t.starts_with("Caused by:")
        || t.starts_with("Exception in thread")
    {
        return true;
    }
    // `java.io.IOException: ...`, `TypeError: ...`, `ValueError` alone on a line.
    let first = t.split_ascii_whitespace().next().unwrap_or("");
    let name = first.strip_suffix(':').unwrap_or(first);
    (name.ends_with("Exception") || name.ends_with("Error"))
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$'))
}

/// The line's severity, `Unknown` when nothing says.
pub fn level_of(line: &str) -> LogLevel {
    if let Some(l) = klog_level(line) {
        return l;
    }
    if line.starts_with("panic:") || line.starts_with("fatal error:") {
        return LogLevel::Fatal;
    }
    // Runs of ASCII letters are the words; a byte scan, since this runs on every line.
    let b = line.as_bytes();
    let mut words = 0;
    let mut i = 0;
    while i < b.len() && words < LEVEL_WORDS {
        if !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        words += 1;
        // Letters are ASCII, so both ends are char boundaries.
        if let Some(l) = word_level(&line[start..i], false) {
            return l;
        }
    }
    LogLevel::Unknown
}

/// klog/glog: `E1123 10:00:00.123456 ...` (severity letter, month, day).
fn klog_level(line: &str) -> Option<LogLevel> {
    let b = line.as_bytes();
    if b.len() < 6 || !b[1..5].iter().all(u8::is_ascii_digit) || b[5] != b' ' {
        return None;
    }
    match b[0] {
        b'F' => Some(LogLevel::Fatal),
        b'E' => Some(LogLevel::Error),
        b'W' => Some(LogLevel::Warn),
        b'I' => Some(LogLevel::Info),
        _ => None,
    }
}

/// A level name. Words that are also common English ("trace", "alert", "notice") only
/// count in capitals unless `lenient` (a field known to hold a level).
pub fn word_level(w: &str, lenient: bool) -> Option<LogLevel> {
    if !(3..=11).contains(&w.len()) {
        return None;
    }
    // Dispatch on length and first letter: this runs for many words of every line.
    let first = w.as_bytes()[0].to_ascii_lowercase();
    let (name, level, ambiguous) = match (w.len(), first) {
        (5, b'f') => ("fatal", LogLevel::Fatal, false),
        (8, b'c') => ("critical", LogLevel::Fatal, true),
        (4, b'c') => ("crit", LogLevel::Fatal, false),
        (5, b'e') => match w.as_bytes()[1].to_ascii_lowercase() {
            b'm' => ("emerg", LogLevel::Fatal, false),
            _ => ("error", LogLevel::Error, false),
        },
        (5, b'a') => ("alert", LogLevel::Fatal, true),
        (5, b'p') => ("panic", LogLevel::Fatal, true),
        (3, b'e') => ("err", LogLevel::Error, false),
        (6, b's') => ("severe", LogLevel::Error, true),
        (4, b'w') => ("warn", LogLevel::Warn, false),
        (7, b'w') => ("warning", LogLevel::Warn, false),
        (4, b'i') => ("info", LogLevel::Info, false),
        (6, b'n') => ("notice", LogLevel::Info, true),
        (11, b'i') => ("information", LogLevel::Info, false),
        (5, b'd') => ("debug", LogLevel::Debug, false),
        (5, b't') => ("trace", LogLevel::Debug, true),
        (7, b'v') => ("verbose", LogLevel::Debug, true),
        _ => return None,
    };
    (w.eq_ignore_ascii_case(name)
        && (lenient || !ambiguous || w.bytes().all(|b| b.is_ascii_uppercase())))
    .then_some(level)
}

/// Numeric levels of bunyan/pino (10 trace ... 60 fatal).
pub fn numeric_level(n: f64) -> LogLevel {
    match n {
        n if n >= 60.0 => LogLevel::Fatal,
        n if n >= 50.0 => LogLevel::Error,
        n if n >= 40.0 => LogLevel::Warn,
        n if n >= 30.0 => LogLevel::Info,
        n if n >= 0.0 => LogLevel::Debug,
        _ => LogLevel::Unknown,
    }
}

#[cfg(test)]
#[path = "level_tests.rs"]
mod tests;
