//! Where evidence comes from: a snapshot directory or (later) a live cluster. Both yield an
//! [`ObjectSet`] and a [`LogSource`]; everything after that is shared.

pub mod guard;
mod nesting;
pub mod objects;
pub mod snapshot;
mod tree;
mod writer;

pub use objects::{ObjectSet, ParseError};
pub use snapshot::{Snapshot, SnapshotError};
pub use writer::write_snapshot;

use std::io::Read;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// RBAC said no (a live source's 403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("unreadable: {0}")]
    Unreadable(String),
    /// A link out of the snapshot, or something that is not a regular file.
    #[error("refused: {0}")]
    Refused(String),
}

pub trait LogSource {
    /// The log of one container instance; `Ok(None)` when there is none (never started,
    /// not collected), which the evidence records as a gap.
    fn open(
        &self,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<Option<Box<dyn Read + '_>>, LogError>;

    /// Pods the source holds logs for, to notice logs of pods the objects do not mention.
    fn pods_with_logs(&self) -> Vec<String> {
        Vec::new()
    }
}
