//! The structural check every edit must pass: parse both texts as YAML (all documents) and
//! require that exactly one document changed, only at the one allow-listed path, and to
//! exactly the intended value. Text navigation can be fooled; the parser is the authority.

use super::FixError;
use super::probe_norm::normalize_probe;
use super::yaml_text::Seg;
use serde::Deserialize;
use serde_yaml_ng::Value;

/// What the changed path must hold afterwards.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    Value(Value),
    Absent,
    /// A probe equal to this one once API-server defaults are ignored.
    Probe(serde_json::Value),
}

/// All non-empty documents, or `None` when the text is not YAML.
pub fn documents(text: &str) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        match Value::deserialize(doc).ok()? {
            Value::Null => {}
            v => out.push(v),
        }
    }
    Some(out)
}

pub fn check(
    before: &str,
    after: &str,
    target: &Value,
    at: &[Seg],
    expect: &Expect,
) -> Result<(), FixError> {
    let unsafe_ = |reason: String| Err(FixError::Unsafe { reason });
    let Some(b) = documents(before) else {
        return unsafe_("the original file does not parse as YAML".into());
    };
    let Some(a) = documents(after) else {
        return unsafe_("the edited file would not parse as YAML".into());
    };
    if a.len() != b.len() {
        return unsafe_(format!(
            "the edit changes the number of documents ({} → {})",
            b.len(),
            a.len()
        ));
    }
    let changed: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    let [i] = changed[..] else {
        return unsafe_(format!(
            "the edit changes {} documents, not exactly one",
            changed.len()
        ));
    };
    if &b[i] != target {
        return unsafe_("the edit changes a different document than the one planned".into());
    }
    let now = get(&a[i], at);
    let intended = match (expect, now) {
        (Expect::Value(v), Some(n)) => v == n,
        (Expect::Absent, None) => true,
        (Expect::Probe(p), Some(n)) => {
            serde_json::to_value(n).is_ok_and(|n| normalize_probe(&n) == *p)
        }
        _ => false,
    };
    if !intended {
        return unsafe_(format!(
            "after the edit {} does not hold the intended value",
            show(at)
        ));
    }
    // Put the old value back: if that restores the document, nothing else changed.
    let mut restored = a[i].clone();
    if !set(&mut restored, at, get(&b[i], at).cloned()) || restored != b[i] {
        return unsafe_(format!("the edit changes more than {}", show(at)));
    }
    Ok(())
}

pub fn get<'v>(mut v: &'v Value, at: &[Seg]) -> Option<&'v Value> {
    for seg in at {
        v = match seg {
            Seg::Key(k) => v.as_mapping()?.get(k.as_str())?,
            Seg::Index(n) => v.as_sequence()?.get(*n)?,
        };
    }
    Some(v)
}

/// Sets (or with `None` removes) the value at a path whose parent exists.
fn set(root: &mut Value, at: &[Seg], value: Option<Value>) -> bool {
    let Some((last, parent)) = at.split_last() else {
        return false;
    };
    let mut v = root;
    for seg in parent {
        let next = match seg {
            Seg::Key(k) => v.as_mapping_mut().and_then(|m| m.get_mut(k.as_str())),
            Seg::Index(n) => v.as_sequence_mut().and_then(|s| s.get_mut(*n)),
        };
        let Some(next) = next else { return false };
        v = next;
    }
    match (last, v, value) {
        (Seg::Key(k), Value::Mapping(m), Some(x)) => {
            m.insert(Value::String(k.clone()), x);
            true
        }
        (Seg::Key(k), Value::Mapping(m), None) => {
            m.shift_remove(k.as_str());
            true
        }
        (Seg::Index(n), Value::Sequence(s), Some(x)) if *n < s.len() => {
            s[*n] = x;
            true
        }
        _ => false,
    }
}

pub fn show(at: &[Seg]) -> String {
    let mut out = String::new();
    for seg in at {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}
