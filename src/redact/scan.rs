//! Runs the families over a text, merges their spans and writes placeholders.

use super::patterns::{self, Hit, Rules};
use super::{Redactor, pseudonym};
use std::borrow::Cow;
use std::sync::LazyLock;

/// `None` only if a pattern failed to compile, which tests rule out; we then fail closed.
static RULES: LazyLock<Option<Rules>> = LazyLock::new(|| Rules::build().ok());

#[cfg(test)]
pub(crate) fn rules_compile() -> Result<(), regex::Error> {
    Rules::build().map(|_| ())
}

pub(crate) fn redact<'a>(redactor: &Redactor, text: &'a str) -> Cow<'a, str> {
    if text.is_empty() {
        return Cow::Borrowed(text);
    }
    let Some(rules) = RULES.as_ref() else {
        return Cow::Owned(redactor.pseudonym("unscannable", text));
    };
    let mut hits = Vec::new();
    if patterns::needs_scan(rules, text) {
        let on = rules.set.matches(text);
        if on.matched_any() {
            patterns::scan_pem(rules, &on, text, &mut hits);
            patterns::scan_tokens(rules, &on, text, &mut hits);
            patterns::scan_aws_secret(rules, text, &mut hits);
            patterns::scan_url_userinfo(rules, &on, text, &mut hits);
            patterns::scan_auth(rules, &on, text, &mut hits);
            patterns::scan_cookie(rules, &on, text, &mut hits);
            patterns::scan_kv(rules, &on, text, &mut hits);
            patterns::scan_env_pairs(rules, &on, text, &mut hits);
            patterns::scan_xml(rules, &on, text, &mut hits);
            patterns::scan_cli(rules, &on, text, &mut hits);
        }
    }
    if redactor.emails && text.contains('@') {
        patterns::scan_emails(rules, text, &mut hits);
    }
    if redactor.ips {
        patterns::scan_ips(rules, text, &mut hits);
    }
    if hits.is_empty() {
        return Cow::Borrowed(text);
    }
    let hits = merge(text, hits);
    if hits.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + hits.len() * 16);
    let mut last = 0;
    for h in &hits {
        out.push_str(&text[last..h.start]);
        out.push_str(&redactor.pseudonym(h.kind, &text[h.start..h.end]));
        last = h.end;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// Drops spans touching an existing placeholder (idempotency), then unions overlaps; the
/// earliest, longest span names the kind.
fn merge(text: &str, mut hits: Vec<Hit>) -> Vec<Hit> {
    let protected = placeholders(text);
    hits.retain(|h| h.start < h.end && !protected.iter().any(|&(s, e)| h.start < e && s < h.end));
    hits.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut merged: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        match merged.last_mut() {
            Some(cur) if h.start < cur.end => cur.end = cur.end.max(h.end),
            _ => merged.push(h),
        }
    }
    merged
}

fn placeholders(text: &str) -> Vec<(usize, usize)> {
    memchr::memmem::find_iter(text.as_bytes(), b"<redacted:")
        .filter_map(|s| pseudonym::is_placeholder_at(text, s).map(|len| (s, s + len)))
        .collect()
}
