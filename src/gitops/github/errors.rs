//! GitHub's answers as [`GitError`]s, which of them are worth another try, and the retry loop
//! (the notifier's [`with_retries`]: backoff with jitter, `Retry-After` honoured, bounded).

use crate::notify::RetryConfig;
use crate::notify::retry::{Failure, with_retries};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What went wrong talking to GitHub. Messages are GitHub's own (never a credential).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// 401: the token or the App JWT was rejected.
    #[error("GitHub rejected the credentials: {0}")]
    Unauthorized(String),
    /// 403: no permission, or the rate limit is exhausted (retried while the wait is short).
    #[error("GitHub refused: {0}")]
    Forbidden(String),
    #[error("not found on GitHub: {0}")]
    NotFound(String),
    /// 422 saying the reference, pull request or label already exists.
    #[error("already exists on GitHub: {0}")]
    AlreadyExists(String),
    /// Any other 422; also a misconfiguration at connect, and an answer we cannot use
    /// (a truncated tree, a file that is not UTF-8 or too large, an unparsable body).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Connection failures and timeouts, after the retries.
    #[error("cannot reach GitHub: {0}")]
    Transport(String),
    /// Any other status (5xx after the retries, 409 for a stale blob sha, …).
    #[error("GitHub answered HTTP {status}: {message}")]
    Api { status: u16, message: String },
}

/// A failed try: the error, and `Some(wait)` when another try may succeed (`wait` being what
/// the server asked for, if anything).
pub(crate) struct Failed {
    pub error: GitError,
    pub retry: Option<Option<Duration>>,
}

impl From<GitError> for Failed {
    fn from(error: GitError) -> Self {
        Failed { error, retry: None }
    }
}

impl From<octocrab::Error> for Failed {
    fn from(e: octocrab::Error) -> Self {
        match e {
            octocrab::Error::GitHub { source, .. } => from_status(&source),
            octocrab::Error::Service { .. } | octocrab::Error::Hyper { .. } => Failed {
                error: GitError::Transport(chain(&e)),
                retry: Some(None),
            },
            octocrab::Error::Json { .. } | octocrab::Error::Serde { .. } => {
                GitError::Invalid(format!("unexpected response from GitHub: {}", chain(&e))).into()
            }
            other => GitError::Invalid(chain(&other)).into(),
        }
    }
}

fn from_status(e: &octocrab::GitHubError) -> Failed {
    let status = e.status_code.as_u16();
    let message = describe(e);
    let header = |name: &str| {
        e.headers
            .as_ref()
            .and_then(|h| h.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after").and_then(|v| crate::llm::client::parse_retry_after(&v));
    match status {
        401 => GitError::Unauthorized(message).into(),
        403 | 429 => {
            let exhausted = header("x-ratelimit-remaining").as_deref() == Some("0");
            let limited = status == 429
                || exhausted
                || retry_after.is_some()
                || message.to_ascii_lowercase().contains("rate limit");
            // GitHub: wait for Retry-After, else until the reset, else at least a minute.
            let wait = retry_after
                .or_else(|| exhausted.then(|| until(e.rate_limit_reset)).flatten())
                .unwrap_or(Duration::from_secs(60));
            Failed {
                error: GitError::Forbidden(message),
                retry: limited.then_some(Some(wait)),
            }
        }
        404 => GitError::NotFound(message).into(),
        422 if already_exists(e) => GitError::AlreadyExists(message).into(),
        422 => GitError::Invalid(message).into(),
        _ => Failed {
            retry: (e.status_code.is_server_error() || status == 408).then_some(retry_after),
            error: GitError::Api { status, message },
        },
    }
}

/// How long until a `x-ratelimit-reset` epoch second.
fn until(reset: Option<u64>) -> Option<Duration> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    Some(Duration::from_secs(reset?).saturating_sub(now))
}

fn already_exists(e: &octocrab::GitHubError) -> bool {
    let in_errors = e.errors.iter().flatten().any(|x| {
        x.get("code").and_then(|c| c.as_str()) == Some("already_exists")
            || x.get("message")
                .and_then(|m| m.as_str())
                .is_some_and(says_exists)
    });
    in_errors || says_exists(&e.message)
}

fn says_exists(s: &str) -> bool {
    s.to_ascii_lowercase().contains("already exist")
}

/// GitHub's message plus the messages of its `errors` list, on one line.
fn describe(e: &octocrab::GitHubError) -> String {
    let details: Vec<&str> = e
        .errors
        .iter()
        .flatten()
        .filter_map(|x| x.get("message").and_then(|m| m.as_str()))
        .collect();
    let mut s = format!("{} ({})", e.message.trim(), e.status_code.as_u16());
    if !details.is_empty() {
        s.push_str(": ");
        s.push_str(&details.join("; "));
    }
    s
}

/// An error and its sources on one line (octocrab's own Display often says only the variant).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        next = cause.source();
    }
    s
}

/// Runs `attempt` until it succeeds, fails for good, or the tries or the total time run out;
/// each try is bounded by the policy's request timeout.
pub(crate) async fn retrying<T, F, Fut>(policy: &RetryConfig, mut attempt: F) -> Result<T, GitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failed>>,
{
    // `with_retries` speaks `Failure`; the last `GitError` is kept beside the `Failure` it became.
    let last: Mutex<Option<(GitError, Failure)>> = Mutex::new(None);
    let timeout = policy.request_timeout();
    let result = with_retries(policy, || {
        let fut = tokio::time::timeout(timeout, attempt());
        let last = &last;
        async move {
            let failed = match fut.await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(f)) => f,
                Err(_) => Failed {
                    error: GitError::Transport(format!(
                        "no answer within {} ms",
                        timeout.as_millis()
                    )),
                    retry: Some(None),
                },
            };
            let failure = match failed.retry {
                Some(retry_after) => {
                    tracing::debug!(error = %failed.error, "GitHub request failed; may retry");
                    Failure::Transient {
                        reason: failed.error.to_string(),
                        retry_after,
                    }
                }
                None => Failure::Permanent(failed.error.to_string()),
            };
            *last.lock().unwrap_or_else(|p| p.into_inner()) = Some((failed.error, failure.clone()));
            Err(failure)
        }
    })
    .await;
    match result {
        Ok(v) => Ok(v),
        Err((failure, tries)) => match last.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some((error, seen)) if seen == failure => Err(error),
            // The total time ran out mid-try.
            _ => Err(GitError::Transport(format!(
                "{} ({tries} tries)",
                failure.reason()
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn policy() -> RetryConfig {
        RetryConfig {
            attempts: 3,
            min_delay_ms: 1,
            max_delay_ms: 2,
            request_timeout_ms: 50,
            total_timeout_ms: 2_000,
        }
    }

    async fn run(fail: fn() -> Failed, ok_on: usize) -> (Result<usize, GitError>, usize) {
        let calls = AtomicUsize::new(0);
        let r = retrying(&policy(), || {
            let n = calls.fetch_add(1, Ordering::Relaxed) + 1;
            async move { if n == ok_on { Ok(n) } else { Err(fail()) } }
        })
        .await;
        (r, calls.load(Ordering::Relaxed))
    }

    #[tokio::test]
    async fn transient_failures_are_retried_and_the_last_error_kept() {
        let transient = || Failed {
            error: GitError::Api {
                status: 502,
                message: "bad gateway".into(),
            },
            retry: Some(None),
        };
        assert_eq!(run(transient, 3).await.0.unwrap(), 3);
        let (r, calls) = run(transient, 0).await;
        assert!(matches!(r, Err(GitError::Api { status: 502, .. })));
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn permanent_failures_are_tried_once() {
        let (r, calls) = run(|| GitError::NotFound("x".into()).into(), 0).await;
        assert!(matches!(r, Err(GitError::NotFound(_))));
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn a_try_without_an_answer_times_out_as_transport() {
        let r = retrying(&policy(), || async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<(), Failed>(())
        })
        .await;
        assert!(matches!(r, Err(GitError::Transport(m)) if m.contains("no answer within 50 ms")));
    }
}
