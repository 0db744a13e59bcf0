//! Errors raised by the control plane.

use datafusion::error::DataFusionError;

/// Everything that can go wrong while configuring or running queries.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A human-readable size (a flag or a session key) could not be read.
    #[error(
        "invalid size '{input}': expected a byte count or a number with a unit \
         (KB, MB, GB, TB are powers of 10; KiB, MiB, GiB, TiB are powers of 2), e.g. 8GB or 512MiB"
    )]
    ParseByteSize { input: String },

    /// A work directory could not be created.
    #[error("cannot create the work directory {path}")]
    WorkDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The memory pool is too small to give every task slot a share of at least a byte.
    #[error(
        "a memory pool of {memory_pool_size} bytes cannot be split over {concurrent_tasks} \
         concurrent tasks: each task's share would be 0 bytes; raise --memory-pool-size or \
         lower --concurrent-tasks"
    )]
    MemoryPoolTooSmall {
        memory_pool_size: u64,
        concurrent_tasks: usize,
    },

    /// The directory spill files go to could not be set up.
    #[error("cannot create the spill directory {path}")]
    SpillDir {
        path: std::path::PathBuf,
        #[source]
        source: DataFusionError,
    },

    /// A listener could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },

    /// The executor's Flight service could not take the cluster TLS certificate.
    #[error("cannot serve the executor's Flight port over TLS")]
    FlightTls(#[source] tonic::transport::Error),

    /// The runtime tasks run on could not be built.
    #[error("cannot start the task runtime")]
    TaskRuntime(#[source] std::io::Error),

    /// The threads statements are planned on could not be started.
    #[error("cannot start the planning runtime")]
    PlanningRuntime(#[source] std::io::Error),

    /// The scheduler's address is not a usable URL.
    #[error("invalid scheduler URL '{url}': {reason}")]
    SchedulerUrl { url: String, reason: String },

    /// A query found no executor to run on within the deadline.
    #[error("{message}")]
    NoExecutors { message: String },

    /// A query ran longer than its session's `ballista.job.timeout` and was cancelled.
    #[error("the query ran longer than ballista.job.timeout ({limit:?}) and was cancelled")]
    JobTimedOut { limit: std::time::Duration },

    /// A task of the query failed for good. Shown as the engine's own message, then where
    /// it happened; its kind decides the client's status code.
    #[error("{0}")]
    TaskFailed(crate::TaskFailure),

    /// DataFusion failed to plan or run a query.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

/// Result type of this crate.
pub type Result<T, E = ClusterError> = std::result::Result<T, E>;
