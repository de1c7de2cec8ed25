use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use clap::Parser;

use super::*;

/// (what, env, flags, check)
type Case<'a> = (
    &'a str,
    Vec<(&'a str, &'a str)>,
    Vec<&'a str>,
    fn(&AgentConfig) -> bool,
);
/// (what, env, flags, expected substrings of the error message)
type ErrorCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<String>, Vec<&'a str>);

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

/// Parses flags the way the binary would, so the clap attributes are exercised too.
fn args(flags: &[&str]) -> AgentArgs {
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        agent: AgentArgs,
    }
    let argv = std::iter::once("rollout-doctor").chain(flags.iter().copied());
    Cli::try_parse_from(argv).expect("test flags parse").agent
}

fn config_file(yaml: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(yaml.as_bytes()).expect("write temp file");
    f
}

#[test]
fn defaults_apply_without_any_source() {
    let c = load(&AgentArgs::default(), &env_of(&[])).expect("defaults are valid");
    assert_eq!(c, AgentConfig::default());
}

#[test]
fn precedence_defaults_file_env_flags() {
    let file = config_file(
        "concurrency: 2\nselector: team=file\nnamespaces: [file-ns]\napi_timeout: 20s\nlog_format: json\n",
    );
    let path = file.path().to_str().expect("utf-8 temp path").to_string();
    let cases: Vec<Case> = vec![
        ("file over defaults", vec![], vec!["--config", &path], |c| {
            c.concurrency == 2
                && c.selector.as_deref() == Some("team=file")
                && c.namespaces == ["file-ns"]
                && c.api_timeout == Duration::from_secs(20)
                && c.log_format == LogFormat::Json
                // untouched keys keep their defaults
                && c.lease_duration == Duration::from_secs(15)
        }),
        (
            "env over file",
            vec![
                ("ROLLOUT_DOCTOR_CONCURRENCY", "3"),
                ("ROLLOUT_DOCTOR_NAMESPACES", "a, b"),
            ],
            vec!["--config", &path],
            |c| {
                c.concurrency == 3
                    && c.namespaces == ["a", "b"]
                    && c.selector.as_deref() == Some("team=file")
            },
        ),
        (
            "flags over env",
            vec![
                ("ROLLOUT_DOCTOR_CONCURRENCY", "3"),
                ("ROLLOUT_DOCTOR_SELECTOR", "team=env"),
            ],
            vec![
                "--config",
                &path,
                "--concurrency",
                "4",
                "--namespace",
                "x",
                "--namespace",
                "y",
            ],
            |c| {
                c.concurrency == 4
                    && c.namespaces == ["x", "y"]
                    && c.selector.as_deref() == Some("team=env")
            },
        ),
        (
            "config path from env",
            vec![("ROLLOUT_DOCTOR_CONFIG", &path)],
            vec![],
            |c| c.concurrency == 2 && c.config_file.is_some(),
        ),
        (
            "empty env counts as unset",
            vec![("ROLLOUT_DOCTOR_CONCURRENCY", "")],
            vec!["--config", &path],
            |c| c.concurrency == 2,
        ),
        (
            "empty selector flag clears",
            vec![],
            vec!["--config", &path, "--selector", ""],
            |c| c.selector.is_none(),
        ),
        (
            "empty namespace flag means all",
            vec![],
            vec!["--config", &path, "--namespace", ""],
            |c| c.namespaces.is_empty(),
        ),
        (
            "comma-separated namespace flag",
            vec![],
            vec!["--namespace", "a,b"],
            |c| c.namespaces == ["a", "b"],
        ),
        (
            "downward API identity and lease namespace",
            vec![("POD_NAME", "rd-abc"), ("POD_NAMESPACE", "ops")],
            vec![],
            |c| c.identity == "rd-abc" && c.lease_namespace == "ops",
        ),
        (
            "explicit env beats downward API",
            vec![
                ("POD_NAME", "rd-abc"),
                ("ROLLOUT_DOCTOR_IDENTITY", "me"),
                ("ROLLOUT_DOCTOR_LEASE_NAMESPACE", "x"),
            ],
            vec![],
            |c| c.identity == "me" && c.lease_namespace == "x",
        ),
        (
            "flag beats downward API",
            vec![("POD_NAME", "rd-abc")],
            vec!["--identity", "cli"],
            |c| c.identity == "cli",
        ),
        (
            "env turns leader election off",
            vec![("ROLLOUT_DOCTOR_LEADER_ELECTION", "false")],
            vec![],
            |c| !c.leader_election,
        ),
        (
            "no-leader-election flag",
            vec![],
            vec!["--no-leader-election"],
            |c| !c.leader_election,
        ),
        (
            "durations and misc flags",
            vec![],
            vec![
                "--api-timeout",
                "1m30s",
                "--shutdown-grace",
                "500ms",
                "--lease-duration",
                "30s",
                "--http-addr",
                "127.0.0.1:9090",
                "--log-format",
                "json",
                "--evidence-budget",
                "100",
                "--log-tail-lines",
                "10",
                "--log-limit-bytes",
                "4096",
                "--lease-name",
                "x.y",
            ],
            |c| {
                c.api_timeout == Duration::from_secs(90)
                    && c.shutdown_grace == Duration::from_millis(500)
                    && c.lease_duration == Duration::from_secs(30)
                    && c.http_addr.port() == 9090
                    && c.log_format == LogFormat::Json
                    && c.evidence_budget == 100
                    && c.log_tail_lines == 10
                    && c.log_limit_bytes == 4096
                    && c.lease_name == "x.y"
            },
        ),
        (
            "env durations and format",
            vec![
                ("ROLLOUT_DOCTOR_API_TIMEOUT", "250ms"),
                ("ROLLOUT_DOCTOR_LOG_FORMAT", "JSON"),
            ],
            vec![],
            |c| c.api_timeout == Duration::from_millis(250) && c.log_format == LogFormat::Json,
        ),
    ];
    for (what, env, flags, check) in cases {
        let c = load(&args(&flags), &env_of(&env)).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(check(&c), "{what}: {c:#?}");
    }
}

#[test]
fn errors_name_their_source() {
    let unknown = config_file("concurrency: 2\nrunAsNonroot: true\n");
    let bad_duration = config_file("lease_duration: 15\n");
    let bad_unit = config_file("api_timeout: 10h\n");
    let not_a_map = config_file("- a\n- b\n");
    let wrong_type = config_file("concurrency: many\n");
    let p = |f: &tempfile::NamedTempFile| f.path().to_str().expect("utf-8 temp path").to_string();
    let (unknown_path, wrong_type_path) = (p(&unknown), p(&wrong_type));
    let cases: Vec<ErrorCase> = vec![
        (
            "unknown key",
            vec![],
            vec!["--config".into(), p(&unknown)],
            vec!["unknown key `runAsNonroot`", &unknown_path],
        ),
        (
            "integer duration",
            vec![],
            vec!["--config".into(), p(&bad_duration)],
            vec!["lease_duration", "missing unit"],
        ),
        (
            "unknown unit",
            vec![],
            vec!["--config".into(), p(&bad_unit)],
            vec!["api_timeout", "unknown unit \"h\""],
        ),
        (
            "not a mapping",
            vec![],
            vec!["--config".into(), p(&not_a_map)],
            vec!["expected a mapping"],
        ),
        (
            "wrong type",
            vec![],
            vec!["--config".into(), p(&wrong_type)],
            vec!["concurrency", &wrong_type_path],
        ),
        (
            "missing file",
            vec![],
            vec!["--config".into(), "/nonexistent/rd.yaml".into()],
            vec!["cannot read config file /nonexistent/rd.yaml"],
        ),
        (
            "bad env number",
            vec![("ROLLOUT_DOCTOR_CONCURRENCY", "x")],
            vec![],
            vec!["ROLLOUT_DOCTOR_CONCURRENCY", "\"x\""],
        ),
        (
            "bad env bool",
            vec![("ROLLOUT_DOCTOR_LEADER_ELECTION", "maybe")],
            vec![],
            vec!["ROLLOUT_DOCTOR_LEADER_ELECTION"],
        ),
        (
            "bad env duration",
            vec![("ROLLOUT_DOCTOR_SHUTDOWN_GRACE", "10")],
            vec![],
            vec!["ROLLOUT_DOCTOR_SHUTDOWN_GRACE", "missing unit"],
        ),
        (
            "zero concurrency",
            vec![],
            vec!["--concurrency".into(), "0".into()],
            vec!["concurrency must be at least 1"],
        ),
        (
            "short lease",
            vec![],
            vec!["--lease-duration".into(), "4s".into()],
            vec!["lease_duration must be at least 5s"],
        ),
        (
            "zero timeout",
            vec![],
            vec!["--api-timeout".into(), "0s".into()],
            vec!["api_timeout"],
        ),
        (
            "bad namespace",
            vec![("ROLLOUT_DOCTOR_NAMESPACES", "Prod")],
            vec![],
            vec!["\"Prod\" is not a valid namespace"],
        ),
        (
            "negative tail",
            vec![],
            vec!["--log-tail-lines=-1".into()],
            vec!["log_tail_lines"],
        ),
        (
            "empty identity",
            vec![],
            vec!["--identity".into(), "".into()],
            vec!["identity"],
        ),
    ];
    for (what, env, flags, expected) in cases {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let err = match load(&args(&flags), &env_of(&env)) {
            Ok(c) => panic!("{what}: expected an error, got {c:#?}"),
            Err(e) => e.to_string(),
        };
        for part in expected {
            assert!(err.contains(part), "{what}: {err:?} lacks {part:?}");
        }
    }
}

#[test]
fn leader_election_off_skips_lease_checks() {
    let c = load(
        &args(&["--no-leader-election", "--identity", ""]),
        &env_of(&[]),
    );
    assert!(c.is_ok(), "{c:?}");
}

#[test]
fn every_known_key_is_accepted_by_the_file_loader() {
    let yaml = "namespaces: [a]\nselector: x=y\nconcurrency: 1\napi_timeout: 1s\nlog_tail_lines: 1\n\
        log_limit_bytes: 1\nhttp_addr: 127.0.0.1:1\nleader_election: false\nlease_name: l\n\
        lease_namespace: n\nlease_duration: 5s\nidentity: i\nlog_format: text\nevidence_budget: 1\n\
        shutdown_grace: 0s\n";
    let c = load_file_str(yaml, Path::new("all.yaml")).expect("all keys parse");
    assert_eq!(c.lease_duration, Duration::from_secs(5));
    // The list used in error messages must match what the loader accepts.
    assert_eq!(yaml.lines().count(), layer::FILE_KEYS.len());
}

#[test]
fn empty_file_means_no_overrides() {
    let c = load_file_str("# nothing set\n", Path::new("empty.yaml")).expect("empty file");
    assert_eq!(c.concurrency, AgentConfig::default().concurrency);
}

#[test]
fn duration_parser() {
    let ok = [
        ("10s", 10_000),
        ("500ms", 500),
        ("2m", 120_000),
        ("1m30s", 90_000),
        (" 0s ", 0),
    ];
    for (text, millis) in ok {
        assert_eq!(
            parse_duration(text),
            Ok(Duration::from_millis(millis)),
            "{text}"
        );
    }
    for bad in [
        "",
        "10",
        "s",
        "1.5s",
        "10h",
        "-1s",
        "99999999999999999999s",
        "1m s",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
    }
}
