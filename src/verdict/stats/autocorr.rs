//! Autocorrelation handling. Per-scrape samples of a latency or CPU series are strongly
//! autocorrelated (a slow minute spans several scrapes), so n scrapes carry far fewer than n
//! independent observations and a rank test on them rejects far too often. The cure here:
//! average non-overlapping windows about as long as the correlation time (each window mean is
//! roughly one independent observation), and account for what correlation remains, under an
//! AR(1) model fitted by the lag-1 autocorrelation.

use super::finite_only;

/// Means of consecutive non-overlapping windows of `window` finite samples (0 counts as 1).
/// A trailing partial window is dropped: its mean would have a different variance.
pub fn effective_samples(series: &[f64], window: usize) -> Vec<f64> {
    let (xs, _) = finite_only(series);
    let w = window.max(1);
    // Dividing before adding keeps means of values near f64::MAX finite.
    xs.chunks_exact(w)
        .map(|chunk| chunk.iter().map(|x| x / w as f64).sum())
        .collect()
}

/// Sample lag-1 autocorrelation of the finite values, in [-1, 1]; `None` below 3 values or
/// for a constant series.
pub fn lag1_autocorrelation(series: &[f64]) -> Option<f64> {
    let (xs, _) = finite_only(series);
    if xs.len() < 3 {
        return None;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().map(|x| x / n).sum::<f64>();
    let dev: Vec<f64> = xs.iter().map(|x| x - mean).collect();
    let denom: f64 = dev.iter().map(|d| d * d).sum();
    let num: f64 = dev.windows(2).map(|w| w[0] * w[1]).sum();
    let r = num / denom;
    (denom > 0.0 && r.is_finite()).then(|| r.clamp(-1.0, 1.0))
}

/// Window over which an AR(1) series with coefficient `phi` averages to about one independent
/// observation: (1 + φ)/(1 − φ), the ratio of n to the effective sample size of its mean.
pub fn ar1_window(phi: f64) -> usize {
    if phi.is_nan() || phi <= 0.0 {
        return 1;
    }
    let phi = phi.min(0.98);
    // The epsilon keeps φ = 0.8 (ratio 9.000000000000002) at 9.
    ((1.0 + phi) / (1.0 - phi) - 1e-9).ceil() as usize
}

/// Covariances of window sums of a unit-variance AR(1): (variance, lag-1 covariance).
fn block_moments(phi: f64, w: usize) -> (f64, f64) {
    let wf = w as f64;
    let inner: f64 = (1..w).map(|k| (wf - k as f64) * phi.powi(k as i32)).sum();
    let var = wf + 2.0 * inner;
    let pw = phi.powi(w as i32);
    let cov1 = phi * (1.0 - pw) * (1.0 - pw) / ((1.0 - phi) * (1.0 - phi));
    (var, cov1)
}

/// Lag-1 autocorrelation left in means of windows of `w` of an AR(1) series.
pub fn ar1_block_lag1(phi: f64, w: usize) -> f64 {
    if phi.is_nan() || phi <= 0.0 || w == 0 {
        return 0.0;
    }
    let phi = phi.min(0.99);
    let (var, cov1) = block_moments(phi, w);
    cov1 / var
}

/// Factor by which the variance of the mean of `blocks` window means (window `w`) of an AR(1)
/// series exceeds the independent-sample formula: 1 + 2 Σ_h (1 − h/B) ρ_B(h), with
/// ρ_B(h) = ρ_B(1) φ^(w(h−1)).
pub fn ar1_variance_inflation(phi: f64, w: usize, blocks: usize) -> f64 {
    if phi.is_nan() || phi <= 0.0 || w == 0 || blocks < 2 {
        return 1.0;
    }
    let phi = phi.min(0.99);
    let rho1 = ar1_block_lag1(phi, w);
    let decay = phi.powi(w as i32);
    let b = blocks as f64;
    let mut rho = rho1;
    let mut sum = 0.0;
    for h in 1..blocks {
        sum += (1.0 - h as f64 / b) * rho;
        rho *= decay;
        if rho < 1e-12 {
            break;
        }
    }
    1.0 + 2.0 * sum
}
