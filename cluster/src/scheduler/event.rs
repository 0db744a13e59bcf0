//! What happens to the scheduler ([`Event`]) and what it asks to be done ([`Action`]).

use std::time::Duration;

use trebuchet_shuffle::ids::{ExecutorId, JobId, PartitionId, StageId};

use super::job_progress::JobEnd;
use crate::task_failure::FailureKind;

/// The shape of one stage of a submitted job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSpec {
    pub id: StageId,
    /// Tasks of the stage: one per input partition.
    pub tasks: usize,
    /// Stages that must succeed before this one can run.
    pub inputs: Vec<StageId>,
    /// The adaptive planner re-plans it once its inputs have succeeded, before its first
    /// task runs ([`Action::PlanStage`]); its task count may change then.
    pub replan: bool,
}

/// How a task ended, as its executor reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    Succeeded,
    /// `retryable` failures (a lost executor, a failed fetch) are tried again; others (a
    /// SQL error, a plan that does not decode) fail the job at once.
    Failed {
        kind: FailureKind,
        /// The error as the engine worded it.
        message: String,
        retryable: bool,
    },
}

/// Everything the scheduler reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    JobSubmitted {
        job: JobId,
        stages: Vec<StageSpec>,
        /// The job is cancelled as timed out if it runs longer (its session's
        /// `ballista.job.timeout`).
        timeout: Option<Duration>,
    },
    ExecutorRegistered {
        executor: ExecutorId,
        slots: usize,
    },
    /// The executor showed it is alive (a heartbeat, a poll). One that shows
    /// nothing for [`crate::scheduler::Limits::executor_timeout`] is lost.
    ExecutorSeen {
        executor: ExecutorId,
    },
    ExecutorLost {
        executor: ExecutorId,
    },
    /// The executor is leaving: it finishes its tasks and keeps serving its output, but no
    /// new task goes to it.
    ExecutorDraining {
        executor: ExecutorId,
    },
    /// The executor deregistered. Not a loss: once drained, nothing of it is needed.
    ExecutorLeft {
        executor: ExecutorId,
    },
    TaskFinished {
        job: JobId,
        stage: StageId,
        partition: PartitionId,
        attempt: u32,
        outcome: TaskOutcome,
    },
    CancelJob {
        job: JobId,
    },
    /// The stage asked for by [`Action::PlanStage`] was re-planned: it runs `tasks` tasks
    /// (`None`: as many as before).
    StagePlanned {
        job: JobId,
        stage: StageId,
        tasks: Option<usize>,
    },
    /// The adaptive planner found these stages' output not needed (`empty_stages.rs`):
    /// their waiting tasks are dropped and the stages count as complete once their
    /// running tasks end.
    StagesSkipped {
        job: JobId,
        stages: Vec<StageId>,
    },
    /// Time passed: deadlines are checked (silent executors, jobs past their timeout, jobs
    /// waiting too long for an executor).
    Tick,
}

/// What the scheduler asks its event loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    LaunchTask {
        job: JobId,
        stage: StageId,
        partition: PartitionId,
        attempt: u32,
        executor: ExecutorId,
    },
    /// Stop every task of `job` still running on `executor`.
    CancelTasks {
        job: JobId,
        executor: ExecutorId,
    },
    FinishJob {
        job: JobId,
        outcome: JobEnd,
    },
    /// Delete the job's shuffle files on every executor.
    ForgetShuffle {
        job: JobId,
    },
    /// Re-plan `stage` with what its input stages measured, then answer with
    /// [`Event::StagePlanned`]; none of its tasks runs before.
    PlanStage {
        job: JobId,
        stage: StageId,
    },
    /// The executor showed no sign of life within the limit: it is lost, and what of it is
    /// still needed runs again elsewhere.
    ExecutorTimedOut {
        executor: ExecutorId,
        /// Its last sign of life.
        last_seen: std::time::Instant,
    },
}
