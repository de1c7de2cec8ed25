//! How the judges' findings combine into one verdict. Combination fails closed: a judge that
//! could not decide makes the whole answer undecided, never a pass. Metrics are scored
//! Kayenta-like with [`score::score_weighted`]: per group, each metric counts by its weight;
//! a critical metric that failed fails the canary whatever the score.

use super::judge::Gate;
use super::request::{Outcome, VerdictResponse};
use super::score::{self, Classification, MetricResult, Thresholds};

fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Pass => 0,
        Outcome::Inconclusive => 1,
        Outcome::Fail => 2,
    }
}

/// One verdict from the gates and the metric results. `weights[i]` is `results[i]`'s weight
/// (missing → 1). `undecided` is what "could not decide" becomes (inconclusive, or fail for
/// teams that want it).
pub fn combine(
    gates: &[Gate],
    results: &[MetricResult],
    weights: &[f64],
    thresholds: &Thresholds,
    undecided: Outcome,
) -> VerdictResponse {
    let mut reasons: Vec<String> = Vec::new();
    let mut verdict = Outcome::Pass;
    let mut category: Option<&str> = None;
    let mut decide = |v: Outcome, cat: &'static str| {
        if rank(v) > rank(verdict) {
            verdict = v;
            category = Some(cat);
        }
    };
    let mut score_value = 100.0_f64;
    for g in gates {
        decide(g.outcome, g.category);
        reasons.extend(g.reasons.iter().cloned());
        score_value = score_value.min(match g.outcome {
            Outcome::Pass => 100.0,
            Outcome::Inconclusive => 50.0,
            Outcome::Fail => 0.0,
        });
    }
    if !results.is_empty() {
        let s = score::score_weighted(results, weights, thresholds);
        score_value = score_value.min(s.score.clamp(0.0, 100.0));
        decide(
            match s.verdict {
                score::Verdict::Pass => Outcome::Pass,
                score::Verdict::Fail => Outcome::Fail,
                score::Verdict::Inconclusive => Outcome::Inconclusive,
            },
            "metrics",
        );
        // A metric without data may not count as healthy, whatever the score makes of it.
        if results.iter().any(|r| {
            matches!(
                r.classification,
                Classification::NoData | Classification::TooFewSamples
            )
        }) {
            let all_missing = results
                .iter()
                .all(|r| matches!(r.classification, Classification::NoData));
            decide(
                Outcome::Inconclusive,
                if all_missing { "no_data" } else { "metrics" },
            );
        }
        // The score's reasons already name each metric that did not pass.
        reasons.extend(s.reasons);
    }
    if gates.is_empty() && results.is_empty() {
        decide(Outcome::Inconclusive, "no_data");
        reasons.push("nothing to judge: no metrics requested and no cluster access".into());
    }
    let verdict = match verdict {
        Outcome::Inconclusive => undecided,
        v => v,
    };
    if verdict == Outcome::Pass {
        category = Some("healthy");
    }
    reasons.truncate(20);
    VerdictResponse {
        verdict,
        score: (score_value * 10.0).round() / 10.0,
        category: category.unwrap_or("healthy").to_owned(),
        reasons,
        canary_hash: None,
        stable_hash: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, group: &str, c: Classification, critical: bool) -> MetricResult {
        MetricResult {
            name: name.into(),
            group: group.into(),
            classification: c,
            critical,
            p_value: None,
            effect: None,
            reason: format!("{name} {c:?}"),
        }
    }

    /// latency: p99 fails, p50 passes; errors: error-rate passes.
    fn latency_regression(critical_p99: bool) -> Vec<MetricResult> {
        vec![
            result("p99", "latency", Classification::High, critical_p99),
            result("p50", "latency", Classification::Pass, false),
            result("error-rate", "errors", Classification::Pass, false),
        ]
    }

    fn judge(results: &[MetricResult], weights: &[f64]) -> VerdictResponse {
        combine(
            &[],
            results,
            weights,
            &Thresholds::default(),
            Outcome::Inconclusive,
        )
    }

    #[test]
    fn a_heavy_failing_metric_costs_more_than_a_light_one() {
        let rs = latency_regression(false);
        // Groups count equally: total = (latency + errors) / 2, errors = 100.
        // Heavy p99 (3 vs 1): latency = 100·1/4 = 25 → (25 + 100) / 2 = 62.5 < 75: fail.
        let heavy = judge(&rs, &[3.0, 1.0, 1.0]);
        assert_eq!(
            (heavy.score, heavy.verdict, heavy.category.as_str()),
            (62.5, Outcome::Fail, "metrics")
        );
        // Light p99 (1 vs 3): latency = 100·3/4 = 75 → (75 + 100) / 2 = 87.5: marginal.
        let light = judge(&rs, &[1.0, 3.0, 1.0]);
        assert_eq!((light.score, light.verdict), (87.5, Outcome::Inconclusive));
        // Unweighted: latency = 50 → 75.0, exactly the marginal threshold.
        let equal = judge(&rs, &[]);
        assert_eq!((equal.score, equal.verdict), (75.0, Outcome::Inconclusive));
        assert!(heavy.score < equal.score && equal.score < light.score);
        assert!(heavy.reasons[0].contains("62.5"), "{:?}", heavy.reasons);
    }

    #[test]
    fn a_weightless_metric_is_informational_but_a_critical_one_always_fails() {
        let rs = latency_regression(false);
        // p99 weighs 0: latency = 100·1/1 = 100 → 100: pass.
        let v = judge(&rs, &[0.0, 1.0, 1.0]);
        assert_eq!(
            (v.score, v.verdict, v.category.as_str()),
            (100.0, Outcome::Pass, "healthy")
        );
        // Critical p99 that failed: score 0 and fail, however light it is.
        let rs = latency_regression(true);
        let v = judge(&rs, &[0.01, 100.0, 100.0]);
        assert_eq!((v.score, v.verdict), (0.0, Outcome::Fail));
        assert!(
            v.reasons[0].contains("critical metric p99 failed"),
            "{:?}",
            v.reasons
        );
    }

    #[test]
    fn gates_cap_the_score_and_decide_first() {
        let rs = vec![result("p99", "latency", Classification::Pass, false)];
        let crash = Gate::new(Outcome::Fail, "pod_health", vec!["crashing".into()]);
        let v = combine(
            &[crash],
            &rs,
            &[1.0],
            &Thresholds::default(),
            Outcome::Inconclusive,
        );
        assert_eq!(
            (v.score, v.verdict, v.category.as_str()),
            (0.0, Outcome::Fail, "pod_health")
        );
        let v = combine(&[], &[], &[], &Thresholds::default(), Outcome::Fail);
        assert_eq!((v.verdict, v.category.as_str()), (Outcome::Fail, "no_data"));
    }
}
