//! Checks on the values a fix writes, and small helpers the finders share.

use super::edit::{self, Splice};
use super::yaml_text::Seg;
use super::{FixError, Source, verify};
use serde_yaml_ng::Value;

/// Refuses values a fix must never write: multi-line, templated, or redacted ones (the
/// diagnosis masks secrets as `<redacted:kind:hash>`, and writing the mask would break
/// the app).
pub(crate) fn check_text(value: &str) -> Result<(), FixError> {
    let reason = if value.chars().any(char::is_control) {
        "contains a line break or control character"
    } else if value.contains("{{") {
        "looks like a template expression"
    } else if value.to_ascii_lowercase().contains("<redacted") {
        "was redacted in the diagnosis"
    } else {
        return Ok(());
    };
    Err(FixError::Unsafe {
        reason: format!("value {value:?} {reason}"),
    })
}

pub(crate) fn check_json(value: &serde_json::Value) -> Result<(), FixError> {
    match value {
        serde_json::Value::String(s) => check_text(s),
        serde_json::Value::Array(items) => items.iter().try_for_each(check_json),
        serde_json::Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            check_text(k)?;
            check_json(v)
        }),
        _ => Ok(()),
    }
}

/// Replaces the single-line scalar at `at` in a document with `value`, keeping its style.
pub(crate) fn replace_at(
    src: &Source,
    doc: usize,
    at: &[Seg],
    value: &str,
) -> Result<Vec<Splice>, FixError> {
    let unsafe_ = |why: &str| FixError::Unsafe {
        reason: format!("{} in {}: {why}", verify::show(at), src.path),
    };
    let root = src
        .docs
        .get(doc)
        .and_then(|d| src.text.root(d.lines.clone()));
    let entry = root
        .and_then(|r| src.text.find_entry(r, at))
        .ok_or_else(|| unsafe_("not found in the text (flow style?)"))?;
    let s = src
        .text
        .scalar(&entry)
        .ok_or_else(|| unsafe_("not a single-line scalar"))?;
    Ok(vec![edit::set_scalar(&src.text, entry.line, s, value)])
}

/// A scalar as text: strings as they are, numbers as YAML reads them.
pub(crate) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An image reference split into repository, tag and digest (`host:5000/a/b:1.2@sha256:..`).
pub(crate) fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let name_start = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[name_start..].rfind(':') {
        Some(c) => (
            &rest[..name_start + c],
            Some(&rest[name_start + c + 1..]),
            digest,
        ),
        None => (rest, None, digest),
    }
}

/// A JSON value (an env entry the diagnosis carries) as the YAML value it must parse to.
pub(crate) fn yaml(value: &serde_json::Value) -> Result<Value, FixError> {
    serde_yaml_ng::to_value(value).map_err(|e| FixError::Unsafe {
        reason: e.to_string(),
    })
}

pub(crate) fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}
