//! [`ClusterView`]: what an operator sees of the scheduler at one instant: its jobs
//! (running and recent), their stages and tasks, and its executors (live and departed).
//! The REST API, the web UI, the `system.*` tables and the metrics all read this one
//! picture, taken by the event loop ([`super::SchedulerHandle::view`]), so they never
//! disagree with each other or with the scheduler.

use serde::Serialize;

/// The scheduler's jobs and executors at one instant.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
pub struct ClusterView {
    /// When the scheduler started, in milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// Running jobs first, then ended ones, most recent first.
    pub jobs: Vec<JobView>,
    /// Live executors first, then departed ones (lost or left), most recent first.
    pub executors: Vec<ExecutorView>,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One job: who ran what, how it went, and its stages.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
pub struct JobView {
    pub job_id: String,
    pub session_id: String,
    /// The authenticated user who ran it; `None` on a server without users.
    pub user: Option<String>,
    /// The statement as the client sent it.
    pub sql: String,
    pub state: JobState,
    /// Why it failed or was cancelled (a timeout says so).
    pub error: Option<String>,
    /// In milliseconds since the Unix epoch.
    pub submitted_at_ms: u64,
    pub ended_at_ms: Option<u64>,
    /// Until now for a running job.
    pub duration_ms: u64,
    /// Rows of the result written so far (the final stage's output).
    pub rows_out: u64,
    /// Producers first; the last one is the final stage.
    pub stages: Vec<StageView>,
}

/// Where a stage stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    /// An input stage has not finished.
    Waiting,
    /// Its inputs are done: its tasks run or wait for a slot.
    Running,
    Succeeded,
    /// The adaptive planner skipped it: its output was not needed (empty stage
    /// elimination). Tasks that had started finished; the others never ran.
    Skipped,
    /// Its job ended before it finished.
    Stopped,
}

impl StageState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Skipped => "skipped",
            Self::Stopped => "stopped",
        }
    }
}

/// One stage of a job: its plan, its tasks and what they measured.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
pub struct StageView {
    pub stage_id: u32,
    /// The stages whose output it reads.
    pub inputs: Vec<u32>,
    pub state: StageState,
    /// How its output is partitioned for the stages that read it, e.g.
    /// `Hash([l_orderkey@0], 2)`; the final stage's partitions are the result's.
    pub output_partitioning: String,
    /// Its operators, one per line, indented as in EXPLAIN.
    pub plan: String,
    pub tasks: TaskCounts,
    /// Rows and bytes its finished tasks wrote.
    pub rows_out: u64,
    pub bytes_out: u64,
    /// What its finished tasks spilled to disk.
    pub spilled_bytes: u64,
    /// Time its finished tasks ran, summed over tasks.
    pub task_time_ms: u64,
    /// From the first task's start to the last task's end, once it has ended.
    pub duration_ms: Option<u64>,
    /// Each task's last attempt.
    pub task_list: Vec<TaskView>,
    /// The operators its tasks ran, in pre-order, with their metrics summed over the
    /// succeeded tasks (as `EXPLAIN ANALYZE` shows them).
    pub operators: Vec<OperatorView>,
    /// What the adaptive planner changed in it before it ran, in words.
    pub adaptive_changes: Vec<String>,
}

/// One operator of a stage and what it measured over the stage's succeeded tasks.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
pub struct OperatorView {
    /// 0 for the stage's root (its shuffle writer).
    pub depth: u32,
    /// The operator as EXPLAIN prints it.
    pub operator: String,
    /// Each metric's value: counts, bytes, times in nanoseconds, peaks in bytes.
    pub metrics: std::collections::BTreeMap<String, u64>,
    /// The metrics worded as DataFusion's `EXPLAIN ANALYZE` words them.
    pub metrics_text: String,
    /// The metrics as executors reported them, for re-wording at another level.
    #[serde(skip)]
    pub(crate) raw: Vec<crate::protocol::MetricEntry>,
}

/// How many tasks of a stage are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
pub struct TaskCounts {
    pub total: usize,
    pub waiting: usize,
    pub running: usize,
    pub succeeded: usize,
    /// Never ran: the adaptive planner skipped their stage.
    pub skipped: usize,
}

impl TaskCounts {
    /// Tasks that will not run again: succeeded or skipped.
    pub fn done(&self) -> usize {
        self.succeeded + self.skipped
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Waiting,
    Running,
    Succeeded,
    /// Its stage was skipped before it ran.
    Skipped,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Skipped => "skipped",
        }
    }
}

/// One task (one input partition of a stage), as of its latest attempt.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
pub struct TaskView {
    pub partition: u32,
    pub state: TaskState,
    /// The number of its latest launch (1 for the first); 0 while it waits to run.
    pub attempts: u32,
    /// Where its latest attempt runs or ran.
    pub executor: Option<String>,
    /// What the attempt that succeeded measured.
    pub rows_out: Option<u64>,
    pub bytes_out: Option<u64>,
    pub spilled_bytes: Option<u64>,
    pub elapsed_ms: Option<u64>,
}

/// Where an executor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExecutorState {
    Alive,
    /// Leaving: it finishes its tasks and gets no new one.
    Draining,
    /// Silent past its heartbeat deadline, or unreachable: its work was redone elsewhere.
    Lost,
    /// It deregistered.
    Left,
}

impl ExecutorState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alive => "alive",
            Self::Draining => "draining",
            Self::Lost => "lost",
            Self::Left => "left",
        }
    }
}

/// One executor.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "rest-api", derive(utoipa::ToSchema))]
pub struct ExecutorView {
    pub executor_id: String,
    /// Where its Arrow Flight service (shuffle and result files) listens.
    pub flight_url: String,
    pub slots: usize,
    pub running_tasks: usize,
    pub state: ExecutorState,
    pub registered_at_ms: u64,
    /// Its last heartbeat or poll, in milliseconds since the Unix epoch.
    pub last_seen_ms: u64,
}
