//! `rollout-doctor mcp`: the diagnosis as Model Context Protocol tools for assistants, over
//! stdio or streamable HTTP (bearer token), against a snapshot or a cluster.

pub mod source;
pub mod tools;

pub use source::Source;
pub use tools::{Doctor, verdict_service};
