//! [`ClusterEngine`]: runs each query as a job on the cluster's executors. The scheduler
//! process plans the stages, submits the job, waits for its completion event (no polling),
//! then streams the final stage's partitions from the executors holding them.
//!
//! A job is cancelled when its caller gives up before it ends, and its result files are
//! released when the result stream ends or is dropped.

use std::sync::Arc;

use bytes::Bytes;
use datafusion::datasource::sink::DataSinkExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::explain::ExplainExec;
use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ExecutionPlan, ExecutionPlanProperties, Partitioning, execute_stream,
};
use datafusion::prelude::SessionConfig;
use futures::StreamExt;
use futures::future::BoxFuture;
use trebuchet_shuffle::ids::{JobId, StageId};
use trebuchet_shuffle::{PartitionLocation, ShuffleLayout, ShuffleReaderExec};

use crate::ballista_options::BallistaOptions;
use crate::codec::encode_plan;
use crate::error::ClusterError;
use crate::local_engine::{LocalEngine, QueryEngine};
use crate::memory_scans::unify_memory_scan_schemas;
use crate::result_partitions::{PendingResults, ResultPartition};
use crate::scheduler::{JobFailure, JobSubmission, SchedulerHandle};
use crate::session_defaults::changed_settings;
use crate::stage_planner::{QueryStage, plan_stages};

/// How a query's result reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultEndpoints {
    /// One Flight endpoint per final partition, each read from the executor holding it
    /// through the scheduler.
    #[default]
    PerPartition,
    /// One endpoint with every partition merged, for clients that read only the first
    /// endpoint of a `FlightInfo` (flightsql-dbapi does).
    Single,
}

/// Runs plans as jobs of the scheduler behind `scheduler`.
#[derive(Debug, Clone)]
pub struct ClusterEngine {
    scheduler: SchedulerHandle,
    endpoints: ResultEndpoints,
    pending: Arc<PendingResults>,
}

impl ClusterEngine {
    pub fn new(scheduler: SchedulerHandle) -> Self {
        Self {
            scheduler,
            endpoints: ResultEndpoints::default(),
            pending: Arc::new(PendingResults::default()),
        }
    }

    /// The same engine handing out results as `endpoints` says.
    pub fn with_result_endpoints(self, endpoints: ResultEndpoints) -> Self {
        Self { endpoints, ..self }
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

    fn complete(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        task_ctx: Arc<TaskContext>,
    ) -> BoxFuture<'static, Result<Option<Vec<Bytes>>>> {
        if self.endpoints == ResultEndpoints::Single || runs_on_scheduler(&plan) {
            return Box::pin(async { Ok(None) });
        }
        let scheduler = self.scheduler.clone();
        let pending = Arc::clone(&self.pending);
        Box::pin(async move {
            let finished = finish_job(&scheduler, plan, &task_ctx).await?;
            // From here the files belong to the pending results, not to this call.
            let mut guard = finished.guard;
            guard.on_drop = OnDrop::Nothing;
            let schema = finished.stage.plan.input().schema();
            let mut partitions = finished.partitions;
            if partitions.is_empty() {
                // A query with no partitions still has a schema to send.
                partitions.push(Vec::new());
            }
            let made = partitions
                .iter()
                .enumerate()
                .map(|(index, files)| {
                    let partition = u32::try_from(index).unwrap_or(u32::MAX);
                    ResultPartition::new(
                        &finished.job,
                        finished.stage.id,
                        partition,
                        &schema,
                        files,
                    )
                })
                .collect::<Result<Vec<_>>>();
            let made = match made {
                Ok(made) => made,
                Err(err) => {
                    scheduler.forget(finished.job.clone());
                    return Err(err);
                }
            };
            let tokens = made.iter().map(ResultPartition::token).collect();
            for expired in pending.add(finished.job.clone(), made, std::time::Instant::now()) {
                scheduler.forget(expired);
            }
            Ok(Some(tokens))
        })
    }

    fn read_result(
        &self,
        token: &[u8],
        task_ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let named = ResultPartition::decode_token(token)?;
        let job = JobId::new(named.job.clone());
        // Only the job and partition are taken from the ticket; where the files are comes
        // from what the scheduler recorded.
        let Some(result) = self.pending.get(&job, named.partition) else {
            return datafusion::common::plan_err!(
                "the results of this query were already read, cancelled or expired; run the query again"
            );
        };
        let schema = Arc::new(result.schema()?);
        let reader = ShuffleReaderExec::unresolved(
            StageId(result.stage),
            Arc::clone(&schema),
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
        )
        .resolve(vec![result.locations()])?;
        let batches = execute_stream(Arc::new(reader), task_ctx)?;
        let read = PartitionRead {
            scheduler: self.scheduler.clone(),
            pending: Arc::clone(&self.pending),
            job,
            partition: result.partition,
        };
        // The partition counts as read only once its stream ended without error.
        let tracked = batches
            .map(Some)
            .chain(futures::stream::once(async move {
                read.done();
                None
            }))
            .filter_map(futures::future::ready);
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, tracked)))
    }

    fn release_result(&self, token: &[u8]) {
        if let Ok(result) = ResultPartition::decode_token(token) {
            let job = JobId::new(result.job);
            if self.pending.remove(&job) {
                self.scheduler.forget(job);
            }
        }
    }

    fn explain(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &SessionConfig,
    ) -> Result<Option<String>> {
        if let Some(reason) = scheduler_only(&plan) {
            return Ok(Some(format!("runs on the scheduler: {reason}")));
        }
        let format = BallistaOptions::of(config).shuffle_format();
        let stages = plan_stages(&JobId::new("explain"), &planning_layout(), format, plan)?;
        Ok(Some(stages.to_string()))
    }
}

/// Why `plan` runs on the scheduler rather than as a job, or `None` to distribute it:
/// - writes: an in-memory table exists only in the scheduler, and a write must land
///   exactly once;
/// - plans that read no data (`SELECT 1`, the pings BI tools send, the text of `EXPLAIN`):
///   nothing to distribute, and a job would only add its launch latency;
/// - plans no executor could decode (catalog views such as `information_schema`, `SHOW`).
fn scheduler_only(plan: &Arc<dyn ExecutionPlan>) -> Option<&'static str> {
    fn writes(plan: &Arc<dyn ExecutionPlan>) -> bool {
        plan.is::<DataSinkExec>() || plan.children().into_iter().any(writes)
    }
    fn reads_no_data(plan: &Arc<dyn ExecutionPlan>) -> bool {
        let children = plan.children();
        if children.is_empty() {
            return plan.is::<PlaceholderRowExec>()
                || plan.is::<EmptyExec>()
                || plan.is::<ExplainExec>();
        }
        children.into_iter().all(reads_no_data)
    }
    if writes(plan) {
        return Some("it writes a table");
    }
    if reads_no_data(plan) {
        return Some("it reads no data");
    }
    match encode_plan(Arc::clone(plan)) {
        Ok(_) => None,
        Err(err) => {
            tracing::debug!(error = %err, "plan cannot be shipped to executors; running it on the scheduler");
            Some("it reads the catalog")
        }
    }
}

fn runs_on_scheduler(plan: &Arc<dyn ExecutionPlan>) -> bool {
    scheduler_only(plan).is_some()
}

/// A job that ended well, with the files of its final stage.
struct FinishedJob {
    job: JobId,
    stage: QueryStage,
    partitions: Vec<Vec<PartitionLocation>>,
    guard: JobGuard,
}

/// Plans the stages of `plan`, runs them, and waits for the job's end (an event, not a
/// poll). Dropping the future cancels the job.
async fn finish_job(
    scheduler: &SchedulerHandle,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: &TaskContext,
) -> Result<FinishedJob> {
    let job = JobId::unique();
    let plan = unify_memory_scan_schemas(plan)?;
    let options = BallistaOptions::of(task_ctx.session_config());
    let stages = plan_stages(&job, &planning_layout(), options.shuffle_format(), plan)?;
    let stage = stages.final_stage().clone();
    let outcome = scheduler.submit(JobSubmission {
        job: job.clone(),
        stages,
        session_id: task_ctx.session_id(),
        session_config: changed_settings(task_ctx.session_config()),
    });
    let mut guard = JobGuard {
        scheduler: scheduler.clone(),
        job: job.clone(),
        on_drop: OnDrop::Cancel,
    };
    let outcome = async {
        match options.job_timeout {
            None => Ok(outcome.await),
            Some(limit) => tokio::time::timeout(limit, outcome).await.map_err(|_| {
                // The guard cancels the job as this returns.
                DataFusionError::External(Box::new(ClusterError::JobTimedOut { limit }))
            }),
        }
    };
    let result = outcome
        .await?
        .map_err(|_| {
            DataFusionError::Execution("the scheduler stopped before the query ended".into())
        })?
        .map_err(|failure| match failure {
            JobFailure::NoExecutors(message) => {
                DataFusionError::External(Box::new(ClusterError::NoExecutors { message }))
            }
            other => DataFusionError::Execution(other.to_string()),
        })?;
    guard.on_drop = OnDrop::Forget;
    Ok(FinishedJob {
        job,
        stage,
        partitions: result.partitions,
        guard,
    })
}

/// Runs `plan` as a job and streams its final partitions, merged.
async fn run_job(
    scheduler: SchedulerHandle,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> Result<SendableRecordBatchStream> {
    let finished = finish_job(&scheduler, plan, &task_ctx).await?;
    let input = finished.stage.plan.input();
    let schema = input.schema();
    let partitions = finished.partitions.len();
    let reader: Arc<dyn ExecutionPlan> = if partitions == 0 {
        Arc::new(EmptyExec::new(Arc::clone(&schema)))
    } else {
        let reader = ShuffleReaderExec::unresolved(
            finished.stage.id,
            Arc::clone(&schema),
            input.equivalence_properties().clone(),
            Partitioning::UnknownPartitioning(partitions),
        )
        .resolve(finished.partitions)?;
        if partitions == 1 {
            Arc::new(reader)
        } else {
            Arc::new(CoalescePartitionsExec::new(Arc::new(reader)))
        }
    };
    let results = execute_stream(reader, task_ctx)?;
    // The stream owns the job's files: they go when it ends or is dropped.
    let guard = finished.guard;
    let owned = results.map(move |batch| {
        let _guard = &guard;
        batch
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, owned)))
}

/// Marks one result partition read when its stream completes.
struct PartitionRead {
    scheduler: SchedulerHandle,
    pending: Arc<PendingResults>,
    job: JobId,
    partition: u32,
}

impl PartitionRead {
    fn done(self) {
        if self.pending.mark_read(&self.job, self.partition) {
            self.scheduler.forget(self.job);
        }
    }
}

/// Ends a job's life on the scheduler when dropped, as far as its owner has got.
struct JobGuard {
    scheduler: SchedulerHandle,
    job: JobId,
    on_drop: OnDrop,
}

/// What dropping a [`JobGuard`] does.
enum OnDrop {
    /// The job still runs: the caller went away, so stop it.
    Cancel,
    /// The job ended and its result was read (or abandoned): delete its files.
    Forget,
    /// The files were handed on to the pending results, which release them.
    Nothing,
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        match self.on_drop {
            OnDrop::Cancel => {
                tracing::debug!(job = %self.job, "caller went away: cancelling the job");
                self.scheduler.cancel(self.job.clone());
            }
            OnDrop::Forget => self.scheduler.forget(self.job.clone()),
            OnDrop::Nothing => {}
        }
    }
}
