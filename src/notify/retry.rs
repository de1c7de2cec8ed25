//! One HTTP delivery with retries: exponential backoff with jitter, `Retry-After` honoured
//! on 429/503, a bound on the whole delivery so that a dead receiver cannot hold a worker.

use super::config::RetryConfig;
use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// A `Retry-After` longer than this is not waited for: the record stays undelivered and the
/// agent's own retry comes back later.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Worth another try: 5xx, 429, connection errors, timeouts.
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Another try would fail the same way: 4xx, a rejected token, a bad channel.
    Permanent(String),
}

impl Failure {
    pub fn reason(&self) -> &str {
        match self {
            Failure::Transient { reason, .. } | Failure::Permanent(reason) => reason,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Transient { retry_after, .. } => *retry_after,
            Failure::Permanent(_) => None,
        }
    }

    /// From an HTTP status that is not success.
    pub fn from_status(
        status: reqwest::StatusCode,
        headers: &reqwest::header::HeaderMap,
    ) -> Failure {
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::llm::client::parse_retry_after);
        let reason = format!("HTTP {}", status.as_u16());
        if status.as_u16() == 429 || status.is_server_error() || status.as_u16() == 408 {
            Failure::Transient {
                reason,
                retry_after,
            }
        } else {
            Failure::Permanent(reason)
        }
    }

    /// From a transport error, without its URL: a Slack webhook URL is a secret.
    pub fn from_reqwest(e: reqwest::Error) -> Failure {
        let kind = if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "transport error"
        };
        let e = e.without_url();
        Failure::Transient {
            reason: format!("{kind}: {e}"),
            retry_after: None,
        }
    }
}

/// The outcome of all tries: `Ok` with what the last try returned, or the last failure and
/// how many tries were made.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryConfig,
    mut attempt: F,
) -> Result<T, (Failure, usize)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let tries = std::sync::atomic::AtomicUsize::new(0);
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.min_delay())
        .with_max_delay(policy.max_delay())
        .with_max_times(policy.attempts.saturating_sub(1))
        .with_jitter();
    let run = (|| {
        tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        attempt()
    })
    .retry(backoff)
    .when(|e: &Failure| matches!(e, Failure::Transient { .. }))
    // `dur` is None once the tries are used up: keep it None or backon never stops.
    .adjust(|e: &Failure, dur| match (dur, e.retry_after()) {
        (None, _) => None,
        (Some(_), Some(after)) if after > MAX_RETRY_AFTER => None,
        (Some(_), Some(after)) => Some(after),
        (Some(d), None) => Some(d),
    })
    .notify(
        |e: &Failure, dur| tracing::debug!(reason = %e.reason(), ?dur, "request failed; retrying"),
    );
    let result = tokio::time::timeout(policy.total_timeout(), run).await;
    let n = tries.load(std::sync::atomic::Ordering::Relaxed);
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err((e, n)),
        Err(_) => Err((
            Failure::Transient {
                reason: format!("gave up after {} ms", policy.total_timeout().as_millis()),
                retry_after: None,
            },
            n,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn policy() -> RetryConfig {
        RetryConfig {
            attempts: 4,
            min_delay_ms: 1,
            max_delay_ms: 2,
            request_timeout_ms: 100,
            total_timeout_ms: 2_000,
        }
    }

    async fn run(fail: Failure) -> (Result<(), (Failure, usize)>, usize) {
        let calls = AtomicUsize::new(0);
        let r = with_retries(&policy(), || {
            calls.fetch_add(1, Ordering::Relaxed);
            let fail = fail.clone();
            async move { Err::<(), _>(fail) }
        })
        .await;
        (r, calls.load(Ordering::Relaxed))
    }

    #[tokio::test]
    async fn transient_uses_every_try_permanent_one() {
        let (r, calls) = run(Failure::Transient {
            reason: "x".into(),
            retry_after: None,
        })
        .await;
        assert_eq!((calls, r.unwrap_err().1), (4, 4));
        let (_, calls) = run(Failure::Permanent("no".into())).await;
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn a_long_retry_after_is_not_waited_for() {
        let started = std::time::Instant::now();
        let (_, calls) = run(Failure::Transient {
            reason: "429".into(),
            retry_after: Some(Duration::from_secs(3600)),
        })
        .await;
        assert_eq!(calls, 1);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn the_whole_delivery_is_bounded() {
        let p = RetryConfig {
            total_timeout_ms: 50,
            ..policy()
        };
        let r = with_retries(&p, || async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<(), Failure>(())
        })
        .await;
        assert!(r.unwrap_err().0.reason().starts_with("gave up after 50 ms"));
    }
}
