use super::*;

fn learned(lines: &[String]) -> Header {
    Header::learn(&HeaderConfig::default(), lines.iter().map(String::as_str))
}

const WORDS: &[&str] = &[
    "opened",
    "closed",
    "Accepted",
    "Failed",
    "reload",
    "listening",
];

#[test]
fn learns_timestamp_host_and_pid_columns() {
    let lines: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "{} {:2} 0{}:1{}:2{} node-{} worker[{}]: {} session {}",
                ["Dec", "Jan"][i / 30],
                1 + i % 28,
                i % 10,
                i % 6,
                i % 7,
                3 + i % 2,
                100 + i * 7,
                WORDS[i % WORDS.len()],
                i
            )
        })
        .collect();
    let h = learned(&lines);
    assert_eq!(h.strip(&lines[3]), "Failed session 3");
    // A line of another shape (a stack frame) keeps everything.
    assert_eq!(
        h.strip("  at App.run(App.java:3)"),
        "  at App.run(App.java:3)"
    );
}

#[test]
fn a_program_name_before_a_separator_is_header() {
    let lines: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "[12.{:02} 10:00:{:02}] {} - {} item {}",
                1 + i % 30,
                i % 60,
                ["viewer.exe", "sync", "updater-svc.exe"][i % 3],
                WORDS[i % WORDS.len()],
                i
            )
        })
        .collect();
    assert_eq!(learned(&lines).strip(&lines[1]), "closed item 1");
}

#[test]
fn message_words_are_never_header() {
    let lines: Vec<String> = (0..40)
        .map(|i| format!("{} the job {}", WORDS[i % WORDS.len()], i))
        .collect();
    let h = learned(&lines);
    assert!(h.is_empty(), "{h:?}");
    assert_eq!(h.strip(&lines[0]), lines[0]);
}

#[test]
fn too_few_lines_teach_nothing_and_a_line_is_never_emptied() {
    let lines: Vec<String> = (0..5).map(|i| format!("2024-01-0{i} x")).collect();
    assert!(learned(&lines).is_empty());
    let lines: Vec<String> = (0..40).map(|i| format!("{i} 12:00:{i:02}")).collect();
    assert_eq!(learned(&lines).strip("7 12:00:07"), "7 12:00:07");
}

#[test]
fn a_free_column_may_hold_a_name_with_spaces() {
    // One program in five logs a two-word name; the separator still ends the header.
    let lines: Vec<String> = (0..40)
        .map(|i| {
            let prog = [
                "chrome.exe",
                "git.exe",
                "chrome.exe *64",
                "qq.exe",
                "sync.exe",
            ][i % 5];
            format!(
                "[10.30 16:49:{:02}] {prog} - host{i}.example.com:443 {} item {i}",
                i % 60,
                WORDS[i % WORDS.len()]
            )
        })
        .collect();
    let h = learned(&lines);
    assert_eq!(h.strip(&lines[2]), "Accepted item 2");
    assert_eq!(h.strip(&lines[3]), "Failed item 3");
}

#[test]
fn a_stream_dominated_by_one_event_keeps_its_first_words_in_the_message() {
    // `handled request` in 19 lines of 20 repeats like a host name would; nothing
    // header-shaped follows it, so it stays message.
    let lines: Vec<String> = (0..60)
        .map(|i| {
            let msg = if i % 20 == 1 {
                format!("upstream timeout after {i}ms")
            } else {
                format!("handled request id={i} in {}ms", i % 17)
            };
            let level = if i % 20 == 1 { "ERROR" } else { "INFO" };
            format!("2024-01-01T00:{:02}:{:02}Z {level} {msg}", i / 60, i % 60)
        })
        .collect();
    let h = learned(&lines);
    assert_eq!(h.strip(&lines[2]), "handled request id=2 in 2ms");
    assert_eq!(h.strip(&lines[1]), "upstream timeout after 1ms");
}

#[test]
fn a_wide_column_setting_is_bounded() {
    let cfg = HeaderConfig {
        max_columns: 40,
        ..HeaderConfig::default()
    };
    let lines: Vec<String> = (0..40).map(|i| format!("a b c d e f g {i}")).collect();
    let h = Header::learn(&cfg, lines.iter().map(String::as_str));
    assert_eq!(h.strip(&lines[0]), lines[0]);
}

/// `n` syslog lines (`Jul  2 09:01:11 host program[pid]: message`) from `program(i)`.
fn syslog_lines(n: usize, program: impl Fn(usize) -> String) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "Jul {:2} 09:0{}:1{} calvisitor-10-105-160-{} {} {} session {i}",
                1 + i % 6,
                i % 10,
                i % 6,
                90 + i % 5,
                program(i),
                WORDS[i % WORDS.len()],
            )
        })
        .collect()
}

#[test]
fn a_program_name_with_spaces_still_ends_the_header() {
    let lines = syslog_lines(40, |i| format!("kernel[{}]:", i * 7));
    let h = learned(&lines);
    assert_eq!(h.strip(&lines[3]), "Failed session 3");
    assert_eq!(
        h.strip("Jul  2 09:01:11 calvisitor-10-105-160-91 Microsoft Word[412]: WARNING: font"),
        "WARNING: font"
    );
}

#[test]
fn a_name_with_spaces_runs_on_to_its_label_when_the_label_column_ends_the_header() {
    // Half the lines from one program, the rest from many of rare shapes: no shape covers
    // the program column, so it is learned as a closing label column.
    let rare = |i: usize| {
        let sep = [".", "-", "_"][i % 3];
        format!("com{}[{}]:", format!("{sep}part").repeat(1 + i / 3), 40 + i)
    };
    let lines = syslog_lines(60, |i| {
        if i % 2 == 0 {
            "kernel[0]:".to_string()
        } else {
            rare(i / 2 % 18)
        }
    });
    let h = learned(&lines);
    assert_eq!(h.strip(&lines[3]), "Failed session 3");
    assert_eq!(
        h.strip("Jul  2 09:01:11 calvisitor-10-105-160-91 Microsoft Word[412]: WARNING: font"),
        "WARNING: font"
    );
    assert_eq!(
        h.strip("Jul  2 09:01:11 calvisitor-10-105-160-91 Google Chrome Helper[9]: Libnotify: x"),
        "Libnotify: x"
    );
    // A plain label a word on is the message's: nothing more is taken.
    assert_eq!(
        h.strip("Jul  2 09:01:11 calvisitor-10-105-160-91 kernel ARPT: 62.8: wl0"),
        "ARPT: 62.8: wl0"
    );
}
