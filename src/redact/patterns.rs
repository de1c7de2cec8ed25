//! The pattern families. Every family only reports byte spans to hide; merging, placeholder
//! protection and pseudonyms live in `scan.rs`, so families can overlap freely.

use super::names::{self, Tier};
use regex::{Captures, Regex, RegexSet, SetMatches};
use std::ops::Deref;

/// One span of secret text and what kind of secret it is (shown in the placeholder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub kind: &'static str,
}

/// A self-identifying token shape (vendor prefixes, JWT) whose match is the secret (or the
/// `s` group when the surrounding text should stay readable, e.g. the webhook host).
pub(crate) struct TokenRule {
    pub re: Pat,
    pub kind: &'static str,
    pub check: fn(&str) -> bool,
}

/// A family regex plus its index in [`Rules::set`], so a family only runs its (capturing,
/// slower) search when the one-pass set scan says it can match.
pub(crate) struct Pat {
    re: Regex,
    id: usize,
}

impl Deref for Pat {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        &self.re
    }
}

impl Pat {
    pub(crate) fn on(&self, active: &SetMatches) -> bool {
        active.matched(self.id)
    }

    /// `captures_iter`, skipped entirely when the set scan ruled this family out.
    pub(crate) fn caps_if<'r, 't>(
        &'r self,
        on: &SetMatches,
        text: &'t str,
    ) -> impl Iterator<Item = Captures<'t>> + use<'r, 't> {
        self.on(on)
            .then(|| self.re.captures_iter(text))
            .into_iter()
            .flatten()
    }

    pub(crate) fn find_if<'r, 't>(
        &'r self,
        on: &SetMatches,
        text: &'t str,
    ) -> impl Iterator<Item = regex::Match<'t>> + use<'r, 't> {
        self.on(on)
            .then(|| self.re.find_iter(text))
            .into_iter()
            .flatten()
    }
}

/// Collects every family pattern for the combined [`RegexSet`].
#[derive(Default)]
struct Builder {
    patterns: Vec<String>,
}

impl Builder {
    fn pat(&mut self, pattern: &str) -> Result<Pat, regex::Error> {
        let re = compile(pattern)?;
        self.patterns.push(re.as_str().to_owned());
        Ok(Pat {
            re,
            id: self.patterns.len() - 1,
        })
    }
}

pub(crate) struct Rules {
    /// Cheap literal prefilter (with [`needs_scan`]): most ordinary lines stop here.
    pub screen: Regex,
    /// All family patterns in one automaton: which families can match this text.
    pub set: RegexSet,
    pub tokens: Vec<TokenRule>,
    pub pem: Pat,
    pub pem_body: Pat,
    pub url_userinfo: Pat,
    pub kv: Pat,
    pub env_pair: Pat,
    pub chpasswd: Pat,
    pub xml: Pat,
    pub auth_header: Pat,
    pub bearer: Pat,
    pub basic: Pat,
    pub cookie: Pat,
    pub cli_flag: Pat,
    pub short_flag: Pat,
    pub attached_p: Pat,
    pub aws_secret_bare: Regex,
    pub email: Regex,
    pub ipv4: Regex,
    pub ipv6: Regex,
}

/// `\b` in our patterns means an ASCII word boundary: Unicode boundaries would make the
/// lazy DFA bail out on non-ASCII log lines.
fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)"))
}

fn always(_: &str) -> bool {
    true
}

fn mixed_alnum(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase())
}

impl Rules {
    pub(crate) fn build() -> Result<Rules, regex::Error> {
        let b = std::cell::RefCell::new(Builder::default());
        let token = |re: &str, kind, check| -> Result<TokenRule, regex::Error> {
            Ok(TokenRule {
                re: b.borrow_mut().pat(re)?,
                kind,
                check,
            })
        };
        let pat = |re: &str| b.borrow_mut().pat(re);
        let mut rules = Rules {
            set: RegexSet::empty(),
            // Together with `needs_scan`, a superset of every family's trigger. Kept to pure
            // literals so it runs as a fast prefilter; non-literal triggers are checked by
            // hand there. Keep in sync when adding a family (the corpus test catches misses).
            screen: compile(concat!(
                r"(?i)pass|pw|secret|token|key|auth|cred|session|cookie|sig|sid|dockerc|://|eyj",
                r"|akia|asia|abia|acca|aiza|ya29\.|gh[pousr]_|github_pat_|glpat-|gldt-|glrt-|glcbt-|glptt-|glft-|glimt-|gloas-|glsoat-|xox[abposre]-|xapp-",
                r"|[sr]k_(?:live|test)_|whsec_|-----begin|bearer|basic|sk-|sg\.|npm_|webhook",
            ))?,
            tokens: vec![
                token(
                    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
                    "jwt",
                    always,
                )?,
                token(
                    r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
                    "aws_access_key_id",
                    always,
                )?,
                token(r"\bAIza[0-9A-Za-z_-]{35}", "gcp_api_key", always)?,
                token(r"\bya29\.[0-9A-Za-z_-]{20,}", "gcp_token", always)?,
                token(
                    r"\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})",
                    "github_token",
                    always,
                )?,
                // Personal, deploy, runner, CI job, trigger, feed, incoming-mail, OAuth app and
                // service-account tokens all carry GitLab's `gl…-` prefix.
                token(
                    r"\bgl(?:pat|dt|rt|cbt|ptt|ft|imt|oas|soat)-[A-Za-z0-9_-]{20,}",
                    "gitlab_token",
                    always,
                )?,
                // A service-account key file's `private_key_id` names the key that signs.
                token(
                    r#"["']?private_key_id["']?\s*[:=]\s*["']?(?P<s>[0-9a-f]{40})\b"#,
                    "gcp_private_key_id",
                    always,
                )?,
                token(
                    r"\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})",
                    "slack_token",
                    always,
                )?,
                token(
                    r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9/_-]+)",
                    "slack_webhook",
                    always,
                )?,
                token(
                    r"discord(?:app)?\.com/api/webhooks/(?P<s>[0-9]+/[A-Za-z0-9_-]+)",
                    "webhook",
                    always,
                )?,
                token(
                    r"\b(?:[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9+/=]{16,})",
                    "stripe_key",
                    always,
                )?,
                token(
                    r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}",
                    "api_key",
                    mixed_alnum,
                )?,
                token(
                    r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
                    "api_key",
                    always,
                )?,
                token(r"\bnpm_[A-Za-z0-9]{36}\b", "npm_token", always)?,
                // Azure AD client secrets carry a version digit and `Q~` at offset 3.
                token(
                    r"(?:^|[^A-Za-z0-9_~.-])(?P<s>[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})",
                    "azure_client_secret",
                    always,
                )?,
            ],
            // Unterminated blocks (truncated lines, a BEGIN seen alone) run to the end: fail
            // closed rather than leak the key body.
            pem: pat(
                r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
            )?,
            // A line that is nothing but long base64 is, in a pod log, almost always the body
            // of a key or certificate dumped line by line.
            pem_body: pat(r"(?m)^[\t ]*(?P<s>[A-Za-z0-9+/]{40,76}={0,2})[\t ]*\r?$")?,
            url_userinfo: pat(
                r#"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s/?#@:"'<>]*:(?P<s>[^\s/"'<>]+)@"#,
            )?,
            kv: pat(concat!(
                r"(?P<key>(?:[A-Za-z_][A-Za-z0-9_.-]*?)?(?i:pass|pw|secret|token|key|auth|cred|session|cookie|sig|sid|sessid|dockerc)[A-Za-z0-9_.-]*)",
                r#"(?:\\?["'])?[ \t]*(?P<sep>:=|=>|[:=])(?P<sp>[ \t]*)"#,
                r#"(?:\\"(?P<v1>[^"\r\n]*?)\\"|"(?P<v2>(?:[^"\\\r\n]|\\.)*)"|'(?P<v3>[^'\r\n]*)'"#,
                r#"|\{(?P<v5>[^{}"'\s]*)\}|(?P<v4>[^\s,;&"'`})\]>=][^\s,;&"'`})\]>]*))"#,
            ))?,
            // Kubernetes EnvVar dumps: `{"name":"DB_PASSWORD","value":"x"}`, `{Name:X Value:y}`.
            env_pair: pat(concat!(
                r#"(?i)\bname["']?[ \t]*[:=][ \t]*["']?(?P<n>[A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*[,;]?[ \t]*["']?value["']?[ \t]*[:=][ \t]*"#,
                r#"(?:"(?P<v1>[^"\r\n]*)"|'(?P<v2>[^'\r\n]*)'|(?P<v3>[^\s,}\]]+))"#,
            ))?,
            chpasswd: pat(
                r#"\becho[ \t]+["']?[A-Za-z0-9_.-]+:(?P<s>[^\s"'|]+)["']?[ \t]*\|[ \t]*(?:sudo[ \t]+)?chpasswd"#,
            )?,
            xml: pat(
                r"<(?P<key>(?:[A-Za-z_][A-Za-z0-9_:.-]*?)?(?i:pass|pw|secret|token|key|cred)[A-Za-z0-9_.-]*)(?:\s[^>]*)?>(?P<s>[^<\r\n]+)</",
            )?,
            auth_header: pat(concat!(
                r#"(?i)\b(?:proxy-)?authorization["']?[ \t]*[:=][ \t\["']*"#,
                r"(?:(?P<scheme>bearer|basic|token|digest|negotiate|ntlm|apikey|api-key|bot|sso-key|aws4-hmac-sha256|sharedaccesssignature|splunk|hmac|mac)[ \t]+)?",
                r#"(?P<s>[^\s"'\]]+(?:,[ \t]*[A-Za-z]+=[^\s"',\]]+)*)"#,
            ))?,
            bearer: pat(r"(?i)\bbearer[ \t]+(?P<s>[A-Za-z0-9._~+/=-]{12,})")?,
            basic: pat(r"(?i)\bbasic[ \t]+(?P<s>[A-Za-z0-9+/]{6,}={0,2})")?,
            cookie: pat(r#"(?i)\b(?:set-)?cookie["']?[ \t]*[:=][ \t]*["']?(?P<s>[^"'\r\n]+)"#)?,
            cli_flag: pat(concat!(
                r#"(?:^|[\s"'\[,])--?(?P<flag>[A-Za-z][A-Za-z0-9_.-]*)["']?(?:,[ \t]*|[ \t]+|=)["']?"#,
                r#"(?P<s>[^\s"',\]]+)"#,
            ))?,
            short_flag: pat(
                r#"(?:^|[\s"'\[,])-(?P<flag>[pa])["']?(?:,[ \t]*|[ \t]+)["']?(?P<s>[^\s"',\]]+)"#,
            )?,
            attached_p: pat(r#"(?:^|[\s"'\[,])-p(?P<s>[^\s"',\]]{3,})"#)?,
            aws_secret_bare: compile(
                r"(?:^|[^A-Za-z0-9+/])(?P<s>[A-Za-z0-9+/]{40})(?:$|[^A-Za-z0-9+/=])",
            )?,
            email: compile(
                r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            )?,
            ipv4: compile(r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b")?,
            ipv6: compile(
                r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{0,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})",
            )?,
        };
        rules.set = RegexSet::new(&b.borrow().patterns)?;
        Ok(rules)
    }
}

/// Whether any family could match: the literal screen plus the few triggers that are not
/// literals (short CLI flags, Azure `Q~` secrets, bare base64 lines).
pub(crate) fn needs_scan(rules: &Rules, text: &str) -> bool {
    use memchr::memmem;
    let b = text.as_bytes();
    rules.screen.is_match(text)
        || memmem::find(b, b" -").is_some()
        || memmem::find(b, b"\t-").is_some()
        || memmem::find(b, b"Q~").is_some()
        || text.split('\n').any(|line| {
            line.trim_start_matches([' ', '\t'])
                .bytes()
                .take(40)
                .filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
                .count()
                == 40
        })
}

fn group_or_whole<'t>(caps: &Captures<'t>) -> Option<regex::Match<'t>> {
    caps.name("s").or_else(|| caps.get(0))
}

fn hit(m: regex::Match<'_>, kind: &'static str) -> Hit {
    Hit {
        start: m.start(),
        end: m.end(),
        kind,
    }
}

pub(crate) fn scan_tokens(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    for rule in &rules.tokens {
        for caps in rule.re.caps_if(on, text) {
            if let Some(m) = group_or_whole(&caps)
                && (rule.check)(m.as_str())
            {
                hits.push(hit(m, rule.kind));
            }
        }
    }
}

pub(crate) fn scan_pem(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    for m in rules.pem.find_if(on, text) {
        hits.push(hit(m, "private_key"));
    }
    for caps in rules.pem_body.caps_if(on, text) {
        if let Some(m) = caps.name("s")
            && mixed_alnum(m.as_str())
        {
            hits.push(hit(m, "private_key"));
        }
    }
}

pub(crate) fn scan_url_userinfo(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    for caps in rules.url_userinfo.caps_if(on, text) {
        if let Some(m) = caps.name("s")
            && !names::is_inert_value(m.as_str())
        {
            hits.push(hit(m, "password"));
        }
    }
}

/// True when only indentation or a YAML list dash precedes `pos` on its line: then
/// `key: value` is a config dump, not prose like "invalid token: expired".
fn at_line_start(text: &str, pos: usize) -> bool {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..pos]
        .bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'-' | b'"' | b'\''))
}

pub(crate) fn scan_kv(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    if !rules.kv.on(on) {
        return;
    }
    let mut pos = 0;
    while let Some(caps) = rules.kv.captures_at(text, pos) {
        let (Some(key), Some(whole)) = (caps.name("key"), caps.get(0)) else {
            break;
        };
        // On rejection resume right after the key, so a non-secret match (`token_count="..."`
        // or a long quoted message) cannot swallow a secret nested in its value.
        pos = if kv_hit(text, &caps, key).map(|h| hits.push(h)).is_some() {
            whole.end()
        } else {
            key.end()
        };
    }
}

fn kv_hit(text: &str, caps: &Captures<'_>, key: regex::Match<'_>) -> Option<Hit> {
    let class = names::classify(key.as_str())?;
    let (value, quoted) = if let Some(v) = caps.name("v4") {
        (v, false)
    } else {
        (
            ["v1", "v2", "v3", "v5"].iter().find_map(|g| caps.name(g))?,
            true,
        )
    };
    let v = value.as_str();
    if names::is_inert_value(v) || v.starts_with('{') || v.starts_with('[') {
        return None;
    }
    // `Cookie: sid=abc` or `opts=password=x`: the value is itself a pair, judge that instead.
    if !quoted && v.trim_end_matches('=').contains('=') {
        return None;
    }
    let colon_space = caps.name("sep").is_some_and(|s| s.as_str() == ":")
        && caps.name("sp").is_some_and(|s| !s.as_str().is_empty());
    let accept = match class.tier {
        Tier::Strong if quoted || !colon_space => true,
        Tier::Strong => names::looks_secretish(v) || at_line_start(text, key.start()),
        Tier::Weak => names::looks_random(v) || is_basic_credential(v),
    };
    accept.then(|| hit(value, class.kind))
}

pub(crate) fn scan_env_pairs(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    for caps in rules.env_pair.caps_if(on, text) {
        let (Some(name), Some(m)) = (
            caps.name("n"),
            ["v1", "v2", "v3"].iter().find_map(|g| caps.name(g)),
        ) else {
            continue;
        };
        let Some(class) = names::classify_env(name.as_str()) else {
            continue;
        };
        let v = m.as_str();
        if !names::is_inert_value(v) && (class.tier == Tier::Strong || names::looks_random(v)) {
            hits.push(hit(m, class.kind));
        }
    }
    for caps in rules.chpasswd.caps_if(on, text) {
        if let Some(m) = caps.name("s") {
            hits.push(hit(m, "password"));
        }
    }
}

pub(crate) fn scan_xml(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    for caps in rules.xml.caps_if(on, text) {
        let (Some(key), Some(m)) = (caps.name("key"), caps.name("s")) else {
            continue;
        };
        let local = key.as_str().rsplit(':').next().unwrap_or_default();
        let Some(class) = names::classify(local) else {
            continue;
        };
        let v = m.as_str();
        let accept =
            !names::is_inert_value(v) && (class.tier == Tier::Strong || names::looks_random(v));
        if accept {
            hits.push(hit(m, class.kind));
        }
    }
}

pub(crate) fn scan_auth(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    for caps in rules.auth_header.caps_if(on, text) {
        let Some(m) = caps.name("s") else { continue };
        let v = m.as_str();
        let kind = match caps.name("scheme").map(|s| s.as_str().to_ascii_lowercase()) {
            Some(s) if s == "bearer" => "bearer_token",
            Some(s) if s == "basic" => "basic_auth",
            Some(_) => "authorization",
            None if names::is_inert_value(v) => continue,
            None if names::looks_secretish(v) || v.len() >= 16 => "authorization",
            None => continue,
        };
        hits.push(hit(m, kind));
    }
    for caps in rules.bearer.caps_if(on, text) {
        if let Some(m) = caps.name("s")
            && (names::looks_secretish(m.as_str()) || names::looks_random(m.as_str()))
        {
            hits.push(hit(m, "bearer_token"));
        }
    }
    for caps in rules.basic.caps_if(on, text) {
        if let Some(m) = caps.name("s")
            && is_basic_credential(m.as_str())
        {
            hits.push(hit(m, "basic_auth"));
        }
    }
}

/// Cookie headers: every cookie value is a potential session credential; attributes of
/// `Set-Cookie` (Path, Expires, ...) are kept so the line stays readable.
pub(crate) fn scan_cookie(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    const ATTRS: &[&str] = &[
        "path",
        "domain",
        "expires",
        "max-age",
        "samesite",
        "secure",
        "httponly",
        "priority",
        "partitioned",
    ];
    for caps in rules.cookie.caps_if(on, text) {
        let Some(m) = caps.name("s") else { continue };
        let mut offset = m.start();
        for part in m.as_str().split(';') {
            let part_start = offset;
            offset += part.len() + 1;
            let Some(eq) = part.find('=') else { continue };
            let name = part[..eq].trim();
            let value = part[eq + 1..].trim_end();
            let lead = value.len() - value.trim_start().len();
            let value = value.trim_start();
            if name.is_empty()
                || name.contains(char::is_whitespace)
                || ATTRS.contains(&name.to_ascii_lowercase().as_str())
                || names::is_inert_value(value)
            {
                continue;
            }
            // Preferences like `theme=dark` are not credentials; session ids look random.
            let credential = names::classify(name).is_some()
                || names::looks_random(value)
                || names::looks_secretish(value);
            if !credential {
                continue;
            }
            let start = part_start + eq + 1 + lead;
            hits.push(Hit {
                start,
                end: start + value.len(),
                kind: "cookie",
            });
        }
    }
}

/// `--password secret`, `["--token", "abc"]`, and the ambiguous `-p` / `-a` only where a
/// database or redis client makes them mean "password".
pub(crate) fn scan_cli(rules: &Rules, on: &SetMatches, text: &str, hits: &mut Vec<Hit>) {
    for caps in rules.cli_flag.caps_if(on, text) {
        let (Some(flag), Some(m)) = (caps.name("flag"), caps.name("s")) else {
            continue;
        };
        // curl/wget style `-u user:password`: only the part after the colon is secret.
        if matches!(flag.as_str(), "u" | "user" | "proxy-user")
            && let Some(colon) = m.as_str().find(':')
            && !names::is_inert_value(&m.as_str()[colon + 1..])
        {
            hits.push(Hit {
                start: m.start() + colon + 1,
                end: m.end(),
                kind: "password",
            });
            continue;
        }
        let Some(class) = names::classify(flag.as_str()) else {
            continue;
        };
        let v = m.as_str();
        if v.starts_with('-') || names::is_inert_value(v) {
            continue;
        }
        if class.tier == Tier::Strong || names::looks_random(v) {
            hits.push(hit(m, class.kind));
        }
    }
    if !rules.short_flag.on(on) && !rules.attached_p.on(on) {
        return;
    }
    let lower = text.to_ascii_lowercase();
    let db_client = [
        "mysql",
        "mariadb",
        "psql",
        "mongo",
        "sqlcmd",
        "redis-cli",
        " -u",
        "--user",
        "--username",
    ]
    .iter()
    .any(|c| lower.contains(c));
    if !db_client {
        return;
    }
    let redis = lower.contains("redis-cli");
    for caps in rules.short_flag.caps_if(on, text) {
        let (Some(flag), Some(m)) = (caps.name("flag"), caps.name("s")) else {
            continue;
        };
        let v = m.as_str();
        let port_like = v
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.');
        if (flag.as_str() == "a" && !redis)
            || port_like
            || v.starts_with('-')
            || names::is_inert_value(v)
        {
            continue;
        }
        hits.push(hit(m, "password"));
    }
    if lower.contains("mysql") || lower.contains("mariadb") {
        for caps in rules.attached_p.caps_if(on, text) {
            if let Some(m) = caps.name("s")
                && !m.as_str().bytes().all(|b| b.is_ascii_digit())
            {
                hits.push(hit(m, "password"));
            }
        }
    }
}

/// AWS secret keys have no prefix; only next to an access key id is a bare 40-character
/// base64 string safe to call one.
pub(crate) fn scan_aws_secret(rules: &Rules, text: &str, hits: &mut Vec<Hit>) {
    if !hits.iter().any(|h| h.kind == "aws_access_key_id") {
        return;
    }
    for caps in rules.aws_secret_bare.captures_iter(text) {
        if let Some(m) = caps.name("s")
            && mixed_alnum(m.as_str())
        {
            hits.push(hit(m, "aws_secret_key"));
        }
    }
}

pub(crate) fn scan_emails(rules: &Rules, text: &str, hits: &mut Vec<Hit>) {
    hits.extend(rules.email.find_iter(text).map(|m| hit(m, "email")));
}

pub(crate) fn scan_ips(rules: &Rules, text: &str, hits: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let before = |i: usize| i.checked_sub(1).and_then(|j| bytes.get(j)).copied();
    for m in rules.ipv4.find_iter(text) {
        // `1.2.3.4.5` and `v1.2.3.4` are versions, not addresses.
        let dotted = before(m.start()) == Some(b'.')
            || (bytes.get(m.end()) == Some(&b'.')
                && bytes.get(m.end() + 1).is_some_and(u8::is_ascii_digit));
        if !dotted && m.as_str().parse::<std::net::Ipv4Addr>().is_ok() {
            hits.push(hit(m, "ip"));
        }
    }
    for m in rules.ipv6.find_iter(text) {
        let word =
            |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':');
        if word(before(m.start())) || word(bytes.get(m.end()).copied()) {
            continue;
        }
        let s = m.as_str();
        if s.bytes().any(|b| b.is_ascii_hexdigit()) && s.parse::<std::net::Ipv6Addr>().is_ok() {
            hits.push(hit(m, "ip"));
        }
    }
}

/// `Basic` credentials and docker `auth` fields: base64 of printable `user:password`.
pub(crate) fn is_basic_credential(v: &str) -> bool {
    decode_base64(v).is_some_and(|d| {
        d.len() >= 3 && d.contains(&b':') && d.iter().all(|b| (0x20..0x7f).contains(b))
    })
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = ((acc << 6) | u32::from(v)) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}
