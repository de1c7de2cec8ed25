//! Redaction of secrets in untrusted text (logs, events, env values, args) before it leaves
//! the process: output, notifications and LLM prompts all see only redacted text.
//!
//! Secrets are replaced by `<redacted:{kind}:{8 hex}>`, the hex being a keyed HMAC of the
//! secret, so equal secrets stay correlatable without being revealed. Redaction is
//! idempotent: placeholders are never redacted again.
//!
//! Layout: `patterns` holds the families (each only reports spans), `names` decides which
//! key names and values are secret, `pseudonym` makes placeholders, `scan` merges spans.

mod names;
mod patterns;
pub mod pem;
mod pseudonym;
mod scan;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// What to redact beyond credentials, and with which pseudonym key.
#[derive(Clone, Default)]
pub struct RedactionConfig {
    /// Also replace email addresses (`<redacted:email:..>`).
    pub emails: bool,
    /// Also replace IPv4 and IPv6 addresses (`<redacted:ip:..>`).
    pub ips: bool,
    /// HMAC key for pseudonyms; `None` uses a random key generated once per process, so
    /// pseudonyms correlate within a run but not across runs.
    pub key: Option<Vec<u8>>,
}

impl fmt::Debug for RedactionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactionConfig")
            .field("emails", &self.emails)
            .field("ips", &self.ips)
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

#[derive(Clone)]
pub struct Redactor {
    key: Arc<[u8]>,
    emails: bool,
    ips: bool,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(RedactionConfig::default())
    }
}

impl fmt::Debug for Redactor {
    // The key must not leak through debug logging either.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("emails", &self.emails)
            .field("ips", &self.ips)
            .finish_non_exhaustive()
    }
}

impl Redactor {
    pub fn new(config: RedactionConfig) -> Self {
        let key: Arc<[u8]> = match config.key {
            Some(k) => k.into(),
            None => pseudonym::process_key().into(),
        };
        Redactor {
            key,
            emails: config.emails,
            ips: config.ips,
        }
    }

    /// A redactor with a fixed pseudonym key (tests, or correlation across runs).
    pub fn with_key(key: &[u8]) -> Self {
        Redactor::new(RedactionConfig {
            key: Some(key.to_vec()),
            ..RedactionConfig::default()
        })
    }

    pub fn with_emails(mut self, on: bool) -> Self {
        self.emails = on;
        self
    }

    pub fn with_ips(mut self, on: bool) -> Self {
        self.ips = on;
        self
    }

    /// Redacts secrets inside one line of free text. Borrowed when nothing was found.
    pub fn line<'a>(&self, text: &'a str) -> Cow<'a, str> {
        scan::redact(self, text)
    }

    /// Redacts a whole multi-line blob (a log chunk, a ConfigMap value). Unlike feeding it
    /// line by line, a PEM private key spanning many lines is replaced as one block.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        // The scanner is multi-line aware (PEM blocks are matched across newlines and every
        // other family stops at line ends), so one pass over the blob suffices.
        scan::redact(self, text)
    }

    /// Redacts a literal env value. When the variable NAME is a credential name
    /// (`*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `*_API_KEY`, any other `*_KEY` except lookup
    /// handles like `CACHE_KEY`/`PUBLIC_KEY`), the whole value is replaced unless it is
    /// inert (empty, boolean, `$(OTHER_VAR)`, a file path). Names that merely mention a
    /// secret (`KEY_PREFIX`, `TOKEN_TTL`, `PASSWORD_FILE`, `AWS_ACCESS_KEY_ID`) are not
    /// credentials, so their value only goes through [`Redactor::line`], which still
    /// catches connection strings (`DATABASE_URL`) and self-identifying tokens.
    pub fn env_value(&self, name: &str, value: &str) -> String {
        if let Some(class) = names::classify_env(name)
            && !names::is_inert_value(value)
        {
            let whole = match class.tier {
                names::Tier::Strong => true,
                names::Tier::Weak => names::looks_random(value) || names::looks_secretish(value),
            };
            if whole {
                return self.pseudonym(class.kind, value);
            }
        }
        self.line(value).into_owned()
    }

    /// The placeholder for `secret` of the given kind (`[a-z0-9_]+`), for callers that
    /// know a whole value is secret (e.g. a Secret's data).
    pub fn pseudonym(&self, kind: &str, secret: &str) -> String {
        let kind_ok = !kind.is_empty()
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        pseudonym::placeholder(&self.key, if kind_ok { kind } else { "secret" }, secret)
    }
}
