//! One document as a generic tree, built straight from the YAML or JSON parser, tolerant
//! where `serde_json::Value` is not: a number no integer type holds becomes a float (the
//! typed views then decide; an ignored kind never fails), non-string keys become strings (as
//! Kubernetes' YAML-to-JSON does), a tag is dropped for its value, and a key given twice
//! keeps its last value and is recorded, so the caller can warn instead of staying silent.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

pub struct Tree {
    pub value: Value,
    /// Each key that appeared twice in one mapping, as its path.
    pub duplicates: Vec<Vec<Seg>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// `spec.containers[0].name`.
pub fn render_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut state = State::default();
        let value = Node(&mut state).deserialize(d)?;
        Ok(Tree {
            value,
            duplicates: state.duplicates,
        })
    }
}

#[derive(Default)]
struct State {
    path: Vec<Seg>,
    duplicates: Vec<Vec<Seg>>,
}

struct Node<'a>(&'a mut State);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| float(v as f64), |i| Value::Number(i.into())))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(u64::try_from(v).map_or_else(|_| float(v as f64), |u| Value::Number(u.into())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::String(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.0.path.push(Seg::Index(out.len()));
            let next = seq.next_element_seed(Node(&mut *self.0));
            self.0.path.pop();
            match next? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            self.0.path.push(Seg::Key(key));
            let value = map.next_value_seed(Node(&mut *self.0));
            let key = match self.0.path.pop() {
                Some(Seg::Key(k)) => k,
                _ => return Err(de::Error::custom("key path out of step")),
            };
            if out.insert(key.clone(), value?).is_some() {
                let mut at = self.0.path.clone();
                at.push(Seg::Key(key));
                self.0.duplicates.push(at);
            }
        }
        Ok(Value::Object(out))
    }

    /// A tagged node (`!Custom value`): the tag is dropped, the value kept.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (_tag, variant): (de::IgnoredAny, _) = data.variant()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }
}

/// A mapping key as a string, whatever scalar it was written as.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }
    fn visit_bool<E>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i128<E>(self, v: i128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u128<E>(self, v: u128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_unit<E>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Tree {
        Tree::deserialize(serde_yaml_ng::Deserializer::from_str(text)).unwrap()
    }

    #[test]
    fn out_of_range_numbers_and_odd_keys_are_kept() {
        let t = yaml(
            "big: 99999999999999999999999\nneg: -99999999999999999999\n1: one\ntrue: yes\nx: !Custom {a: 1}\n",
        );
        assert_eq!(t.value["big"].as_f64(), Some(1e23));
        assert!(t.value["neg"].as_f64().is_some_and(|f| f < -9e19));
        assert_eq!(t.value["1"], "one");
        assert_eq!(t.value["true"], "yes");
        assert_eq!(t.value["x"]["a"], 1);
        assert!(t.duplicates.is_empty());
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_and_are_recorded() {
        let t = yaml("items:\n- metadata:\n    labels: {app: a, app: b}\n");
        assert_eq!(t.value["items"][0]["metadata"]["labels"]["app"], "b");
        assert_eq!(
            render_path(&t.duplicates[0]),
            "items[0].metadata.labels.app"
        );
        let j: Tree = serde_json::from_str(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!((j.value["a"].as_i64(), j.duplicates.len()), (Some(2), 1));
    }
}
