//! The `/v1/verdict` request and response: what an AnalysisTemplate's web metric sends and
//! what its `jsonPath`/`successCondition`/`failureCondition` read back.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Upper bounds that keep one request from asking Prometheus for unbounded work.
const MAX_METRICS: usize = 32;
const MAX_POINTS: u64 = 11_000;
const MAX_QUERY: usize = 4096;
const MAX_NAME: usize = 128;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerdictRequest {
    pub namespace: String,
    pub rollout: String,
    #[serde(default)]
    pub canary_hash: Option<String>,
    #[serde(default)]
    pub stable_hash: Option<String>,
    #[serde(default)]
    pub metrics: Vec<MetricQuery>,
    /// How far back the comparison looks, e.g. `10m`.
    #[serde(default)]
    pub window: Option<String>,
    /// Resolution of range queries, e.g. `15s`.
    #[serde(default)]
    pub step: Option<String>,
    /// Evaluation time in Unix seconds; defaults to now. Replays and backfilled data need it.
    #[serde(default)]
    pub end: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricQuery {
    pub name: String,
    #[serde(default)]
    pub group: Option<String>,
    /// PromQL for a continuous metric; `${hash}` (or `{{hash}}`) becomes the pod-template
    /// hash, `${window}` and `${step}` the request's window and step.
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default = "default_kind")]
    pub kind: QueryKind,
    /// For `rate`: the event count and the total count over `{{window}}` (instant queries).
    #[serde(default)]
    pub errors_query: Option<String>,
    #[serde(default)]
    pub total_query: Option<String>,
    #[serde(default)]
    pub direction: Option<QueryDirection>,
    #[serde(default)]
    pub allowed_increase_pct: Option<f64>,
    #[serde(default)]
    pub critical: Option<bool>,
    #[serde(default)]
    pub min_samples: Option<usize>,
    #[serde(default)]
    pub weight: Option<f64>,
}

fn default_kind() -> QueryKind {
    QueryKind::Continuous
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum QueryKind {
    Continuous,
    Rate,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum QueryDirection {
    Increase,
    Decrease,
    Either,
}

/// A request after validation: durations parsed, hashes possibly still unknown.
#[derive(Debug, Clone)]
pub struct Checked {
    pub req: VerdictRequest,
    pub window: Duration,
    pub step: Duration,
}

pub fn check(req: VerdictRequest) -> Result<Checked, String> {
    if !is_name(&req.namespace) || !is_name(&req.rollout) {
        return Err("namespace and rollout must be DNS names".into());
    }
    for h in [&req.canary_hash, &req.stable_hash].into_iter().flatten() {
        if !is_name(h) {
            return Err(format!("invalid pod-template hash {h:?}"));
        }
    }
    if req.metrics.len() > MAX_METRICS {
        return Err(format!("at most {MAX_METRICS} metrics"));
    }
    for m in &req.metrics {
        let ok = match m.kind {
            QueryKind::Continuous => m.query.is_some(),
            QueryKind::Rate => m.errors_query.is_some() && m.total_query.is_some(),
        };
        if !ok || m.name.is_empty() {
            return Err(format!(
                "metric {:?}: continuous needs query, rate needs errorsQuery and totalQuery",
                m.name
            ));
        }
        if m.name.len() > MAX_NAME || m.name.chars().any(char::is_control) {
            return Err(format!(
                "metric names are at most {MAX_NAME} printable characters"
            ));
        }
        for q in [&m.query, &m.errors_query, &m.total_query]
            .into_iter()
            .flatten()
        {
            check_query(&m.name, q)?;
        }
        if m.allowed_increase_pct
            .is_some_and(|p| !p.is_finite() || p < 0.0)
            || m.weight.is_some_and(|w| !w.is_finite() || w < 0.0)
        {
            return Err(format!(
                "metric {:?}: allowedIncreasePct and weight must be finite and >= 0",
                m.name
            ));
        }
    }
    let window = parse_duration(req.window.as_deref().unwrap_or("10m"))?;
    let step = parse_duration(req.step.as_deref().unwrap_or("15s"))?;
    if step.is_zero() || window < step || window.as_secs() / step.as_secs().max(1) > MAX_POINTS {
        return Err("window must be at least one step and at most 11000 steps".into());
    }
    if req.end.is_some_and(|e| !e.is_finite() || e < 0.0) {
        return Err("end must be Unix seconds".into());
    }
    Ok(Checked { req, window, step })
}

/// A query must select by the pod-template hash: without `{{hash}}` the canary and the stable
/// version read the same series, and an identical pair would pass whatever the canary does.
fn check_query(metric: &str, q: &str) -> Result<(), String> {
    if q.len() > MAX_QUERY {
        return Err(format!(
            "metric {metric:?}: queries are at most {MAX_QUERY} bytes"
        ));
    }
    if q.chars().any(char::is_control) {
        return Err(format!("metric {metric:?}: control characters in a query"));
    }
    if !q.contains("{{hash}}") && !q.contains("${hash}") {
        return Err(format!(
            "metric {metric:?}: the query must select by {{{{hash}}}} (or ${{hash}}), or canary and stable read the same series"
        ));
    }
    Ok(())
}

/// Kubernetes names and hashes: short, lowercase, and safe to splice into a label matcher.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// Prometheus-style durations: `500ms`, `15s`, `10m`, `1h`, `1d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(format!("invalid duration {s:?} (use ms, s, m, h or d)")),
    };
    Ok(Duration::from_secs(secs))
}

/// Prometheus's own spelling, for `{{window}}` in queries.
pub fn prom_duration(d: Duration) -> String {
    if d.subsec_millis() != 0 || d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs())
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Inconclusive,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VerdictResponse {
    pub verdict: Outcome,
    /// 0–100; 100 is indistinguishable from stable.
    pub score: f64,
    /// What decided: `healthy`, `metrics`, `pod_health`, `logs`, `llm`, `no_canary_pods`,
    /// `no_data`, `deadline`, `internal`.
    pub category: String,
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stable_hash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
        assert_eq!(prom_duration(Duration::from_secs(600)), "600s");
    }

    #[test]
    fn hashes_cannot_inject_promql() {
        for hash in [
            r#"x\"}or{"#,
            "x\\\\",
            "a\\nb",
            "A",
            "a b",
            "a|b",
            "a.*",
            "}",
        ] {
            let req: VerdictRequest = serde_json::from_value(
                serde_json::json!({"namespace": "a", "rollout": "b", "canaryHash": hash}),
            )
            .unwrap();
            assert!(check(req).is_err(), "{hash:?}");
        }
        for ns in ["a\"} or vector(1) or {x=\"", "A", ""] {
            let req: VerdictRequest =
                serde_json::from_value(serde_json::json!({"namespace": ns, "rollout": "b"}))
                    .unwrap();
            assert!(check(req).is_err(), "{ns:?}");
        }
    }

    #[test]
    fn queries_must_select_by_hash_and_stay_bounded() {
        let with = |q: &str| -> Result<Checked, String> {
            check(
                serde_json::from_value(serde_json::json!({"namespace": "a", "rollout": "b",
                "metrics": [{"name": "m", "query": q}]}))
                .unwrap(),
            )
        };
        assert!(with(r#"up{h="{{hash}}"}"#).is_ok());
        assert!(with(r#"up{h="${hash}"}"#).is_ok());
        assert!(with("up").unwrap_err().contains("must select by {{hash}}"));
        assert!(with(&format!("up{{h=\"{{{{hash}}}}\"}}{}", " ".repeat(5000))).is_err());
        assert!(with("up{h=\"{{hash}}\"}\n").is_err());
    }
}
