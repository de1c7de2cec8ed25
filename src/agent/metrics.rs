//! The agent's Prometheus metrics, exposed on /metrics in OpenMetrics text.
//!
//! Handles are cloned out of the registry at construction: prometheus-client metrics are
//! atomics behind `Arc`s, so recording never locks the registry and `Metrics` is
//! `Send + Sync` for sharing across tasks.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

pub struct Metrics {
    registry: Registry,
    incidents: Family<Labels, Counter>,
    diagnosis_duration: Histogram,
    collection_errors: Family<Labels, Counter>,
    watch_restarts: Counter,
    leader: Gauge,
    deduplicated: Counter,
    sink_deliveries: Family<Labels, Counter>,
    dropped: Family<Labels, Counter>,
    pending: Gauge,
}

/// Diagnosis spans a cached rules-only run (~10ms) to a slow LLM round trip (~60s).
const DURATION_BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let incidents = Family::<Labels, Counter>::default();
        let diagnosis_duration = Histogram::new(DURATION_BUCKETS);
        let collection_errors = Family::<Labels, Counter>::default();
        let watch_restarts = Counter::default();
        let leader = Gauge::default();
        let deduplicated = Counter::default();
        let sink_deliveries = Family::<Labels, Counter>::default();
        let dropped = Family::<Labels, Counter>::default();
        let pending = Gauge::default();
        // Counter names omit `_total`: the OpenMetrics encoder appends it.
        registry.register(
            "rollout_doctor_incidents",
            "Failed rollouts diagnosed, by diagnosis category",
            incidents.clone(),
        );
        registry.register(
            "rollout_doctor_diagnosis_duration_seconds",
            "Time from incident detection to a finished diagnosis",
            diagnosis_duration.clone(),
        );
        registry.register(
            "rollout_doctor_collection_errors",
            "Evidence collection calls that failed, by evidence source",
            collection_errors.clone(),
        );
        registry.register(
            "rollout_doctor_watch_restarts",
            "Times the Rollout watch was restarted after an error",
            watch_restarts.clone(),
        );
        registry.register(
            "rollout_doctor_leader",
            "1 while this replica holds the leader lease, else 0",
            leader.clone(),
        );
        registry.register(
            "rollout_doctor_incidents_deduplicated",
            "Incidents skipped because the same failure was already diagnosed",
            deduplicated.clone(),
        );
        registry.register(
            "rollout_doctor_sink_deliveries",
            "Diagnosis deliveries to sinks, by sink and outcome",
            sink_deliveries.clone(),
        );
        registry.register(
            "rollout_doctor_incidents_dropped",
            "Incidents or watched objects given up without a diagnosis, by reason",
            dropped.clone(),
        );
        registry.register(
            "rollout_doctor_incidents_pending",
            "Incidents detected and not yet started (waiting for leadership, the record index or a retry)",
            pending.clone(),
        );
        Metrics {
            registry,
            incidents,
            diagnosis_duration,
            collection_errors,
            watch_restarts,
            leader,
            deduplicated,
            sink_deliveries,
            dropped,
            pending,
        }
    }

    pub fn incident(&self, category: &str) {
        self.incidents
            .get_or_create(&vec![("category", category.to_string())])
            .inc();
    }

    pub fn diagnosis_duration(&self, seconds: f64) {
        // A NaN or negative sample would poison the sum forever; drop it instead.
        if seconds.is_finite() && seconds >= 0.0 {
            self.diagnosis_duration.observe(seconds);
        }
    }

    pub fn collection_error(&self, source: &str) {
        self.collection_errors
            .get_or_create(&vec![("source", source.to_string())])
            .inc();
    }

    pub fn watch_restart(&self) {
        self.watch_restarts.inc();
    }

    pub fn set_leader(&self, is_leader: bool) {
        self.leader.set(i64::from(is_leader));
    }

    pub fn duplicate_suppressed(&self) {
        self.deduplicated.inc();
    }

    /// Every path that ends an incident (or skips an object) without a record counts here,
    /// so an agent that stays silent is still visible on /metrics.
    pub fn dropped(&self, reason: &'static str) {
        self.dropped
            .get_or_create(&vec![("reason", reason.to_string())])
            .inc();
    }

    pub fn set_pending(&self, n: usize) {
        self.pending.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub fn sink_delivery(&self, sink: &str, ok: bool) {
        let outcome = if ok { "success" } else { "failure" };
        self.sink_deliveries
            .get_or_create(&vec![
                ("sink", sink.to_string()),
                ("outcome", outcome.to_string()),
            ])
            .inc();
    }

    /// Lets other modules (the LLM client, sinks) add their own metrics before serving starts;
    /// after the `Metrics` is shared behind an `Arc` the registry is frozen.
    pub fn register(&mut self, f: impl FnOnce(&mut Registry)) {
        f(&mut self.registry);
    }

    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The whole registry in OpenMetrics text, ending with `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; an encoder error would only come from a metric
        // with an unencodable label, and a partial page beats a failed scrape.
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "metrics encoding failed");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn metrics_are_shareable() {
        assert_send_sync::<Metrics>();
    }

    #[test]
    fn exposition_contains_every_series() {
        let m = Metrics::new();
        m.incident("ImagePull");
        m.incident("ImagePull");
        m.diagnosis_duration(0.2);
        m.diagnosis_duration(f64::NAN);
        m.collection_error("pod_logs");
        m.watch_restart();
        m.set_leader(true);
        m.duplicate_suppressed();
        m.sink_delivery("events", true);
        m.sink_delivery("slack", false);
        let text = m.encode();
        let expected = [
            "# TYPE rollout_doctor_incidents counter",
            "rollout_doctor_incidents_total{category=\"ImagePull\"} 2",
            "# TYPE rollout_doctor_diagnosis_duration_seconds histogram",
            "rollout_doctor_diagnosis_duration_seconds_count 1",
            "rollout_doctor_diagnosis_duration_seconds_bucket{le=\"0.01\"} 0",
            "rollout_doctor_diagnosis_duration_seconds_bucket{le=\"0.25\"} 1",
            "rollout_doctor_diagnosis_duration_seconds_bucket{le=\"60.0\"} 1",
            "rollout_doctor_diagnosis_duration_seconds_bucket{le=\"+Inf\"} 1",
            "rollout_doctor_collection_errors_total{source=\"pod_logs\"} 1",
            "rollout_doctor_watch_restarts_total 1",
            "# TYPE rollout_doctor_leader gauge",
            "rollout_doctor_leader 1",
            "rollout_doctor_incidents_deduplicated_total 1",
            "rollout_doctor_sink_deliveries_total{sink=\"events\",outcome=\"success\"} 1",
            "rollout_doctor_sink_deliveries_total{sink=\"slack\",outcome=\"failure\"} 1",
        ];
        for line in expected {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn leader_gauge_goes_back_to_zero() {
        let m = Metrics::new();
        m.set_leader(true);
        m.set_leader(false);
        assert!(m.encode().lines().any(|l| l == "rollout_doctor_leader 0"));
    }

    #[test]
    fn other_modules_can_register() {
        let mut m = Metrics::new();
        let calls = Counter::<u64>::default();
        m.register(|r| r.register("rollout_doctor_llm_calls", "LLM calls", calls.clone()));
        calls.inc();
        assert!(
            m.encode().contains("rollout_doctor_llm_calls_total 1"),
            "{}",
            m.encode()
        );
    }
}
