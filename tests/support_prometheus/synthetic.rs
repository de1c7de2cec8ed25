//! Synthetic canary/stable traffic: request counters by status code and a latency gauge,
//! one set per version, deterministic.
#![allow(dead_code)]

use super::Series;
use std::time::{SystemTime, UNIX_EPOCH};

pub const STABLE: &str = "stable-7d9f";

/// Deterministic uniform noise in [-1, 1].
pub struct Noise(u64);
impl Noise {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

pub struct Version {
    pub hash: &'static str,
    pub rps: f64,
    pub error_ratio: f64,
    pub latency: f64,
    /// Every n-th scrape has a latency value; the rest are NaN (no requests to measure).
    pub latency_every: usize,
}

pub const VERSIONS: [Version; 5] = [
    Version {
        hash: STABLE,
        rps: 20.0,
        error_ratio: 0.01,
        latency: 0.200,
        latency_every: 1,
    },
    Version {
        hash: "healthy-1",
        rps: 5.0,
        error_ratio: 0.01,
        latency: 0.200,
        latency_every: 1,
    },
    Version {
        hash: "errors-1",
        rps: 5.0,
        error_ratio: 0.03,
        latency: 0.200,
        latency_every: 1,
    },
    Version {
        hash: "slow-1",
        rps: 5.0,
        error_ratio: 0.01,
        latency: 0.280,
        latency_every: 1,
    },
    Version {
        hash: "quiet-1",
        rps: 0.02,
        error_ratio: 0.0,
        latency: 0.200,
        latency_every: 10,
    },
];

/// 30 minutes of 15 s scrapes ending at `end`, for every version.
pub fn series(end: i64) -> Vec<Series> {
    let mut out = Vec::new();
    for (i, v) in VERSIONS.iter().enumerate() {
        let mut noise = Noise(0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) * 0x1234_5678));
        let (mut ok, mut err) = (Vec::new(), Vec::new());
        let mut lat = Vec::new();
        let (mut ok_total, mut err_total) = (0.0, 0.0);
        for (n, t) in (end - 1800..=end).step_by(15).enumerate() {
            let requests = v.rps * 15.0 * (1.0 + 0.2 * noise.next());
            let errors = requests * v.error_ratio * (1.0 + 0.3 * noise.next());
            ok_total += requests - errors;
            err_total += errors;
            ok.push((t, ok_total));
            err.push((t, err_total));
            let l = if n % v.latency_every == 0 {
                v.latency * (1.0 + 0.1 * noise.next())
            } else {
                f64::NAN
            };
            lat.push((t, l));
        }
        let labels = |code: Option<&str>| {
            let mut l = vec![("rollouts_pod_template_hash", v.hash.to_owned())];
            l.extend(code.map(|c| ("code", c.to_owned())));
            l
        };
        out.push(Series {
            family: "http_requests",
            kind: "counter",
            labels: labels(Some("200")),
            samples: ok,
        });
        out.push(Series {
            family: "http_requests",
            kind: "counter",
            labels: labels(Some("500")),
            samples: err,
        });
        out.push(Series {
            family: "http_request_duration_seconds",
            kind: "gauge",
            labels: labels(None),
            samples: lat,
        });
    }
    out
}

/// Backfilled data ends three hours ago, clear of the head block; requests pass `end`.
pub fn data_end() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    now / 60 * 60 - 3 * 3600
}
