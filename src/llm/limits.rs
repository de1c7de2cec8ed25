//! Cost controls shared by every incident: a sliding-hour call budget.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

/// At most `limit` calls in any 60 minutes. A call that does not fit is refused, not queued:
/// the rules diagnosis is ready now, and waiting an hour helps nobody.
#[derive(Debug)]
pub struct HourlyBudget {
    limit: usize,
    window: Duration,
    calls: Mutex<VecDeque<Instant>>,
}

impl HourlyBudget {
    pub fn new(limit: usize) -> Self {
        Self::with_window(limit, HOUR)
    }

    pub fn with_window(limit: usize, window: Duration) -> Self {
        HourlyBudget {
            limit,
            window,
            calls: Mutex::new(VecDeque::new()),
        }
    }

    pub fn try_acquire(&self) -> bool {
        self.try_acquire_at(Instant::now())
    }

    pub fn try_acquire_at(&self, now: Instant) -> bool {
        // A poisoned lock only means another call panicked mid-update; the queue is still
        // a valid list of instants.
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        while calls
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            calls.pop_front();
        }
        if calls.len() >= self.limit {
            return false;
        }
        calls.push_back(now);
        true
    }

    pub fn used(&self) -> usize {
        self.calls.lock().map(|c| c.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_slides() {
        let b = HourlyBudget::new(2);
        let t0 = Instant::now();
        assert!(b.try_acquire_at(t0));
        assert!(b.try_acquire_at(t0 + Duration::from_secs(10)));
        assert!(!b.try_acquire_at(t0 + Duration::from_secs(20)));
        assert!(!b.try_acquire_at(t0 + Duration::from_secs(3599)));
        // The first call left the window; one slot is free again, not two.
        assert!(b.try_acquire_at(t0 + HOUR));
        assert!(!b.try_acquire_at(t0 + HOUR + Duration::from_secs(1)));
        assert!(b.try_acquire_at(t0 + HOUR + Duration::from_secs(10)));
    }

    #[test]
    fn zero_means_never() {
        assert!(!HourlyBudget::new(0).try_acquire());
    }
}
