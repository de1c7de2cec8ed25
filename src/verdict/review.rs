//! The optional slow reviewer (an LLM) that may downgrade a statistical verdict. It never runs
//! inside a request: the first measurement of a canary starts it in the background, and a
//! later measurement of the same canary applies whatever it concluded. A reviewer that times
//! out or errs leaves the statistical verdict alone, and whatever it says can only make the
//! verdict stricter (see `downgrade`).

use super::request::{Outcome, VerdictResponse};
use super::score::MetricResult;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub namespace: String,
    pub rollout: String,
    pub canary_hash: String,
    /// The statistical verdict the review starts from.
    pub statistical: VerdictResponse,
    /// Every metric as judged, passing ones included.
    pub metrics: Vec<MetricResult>,
    /// What the judges saw that decided nothing (new warning templates, ...); redacted.
    pub notes: Vec<String>,
}

/// What a statistical judgement leaves for a reviewer besides the answer itself.
#[derive(Debug, Clone, Default)]
pub struct ReviewContext {
    pub metrics: Vec<MetricResult>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// What the reviewer thinks; only `Inconclusive` or `Fail` can change anything.
    pub verdict: Outcome,
    pub reason: String,
}

pub type ReviewFuture<'a> = Pin<Box<dyn Future<Output = Result<Review, String>> + Send + 'a>>;

pub trait VerdictReviewer: Send + Sync {
    fn review(&self, input: ReviewInput) -> ReviewFuture<'_>;
}

enum State {
    Pending,
    /// `None`: the reviewer failed or timed out; not retried for this canary.
    Done(Option<Review>),
}

type Key = (String, String, String);

/// Reviews by (namespace, rollout, canary hash).
pub struct Reviews {
    reviewer: Arc<dyn VerdictReviewer>,
    timeout: Duration,
    states: Arc<Mutex<HashMap<Key, State>>>,
}

/// Canaries remembered at most; a cluster has far fewer live canaries than this.
const MAX_REVIEWS: usize = 4096;

impl Reviews {
    pub fn new(reviewer: Arc<dyn VerdictReviewer>, timeout: Duration) -> Reviews {
        Reviews {
            reviewer,
            timeout,
            states: Arc::default(),
        }
    }

    /// Applies a finished review to `resp`, or starts one if none exists for this canary.
    /// Only a statistical pass starts one: a fail cannot change, and a review taken while the
    /// statistics are still inconclusive (too few samples) would see "missing data" and hold
    /// the canary back for the rest of its life.
    pub fn apply(
        &self,
        ns: &str,
        rollout: &str,
        canary: &str,
        resp: &mut VerdictResponse,
        ctx: &ReviewContext,
    ) {
        let key = (ns.to_owned(), rollout.to_owned(), canary.to_owned());
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        match states.get(&key) {
            Some(State::Done(Some(review))) => downgrade(resp, review),
            Some(_) => {}
            None if resp.verdict != Outcome::Pass => {}
            None => {
                if states.len() >= MAX_REVIEWS {
                    // Forget only what changes nothing: a downgrade must outlive the pressure.
                    states.retain(|_, s| match s {
                        State::Pending => true,
                        State::Done(Some(r)) => r.verdict != Outcome::Pass,
                        State::Done(None) => false,
                    });
                }
                states.insert(key.clone(), State::Pending);
                drop(states);
                self.spawn(key, resp.clone(), ctx.clone());
            }
        }
    }

    fn spawn(&self, key: Key, statistical: VerdictResponse, ctx: ReviewContext) {
        let (reviewer, states, timeout) =
            (self.reviewer.clone(), self.states.clone(), self.timeout);
        let input = ReviewInput {
            namespace: key.0.clone(),
            rollout: key.1.clone(),
            canary_hash: key.2.clone(),
            statistical,
            metrics: ctx.metrics,
            notes: ctx.notes,
        };
        tokio::spawn(async move {
            let result = match tokio::time::timeout(timeout, reviewer.review(input)).await {
                Ok(Ok(review)) => Some(review),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, rollout = %key.1, "verdict review failed; statistical verdict stands");
                    None
                }
                Err(_) => {
                    tracing::warn!(rollout = %key.1, "verdict review timed out; statistical verdict stands");
                    None
                }
            };
            states
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, State::Done(result));
        });
    }
}

/// Only ever toward caution: pass may become inconclusive or fail, inconclusive may become
/// fail, and a fail stays a fail.
fn downgrade(resp: &mut VerdictResponse, review: &Review) {
    let stricter = matches!(
        (resp.verdict, review.verdict),
        (Outcome::Pass, Outcome::Inconclusive | Outcome::Fail)
            | (Outcome::Inconclusive, Outcome::Fail)
    );
    if stricter {
        resp.verdict = review.verdict;
        resp.category = "llm".into();
        resp.reasons
            .insert(0, format!("llm review: {}", review.reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(v: Outcome) -> VerdictResponse {
        VerdictResponse {
            verdict: v,
            score: 90.0,
            category: "healthy".into(),
            reasons: vec![],
            canary_hash: None,
            stable_hash: None,
        }
    }

    #[test]
    fn a_review_never_upgrades() {
        let pass = Review {
            verdict: Outcome::Pass,
            reason: "fine".into(),
        };
        let mut r = resp(Outcome::Fail);
        downgrade(&mut r, &pass);
        assert_eq!(r.verdict, Outcome::Fail);
        let mut r = resp(Outcome::Inconclusive);
        downgrade(&mut r, &pass);
        assert_eq!(r.verdict, Outcome::Inconclusive);
        let mut r = resp(Outcome::Fail);
        downgrade(
            &mut r,
            &Review {
                verdict: Outcome::Inconclusive,
                reason: "hm".into(),
            },
        );
        assert_eq!(r.verdict, Outcome::Fail);
        let mut r = resp(Outcome::Pass);
        downgrade(
            &mut r,
            &Review {
                verdict: Outcome::Fail,
                reason: "stack traces".into(),
            },
        );
        assert_eq!((r.verdict, r.category.as_str()), (Outcome::Fail, "llm"));
    }

    struct Counting(Arc<Mutex<usize>>, Outcome);

    impl VerdictReviewer for Counting {
        fn review(&self, _: ReviewInput) -> ReviewFuture<'_> {
            *self.0.lock().unwrap() += 1;
            let verdict = self.1;
            Box::pin(async move {
                Ok(Review {
                    verdict,
                    reason: "fine by me".into(),
                })
            })
        }
    }

    #[tokio::test]
    async fn only_a_pass_starts_a_review_and_a_pass_review_changes_nothing() {
        let calls = Arc::new(Mutex::new(0));
        let reviews = Reviews::new(
            Arc::new(Counting(calls.clone(), Outcome::Pass)),
            Duration::from_secs(1),
        );
        let ctx = ReviewContext::default();
        for v in [Outcome::Fail, Outcome::Inconclusive] {
            reviews.apply("ns", "web", "abc", &mut resp(v), &ctx);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            *calls.lock().unwrap(),
            0,
            "fail cannot change; inconclusive is too early to judge"
        );
        reviews.apply("ns", "web", "abc", &mut resp(Outcome::Pass), &ctx);
        tokio::time::sleep(Duration::from_millis(20)).await;
        for v in [Outcome::Pass, Outcome::Inconclusive, Outcome::Fail] {
            let mut r = resp(v);
            reviews.apply("ns", "web", "abc", &mut r, &ctx);
            assert_eq!((r.verdict, r.category.as_str()), (v, "healthy"));
        }
        assert_eq!(*calls.lock().unwrap(), 1, "one review per canary");
    }

    #[tokio::test]
    async fn an_early_inconclusive_does_not_taint_the_review() {
        let calls = Arc::new(Mutex::new(0));
        let reviews = Reviews::new(
            Arc::new(Counting(calls.clone(), Outcome::Fail)),
            Duration::from_secs(1),
        );
        let ctx = ReviewContext::default();
        reviews.apply("ns", "web", "abc", &mut resp(Outcome::Inconclusive), &ctx);
        let mut first_pass = resp(Outcome::Pass);
        reviews.apply("ns", "web", "abc", &mut first_pass, &ctx);
        assert_eq!(
            first_pass.verdict,
            Outcome::Pass,
            "the review runs in the background"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut later = resp(Outcome::Pass);
        reviews.apply("ns", "web", "abc", &mut later, &ctx);
        assert_eq!(
            (later.verdict, later.category.as_str()),
            (Outcome::Fail, "llm")
        );
    }
}
