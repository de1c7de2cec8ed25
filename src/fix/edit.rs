//! Line splices: the only way a fix changes text, so everything outside them is copied
//! byte for byte.

use super::FixError;
use super::render;
use super::yaml_text::{Entry, Scalar, Text};
use std::ops::Range;

/// Replace `lines` (possibly empty, for an insertion) with `with` (terminators included).
#[derive(Clone, Debug, PartialEq)]
pub struct Splice {
    pub lines: Range<usize>,
    pub with: Vec<String>,
}

/// The line with one scalar replaced, keeping the style and whatever follows it (a
/// trailing comment, the terminator).
pub fn set_scalar(text: &Text, line: usize, s: Scalar, value: &str) -> Splice {
    set_raw(text, line, s, &render::scalar(value, s.style))
}

/// Like [`set_scalar`] with already-rendered YAML (a number, say).
pub fn set_raw(text: &Text, line: usize, s: Scalar, raw: &str) -> Splice {
    let old = text.raw(line);
    let new = format!(
        "{}{raw}{}",
        &old[..s.start.min(old.len())],
        &old[s.end.min(old.len())..]
    );
    Splice {
        lines: line..line + 1,
        with: vec![new],
    }
}

pub fn insert(at: usize, with: Vec<String>) -> Splice {
    Splice {
        lines: at..at,
        with,
    }
}

/// Removes an entry with everything nested under it, keeping comments that follow it.
pub fn remove_entry(text: &Text, e: &Entry) -> Splice {
    let last = text.last_content(e.line..e.end, e.col).unwrap_or(e.line);
    Splice {
        lines: e.line..last + 1,
        with: Vec::new(),
    }
}

/// The edited text; overlapping splices mean a planning bug and are refused.
pub fn apply(text: &Text, splices: &[Splice]) -> Result<String, FixError> {
    let mut sorted: Vec<&Splice> = splices.iter().collect();
    // Insertions at a line come before a replacement of it, in the order given.
    sorted.sort_by_key(|s| (s.lines.start, s.lines.end));
    let mut out = String::new();
    let mut next = 0;
    for s in sorted {
        if s.lines.start < next || s.lines.end > text.len() {
            return Err(FixError::Unsafe {
                reason: "planned edits overlap".into(),
            });
        }
        for i in next..s.lines.start {
            out.push_str(text.raw(i));
        }
        if !s.with.is_empty() && !out.is_empty() && !out.ends_with('\n') {
            out.push_str(text.eol);
        }
        for l in &s.with {
            out.push_str(l);
        }
        next = s.lines.end;
    }
    for i in next..text.len() {
        out.push_str(text.raw(i));
    }
    Ok(out)
}
