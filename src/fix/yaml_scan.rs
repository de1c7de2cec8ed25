//! Reading one line of YAML: keys, dashes and the extent of an inline value.

use super::yaml_text::{Scalar, Style};

pub(super) fn dash(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t")
}

/// A mapping key at the start of `rest` and the offset just past its colon.
pub(super) fn parse_key(rest: &str) -> Option<(String, usize)> {
    let first = *rest.as_bytes().first()?;
    let (key, close) = match first {
        b'"' | b'\'' => {
            let close = quoted_end(rest)?;
            (
                serde_yaml_ng::from_str::<String>(&rest[..close]).ok()?,
                close,
            )
        }
        b'?' | b'{' | b'[' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => {
            return None;
        }
        _ => {
            let colon = colon_at(rest, 0)?;
            let key = rest[..colon].trim_end();
            if key.contains(" #") || key.is_empty() {
                return None;
            }
            (key.to_owned(), colon)
        }
    };
    let colon = colon_at(rest, close)?;
    rest[close..colon]
        .trim()
        .is_empty()
        .then(|| (key, colon + 1))
}

/// The first `:` at or after `from` that ends a key (followed by a blank or the line end).
fn colon_at(rest: &str, from: usize) -> Option<usize> {
    let b = rest.as_bytes();
    (from..b.len())
        .find(|&i| b[i] == b':' && b.get(i + 1).is_none_or(|c| *c == b' ' || *c == b'\t'))
}

/// Offset just past the closing quote of a quoted scalar starting at byte 0.
fn quoted_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let q = *b.first()?;
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            c if c == q => {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

pub(super) fn inline_value(content: &str, from: usize) -> Option<Scalar> {
    let rest = content.get(from..)?;
    let start = from + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
    let v = content.get(start..)?;
    let style = match v.as_bytes().first()? {
        b'#' => return None,
        b'"' => Style::Double,
        b'\'' => Style::Single,
        b'|' | b'>' | b'[' | b'{' | b'&' | b'*' | b'!' => Style::Other,
        _ => Style::Plain,
    };
    let end = match style {
        Style::Double | Style::Single => match quoted_end(v) {
            Some(n) => {
                let tail = v[n..].trim_start_matches([' ', '\t']);
                if !(tail.is_empty() || tail.starts_with('#')) {
                    return Some(Scalar {
                        start,
                        end: content.len(),
                        style: Style::Other,
                    });
                }
                start + n
            }
            None => {
                return Some(Scalar {
                    start,
                    end: content.len(),
                    style: Style::Other,
                });
            }
        },
        _ => {
            let b = v.as_bytes();
            let comment = (1..b.len()).find(|&i| b[i] == b'#' && matches!(b[i - 1], b' ' | b'\t'));
            start + v[..comment.unwrap_or(v.len())].trim_end().len()
        }
    };
    Some(Scalar { start, end, style })
}
