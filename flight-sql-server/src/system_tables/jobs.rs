//! `system.jobs`: one row per job the scheduler remembers, running ones first, then the
//! last `--job-history` ended ones, most recent first.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;
use trebuchet_cluster::scheduler::JobView;

use super::columns::{
    counts, integer_field, integers, text, text_field, timestamp_field, timestamps,
};

/// The columns of `system.jobs`:
///
/// | column | type | meaning |
/// |---|---|---|
/// | `job_id` | text | the job's id, as in the logs and the REST API |
/// | `session_id` | text | the session that ran it (`system.sessions.session_id`) |
/// | `user_name` | text, null | who ran it; null on a server without users |
/// | `sql` | text | the statement as the client sent it |
/// | `state` | text | `running`, `succeeded`, `failed` or `cancelled` |
/// | `error` | text, null | why it failed or was cancelled |
/// | `submitted_at` | timestamp (UTC) | when it was submitted |
/// | `ended_at` | timestamp (UTC), null | when it ended; null while it runs |
/// | `duration_ms` | bigint | from submission to its end, or until now |
/// | `rows_out` | bigint | rows of the result written so far |
/// | `stages` | bigint | how many stages it has |
/// | `tasks` | bigint | its tasks over all stages |
/// | `tasks_succeeded` | bigint | those of them that succeeded |
pub(super) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text_field("job_id", false),
        text_field("session_id", false),
        text_field("user_name", true),
        text_field("sql", false),
        text_field("state", false),
        text_field("error", true),
        timestamp_field("submitted_at", false),
        timestamp_field("ended_at", true),
        integer_field("duration_ms", false),
        integer_field("rows_out", false),
        integer_field("stages", false),
        integer_field("tasks", false),
        integer_field("tasks_succeeded", false),
    ]))
}

/// The rows of `jobs`.
pub(super) fn batch(jobs: &[JobView]) -> Result<RecordBatch, ArrowError> {
    let task_total = |job: &JobView| job.stages.iter().map(|stage| stage.tasks.total).sum();
    let tasks_succeeded =
        |job: &JobView| job.stages.iter().map(|stage| stage.tasks.succeeded).sum();
    RecordBatch::try_new(
        schema(),
        vec![
            text(jobs.iter().map(|job| Some(job.job_id.as_str()))),
            text(jobs.iter().map(|job| Some(job.session_id.as_str()))),
            text(jobs.iter().map(|job| job.user.as_deref())),
            text(jobs.iter().map(|job| Some(job.sql.as_str()))),
            text(jobs.iter().map(|job| Some(job.state.as_str()))),
            text(jobs.iter().map(|job| job.error.as_deref())),
            timestamps(jobs.iter().map(|job| Some(job.submitted_at_ms))),
            timestamps(jobs.iter().map(|job| job.ended_at_ms)),
            integers(jobs.iter().map(|job| Some(job.duration_ms))),
            integers(jobs.iter().map(|job| Some(job.rows_out))),
            counts(jobs.iter().map(|job| job.stages.len())),
            counts(jobs.iter().map(task_total)),
            counts(jobs.iter().map(tasks_succeeded)),
        ],
    )
}
