//! The LLM's answer: its Rust type is the contract, and the JSON Schema sent in
//! `response_format` is generated from it, so the two cannot drift apart.

use crate::diagnosis::Category;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the model must return. Parsing is lenient (missing optional fields default, extra
/// fields are ignored); the schema sent to the server is strict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LlmAnswer {
    /// One category of the closed taxonomy.
    pub category: Category,
    /// 0 to 1: how strongly the cited evidence supports the category.
    pub confidence: f64,
    /// One short paragraph for an SRE: what failed and why, citing facts.
    #[serde(default)]
    pub summary: String,
    /// Ids of the evidence items (the bracketed ids in the prompt) that support the category.
    #[serde(default)]
    pub evidence_ids: Vec<String>,
    /// One line: what a person should check or change.
    #[serde(default)]
    pub remediation_hint: String,
}

pub const SCHEMA_NAME: &str = "rollout_diagnosis";

/// The answer's JSON Schema in the subset OpenAI's strict mode accepts (and vLLM/Ollama
/// guided decoding handle): references inlined, every object closed
/// (`additionalProperties: false`) with every property required, no `format` keywords.
pub fn answer_schema() -> Value {
    let root = schemars::schema_for!(LlmAnswer).to_value();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = strictify(inline(root, &defs, 0));
    if let Some(obj) = out.as_object_mut() {
        obj.remove("$defs");
        obj.remove("$schema");
    }
    out
}

/// The schema as the prompt shows it (for servers in JSON mode, which do not enforce one):
/// without descriptions, which the instructions already give, to save about half its tokens.
pub fn prompt_schema() -> Value {
    fn strip(v: Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .filter(|(k, _)| k != "description" && k != "title")
                    .map(|(k, v)| (k, strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(strip).collect()),
            other => other,
        }
    }
    strip(answer_schema())
}

/// The `response_format` of a request.
pub fn response_format(json_schema: bool) -> Value {
    if json_schema {
        serde_json::json!({
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "strict": true, "schema": answer_schema()}
        })
    } else {
        serde_json::json!({"type": "json_object"})
    }
}

fn inline(v: Value, defs: &Map<String, Value>, depth: usize) -> Value {
    match v {
        // Depth-bounded: our types are not recursive, and a bound costs nothing.
        Value::Object(map) if depth < 16 => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(target) = r.strip_prefix("#/$defs/").and_then(|n| defs.get(n))
            {
                let mut resolved = inline(target.clone(), defs, depth + 1);
                // Keep a description written at the reference site.
                if let (Some(desc), Some(obj)) = (map.get("description"), resolved.as_object_mut())
                {
                    obj.insert("description".into(), desc.clone());
                }
                return resolved;
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, inline(v, defs, depth + 1)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| inline(v, defs, depth + 1))
                .collect(),
        ),
        other => other,
    }
}

fn strictify(v: Value) -> Value {
    match v {
        Value::Object(mut map) => {
            map.remove("format");
            map.remove("default");
            let is_object = map.get("type").and_then(Value::as_str) == Some("object");
            if is_object && let Some(Value::Object(props)) = map.get("properties") {
                let required: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                map.insert("required".into(), Value::Array(required));
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(map.into_iter().map(|(k, v)| (k, strictify(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(strictify).collect()),
        other => other,
    }
}

/// Why an answer was not usable; the text goes back to the model in the repair attempt, so
/// it names what is wrong without quoting the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid(pub String);

/// Reads the model's content into an [`LlmAnswer`]. Tolerates a Markdown code fence or prose
/// around one JSON object; anything else (unknown category, wrong types) is invalid.
pub fn parse_answer(content: &str) -> Result<LlmAnswer, Invalid> {
    let json = extract_json(content).ok_or_else(|| Invalid("no JSON object found".into()))?;
    let value: Value =
        serde_json::from_str(json).map_err(|e| Invalid(format!("not valid JSON: {e}")))?;
    if let Some(c) = value.get("category").and_then(Value::as_str)
        && c.parse::<Category>().is_err()
    {
        let allowed: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        return Err(Invalid(format!(
            "category is not one of: {}",
            allowed.join(", ")
        )));
    }
    let mut answer: LlmAnswer = serde_json::from_value(value)
        .map_err(|e| Invalid(format!("does not match the schema: {e}")))?;
    answer.confidence = if answer.confidence.is_finite() {
        answer.confidence.clamp(0.0, 1.0)
    } else {
        0.0
    };
    Ok(answer)
}

fn extract_json(content: &str) -> Option<&str> {
    let start = content.find('{')?;
    let end = content.rfind('}')?;
    (end > start).then(|| &content[start..=end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_strict_mode_compatible() {
        let s = answer_schema();
        assert_eq!(s["type"], "object");
        assert_eq!(s["additionalProperties"], false);
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for field in [
            "category",
            "confidence",
            "summary",
            "evidence_ids",
            "remediation_hint",
        ] {
            assert!(required.contains(&field), "{field} not required: {s}");
        }
        let text = s.to_string();
        assert!(!text.contains("$ref") && !text.contains("$defs") && !text.contains("format"));
        let cats = s["properties"]["category"]["enum"].as_array().unwrap();
        assert_eq!(cats.len(), Category::ALL.len());
        assert!(cats.contains(&Value::from("manual_abort")));
    }

    #[test]
    fn parse_is_lenient_about_wrapping_and_strict_about_the_taxonomy() {
        let a = parse_answer(
            "```json\n{\"category\":\"oom_killed\",\"confidence\":1.7,\"extra\":1}\n```",
        )
        .unwrap();
        assert_eq!(a.category, Category::OomKilled);
        assert_eq!(a.confidence, 1.0);
        assert!(a.evidence_ids.is_empty());
        let bad = parse_answer(r#"{"category":"network_partition","confidence":0.9}"#);
        assert!(bad.unwrap_err().0.contains("not one of"));
        assert!(parse_answer("I think it is OOM").is_err());
        assert!(parse_answer("{\"category\": \"oom_killed\", ").is_err());
        assert!(parse_answer(r#"{"category":"oom_killed","confidence":"high"}"#).is_err());
        assert!(parse_answer("}{").is_err());
    }
}
