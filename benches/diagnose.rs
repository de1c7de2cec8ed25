//! `diagnose` wall time and peak memory on the largest scenario (a 200,000-line canary log).
//! Run: `cargo bench --bench diagnose`. Prints numbers; asserts nothing.

use rollout_doctor::pipeline::{DiagnoseOptions, run_snapshot};
use rollout_doctor::redact::Redactor;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The scenario whose logs are largest on disk, unless one is named.
fn largest_scenario() -> PathBuf {
    if let Some(p) = std::env::args().nth(1).filter(|a| !a.starts_with('-')) {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios");
    let size = |dir: &Path| -> u64 {
        walk(&dir.join("logs"))
            .iter()
            .filter_map(|f| f.metadata().ok())
            .map(|m| m.len())
            .sum()
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/scenarios")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.yaml").is_file())
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(size(d)));
    dirs.into_iter().next().expect("no scenario")
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                vec![e.path()]
            }
        })
        .collect()
}

fn main() {
    let dir = largest_scenario();
    let opts = DiagnoseOptions::default();
    let redactor = Redactor::default();
    let before = peak_rss_mib();
    let mut times = Vec::new();
    let mut lines = 0;
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this once as a smoke test.
    let runs = if std::env::args().any(|a| a == "--bench") {
        5
    } else {
        1
    };
    for _ in 0..runs {
        let start = Instant::now();
        let report = run_snapshot(&dir, &opts, &redactor).expect("diagnose");
        times.push(start.elapsed().as_secs_f64());
        lines = report
            .evidence
            .logs
            .streams
            .iter()
            .map(|s| s.lines)
            .sum::<u64>();
        std::hint::black_box(report.diagnosis);
    }
    times.sort_by(f64::total_cmp);
    println!("diagnose {}", dir.display());
    println!("  log lines mined      {lines}");
    println!(
        "  wall time min/median {:.3} s / {:.3} s",
        times[0],
        times[times.len() / 2]
    );
    println!(
        "  peak RSS             {:.1} MiB (process start {:.1} MiB)",
        peak_rss_mib().unwrap_or(f64::NAN),
        before.unwrap_or(f64::NAN)
    );
}
