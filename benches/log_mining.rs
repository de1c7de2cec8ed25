//! Log mining throughput on a deterministic, realistic 1,000,000-line application log:
//! ~50 templates (plain, key=value, klog-style and JSON lines, a few stack traces) with
//! varying values. Prints lines/s; run with `cargo bench --bench log_mining`.

use rollout_doctor::analysis::logs::{
    Limits, LineReader, LogConfig, LogMiner, StreamMeta, TemplateMiner,
};
use rollout_doctor::evidence::Role;
use rollout_doctor::redact::Redactor;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

const LINES: usize = 1_000_000;

/// xorshift64*: deterministic values without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank"];
const PATHS: &[&str] = &[
    "/api/orders",
    "/api/users",
    "/healthz",
    "/metrics",
    "/api/cart",
    "/login",
];
const VERBS: &[&str] = &["GET", "POST", "PUT", "DELETE"];
const TABLES: &[&str] = &["orders", "users", "sessions", "payments", "inventory"];

fn line(r: &mut Rng, out: &mut String) {
    let ts = format!(
        "2024-05-0{}T{:02}:{:02}:{:02}.{:03}Z",
        1 + r.below(9),
        r.below(24),
        r.below(60),
        r.below(60),
        r.below(1000)
    );
    let u = USERS[r.below(USERS.len() as u64) as usize];
    let p = PATHS[r.below(PATHS.len() as u64) as usize];
    let v = VERBS[r.below(VERBS.len() as u64) as usize];
    let t = TABLES[r.below(TABLES.len() as u64) as usize];
    let n = r.below(100_000);
    let ms = r.below(2000);
    let kind = r.below(50);
    match kind {
        0..=9 => write!(out, "{ts} INFO http: {v} {p} status=200 bytes={n} duration={ms}ms user={u}"),
        10..=13 => write!(out, "{ts} INFO http: {v} {p} status=404 bytes=0 duration={ms}ms"),
        14..=17 => write!(out, r#"{{"ts":"{ts}","level":"info","msg":"request served","path":"{p}","latency_ms":{ms}}}"#),
        18..=19 => write!(out, r#"{{"ts":"{ts}","level":"warn","msg":"slow query on table {t}","ms":{ms}}}"#),
        20 => write!(out, r#"{{"ts":"{ts}","level":"error","msg":"payment declined","err":"card {n} expired"}}"#),
        21..=23 => write!(out, "I0{}{:02} {:02}:{:02}:{:02}.{:06} 1 controller.go:{}] Reconciling object {t}/{u}-{n}", 1 + r.below(9), r.below(28), r.below(24), r.below(60), r.below(60), r.below(1_000_000), r.below(400)),
        24 => write!(out, "E0{}{:02} 10:00:00.000001 1 reflector.go:138] failed to list *v1.Pod: connection refused", 1 + r.below(9), r.below(28)),
        25..=26 => write!(out, "{ts} DEBUG cache: hit key={t}:{n} ttl={ms}s"),
        27..=28 => write!(out, "{ts} DEBUG cache: miss key={t}:{n}"),
        29 => write!(out, "{ts} WARN pool: connection to 10.0.{}.{}:5432 reset, retrying in {ms}ms", r.below(256), r.below(256)),
        30 => write!(out, "{ts} ERROR db: query on {t} failed: deadlock detected (tx {n})"),
        31 => write!(out, "{ts} INFO auth: user {u} logged in from 192.168.{}.{}", r.below(256), r.below(256)),
        32 => write!(out, "{ts} INFO auth: user {u} logged out after {ms}s"),
        33 => write!(out, "{ts} INFO worker[{}]: job {n} completed in {ms}ms", r.below(16)),
        34 => write!(out, "{ts} INFO worker[{}]: job {n} started for tenant {u}", r.below(16)),
        35 => write!(out, "{ts} WARN worker[{}]: job {n} retry {} of 5", r.below(16), r.below(5)),
        36 => write!(out, "{ts} INFO kafka: committed offset {n} for partition {} of topic events", r.below(32)),
        37 => write!(out, "{ts} INFO grpc: stream opened to payments-{}.svc:443 id={:x}", r.below(8), r.next()),
        38 => write!(out, "{ts} INFO grpc: stream closed id={:x} after {ms}ms", r.next()),
        39 => write!(out, "{ts} INFO scheduler: next run of {t}-compaction at {ts}"),
        40 => write!(out, "{ts} INFO config: reloaded {} keys from /etc/app/config.yaml", r.below(100)),
        41 => write!(out, "{ts} WARN gc: pause of {ms}ms exceeded budget"),
        42 => write!(out, "{ts} INFO metrics: flushed {n} samples to remote write"),
        43 => write!(out, "{ts} INFO session {:08x}-{:04x}-4abc-8def-{:012x} created for {u}", r.next() as u32, r.below(65536), r.below(1 << 40)),
        44 => write!(out, "{ts} INFO upload: stored /data/blobs/{n}/part-{ms} ({n} bytes)"),
        45 => write!(out, "{ts} ERROR java.lang.IllegalStateException: order {n} in wrong state"),
        46 => write!(out, "\tat com.example.orders.OrderService.process(OrderService.java:{})", r.below(500)),
        47 => write!(out, "\tat com.example.http.Router.dispatch(Router.java:{})", r.below(500)),
        48 => write!(out, "{ts} INFO feature flag {t}_v2 is {}", if r.below(2) == 0 { "enabled" } else { "disabled" }),
        _ => write!(out, "{ts} INFO tls: certificate for {t}.example.com expires in {} days", r.below(90)),
    }
    .expect("writing to a String cannot fail");
    out.push('\n');
}

fn generate() -> String {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut s = String::with_capacity(LINES * 100);
    for _ in 0..LINES {
        line(&mut r, &mut s);
    }
    s
}

fn report(what: &str, lines: usize, secs: f64) {
    println!(
        "{what:<44} {lines:>9} lines {secs:>7.3} s {:>12.0} lines/s",
        lines as f64 / secs
    );
}

fn main() {
    let log = generate();
    println!(
        "generated {} lines, {:.1} MiB",
        LINES,
        log.len() as f64 / (1 << 20) as f64
    );

    // Mining only: lines already split, one thread.
    let lines: Vec<&str> = log.lines().collect();
    let mut best = f64::MAX;
    let mut templates = 0;
    for _ in 0..3 {
        let mut m = TemplateMiner::default();
        let t = Instant::now();
        for l in &lines {
            m.feed(l, &mut |_, r| {
                black_box(r);
            });
        }
        m.end_stream(&mut |_, r| {
            black_box(r);
        });
        best = best.min(t.elapsed().as_secs_f64());
        templates = m
            .drain_mut()
            .canonical_ids()
            .iter()
            .enumerate()
            .filter(|&(i, &c)| i == c as usize)
            .count();
    }
    report("mine (TemplateMiner, best of 3)", lines.len(), best);
    println!("  templates: {templates}");

    // `logs templates`-like: bounded reader + miner + one id per line.
    let t = Instant::now();
    let mut reader = LineReader::new(log.as_bytes(), Limits::unbounded(4096));
    let mut m = TemplateMiner::default();
    let mut ids = Vec::new();
    while let Ok(Some(l)) = reader.next_line() {
        m.feed(l, &mut |_, r| ids.push(r.template));
    }
    m.end_stream(&mut |_, r| ids.push(r.template));
    let canon = m.drain_mut().canonical_ids();
    let ids: Vec<u32> = ids
        .iter()
        .map(|&i| canon.get(i as usize).copied().unwrap_or(i))
        .collect();
    let json = serde_json::to_string(&ids).expect("ids serialise");
    report(
        "read + mine + JSON ids (logs templates)",
        ids.len(),
        t.elapsed().as_secs_f64(),
    );
    black_box(json);

    // Whole LogMiner: half the log as stable, half as canary, ranked findings.
    let t = Instant::now();
    let mut lm = LogMiner::new(LogConfig::default());
    let (a, b) = log.split_at(log.len() / 2);
    for (pod, role, part) in [("stable-0", Role::Stable, a), ("canary-0", Role::Canary, b)] {
        let meta = StreamMeta {
            pod: pod.into(),
            container: "app".into(),
            role,
            previous: false,
        };
        lm.add_stream(meta, &mut part.as_bytes())
            .expect("in-memory read");
    }
    let ev = lm.finish(&Redactor::default());
    report(
        "LogMiner canary vs stable + finish",
        LINES,
        t.elapsed().as_secs_f64(),
    );
    println!("  findings: {}", ev.findings.len());
}
