//! Rules about what the canary did to its surroundings and what analysis measured:
//! dependencies, analysis errors and regressions.

use super::attribution::{sidecar_symptom, stable_absence_proven};
use super::signals::*;
use super::workload::images_of;
use super::{Finding, boost};
use crate::diagnosis::{Action, Category};
use crate::evidence::*;

pub fn dependency_failure(ev: &Evidence) -> Option<Finding> {
    let hits: Vec<&LogFinding> = canary_logs_matching(ev, &DEPENDENCY)
        .into_iter()
        .filter(|f| !sidecar_symptom(ev, f))
        .collect();
    let events: Vec<&EventFact> = canary_events(ev)
        .filter(|e| {
            e.reason.as_deref() != Some("Unhealthy")
                && e.message.as_deref().is_some_and(|m| DEPENDENCY.is_match(m))
        })
        .collect();
    let first = hits.first()?;
    let target = hits.iter().find_map(|f| dependency_target(&f.example));
    // "while the stable version can" needs a stable sample in which the line would show.
    let proven_contrast = hits
        .iter()
        .any(|f| stable_absence_proven(ev, f) || f.class == LogClass::MoreFrequentInCanary);
    let consequence = canary_troubled(ev) || failed_metrics(ev).next().is_some();
    // A dependency error the process died of is no background noise.
    let fatal = hits
        .iter()
        .any(|f| f.previous || f.level == LogLevel::Fatal);
    let base = match (proven_contrast, consequence) {
        (true, true) => 0.85,
        (true, false) => 0.65,
        (false, true) if fatal => 0.6,
        // Unproven: the line may be noise the stable version shares; what was measured or
        // what the kubelet saw decides, the dependency stays an alternative.
        (false, true) => 0.45,
        (false, false) => 0.4,
    };
    let mut ids: Vec<String> = hits.iter().take(2).map(|f| f.id.clone()).collect();
    ids.extend(events.iter().take(1).map(|e| e.id.clone()));
    ids.extend(failed_metrics(ev).take(1).map(|(_, m)| m.id.clone()));
    Some(Finding {
        category: Category::DependencyFailure,
        confidence: boost(base, usize::from(hits.len() > 1)),
        rule: "canary-cannot-reach-dependency",
        summary: format!(
            "The canary cannot reach {}{}: {}",
            target.as_deref().unwrap_or("a dependency"),
            if proven_contrast {
                " while the stable version can"
            } else {
                ""
            },
            first.example.chars().take(160).collect::<String>()
        ),
        evidence: ids,
        action: Action::CheckDependency { target },
    })
}

/// Unsuccessful, non-dry-run metrics with their run.
pub(super) fn failed_metrics(
    ev: &Evidence,
) -> impl Iterator<Item = (&AnalysisRunFacts, &MetricFacts)> {
    ev.analysis
        .iter()
        .flat_map(|r| r.metrics.iter().map(move |m| (r, m)))
        .filter(|(_, m)| {
            !m.dry_run && matches!(m.phase.as_str(), "Failed" | "Error" | "Inconclusive")
        })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum MetricOutcome {
    /// The provider answered with values that violate the conditions.
    Regression,
    /// The provider could not answer: errors, NaN, empty results.
    CouldNotMeasure,
    Inconclusive,
}

fn judge(m: &MetricFacts) -> MetricOutcome {
    let errored =
        m.phase == "Error" || m.measurements.iter().any(|x| x.phase == "Error") && m.failed == 0;
    let judged: Vec<&MeasurementFact> = m
        .measurements
        .iter()
        .filter(|x| matches!(x.phase.as_str(), "Failed" | "Inconclusive"))
        .collect();
    let all_empty = !judged.is_empty() && judged.iter().all(|x| is_empty_or_nan(x.value.as_deref()))
        // The Job provider reports no value: a failed Job is a verdict, not a broken query.
        && m.provider != "job";
    if errored || all_empty {
        MetricOutcome::CouldNotMeasure
    } else if m.phase == "Inconclusive" {
        MetricOutcome::Inconclusive
    } else {
        MetricOutcome::Regression
    }
}

/// The metric the abort message names decided the outcome; others are context.
fn named_in_abort(ev: &Evidence, run: &AnalysisRunFacts, m: &MetricFacts) -> bool {
    // The controller writes both `metric "x"` and `Metric "x"` depending on the outcome.
    let needle = format!("metric \"{}\"", m.name.to_lowercase());
    let names = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|s| s.to_lowercase().contains(&needle))
    };
    names(&ev.incident.message) || names(&run.message)
}

fn metric_finding(
    ev: &Evidence,
    want: MetricOutcome,
) -> Option<(&AnalysisRunFacts, &MetricFacts, usize)> {
    let mut matching: Vec<_> = failed_metrics(ev)
        .filter(|(_, m)| judge(m) == want)
        .collect();
    let n = matching.len();
    matching.sort_by_key(|(r, m)| !named_in_abort(ev, r, m));
    matching.first().map(|(r, m)| (*r, *m, n))
}

pub fn analysis_error(ev: &Evidence) -> Option<Finding> {
    let (run, m, n) = metric_finding(ev, MetricOutcome::CouldNotMeasure)?;
    let decided = named_in_abort(ev, run, m) || run.phase == "Error";
    let base = match (decided, canary_troubled(ev)) {
        (_, true) => 0.45,
        (true, false) => 0.88,
        (false, false) => 0.7,
    };
    let mut ids = vec![m.id.clone(), run.id.clone()];
    ids.extend(
        canary_pods(ev)
            .filter(|p| p.ready)
            .take(1)
            .map(|p| p.containers.first().map_or(p.id.clone(), |c| c.id.clone())),
    );
    let why = m
        .measurements
        .iter()
        .rev()
        .find_map(|x| x.message.clone())
        .or_else(|| m.message.clone())
        .unwrap_or_else(|| {
            format!(
                "values {}",
                m.measurements
                    .iter()
                    .filter_map(|x| x.value.as_deref())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    Some(Finding {
        category: Category::AnalysisError,
        confidence: boost(base, n - 1),
        rule: "analysis-could-not-measure",
        summary: format!(
            "Analysis metric {} ({}) could not measure the canary: {}",
            m.name,
            m.provider,
            why.chars().take(200).collect::<String>()
        ),
        evidence: ids,
        action: Action::FixAnalysisQuery {
            analysis_run: run.name.clone(),
            metric: m.name.clone(),
            provider: m.provider.clone(),
            query: m.query.clone(),
        },
    })
}

pub fn metric_regression(ev: &Evidence) -> Option<Finding> {
    let (run, m, n, inconclusive) = match metric_finding(ev, MetricOutcome::Regression) {
        Some((r, m, n)) => (r, m, n, false),
        None => {
            let (r, m, n) = metric_finding(ev, MetricOutcome::Inconclusive)?;
            (r, m, n, true)
        }
    };
    let base = match (inconclusive, canary_troubled(ev)) {
        (true, _) => 0.45,
        (false, true) => 0.55,
        (false, false) => 0.85,
    };
    let only_image_changed =
        !ev.spec_diff.changes.is_empty() && ev.spec_diff.changes.iter().all(|c| c.field == "image");
    let mut ids = vec![m.id.clone(), run.id.clone()];
    let image_change = ev.spec_diff.changes.iter().find(|c| c.field == "image");
    ids.extend(image_change.map(|c| c.id.clone()));
    let values: Vec<&str> = m
        .measurements
        .iter()
        .filter(|x| x.phase == "Failed")
        .filter_map(|x| x.value.as_deref())
        .collect();
    let action = if only_image_changed {
        let container = image_change.and_then(|c| c.container.clone());
        let (canary_image, stable_image) = images_of(ev, container.as_deref());
        Action::RevertImage {
            container: container.unwrap_or_default(),
            canary_image,
            stable_image,
        }
    } else {
        Action::InvestigateRegression {
            analysis_run: run.name.clone(),
            metric: m.name.clone(),
        }
    };
    Some(Finding {
        category: Category::MetricRegression,
        confidence: boost(base, usize::from(named_in_abort(ev, run, m)) + n - 1),
        rule: if inconclusive {
            "analysis-inconclusive"
        } else {
            "analysis-measured-regression"
        },
        summary: format!(
            "Analysis metric {} ({}) {} on the canary{}{}",
            m.name,
            m.provider,
            if inconclusive {
                "was inconclusive"
            } else {
                "failed"
            },
            if values.is_empty() {
                String::new()
            } else {
                format!(" with values {}", values.join(", "))
            },
            m.success_condition
                .as_deref()
                .map(|c| format!(" (success requires {c})"))
                .unwrap_or_default()
        ),
        evidence: ids,
        action,
    })
}
