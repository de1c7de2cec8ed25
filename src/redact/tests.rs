//! Table-driven checks per family; the big recall / false-positive measurement lives in
//! `tests/redaction.rs`.

use super::{RedactionConfig, Redactor, names, scan};
use std::borrow::Cow;

fn r() -> Redactor {
    Redactor::with_key(b"unit-test-key")
}

/// Each case: input line, secrets that must vanish, text that must survive.
fn check(cases: &[(&str, &[&str], &[&str])]) {
    let red = r();
    for (line, gone, kept) in cases {
        let out = red.line(line);
        for s in *gone {
            assert!(
                !out.contains(s),
                "secret {s:?} survived in {out:?} (from {line:?})"
            );
        }
        for k in *kept {
            assert!(out.contains(k), "{k:?} lost in {out:?} (from {line:?})");
        }
        assert!(out.contains("<redacted:"), "nothing redacted in {line:?}");
        assert_eq!(red.line(&out), out, "not idempotent for {line:?}");
    }
}

fn untouched(lines: &[&str]) {
    let red = r();
    for line in lines {
        assert!(
            matches!(red.line(line), Cow::Borrowed(_)),
            "changed: {line:?} -> {:?}",
            red.line(line)
        );
    }
}

#[test]
fn patterns_compile() {
    assert!(scan::rules_compile().is_ok());
}

#[test]
fn key_value_forms() {
    check(&[
        (
            "db password=hunter2 user=app",
            &["hunter2"],
            &["user=app", "password="],
        ),
        (
            "level=info msg=connect DB_PASSWORD=S3cr3t!x",
            &["S3cr3t!x"],
            &["msg=connect"],
        ),
        (
            r#"{"user":"bob","password":"p@ss w0rd"}"#,
            &["p@ss w0rd"],
            &[r#""user":"bob""#],
        ),
        (
            r#"{\"client_secret\":\"abcDEF123456\"}"#,
            &["abcDEF123456"],
            &[],
        ),
        ("  password: changeme", &["changeme"], &["password:"]),
        ("auth failed, password: hunter22", &["hunter22"], &[]),
        (
            "Server=db;User Id=sa;Password=Pa55w0rd!;Encrypt=true",
            &["Pa55w0rd!"],
            &["Encrypt=true"],
        ),
        (
            "spring.datasource.password=jdbcSecret99",
            &["jdbcSecret99"],
            &[],
        ),
        (
            "User(name=bob, apiKey=k_8f7a6b5c4d3e)",
            &["k_8f7a6b5c4d3e"],
            &["name=bob"],
        ),
        (
            "config {Password:Tr0ub4dor User:svc}",
            &["Tr0ub4dor"],
            &["User:svc"],
        ),
        (":secret_token => 'rubySecret42'", &["rubySecret42"], &[]),
        (
            "<password>xmlPass1</password>",
            &["xmlPass1"],
            &["<password>"],
        ),
        (
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=q1w2e3r4t5y6u7i8o9p0ASDFGHJKL==;EndpointSuffix=core.windows.net",
            &["q1w2e3r4t5y6u7i8o9p0ASDFGHJKL=="],
            &["AccountName=acct"],
        ),
    ]);
}

#[test]
fn query_strings_and_urls() {
    check(&[
        (
            "GET /cb?code=x&token=abc123XYZ&api_key=k9k9k9k9 HTTP/1.1",
            &["abc123XYZ", "k9k9k9k9"],
            &["GET /cb?"],
        ),
        (
            "postgres://app:Sup3rS3cret@db:5432/orders",
            &["Sup3rS3cret"],
            &["postgres://app:", "@db:5432"],
        ),
        (
            "mongodb+srv://u:p4ssw0rd@cluster0.mongodb.net/x",
            &["p4ssw0rd"],
            &[],
        ),
        ("redis://:r3disPass@redis:6379/0", &["r3disPass"], &[]),
        (
            "https://acct.blob.core.windows.net/c/b?sv=2021-08-06&se=2024-01-01&sig=AbCd%2Bef%3D1234567890abcdefGHIJ",
            &["AbCd%2Bef%3D1234567890abcdefGHIJ"],
            &["sv=2021-08-06"],
        ),
        (
            "POST https://hooks.slack.com/services/T0000AAAA/B1111BBBB/abcdefghijklmnopqrstuvwx",
            &["abcdefghijklmnopqrstuvwx"],
            &["hooks.slack.com"],
        ),
    ]);
}

#[test]
fn headers() {
    check(&[
        (
            "Authorization: Bearer abc.def-ghi_jkl123",
            &["abc.def-ghi_jkl123"],
            &["Authorization: Bearer"],
        ),
        (
            "authorization=Basic dXNlcjpwYXNzd29yZA==",
            &["dXNlcjpwYXNzd29yZA=="],
            &[],
        ),
        (
            "map[Authorization:[Bearer tok_9f8e7d6c5b4a] Accept:[*/*]]",
            &["tok_9f8e7d6c5b4a"],
            &["Accept:[*/*]"],
        ),
        (
            "curl -H 'Authorization: token ghx_notreal1234567890'",
            &["ghx_notreal1234567890"],
            &[],
        ),
        (
            "Cookie: sessionid=abc123def456; theme=dark",
            &["abc123def456"],
            &["Cookie: sessionid=", "theme=dark"],
        ),
        (
            "Set-Cookie: SID=31d4d96e407aad42; Path=/; HttpOnly",
            &["31d4d96e407aad42"],
            &["Path=/"],
        ),
    ]);
}

#[test]
fn vendor_tokens() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    check(&[
        (
            &format!("token issued {jwt} for user"),
            &[jwt],
            &["for user"],
        ),
        (
            "aws key AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            &[
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ],
            &[],
        ),
        (
            "maps key=AIzaSyD-1234567890abcdefghijklmnopqrstu",
            &["AIzaSyD-1234567890abcdefghijklmnopqrstu"],
            &[],
        ),
        (
            "push with ghp_0123456789abcdefghijABCDEFGHIJ012345",
            &["ghp_0123456789abcdefghijABCDEFGHIJ012345"],
            &[],
        ),
        (
            "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            &["xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
            &[],
        ),
        (
            "charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            &["sk_live_4eC39HqLyjWDarjtT1zdp7dc"],
            &[],
        ),
        (
            r#"{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n", "client_email": "x@y.iam.gserviceaccount.com"}"#,
            &["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"],
            &["client_email"],
        ),
    ]);
}

#[test]
fn cli_args() {
    check(&[
        (
            "args: [--db-password=hunter2 --verbose]",
            &["hunter2"],
            &["--verbose"],
        ),
        (
            r#"["--api-token", "t0k3nV4lue", "--port", "8080"]"#,
            &["t0k3nV4lue"],
            &["8080"],
        ),
        (
            "mysql -h db -u root -p S3cretPw orders",
            &["S3cretPw"],
            &["orders"],
        ),
        ("mysqldump -uroot -pS3cretPw db", &["S3cretPw"], &[]),
        (
            "redis-cli -h cache -a r3dis0nly ping",
            &["r3dis0nly"],
            &["ping"],
        ),
        (
            "curl -u admin:S3cr3tAdm1n https://jenkins.internal/api/json",
            &["S3cr3tAdm1n"],
            &["-u admin:"],
        ),
        ("curl --user=ci:c1Pass! https://x", &["c1Pass!"], &["ci:"]),
    ]);
}

#[test]
fn multi_line_pem_via_text() {
    let red = r();
    let blob = "loading key\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c2VjcmV0\nZm9vYmFy\n-----END RSA PRIVATE KEY-----\ndone\n";
    let out = red.text(blob);
    assert!(
        !out.contains("MIIEpAIBAAKCAQEA1c2VjcmV0") && !out.contains("Zm9vYmFy"),
        "{out}"
    );
    assert!(
        out.starts_with("loading key\n") && out.ends_with("\ndone\n"),
        "{out}"
    );
    // A line-at-a-time caller still never sees the header's key body.
    assert!(
        red.line("-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA")
            .contains("<redacted:private_key:")
    );
}

#[test]
fn ordinary_lines_untouched() {
    untouched(&[
        "token_count=5 prompt_tokens=120 max_tokens=4096",
        "password reset email sent to user 4412",
        "failed to validate token: context deadline exceeded",
        "invalid token: expired",
        "secret \"db-credentials\" not found",
        "Pulling image \"nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31\"",
        "request_id=123e4567-e89b-12d3-a456-426614174000 status=200",
        "The client must send a Bearer token in the Authorization header",
        "secretKeyRef: {name: db, key: password}",
        "cache key=default/web-7d9f8c6b5-x2x4q hit=true",
        "request authorization: denied",
        "mkdir -p /var/lib/data && ssh -p 2222 host",
        "auth=oidc session=new next_page_token=",
        "PASSWORD_FILE=/run/secrets/db",
    ]);
}

#[test]
fn pseudonyms_are_deterministic_and_keyed() {
    let a = Redactor::with_key(b"k1");
    let b = Redactor::with_key(b"k2");
    let line = "password=hunter2 and again password=hunter2";
    let out = a.line(line);
    let first = out.find("<redacted:password:").map(|i| &out[i..i + 28]);
    assert!(first.is_some(), "{out}");
    assert_eq!(
        out.matches(first.unwrap_or("?")).count(),
        2,
        "same secret, same pseudonym: {out}"
    );
    assert_eq!(a.line(line), Redactor::with_key(b"k1").line(line));
    assert_ne!(a.line(line), b.line(line));
    assert_ne!(a.pseudonym("password", "x"), a.pseudonym("password", "y"));
    // Without a configured key all redactors of one process agree.
    assert_eq!(
        Redactor::default().line(line),
        Redactor::new(RedactionConfig::default()).line(line)
    );
}

#[test]
fn optional_emails_and_ips() {
    let line =
        "login from 10.1.2.3 and 2001:db8::1 by alice@example.com, version 1.2.3.4.5, at 12:30:45";
    assert!(matches!(r().line(line), Cow::Borrowed(_)));
    let red = Redactor::new(RedactionConfig {
        emails: true,
        ips: true,
        key: Some(b"k".to_vec()),
    });
    let out = red.line(line);
    for gone in ["10.1.2.3", "2001:db8::1", "alice@example.com"] {
        assert!(!out.contains(gone), "{out}");
    }
    assert!(
        out.contains("1.2.3.4.5") && out.contains("12:30:45"),
        "{out}"
    );
    assert_eq!(red.line(&out), out);
}

#[test]
fn env_values() {
    let red = r();
    let cases: &[(&str, &str, bool)] = &[
        ("DB_PASSWORD", "hunter2", true),
        ("STRIPE_KEY", "whatever-value", true),
        ("GITHUB_TOKEN", "abc", true),
        ("SECRET_KEY_BASE", "deadbeef", true),
        ("KEY_PREFIX", "myapp:", false),
        ("TOKEN_TTL", "3600", false),
        ("PASSWORD_FILE", "/run/secrets/pw", false),
        ("CACHE_KEY", "v2", false),
        ("DB_PASSWORD", "$(SHARED_PASSWORD)", false),
        ("LOG_LEVEL", "debug", false),
    ];
    for (name, value, redacted) in cases {
        let out = red.env_value(name, value);
        assert_eq!(out != *value, *redacted, "{name}={value} -> {out}");
    }
    let out = red.env_value("DATABASE_URL", "postgres://u:pw12345@db/x");
    assert!(!out.contains("pw12345") && out.contains("@db/x"), "{out}");
    assert_eq!(
        red.env_value("API_KEY", "k"),
        red.env_value("OTHER_API_KEY", "k"),
        "kind + value decide the pseudonym"
    );
}

#[test]
fn key_name_classes() {
    use names::{Tier, classify};
    let strong = [
        "password",
        "clientSecret",
        "X-Api-Key",
        "aws_secret_access_key",
        "PGPASSWORD",
        "storepass",
        "access_token",
        "SECRET_KEY_BASE",
    ];
    let weak = ["key", "session_id", "sig", "auth"];
    let none = [
        "token_count",
        "password_file",
        "secretName",
        "next_page_token",
        "cache_key",
        "monkey",
        "tokens",
        "signal",
        "public_key",
    ];
    for n in strong {
        assert_eq!(classify(n).map(|c| c.tier), Some(Tier::Strong), "{n}");
    }
    for n in weak {
        assert_eq!(classify(n).map(|c| c.tier), Some(Tier::Weak), "{n}");
    }
    for n in none {
        assert_eq!(classify(n), None, "{n}");
    }
}

#[test]
fn gitlab_token_families_and_gcp_key_ids() {
    let tail = "xY9_kLm2-Qw8rTz4VbN6";
    let lines: Vec<String> = [
        "glpat", "gldt", "glrt", "glcbt", "glptt", "glft", "glimt", "gloas", "glsoat",
    ]
    .iter()
    .map(|p| format!("git clone with {p}-{tail} failed"))
    .collect();
    let gone: &[&str] = &[tail];
    let kept: &[&str] = &["git clone with", "failed"];
    let cases: Vec<(&str, &[&str], &[&str])> =
        lines.iter().map(|l| (l.as_str(), gone, kept)).collect();
    check(&cases);
    check(&[(
        r#"{"type": "service_account", "private_key_id": "4f2a9c1e7b3d5a8f0e6c2b9d1a7f3e5c8b0d2a4f", "client_email": "x"}"#,
        &["4f2a9c1e7b3d5a8f0e6c2b9d1a7f3e5c8b0d2a4f"],
        &["service_account", "client_email"],
    )]);
    // Words that merely start like a prefix are not tokens.
    untouched(&["glrt-ready=true", "ran gldt- less"]);
}
