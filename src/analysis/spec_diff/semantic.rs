//! Semantic equality for the JSON parts of a pod spec. A template read back from the API has
//! defaults filled in and a hand-written snapshot does not, so comparing raw JSON would report
//! `timeoutSeconds: 1` against nothing as a change that changes nothing.

use serde_json::{Map, Value};

/// Drops `null` members and writes integral floats as integers (`1.0` and `1` are the same
/// number to the API server but not to `Value`'s equality).
pub(super) fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            // Sorted so that serializing a normalized value is canonical even if serde_json's
            // `preserve_order` feature gets enabled by some dependency.
            let mut members: Vec<(String, Value)> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalize(v)))
                .collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(members.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => value.clone(),
        },
        other => other.clone(),
    }
}

/// Removes members equal to the API server's default, so a member set to its default and
/// one left out compare equal.
fn strip_defaults(map: &mut Map<String, Value>, defaults: &[(&str, Value)]) {
    for (key, default) in defaults {
        if map.get(*key) == Some(default) {
            map.remove(*key);
        }
    }
}

fn with_object(value: &Value, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut value = normalize(value);
    if let Value::Object(map) = &mut value {
        edit(map);
    }
    value
}

pub(super) fn probe(value: &Value) -> Value {
    with_object(value, |map| {
        strip_defaults(
            map,
            &[
                ("initialDelaySeconds", Value::from(0)),
                ("timeoutSeconds", Value::from(1)),
                ("periodSeconds", Value::from(10)),
                ("successThreshold", Value::from(1)),
                ("failureThreshold", Value::from(3)),
            ],
        );
        for handler in ["httpGet", "tcpSocket", "grpc"] {
            if let Some(Value::Object(h)) = map.get_mut(handler) {
                numeric_port(h);
                strip_defaults(h, &[("scheme", Value::from("HTTP"))]);
            }
        }
    })
}

/// A port is int-or-string; a quoted number in a hand-written manifest means the number.
fn numeric_port(handler: &mut Map<String, Value>) {
    let number = match handler.get("port") {
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u64>().ok()
        }
        _ => None,
    };
    if let Some(n) = number {
        handler.insert("port".into(), Value::from(n));
    }
}

pub(super) fn port(value: &Value) -> Value {
    with_object(value, |map| {
        strip_defaults(map, &[("protocol", Value::from("TCP"))])
    })
}

pub(super) fn volume_mount(value: &Value) -> Value {
    with_object(value, |map| {
        strip_defaults(map, &[("readOnly", Value::from(false))])
    })
}

pub(super) fn toleration(value: &Value) -> Value {
    with_object(value, |map| {
        strip_defaults(map, &[("operator", Value::from("Equal"))])
    })
}

pub(super) fn env_from(value: &Value) -> Value {
    with_object(value, |map| {
        strip_defaults(map, &[("prefix", Value::from(""))]);
        for reference in ["configMapRef", "secretRef"] {
            if let Some(Value::Object(r)) = map.get_mut(reference) {
                strip_defaults(r, &[("optional", Value::from(false))]);
            }
        }
    })
}

/// A volume's source members (`configMap`, `secret`, ...), without its name.
pub(super) fn volume_source(value: &Value) -> Value {
    with_object(value, |map| {
        for source in ["configMap", "secret", "projected", "downwardAPI"] {
            if let Some(Value::Object(s)) = map.get_mut(source) {
                // 0644, the mode the API server writes when none is given.
                strip_defaults(s, &[("defaultMode", Value::from(420))]);
            }
        }
    })
}

/// Affinity `{}` constrains nothing, exactly like no affinity.
pub(super) fn affinity(value: &Value) -> Option<Value> {
    let value = normalize(value);
    match &value {
        Value::Null => None,
        Value::Object(map) if map.is_empty() => None,
        _ => Some(value),
    }
}

/// Equality of lists whose order means nothing (ports, tolerations, pull secrets).
pub(super) fn same_set(a: &[Value], b: &[Value], norm: fn(&Value) -> Value) -> bool {
    let sorted = |items: &[Value]| {
        let mut keys: Vec<String> = items.iter().map(|v| norm(v).to_string()).collect();
        keys.sort_unstable();
        keys
    };
    a.len() == b.len() && sorted(a) == sorted(b)
}
