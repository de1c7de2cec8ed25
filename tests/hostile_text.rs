//! Hostile text (issue #12 item 3): escape sequences in logs and object fields are shown, never
//! executed, in every human rendering (text, Markdown, `logs templates`, `logs diff`, `fix`),
//! and they do not change the diagnosis.

#[path = "support_files/mod.rs"]
mod support_files;
use std::path::Path;
use std::process::{Command, Output};
use support_files::copy_tree;

const SCENARIO: &str = "fixtures/scenarios/canary-go-nil-pointer-panic";
/// Retitles the terminal, clears it, moves the cursor home and forges a line; then a bidi
/// override and a C1 CSI.
const ATTACK: &str = "\x1b]0;pwned\x07\x1b[2J\x1b[H\rOK: all checks passed\u{202e}\u{9b}31m";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
        .args(args)
        .output()
        .unwrap()
}

/// The scenario with the attack in its Rollout status message and coloured, attacking crash
/// lines in the canary's logs.
fn hostile_snapshot() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(Path::new(SCENARIO), dir.path());
    let objects = dir.path().join("objects.yaml");
    let text = std::fs::read_to_string(&objects).unwrap();
    let escaped: String = ATTACK
        .chars()
        .map(|c| format!("\\u{:04X}", c as u32))
        .collect();
    let text = text.replacen(
        "message: \"ProgressDeadlineExceeded: ",
        &format!("message: \"{escaped}ProgressDeadlineExceeded: "),
        1,
    );
    assert!(
        text.contains(&escaped),
        "the status message was not found to attack"
    );
    std::fs::write(&objects, text).unwrap();
    for entry in std::fs::read_dir(dir.path().join("logs")).unwrap() {
        let pod = entry.unwrap().path();
        for log in ["app.log", "app.previous.log"] {
            let p = pod.join(log);
            let Ok(lines) = std::fs::read_to_string(&p) else {
                continue;
            };
            let coloured: String = lines
                .lines()
                .map(|l| match l.strip_prefix("panic: ") {
                    Some(rest) => format!("\x1b[31;1mpanic: \x1b[0m{rest}{ATTACK}\n"),
                    None => format!("{l}\n"),
                })
                .collect();
            std::fs::write(&p, coloured).unwrap();
        }
    }
    dir
}

/// The log folder of the crashed canary pod (it has a previous log), or of a stable pod.
fn pod_logs(snapshot: &Path, crashed: bool) -> std::path::PathBuf {
    std::fs::read_dir(snapshot.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("app.previous.log").exists() == crashed)
        .unwrap()
}

fn assert_no_controls(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{what} prints raw control characters {bad:?}:\n{text}"
    );
}

fn category(dir: &Path) -> String {
    let o = run(&["diagnose", dir.to_str().unwrap(), "--output", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    d["category"].as_str().unwrap().to_owned()
}

#[test]
fn text_and_markdown_show_escapes_and_the_diagnosis_stays() {
    let dir = hostile_snapshot();
    let path = dir.path().to_str().unwrap();
    for format in ["text", "markdown"] {
        let o = run(&["diagnose", path, "--output", format]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_no_controls(format, &o.stdout);
        assert_no_controls(&format!("{format} (stderr)"), &o.stderr);
        if format == "text" {
            // The status message is printed, its escapes visible.
            assert!(
                String::from_utf8_lossy(&o.stdout).contains("\\e]0;pwned"),
                "the attack is shown as text"
            );
        }
    }
    assert_eq!(category(dir.path()), category(Path::new(SCENARIO)));
    let o = run(&["diagnose", path, "--output", "json"]);
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Colours are stripped before mining: the crash line reads as the plain one does.
    assert!(
        d["summary"]
            .as_str()
            .unwrap()
            .contains("crashes: panic: runtime error"),
        "{}",
        d["summary"]
    );
}

#[test]
fn log_tools_show_escapes() {
    let dir = hostile_snapshot();
    let canary = pod_logs(dir.path(), true);
    let stable = pod_logs(dir.path(), false);
    let file = canary.join("app.log");
    let o = run(&["logs", "templates", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_no_controls("logs templates", &o.stdout);
    let o = run(&[
        "logs",
        "diff",
        "--canary",
        file.to_str().unwrap(),
        "--stable",
        stable.join("app.log").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_no_controls("logs diff", &o.stdout);
}

/// 64-character base64 lines of a made-up key (not a real one), as `openssl` prints them.
fn key_lines(width: usize) -> Vec<String> {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..26)
        .map(|i| {
            alphabet
                .chars()
                .cycle()
                .skip(i * 7 + 3)
                .take(width)
                .collect()
        })
        .collect()
}

#[test]
fn a_private_key_logged_line_by_line_never_leaves() {
    for width in [64, 76] {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(Path::new(SCENARIO), dir.path());
        let canary = pod_logs(dir.path(), true);
        let body = key_lines(width);
        // Each PEM line is its own log record, behind the logger's prefix; a bare block too.
        let prefix = "2024-04-22T14:19:58.120Z DEBUG tls/loader.go:41";
        let mut log = format!("{prefix} loading key\n{prefix} -----BEGIN RSA PRIVATE KEY-----\n");
        for l in &body[..13] {
            log.push_str(&format!("{prefix} {l}\n"));
        }
        log.push_str(&format!(
            "{prefix} -----END RSA PRIVATE KEY-----\n-----BEGIN PRIVATE KEY-----\n"
        ));
        for l in &body[13..] {
            log.push_str(&format!("{l}\n"));
        }
        log.push_str("-----END PRIVATE KEY-----\n");
        log.push_str(&std::fs::read_to_string(canary.join("app.log")).unwrap());
        std::fs::write(canary.join("app.log"), &log).unwrap();
        let outputs = [
            run(&["diagnose", dir.path().to_str().unwrap(), "--output", "json"]),
            run(&["diagnose", dir.path().to_str().unwrap()]),
            run(&["evidence", dir.path().to_str().unwrap()]),
            run(&[
                "logs",
                "templates",
                canary.join("app.log").to_str().unwrap(),
                "--output",
                "json",
            ]),
            run(&[
                "logs",
                "diff",
                "--canary",
                canary.join("app.log").to_str().unwrap(),
                "--stable",
                canary.join("app.log").to_str().unwrap(),
                "--output",
                "json",
            ]),
        ];
        for o in outputs {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let out = String::from_utf8_lossy(&o.stdout);
            for l in &body {
                assert!(
                    !out.contains(&l[8..40]),
                    "width {width}: a key line leaked: {l}\n{out}"
                );
            }
        }
    }
}
