//! [`JobProgress`]: what the readers of a job's result watch. The event loop publishes it
//! after every change, so a reader learns where each final partition is being written the
//! moment its task is placed, and how the job ended, without polling.

use std::time::Duration;

use trebuchet_shuffle::RemoteExecutor;

use crate::task_failure::TaskFailure;

/// Where a job's final stage stands, and how the job ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobProgress {
    /// Every input of the final stage is done: its tasks run or wait for a slot, and the
    /// rest of the job's work is the writing of the result.
    pub final_stage_ready: bool,
    /// Each final partition, by index.
    pub final_tasks: Vec<FinalTask>,
    /// `Some` once the job has ended.
    pub end: Option<JobEnd>,
}

impl JobProgress {
    pub(crate) fn new(final_tasks: usize) -> Self {
        Self {
            final_tasks: vec![FinalTask::Waiting; final_tasks],
            ..Self::default()
        }
    }
}

/// Where one final partition stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinalTask {
    /// Not placed yet.
    Waiting,
    /// An attempt writes it; readers can follow the file as it grows.
    Writing(FinalOutput),
    /// It is complete.
    Written(FinalOutput),
    /// It was complete, but on an executor since lost (the job had already ended).
    Lost,
}

/// One attempt of a final task, on the executor that runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalOutput {
    pub executor: RemoteExecutor,
    pub attempt: u32,
}

/// How a job ended: its one outcome type, from the state machine that decides it to the
/// readers that wait for it.
pub type JobEnd = Result<(), JobFailure>;

/// Why a job produced no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFailure {
    /// A task failed for good; the failure says what kind of failure it was.
    Failed(TaskFailure),
    /// No executor came within the deadline.
    NoExecutors(String),
    /// It ran longer than its session's `ballista.job.timeout`.
    TimedOut(Duration),
    Cancelled,
}

impl std::fmt::Display for JobFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failed(failure) => write!(f, "{failure}"),
            Self::NoExecutors(message) => write!(f, "{message}"),
            Self::TimedOut(limit) => write!(f, "the query ran longer than its {limit:?} limit"),
            Self::Cancelled => write!(f, "the query was cancelled"),
        }
    }
}
