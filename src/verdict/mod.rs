//! Canary verdicts for Argo Rollouts' web metric provider: pure statistics ([`stats`],
//! [`score`]) and the service around them (Prometheus, pod and log judges, cache, review).

pub mod score;
pub mod stats;

pub mod args;
pub mod cache;
pub mod combine;
pub mod conn;
pub mod judge;
pub mod listen;
pub mod llm_review;
pub mod metrics;
pub mod prometheus;
pub mod request;
pub mod review;
pub mod service;
pub mod tls;
