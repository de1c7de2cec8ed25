//! Pure two-sample statistics for judging a canary against its stable version.
//!
//! Every function takes raw samples as scraped: NaN and ±inf are dropped (a scrape gap or a
//! division by a zero request count is not a measurement), empty inputs give `None`, and no
//! input panics. The rank tests follow R's `wilcox.test` so results can be checked against it:
//! exact null distribution when both sides have fewer than 50 values and there are no ties,
//! otherwise the normal approximation with tie-corrected variance and continuity correction
//! (R's defaults, `correct = TRUE`).

mod autocorr;
pub mod exact;
mod rate;
pub mod special;
#[cfg(test)]
mod tests;

pub use autocorr::{
    ar1_block_lag1, ar1_variance_inflation, ar1_window, effective_samples, lag1_autocorrelation,
};
pub use rate::{RateTest, rate_test};

use exact::UDistribution;
use special::{normal_quantile, normal_sf};
use std::cmp::Ordering;

/// Result of the Mann-Whitney U (Wilcoxon rank-sum) test of canary against stable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// Pairs (canary, stable) with canary > stable, ties counting ½; R's `W` for `wilcox.test(canary, stable)`.
    pub u: f64,
    /// Normal score of `u` with R's two-sided continuity correction; reported even when the
    /// p-values are exact, as a sign and size at a glance.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// One-sided p-value for H1: canary stochastically greater than stable.
    pub p_greater: f64,
    pub n_canary: usize,
    pub n_stable: usize,
}

/// Hodges-Lehmann shift of canary relative to stable with its distribution-free CI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    /// Median of all pairwise differences canary − stable.
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub confidence: f64,
}

/// Finite values only, with how many were dropped.
pub fn finite_only(xs: &[f64]) -> (Vec<f64>, usize) {
    let kept: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let dropped = xs.len() - kept.len();
    (kept, dropped)
}

/// Mann-Whitney U test of canary vs stable (R: `wilcox.test(canary, stable)`, exact when R
/// would be). `None` when either side has no finite value.
pub fn mann_whitney(canary: &[f64], stable: &[f64]) -> Option<MannWhitney> {
    mann_whitney_core(canary, stable, None)
}

/// Mann-Whitney with the null variance of U multiplied by `variance_inflation` (≥ 1), always
/// by the normal approximation: for samples that are still autocorrelated, whose U varies
/// more than the independent-sample formula says.
pub fn mann_whitney_inflated(
    canary: &[f64],
    stable: &[f64],
    variance_inflation: f64,
) -> Option<MannWhitney> {
    let vif = if variance_inflation.is_finite() {
        variance_inflation.max(1.0)
    } else {
        1.0
    };
    mann_whitney_core(canary, stable, Some(vif))
}

fn mann_whitney_core(
    canary: &[f64],
    stable: &[f64],
    inflation: Option<f64>,
) -> Option<MannWhitney> {
    let (c, _) = finite_only(canary);
    let (s, _) = finite_only(stable);
    if c.is_empty() || s.is_empty() {
        return None;
    }
    let (n1, n2) = (c.len(), s.len());
    let (m, n) = (n1 as f64, n2 as f64);
    let (canary_rank_sum, tie_term) = rank_sum(&c, &s);
    let u = canary_rank_sum - m * (m + 1.0) / 2.0;
    let mean = m * n / 2.0;
    let sigma = (null_variance(n1, n2, tie_term) * inflation.unwrap_or(1.0)).sqrt();
    let dz = u - mean;
    let z = if sigma > 0.0 {
        (dz - 0.5 * sign(dz)) / sigma
    } else {
        0.0
    };

    let exact = match inflation {
        Some(_) => None,
        None if tie_term == 0.0 => UDistribution::new(n1, n2),
        None => None,
    };
    let (p_value, p_greater) = match exact {
        Some(dist) => {
            let tail = if u > mean { dist.sf(u) } else { dist.cdf(u) };
            ((2.0 * tail).min(1.0), dist.sf(u))
        }
        // All values tied: no evidence either way (R gives NaN here).
        None if sigma <= 0.0 => (1.0, 1.0),
        None => {
            let two = 2.0 * normal_sf(z.abs());
            (two.min(1.0), normal_sf((dz - 0.5) / sigma))
        }
    };
    Some(MannWhitney {
        u,
        z,
        p_value,
        p_greater,
        n_canary: n1,
        n_stable: n2,
    })
}

fn sign(x: f64) -> f64 {
    match x.partial_cmp(&0.0) {
        Some(Ordering::Greater) => 1.0,
        Some(Ordering::Less) => -1.0,
        _ => 0.0,
    }
}

/// Var(U) under H0 with the tie correction Σ(t³ − t) over tie groups.
fn null_variance(n1: usize, n2: usize, tie_term: f64) -> f64 {
    let (m, n) = (n1 as f64, n2 as f64);
    let total = m + n;
    let ties = if total > 1.0 {
        tie_term / (total * (total - 1.0))
    } else {
        0.0
    };
    (m * n / 12.0) * ((total + 1.0) - ties)
}

/// Sum of the canary's mid-ranks in the pooled sample, and Σ(t³ − t) over tie groups.
fn rank_sum(c: &[f64], s: &[f64]) -> (f64, f64) {
    let mut pooled: Vec<(f64, bool)> = c
        .iter()
        .map(|&x| (x, true))
        .chain(s.iter().map(|&x| (x, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < pooled.len() {
        // == rather than total_cmp so that -0.0 and 0.0 tie, as in R.
        let j = i + pooled[i..]
            .iter()
            .take_while(|p| p.0 == pooled[i].0)
            .count();
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        let canaries = pooled[i..j].iter().filter(|p| p.1).count();
        rank_sum += mid_rank * canaries as f64;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        i = j.max(i + 1);
    }
    (rank_sum, tie_term)
}

/// Σ(t³ − t) over tie groups of one sorted sample.
fn tie_term_sorted(xs: &[f64]) -> f64 {
    xs.chunk_by(|a, b| a == b)
        .map(|g| g.len() as f64)
        .map(|t| t * t * t - t)
        .sum()
}

/// Hodges-Lehmann shift canary − stable with the Moses CI at `confidence` (e.g. 0.99): the
/// CI ends are order statistics of the pairwise differences picked by the exact U quantile
/// (no ties, both sides < 50; R's exact branch) or else by the normal approximation of that
/// quantile with continuity correction (R's `uniroot` branch, solved in closed form).
/// `None` for empty sides or a confidence outside (0, 1).
pub fn hodges_lehmann(canary: &[f64], stable: &[f64], confidence: f64) -> Option<Shift> {
    let (mut c, _) = finite_only(canary);
    let (mut s, _) = finite_only(stable);
    if c.is_empty() || s.is_empty() || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    c.sort_by(f64::total_cmp);
    s.sort_by(f64::total_cmp);
    let mn = c.len() * s.len();
    let estimate = if mn % 2 == 1 {
        kth_difference(&c, &s, mn / 2 + 1)
    } else {
        // Halves first so that two huge differences do not overflow.
        kth_difference(&c, &s, mn / 2) / 2.0 + kth_difference(&c, &s, mn / 2 + 1) / 2.0
    };
    let alpha = 1.0 - confidence;
    let (_, pooled_ties) = rank_sum(&c, &s);
    let k = match (pooled_ties == 0.0)
        .then(|| UDistribution::new(c.len(), s.len()))
        .flatten()
    {
        Some(dist) => dist.quantile(alpha / 2.0).max(1),
        None => {
            // Shifting canary by a generic d breaks ties between the sides but not within a
            // side, so only within-side ties shrink the variance at the CI ends.
            let tie_term = tie_term_sorted(&c) + tie_term_sorted(&s);
            let sigma = null_variance(c.len(), s.len(), tie_term).sqrt();
            let z = normal_quantile(1.0 - alpha / 2.0);
            let k = (mn as f64 / 2.0 - 0.5 - z * sigma).ceil();
            if k.is_finite() && k >= 1.0 {
                (k as usize).min(mn)
            } else {
                1
            }
        }
    };
    Some(Shift {
        estimate,
        low: kth_difference(&c, &s, k),
        high: kth_difference(&c, &s, mn + 1 - k),
        confidence,
    })
}

/// The k-th smallest (1-based) of the m·n differences x_i − y_j of two sorted samples, without
/// materialising them: bisection over the bit patterns of f64 (at most 64 steps), each counting
/// the differences ≤ d in O(m + n) with two pointers. Rounded subtraction is monotone in each
/// argument, so the count is exact for the differences as f64 computes them.
fn kth_difference(x: &[f64], y: &[f64], k: usize) -> f64 {
    let count_le = |d: f64| -> usize {
        let mut p = 0;
        let mut count = 0;
        for &xi in x {
            while p < y.len() && xi - y[p] > d {
                p += 1;
            }
            count += y.len() - p;
        }
        count
    };
    let (mut lo, mut hi) = (key(x[0] - y[y.len() - 1]), key(x[x.len() - 1] - y[0]));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if count_le(from_key(mid)) >= k {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    from_key(lo)
}

/// Maps f64 onto u64 preserving order (negative values flipped), so bisection can walk it.
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

fn from_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}
