//! HTTP entry point: request recording, fault injection, path parsing and dispatch.
use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use super::faults::{ApiError, json_response};
use super::store::ResourceDef;
use super::{RecordedRequest, Shared, discovery, handlers, logs, watch};

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// application/x-www-form-urlencoded decoding.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let (mut out, mut i) = (Vec::with_capacity(b.len()), 0);
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// A parsed resource path.
pub(crate) struct Target {
    pub res: ResourceDef,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

fn not_found_path() -> ApiError {
    ApiError::new(404, "the server could not find the requested resource")
}

fn resolve_target(
    shared: &Shared,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Result<Target, ApiError> {
    let (ns, rest) = match rest {
        ["namespaces", ns, tail @ ..]
            if !tail.is_empty() && !matches!(tail, ["status" | "finalize"]) =>
        {
            (Some(ns.to_string()), tail)
        }
        _ => (None, rest),
    };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(n.to_string()), None),
        [p, n, s] => (*p, Some(n.to_string()), Some(s.to_string())),
        _ => return Err(not_found_path()),
    };
    let store = shared.store.lock().unwrap();
    let res = store
        .resources
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
        .cloned()
        .ok_or_else(not_found_path)?;
    if ns.is_some() && !res.namespaced {
        return Err(not_found_path());
    }
    if sub.as_ref().is_some_and(|s| !res.subresources.contains(s)) {
        return Err(not_found_path());
    }
    Ok(Target { res, ns, name, sub })
}

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let path_and_query = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    {
        let mut store = shared.store.lock().unwrap();
        store.requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
        });
        if let Some(f) = store
            .faults
            .iter_mut()
            .find(|f| f.matches(method.as_str(), &path_and_query))
        {
            if let Some(t) = f.times.as_mut() {
                *t -= 1;
            }
            let code = f.status;
            store.faults.retain(|f| f.times != Some(0));
            let msg = match code {
                403 => format!("{path} is forbidden: injected fault"),
                404 => {
                    "the server could not find the requested resource (injected fault)".to_string()
                }
                _ => format!("injected fault ({code}) for {method} {path}"),
            };
            return axum::response::IntoResponse::into_response(ApiError::new(code, msg));
        }
    }
    let q = parse_query(&query);
    match dispatch(&shared, &method, &path, &q, &headers, &body) {
        Ok(r) => r,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

fn dispatch(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let resources = || shared.store.lock().unwrap().resources.clone();
    let doc =
        |d: Option<serde_json::Value>| d.map(|d| json_response(200, &d)).ok_or_else(not_found_path);
    let t = match segs.as_slice() {
        ["version"] => return Ok(json_response(200, &discovery::version())),
        ["api"] => {
            return Ok(json_response(
                200,
                &discovery::api_versions(&shared.addr.to_string()),
            ));
        }
        ["apis"] => return Ok(json_response(200, &discovery::group_list(&resources()))),
        ["api", v] => return doc(discovery::resource_list(&resources(), "", v)),
        ["apis", g, v] => return doc(discovery::resource_list(&resources(), g, v)),
        ["api", v, rest @ ..] => resolve_target(shared, "", v, rest)?,
        ["apis", g, v, rest @ ..] => resolve_target(shared, g, v, rest)?,
        _ => return Err(not_found_path()),
    };
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let watching = q.get("watch").is_some_and(|w| w == "true" || w == "1");
    let ns = t.ns.clone().unwrap_or_default();
    match (method.as_str(), t.name.as_deref(), t.sub.as_deref()) {
        ("GET", None, _) if watching => watch::serve(shared.clone(), &t.res, t.ns.clone(), q),
        ("GET", None, _) => handlers::list(shared, &t, q),
        ("POST", None, _) if t.res.namespaced == t.ns.is_some() => {
            handlers::create(shared, &t, q, body)
        }
        ("DELETE", None, _) => handlers::delete_collection(shared, &t, q),
        ("GET", Some(name), Some("log")) => {
            logs::serve(&shared.store.lock().unwrap(), &ns, name, q)
        }
        ("GET", Some(name), None | Some("status")) => handlers::get(shared, &t, name),
        ("PUT", Some(name), None | Some("status")) => handlers::update(shared, &t, name, body),
        ("PATCH", Some(name), None | Some("status")) => {
            handlers::patch(shared, &t, name, q, content_type, body)
        }
        ("DELETE", Some(name), None) => handlers::delete(shared, &t, name, body),
        _ => Err(ApiError::new(
            405,
            "the server does not allow this method on the requested resource",
        )),
    }
}
