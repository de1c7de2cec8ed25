//! Probe equality as the API server sees it. The Action's probes come from ReplicaSet
//! templates with defaults filled in (`timeoutSeconds: 1`, `scheme: HTTP`), while a repo
//! usually leaves them out, so raw JSON equality would never match.

use serde_json::{Map, Value};

const DEFAULTS: [(&str, i64); 5] = [
    ("initialDelaySeconds", 0),
    ("timeoutSeconds", 1),
    ("periodSeconds", 10),
    ("successThreshold", 1),
    ("failureThreshold", 3),
];

/// Nulls dropped, integral floats as integers, defaults removed, numeric string ports as
/// numbers (`"8080"` and `8080` are the same port; `http` stays a name).
pub fn normalize_probe(value: &Value) -> Value {
    let mut v = clean(value);
    if let Value::Object(map) = &mut v {
        strip(map, DEFAULTS.iter().map(|(k, d)| (*k, Value::from(*d))));
        for handler in ["httpGet", "tcpSocket", "grpc"] {
            if let Some(Value::Object(h)) = map.get_mut(handler) {
                if let Some(Value::String(p)) = h.get("port")
                    && let Ok(n) = p.parse::<u64>()
                    && p.bytes().all(|b| b.is_ascii_digit())
                {
                    h.insert("port".into(), Value::from(n));
                }
                strip(h, [("scheme", Value::from("HTTP"))]);
            }
        }
    }
    v
}

fn strip<'k>(map: &mut Map<String, Value>, defaults: impl IntoIterator<Item = (&'k str, Value)>) {
    for (key, default) in defaults {
        if map.get(key) == Some(&default) {
            map.remove(key);
        }
    }
}

fn clean(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), clean(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(clean).collect()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => value.clone(),
        },
        other => other.clone(),
    }
}

/// Leaves where two normalized probes differ: (path of keys, left, right).
pub type Leaf = (Vec<String>, Option<Value>, Option<Value>);

pub fn leaf_diff(
    a: Option<&Value>,
    b: Option<&Value>,
    path: &mut Vec<String>,
    out: &mut Vec<Leaf>,
) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                path.push(k.clone());
                leaf_diff(x.get(k), y.get(k), path, out);
                path.pop();
            }
        }
        _ if a == b => {}
        _ => out.push((path.clone(), a.cloned(), b.cloned())),
    }
}
