//! Comparing event rates (errors per request, restarts per pod-hour) between canary and stable.
//!
//! Conditional test: if the two counts are Poisson with rates λ·T, then given their sum N the
//! canary's count is Binomial(N, T_c / (T_c + T_s)) when λ_c = λ_s, whatever the common rate.
//! This is R's `poisson.test(c(x_c, x_s), c(T_c, T_s))` and is exact for small counts. For
//! binomial data (errors out of requests) the true conditional law is hypergeometric, narrower
//! than this binomial, so the test is conservative there: the false-positive rate stays ≤ α,
//! with slightly less power when error rates are large. Prometheus counts are often fractional
//! (`increase()` extrapolates), so the binomial tail is taken in its continuous form
//! P(X ≥ x) = I_p(x, N − x + 1), which equals the usual sum at integers.

use super::special::{beta_inc, normal_sf};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateTest {
    pub canary_rate: f64,
    pub stable_rate: f64,
    /// canary_rate / stable_rate; 1 when both are 0, +inf when only stable's is 0.
    pub ratio: f64,
    /// One-sided p-value for H1: canary rate > stable rate.
    pub p_greater: f64,
}

/// `None` when a count is negative or non-finite, or a total is not positive and finite.
pub fn rate_test(
    canary_events: f64,
    canary_total: f64,
    stable_events: f64,
    stable_total: f64,
) -> Option<RateTest> {
    let count_ok = |x: f64| x.is_finite() && x >= 0.0;
    let total_ok = |t: f64| t.is_finite() && t > 0.0;
    if !(count_ok(canary_events)
        && count_ok(stable_events)
        && total_ok(canary_total)
        && total_ok(stable_total))
    {
        return None;
    }
    let canary_rate = canary_events / canary_total;
    let stable_rate = stable_events / stable_total;
    let ratio = match (canary_rate > 0.0, stable_rate > 0.0) {
        (false, false) => 1.0,
        (true, false) => f64::INFINITY,
        _ => canary_rate / stable_rate,
    };
    let p0 = canary_total / (canary_total + stable_total);
    let p_greater = binomial_sf(canary_events, canary_events + stable_events, p0);
    Some(RateTest {
        canary_rate,
        stable_rate,
        ratio,
        p_greater,
    })
}

/// P(X ≥ x) for X ~ Binomial(n, p), continuous in x.
fn binomial_sf(x: f64, n: f64, p: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x > n {
        return 0.0;
    }
    match beta_inc(x, n - x + 1.0, p) {
        Some(tail) => tail.clamp(0.0, 1.0),
        None => {
            // Only for counts in the billions, where the normal approximation is excellent.
            let sd = (n * p * (1.0 - p)).sqrt();
            if sd > 0.0 {
                normal_sf((x - 0.5 - n * p) / sd)
            } else {
                0.0
            }
        }
    }
}
