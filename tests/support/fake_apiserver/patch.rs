//! Patch algorithms: RFC 7386 JSON merge patch and RFC 6902 JSON patch.
//!
//! `application/strategic-merge-patch+json` is treated as a merge patch (lists are replaced
//! wholesale, `$patch`/`$setElementOrder` directives are not interpreted), and server-side apply
//! (`application/apply-patch+yaml`) is a create-or-merge without field ownership tracking.
use serde_json::{Value, json};

use super::faults::ApiError;

/// RFC 7386: objects merge recursively, `null` deletes, everything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let t = target.as_object_mut().expect("object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

fn unprocessable(msg: impl Into<String>) -> ApiError {
    ApiError::new(422, msg)
}

fn tokens(ptr: &str) -> Result<Vec<String>, ApiError> {
    if ptr.is_empty() {
        return Ok(vec![]);
    }
    let rest = ptr
        .strip_prefix('/')
        .ok_or_else(|| unprocessable(format!("invalid JSON pointer {ptr:?}")))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn lookup<'a>(doc: &'a mut Value, toks: &[String], ptr: &str) -> Result<&'a mut Value, ApiError> {
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| unprocessable(format!("jsonpatch: path {ptr:?} does not exist")))?;
    }
    Ok(cur)
}

fn add(doc: &mut Value, ptr: &str, value: Value) -> Result<(), ApiError> {
    let toks = tokens(ptr)?;
    let Some((last, parent)) = toks.split_last() else {
        *doc = value;
        return Ok(());
    };
    match lookup(doc, parent, ptr)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
        }
        Value::Array(a) if last == "-" => a.push(value),
        Value::Array(a) => {
            let i = last.parse::<usize>().ok().filter(|i| *i <= a.len());
            let i = i.ok_or_else(|| {
                unprocessable(format!("jsonpatch: index out of bounds in {ptr:?}"))
            })?;
            a.insert(i, value);
        }
        _ => {
            return Err(unprocessable(format!(
                "jsonpatch: parent of {ptr:?} is not a container"
            )));
        }
    }
    Ok(())
}

fn remove(doc: &mut Value, ptr: &str) -> Result<Value, ApiError> {
    let toks = tokens(ptr)?;
    let (last, parent) = toks
        .split_last()
        .ok_or_else(|| unprocessable("jsonpatch: cannot remove the root"))?;
    let missing = || unprocessable(format!("jsonpatch: path {ptr:?} does not exist"));
    match lookup(doc, parent, ptr)? {
        Value::Object(m) => m.remove(last).ok_or_else(missing),
        Value::Array(a) => {
            let i = last
                .parse::<usize>()
                .ok()
                .filter(|i| *i < a.len())
                .ok_or_else(missing)?;
            Ok(a.remove(i))
        }
        _ => Err(missing()),
    }
}

/// RFC 6902: add, remove, replace, move, copy, test.
pub fn json_patch(doc: &mut Value, patch: &Value) -> Result<(), ApiError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| ApiError::bad_request("json patch must be an array of operations"))?;
    for op in ops {
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| unprocessable("jsonpatch: missing path"))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| unprocessable("jsonpatch: missing value"))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| unprocessable("jsonpatch: missing from"))
        };
        match op.get("op").and_then(Value::as_str).unwrap_or("") {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                let v = value()?;
                *lookup(doc, &tokens(path)?, path)? = v;
            }
            "move" => {
                let v = remove(doc, from()?)?;
                add(doc, path, v)?;
            }
            "copy" => {
                let f = from()?;
                let v = lookup(doc, &tokens(f)?, f)?.clone();
                add(doc, path, v)?;
            }
            "test" => {
                let want = value()?;
                let have = lookup(doc, &tokens(path)?, path)?;
                if *have != want {
                    return Err(unprocessable(format!(
                        "jsonpatch test operation does not apply: doc is missing path: \"{path}\": the value at {path} is {have}, not {want}"
                    )));
                }
            }
            other => return Err(unprocessable(format!("Unexpected kind: {other}"))),
        }
    }
    Ok(())
}
