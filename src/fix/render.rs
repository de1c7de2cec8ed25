//! Writing values back as YAML text: scalars in the style the file already used, and small
//! block structures (an env entry, a probe) in the file's own indentation.

use super::yaml_text::{Style, Text};
use serde_json::Value;

/// How the file indents: nested mappings by `step`, sequence dashes by `seq_offset` past
/// their key (0 for the `containers:\n- name:` style kubectl writes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub step: usize,
    pub seq_offset: usize,
}

/// The most common indentation of the file, 2 and 0 when it shows none.
pub fn layout(text: &Text) -> Layout {
    let (mut steps, mut offsets) = ([0usize; 9], [0usize; 9]);
    for i in 0..text.len() {
        let Some(col) = text.indent(i) else { continue };
        let line = text.content(i);
        // Only keys with nothing after the colon open a nested block.
        if !line.trim_end().ends_with(':') || line[col..].starts_with('-') {
            continue;
        }
        let Some(j) = (i + 1..text.len()).find(|&j| text.indent(j).is_some()) else {
            continue;
        };
        let Some(next) = text.indent(j) else { continue };
        let is_dash = text.content(j)[next..].starts_with('-');
        let diff = next.wrapping_sub(col);
        match (is_dash, diff) {
            (true, d) if d < 9 => offsets[d] += 1,
            (false, d) if (1..9).contains(&d) => steps[d] += 1,
            _ => {}
        }
    }
    let mode = |counts: [usize; 9], default: usize| {
        (0..9)
            .filter(|&i| counts[i] > 0)
            .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
            .unwrap_or(default)
    };
    Layout {
        step: mode(steps, 2),
        seq_offset: mode(offsets, 0),
    }
}

/// A string scalar in `style`, falling back to double quotes where plain text would not
/// read back as the same string.
pub fn scalar(value: &str, style: Style) -> String {
    match style {
        Style::Single => format!("'{}'", value.replace('\'', "''")),
        Style::Plain if plain_ok(value) => value.to_owned(),
        _ => double(value),
    }
}

fn double(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `value` may be written unquoted and still be read as that very string by YAML
/// 1.1 and 1.2 readers alike (Helm's Go YAML reads `yes` as a bool and `2.40` as a float).
pub fn plain_ok(value: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._/:@+-=~%,".contains(c);
    let Some(first) = value.chars().next() else {
        return false;
    };
    if !value.chars().all(allowed) || "-:.?~%@,".contains(first) || value.ends_with(':') {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    const WORDS: [&str; 11] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    if WORDS.contains(&lower.as_str()) {
        return false;
    }
    // Anything number-like (ints, floats, exponents, hex, octal, sexagesimal, `1_000`) is
    // quoted rather than classified exactly.
    let numberish = lower
        .trim_start_matches(['+', '-'])
        .chars()
        .all(|c| c.is_ascii_hexdigit() || "._:xoe+-".contains(c));
    if numberish && lower.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    matches!(
        serde_yaml_ng::from_str::<serde_yaml_ng::Value>(value),
        Ok(serde_yaml_ng::Value::String(s)) if s == value
    )
}

/// A JSON scalar as YAML text; `None` for objects and arrays.
pub fn json_scalar(value: &Value, style: Style) -> Option<String> {
    match value {
        Value::String(s) => Some(scalar(s, style)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Keys in the order people write them: `name` first, a probe's handler before its
/// timings, the rest alphabetically.
fn ordered(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    const FIRST: [&str; 7] = [
        "name",
        "exec",
        "httpGet",
        "tcpSocket",
        "grpc",
        "path",
        "port",
    ];
    let mut items: Vec<_> = map.iter().collect();
    items.sort_by_key(|(k, _)| {
        (
            FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()),
            k.as_str(),
        )
    });
    items
}

/// A mapping's entries as lines (terminators added) with keys at column `col`.
pub fn mapping(
    map: &serde_json::Map<String, Value>,
    col: usize,
    l: Layout,
    eol: &str,
) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let pad = " ".repeat(col);
    for (k, v) in ordered(map) {
        let key = scalar(k, Style::Plain);
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push(format!("{pad}{key}:{eol}"));
                out.extend(mapping(m, col + l.step, l, eol)?);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push(format!("{pad}{key}:{eol}"));
                out.extend(sequence(a, col + l.seq_offset, l, eol)?);
            }
            Value::Object(_) => out.push(format!("{pad}{key}: {{}}{eol}")),
            Value::Array(_) => out.push(format!("{pad}{key}: []{eol}")),
            scalar_value => out.push(format!(
                "{pad}{key}: {}{eol}",
                json_scalar(scalar_value, Style::Plain)?
            )),
        }
    }
    Some(out)
}

/// Sequence items with their dashes at column `col`.
pub fn sequence(items: &[Value], col: usize, l: Layout, eol: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let pad = " ".repeat(col);
    for item in items {
        match item {
            Value::Object(m) if !m.is_empty() => {
                let mut lines = mapping(m, col + 2, l, eol)?;
                let first = lines.first_mut()?;
                *first = format!("{pad}- {}", first.get(col + 2..)?);
                out.extend(lines);
            }
            Value::Array(_) | Value::Object(_) => return None,
            v => out.push(format!("{pad}- {}{eol}", json_scalar(v, Style::Plain)?)),
        }
    }
    Some(out)
}
