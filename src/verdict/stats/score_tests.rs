//! Tests of the score module (kept beside the stats tests to keep score.rs short).

use super::*;

fn spec(name: &str, group: &str, kind: MetricKind) -> MetricSpec {
    MetricSpec::new(name, group, kind)
}

/// Deterministic, non-autocorrelated "noise": a scrambled sequence in [-0.5, 0.5).
fn noise(n: usize, salt: u64) -> Vec<f64> {
    (0..n as u64)
        .map(|i| {
            let mut x = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ salt.wrapping_mul(0xD1B5_4A32_D192_ED03);
            x ^= x >> 31;
            x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x ^= x >> 29;
            (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

fn around(center: f64, spread: f64, n: usize, salt: u64) -> Vec<f64> {
    noise(n, salt)
        .into_iter()
        .map(|e| center + spread * e)
        .collect()
}

#[test]
fn judge_metric_table() {
    let cont = |c: Vec<f64>, s: Vec<f64>| MetricInput::Continuous {
        canary: c,
        stable: s,
    };
    let latency = spec("p95 latency", "latency", MetricKind::Continuous);
    let mut throughput = spec("throughput", "traffic", MetricKind::Continuous);
    throughput.direction = Direction::Decrease;
    let mut either = spec("cpu", "resources", MetricKind::Continuous);
    either.direction = Direction::Either;
    let mut generous = latency.clone();
    generous.allowed_increase_pct = 60.0;
    let errors = spec("error rate", "errors", MetricKind::Rate);
    let rate = |ce, ct, se, st| MetricInput::Rate {
        canary_events: ce,
        canary_total: ct,
        stable_events: se,
        stable_total: st,
    };

    let table: Vec<(&str, &MetricSpec, MetricInput, Classification, &str)> = vec![
        (
            "same",
            &latency,
            cont(around(100.0, 20.0, 60, 1), around(100.0, 20.0, 60, 2)),
            Classification::Pass,
            "p95 latency ok",
        ),
        (
            "+40%",
            &latency,
            cont(around(140.0, 20.0, 60, 1), around(100.0, 20.0, 60, 2)),
            Classification::High,
            "p95 latency +4",
        ),
        (
            "faster is fine",
            &latency,
            cont(around(60.0, 20.0, 60, 1), around(100.0, 20.0, 60, 2)),
            Classification::Pass,
            "ok",
        ),
        (
            "within allowance",
            &generous,
            cont(around(140.0, 20.0, 60, 1), around(100.0, 20.0, 60, 2)),
            Classification::Pass,
            "ok (+",
        ),
        (
            "significant but +3%",
            &latency,
            cont(around(103.0, 2.0, 60, 1), around(100.0, 2.0, 60, 2)),
            Classification::Pass,
            "ok (+3.0%",
        ),
        (
            "throughput drop",
            &throughput,
            cont(around(50.0, 10.0, 40, 1), around(100.0, 10.0, 40, 2)),
            Classification::Low,
            "throughput -49% (p<0.0001)",
        ),
        (
            "either low",
            &either,
            cont(around(50.0, 10.0, 40, 1), around(100.0, 10.0, 40, 2)),
            Classification::Low,
            "cpu -",
        ),
        (
            "either high",
            &either,
            cont(around(150.0, 10.0, 40, 1), around(100.0, 10.0, 40, 2)),
            Classification::High,
            "cpu +",
        ),
        (
            "few",
            &latency,
            cont(around(140.0, 20.0, 10, 1), around(100.0, 20.0, 60, 2)),
            Classification::TooFewSamples,
            "canary 10",
        ),
        (
            "nan only",
            &latency,
            cont(vec![f64::NAN; 30], around(100.0, 20.0, 60, 2)),
            Classification::NoData,
            "30 NaN/inf dropped",
        ),
        (
            "missing",
            &latency,
            MetricInput::Missing {
                reason: "query returned nothing".into(),
            },
            Classification::NoData,
            "query returned nothing",
        ),
        (
            "errors 3x",
            &errors,
            rate(60.0, 10_000.0, 20.0, 10_000.0),
            Classification::High,
            "error rate +200%",
        ),
        (
            "errors same",
            &errors,
            rate(21.0, 10_000.0, 20.0, 10_000.0),
            Classification::Pass,
            "ok",
        ),
        (
            "errors from zero",
            &errors,
            rate(12.0, 10_000.0, 0.0, 10_000.0),
            Classification::High,
            "up from zero",
        ),
        (
            "no errors",
            &errors,
            rate(0.0, 10_000.0, 0.0, 10_000.0),
            Classification::Pass,
            "ok (+0.0%",
        ),
        (
            "no traffic",
            &errors,
            rate(0.0, 0.0, 3.0, 100.0),
            Classification::NoData,
            "no usable counts",
        ),
        (
            "little traffic",
            &errors,
            rate(1.0, 5.0, 0.0, 100.0),
            Classification::TooFewSamples,
            "too few",
        ),
    ];
    for (label, spec, input, want, reason) in table {
        let r = judge_metric(spec, &input, 0.01);
        assert_eq!(r.classification, want, "{label}: {r:?}");
        assert!(
            r.reason.contains(reason),
            "{label}: reason {:?} lacks {reason:?}",
            r.reason
        );
        assert_eq!(
            (r.name.as_str(), r.group.as_str()),
            (spec.name.as_str(), spec.group.as_str())
        );
        if want.is_judged() {
            assert!(
                r.p_value.is_some_and(|p| (0.0..=1.0).contains(&p)),
                "{label}: {r:?}"
            );
        }
    }
}

#[test]
fn autocorrelated_series_are_averaged_and_may_be_too_short() {
    // A slow random walk-like AR(1) (φ ≈ 0.9) on both sides, same level: 120 scrapes hold far
    // fewer than 20 independent observations, so the metric is not judged rather than
    // judged on fake evidence.
    let ar = |salt| {
        let mut x = 0.0;
        noise(120, salt)
            .into_iter()
            .map(|e| {
                x = 0.9 * x + e;
                100.0 + 10.0 * x
            })
            .collect::<Vec<_>>()
    };
    let r = judge_metric(
        &spec("cpu", "res", MetricKind::Continuous),
        &MetricInput::Continuous {
            canary: ar(7),
            stable: ar(8),
        },
        0.01,
    );
    assert_eq!(r.classification, Classification::TooFewSamples, "{r:?}");
    assert!(r.reason.contains("means of"), "{}", r.reason);
}

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

#[test]
fn score_table() {
    use Classification::*;
    let t = Thresholds::default();
    let cases: Vec<(&str, Vec<MetricResult>, f64, Verdict)> = vec![
        (
            "all pass",
            vec![
                result("a", "g1", Pass, false),
                result("b", "g2", Pass, true),
            ],
            100.0,
            Verdict::Pass,
        ),
        (
            "no data only",
            vec![
                result("a", "g1", NoData, false),
                result("b", "g1", TooFewSamples, false),
            ],
            0.0,
            Verdict::Inconclusive,
        ),
        ("nothing", vec![], 0.0, Verdict::Inconclusive),
        (
            "critical high",
            vec![
                result("a", "g1", Pass, false),
                result("b", "g2", High, true),
            ],
            0.0,
            Verdict::Fail,
        ),
        // g1: 3 of 4 pass (75); g2: 1 of 1 (100); mean 87.5.
        (
            "marginal",
            vec![
                result("a", "g1", Pass, false),
                result("b", "g1", Pass, false),
                result("c", "g1", Pass, false),
                result("d", "g1", High, false),
                result("e", "g2", Pass, false),
            ],
            87.5,
            Verdict::Inconclusive,
        ),
        (
            "fail",
            vec![
                result("a", "g1", High, false),
                result("b", "g1", Pass, false),
                result("c", "g2", Low, false),
            ],
            25.0,
            Verdict::Fail,
        ),
        // NoData leaves the denominator: 100, and the reason is reported.
        (
            "no data excluded",
            vec![
                result("a", "g1", Pass, false),
                result("b", "g1", NoData, false),
            ],
            100.0,
            Verdict::Pass,
        ),
        (
            "critical unjudged",
            vec![
                result("a", "g1", Pass, false),
                result("b", "g1", NoData, true),
            ],
            100.0,
            Verdict::Inconclusive,
        ),
    ];
    for (label, results, want_score, want_verdict) in cases {
        let s = score(&results, &t);
        assert!((s.score - want_score).abs() < 1e-9, "{label}: {s:?}");
        assert_eq!(s.verdict, want_verdict, "{label}: {s:?}");
        for r in results.iter().filter(|r| r.classification != Pass) {
            assert!(
                s.reasons.iter().any(|x| x == &r.reason),
                "{label}: {:?} lacks {:?}",
                s.reasons,
                r.reason
            );
        }
    }
}

#[test]
fn weights_and_groups() {
    use Classification::*;
    let rs = [
        result("a", "g1", Pass, false),
        result("b", "g1", High, false),
        result("c", "g2", Pass, false),
        result("d", "g3", NoData, false),
    ];
    let s = score_weighted(&rs, &[3.0, 1.0, f64::NAN], &Thresholds::default());
    // g1 = 75; g2's only metric weighs 0 (NaN) so g2 is informational; g3 has no data.
    assert_eq!(s.groups, vec![("g1".to_owned(), 75.0)]);
    assert_eq!(s.verdict, Verdict::Inconclusive);
    assert!(
        s.reasons.iter().any(|r| r.contains("g3: no metric")),
        "{:?}",
        s.reasons
    );
    let nan_thresholds = Thresholds {
        pass: f64::NAN,
        marginal: f64::NAN,
    };
    // Defaults apply: unweighted (50 + 100) / 2 = 75 is exactly marginal.
    let s = score(&rs, &nan_thresholds);
    assert_eq!((s.score, s.verdict), (75.0, Verdict::Inconclusive));
}
