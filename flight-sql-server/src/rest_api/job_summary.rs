//! [`JobSummary`]: one line of the jobs list, a [`JobView`] without its stages' plans and
//! task lists, which a list of a thousand recent jobs does not need.

use serde::Serialize;
use trebuchet_cluster::scheduler::{JobState, JobView, TaskCounts};

/// A job as the jobs list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct JobSummary {
    pub(crate) job_id: String,
    pub(crate) session_id: String,
    /// The authenticated user who ran it; `null` on a server without users.
    pub(crate) user: Option<String>,
    /// The statement as the client sent it.
    pub(crate) sql: String,
    pub(crate) state: JobState,
    /// Why it failed or was cancelled.
    pub(crate) error: Option<String>,
    /// In milliseconds since the Unix epoch.
    pub(crate) submitted_at_ms: u64,
    pub(crate) ended_at_ms: Option<u64>,
    /// Until now for a running job.
    pub(crate) duration_ms: u64,
    /// Rows of the result written so far.
    pub(crate) rows_out: u64,
    /// How many stages it has.
    pub(crate) stage_count: usize,
    /// Its tasks by state, over all its stages: the job's progress.
    pub(crate) tasks: TaskCounts,
}

impl From<&JobView> for JobSummary {
    fn from(job: &JobView) -> Self {
        let tasks = job
            .stages
            .iter()
            .fold(TaskCounts::default(), |sum, stage| TaskCounts {
                total: sum.total + stage.tasks.total,
                waiting: sum.waiting + stage.tasks.waiting,
                running: sum.running + stage.tasks.running,
                succeeded: sum.succeeded + stage.tasks.succeeded,
                skipped: sum.skipped + stage.tasks.skipped,
            });
        Self {
            job_id: job.job_id.clone(),
            session_id: job.session_id.clone(),
            user: job.user.clone(),
            sql: job.sql.clone(),
            state: job.state,
            error: job.error.clone(),
            submitted_at_ms: job.submitted_at_ms,
            ended_at_ms: job.ended_at_ms,
            duration_ms: job.duration_ms,
            rows_out: job.rows_out,
            stage_count: job.stages.len(),
            tasks,
        }
    }
}
