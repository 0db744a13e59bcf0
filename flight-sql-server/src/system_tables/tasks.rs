//! `system.tasks`: one row per task of each stage `system.stages` shows, as of the task's
//! latest attempt.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;
use trebuchet_cluster::scheduler::{JobView, TaskView};

use super::columns::{integer_field, integers, text, text_field};

/// The columns of `system.tasks`:
///
/// | column | type | meaning |
/// |---|---|---|
/// | `job_id` | text | its job (`system.jobs.job_id`) |
/// | `stage_id` | bigint | its stage (`system.stages.stage_id`) |
/// | `partition` | bigint | the input partition it reads, from 0 |
/// | `state` | text | `waiting`, `running`, `succeeded` or `skipped` |
/// | `attempts` | bigint | the number of its latest launch (1 for the first); 0 while it waits to run |
/// | `executor_id` | text, null | where its latest attempt runs or ran (`system.executors.executor_id`) |
/// | `rows_out` | bigint, null | rows the attempt that succeeded wrote |
/// | `bytes_out` | bigint, null | bytes it wrote |
/// | `spilled_bytes` | bigint, null | bytes it spilled to disk |
/// | `elapsed_ms` | bigint, null | how long it ran |
pub(super) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text_field("job_id", false),
        integer_field("stage_id", false),
        integer_field("partition", false),
        text_field("state", false),
        integer_field("attempts", false),
        text_field("executor_id", true),
        integer_field("rows_out", true),
        integer_field("bytes_out", true),
        integer_field("spilled_bytes", true),
        integer_field("elapsed_ms", true),
    ]))
}

/// The rows of the tasks of `jobs`.
pub(super) fn batch(jobs: &[JobView]) -> Result<RecordBatch, ArrowError> {
    let tasks: Vec<(&str, u32, &TaskView)> = jobs
        .iter()
        .flat_map(|job| {
            job.stages.iter().flat_map(move |stage| {
                stage
                    .task_list
                    .iter()
                    .map(move |task| (job.job_id.as_str(), stage.stage_id, task))
            })
        })
        .collect();
    RecordBatch::try_new(
        schema(),
        vec![
            text(tasks.iter().map(|(job_id, _, _)| Some(*job_id))),
            integers(
                tasks
                    .iter()
                    .map(|(_, stage_id, _)| Some(u64::from(*stage_id))),
            ),
            integers(
                tasks
                    .iter()
                    .map(|(_, _, task)| Some(u64::from(task.partition))),
            ),
            text(tasks.iter().map(|(_, _, task)| Some(task.state.as_str()))),
            integers(
                tasks
                    .iter()
                    .map(|(_, _, task)| Some(u64::from(task.attempts))),
            ),
            text(tasks.iter().map(|(_, _, task)| task.executor.as_deref())),
            integers(tasks.iter().map(|(_, _, task)| task.rows_out)),
            integers(tasks.iter().map(|(_, _, task)| task.bytes_out)),
            integers(tasks.iter().map(|(_, _, task)| task.spilled_bytes)),
            integers(tasks.iter().map(|(_, _, task)| task.elapsed_ms)),
        ],
    )
}
