//! The live agent: watches Rollouts, collects evidence from the cluster when one fails,
//! diagnoses each incident once, records it, and hands it to sinks.

pub mod config;
pub mod incident;
pub mod record;
pub mod leader;
pub mod metrics;
pub mod http;
pub mod collect;
pub mod recorder;
pub mod sink;
pub mod dispatch;
pub mod watch;
pub mod runtime;
mod deliver;
pub mod app;
