//! Reference values from R 4.2.2 (`wilcox.test`, `poisson.test`, `binom.test`, `pbeta`),
//! printed with `sprintf("%.15g", ...)`. The generator is in the comment of each table.

use super::exact::UDistribution;
use super::special::{normal_cdf, normal_quantile};
use super::*;

/// A fixed sample pair with what R says about it.
struct Case {
    name: &'static str,
    canary: Vec<f64>,
    stable: Vec<f64>,
    /// `wilcox.test(canary, stable)$statistic`
    w: f64,
    /// `wilcox.test(canary, stable)$p.value` (R's default: exact when n < 50 a side and no ties)
    p_default: f64,
    /// `wilcox.test(canary, stable, alternative = "greater")$p.value`
    p_greater_default: f64,
    /// `wilcox.test(canary, stable, exact = FALSE, correct = TRUE)$p.value` and `"greater"`
    p_normal: (f64, f64),
    /// `median(outer(canary, stable, "-"))`
    hl: f64,
    /// `wilcox.test(canary, stable, conf.int = TRUE, conf.level = 0.95 / 0.99)$conf.int`
    ci95: (f64, f64),
    ci99: (f64, f64),
    /// Whether R took the exact branch (so its CI ends are order statistics, not `uniroot`s).
    exact: bool,
}

fn cases() -> Vec<Case> {
    let seq = |n: usize, f: &dyn Fn(f64) -> f64| (1..=n).map(|i| f(i as f64)).collect::<Vec<_>>();
    vec![
        Case {
            name: "A: no ties, n = 8 vs 7 (exact)",
            canary: vec![12.1, 14.3, 11.8, 15.2, 13.9, 16.4, 12.7, 14.8],
            stable: vec![11.2, 12.0, 10.9, 13.1, 11.5, 12.4, 10.7],
            w: 50.0,
            p_default: 0.00932400932400932,
            p_greater_default: 0.00466200466200466,
            p_normal: (0.0128412623372195, 0.00642063116860977),
            hl: 2.2,
            ci95: (0.600000000000001, 3.9),
            ci99: (0.0999999999999996, 4.3),
            exact: true,
        },
        Case {
            name: "B: ties, n = 9 vs 7 (normal, tie-corrected)",
            canary: vec![3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 6.0, 8.0, 9.0],
            stable: vec![2.0, 3.0, 3.0, 4.0, 5.0, 5.0, 7.0],
            w: 46.0,
            p_default: 0.133701125808964,
            p_greater_default: 0.0668505629044819,
            p_normal: (0.133701125808964, 0.0668505629044819),
            hl: 1.0,
            ci95: (-0.999975536800592, 3.99996810327252),
            ci99: (-1.00004474733973, 4.99998614712392),
            exact: false,
        },
        Case {
            // C_c <- 100 + 10*sin((1:60)*1.7) + (1:60)*0.05; C_s <- 98 + 10*cos((1:45)*2.3)
            name: "C: no ties, n = 60 vs 45 (normal)",
            canary: seq(60, &|i| 100.0 + 10.0 * (i * 1.7).sin() + i * 0.05),
            stable: seq(45, &|i| 98.0 + 10.0 * (i * 2.3).cos()),
            w: 1786.0,
            p_default: 0.00480286452281453,
            p_greater_default: 0.00240143226140727,
            p_normal: (0.00480286452281453, 0.00240143226140727),
            hl: 3.81079718278177,
            ci95: (1.37922530132562, 6.38827822284487),
            ci99: (0.442015009983222, 7.50886649687935),
            exact: false,
        },
        Case {
            // D_c <- round(50 + 20*sin((1:80)*0.9)); D_s <- round(48 + 20*sin((1:70)*1.3+0.5))
            name: "D: heavy ties, n = 80 vs 70",
            canary: seq(80, &|i| (50.0 + 20.0 * (i * 0.9).sin()).round()),
            stable: seq(70, &|i| (48.0 + 20.0 * (i * 1.3 + 0.5).sin()).round()),
            w: 3148.0,
            p_default: 0.190079498171758,
            p_greater_default: 0.0950397490858789,
            p_normal: (0.190079498171758, 0.0950397490858789),
            hl: 2.0,
            ci95: (-1.00003368035568, 6.00004601344154),
            ci99: (-3.00000369819015, 7.999990886133),
            exact: false,
        },
        Case {
            name: "E: tiny, n = 3 vs 5 (exact)",
            canary: vec![5.5, 7.1, 6.3],
            stable: vec![4.2, 5.9, 3.8, 4.9, 5.1],
            w: 14.0,
            p_default: 0.0714285714285714,
            p_greater_default: 0.0357142857142857,
            p_normal: (0.0736382701203027, 0.0368191350601513),
            hl: 1.4,
            ci95: (-0.4, 3.3),
            ci99: (-0.4, 3.3),
            exact: true,
        },
        Case {
            name: "F: no difference, n = 25 vs 20 (exact)",
            canary: vec![
                0.21, 0.35, 0.18, 0.42, 0.27, 0.31, 0.24, 0.39, 0.22, 0.30, 0.26, 0.33, 0.19, 0.28,
                0.37, 0.25, 0.29, 0.34, 0.23, 0.32, 0.36, 0.20, 0.40, 0.38, 0.41,
            ],
            stable: vec![
                0.205, 0.345, 0.185, 0.415, 0.275, 0.305, 0.245, 0.385, 0.225, 0.295, 0.265, 0.335,
                0.195, 0.285, 0.365, 0.255, 0.291, 0.343, 0.233, 0.327,
            ],
            w: 272.0,
            p_default: 0.626653403568196,
            p_greater_default: 0.313326701784098,
            p_normal: (0.623359535667173, 0.311679767833587),
            hl: 0.015,
            ci95: (-0.035, 0.055),
            ci99: (-0.045, 0.075),
            exact: true,
        },
    ]
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, R says {want} (tol {tol})"
    );
}

#[test]
fn mann_whitney_matches_r_default() {
    for c in cases() {
        let mw = mann_whitney(&c.canary, &c.stable).unwrap();
        close(mw.u, c.w, 1e-9, &format!("{} W", c.name));
        // Exact and normal-with-ties p-values are both computed to near machine precision.
        close(mw.p_value, c.p_default, 1e-9, &format!("{} p", c.name));
        close(
            mw.p_greater,
            c.p_greater_default,
            1e-9,
            &format!("{} p greater", c.name),
        );
        assert_eq!((mw.n_canary, mw.n_stable), (c.canary.len(), c.stable.len()));
    }
}

#[test]
fn forced_normal_matches_r_exact_false() {
    for c in cases() {
        let mw = mann_whitney_inflated(&c.canary, &c.stable, 1.0).unwrap();
        close(
            mw.p_value,
            c.p_normal.0,
            1e-9,
            &format!("{} normal p", c.name),
        );
        close(
            mw.p_greater,
            c.p_normal.1,
            1e-9,
            &format!("{} normal p greater", c.name),
        );
    }
}

#[test]
fn hodges_lehmann_matches_r() {
    for c in cases() {
        for (confidence, (lo, hi)) in [(0.95, c.ci95), (0.99, c.ci99)] {
            let s = hodges_lehmann(&c.canary, &c.stable, confidence).unwrap();
            close(s.estimate, c.hl, 1e-9, &format!("{} estimate", c.name));
            // R's normal-branch ends come from uniroot(tol = 1e-4) on a step function: they
            // sit within ~1e-4 of the order statistic we return exactly.
            let tol = if c.exact { 1e-9 } else { 2e-4 };
            close(s.low, lo, tol, &format!("{} {confidence} low", c.name));
            close(s.high, hi, tol, &format!("{} {confidence} high", c.name));
            assert_eq!(s.confidence, confidence);
        }
    }
}

#[test]
fn inflating_the_variance_weakens_the_evidence() {
    let c = &cases()[2];
    let plain = mann_whitney_inflated(&c.canary, &c.stable, 1.0).unwrap();
    let wide = mann_whitney_inflated(&c.canary, &c.stable, 4.0).unwrap();
    close(wide.u, plain.u, 0.0, "U unchanged");
    close(
        wide.z,
        plain.z / 2.0,
        1e-12,
        "z halves when the variance quadruples",
    );
    assert!(wide.p_value > 10.0 * plain.p_value);
}

#[test]
fn degenerate_inputs_do_not_panic() {
    let nan = f64::NAN;
    assert!(mann_whitney(&[], &[1.0]).is_none());
    assert!(mann_whitney(&[nan, f64::INFINITY], &[1.0]).is_none());
    assert!(hodges_lehmann(&[1.0], &[], 0.95).is_none());
    assert!(hodges_lehmann(&[1.0], &[2.0], nan).is_none());
    assert!(hodges_lehmann(&[1.0], &[2.0], 1.0).is_none());
    // All tied: R gives NaN; no evidence either way here.
    let mw = mann_whitney(&[5.0; 30], &[5.0; 60]).unwrap();
    assert_eq!((mw.u, mw.p_value, mw.p_greater), (900.0, 1.0, 1.0));
    // NaNs are dropped, so the result equals the clean one.
    let clean = mann_whitney(&[1.0, 2.0, 3.0], &[0.5, 1.5]).unwrap();
    let dirty = mann_whitney(&[1.0, nan, 2.0, 3.0, f64::NEG_INFINITY], &[0.5, nan, 1.5]).unwrap();
    assert_eq!(clean, dirty);
    // Extremes that overflow a subtraction still give an ordered, NaN-free interval.
    let s = hodges_lehmann(&[f64::MAX, -f64::MAX, 0.0], &[-f64::MAX, 1.0], 0.9).unwrap();
    assert!(
        !s.estimate.is_nan() && s.low <= s.estimate && s.estimate <= s.high,
        "{s:?}"
    );
    let one = hodges_lehmann(&[3.0], &[1.0], 0.95).unwrap();
    assert_eq!((one.estimate, one.low, one.high), (2.0, 2.0, 2.0));
}

#[test]
fn kth_difference_equals_sorting_all_pairs() {
    let x: Vec<f64> = (0..37)
        .map(|i| ((i * 7919) % 101) as f64 * 0.37 - 5.0)
        .collect();
    let y: Vec<f64> = (0..23)
        .map(|i| ((i * 104_729) % 89) as f64 * 0.51 - 9.0)
        .collect();
    let (mut xs, mut ys) = (x.clone(), y.clone());
    xs.sort_by(f64::total_cmp);
    ys.sort_by(f64::total_cmp);
    let mut all: Vec<f64> = x
        .iter()
        .flat_map(|a| y.iter().map(move |b| a - b))
        .collect();
    all.sort_by(f64::total_cmp);
    for k in [1, 2, 100, 425, 426, 850, all.len()] {
        assert_eq!(kth_difference(&xs, &ys, k), all[k - 1], "k = {k}");
    }
}

#[test]
fn exact_distribution_matches_r() {
    // pwilcox(10, 8, 7); qwilcox(0.025, 8, 7); pwilcox(100, 20, 25)
    let d = UDistribution::new(8, 7).unwrap();
    close(d.cdf(10.0), 0.02004662004662, 1e-12, "pwilcox(10, 8, 7)");
    assert_eq!(d.quantile(0.025), 11);
    close(
        UDistribution::new(20, 25).unwrap().cdf(100.0),
        0.000203943958490669,
        1e-15,
        "pwilcox(100, 20, 25)",
    );
    // The largest exact case still sums to one (counts are exact i128).
    let big = UDistribution::new(49, 49).unwrap();
    close(big.cdf(2401.0), 1.0, 1e-15, "total");
    close(big.cdf(1200.0) + big.sf(1201.0), 1.0, 1e-15, "cdf + sf");
    assert!(UDistribution::new(50, 3).is_none());
}

#[test]
fn normal_functions_match_r() {
    // pnorm(-3); pnorm(1.5); pnorm(-8); qnorm(0.995); qnorm(0.001)
    close(normal_cdf(-3.0), 0.00134989803163009, 1e-15, "pnorm(-3)");
    close(normal_cdf(1.5), 0.933192798731142, 1e-14, "pnorm(1.5)");
    close(
        normal_cdf(-8.0) / 6.22096057427178e-16,
        1.0,
        1e-10,
        "pnorm(-8) relative",
    );
    close(
        normal_quantile(0.995),
        2.5758293035489,
        1e-12,
        "qnorm(0.995)",
    );
    close(
        normal_quantile(0.001),
        -3.09023230616781,
        1e-12,
        "qnorm(0.001)",
    );
}

#[test]
fn rate_test_matches_r() {
    // poisson.test(c(x_c, x_s), c(T_c, T_s), alternative = "greater")$p.value, which is
    // binom.test(x_c, x_c + x_s, T_c / (T_c + T_s), alternative = "greater").
    let table = [
        (12.0, 1000.0, 4.0, 1000.0, 0.0384063720703125),
        (3.0, 500.0, 0.0, 800.0, 0.0568957669549386),
        (0.0, 100.0, 5.0, 100.0, 1.0),
        (30.0, 10000.0, 10.0, 12000.0, 0.000142076438707858),
        (40.0, 5000.0, 38.0, 5200.0, 0.387112919501972),
        (150.0, 20000.0, 40.0, 20000.0, 1.79306784338836e-16),
        // binom.test(7, 9, 0.5, alternative = "greater")
        (7.0, 1.0, 2.0, 1.0, 0.08984375),
        // fractional counts (Prometheus increase()): pbeta(0.5, 12.5, 16.5 - 12.5 + 1)
        (12.5, 1000.0, 4.0, 1000.0, 0.0307438500588776),
    ];
    for (ce, ct, se, st, want) in table {
        let r = rate_test(ce, ct, se, st).unwrap();
        // Relative, since the far tail matters as much as the bulk.
        let tol = 1e-9 * f64::max(want, 1e-300);
        close(
            r.p_greater,
            want,
            tol,
            &format!("rate {ce}/{ct} vs {se}/{st}"),
        );
        close(r.canary_rate, ce / ct, 0.0, "canary rate");
    }
}

#[test]
fn rate_test_edges() {
    let r = rate_test(0.0, 100.0, 0.0, 100.0).unwrap();
    assert_eq!((r.ratio, r.p_greater), (1.0, 1.0));
    let r = rate_test(5.0, 100.0, 0.0, 100.0).unwrap();
    assert_eq!(r.ratio, f64::INFINITY);
    close(
        r.p_greater,
        0.5f64.powi(5),
        1e-15,
        "all five events on the canary",
    );
    close(
        rate_test(10.0, 100.0, 5.0, 100.0).unwrap().ratio,
        2.0,
        1e-15,
        "ratio",
    );
    for bad in [
        (-1.0, 1.0, 1.0, 1.0),
        (1.0, 0.0, 1.0, 1.0),
        (f64::NAN, 1.0, 1.0, 1.0),
        (1.0, 1.0, 1.0, f64::INFINITY),
    ] {
        assert!(rate_test(bad.0, bad.1, bad.2, bad.3).is_none(), "{bad:?}");
    }
    // Huge counts go through the continued fraction (or its normal fallback) without hanging.
    let r = rate_test(1.0e9, 1.0e12, 1.0e9, 1.0e12).unwrap();
    assert!(r.p_greater > 0.4 && r.p_greater < 0.6, "{r:?}");
}

#[test]
fn autocorrelation_and_windows() {
    assert_eq!(
        effective_samples(&[1.0, 3.0, 5.0, 7.0, 9.0], 2),
        vec![2.0, 6.0]
    );
    assert_eq!(effective_samples(&[1.0, f64::NAN, 3.0], 0), vec![1.0, 3.0]);
    assert!(effective_samples(&[1.0], 5).is_empty());
    assert_eq!(lag1_autocorrelation(&[1.0, 1.0, 1.0, 1.0]), None);
    assert_eq!(lag1_autocorrelation(&[1.0, 2.0]), None);
    // acf(c(1, 2, 3, 4, 5, 6), plot = FALSE)$acf[2] == 0.5
    close(
        lag1_autocorrelation(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap(),
        0.5,
        1e-12,
        "acf trend",
    );
    close(
        lag1_autocorrelation(&[1.0, -1.0, 1.0, -1.0, 1.0, -1.0]).unwrap(),
        -5.0 / 6.0,
        1e-12,
        "acf alternating",
    );
    assert_eq!(ar1_window(0.0), 1);
    assert_eq!(ar1_window(0.8), 9);
    assert_eq!(ar1_window(f64::NAN), 1);
    assert_eq!(ar1_variance_inflation(0.0, 9, 20), 1.0);
    // Window means of φ = 0.8 at w = 9 keep ρ ≈ 0.32: check the closed form against the
    // brute-force double sum of φ^|i−j| over two adjacent windows.
    let (phi, w) = (0.8_f64, 9_i32);
    let cov = |off: i32| -> f64 {
        (0..w)
            .flat_map(|i| (0..w).map(move |j| phi.powi((i - j - off).abs())))
            .sum()
    };
    close(
        ar1_block_lag1(phi, 9),
        cov(w) / cov(0),
        1e-12,
        "block lag-1",
    );
    close(ar1_block_lag1(phi, 9), 0.3233, 1e-4, "block lag-1 value");
    // w = 1 is the series itself: ρ_B(1) = φ.
    close(ar1_block_lag1(0.5, 1), 0.5, 1e-12, "w = 1");
    // And for B → ∞ the inflation of the raw series tends to (1 + φ) / (1 − φ).
    close(
        ar1_variance_inflation(0.5, 1, 1_000_000),
        3.0,
        1e-4,
        "raw AR(1) inflation",
    );
}
