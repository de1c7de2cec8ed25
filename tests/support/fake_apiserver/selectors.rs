//! Label and field selectors, parsed like the Kubernetes apiserver does.
use serde_json::Value;

use super::faults::ApiError;

#[derive(Debug, Clone, PartialEq)]
enum LabelReq {
    Exists(String),
    NotExists(String),
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Gt(String, i64),
    Lt(String, i64),
}

#[derive(Debug, Clone, PartialEq)]
struct FieldReq {
    path: String,
    value: String,
    negate: bool,
}

/// A parsed `labelSelector` + `fieldSelector` pair. Empty selectors match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selectors {
    labels: Vec<LabelReq>,
    fields: Vec<FieldReq>,
}

/// Split on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn valid_value(v: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn parse_label_req(t: &str) -> Option<LabelReq> {
    if let Some(k) = t.strip_prefix('!') {
        let k = k.trim();
        return valid_key(k).then(|| LabelReq::NotExists(k.to_string()));
    }
    // set-based: `key in (a,b)` / `key notin (a,b)`
    if let Some(open) = t.find('(') {
        let close = t
            .rfind(')')
            .filter(|c| *c > open && t[*c + 1..].trim().is_empty())?;
        let head: Vec<&str> = t[..open].split_whitespace().collect();
        let [key, op] = head.as_slice() else {
            return None;
        };
        let vals: Vec<String> = t[open + 1..close]
            .split(',')
            .map(|v| v.trim().to_string())
            .collect();
        if !valid_key(key) || vals.iter().any(|v| !valid_value(v)) {
            return None;
        }
        return match *op {
            "in" => Some(LabelReq::In(key.to_string(), vals)),
            "notin" => Some(LabelReq::NotIn(key.to_string(), vals)),
            _ => None,
        };
    }
    for (op, ctor) in [
        ("!=", LabelReq::NotEq as fn(String, String) -> LabelReq),
        ("==", LabelReq::Eq),
        ("=", LabelReq::Eq),
    ] {
        if let Some((k, v)) = t.split_once(op) {
            let (k, v) = (k.trim(), v.trim());
            return (valid_key(k) && valid_value(v)).then(|| ctor(k.to_string(), v.to_string()));
        }
    }
    for (op, gt) in [(">", true), ("<", false)] {
        if let Some((k, v)) = t.split_once(op) {
            let n: i64 = v.trim().parse().ok()?;
            let k = k.trim().to_string();
            return Some(if gt {
                LabelReq::Gt(k, n)
            } else {
                LabelReq::Lt(k, n)
            });
        }
    }
    valid_key(t).then(|| LabelReq::Exists(t.to_string()))
}

fn parse_field_req(t: &str) -> Option<FieldReq> {
    for (op, negate) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((k, v)) = t.split_once(op) {
            let k = k.trim();
            if k.is_empty() {
                return None;
            }
            return Some(FieldReq {
                path: k.to_string(),
                value: v.trim().to_string(),
                negate,
            });
        }
    }
    None
}

impl Selectors {
    /// Parse query-string selectors; errors are 400 BadRequest like the real server.
    pub fn parse(labels: Option<&str>, fields: Option<&str>) -> Result<Self, ApiError> {
        let mut s = Selectors::default();
        for t in split_top(labels.unwrap_or("")) {
            let req = parse_label_req(&t).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unable to parse requirement: found '{t}', expected: valid label selector"
                ))
            })?;
            s.labels.push(req);
        }
        for t in split_top(fields.unwrap_or("")) {
            let req = parse_field_req(&t).ok_or_else(|| {
                ApiError::bad_request(format!("invalid selector: '{t}'; can't understand '{t}'"))
            })?;
            s.fields.push(req);
        }
        Ok(s)
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let labels = obj.pointer("/metadata/labels");
        let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        let labels_ok = self.labels.iter().all(|r| match r {
            LabelReq::Exists(k) => label(k).is_some(),
            LabelReq::NotExists(k) => label(k).is_none(),
            LabelReq::Eq(k, v) => label(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => label(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelReq::NotIn(k, vs) => label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            LabelReq::Gt(k, n) => label(k)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l > *n),
            LabelReq::Lt(k, n) => label(k)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l < *n),
        });
        labels_ok
            && self
                .fields
                .iter()
                .all(|f| (field_value(obj, &f.path) == f.value) != f.negate)
    }
}

/// Value of a dotted field path as the apiserver's field-label conversion renders it
/// (strings as-is, numbers/bools via to_string, missing as "").
pub fn field_value(obj: &Value, path: &str) -> String {
    let mut cur = obj;
    for part in path.split('.') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => return String::new(),
        }
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
