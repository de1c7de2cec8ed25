//! Measures the redactor on the synthetic corpus in tests/data/redaction:
//! - recall: share of secret-bearing lines whose every annotated secret is gone;
//! - false-positive rate: share of ordinary lines changed at all.
//!
//! `secrets.txt` / `ordinary.txt` are generated (`python3 tests/data/redaction/gen_corpus.py`)
//! and were used to tune the patterns; the `holdout_*` files were hand-written afterwards
//! and are reported separately as a less optimistic estimate.
//!
//! Run with `cargo test --test redaction -- --nocapture` to see the numbers.

use rollout_doctor::redact::Redactor;
use std::borrow::Cow;
use std::path::Path;

const RECALL_GOAL: f64 = 0.99;
const FP_GOAL: f64 = 0.01;

fn corpus(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/redaction")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn rows(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Returns (recall, lines) and prints every miss.
fn recall(file: &str) -> (f64, usize) {
    let red = Redactor::with_key(b"corpus");
    let text = corpus(file);
    let (mut total, mut clean) = (0usize, 0usize);
    for row in rows(&text) {
        let mut cols = row.split('\t');
        let line = cols.next().unwrap_or_default();
        let secrets: Vec<&str> = cols.collect();
        assert!(
            !secrets.is_empty(),
            "{file}: row without annotated secret: {line}"
        );
        total += 1;
        let out = red.line(line);
        let leaked: Vec<&str> = secrets
            .iter()
            .copied()
            .filter(|s| out.contains(s))
            .collect();
        if leaked.is_empty() {
            clean += 1;
        } else {
            println!("MISS {file}\n  {out}\n  leaked: {leaked:?}");
        }
        assert_eq!(red.line(&out), out, "redaction not idempotent");
    }
    let recall = clean as f64 / total.max(1) as f64;
    println!(
        "recall {file}: {clean}/{total} secret lines fully redacted = {:.2}%",
        recall * 100.0
    );
    (recall, total)
}

/// Returns (false-positive rate, lines) and prints every changed line.
fn false_positives(file: &str) -> (f64, usize) {
    let red = Redactor::with_key(b"corpus");
    let text = corpus(file);
    let (mut total, mut changed) = (0usize, 0usize);
    for line in rows(&text) {
        total += 1;
        if let Cow::Owned(out) = red.line(line) {
            changed += 1;
            println!("FP {file}\n  {line}\n  -> {out}");
        }
    }
    let rate = changed as f64 / total.max(1) as f64;
    println!(
        "false positives {file}: {changed}/{total} ordinary lines changed = {:.2}%",
        rate * 100.0
    );
    (rate, total)
}

#[test]
fn recall_on_secret_corpus() {
    let (r, total) = recall("secrets.txt");
    assert!(total >= 250, "corpus too small: {total}");
    assert!(r >= RECALL_GOAL, "recall {r:.4} below {RECALL_GOAL}");
}

#[test]
fn false_positives_on_ordinary_corpus() {
    let (rate, total) = false_positives("ordinary.txt");
    assert!(total >= 500, "corpus too small: {total}");
    assert!(
        rate <= FP_GOAL,
        "false-positive rate {rate:.4} above {FP_GOAL}"
    );
}

#[test]
fn holdout_is_reported() {
    // Small hand-written sets: looser bounds, mainly here to print honest numbers.
    let (r, _) = recall("holdout_secrets.txt");
    let (fp, _) = false_positives("holdout_ordinary.txt");
    assert!(r >= 0.85, "hold-out recall {r:.4}");
    assert!(fp <= 0.05, "hold-out false-positive rate {fp:.4}");
}

#[test]
fn whole_corpus_blob_via_text() {
    // The blob API must be at least as strict as line-by-line.
    let red = Redactor::with_key(b"corpus");
    let text = corpus("secrets.txt");
    let lines: Vec<&str> = rows(&text).filter_map(|r| r.split('\t').next()).collect();
    let blob = lines.join("\n");
    let out = red.text(&blob);
    for row in rows(&text) {
        let line = row.split('\t').next().unwrap_or_default();
        for secret in row.split('\t').skip(1) {
            assert!(
                !out.contains(secret) || red.line(line).contains(secret),
                "text() leaked {secret:?} that line() catches"
            );
        }
    }
}

#[test]
fn throughput_is_reported() {
    // Not asserted (debug builds and shared CI machines vary); run with --release to judge.
    // Reports plain lines (no trigger word at all, the common case in real logs) separately
    // from this corpus's deliberately tricky look-alikes.
    let red = Redactor::with_key(b"corpus");
    let text = corpus("ordinary.txt");
    // Warm up: the first call compiles every pattern.
    std::hint::black_box(red.line("password=x"));
    let triggers = [
        "pass", "pw", "secret", "token", "key", "auth", "cred", "session", "cookie", "sig", "sid",
        "://", "bearer", "basic", " -",
    ];
    let (plain, tricky): (Vec<&str>, Vec<&str>) =
        rows(&text).partition(|l| !triggers.iter().any(|t| l.to_ascii_lowercase().contains(t)));
    for (name, lines) in [("plain", plain), ("look-alike", tricky)] {
        let bytes: usize = lines.iter().map(|l| l.len()).sum();
        let rounds = 20;
        let start = std::time::Instant::now();
        for _ in 0..rounds {
            for line in &lines {
                std::hint::black_box(red.line(line));
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let n = (lines.len() * rounds).max(1) as f64;
        println!(
            "throughput on {} {name} lines: {:.0} ns/line, {:.1} MB/s",
            lines.len(),
            secs * 1e9 / n,
            (bytes * rounds) as f64 / secs / 1e6
        );
    }
}

/// A second blind hold-out, written after the redactor was finished and never tuned on.
#[test]
fn blind_holdout_is_reported() {
    let (r, _) = recall("blind_secrets.txt");
    let (fp, _) = false_positives("blind_ordinary.txt");
    assert!(r >= 0.85, "blind recall {r}");
    assert!(fp <= 0.10, "blind false positives {fp}");
}
