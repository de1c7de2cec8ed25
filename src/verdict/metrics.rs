//! `/metrics` of the verdict service: what was answered, why, and how fast — the numbers an
//! operator needs to see a Prometheus outage turning every canary inconclusive.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

type Labels = Vec<(String, String)>;

pub struct VerdictMetrics {
    registry: Registry,
    verdicts: Family<Labels, Counter>,
    duration: Histogram,
}

impl Default for VerdictMetrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let verdicts = Family::<Labels, Counter>::default();
        // From cache hits (tens of µs) to the default 5 s budget.
        let duration = Histogram::new([
            0.0001, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ]);
        registry.register(
            "rollout_doctor_verdicts",
            "Verdicts answered, by verdict and category",
            verdicts.clone(),
        );
        registry.register(
            "rollout_doctor_verdict_duration_seconds",
            "Time to answer POST /v1/verdict",
            duration.clone(),
        );
        VerdictMetrics {
            registry,
            verdicts,
            duration,
        }
    }
}

impl VerdictMetrics {
    pub fn observe(&self, verdict: &str, category: &str, took: Duration) {
        self.verdicts
            .get_or_create(&vec![
                ("verdict".into(), verdict.into()),
                ("category".into(), category.into()),
            ])
            .inc();
        self.duration.observe(took.as_secs_f64());
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
