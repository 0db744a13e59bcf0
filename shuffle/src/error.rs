//! Errors raised by the shuffle data plane.

use std::path::PathBuf;

/// Everything that can go wrong while laying out, writing or reading shuffle data.
#[derive(Debug, thiserror::Error)]
pub enum ShuffleError {
    /// A shuffle file could not be created or written.
    #[error("failed to write shuffle file {path}")]
    WriteShuffleFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Batches could not be encoded as Arrow IPC.
    #[error("failed to encode shuffle partition {path}")]
    EncodePartition {
        path: PathBuf,
        #[source]
        source: arrow::error::ArrowError,
    },

    /// A shuffle file could not be opened.
    #[error("failed to read shuffle file {path}")]
    ReadShuffleFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A shuffle file is not valid Arrow IPC.
    #[error("failed to decode shuffle partition {path}")]
    DecodePartition {
        path: PathBuf,
        #[source]
        source: arrow::error::ArrowError,
    },

    /// The task writing a partition stopped (failed or was cancelled) while it was read.
    #[error("the task writing shuffle partition {path} stopped before finishing it")]
    PartitionWriteStopped { path: PathBuf },

    /// A partition could not be fetched from the executor holding it.
    #[error("fetching shuffle partition {path} from executor {executor} failed: {reason}")]
    FetchPartition {
        executor: crate::ids::ExecutorId,
        path: PathBuf,
        reason: String,
    },

    /// The cluster secret given cannot be used.
    #[error("invalid cluster secret: {reason}")]
    InvalidClusterSecret { reason: &'static str },

    /// A call to an executor's Flight service carried no valid grant.
    #[error("{defect}")]
    InvalidGrant { defect: crate::fetch::GrantDefect },

    /// A call's grant is for another job than the data it asks for.
    #[error("the data-plane grant is for job {granted}, not for job {requested}")]
    GrantForOtherJob {
        granted: crate::ids::JobId,
        requested: crate::ids::JobId,
    },

    /// A job's shuffle directory could not be removed when the job ended.
    #[error("failed to remove shuffle directory {path}")]
    RemoveJobDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<ShuffleError> for datafusion::error::DataFusionError {
    /// Operators must fail with `DataFusionError`; the shuffle error travels inside it and
    /// can be recovered with `downcast_ref` at the edge.
    fn from(err: ShuffleError) -> Self {
        datafusion::error::DataFusionError::External(Box::new(err))
    }
}

/// Result type of this crate.
pub type Result<T, E = ShuffleError> = std::result::Result<T, E>;
