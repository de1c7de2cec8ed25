//! The generic webhook: a versioned JSON payload carrying the whole diagnosis, signed with
//! HMAC-SHA256 over a timestamp and the exact body, so that receivers can reject forgeries
//! and replays.
//!
//! Payload v1: `{"version":"1","event":"diagnosis.created"|"diagnosis.updated","id":<record>,
//! "diagnosis":{…}}`. Headers: `X-Rollout-Doctor-Event: diagnosis`,
//! `X-Rollout-Doctor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

use super::config::RetryConfig;
use super::retry::{Failure, with_retries};
use crate::agent::sink::Link;
use crate::diagnosis::Diagnosis;
use crate::llm::SecretString;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const PAYLOAD_VERSION: &str = "1";
pub const SIGNATURE_HEADER: &str = "X-Rollout-Doctor-Signature";
pub const EVENT_HEADER: &str = "X-Rollout-Doctor-Event";
/// How far a signature's timestamp may be from the receiver's clock.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    #[serde(rename = "diagnosis.created")]
    Created,
    #[serde(rename = "diagnosis.updated")]
    Updated,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    pub version: String,
    pub event: Event,
    /// The RolloutDiagnosis record name: stable per incident, the receiver's dedup key.
    pub id: String,
    pub diagnosis: Diagnosis,
    /// What earlier sinks opened for this incident (the fix pull request); additive in v1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

impl Payload {
    pub fn new(event: Event, id: &str, diagnosis: &Diagnosis) -> Self {
        Payload {
            version: PAYLOAD_VERSION.into(),
            event,
            id: id.into(),
            diagnosis: diagnosis.clone(),
            links: Vec::new(),
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], t: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The signature header value for `body` sent at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let tag = mac(secret, t, body).finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed signature header")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("signature mismatch")]
    Mismatch,
}

/// For receivers: checks a signature header against the raw body, with `now` the receiver's
/// unix time and the default 5-minute tolerance. Any of several `v1=` values may match (a
/// sender rotating secrets). The comparison is constant-time.
pub fn verify(secret: &[u8], now: i64, body: &[u8], header: &str) -> Result<(), VerifyError> {
    verify_with_tolerance(secret, now, body, header, DEFAULT_TOLERANCE_SECS)
}

pub fn verify_with_tolerance(
    secret: &[u8],
    now: i64,
    body: &[u8],
    header: &str,
    tolerance: i64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse::<i64>().map_err(|_| VerifyError::Malformed)?),
            Some(("v1", v)) => sigs.push(decode_hex(v).ok_or(VerifyError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if sigs.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now.abs_diff(t) > tolerance.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    let ok = sigs
        .iter()
        .any(|s| mac(secret, t, body).verify_slice(s).is_ok());
    if ok {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub struct WebhookSender {
    pub(crate) client: reqwest::Client,
    pub(crate) url: SecretString,
    pub(crate) secret: SecretString,
    pub(crate) retry: RetryConfig,
}

impl WebhookSender {
    pub fn new(
        url: SecretString,
        secret: SecretString,
        retry: RetryConfig,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(retry.request_timeout())
            .user_agent(concat!("rollout-doctor/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(WebhookSender {
            client,
            url,
            secret,
            retry,
        })
    }

    /// Sends one payload; each retry is signed afresh so its timestamp stays current.
    pub async fn send(&self, payload: &Payload) -> Result<(), (Failure, usize)> {
        let body = serde_json::to_vec(payload)
            .map_err(|e| (Failure::Permanent(format!("cannot encode payload: {e}")), 0))?;
        with_retries(&self.retry, || async {
            let signature = sign(self.secret.expose().as_bytes(), unix_now(), &body);
            let resp = self
                .client
                .post(self.url.expose())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(EVENT_HEADER, "diagnosis")
                .header(SIGNATURE_HEADER, signature)
                .body(body.clone())
                .send()
                .await
                .map_err(Failure::from_reqwest)?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(Failure::from_status(resp.status(), resp.headers()))
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let h = sign(b"k", 1_700_000_000, b"{}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(verify(b"k", 1_700_000_100, b"{}", &h), Ok(()));
        assert_eq!(
            verify(b"k", 1_700_000_100, b"{} ", &h),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(b"other", 1_700_000_100, b"{}", &h),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(b"k", 1_700_001_000, b"{}", &h),
            Err(VerifyError::Stale)
        );
        assert_eq!(verify(b"k", 0, b"{}", "v1=zz"), Err(VerifyError::Malformed));
        assert_eq!(verify(b"k", 0, b"{}", "t=0"), Err(VerifyError::Malformed));
        assert_eq!(
            verify(b"k", 0, b"{}", "t=x,v1=00"),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256(key="secret", "1.body"), computed independently with openssl.
        let h = sign(b"secret", 1, b"body");
        assert_eq!(h, format!("t=1,v1={}", KNOWN));
    }

    const KNOWN: &str = "842b24d9575dee4b6ec460b7e3af7d683501d84fe6279102340787c79d2e2bab";
}
