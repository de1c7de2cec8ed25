//! Test support shared by integration tests and benches.
//!
//! Use from an integration test with `mod support;` and from a bench with
//! `#[path = "../tests/support/mod.rs"] mod support;`.
#![allow(dead_code, unused_imports)]

pub mod fake_apiserver;
pub mod scenario;

pub use fake_apiserver::{FakeApiServer, Fault, RecordedRequest, ResourceDef};
