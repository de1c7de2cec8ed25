//! CRUD verbs on resource paths.
use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::response::Response;
use serde_json::{Value, json};

use super::Shared;
use super::faults::{ApiError, json_response};
use super::patch::{json_patch, merge_patch};
use super::routes::Target;
use super::selectors::Selectors;
use super::store::{WriteMode, meta_mut, meta_str};

fn sort_key(o: &Value) -> (String, String) {
    (
        meta_str(o, "namespace").unwrap_or("").to_string(),
        meta_str(o, "name").unwrap_or("").to_string(),
    )
}

fn encode_token(k: &(String, String)) -> String {
    format!("{}\0{}", k.0, k.1)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_token(t: &str) -> Result<(String, String), ApiError> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {t:?}"));
    if !t.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes: Option<Vec<u8>> = (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
        .collect();
    let s = String::from_utf8(bytes.ok_or_else(bad)?).map_err(|_| bad())?;
    let (ns, name) = s.split_once('\0').ok_or_else(bad)?;
    Ok((ns.to_string(), name.to_string()))
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("the body of the request could not be decoded: {e}"))
    })
}

fn selectors(q: &HashMap<String, String>) -> Result<Selectors, ApiError> {
    Selectors::parse(
        q.get("labelSelector").map(String::as_str),
        q.get("fieldSelector").map(String::as_str),
    )
}

fn check_namespace(t: &Target, obj: &mut Value) -> Result<(), ApiError> {
    let Some(ns) = &t.ns else { return Ok(()) };
    if meta_str(obj, "namespace").is_some_and(|n| n != ns) {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    meta_mut(obj).insert("namespace".into(), json!(ns));
    Ok(())
}

fn mode(t: &Target) -> WriteMode {
    if t.sub.as_deref() == Some("status") {
        WriteMode::Status
    } else {
        WriteMode::Main
    }
}

/// List with selectors and `limit`/`continue` paging (pages over the current state, ordered
/// by namespace/name, so a static store is never skipped or duplicated).
pub(crate) fn list(
    shared: &Arc<Shared>,
    t: &Target,
    q: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let sel = selectors(q)?;
    let store = shared.store.lock().unwrap();
    let items: Vec<Value> = store
        .list(&t.res, t.ns.as_deref())
        .into_iter()
        .filter(|o| sel.matches(o))
        .collect();
    let start = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(tok) => {
            let after = decode_token(tok)?;
            items
                .iter()
                .position(|o| sort_key(o) > after)
                .unwrap_or(items.len())
        }
        None => 0,
    };
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let end = limit.map_or(items.len(), |l| (start + l).min(items.len()));
    let mut md = json!({ "resourceVersion": store.rv.to_string() });
    if end < items.len() {
        md["continue"] = json!(encode_token(&sort_key(&items[end - 1])));
        md["remainingItemCount"] = json!(items.len() - end);
    }
    let list = json!({
        "apiVersion": t.res.api_version(),
        "kind": format!("{}List", t.res.kind),
        "metadata": md,
        "items": items[start..end],
    });
    Ok(json_response(200, &list))
}

pub(crate) fn get(shared: &Arc<Shared>, t: &Target, name: &str) -> Result<Response, ApiError> {
    let store = shared.store.lock().unwrap();
    let ns = t.ns.as_deref().unwrap_or("");
    let obj = store
        .get(&t.res, ns, name)
        .ok_or_else(|| ApiError::not_found(&t.res, name))?;
    Ok(json_response(200, obj))
}

pub(crate) fn create(
    shared: &Arc<Shared>,
    t: &Target,
    _q: &HashMap<String, String>,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let mut obj = parse_body(body)?;
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request was not a JSON object",
        ));
    }
    check_namespace(t, &mut obj)?;
    let created = shared
        .store
        .lock()
        .unwrap()
        .create(&t.res, obj, WriteMode::Main)?;
    Ok(json_response(201, &created))
}

pub(crate) fn update(
    shared: &Arc<Shared>,
    t: &Target,
    name: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let mut obj = parse_body(body)?;
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request was not a JSON object",
        ));
    }
    check_namespace(t, &mut obj)?;
    let ns = t.ns.as_deref().unwrap_or("");
    let updated = shared
        .store
        .lock()
        .unwrap()
        .update(&t.res, ns, name, obj, mode(t))?;
    Ok(json_response(200, &updated))
}

pub(crate) fn patch(
    shared: &Arc<Shared>,
    t: &Target,
    name: &str,
    q: &HashMap<String, String>,
    content_type: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let ct = content_type.split(';').next().unwrap_or("").trim();
    let apply = ct == "application/apply-patch+yaml";
    let patch: Value = match ct {
        "application/apply-patch+yaml" => serde_yaml_ng::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
        "application/merge-patch+json"
        | "application/strategic-merge-patch+json"
        | "application/json-patch+json" => parse_body(body)?,
        _ => {
            return Err(ApiError::new(
                415,
                format!(
                    "the body of the request was in an unknown format - accepted media types include: \
                 application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {ct:?})"
                ),
            ));
        }
    };
    if apply && q.get("fieldManager").is_none_or(|m| m.is_empty()) {
        return Err(ApiError::new(
            422,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    let ns = t.ns.as_deref().unwrap_or("");
    let mut store = shared.store.lock().unwrap();
    let Some(mut doc) = store.get(&t.res, ns, name).cloned() else {
        if !apply || t.sub.is_some() {
            return Err(ApiError::not_found(&t.res, name));
        }
        // server-side apply of an absent object creates it
        let mut obj = patch;
        meta_mut(&mut obj).insert("name".into(), json!(name));
        check_namespace(t, &mut obj)?;
        let created = store.create(&t.res, obj, WriteMode::Main)?;
        return Ok(json_response(201, &created));
    };
    if ct == "application/json-patch+json" {
        json_patch(&mut doc, &patch)?;
    } else {
        merge_patch(&mut doc, &patch);
    }
    let updated = store.update(&t.res, ns, name, doc, mode(t))?;
    Ok(json_response(200, &updated))
}

pub(crate) fn delete(
    shared: &Arc<Shared>,
    t: &Target,
    name: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let opts: Value = if body.is_empty() {
        Value::Null
    } else {
        parse_body(body)?
    };
    let ns = t.ns.as_deref().unwrap_or("");
    let gone =
        shared
            .store
            .lock()
            .unwrap()
            .delete(&t.res, ns, name, opts.get("preconditions"), false)?;
    Ok(json_response(200, &gone))
}

pub(crate) fn delete_collection(
    shared: &Arc<Shared>,
    t: &Target,
    q: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let sel = selectors(q)?;
    let mut store = shared.store.lock().unwrap();
    let victims: Vec<Value> = store
        .list(&t.res, t.ns.as_deref())
        .into_iter()
        .filter(|o| sel.matches(o))
        .collect();
    let mut items = vec![];
    for v in victims {
        let (ns, name) = sort_key(&v);
        items.push(store.delete(&t.res, &ns, &name, None, false)?);
    }
    let list = json!({
        "apiVersion": t.res.api_version(),
        "kind": format!("{}List", t.res.kind),
        "metadata": { "resourceVersion": store.rv.to_string() },
        "items": items,
    });
    Ok(json_response(200, &list))
}
