//! `system.stages`: one row per stage of each job `system.jobs` shows.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;
use trebuchet_cluster::scheduler::{JobView, StageView};

use super::columns::{
    counts, integer_field, integer_list_field, integer_lists, integers, text, text_field,
};

/// The columns of `system.stages`:
///
/// | column | type | meaning |
/// |---|---|---|
/// | `job_id` | text | its job (`system.jobs.job_id`) |
/// | `stage_id` | bigint | its id within the job; the highest is the final stage |
/// | `inputs` | list of bigint | the stages whose output it reads |
/// | `state` | text | `waiting` (for an input), `running`, `succeeded`, `skipped` (its output was not needed) or `stopped` |
/// | `output_partitioning` | text | how its output is split for its readers, e.g. `Hash([l_orderkey@0], 2)` |
/// | `tasks` | bigint | its tasks, one per input partition (per group of them once the adaptive planner coalesced it) |
/// | `tasks_waiting` | bigint | tasks waiting to run |
/// | `tasks_running` | bigint | tasks running |
/// | `tasks_succeeded` | bigint | tasks that succeeded |
/// | `tasks_skipped` | bigint | tasks that never ran: the adaptive planner skipped the stage |
/// | `rows_out` | bigint | rows its finished tasks wrote |
/// | `bytes_out` | bigint | bytes its finished tasks wrote |
/// | `spilled_bytes` | bigint | bytes its finished tasks spilled to disk |
/// | `task_time_ms` | bigint | time its finished tasks ran, summed |
/// | `duration_ms` | bigint, null | first task's start to last task's end; null until it ends |
/// | `plan` | text | its operators, one per line, indented as in `EXPLAIN` |
pub(super) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text_field("job_id", false),
        integer_field("stage_id", false),
        integer_list_field("inputs"),
        text_field("state", false),
        text_field("output_partitioning", false),
        integer_field("tasks", false),
        integer_field("tasks_waiting", false),
        integer_field("tasks_running", false),
        integer_field("tasks_succeeded", false),
        integer_field("tasks_skipped", false),
        integer_field("rows_out", false),
        integer_field("bytes_out", false),
        integer_field("spilled_bytes", false),
        integer_field("task_time_ms", false),
        integer_field("duration_ms", true),
        text_field("plan", false),
    ]))
}

/// The rows of the stages of `jobs`.
pub(super) fn batch(jobs: &[JobView]) -> Result<RecordBatch, ArrowError> {
    let stages: Vec<(&str, &StageView)> = jobs
        .iter()
        .flat_map(|job| job.stages.iter().map(|stage| (job.job_id.as_str(), stage)))
        .collect();
    RecordBatch::try_new(
        schema(),
        vec![
            text(stages.iter().map(|(job_id, _)| Some(*job_id))),
            integers(
                stages
                    .iter()
                    .map(|(_, stage)| Some(u64::from(stage.stage_id))),
            ),
            integer_lists(stages.iter().map(|(_, stage)| stage.inputs.as_slice())),
            text(stages.iter().map(|(_, stage)| Some(stage.state.as_str()))),
            text(
                stages
                    .iter()
                    .map(|(_, stage)| Some(stage.output_partitioning.as_str())),
            ),
            counts(stages.iter().map(|(_, stage)| stage.tasks.total)),
            counts(stages.iter().map(|(_, stage)| stage.tasks.waiting)),
            counts(stages.iter().map(|(_, stage)| stage.tasks.running)),
            counts(stages.iter().map(|(_, stage)| stage.tasks.succeeded)),
            counts(stages.iter().map(|(_, stage)| stage.tasks.skipped)),
            integers(stages.iter().map(|(_, stage)| Some(stage.rows_out))),
            integers(stages.iter().map(|(_, stage)| Some(stage.bytes_out))),
            integers(stages.iter().map(|(_, stage)| Some(stage.spilled_bytes))),
            integers(stages.iter().map(|(_, stage)| Some(stage.task_time_ms))),
            integers(stages.iter().map(|(_, stage)| stage.duration_ms)),
            text(stages.iter().map(|(_, stage)| Some(stage.plan.as_str()))),
        ],
    )
}
