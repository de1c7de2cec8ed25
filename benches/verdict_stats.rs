//! Monte Carlo check of the canary judge's statistics: false-positive rate on identical
//! distributions (independent and autocorrelated scrapes), power against a real shift, and
//! the same for the error-rate test. Plain `main` (harness = false): `cargo bench --bench
//! verdict_stats` runs 10,000 trials per row; without `--bench` (as `cargo test
//! --all-targets` runs it) a few hundred, just to prove it runs.

use rollout_doctor::verdict::score::{
    Classification, Direction, MetricInput, MetricKind, MetricSpec, judge_metric,
};
use rollout_doctor::verdict::stats::{hodges_lehmann, mann_whitney};
use std::time::Instant;

const ALPHA: f64 = 0.01;

/// PCG-XSH-RR 32 (O'Neill): small, fixed-seed, and good enough for Monte Carlo of this size.
struct Pcg(u64);

impl Pcg {
    fn new(seed: u64) -> Self {
        let mut p = Pcg(seed.wrapping_add(0x853c_49e6_748f_ea9b));
        p.next_u32();
        p
    }
    fn next_u32(&mut self) -> u32 {
        let old = self.0;
        self.0 = old
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        xorshifted.rotate_right((old >> 59) as u32)
    }
    /// Uniform in (0, 1): never 0, so logs are finite.
    fn uniform(&mut self) -> f64 {
        let bits = (u64::from(self.next_u32()) << 21) ^ u64::from(self.next_u32() >> 11);
        (bits as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Box-Muller; the second value is thrown away to keep the generator stateless.
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    /// Binomial(n, p) for small p by geometric gaps between events: O(events), not O(n).
    fn binomial(&mut self, n: u64, p: f64) -> f64 {
        let log_q = (1.0 - p).ln();
        let (mut at, mut events) = (0u64, 0u64);
        loop {
            at += (self.uniform().ln() / log_q).floor() as u64 + 1;
            if at > n {
                return events as f64;
            }
            events += 1;
        }
    }
}

/// AR(1) with marginal N(mean, sd²), started in its stationary law.
fn ar1(rng: &mut Pcg, n: usize, phi: f64, mean: f64, sd: f64) -> Vec<f64> {
    let innovation = sd * (1.0 - phi * phi).sqrt();
    let mut x = sd * rng.normal();
    (0..n)
        .map(|_| {
            let out = mean + x;
            x = phi * x + innovation * rng.normal();
            out
        })
        .collect()
}

fn iid(rng: &mut Pcg, n: usize, mean: f64, sd: f64) -> Vec<f64> {
    (0..n).map(|_| mean + sd * rng.normal()).collect()
}

fn lognormal(rng: &mut Pcg, n: usize, median: f64, sigma: f64) -> Vec<f64> {
    (0..n)
        .map(|_| median * (sigma * rng.normal()).exp())
        .collect()
}

fn latency_spec(allowed_pct: f64) -> MetricSpec {
    let mut spec = MetricSpec::new("latency", "latency", MetricKind::Continuous);
    spec.allowed_increase_pct = allowed_pct;
    spec
}

/// Share of trials per outcome: (flagged High, TooFewSamples).
fn judge_rate(
    trials: usize,
    spec: &MetricSpec,
    mut sample: impl FnMut() -> (Vec<f64>, Vec<f64>),
) -> (f64, f64) {
    let (mut high, mut few) = (0, 0);
    for _ in 0..trials {
        let (canary, stable) = sample();
        match judge_metric(spec, &MetricInput::Continuous { canary, stable }, ALPHA).classification
        {
            Classification::High => high += 1,
            Classification::TooFewSamples => few += 1,
            _ => {}
        }
    }
    (high as f64 / trials as f64, few as f64 / trials as f64)
}

fn share(trials: usize, mut hit: impl FnMut() -> bool) -> f64 {
    (0..trials).filter(|_| hit()).count() as f64 / trials as f64
}

struct Table(Vec<[String; 4]>);

impl Table {
    fn row(&mut self, what: &str, value: f64, goal: &str, note: String) {
        self.0.push([
            what.to_owned(),
            format!("{:6.2}%", 100.0 * value),
            goal.to_owned(),
            note,
        ]);
    }
    fn print(&self, trials: usize) {
        println!(
            "\nverdict_stats: {trials} trials per row, alpha = {ALPHA} per metric, seed fixed"
        );
        println!("{:<66} {:>8}  {:<8} note", "scenario", "rate", "goal");
        for [a, b, c, d] in &self.0 {
            println!("{a:<66} {b:>8}  {c:<8} {d}");
        }
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let trials = if full { 10_000 } else { 300 };
    let mut rng = Pcg::new(0x5eed_cafe);
    let mut t = Table(Vec::new());
    let strict = latency_spec(0.0);
    let default = latency_spec(10.0);

    // (1) Identical distributions, independent samples.
    let (fp, _) = judge_rate(trials, &strict, || {
        (
            iid(&mut rng, 50, 100.0, 10.0),
            iid(&mut rng, 50, 100.0, 10.0),
        )
    });
    t.row(
        "FPR normal, 50 iid a side, allowed 0%",
        fp,
        "<= 1%",
        String::new(),
    );
    let (fp, _) = judge_rate(trials, &strict, || {
        (
            lognormal(&mut rng, 50, 100.0, 0.5),
            lognormal(&mut rng, 50, 100.0, 0.5),
        )
    });
    t.row(
        "FPR lognormal, 50 iid a side, allowed 0%",
        fp,
        "<= 1%",
        String::new(),
    );
    let (fp, _) = judge_rate(trials, &default, || {
        (
            lognormal(&mut rng, 50, 100.0, 0.5),
            lognormal(&mut rng, 50, 100.0, 0.5),
        )
    });
    t.row(
        "FPR lognormal, 50 iid a side, allowed 10%",
        fp,
        "<= 1%",
        String::new(),
    );

    // (2) Autocorrelated scrapes, AR(1) φ = 0.8.
    for n in [200, 1000] {
        let mut sample = || {
            (
                ar1(&mut rng, n, 0.8, 100.0, 10.0),
                ar1(&mut rng, n, 0.8, 100.0, 10.0),
            )
        };
        let (fp, few) = judge_rate(trials, &strict, &mut sample);
        t.row(
            &format!("FPR judge_metric, AR(1) 0.8, {n} a side, allowed 0%"),
            fp,
            "<= 1%",
            format!("{:.1}% TooFewSamples", 100.0 * few),
        );
        let naive = share(trials, || {
            let (c, s) = sample();
            mann_whitney(&c, &s).is_some_and(|m| m.p_value <= ALPHA)
        });
        t.row(
            &format!("FPR naive Mann-Whitney on raw scrapes, AR(1) 0.8, {n} a side"),
            naive,
            "(high)",
            "two-sided p <= 0.01".into(),
        );
        let kayenta = share(trials, || {
            let (c, s) = sample();
            hodges_lehmann(&c, &s, 0.98).is_some_and(|h| h.low > 0.0 || h.high < 0.0)
        });
        t.row(
            &format!("FPR Kayenta-like (98% HL CI excludes 0), AR(1) 0.8, {n}"),
            kayenta,
            "(high)",
            "raw scrapes".into(),
        );
    }

    // (3) Power against a 1σ shift (+10% of the median here).
    for allowed in [0.0, 5.0] {
        let (power, _) = judge_rate(trials, &latency_spec(allowed), || {
            (
                iid(&mut rng, 50, 110.0, 10.0),
                iid(&mut rng, 50, 100.0, 10.0),
            )
        });
        t.row(
            &format!("power, normal +1σ (+10%), 50 iid a side, allowed {allowed}%"),
            power,
            ">= 90%",
            String::new(),
        );
    }
    let (power, few) = judge_rate(trials, &strict, || {
        (
            ar1(&mut rng, 1000, 0.8, 110.0, 10.0),
            ar1(&mut rng, 1000, 0.8, 100.0, 10.0),
        )
    });
    t.row(
        "power, AR(1) 0.8 +1σ, 1000 a side, allowed 0%",
        power,
        "",
        format!("{:.1}% TooFewSamples", 100.0 * few),
    );

    // (4) Error rates: binomial errors out of requests.
    let errors = MetricSpec::new("errors", "errors", MetricKind::Rate);
    for (requests, base) in [(10_000u64, 0.001), (10_000, 0.01), (2_000, 0.05)] {
        let mut rate_flag = |mult: f64| {
            share(trials, || {
                let input = MetricInput::Rate {
                    canary_events: rng.binomial(requests, base * mult),
                    canary_total: requests as f64,
                    stable_events: rng.binomial(requests, base),
                    stable_total: requests as f64,
                };
                judge_metric(&errors, &input, ALPHA).classification == Classification::High
            })
        };
        let (fp, power) = (rate_flag(1.0), rate_flag(3.0));
        t.row(
            &format!(
                "FPR rate test, {requests} requests a side, error rate {}%",
                base * 100.0
            ),
            fp,
            "<= 1%",
            String::new(),
        );
        t.row(
            &format!(
                "power rate test, 3x errors ({}% -> {}%), {requests} a side",
                base * 100.0,
                base * 300.0
            ),
            power,
            "",
            String::new(),
        );
    }

    let mut sample = iid(&mut rng, 200, 100.0, 10.0);
    let stable = iid(&mut rng, 200, 100.0, 10.0);
    let reps = if full { 2_000 } else { 50 };
    let start = Instant::now();
    for i in 0..reps {
        sample[0] = i as f64;
        std::hint::black_box(judge_metric(
            &strict,
            &MetricInput::Continuous {
                canary: sample.clone(),
                stable: stable.clone(),
            },
            ALPHA,
        ));
    }
    let per = start.elapsed().as_secs_f64() / reps as f64;
    t.print(trials);
    println!(
        "judge_metric, 200 vs 200 samples: {:.1} µs per call",
        per * 1e6
    );
    let _ = Direction::Increase;
}
