//! `GET /api/v1/namespaces/{ns}/pods/{name}/log` with the kubelet's error messages.
use std::collections::HashMap;

use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::faults::ApiError;
use super::store::Store;

fn names(pod: &Value, field: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn truthy(q: &HashMap<String, String>, k: &str) -> bool {
    q.get(k).is_some_and(|v| v == "true" || v == "1")
}

/// The waiting reason of a container that has not started, if any.
fn waiting_reason(pod: &Value, container: &str) -> Option<String> {
    ["containerStatuses", "initContainerStatuses"]
        .iter()
        .find_map(|f| {
            pod.pointer(&format!("/status/{f}"))?
                .as_array()?
                .iter()
                .find(|s| s.get("name").and_then(Value::as_str) == Some(container))?
                .pointer("/state/waiting/reason")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

pub(crate) fn serve(
    store: &Store,
    ns: &str,
    pod_name: &str,
    q: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let res = store.resolve("pods").expect("pods are registered");
    let pod = store
        .get(&res, ns, pod_name)
        .ok_or_else(|| ApiError::not_found(&res, pod_name))?;
    let containers = names(pod, "containers");
    let inits = names(pod, "initContainers");
    let container = match q.get("container").filter(|c| !c.is_empty()) {
        Some(c) => c.clone(),
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            let mut msg = format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !inits.is_empty() {
                msg.push_str(&format!(
                    " or one of the init containers: [{}]",
                    inits.join(" ")
                ));
            }
            return Err(ApiError::bad_request(msg));
        }
    };
    if !containers.contains(&container) && !inits.contains(&container) {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {pod_name}"
        )));
    }
    let previous = truthy(q, "previous");
    let key = (
        ns.to_string(),
        pod_name.to_string(),
        container.clone(),
        previous,
    );
    let entry = store.logs.get(&key);
    if entry.is_none() {
        if previous {
            return Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
            )));
        }
        if let Some(reason) = waiting_reason(pod, &container) {
            return Err(ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {reason}"
            )));
        }
    }
    let (text, stamp) = entry
        .map(|e| (e.text.as_str(), e.stamp.as_str()))
        .unwrap_or(("", ""));
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    if let Some(n) = q.get("tailLines").and_then(|n| n.parse::<usize>().ok()) {
        lines = lines.split_off(lines.len().saturating_sub(n));
    }
    if truthy(q, "timestamps") {
        lines = lines.into_iter().map(|l| format!("{stamp} {l}")).collect();
    }
    let mut out = lines.concat().into_bytes();
    if let Some(n) = q.get("limitBytes").and_then(|n| n.parse::<usize>().ok()) {
        out.truncate(n);
    }
    Ok(([("content-type", "text/plain")], out).into_response())
}
