//! `POST /v1/verdict`: the web-provider endpoint. Every decided verdict — pass, fail or
//! inconclusive — is a 200, so the AnalysisTemplate's conditions decide; only a bad token
//! (401) or a malformed request (400) is an error, which Argo counts as a measurement error.
//! The answer always comes within the budget: what is not done by then is inconclusive.

use super::cache::{Cache, Key};
use super::judge::{self, Gate};
use super::metrics::VerdictMetrics;
use super::prometheus::Prometheus;
use super::request::{self, Checked, Outcome, VerdictRequest, VerdictResponse};
use super::review::{ReviewContext, Reviews, VerdictReviewer};
use super::score::Thresholds;
use crate::agent::collect::{CollectConfig, Collector, rollouts};
use crate::evidence::EvidenceConfig;
use crate::model::Rollout;
use crate::redact::Redactor;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kube::api::{Api, DynamicObject};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct VerdictConfig {
    /// The whole judgement, answer included; keep it below Argo's web timeout (10 s).
    pub budget: Duration,
    pub cache_ttl: Duration,
    /// What "could not decide" (no canary pods, no data, internal error, deadline) becomes.
    pub undecided: Outcome,
    pub alpha: f64,
    pub pass_threshold: f64,
    pub marginal_threshold: f64,
    /// `None` disables auth (only for tests and loopback use).
    pub token: Option<String>,
    pub pod_judge: bool,
    pub log_judge: bool,
    pub review_timeout: Duration,
}

impl Default for VerdictConfig {
    fn default() -> Self {
        VerdictConfig {
            budget: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(15),
            undecided: Outcome::Inconclusive,
            alpha: 0.01,
            pass_threshold: 95.0,
            marginal_threshold: 75.0,
            token: None,
            pod_judge: true,
            log_judge: true,
            review_timeout: Duration::from_secs(60),
        }
    }
}

/// A statistical answer and what a reviewer may see of how it came about.
pub type Judged = (VerdictResponse, Arc<ReviewContext>);

pub use super::listen::{serve, serve_on};

pub struct VerdictService {
    cfg: VerdictConfig,
    prom: Option<Prometheus>,
    kube: Option<kube::Client>,
    collector: Option<Collector>,
    redactor: Redactor,
    evidence: EvidenceConfig,
    cache: Cache,
    reviews: Option<Reviews>,
    token_digest: Option<[u8; 32]>,
    metrics: VerdictMetrics,
}

impl VerdictService {
    pub fn new(
        cfg: VerdictConfig,
        prom: Option<Prometheus>,
        kube: Option<kube::Client>,
        reviewer: Option<Arc<dyn VerdictReviewer>>,
    ) -> VerdictService {
        let evidence = EvidenceConfig::default();
        // Logs must arrive inside the budget, so the collector's per-call timeout is tied to it.
        let collect = CollectConfig {
            api_timeout: cfg.budget,
            tail_lines: 2000,
            limit_bytes: 1 << 20,
            ..Default::default()
        };
        let collector = kube
            .clone()
            .filter(|_| cfg.log_judge)
            .map(|c| Collector::new(c, collect, evidence.clone()));
        VerdictService {
            cache: Cache::new(cfg.cache_ttl),
            reviews: reviewer.map(|r| Reviews::new(r, cfg.review_timeout)),
            token_digest: cfg.token.as_deref().map(digest),
            metrics: VerdictMetrics::default(),
            prom,
            kube,
            collector,
            redactor: Redactor::default(),
            evidence,
            cfg,
        }
    }

    /// The verdict for a checked request, within the budget, with any finished review applied.
    pub async fn verdict(&self, checked: Checked) -> VerdictResponse {
        let (mut resp, ctx) =
            match tokio::time::timeout(self.cfg.budget, self.statistical(&checked)).await {
                Ok(r) => r,
                Err(_) => bare(self.undecided(
                    "deadline",
                    format!("not decided within the {:?} budget", self.cfg.budget),
                )),
            };
        if let (Some(reviews), Some(canary)) = (&self.reviews, resp.canary_hash.clone())
            && !matches!(resp.category.as_str(), "deadline" | "internal")
        {
            reviews.apply(
                &checked.req.namespace,
                &checked.req.rollout,
                &canary,
                &mut resp,
                &ctx,
            );
        }
        resp
    }

    async fn statistical(&self, c: &Checked) -> Judged {
        let (canary, stable) = match self.hashes(c).await {
            Ok(h) => h,
            Err(resp) => return bare(resp),
        };
        let key = Key::new(c, &canary, &stable);
        if let Some(hit) = self.cache.get(&key) {
            return hit;
        }
        let (ns, name) = (c.req.namespace.as_str(), c.req.rollout.as_str());
        let end = c.req.end.unwrap_or_else(now);
        let pods = async {
            match (&self.kube, self.cfg.pod_judge) {
                (Some(k), true) => Some(judge::pod_health(k, ns, &canary, &stable).await),
                _ => None,
            }
        };
        let logs = async {
            match &self.collector {
                Some(col) => Some(judge::logs(col, &self.redactor, &self.evidence, ns, name).await),
                None => None,
            }
        };
        let metrics = async {
            match &self.prom {
                Some(p) => judge::metrics(p, c, &canary, &stable, end, self.cfg.alpha).await,
                None => Vec::new(),
            }
        };
        let (pods, logs, results) = tokio::join!(pods, logs, metrics);
        let mut gates: Vec<Gate> = pods.into_iter().chain(logs).collect();
        if self.prom.is_none() && !c.req.metrics.is_empty() {
            let why = "metrics requested but no Prometheus is configured".to_owned();
            gates.push(Gate::new(Outcome::Inconclusive, "no_data", vec![why]));
        }
        let thresholds = Thresholds {
            pass: self.cfg.pass_threshold,
            marginal: self.cfg.marginal_threshold,
        };
        // `results` is in request order (join_all keeps it), so weights line up by index.
        let weights: Vec<f64> = c
            .req
            .metrics
            .iter()
            .map(|m| m.weight.unwrap_or(1.0))
            .collect();
        let mut resp = judge::combine(&gates, &results, &weights, &thresholds, self.cfg.undecided);
        resp.canary_hash = Some(canary);
        resp.stable_hash = Some(stable);
        let notes = gates.into_iter().flat_map(|g| g.notes).collect();
        let judged = (
            resp,
            Arc::new(ReviewContext {
                metrics: results,
                notes,
            }),
        );
        // Only settled answers are cached; a transient failure should be retried next time.
        if judged.0.category != "internal" {
            self.cache.put(key, judged.clone());
        }
        judged
    }

    /// The hashes from the request, or from the Rollout's status when not given.
    async fn hashes(&self, c: &Checked) -> Result<(String, String), VerdictResponse> {
        if let (Some(cn), Some(st)) = (&c.req.canary_hash, &c.req.stable_hash) {
            return Ok((cn.clone(), st.clone()));
        }
        let Some(client) = &self.kube else {
            return Err(self.undecided(
                "internal",
                "canaryHash/stableHash not given and no Kubernetes access to read them".into(),
            ));
        };
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &c.req.namespace, &rollouts());
        let obj = match api.get_opt(&c.req.rollout).await {
            Ok(Some(o)) => o,
            Ok(None) => {
                return Err(self.undecided(
                    "internal",
                    format!("Rollout {}/{} not found", c.req.namespace, c.req.rollout),
                ));
            }
            Err(e) => {
                return Err(self.undecided("internal", format!("cannot read the Rollout: {e}")));
            }
        };
        let ro: Option<Rollout> = serde_json::to_value(obj)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok());
        let Some(ro) = ro else {
            return Err(self.undecided("internal", "the Rollout does not decode".into()));
        };
        let canary = c
            .req
            .canary_hash
            .clone()
            .or_else(|| ro.canary_hash().map(str::to_owned));
        let stable = c
            .req
            .stable_hash
            .clone()
            .or_else(|| ro.stable_hash().map(str::to_owned));
        match (canary, stable) {
            (Some(cn), Some(st)) if cn != st => Ok((cn, st)),
            (Some(_), Some(_)) => Err(self.undecided(
                "no_canary_pods",
                "canary and stable are the same version: nothing to compare".into(),
            )),
            _ => Err(self.undecided(
                "no_canary_pods",
                "the Rollout's status names no canary and stable hash yet".into(),
            )),
        }
    }

    fn undecided(&self, category: &str, reason: String) -> VerdictResponse {
        VerdictResponse {
            verdict: self.cfg.undecided,
            score: 0.0,
            category: category.into(),
            reasons: vec![reason],
            canary_hash: None,
            stable_hash: None,
        }
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.token_digest else {
            return true;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim());
        // Comparing digests keeps the comparison constant-time in the token's length too.
        given.is_some_and(|g| constant_eq(&digest(g), expected))
    }
}

fn bare(resp: VerdictResponse) -> Judged {
    (resp, Arc::default())
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// A bearer token check for other endpoints (MCP over HTTP): constant time, length included.
pub fn token_matches(given: &str, expected: &str) -> bool {
    constant_eq(&digest(given.trim()), &digest(expected))
}

fn constant_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A verdict request is a few KiB (at most 32 metrics); anything near this is not one.
pub const MAX_BODY: usize = 256 * 1024;

pub fn router(service: Arc<VerdictService>) -> Router {
    Router::new()
        .route("/v1/verdict", post(handle))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(service)
}

async fn handle(
    State(svc): State<Arc<VerdictService>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !svc.authorized(&headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token".into(),
        );
    }
    let req: VerdictRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("malformed request: {e}")),
    };
    let checked = match request::check(req) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let started = std::time::Instant::now();
    let resp = svc.verdict(checked).await;
    let verdict = serde_json::to_value(resp.verdict).ok();
    svc.metrics.observe(
        verdict.as_ref().and_then(|v| v.as_str()).unwrap_or("?"),
        &resp.category,
        started.elapsed(),
    );
    tracing::debug!(verdict = ?resp.verdict, category = %resp.category, "verdict");
    axum::Json(resp).into_response()
}

async fn metrics(State(svc): State<Arc<VerdictService>>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], svc.metrics.encode()).into_response()
}

fn error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}
