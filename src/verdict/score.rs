//! Judging each metric (canary vs stable) and folding the judgements into one score and
//! verdict, Kayenta-style, but with per-metric tests whose false-positive rate is really α:
//! autocorrelated scrapes are averaged down to about-independent window means first, and a
//! metric only fails when the difference is both significant and larger than allowed.

use super::stats::{
    ar1_variance_inflation, ar1_window, effective_samples, finite_only, hodges_lehmann,
    lag1_autocorrelation, mann_whitney, mann_whitney_inflated, rate_test,
};
use serde::{Deserialize, Serialize};

/// Which change is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Bad when the canary is higher (latency, errors).
    #[default]
    Increase,
    /// Bad when the canary is lower (throughput, success rate).
    Decrease,
    Either,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    #[default]
    Continuous,
    Rate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSpec {
    pub name: String,
    pub group: String,
    pub direction: Direction,
    pub kind: MetricKind,
    /// Largest change in the bad direction that is tolerated, in percent (10.0 = 10%).
    pub allowed_increase_pct: f64,
    pub critical: bool,
    /// Per side, counted after autocorrelated samples are averaged (for rates: the totals).
    pub min_samples: usize,
    pub weight: f64,
}

impl MetricSpec {
    /// Defaults: bad when higher, 10% allowed, not critical, 20 samples a side, weight 1.
    pub fn new(name: impl Into<String>, group: impl Into<String>, kind: MetricKind) -> Self {
        Self {
            name: name.into(),
            group: group.into(),
            direction: Direction::Increase,
            kind,
            allowed_increase_pct: 10.0,
            critical: false,
            min_samples: 20,
            weight: 1.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MetricInput {
    Continuous {
        canary: Vec<f64>,
        stable: Vec<f64>,
    },
    Rate {
        canary_events: f64,
        canary_total: f64,
        stable_events: f64,
        stable_total: f64,
    },
    Missing {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    Pass,
    High,
    Low,
    NoData,
    TooFewSamples,
}

impl Classification {
    /// Whether the metric was actually compared (and so counts in the score).
    pub fn is_judged(self) -> bool {
        matches!(self, Self::Pass | Self::High | Self::Low)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    pub name: String,
    pub group: String,
    pub classification: Classification,
    pub critical: bool,
    /// The p-value of the test in the bad direction(s) (two-sided for `Either`).
    pub p_value: Option<f64>,
    /// Relative change canary vs stable, 0.4 = +40%; +inf for a rate that was 0 on stable.
    pub effect: Option<f64>,
    pub reason: String,
}

/// Judges one metric at significance `alpha` (0.01 recommended; outside (0, 1) means 0.01).
pub fn judge_metric(spec: &MetricSpec, input: &MetricInput, alpha: f64) -> MetricResult {
    let alpha = if alpha > 0.0 && alpha < 1.0 {
        alpha
    } else {
        0.01
    };
    let allowed = if spec.allowed_increase_pct.is_finite() {
        spec.allowed_increase_pct.max(0.0) / 100.0
    } else {
        0.0
    };
    let result = |classification, p_value, effect, reason: String| MetricResult {
        name: spec.name.clone(),
        group: spec.group.clone(),
        classification,
        critical: spec.critical,
        p_value,
        effect,
        reason,
    };
    let name = &spec.name;
    let outcome = match input {
        MetricInput::Missing { reason } => {
            return result(
                Classification::NoData,
                None,
                None,
                format!("{name}: no data ({reason})"),
            );
        }
        MetricInput::Continuous { canary, stable } => continuous(spec, canary, stable, alpha),
        MetricInput::Rate {
            canary_events,
            canary_total,
            stable_events,
            stable_total,
        } => rate(
            spec,
            [*canary_events, *canary_total, *stable_events, *stable_total],
        ),
    };
    let Tested {
        p_bad,
        effect,
        shift_positive,
        note,
    } = match outcome {
        Ok(tested) => tested,
        Err((classification, why)) => {
            return result(classification, None, None, format!("{name}: {why}"));
        }
    };
    // Relative effect when defined, else the sign of the raw shift decides.
    let exceeds_up = effect.map_or(shift_positive == Some(true), |e| e > allowed);
    let exceeds_down = effect.map_or(shift_positive == Some(false), |e| e < -allowed);
    let significant = p_bad <= alpha;
    let classification = match spec.direction {
        Direction::Increase if significant && exceeds_up => Classification::High,
        Direction::Decrease if significant && exceeds_down => Classification::Low,
        Direction::Either if significant && exceeds_up => Classification::High,
        Direction::Either if significant && exceeds_down => Classification::Low,
        _ => Classification::Pass,
    };
    let change = effect.map_or_else(|| "change of unknown size".to_owned(), format_effect);
    let p = format_p(p_bad);
    let reason = match classification {
        Classification::Pass => format!("{name} ok ({change}, {p}{note})"),
        _ => format!("{name} {change} ({p}{note})"),
    };
    result(classification, Some(p_bad), effect, reason)
}

struct Tested {
    p_bad: f64,
    effect: Option<f64>,
    /// Sign of the absolute shift, for when the relative effect is undefined.
    shift_positive: Option<bool>,
    note: String,
}

type Untested = (Classification, String);

fn continuous(
    spec: &MetricSpec,
    canary: &[f64],
    stable: &[f64],
    alpha: f64,
) -> Result<Tested, Untested> {
    let (c, c_dropped) = finite_only(canary);
    let (s, s_dropped) = finite_only(stable);
    let dropped = c_dropped + s_dropped;
    let dropped_note = if dropped > 0 {
        format!(", {dropped} NaN/inf dropped")
    } else {
        String::new()
    };
    if c.is_empty() || s.is_empty() {
        let side = if c.is_empty() { "canary" } else { "stable" };
        return Err((
            Classification::NoData,
            format!("no finite {side} samples{dropped_note}"),
        ));
    }
    // The lag-1 estimate is biased low by about (1 + 3φ)/n (Kendall); correcting keeps short
    // series from passing for independent.
    let phi = |xs: &[f64]| {
        let n = xs.len() as f64;
        lag1_autocorrelation(xs).map_or(0.0, |r| (r + (1.0 + 3.0 * r) / n).clamp(0.0, 0.98))
    };
    let (phi_c, phi_s) = (phi(&c), phi(&s));
    let phi_max = phi_c.max(phi_s);
    // Only average when the correlation is real (one-sided 5% test of φ = 0, which has
    // sd ≈ 1/√n): averaging independent samples would only cost power.
    let noise = 1.645 / (c.len().min(s.len()) as f64).sqrt();
    let window = if phi_max > noise {
        ar1_window(phi_max)
    } else {
        1
    };
    let (cr, sr) = (effective_samples(&c, window), effective_samples(&s, window));
    let need = spec.min_samples.max(1);
    let window_note = if window > 1 {
        format!(", means of {window} samples (lag-1 autocorrelation {phi_max:.2})")
    } else {
        String::new()
    };
    if cr.len() < need || sr.len() < need {
        return Err((
            Classification::TooFewSamples,
            format!(
                "too few samples (canary {}, stable {}; need {need}{window_note}{dropped_note})",
                cr.len(),
                sr.len()
            ),
        ));
    }
    // Window means of an AR(1) are still a little correlated; widen U's null variance by the
    // model's inflation for each side, weighted as the sides enter Var(U).
    let vif = if window > 1 {
        let (nc, ns) = (cr.len() as f64, sr.len() as f64);
        let (vc, vs) = (
            ar1_variance_inflation(phi_c, window, cr.len()),
            ar1_variance_inflation(phi_s, window, sr.len()),
        );
        (vc / nc + vs / ns) / (1.0 / nc + 1.0 / ns)
    } else {
        1.0
    };
    let test = |a: &[f64], b: &[f64]| {
        if vif > 1.0 {
            mann_whitney_inflated(a, b, vif)
        } else {
            mann_whitney(a, b)
        }
    };
    let internal = || {
        (
            Classification::NoData,
            "internal: test undefined".to_owned(),
        )
    };
    let forward = test(&cr, &sr).ok_or_else(internal)?;
    let p_bad = match spec.direction {
        Direction::Increase => forward.p_greater,
        Direction::Decrease => test(&sr, &cr).ok_or_else(internal)?.p_greater,
        Direction::Either => forward.p_value,
    };
    let shift = hodges_lehmann(&cr, &sr, 1.0 - alpha).ok_or_else(internal)?;
    let base = median(&sr).abs();
    let effect = (base > 0.0)
        .then(|| shift.estimate / base)
        .filter(|e| e.is_finite());
    let shift_positive = (shift.estimate != 0.0).then_some(shift.estimate > 0.0);
    Ok(Tested {
        p_bad,
        effect,
        shift_positive,
        note: format!("{window_note}{dropped_note}"),
    })
}

fn rate(spec: &MetricSpec, [ce, ct, se, st]: [f64; 4]) -> Result<Tested, Untested> {
    let forward = rate_test(ce, ct, se, st).ok_or_else(|| {
        (
            Classification::NoData,
            format!("no usable counts (canary {ce}/{ct}, stable {se}/{st})"),
        )
    })?;
    let need = spec.min_samples as f64;
    if ct < need || st < need {
        return Err((
            Classification::TooFewSamples,
            format!("too few events in the denominators (canary {ct}, stable {st}; need {need})"),
        ));
    }
    let p_less = || rate_test(se, st, ce, ct).map_or(1.0, |r| r.p_greater);
    let p_bad = match spec.direction {
        Direction::Increase => forward.p_greater,
        Direction::Decrease => p_less(),
        Direction::Either => (2.0 * forward.p_greater.min(p_less())).min(1.0),
    };
    let effect = forward.ratio - 1.0;
    Ok(Tested {
        p_bad,
        effect: Some(effect),
        shift_positive: (effect != 0.0).then_some(effect > 0.0),
        note: format!(", {}/{} vs {}/{}", ce, ct, se, st),
    })
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => v[n / 2 - 1] / 2.0 + v[n / 2] / 2.0,
    }
}

fn format_effect(e: f64) -> String {
    if e.is_infinite() {
        return if e > 0.0 {
            "up from zero".to_owned()
        } else {
            "down to zero".to_owned()
        };
    }
    let pct = e * 100.0;
    if pct.abs() >= 10.0 {
        format!("{pct:+.0}%")
    } else {
        format!("{pct:+.1}%")
    }
}

fn format_p(p: f64) -> String {
    if p < 1e-4 {
        "p<0.0001".to_owned()
    } else if p < 0.01 {
        format!("p={p:.4}")
    } else {
        format!("p={p:.2}")
    }
}

#[path = "stats/aggregate.rs"]
mod aggregate;
pub use aggregate::{Score, Thresholds, Verdict, score, score_weighted};

#[cfg(test)]
#[path = "stats/score_tests.rs"]
mod tests;
