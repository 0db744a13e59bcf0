//! `EXPLAIN ANALYZE` of a query that runs as a job: the query runs on the executors, its
//! rows are counted and dropped, and the answer is the plan actually run, stage by stage,
//! with each operator's metrics summed over the stage's tasks, worded as DataFusion's own
//! `EXPLAIN ANALYZE` words them, and each stage's tasks, executors, rows, bytes, spill and
//! time.
//!
//! DataFusion's `AnalyzeExec` would only see the final stage (its input's metrics stop at
//! the shuffle readers), so the cluster engine runs its input itself and reads the
//! metrics the executors reported from the scheduler's job record.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{RecordBatch, StringArray};
use datafusion::common::format::MetricType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::analyze::AnalyzeExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

use crate::cluster_engine::{JobStream, run_job_with_id};
use crate::operator_metrics::metrics_text;
use crate::scheduler::{JobView, SchedulerHandle, StageView};

/// Runs `analyze`'s input as a job and answers with its distributed plan and metrics, in
/// `AnalyzeExec`'s schema (`plan_type`, `plan`).
pub(crate) async fn analyze_as_job(
    scheduler: SchedulerHandle,
    analyze: &AnalyzeExec,
    task_ctx: Arc<TaskContext>,
) -> Result<SendableRecordBatchStream> {
    let level = task_ctx.session_config().options().explain.analyze_level;
    let started = Instant::now();
    let JobStream {
        job,
        mut progress,
        mut rows,
    } = run_job_with_id(
        scheduler.clone(),
        Arc::clone(analyze.input()),
        Arc::clone(&task_ctx),
    )
    .await?;
    let mut row_count = 0;
    while let Some(batch) = rows.next().await {
        row_count += batch?.num_rows();
    }
    let elapsed = started.elapsed();
    // The rows are read once the final files are complete; the metrics arrive with the
    // executors' reports, which the job's end waits for. (A closed channel means it ended.)
    let _ = progress.wait_for(|progress| progress.end.is_some()).await;
    drop(rows);
    let view = scheduler.view().await?;
    let record = view
        .jobs
        .iter()
        .find(|candidate| candidate.job_id == job.as_str())
        .ok_or_else(|| {
            DataFusionError::Execution(format!(
                "job {job} ended but the scheduler kept no record of it (--job-history 0?)"
            ))
        })?;
    let text = distributed_plan_text(record, row_count, elapsed, level);
    let schema = analyze.schema();
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from(vec!["Plan with Metrics"])),
            Arc::new(StringArray::from(vec![text])),
        ],
    )?;
    Ok(Box::pin(RecordBatchStreamAdapter::new(
        schema,
        futures::stream::iter([Ok(batch)]),
    )))
}

/// The job's stages as run, each with its tasks' measurements and its operators'
/// metrics, producers first.
fn distributed_plan_text(
    job: &JobView,
    rows: usize,
    elapsed: Duration,
    level: MetricType,
) -> String {
    let tasks: usize = job.stages.iter().map(|stage| stage.tasks.total).sum();
    let mut text = format!(
        "Job {}: {} stage(s), {tasks} task(s), {rows} row(s) in {elapsed:.3?}\n",
        job.job_id,
        job.stages.len()
    );
    for stage in &job.stages {
        let _ = writeln!(text, "{}", stage_header(stage));
        for operator in &stage.operators {
            let indent = "  ".repeat(operator.depth as usize + 1);
            let metrics = metrics_text(&operator.raw, level);
            let _ = writeln!(text, "{indent}{}, metrics=[{metrics}]", operator.operator);
        }
    }
    text
}

/// `Stage 2: 4 tasks on exec-a ×2, exec-b ×2, 6001 rows, 1.2 MB written, 0 B spilled,
/// task time 812ms, wall 410ms`
fn stage_header(stage: &StageView) -> String {
    let mut on: BTreeMap<&str, usize> = BTreeMap::new();
    for task in &stage.task_list {
        if let Some(executor) = &task.executor {
            *on.entry(executor.as_str()).or_default() += 1;
        }
    }
    let executors = on
        .iter()
        .map(|(executor, tasks)| format!("{executor} ×{tasks}"))
        .collect::<Vec<_>>()
        .join(", ");
    let wall = stage
        .duration_ms
        .map_or_else(String::new, |ms| format!(", wall {ms}ms"));
    let state = match stage.adaptive_changes.as_slice() {
        [] => stage.state.as_str().to_string(),
        changes => format!("{}, adaptive: {}", stage.state.as_str(), changes.join("; ")),
    };
    format!(
        "Stage {} ({state}): {} task(s) on {executors}, {} row(s), {} byte(s) written, {} byte(s) \
         spilled, task time {}ms{wall}",
        stage.stage_id,
        stage.tasks.total,
        stage.rows_out,
        stage.bytes_out,
        stage.spilled_bytes,
        stage.task_time_ms,
    )
}
