//! What fix pull requests came to, for Prometheus: a skipped fix is not a failed delivery,
//! so the sink counts its outcomes itself.

use crate::llm::metrics::OutcomeLabel;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Cheap to clone: the counters share their storage.
#[derive(Clone, Debug, Default)]
pub struct FixMetrics {
    /// `opened`, `commented`, `issue`, `dry_run`, `skipped`, `failed`.
    pub outcomes: Family<OutcomeLabel, Counter>,
}

impl FixMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "rollout_doctor_fix_outcomes",
            "What each fix pull request attempt came to (opened, commented, issue, dry_run, skipped, failed)",
            self.outcomes.clone(),
        );
    }

    pub fn count(&self, outcome: &str) {
        self.outcomes
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn get(&self, outcome: &str) -> u64 {
        self.outcomes
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .get()
    }
}
