//! [`ClusterEngine`]: runs each query as a job on the cluster's executors. The scheduler
//! process plans the stages, submits the job, waits for its completion event (no polling),
//! then streams the final stage's partitions from the executors holding them.
//!
//! A job is cancelled when its caller gives up before it ends, and its result files are
//! released when the result stream ends or is dropped.

use std::sync::Arc;

use datafusion::datasource::sink::DataSinkExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ExecutionPlan, ExecutionPlanProperties, Partitioning, execute_stream,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use trebuchet_shuffle::ids::JobId;
use trebuchet_shuffle::{ShuffleLayout, ShuffleReaderExec};

use crate::codec::encode_plan;
use crate::local_engine::{LocalEngine, QueryEngine};
use crate::memory_scans::unify_memory_scan_schemas;
use crate::scheduler::{JobSubmission, SchedulerHandle};
use crate::session_defaults::changed_settings;
use crate::stage_planner::plan_stages;

/// Runs plans as jobs of the scheduler behind `scheduler`.
#[derive(Debug, Clone)]
pub struct ClusterEngine {
    scheduler: SchedulerHandle,
}

impl ClusterEngine {
    pub fn new(scheduler: SchedulerHandle) -> Self {
        Self { scheduler }
    }
}

/// Executors write under their own work dirs; the planner's layout root is replaced there.
fn planning_layout() -> ShuffleLayout {
    ShuffleLayout::new("")
}

impl QueryEngine for ClusterEngine {
    fn execute(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        task_ctx: Arc<TaskContext>,
    ) -> BoxFuture<'static, Result<SendableRecordBatchStream>> {
        if runs_on_scheduler(&plan) {
            return LocalEngine.execute(plan, task_ctx);
        }
        let scheduler = self.scheduler.clone();
        Box::pin(async move { run_job(scheduler, plan, task_ctx).await })
    }

    fn explain(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Option<String>> {
        if runs_on_scheduler(&plan) {
            return Ok(Some(
                "runs on the scheduler (writes a table or reads the catalog)".into(),
            ));
        }
        let stages = plan_stages(&JobId::new("explain"), &planning_layout(), plan)?;
        Ok(Some(stages.to_string()))
    }
}

/// Plans that must run where the catalog lives: writes (an in-memory table exists only in
/// the scheduler, and a write must land exactly once) and plans no executor could decode
/// (catalog views such as `information_schema`, `SHOW`). Everything else is distributed.
fn runs_on_scheduler(plan: &Arc<dyn ExecutionPlan>) -> bool {
    fn writes(plan: &Arc<dyn ExecutionPlan>) -> bool {
        plan.is::<DataSinkExec>() || plan.children().into_iter().any(writes)
    }
    if writes(plan) {
        return true;
    }
    match encode_plan(Arc::clone(plan)) {
        Ok(_) => false,
        Err(err) => {
            tracing::debug!(error = %err, "plan cannot be shipped to executors; running it on the scheduler");
            true
        }
    }
}

async fn run_job(
    scheduler: SchedulerHandle,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> Result<SendableRecordBatchStream> {
    let job = JobId::unique();
    let plan = unify_memory_scan_schemas(plan)?;
    let stages = plan_stages(&job, &planning_layout(), plan)?;
    let final_stage = stages.final_stage().clone();
    let outcome = scheduler.submit(JobSubmission {
        job: job.clone(),
        stages,
        session_id: task_ctx.session_id(),
        session_config: changed_settings(task_ctx.session_config()),
    });
    // Until the job ends, dropping this future (the client went away) cancels it; after,
    // the guard travels with the result stream and releases the files.
    let mut guard = JobGuard {
        scheduler,
        job,
        finished: false,
    };
    let result = outcome
        .await
        .map_err(|_| {
            DataFusionError::Execution("the scheduler stopped before the query ended".into())
        })?
        .map_err(|failure| DataFusionError::Execution(failure.to_string()))?;
    guard.finished = true;

    let input = final_stage.plan.input();
    let schema = input.schema();
    let partitions = result.partitions.len();
    let reader: Arc<dyn ExecutionPlan> = if partitions == 0 {
        Arc::new(EmptyExec::new(Arc::clone(&schema)))
    } else {
        let reader = ShuffleReaderExec::unresolved(
            final_stage.id,
            Arc::clone(&schema),
            input.equivalence_properties().clone(),
            Partitioning::UnknownPartitioning(partitions),
        )
        .resolve(result.partitions)?;
        if partitions == 1 {
            Arc::new(reader)
        } else {
            Arc::new(CoalescePartitionsExec::new(Arc::new(reader)))
        }
    };
    let results = execute_stream(reader, task_ctx)?;
    let owned = results.map(move |batch| {
        let _guard = &guard;
        batch
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, owned)))
}

/// Cancels an unfinished job, or releases a finished one's files, when dropped.
struct JobGuard {
    scheduler: SchedulerHandle,
    job: JobId,
    finished: bool,
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        if self.finished {
            self.scheduler.forget(self.job.clone());
        } else {
            tracing::debug!(job = %self.job, "caller went away: cancelling the job");
            self.scheduler.cancel(self.job.clone());
        }
    }
}
