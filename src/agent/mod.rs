//! The live agent: watches Rollouts, collects evidence from the cluster when one fails,
//! diagnoses each incident once, records it, and hands it to sinks.

pub mod config;
