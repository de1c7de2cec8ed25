//! The exact null distribution of the Mann-Whitney U (R's `dwilcox`/`pwilcox`), used like R
//! does: both sides below [`EXACT_MAX`] and no ties.

/// R's cut-off; C(98, 49) ≈ 2.5e28 also keeps every count exact in an `i128`.
pub const EXACT_MAX: usize = 50;

/// Counts of arrangements per U value, 0..=m·n: the coefficients of the Gaussian binomial
/// [m+n choose m]_q. Built as ∏ (1 − q^(n+i)) / (1 − q^i) in power series truncated at q^(mn),
/// which is exact (truncation never feeds back into lower powers) and costs O(m²n) instead of
/// the O(m²n²) of the textbook recursion. Integers, so far tails lose no precision.
pub struct UDistribution {
    counts: Vec<i128>,
    total: f64,
}

impl UDistribution {
    /// `None` outside the exact range (the counts could overflow).
    pub fn new(m: usize, n: usize) -> Option<Self> {
        if m == 0 || n == 0 || m >= EXACT_MAX || n >= EXACT_MAX {
            return None;
        }
        let (m, n) = (m.min(n), m.max(n));
        let top = m * n;
        let mut c = vec![0_i128; top + 1];
        c[0] = 1;
        for i in 1..=m {
            let shift = n + i;
            for k in (shift..=top).rev() {
                c[k] -= c[k - shift];
            }
            for k in i..=top {
                c[k] += c[k - i];
            }
        }
        let total = c.iter().sum::<i128>() as f64;
        Some(Self { counts: c, total })
    }

    /// P(U ≤ q).
    pub fn cdf(&self, q: f64) -> f64 {
        if q < 0.0 {
            return 0.0;
        }
        let q = (q.floor() as usize).min(self.counts.len() - 1);
        let below: i128 = self.counts[..=q].iter().sum();
        below as f64 / self.total
    }

    /// P(U ≥ q), summed directly so tiny upper tails are not 1 − (almost 1).
    pub fn sf(&self, q: f64) -> f64 {
        let q = q.ceil().max(0.0);
        if q as usize >= self.counts.len() {
            return 0.0;
        }
        let above: i128 = self.counts[q as usize..].iter().sum();
        above as f64 / self.total
    }

    /// R's `qwilcox(p, m, n)`: the smallest q with P(U ≤ q) ≥ p.
    pub fn quantile(&self, p: f64) -> usize {
        let mut acc = 0_i128;
        for (q, &c) in self.counts.iter().enumerate() {
            acc += c;
            // R's fuzz, so that a p exactly on a step lands on that step.
            if acc as f64 / self.total >= p - 10.0 * f64::EPSILON {
                return q;
            }
        }
        self.counts.len() - 1
    }
}
