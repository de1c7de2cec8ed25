//! Test support shared by integration tests and benches.
//!
//! Use from an integration test with `mod support;` and from a bench with
//! `#[path = "../tests/support/mod.rs"] mod support;`.
#![allow(dead_code, unused_imports)]

pub mod fake_apiserver;
pub mod scenario;

pub use fake_apiserver::{FakeApiServer, Fault, RecordedRequest, ResourceDef};

use std::time::{Duration, Instant};

/// Polls `f` every 50 ms until it gives a value; fails the test after `timeout`.
pub async fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
