//! Errors of the Flight SQL front end, and the one place they become gRPC statuses.
//!
//! JDBC turns the status code into a SQLState, so the code matters to users: SQL and plan
//! errors are `InvalidArgument`, unknown tables `NotFound`, and only our own bugs `Internal`.

use std::path::PathBuf;

use datafusion::error::DataFusionError;
use tonic::Status;
use trebuchet_cluster::{ClusterError, FailureKind};

/// Everything that can go wrong while serving Flight SQL.
#[derive(Debug, thiserror::Error)]
pub enum FlightSqlError {
    /// DataFusion could not parse, plan or run a statement.
    #[error("{}", datafusion_message(.0))]
    DataFusion(#[from] DataFusionError),

    /// A ticket or prepared-statement handle was not one of ours.
    #[error("invalid {what}: {reason}")]
    DecodeHandle { what: &'static str, reason: String },

    /// A Flight SQL command arrived malformed.
    #[error("invalid request: {reason}")]
    InvalidRequest { reason: String },

    /// Parameters bound to a prepared statement do not fit it.
    #[error("invalid parameters: {reason}")]
    BindParameters { reason: String },

    /// The client asked for something we do not offer.
    #[error("{what} is not supported by Trebuchet")]
    Unsupported { what: String },

    /// Missing or wrong credentials, or an expired session.
    #[error("{reason}")]
    Unauthenticated { reason: String },

    /// A statement names a path its user may not read or write (see `file_access.rs`).
    #[error("permission denied: cannot {action} {path}: {reason}")]
    PathNotAllowed {
        path: String,
        action: crate::file_access::FileAction,
        reason: String,
    },

    /// A session key its user may not set, such as a runtime key naming a directory.
    #[error("permission denied: cannot set {key}: {reason}")]
    SessionKeyNotAllowed { key: String, reason: String },

    /// A handle or ticket issued to another session was presented.
    #[error("this {what} belongs to another session")]
    NotOwner { what: &'static str },

    /// Bulk ingest was asked to create a table that exists.
    #[error("table {table} already exists")]
    TableExists { table: String },

    /// Bulk ingest was asked to append to a table that does not exist.
    #[error("table {table} does not exist")]
    TableNotFound { table: String },

    /// A per-user or per-server limit was reached.
    #[error("{what}")]
    LimitReached { what: String },

    /// The query was cancelled by the client.
    #[error("query {query_id} was cancelled")]
    Cancelled { query_id: String },

    /// The session a query ran in was closed while it ran.
    #[error("the session was closed; its running query was cancelled")]
    SessionClosed,

    /// A file named on the command line could not be read.
    #[error("failed to read {path}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A generated cluster secret could not be written to its file.
    #[error("failed to write the cluster secret to {path}")]
    WriteClusterToken {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The state directory (`--state-dir`) could not be created.
    #[error("cannot create the state directory {path}")]
    CreateStateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A DDL statement ran, but the catalog file could not be updated to show it.
    #[error(
        "the statement ran, but the catalog file {path} could not be updated: the change is lost when the server restarts"
    )]
    WriteCatalogFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The directory for shuffle files could not be created.
    #[error("cannot create the work directory {path}")]
    CreateWorkDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The command line or users file is inconsistent.
    #[error("invalid configuration: {reason}")]
    InvalidConfig { reason: String },

    /// Binding the listener or running the gRPC server failed.
    #[error("the gRPC server failed")]
    Serve(#[source] tonic::transport::Error),

    /// arrow-flight could not build a metadata result.
    #[error("{0}")]
    Flight(#[from] arrow_flight::error::FlightError),

    /// Arrow could not encode or decode data.
    #[error("{0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

/// Result type of this crate.
pub type Result<T, E = FlightSqlError> = std::result::Result<T, E>;

impl FlightSqlError {
    pub(crate) fn invalid_request(reason: impl Into<String>) -> Self {
        Self::InvalidRequest {
            reason: reason.into(),
        }
    }

    pub(crate) fn bind_parameters(reason: impl Into<String>) -> Self {
        Self::BindParameters {
            reason: reason.into(),
        }
    }

    pub(crate) fn limit_reached(what: impl Into<String>) -> Self {
        Self::LimitReached { what: what.into() }
    }

    pub(crate) fn unsupported(what: impl Into<String>) -> Self {
        Self::Unsupported { what: what.into() }
    }

    fn code(&self) -> tonic::Code {
        use tonic::Code;
        match self {
            Self::DataFusion(err) => datafusion_code(err),
            Self::DecodeHandle { .. }
            | Self::InvalidRequest { .. }
            | Self::BindParameters { .. }
            | Self::InvalidConfig { .. } => Code::InvalidArgument,
            Self::Arrow(_) => Code::InvalidArgument,
            Self::Unsupported { .. } => Code::Unimplemented,
            Self::Unauthenticated { .. } => Code::Unauthenticated,
            Self::PathNotAllowed { .. } | Self::SessionKeyNotAllowed { .. } => {
                Code::PermissionDenied
            }
            Self::NotOwner { .. } => Code::PermissionDenied,
            Self::LimitReached { .. } => Code::ResourceExhausted,
            Self::TableExists { .. } => Code::AlreadyExists,
            Self::TableNotFound { .. } => Code::NotFound,
            Self::Cancelled { .. } | Self::SessionClosed => Code::Cancelled,
            Self::ReadFile { .. }
            | Self::CreateWorkDir { .. }
            | Self::WriteClusterToken { .. }
            | Self::CreateStateDir { .. }
            | Self::WriteCatalogFile { .. }
            | Self::Serve(_)
            | Self::Flight(_) => Code::Internal,
        }
    }
}

impl From<FlightSqlError> for Status {
    fn from(err: FlightSqlError) -> Self {
        let code = err.code();
        if code == tonic::Code::Internal {
            tracing::error!(error = %err, "internal error");
        }
        Status::new(code, err.to_string())
    }
}

/// The message of a DataFusion error without its backtrace. A job's failure is shown as
/// the executor's engine worded it, without DataFusion's `External error: ` label, so the
/// client reads the same message single-process DataFusion gives.
fn datafusion_message(err: &DataFusionError) -> String {
    match err {
        DataFusionError::External(inner) => match inner.downcast_ref::<ClusterError>() {
            Some(cluster) => cluster.to_string(),
            None => err.strip_backtrace(),
        },
        _ => err.strip_backtrace(),
    }
}

/// The code for a failed task's kind (docs/architecture.md, "Errors").
fn failure_code(kind: FailureKind) -> tonic::Code {
    use tonic::Code;
    match kind {
        FailureKind::Query => Code::InvalidArgument,
        FailureKind::NotImplemented => Code::Unimplemented,
        FailureKind::ResourcesExhausted => Code::ResourceExhausted,
        FailureKind::ExecutorLost | FailureKind::StoreUnreachable => Code::Unavailable,
        FailureKind::StoreAccessDenied => Code::PermissionDenied,
        FailureKind::Internal => Code::Internal,
    }
}

/// The code for a DataFusion error, judged by its innermost cause: the kind a task's
/// failure would have (`FailureKind::of`, one classification for both paths), with the
/// causes only the front end sees told apart.
fn datafusion_code(err: &DataFusionError) -> tonic::Code {
    use tonic::Code;
    match err.find_root() {
        DataFusionError::Plan(message) if is_missing_table(message) => Code::NotFound,
        DataFusionError::External(inner) => {
            if let Some(ours) = inner.downcast_ref::<FlightSqlError>() {
                ours.code()
            } else if let Some(ClusterError::TaskFailed(failure)) = inner.downcast_ref() {
                failure_code(failure.kind)
            } else if let Some(ClusterError::NoExecutors { .. }) = inner.downcast_ref() {
                Code::Unavailable
            } else if let Some(ClusterError::JobTimedOut { .. }) = inner.downcast_ref() {
                Code::DeadlineExceeded
            } else {
                // An object store's error wrapped by a reader, or our bug.
                failure_code(FailureKind::of(err.find_root()))
            }
        }
        DataFusionError::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => Code::NotFound,
        // A missing file behind an external table is the user's to fix, not our bug.
        DataFusionError::ObjectStore(store) if store.to_string().contains("not found") => {
            Code::NotFound
        }
        root => failure_code(FailureKind::of(root)),
    }
}

/// DataFusion reports an unknown table as a plan error `table '…' not found`.
fn is_missing_table(message: &str) -> bool {
    message.starts_with("table '") && message.ends_with("not found")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    fn code_of(err: FlightSqlError) -> Code {
        Status::from(err).code()
    }

    #[test]
    fn sql_errors_are_invalid_argument_and_keep_datafusion_message() {
        let err = FlightSqlError::DataFusion(DataFusionError::Plan("bad column x".into()));
        let status = Status::from(err);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("bad column x"));
    }

    #[test]
    fn unknown_tables_are_not_found() {
        let err = DataFusionError::Plan("table 'datafusion.public.nope' not found".into());
        assert_eq!(code_of(err.into()), Code::NotFound);
    }

    #[test]
    fn resource_limits_cancellation_and_bugs_keep_their_codes() {
        assert_eq!(
            code_of(DataFusionError::ResourcesExhausted("memory".into()).into()),
            Code::ResourceExhausted
        );
        assert_eq!(
            code_of(FlightSqlError::Cancelled {
                query_id: "q".into()
            }),
            Code::Cancelled
        );
        assert_eq!(
            code_of(DataFusionError::Internal("bug".into()).into()),
            Code::Internal
        );
    }

    #[test]
    fn a_failed_task_reaches_the_client_with_its_kinds_code_and_the_engines_words_first() {
        use trebuchet_cluster::TaskFailure;
        let failed = |kind| {
            let failure = TaskFailure::new(
                kind,
                "Arrow error: Divide by zero error",
                "task 3 of stage 1 on e1",
            );
            FlightSqlError::from(DataFusionError::External(Box::new(
                ClusterError::TaskFailed(failure),
            )))
        };
        for (kind, code) in [
            (FailureKind::Query, Code::InvalidArgument),
            (FailureKind::NotImplemented, Code::Unimplemented),
            (FailureKind::ResourcesExhausted, Code::ResourceExhausted),
            (FailureKind::ExecutorLost, Code::Unavailable),
            (FailureKind::Internal, Code::Internal),
        ] {
            let status = Status::from(failed(kind));
            assert_eq!(status.code(), code, "{kind:?}");
            assert_eq!(
                status.message(),
                "Arrow error: Divide by zero error (task 3 of stage 1 on e1)"
            );
        }
    }
}
