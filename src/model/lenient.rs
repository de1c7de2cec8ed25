//! Deserializers that accept what hand-written or old manifests contain: numbers where the API
//! would print strings, strings where it would print numbers, and `null` for absent values.
//! Objects from `kubectl get -o yaml` never need them; user snapshots and old statuses do.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::BTreeMap;

fn scalar_to_string(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        // A structure where a scalar belongs is kept visible rather than dropped.
        other => Some(other.to_string()),
    }
}

pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_to_string(Value::deserialize(d)?))
}

pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(scalar_to_string(Value::deserialize(d)?).unwrap_or_default())
}

pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

pub fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_i64(d)?.unwrap_or(0))
}

pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

pub fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => map
            .into_iter()
            .filter_map(|(k, v)| scalar_to_string(v).map(|v| (k, v)))
            .collect(),
        _ => BTreeMap::new(),
    })
}

pub fn string_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(scalar_to_string).collect(),
        Value::Null => Vec::new(),
        one => scalar_to_string(one).into_iter().collect(),
    })
}

/// A list that tolerates `null` and skips elements that do not decode instead of failing the
/// whole object: one odd condition must not hide a Rollout.
pub fn vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Probe {
        #[serde(deserialize_with = "super::opt_string")]
        s: Option<String>,
        #[serde(deserialize_with = "super::opt_i64")]
        n: Option<i64>,
        #[serde(deserialize_with = "super::string_map")]
        m: std::collections::BTreeMap<String, String>,
        #[serde(deserialize_with = "super::bool")]
        b: bool,
    }

    #[test]
    fn accepts_scalars_of_the_wrong_type() {
        let p: Probe =
            serde_json::from_str(r#"{"s": 2, "n": "7", "m": {"v": 3, "x": null}, "b": "true"}"#)
                .unwrap();
        assert_eq!(p.s.as_deref(), Some("2"));
        assert_eq!(p.n, Some(7));
        assert_eq!(p.m.get("v").map(String::as_str), Some("3"));
        assert!(!p.m.contains_key("x"));
        assert!(p.b);
        let p: Probe = serde_json::from_str(r#"{"s": null, "n": "{{args.count}}"}"#).unwrap();
        assert_eq!((p.s, p.n), (None, None));
    }
}
