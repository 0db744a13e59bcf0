//! Errors raised by the shuffle data plane.

use std::path::PathBuf;

/// Everything that can go wrong while laying out, writing or reading shuffle data.
#[derive(Debug, thiserror::Error)]
pub enum ShuffleError {
    /// A job's shuffle directory could not be removed when the job ended.
    #[error("failed to remove shuffle directory {path}")]
    RemoveJobDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Result type of this crate.
pub type Result<T, E = ShuffleError> = std::result::Result<T, E>;
