//! Keyed pseudonyms: the same secret maps to the same placeholder under one key, so readers
//! (and caches keyed on redacted text) can correlate occurrences without learning the value.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt::Write as _;
use std::sync::OnceLock;

type HmacSha256 = Hmac<Sha256>;

/// Hex digits of the HMAC kept in a placeholder: 32 bits is plenty to tell a handful of
/// secrets in one diagnosis apart, and short enough that nothing useful can be brute-forced
/// offline without the key anyway.
const TAG_HEX: usize = 8;

/// `<redacted:{kind}:{8 hex}>`; `kind` must be `[a-z0-9_]+` so [`is_placeholder_at`] can
/// recognise our own output and redaction stays idempotent.
pub(crate) fn placeholder(key: &[u8], kind: &str, secret: &str) -> String {
    let mut out = String::with_capacity(kind.len() + TAG_HEX + 12);
    out.push_str("<redacted:");
    out.push_str(kind);
    out.push(':');
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps us panic-free.
    let digest = match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(secret.as_bytes());
            mac.finalize().into_bytes()
        }
        Err(_) => Default::default(),
    };
    for byte in digest.iter().take(TAG_HEX / 2) {
        let _ = write!(out, "{byte:02x}");
    }
    out.push('>');
    out
}

/// The per-process key used when the config supplies none: random so pseudonyms can't be
/// precomputed for guessable secrets, and generated once so they stay stable for the run.
pub(crate) fn process_key() -> &'static [u8] {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(random_key)
}

fn random_key() -> Vec<u8> {
    use std::io::Read;
    let mut buf = vec![0u8; 32];
    let from_os = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf));
    if from_os.is_ok() {
        return buf;
    }
    // No /dev/urandom (non-Unix, sandbox): weaker, but still unpredictable to a reader of
    // the output, which is all the pseudonyms need.
    use sha2::Digest;
    let mut hasher = Sha256::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.update(now.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    let stack_probe = 0u8;
    hasher.update((&stack_probe as *const u8 as usize).to_le_bytes());
    // RandomState is seeded from OS randomness where available.
    let rs = std::collections::hash_map::RandomState::new();
    hasher.update(std::hash::BuildHasher::hash_one(&rs, now).to_le_bytes());
    hasher.finalize().to_vec()
}

/// Length of a placeholder starting at `pos`, if there is one: such spans are never
/// redacted again.
pub(crate) fn is_placeholder_at(text: &str, pos: usize) -> Option<usize> {
    let rest = text.get(pos..)?;
    let body = rest.strip_prefix("<redacted:")?;
    let kind_len = body
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        .count();
    if kind_len == 0 {
        return None;
    }
    let tail = body[kind_len..].strip_prefix(':')?;
    let hex = tail.get(..TAG_HEX)?;
    if !hex
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    tail[TAG_HEX..]
        .starts_with('>')
        .then(|| "<redacted:".len() + kind_len + 1 + TAG_HEX + 1)
}
