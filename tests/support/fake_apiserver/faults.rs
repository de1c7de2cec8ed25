//! Kubernetes `Status` errors and test-injected faults.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::ResourceDef;

/// A fault injected with [`super::FakeApiServer::inject`]: requests whose method matches
/// (case-insensitive; `None` = any) and whose path-and-query contains `path_contains`
/// get a `Status` error with HTTP code `status`, `times` times (`None` = forever).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub method: Option<String>,
    pub path_contains: String,
    pub status: u16,
    pub times: Option<usize>,
}

impl Fault {
    /// Every request containing `path_contains` fails with `status`, forever.
    pub fn new(status: u16, path_contains: &str) -> Self {
        Fault {
            method: None,
            path_contains: path_contains.to_string(),
            status,
            times: None,
        }
    }
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_string());
        self
    }
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }
    pub(crate) fn matches(&self, method: &str, path_and_query: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path_and_query.contains(&self.path_contains)
            && self.times != Some(0)
    }
}

/// The `reason` the real apiserver uses for an HTTP code.
pub fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

/// An API error rendered as a `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: String,
    pub message: String,
    pub details: Option<Value>,
}

/// `pods` for core, `rollouts.argoproj.io` otherwise (the apiserver's qualified resource).
pub fn qualified(res: &ResourceDef) -> String {
    if res.group.is_empty() {
        res.plural.clone()
    } else {
        format!("{}.{}", res.plural, res.group)
    }
}

fn details(res: &ResourceDef, name: &str) -> Value {
    let mut d = json!({ "name": name, "kind": res.plural });
    if !res.group.is_empty() {
        d["group"] = json!(res.group);
    }
    d
}

impl ApiError {
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason: reason_for(code).to_string(),
            message: message.into(),
            details: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }
    pub fn not_found(res: &ResourceDef, name: &str) -> Self {
        let mut e = Self::new(404, format!("{} \"{name}\" not found", qualified(res)));
        e.details = Some(details(res, name));
        e
    }
    pub fn already_exists(res: &ResourceDef, name: &str) -> Self {
        let mut e = Self::new(409, format!("{} \"{name}\" already exists", qualified(res)));
        e.reason = "AlreadyExists".into();
        e.details = Some(details(res, name));
        e
    }
    pub fn conflict(res: &ResourceDef, name: &str, why: &str) -> Self {
        let q = qualified(res);
        let mut e = Self::new(
            409,
            format!("Operation cannot be fulfilled on {q} \"{name}\": {why}"),
        );
        e.details = Some(details(res, name));
        e
    }
    pub fn stale(res: &ResourceDef, name: &str) -> Self {
        Self::conflict(
            res,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }
    pub fn invalid(res: &ResourceDef, name: &str, why: &str) -> Self {
        let mut e = Self::new(
            422,
            format!("{}.{} \"{name}\" is invalid: {why}", res.kind, res.group),
        );
        if res.group.is_empty() {
            e.message = format!("{} \"{name}\" is invalid: {why}", res.kind);
        }
        e.details = Some(details(res, name));
        e
    }
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, message)
    }
    /// The `Status` object.
    pub fn status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            code,
            [("content-type", "application/json")],
            self.status().to_string(),
        )
            .into_response()
    }
}

/// A JSON 200/201 response.
pub fn json_response(code: u16, v: &Value) -> Response {
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    (code, [("content-type", "application/json")], v.to_string()).into_response()
}
