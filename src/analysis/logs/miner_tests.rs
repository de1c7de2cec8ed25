use super::*;
use crate::evidence::{LogClass, LogLevel};

fn meta(pod: &str, role: Role, previous: bool) -> StreamMeta {
    StreamMeta {
        pod: pod.to_owned(),
        container: "app".to_owned(),
        role,
        previous,
    }
}

fn stable_log() -> String {
    let mut s = String::new();
    for i in 0..200 {
        s += &format!(
            "2024-01-01T00:00:{:02}Z INFO handled request id={i} in {}ms\n",
            i % 60,
            i % 17
        );
        if i % 20 == 0 {
            s += &format!(
                "2024-01-01T00:00:{:02}Z ERROR upstream timeout after {}ms\n",
                i % 60,
                i
            );
        }
    }
    s
}

fn canary_log() -> String {
    let mut s = String::new();
    for i in 0..200 {
        s += &format!(
            "2024-01-01T00:00:{:02}Z INFO handled request id={i} in {}ms\n",
            i % 60,
            i % 17
        );
        if i % 20 == 0 {
            s += &format!(
                "2024-01-01T00:00:{:02}Z ERROR upstream timeout after {}ms\n",
                i % 60,
                i
            );
        }
        if i % 4 == 0 {
            s += &format!(
                "2024-01-01T00:00:{:02}Z WARN cache miss for key k{i}\n",
                i % 60
            );
        }
    }
    s += "{\"level\":\"error\",\"msg\":\"failed to connect to db password=hunter2\"}\n";
    s += "Exception in thread \"main\" java.lang.IllegalStateException: boom\n";
    s += "\tat com.example.App.run(App.java:42)\n\tat com.example.App.main(App.java:7)\n";
    s
}

fn stable_cache_misses() -> String {
    (0..3)
        .map(|i| format!("2024-01-01T00:00:0{i}Z WARN cache miss for key k{i}\n"))
        .collect()
}

fn mine(streams: &[(&str, Role, bool, String)]) -> LogEvidence {
    let mut m = LogMiner::new(LogConfig::default());
    for (pod, role, prev, text) in streams {
        m.add_stream(meta(pod, *role, *prev), &mut text.as_bytes())
            .expect("in-memory");
    }
    m.finish(&Redactor::default())
}

fn find<'a>(ev: &'a LogEvidence, needle: &str) -> &'a crate::evidence::LogFinding {
    ev.findings
        .iter()
        .find(|f| f.template.contains(needle))
        .unwrap_or_else(|| panic!("no finding with {needle:?} in {:#?}", ev.findings))
}

#[test]
fn canary_vs_stable_classes() {
    let stable = stable_log() + &stable_cache_misses();
    let ev = mine(&[
        ("stable-1", Role::Stable, false, stable),
        ("canary-1", Role::Canary, false, canary_log()),
    ]);
    assert_eq!(ev.streams.len(), 2);
    let db = find(&ev, "failed to connect");
    assert_eq!(
        (db.class, db.level, db.canary_count, db.stable_count),
        (LogClass::NewInCanary, LogLevel::Error, 1, 0)
    );
    assert_eq!(db.streams, vec!["canary-1/app"]);
    let exc = find(&ev, "IllegalStateException");
    assert_eq!(exc.class, LogClass::NewInCanary);
    let miss = find(&ev, "cache miss");
    assert_eq!(
        (miss.class, miss.canary_count, miss.stable_count),
        (LogClass::MoreFrequentInCanary, 50, 3)
    );
    let timeout = find(&ev, "upstream timeout");
    assert_eq!(
        (timeout.class, timeout.canary_count, timeout.stable_count),
        (LogClass::Error, 10, 10)
    );
    let handled = find(&ev, "handled request");
    assert_eq!(
        (handled.class, handled.canary_count),
        (LogClass::Noise, 200)
    );
    let frame = find(&ev, "at ");
    assert_eq!(
        frame.class,
        LogClass::Noise,
        "frames are not findings of their own"
    );
    // Ids follow rank order.
    for (i, f) in ev.findings.iter().enumerate() {
        assert_eq!(f.id, format!("log/{}", i + 1));
    }
    assert!(ev.findings.windows(2).all(|w| w[0].class <= w[1].class));
}

#[test]
fn no_stable_logs_means_errors_not_new() {
    let ev = mine(&[("canary-1", Role::Canary, false, canary_log())]);
    assert!(ev.findings.iter().all(|f| f.class != LogClass::NewInCanary));
    assert_eq!(find(&ev, "failed to connect").class, LogClass::Error);
}

#[test]
fn previous_container_logs_rank_first_within_class() {
    let ev = mine(&[
        ("stable-1", Role::Stable, false, "steady state\n".to_owned()),
        (
            "canary-1",
            Role::Canary,
            false,
            "alpha happened\nalpha happened\n".to_owned(),
        ),
        ("canary-1", Role::Canary, true, "omega crashed\n".to_owned()),
    ]);
    assert_eq!(ev.findings[0].template, "omega crashed");
    assert!(ev.findings[0].previous);
    assert_eq!(ev.findings[0].streams, vec!["canary-1/app (previous)"]);
    assert_eq!(ev.findings[1].template, "alpha happened");
}

#[test]
fn streams_record_read_problems() {
    let mut bytes = ("x".repeat(5000) + "\nok ?\n").into_bytes();
    bytes[5004] = 0xff; // invalid UTF-8 on the second line
    let mut m = LogMiner::new(LogConfig {
        max_lines_per_stream: 2,
        tail_lines_per_stream: 0,
        ..LogConfig::default()
    });
    m.add_stream(meta("p", Role::Canary, false), &mut &bytes[..])
        .expect("read");
    m.add_stream(meta("p", Role::Canary, false), &mut &b"a\nb\nc\n"[..])
        .expect("read");
    m.add_stream(meta("b", Role::Canary, false), &mut &b"\x00\x01binary"[..])
        .expect("read");
    let ev = m.finish(&Redactor::default());
    let s = &ev.streams;
    assert_eq!(
        (
            s[0].lines,
            s[0].truncated_lines,
            s[0].invalid_utf8_lines,
            s[0].capped
        ),
        (2, 1, 1, false)
    );
    assert_eq!((s[1].lines, s[1].capped), (2, true));
    assert_eq!((s[2].lines, s[2].binary), (0, true));
    assert!(ev.findings.iter().all(|f| f.example.len() <= EXAMPLE_BYTES));
}

#[test]
fn findings_are_deterministic() {
    let run = || {
        mine(&[
            ("stable-1", Role::Stable, false, stable_log()),
            ("canary-1", Role::Canary, false, canary_log()),
        ])
    };
    assert_eq!(run(), run());
}
