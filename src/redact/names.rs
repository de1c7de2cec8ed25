//! Deciding whether a key name (log field, JSON key, env var, CLI flag) names a secret, and
//! whether a value next to it is plausibly one. Pure string logic so it is easy to test.

/// How sure a key name alone makes us that its value is secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    /// `password`, `client_secret`, `api_key`: redact any value that isn't obviously inert.
    Strong,
    /// `key`, `session`, `sig`, `auth`: too often non-secret (cache keys, auth modes), so
    /// only values that look machine-generated are redacted.
    Weak,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SecretName {
    pub tier: Tier,
    pub kind: &'static str,
}

const fn strong(kind: &'static str) -> Option<SecretName> {
    Some(SecretName {
        tier: Tier::Strong,
        kind,
    })
}
const fn weak(kind: &'static str) -> Option<SecretName> {
    Some(SecretName {
        tier: Tier::Weak,
        kind,
    })
}

/// Suffixes that re-describe the secret itself (`password_b64`, `SECRET_KEY_BASE`) rather
/// than something about it (`token_count`, `password_file`).
const VALUE_SUFFIXES: &[&str] = &[
    "value",
    "val",
    "b64",
    "base64",
    "hex",
    "str",
    "string",
    "plain",
    "plaintext",
    "raw",
    "data",
    "encoded",
    "enc",
    "literal",
    "text",
    "base",
];

/// Words ending in "pass" that are not passwords (`keypass`, `storepass`, `dbpass` are).
const NOT_PASSWORDS: &[&str] = &[
    "bypass",
    "compass",
    "surpass",
    "trespass",
    "overpass",
    "underpass",
    "multipass",
    "onepass",
    "firstpass",
    "secondpass",
    "singlepass",
    "twopass",
    "encompass",
];

/// `X_key` prefixes that make a key a credential.
const SECRET_KEY_PREFIXES: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "account",
    "signing",
    "master",
    "encryption",
    "shared",
    "client",
    "app",
    "subscription",
    "service",
    "storage",
    "admin",
    "auth",
    "sas",
    "webhook",
    "deploy",
    "ssh",
    "gpg",
    "pgp",
    "hmac",
    "jwt",
    "crypto",
    "root",
    "session",
    "consumer",
    "license",
    "cipher",
    "aes",
    "decryption",
    "token",
    "sendgrid",
    "stripe",
    "openai",
    "mailgun",
    "twilio",
    "sentry",
    "datadog",
    "dd",
    "algolia",
    "firebase",
];

/// `X_key` prefixes that make a key a lookup handle, never a credential.
const INERT_KEY_PREFIXES: &[&str] = &[
    "cache",
    "idempotency",
    "partition",
    "routing",
    "sort",
    "foreign",
    "object",
    "s3",
    "lookup",
    "map",
    "config",
    "label",
    "annotation",
    "dedup",
    "dedupe",
    "shard",
    "hash",
    "row",
    "registry",
    "lock",
    "queue",
    "metric",
    "translation",
    "i18n",
    "message",
    "public",
    "publishable",
    "pub",
    "group",
    "unique",
    "index",
    "json",
    "dict",
    "field",
    "header",
    "record",
    "entry",
    "item",
    "bucket",
    "file",
    "blob",
    "primary",
    "composite",
    "cluster",
    "kafka",
    "event",
    "job",
    "task",
    "request",
    "trace",
    "span",
    "dedupe",
    "secondary",
];

/// `X_token` prefixes for pagination cursors and parser/LLM tokens.
const INERT_TOKEN_PREFIXES: &[&str] = &[
    "page",
    "next",
    "continue",
    "continuation",
    "pagination",
    "sync",
    "resume",
    "cancellation",
    "cancel",
    "lexer",
    "parse",
    "parser",
    "unexpected",
    "max",
    "num",
    "total",
    "input",
    "output",
    "prompt",
    "completion",
    "eos",
    "bos",
    "pad",
    "unk",
    "sep",
    "special",
    "end",
    "start",
    "stop",
    "last",
    "first",
    "cursor",
    "invalid",
];

/// Splits `X-Api-Key`, `spring.datasource.password`, `clientSecret`, `AWSSecretKey` into
/// lowercase words.
pub(crate) fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Classifies a key name; `None` means "not a secret name".
pub(crate) fn classify(name: &str) -> Option<SecretName> {
    let mut ws = words(name);
    while ws.len() > 1
        && ws
            .last()
            .is_some_and(|w| VALUE_SUFFIXES.contains(&w.as_str()))
    {
        ws.pop();
    }
    let last = ws.last()?.as_str();
    let prev = ws
        .len()
        .checked_sub(2)
        .and_then(|i| ws.get(i))
        .map(String::as_str);

    if last == "pass"
        || last == "pw"
        || last == "pwd"
        || last.ends_with("password")
        || last.ends_with("passwd")
        || last.ends_with("passphrase")
        || (last.ends_with("pwd") && last.len() > 3 && !last.ends_with("oldpwd"))
        || (last.ends_with("pass") && !NOT_PASSWORDS.contains(&last))
    {
        return strong("password");
    }
    if last.ends_with("secret") {
        return strong("secret");
    }
    if last.ends_with("token") {
        if last == "token" && prev.is_some_and(|p| INERT_TOKEN_PREFIXES.contains(&p)) {
            return None;
        }
        return strong("token");
    }
    for (compound, kind) in [
        ("apikey", "api_key"),
        ("accesskey", "access_key"),
        ("secretkey", "secret_key"),
        ("privatekey", "private_key"),
        ("accountkey", "account_key"),
        ("sharedaccesskey", "access_key"),
        ("signingkey", "key"),
        ("masterkey", "key"),
        ("encryptionkey", "key"),
        ("authkey", "key"),
        ("clientkey", "key"),
        ("appkey", "key"),
        ("subscriptionkey", "key"),
        ("hmackey", "key"),
    ] {
        if last.ends_with(compound) {
            return strong(kind);
        }
    }
    if last == "key" {
        return match prev {
            Some("api") => strong("api_key"),
            Some("access") => strong("access_key"),
            Some("private") => strong("private_key"),
            Some("secret") => strong("secret_key"),
            Some(p) if SECRET_KEY_PREFIXES.contains(&p) => strong("key"),
            Some(p) if INERT_KEY_PREFIXES.contains(&p) => None,
            _ => weak("key"),
        };
    }
    match last {
        "credential" | "credentials" | "creds" | "cred" => strong("credential"),
        "authorization" => strong("authorization"),
        "dockerconfigjson" | "dockercfg" => strong("docker_config"),
        "cookie" | "cookies" => weak("cookie"),
        "session" | "sessionid" | "sid" | "sessid" | "phpsessid" | "jsessionid" => weak("session"),
        "id" if prev == Some("session") => weak("session"),
        "sig" | "signature" => weak("signature"),
        _ if last == "auth" || last.ends_with("auth") && last != "oauth" => weak("auth"),
        _ => None,
    }
}

/// Values that say something about a secret without being one: empty, booleans, small
/// numbers, masks, references to other variables, status words.
pub(crate) fn is_inert_value(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || v.len() <= 2 {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("<redacted")
        || lower.starts_with("[redacted")
        || lower.starts_with("(redacted")
    {
        return true;
    }
    if v.bytes().all(|b| {
        matches!(
            b,
            b'*' | b'x' | b'X' | b'.' | b'#' | b'-' | b'?' | b'_' | b'<' | b'>' | b'[' | b']'
        )
    }) {
        return true;
    }
    if v.len() <= 5 && v.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    // Substitutions: Kubernetes $(VAR), shell ${VAR}/$VAR, Windows %VAR%, Helm {{ }}.
    if v.starts_with("$(")
        || v.starts_with("${")
        || v.starts_with("{{")
        || (v.starts_with('%') && v.ends_with('%'))
        || (v.starts_with('$')
            && v[1..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
    {
        return true;
    }
    // Documentation placeholders: `<API-KEY>`, `<your token here>`.
    if let Some(inner) = v.strip_prefix('<')
        && inner
            .trim_end_matches('>')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" _-".contains(&b))
    {
        return true;
    }
    if v.starts_with("./") || v.starts_with("../") || v.starts_with("~/") {
        return true;
    }
    // Absolute file paths name where a secret lives, e.g. `token=/var/run/secrets/...`.
    if v.starts_with('/')
        && v[1..].contains('/')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
    {
        return true;
    }
    const WORDS: &[&str] = &[
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "null",
        "nil",
        "none",
        "undefined",
        "empty",
        "unset",
        "set",
        "present",
        "absent",
        "missing",
        "required",
        "optional",
        "redacted",
        "hidden",
        "masked",
        "filtered",
        "sensitive",
        "omitted",
        "removed",
        "invalid",
        "expired",
        "valid",
        "provided",
        "unknown",
        "default",
        "changeme_not_set",
        "bearer",
        "basic",
        "digest",
        "negotiate",
        "ntlm",
        "enabled",
        "disabled",
        "ok",
        "n/a",
        "na",
        "[filtered]",
        "<nil>",
        "<none>",
        "<hidden>",
        "<masked>",
        "(sensitive)",
        "{}",
        "[]",
        "(none)",
        "not set",
        "notset",
        "refreshed",
        "rotated",
        "revoked",
        "found",
        "loaded",
        "configured",
        "supplied",
        "ignored",
        "string",
        "object",
        "bool",
        "boolean",
        "int",
        "auto",
        "oauth",
        "oauth2",
        "oidc",
        "jwt",
        "ldap",
        "saml",
        "mtls",
        "tls",
        "anonymous",
        "native",
        "kerberos",
        "iam",
    ];
    WORDS.contains(&lower.as_str())
}

/// Loose randomness test for unquoted `key: value` prose, where a lowercase word after a
/// colon is far more often an error cause ("token: expired") than a password.
pub(crate) fn looks_secretish(v: &str) -> bool {
    if v.len() < 6 {
        return false;
    }
    let has_digit = v.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = v.bytes().any(|b| b.is_ascii_alphabetic());
    let has_symbol = v.bytes().any(|b| b"!@#$%^&*+=?~|".contains(&b));
    let inner_upper = v.bytes().skip(1).any(|b| b.is_ascii_uppercase())
        && v.bytes().any(|b| b.is_ascii_lowercase());
    // `my-secret-v2`, `db.example.com`: Kubernetes-style names and hosts, not passwords.
    let dns_like = v
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && (v.contains('-') || v.contains('.'));
    !dns_like && ((has_digit && has_alpha) || has_symbol || inner_upper)
}

/// Strict randomness test for weak names (`key=`, `session=`): only machine-generated
/// strings, so cache keys like `default/web-7d9f` and status words pass through.
pub(crate) fn looks_random(v: &str) -> bool {
    if v.len() < 16
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_%.-~".contains(&b))
    {
        return false;
    }
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    let upper = v.bytes().any(|b| b.is_ascii_uppercase());
    let lower = v.bytes().any(|b| b.is_ascii_lowercase());
    let hexish = v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let encoded = v.bytes().any(|b| b"+%".contains(&b)) || v.ends_with('=');
    digits >= 2 && ((upper && lower) || hexish || encoded)
}

/// Env var names: like [`classify`], except that `*_KEY` with an unknown prefix
/// (`STRIPE_KEY`, `ENCRYPTION_KEY`) is a credential — in an environment a bare key is
/// almost never a lookup handle; the inert prefixes (`CACHE_KEY`, `PUBLIC_KEY`) still are.
pub(crate) fn classify_env(name: &str) -> Option<SecretName> {
    match classify(name)? {
        SecretName {
            tier: Tier::Weak,
            kind: "key",
        } => strong("key"),
        other => Some(other),
    }
}
