//! Why a job failed, in a form that survives the trip from an executor to the client: the
//! kind of failure (which decides the client's status code) and the engine's own message,
//! with where it happened kept apart so that the user reads their error first.

use datafusion::error::DataFusionError;
use object_store::client::HttpErrorKind;

/// What kind of failure ended a task, and with it its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The statement failed on its data or plan: a SQL, plan, schema, execution or Arrow
    /// error, such as a division by zero or a failed cast.
    Query,
    /// DataFusion does not implement something the plan needs.
    NotImplemented,
    /// A task ran out of memory.
    ResourcesExhausted,
    /// Executors were lost, or their output unreachable, more often than retries allow.
    ExecutorLost,
    /// An object store refused the credentials a table was given (HTTP 401 or 403).
    StoreAccessDenied,
    /// An object store could not be reached (refused or timed-out connections) within its
    /// retries.
    StoreUnreachable,
    /// A bug or the machine: a panic, an I/O error, a plan that does not decode.
    Internal,
}

impl FailureKind {
    /// The kind of a task's DataFusion error, judged by its innermost cause.
    pub fn of(err: &DataFusionError) -> Self {
        if let Some(kind) = store_failure(err) {
            return kind;
        }
        match err.find_root() {
            DataFusionError::SQL(..)
            | DataFusionError::Plan(_)
            | DataFusionError::SchemaError(..)
            | DataFusionError::Configuration(_)
            | DataFusionError::Execution(_)
            | DataFusionError::ArrowError(..) => Self::Query,
            DataFusionError::NotImplemented(_) => Self::NotImplemented,
            DataFusionError::ResourcesExhausted(_) => Self::ResourcesExhausted,
            _ => Self::Internal,
        }
    }

    /// The kind's number in the cluster protocol.
    pub fn to_wire(self) -> i32 {
        match self {
            Self::Internal => 0,
            Self::Query => 1,
            Self::NotImplemented => 2,
            Self::ResourcesExhausted => 3,
            Self::ExecutorLost => 4,
            Self::StoreAccessDenied => 5,
            Self::StoreUnreachable => 6,
        }
    }

    /// The kind a protocol number stands for; unknown numbers (a newer peer) are internal.
    pub fn from_wire(value: i32) -> Self {
        match value {
            1 => Self::Query,
            2 => Self::NotImplemented,
            3 => Self::ResourcesExhausted,
            4 => Self::ExecutorLost,
            5 => Self::StoreAccessDenied,
            6 => Self::StoreUnreachable,
            _ => Self::Internal,
        }
    }
}

/// The kind of an object store's failure anywhere in `err`'s chain of causes (the Parquet
/// reader wraps them in its own errors).
fn store_failure(err: &DataFusionError) -> Option<FailureKind> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut store_failed = false;
    while let Some(error) = current {
        match error.downcast_ref::<object_store::Error>() {
            Some(
                object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. },
            ) => return Some(FailureKind::StoreAccessDenied),
            Some(_) => store_failed = true,
            None => {}
        }
        // A refused listing comes back as a generic error: its HTTP status shows only in
        // its text.
        if store_failed && {
            let text = error.to_string();
            text.contains("status code: 403") || text.contains("status code: 401")
        } {
            return Some(FailureKind::StoreAccessDenied);
        }
        if store_failed
            && let Some(http) = error.downcast_ref::<object_store::client::HttpError>()
            && matches!(http.kind(), HttpErrorKind::Connect | HttpErrorKind::Timeout)
        {
            return Some(FailureKind::StoreUnreachable);
        }
        if store_failed
            && let Some(io) = error.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::NotConnected
                    | std::io::ErrorKind::TimedOut
            )
        {
            return Some(FailureKind::StoreUnreachable);
        }
        current = error.source();
    }
    // The Parquet reader keeps only the text of a store's error when it fetches a footer.
    let text = err.to_string();
    if !text.contains("Object Store error") {
        return None;
    }
    if text.contains("status code: 403") || text.contains("status code: 401") {
        return Some(FailureKind::StoreAccessDenied);
    }
    ["error sending request", "Connection refused", "timed out"]
        .iter()
        .any(|sign| text.contains(sign))
        .then_some(FailureKind::StoreUnreachable)
}

/// The failure that ended a job: the engine's message as DataFusion worded it, then where
/// it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    pub kind: FailureKind,
    /// The error itself, e.g. `Arrow error: Divide by zero error`.
    pub message: String,
    /// Where: the task, stage, attempts and executor, e.g. `task 3 of stage 1 on executor-1a2b`.
    pub context: String,
}

impl TaskFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>, context: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            context: context.into(),
        }
    }
}

impl std::fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.context.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} ({})", self.message, self.context)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_survives_the_wire() {
        for kind in [
            FailureKind::Query,
            FailureKind::NotImplemented,
            FailureKind::ResourcesExhausted,
            FailureKind::ExecutorLost,
            FailureKind::StoreAccessDenied,
            FailureKind::StoreUnreachable,
            FailureKind::Internal,
        ] {
            assert_eq!(FailureKind::from_wire(kind.to_wire()), kind);
        }
        assert_eq!(FailureKind::from_wire(99), FailureKind::Internal);
    }

    #[test]
    fn the_users_error_comes_before_where_it_happened() {
        let err =
            DataFusionError::ArrowError(Box::new(arrow::error::ArrowError::DivideByZero), None);
        let failure = TaskFailure::new(
            FailureKind::of(&err),
            err.strip_backtrace(),
            "task 0 of stage 1",
        );
        assert_eq!(failure.kind, FailureKind::Query);
        assert_eq!(
            failure.to_string(),
            "Arrow error: Divide by zero error (task 0 of stage 1)"
        );
    }

    #[test]
    fn refused_credentials_anywhere_in_the_chain_are_store_access_denied() {
        let denied = object_store::Error::PermissionDenied {
            path: "data/part-0.parquet".into(),
            source: "403 Forbidden".into(),
        };
        let wrapped = DataFusionError::External(Box::new(
            datafusion::parquet::errors::ParquetError::External(Box::new(denied)),
        ));
        assert_eq!(FailureKind::of(&wrapped), FailureKind::StoreAccessDenied);
        let refused = object_store::Error::Generic {
            store: "S3",
            source: Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        };
        let err = DataFusionError::ObjectStore(Box::new(refused));
        assert_eq!(FailureKind::of(&err), FailureKind::StoreUnreachable);
        let flattened = DataFusionError::ParquetError(Box::new(
            datafusion::parquet::errors::ParquetError::General(format!(
                "Failed to fetch metadata for file t/1.parquet: {}",
                DataFusionError::ObjectStore(Box::new(object_store::Error::Generic {
                    store: "S3",
                    source: "Error performing GET http://h/b/t/1.parquet - HTTP error: \
                             error sending request"
                        .into(),
                }))
            )),
        ));
        assert_eq!(FailureKind::of(&flattened), FailureKind::StoreUnreachable);
    }
}
