//! The live agent: watches Rollouts, collects evidence from the cluster when one fails,
//! diagnoses each incident once, records it, and hands it to sinks.

pub mod app;
pub mod collect;
pub mod config;
mod deliver;
pub mod dispatch;
pub mod http;
pub mod incident;
pub mod leader;
pub mod metrics;
pub mod record;
pub mod recorder;
pub mod runtime;
pub mod sink;
pub mod watch;
