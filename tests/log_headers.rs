//! The same events under different line headers must be grouped the same way, and a canary
//! whose logs have a new header shape must not look new. Events and headers are written
//! here; no line comes from a public dataset.

use rollout_doctor::analysis::logs::{LogConfig, LogMiner, StreamMeta, TemplateMiner};
use rollout_doctor::evidence::{LogClass, Role};
use rollout_doctor::redact::Redactor;
use std::collections::HashMap;

/// xorshift64*: deterministic variable values.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const EVENTS: usize = 12;
const USERS: &[&str] = &["ana", "bo", "chen", "dmitri", "eve"];
const HOSTS: &[&str] = &["db.internal.example", "cache-2.example.net", "10.4.0.17"];

/// One event's message and its level.
fn event(kind: usize, r: &mut Rng) -> (String, &'static str) {
    let n = r.below(100_000);
    let m = r.below(500);
    match kind {
        0 => (
            format!(
                "login for user {} from 10.{}.{}.7",
                r.pick(USERS),
                m % 255,
                n % 255
            ),
            "info",
        ),
        1 => (
            format!(
                "order {n} created for customer c-{m} total {}.{:02} EUR",
                m,
                n % 100
            ),
            "info",
        ),
        2 => (
            format!("payment declined for order {n}: card expired"),
            "warn",
        ),
        3 => (
            format!("cache miss for key session:{:08x}", n * 7919),
            "debug",
        ),
        4 => (
            format!("request GET /api/v1/items/{n} completed with status 200 in {m}ms"),
            "info",
        ),
        5 => (
            format!(
                "connection to {}:{} refused, retrying in {}s",
                r.pick(HOSTS),
                5000 + m,
                m % 9
            ),
            "error",
        ),
        6 => (format!("worker {m} started processing batch {n}"), "info"),
        7 => (
            format!("disk usage on /var/lib/app/vol{m}/data at {}%", n % 100),
            "warn",
        ),
        8 => (
            format!("config reloaded: {m} rules, {} overrides", n % 40),
            "info",
        ),
        9 => (
            format!(
                "job id={:08x}-1c2d-4e5f-9a8b-{n:012x} state=done duration={m}.{}s",
                n,
                m % 10
            ),
            "info",
        ),
        10 => (
            format!("unable to open /etc/app/conf.d/{m}.yaml: permission denied"),
            "error",
        ),
        _ => (
            format!("shutting down after {}h{}m uptime", m % 48, n % 60),
            "info",
        ),
    }
}

/// The header of one line, in one of the common shapes. `i` is the line number, so
/// timestamps move; pids and hosts vary on their own.
fn render(style: &str, i: u64, level: &str, msg: &str, r: &mut Rng) -> String {
    let (h, mi, s, ms) = (i / 3600 % 24, i / 60 % 60, i % 60, r.below(1000));
    let pid = 100 + r.below(30_000);
    let upper = level.to_ascii_uppercase();
    let letter = &upper[..1];
    match style {
        "rfc3164" => format!(
            "Dec {:2} {h:02}:{mi:02}:{s:02} web01 api[{pid}]: {msg}",
            1 + i / 86_400
        ),
        "rfc5424" => {
            format!("<14>1 2024-12-04T{h:02}:{mi:02}:{s:02}.{ms:03}Z web01 api {pid} - - {msg}")
        }
        "iso" => format!("2024-12-04T{h:02}:{mi:02}:{s:02}.{ms:03}Z {upper:<5} {msg}"),
        "bracketed" => format!("[Wed Dec 04 {h:02}:{mi:02}:{s:02} 2024] [{level}] {msg}"),
        "klog" => format!(
            "{letter}1204 {h:02}:{mi:02}:{s:02}.{ms:03}123 {pid} server.go:{}] {msg}",
            40 + r.below(200)
        ),
        "logfmt" => format!("ts=2024-12-04T{h:02}:{mi:02}:{s:02}Z level={level} msg=\"{msg}\""),
        "json" => format!(
            "{{\"ts\":\"2024-12-04T{h:02}:{mi:02}:{s:02}Z\",\"level\":\"{level}\",\"msg\":\"{msg}\"}}"
        ),
        "logcat" => format!(
            "12-04 {h:02}:{mi:02}:{s:02}.{ms:03}  {pid:5}  {:5} {letter} OrderService: {msg}",
            2000 + r.below(900)
        ),
        "pipes" => format!("20241204-{h:02}:{mi:02}:{s:02}:{ms:03}|OrderService|{pid}|{msg}"),
        _ => msg.to_owned(),
    }
}

const STYLES: &[&str] = &[
    "plain",
    "rfc3164",
    "rfc5424",
    "iso",
    "bracketed",
    "klog",
    "logfmt",
    "json",
    "logcat",
    "pipes",
];

/// `lines` lines of random events as (event kind, line) under `style`; the same seed gives
/// the same events and values whatever the style.
fn stream(style: &str, lines: u64, seed: u64) -> Vec<(usize, String)> {
    let mut ev = Rng(seed);
    let mut hdr = Rng(seed ^ 0x9e37_79b9);
    (0..lines)
        .map(|i| {
            let kind = ev.below(EVENTS as u64) as usize;
            let (msg, level) = event(kind, &mut ev);
            (kind, render(style, i * 7, level, &msg, &mut hdr))
        })
        .collect()
}

/// Template ids of a whole stream, through the streaming entry point.
fn mine(lines: &[(usize, String)]) -> Vec<u32> {
    let mut m = TemplateMiner::default();
    let mut ids = Vec::new();
    for (_, l) in lines {
        m.feed(l, &mut |_, r| ids.push(r.template));
    }
    m.end_stream(&mut |_, r| ids.push(r.template));
    let canon = m.drain_mut().canonical_ids();
    ids.iter().map(|&i| canon[i as usize]).collect()
}

/// Each line's group as the index of the group's first line: equal vectors mean equal
/// partitions, whatever the ids.
fn partition(ids: &[u32]) -> Vec<usize> {
    let mut first = HashMap::new();
    ids.iter()
        .enumerate()
        .map(|(i, id)| *first.entry(*id).or_insert(i))
        .collect()
}

#[test]
fn every_header_shape_gives_the_same_partition() {
    for seed in [7, 1234] {
        let plain = stream("plain", 400, seed);
        let want = partition(&mine(&plain));
        // And that partition is the events': the login event is one whoever logs in (a
        // plain-word user name after `user`, with only a few users in the stream).
        let kinds: Vec<u32> = plain.iter().map(|(k, _)| *k as u32).collect();
        if let Some(bad) = want
            .iter()
            .zip(partition(&kinds))
            .position(|(a, b)| *a != b)
        {
            panic!(
                "seed {seed}: plain line {:?} grouped with {:?}",
                plain[bad].1, plain[want[bad]].1
            );
        }
        let mut failures = Vec::new();
        for style in STYLES {
            let lines = stream(style, 400, seed);
            let got = partition(&mine(&lines));
            if let Some(bad) = got.iter().zip(&want).position(|(a, b)| a != b) {
                failures.push(format!("{style}: first wrong line {:?}", lines[bad].1));
            }
        }
        assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
    }
}

fn role_stream(role: Role, pod: &str) -> StreamMeta {
    StreamMeta {
        pod: pod.to_owned(),
        container: "app".to_owned(),
        role,
        previous: false,
    }
}

#[test]
fn a_new_header_shape_in_canary_is_not_new_in_canary() {
    for (stable_style, canary_style) in [
        ("iso", "rfc3164"),
        ("bracketed", "klog"),
        ("json", "pipes"),
        ("rfc5424", "iso"),
    ] {
        let stable: String = stream(stable_style, 600, 99)
            .into_iter()
            .map(|(_, l)| l + "\n")
            .collect();
        let mut canary: String = stream(canary_style, 600, 5)
            .into_iter()
            .map(|(_, l)| l + "\n")
            .collect();
        let mut r = Rng(3);
        for i in 0..6 {
            let msg = format!("panic: nil map write in handler {}", r.below(90));
            canary += &render(canary_style, 5000 + i, "error", &msg, &mut r);
            canary.push('\n');
        }
        let mut m = LogMiner::new(LogConfig::default());
        m.add_stream(
            role_stream(Role::Stable, "stable-1"),
            &mut stable.as_bytes(),
        )
        .unwrap();
        m.add_stream(
            role_stream(Role::Canary, "canary-1"),
            &mut canary.as_bytes(),
        )
        .unwrap();
        let ev = m.finish(&Redactor::default());
        let new: Vec<&str> = ev
            .findings
            .iter()
            .filter(|f| f.class == LogClass::NewInCanary)
            .map(|f| f.template.as_str())
            .collect();
        assert!(
            new.len() == 1 && new[0].contains("panic: nil map write"),
            "{stable_style} -> {canary_style}: new in canary: {new:#?}"
        );
    }
}
