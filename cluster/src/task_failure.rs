//! Why a job failed, in a form that survives the trip from an executor to the client: the
//! kind of failure (which decides the client's status code) and the engine's own message,
//! with where it happened kept apart so that the user reads their error first.

use datafusion::error::DataFusionError;

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
    /// A bug or the machine: a panic, an I/O error, a plan that does not decode.
    Internal,
}

impl FailureKind {
    /// The kind of a task's DataFusion error, judged by its innermost cause.
    pub fn of(err: &DataFusionError) -> Self {
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
        }
    }

    /// The kind a protocol number stands for; unknown numbers (a newer peer) are internal.
    pub fn from_wire(value: i32) -> Self {
        match value {
            1 => Self::Query,
            2 => Self::NotImplemented,
            3 => Self::ResourcesExhausted,
            4 => Self::ExecutorLost,
            _ => Self::Internal,
        }
    }
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
}
