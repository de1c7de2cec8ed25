//! Folding per-metric results into a score and a verdict (part of [`super`], the score module).

use super::{Classification, MetricResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Score at or above which the canary passes.
    pub pass: f64,
    /// Score at or above which (and below `pass`) the verdict is inconclusive ("marginal").
    pub marginal: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            pass: 95.0,
            marginal: 75.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// 0..=100.
    pub score: f64,
    /// Per group with at least one judged metric, in first-seen order: 0..=100.
    pub groups: Vec<(String, f64)>,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
}

/// [`score_weighted`] with every metric weighing 1.
pub fn score(results: &[MetricResult], thresholds: &Thresholds) -> Score {
    score_weighted(results, &[], thresholds)
}

/// Scores results with per-metric weights (`weights[i]` for `results[i]`; missing → 1,
/// negative or non-finite → 0). A group scores the weight share of its judged metrics that
/// passed (NoData and TooFewSamples are left out of the denominator, but named in the
/// reasons); groups count equally in the total, so a group with many metrics does not drown
/// one with few. A critical metric that failed makes the score 0 and the verdict Fail; a
/// critical metric that could not be judged keeps the verdict from Pass; no judged metric at
/// all is Inconclusive, never Pass.
pub fn score_weighted(results: &[MetricResult], weights: &[f64], thresholds: &Thresholds) -> Score {
    let weight = |i: usize| {
        weights
            .get(i)
            .copied()
            .map_or(1.0, |w| if w.is_finite() && w > 0.0 { w } else { 0.0 })
    };
    let mut reasons = Vec::new();
    // (group, judged weight, passed weight, judged count)
    let mut groups: Vec<(String, f64, f64, usize)> = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let at = match groups.iter().position(|g| g.0 == r.group) {
            Some(at) => at,
            None => {
                groups.push((r.group.clone(), 0.0, 0.0, 0));
                groups.len() - 1
            }
        };
        if r.classification.is_judged() {
            let g = &mut groups[at];
            g.1 += weight(i);
            g.3 += 1;
            if r.classification == Classification::Pass {
                g.2 += weight(i);
            }
        }
        if r.classification != Classification::Pass {
            reasons.push(r.reason.clone());
        }
    }
    let mut group_scores = Vec::new();
    for (name, judged, passed, count) in &groups {
        if *judged > 0.0 {
            group_scores.push((name.clone(), 100.0 * passed / judged));
        } else if *count > 0 {
            // Judged, but every judged metric weighs 0: informational only.
            reasons.push(format!("group {name}: only zero-weight metrics judged"));
        } else {
            reasons.push(format!("group {name}: no metric could be judged"));
        }
    }
    let critical_failed: Vec<&MetricResult> = results
        .iter()
        .filter(|r| {
            r.critical && matches!(r.classification, Classification::High | Classification::Low)
        })
        .collect();
    let critical_unjudged = results
        .iter()
        .any(|r| r.critical && !r.classification.is_judged());

    let (pass, marginal) = sane_thresholds(thresholds);
    let (score, verdict) = if !critical_failed.is_empty() {
        for r in &critical_failed {
            reasons.insert(0, format!("critical metric {} failed", r.name));
        }
        (0.0, Verdict::Fail)
    } else if group_scores.is_empty() {
        reasons.insert(0, "no metric could be judged".to_owned());
        (0.0, Verdict::Inconclusive)
    } else {
        let total = group_scores.iter().map(|g| g.1).sum::<f64>() / group_scores.len() as f64;
        let verdict = if total >= pass {
            if critical_unjudged {
                reasons.insert(
                    0,
                    format!("score {total:.1}, but a critical metric could not be judged"),
                );
                Verdict::Inconclusive
            } else {
                Verdict::Pass
            }
        } else if total >= marginal {
            reasons.insert(0, format!("score {total:.1} is marginal (pass at {pass})"));
            Verdict::Inconclusive
        } else {
            reasons.insert(0, format!("score {total:.1} is below {marginal}"));
            Verdict::Fail
        };
        (total, verdict)
    };
    Score {
        score,
        groups: group_scores,
        verdict,
        reasons,
    }
}

/// NaN thresholds fall back to the defaults, and marginal never exceeds pass.
fn sane_thresholds(t: &Thresholds) -> (f64, f64) {
    let d = Thresholds::default();
    let pass = if t.pass.is_nan() { d.pass } else { t.pass };
    let marginal = if t.marginal.is_nan() {
        d.marginal
    } else {
        t.marginal
    };
    (pass, marginal.min(pass))
}
