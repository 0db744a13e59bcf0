//! [`StagedEngine`]: runs a query the way the cluster will, stage by stage through shuffle
//! files, but with every task in this process. Each stage's tasks run concurrently; a
//! stage starts when the stages it reads have finished and their readers are resolved to
//! the files they wrote. The final stage is not written: its partitions stream to the
//! caller, merged.
//!
//! A job's files are deleted when its result stream ends or is dropped.
//!
//! Test-only: it checks that cutting a plan into stages and resolving their readers keeps
//! the answer, without a scheduler or executors. Production runs every job through
//! [`crate::ClusterEngine`].

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use datafusion::prelude::SessionConfig;
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use tokio::task::JoinSet;
use trebuchet_shuffle::ids::{JobId, StageId};
use trebuchet_shuffle::{PartitionLocation, ShuffleLayout, read_summary_batch};

use crate::ballista_options::BallistaOptions;
use crate::local_engine::QueryEngine;
use crate::scalar_subqueries::{RunPlan, resolve_scalar_subqueries};
use crate::scheduler::resolve_readers;
use crate::stage_planner::plan_stages;

/// Runs plans as staged jobs in this process, with shuffle files under `layout`.
#[derive(Debug, Clone)]
pub(crate) struct StagedEngine {
    layout: ShuffleLayout,
}

impl StagedEngine {
    /// An engine writing shuffle files under `work_dir`.
    pub(crate) fn new(work_dir: impl Into<std::path::PathBuf>) -> Self {
        Self {
            layout: ShuffleLayout::new(work_dir),
        }
    }
}

impl QueryEngine for StagedEngine {
    fn execute(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        task_ctx: Arc<TaskContext>,
    ) -> BoxFuture<'static, Result<SendableRecordBatchStream>> {
        let layout = self.layout.clone();
        run_job(layout, plan, task_ctx)
    }

    fn explain(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &SessionConfig,
    ) -> BoxFuture<'static, Result<Option<String>>> {
        let format = BallistaOptions::of(config).shuffle_format();
        let layout = self.layout.clone();
        Box::pin(async move {
            let stages = plan_stages(&JobId::new("explain"), &layout, format, plan)?;
            Ok(Some(stages.to_string()))
        })
    }
}

/// The output of finished stages: for each, the files of each of its output partitions.
type StageOutputs = HashMap<StageId, Vec<Vec<PartitionLocation>>>;

/// Runs `plan` as a job; boxed, because its scalar subqueries run as jobs too.
fn run_job(
    layout: ShuffleLayout,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> BoxFuture<'static, Result<SendableRecordBatchStream>> {
    Box::pin(run_stages(layout, plan, task_ctx))
}

async fn run_stages(
    layout: ShuffleLayout,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> Result<SendableRecordBatchStream> {
    let run_subquery: RunPlan = {
        let (layout, task_ctx) = (layout.clone(), Arc::clone(&task_ctx));
        Arc::new(move |plan| run_job(layout.clone(), plan, Arc::clone(&task_ctx)))
    };
    let plan = resolve_scalar_subqueries(plan, run_subquery).await?;
    let job = JobId::unique();
    let files = JobFiles {
        layout: layout.clone(),
        job: job.clone(),
    };
    let format = BallistaOptions::of(task_ctx.session_config()).shuffle_format();
    let stages = plan_stages(&job, &layout, format, plan)?;
    tracing::debug!(job = %job, stages = stages.stages().len(), "job planned");
    let mut outputs = StageOutputs::new();
    let (final_stage, producers) = stages
        .stages()
        .split_last()
        .ok_or_else(|| DataFusionError::Internal("a job without stages".into()))?;
    for stage in producers {
        let writer = resolve_with(Arc::clone(&stage.plan) as Arc<dyn ExecutionPlan>, &outputs)?;
        let partitions = stage.plan.output_partition_count();
        let summaries = run_tasks(writer, Arc::clone(&task_ctx)).await?;
        outputs.insert(stage.id, locations(&summaries, partitions)?);
    }
    let final_input = resolve_with(Arc::clone(final_stage.plan.input()), &outputs)?;
    let results = execute_stream(final_input, task_ctx)?;
    let schema = results.schema();
    // The stream owns the job's files: they go when it ends or is dropped.
    let owned = results.map(move |batch| {
        let _files = &files;
        batch
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, owned)))
}

/// Runs every task (input partition) of a stage concurrently; returns their summaries.
async fn run_tasks(
    writer: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> Result<Vec<RecordBatch>> {
    let tasks = writer
        .children()
        .first()
        .map(|input| input.properties().partitioning.partition_count())
        .unwrap_or(0);
    let mut running = JoinSet::new();
    for partition in 0..tasks {
        let writer = Arc::clone(&writer);
        let task_ctx = Arc::clone(&task_ctx);
        running.spawn(async move {
            writer
                .execute(partition, task_ctx)?
                .try_collect::<Vec<_>>()
                .await
        });
    }
    let mut summaries = Vec::with_capacity(tasks);
    while let Some(finished) = running.join_next().await {
        let batches = finished
            .map_err(|err| DataFusionError::Execution(format!("a task panicked: {err}")))??;
        summaries.extend(batches);
    }
    Ok(summaries)
}

/// Replaces every unresolved shuffle reader in `plan` with one reading the files its
/// stage wrote.
fn resolve_with(
    plan: Arc<dyn ExecutionPlan>,
    outputs: &StageOutputs,
) -> Result<Arc<dyn ExecutionPlan>> {
    resolve_readers(plan, &|stage| {
        outputs
            .get(&stage)
            .cloned()
            .ok_or_else(|| DataFusionError::Internal(format!("stage {stage} has not run")))
    })
}

/// Groups the writers' summary rows by output partition.
fn locations(summaries: &[RecordBatch], partitions: usize) -> Result<Vec<Vec<PartitionLocation>>> {
    let mut grouped = vec![Vec::new(); partitions];
    for (map_task, summary) in (0..).zip(summaries) {
        for (output, written) in read_summary_batch(summary)? {
            let slot = grouped.get_mut(output.0 as usize).ok_or_else(|| {
                DataFusionError::Internal(format!("a writer reported output partition {output}"))
            })?;
            slot.push(PartitionLocation {
                path: written.path,
                num_rows: written.num_rows,
                num_bytes: written.num_bytes,
                index_entry: written.index_entry,
                map_task,
                remote: None,
            });
        }
    }
    Ok(grouped)
}

/// Deletes a job's shuffle files when dropped.
struct JobFiles {
    layout: ShuffleLayout,
    job: JobId,
}

impl Drop for JobFiles {
    fn drop(&mut self) {
        if let Err(err) = self.layout.remove_job(&self.job) {
            tracing::warn!(job = %self.job, error = %err, "could not delete the job's shuffle files");
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, Int32Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::local_engine::LocalEngine;
    use crate::session_defaults::default_session_config;
    use crate::test_support::physical_plan;

    fn context() -> SessionContext {
        let ctx =
            SessionContext::new_with_config(default_session_config().with_target_partitions(3));
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int32, false),
            Field::new("v", DataType::Int32, false),
        ]));
        let partition = |range: std::ops::Range<i32>| {
            let keys: ArrayRef =
                Arc::new(Int32Array::from_iter_values(range.clone().map(|i| i % 7)));
            let values: ArrayRef = Arc::new(Int32Array::from_iter_values(range));
            vec![RecordBatch::try_new(Arc::clone(&schema), vec![keys, values]).unwrap()]
        };
        let table = MemTable::try_new(
            Arc::clone(&schema),
            vec![partition(0..100), partition(100..250)],
        )
        .unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        ctx
    }

    async fn run(engine: &dyn QueryEngine, ctx: &SessionContext, sql: &str) -> String {
        let plan = physical_plan(ctx, sql).await;
        let stream = engine.execute(plan, ctx.task_ctx()).await.unwrap();
        let batches: Vec<RecordBatch> = stream.try_collect().await.unwrap();
        pretty_format_batches(&batches).unwrap().to_string()
    }

    #[tokio::test]
    async fn staged_results_equal_single_process_results() {
        let dir = tempfile::tempdir().unwrap();
        let staged = StagedEngine::new(dir.path());
        let ctx = context();
        for sql in [
            "SELECT k, count(*), sum(v) FROM t GROUP BY k ORDER BY k",
            "SELECT a.k, count(*) FROM t a JOIN t b ON a.k = b.k WHERE a.v < 20 GROUP BY a.k ORDER BY a.k",
            "SELECT v FROM t WHERE v > (SELECT avg(v) FROM t) ORDER BY v DESC LIMIT 5",
            "SELECT count(DISTINCT k) FROM t",
        ] {
            assert_eq!(
                run(&staged, &ctx, sql).await,
                run(&LocalEngine, &ctx, sql).await,
                "{sql}"
            );
        }
        let plan = physical_plan(&ctx, "SELECT k, count(*) FROM t GROUP BY k").await;
        let explained = staged
            .explain(plan, ctx.state().config())
            .await
            .unwrap()
            .unwrap();
        assert!(
            explained.starts_with("Stage 1 (inputs: [], tasks: 2)"),
            "{explained}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "every job's files are deleted: {left:?}");
    }

    #[tokio::test]
    async fn a_dropped_result_stream_deletes_the_job_files() {
        let dir = tempfile::tempdir().unwrap();
        let staged = StagedEngine::new(dir.path());
        let ctx = context();
        let plan = physical_plan(&ctx, "SELECT k, v FROM t ORDER BY v").await;
        let stream = staged.execute(plan, ctx.task_ctx()).await.unwrap();
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_some(),
            "a stage wrote files"
        );
        drop(stream);
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }
}
