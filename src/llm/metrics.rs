//! What the LLM costs and how it behaves, for Prometheus. The agent registers these under its
//! registry; the CLI keeps them in memory.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirectionLabel {
    pub direction: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

/// Cheap to clone: every field shares its storage.
#[derive(Clone, Debug)]
pub struct LlmMetrics {
    /// HTTP calls by outcome (`ok`, `http_error`, `rate_limited`, `timeout`, `transport`).
    pub calls: Family<OutcomeLabel, Counter>,
    /// Tokens by direction (`in`, `out`), as the server reported them.
    pub tokens: Family<DirectionLabel, Counter>,
    /// Seconds per HTTP call, retries counted separately.
    pub latency: Histogram,
    pub cache_hits: Counter,
    /// Diagnoses that ended in the rules' answer because the LLM failed, by reason.
    pub fallbacks: Family<ReasonLabel, Counter>,
}

impl Default for LlmMetrics {
    fn default() -> Self {
        LlmMetrics {
            calls: Family::default(),
            tokens: Family::default(),
            // 50 ms to ~100 s.
            latency: Histogram::new(exponential_buckets(0.05, 2.0, 12)),
            cache_hits: Counter::default(),
            fallbacks: Family::default(),
        }
    }
}

impl LlmMetrics {
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("rollout_doctor_llm");
        r.register("calls", "LLM HTTP calls by outcome", self.calls.clone());
        r.register(
            "tokens",
            "LLM tokens by direction (in, out)",
            self.tokens.clone(),
        );
        r.register_with_unit(
            "latency",
            "LLM HTTP call latency",
            Unit::Seconds,
            self.latency.clone(),
        );
        r.register(
            "cache_hits",
            "LLM answers served from the cache",
            self.cache_hits.clone(),
        );
        r.register(
            "fallbacks",
            "Diagnoses that fell back to the rules because the LLM failed, by reason",
            self.fallbacks.clone(),
        );
    }

    pub fn call(&self, outcome: &str) {
        self.calls
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn tokens(&self, tokens_in: Option<u64>, tokens_out: Option<u64>) {
        for (direction, n) in [("in", tokens_in), ("out", tokens_out)] {
            if let Some(n) = n {
                self.tokens
                    .get_or_create(&DirectionLabel {
                        direction: direction.to_owned(),
                    })
                    .inc_by(n);
            }
        }
    }

    pub fn fallback(&self, reason: &str) {
        self.fallbacks
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn calls_with(&self, outcome: &str) -> u64 {
        self.calls
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .get()
    }

    pub fn fallbacks_with(&self, reason: &str) -> u64 {
        self.fallbacks
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_and_encodes() {
        let m = LlmMetrics::default();
        m.call("ok");
        m.tokens(Some(120), Some(30));
        m.fallback("timeout");
        m.cache_hits.inc();
        m.latency.observe(0.2);
        let mut reg = Registry::default();
        m.register(&mut reg);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &reg).unwrap();
        for needle in [
            "rollout_doctor_llm_calls_total{outcome=\"ok\"} 1",
            "rollout_doctor_llm_tokens_total{direction=\"in\"} 120",
            "rollout_doctor_llm_fallbacks_total{reason=\"timeout\"} 1",
            "rollout_doctor_llm_cache_hits_total 1",
            "rollout_doctor_llm_latency_seconds_count 1",
        ] {
            assert!(out.contains(needle), "{needle} missing in\n{out}");
        }
    }
}
