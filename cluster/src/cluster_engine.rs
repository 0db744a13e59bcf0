//! [`ClusterEngine`]: runs each query as a job on the cluster's executors. The scheduler
//! process plans the stages and submits the job; once every stage but the final one is
//! done (an event, not a poll), the final stage's partitions stream to the client as its
//! tasks write them.
//!
//! A job is cancelled when its caller gives up before it ends, and its files are released
//! when its results have been read, are cancelled, or expire.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::analyze::AnalyzeExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{EmptyRecordBatchStream, ExecutionPlan};
use datafusion::prelude::SessionConfig;
use futures::StreamExt;
use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinSet;
use trebuchet_shuffle::ids::JobId;
use trebuchet_shuffle::{ClusterSecret, ShuffleLayout};

use crate::ballista_options::BallistaOptions;
use crate::decodable_stages::{plan_decodable_single_stage, plan_decodable_stages};
use crate::distributed_analyze::analyze_as_job;
use crate::final_partition::{final_partition_stream, job_error};
use crate::job_timeout::within_job_timeout;
use crate::join_strategy::BUILD_SHARE_DIVISOR;
use crate::local_engine::{LocalEngine, QueryEngine};
use crate::memory_scans::unify_memory_scan_schemas;
use crate::object_stores::{ConfiguredStores, stores_read_by};
use crate::query_placement::{Placement, placement};
use crate::result_partitions::{
    PendingResults, ReadActivity, ResultPartition, ResultSource, watch_client,
};
use crate::scalar_subqueries::{RunPlan, resolve_scalar_subqueries, split_scalar_subqueries};
use crate::scheduler::{JobLabel, JobProgress, JobSubmission, SchedulerHandle, TaskMemory};
use crate::session_defaults::changed_settings;
use crate::single_task::as_single_task;
use crate::stage_planner::{QueryStage, StagePlan};

/// How a query's result reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultEndpoints {
    /// One Flight endpoint per final partition, each streamed from the executor writing
    /// it through the scheduler.
    #[default]
    PerPartition,
    /// One endpoint with every partition merged, for clients that read only the first
    /// endpoint of a `FlightInfo` (flightsql-dbapi does).
    Single,
}

/// Most tasks one stage of a job may have, whatever partition count the session asks for:
/// each task is scheduled, tracked and (in the final stage) handed out as an endpoint.
pub const MAX_TASKS_PER_STAGE: usize = 4096;

/// How often unread results are checked for expiry: often enough that results nobody
/// began to read go within seconds of their minute.
const EXPIRY_SWEEP: Duration = Duration::from_secs(5);

/// Runs plans as jobs of the scheduler behind `scheduler`.
#[derive(Debug, Clone)]
pub struct ClusterEngine {
    scheduler: SchedulerHandle,
    endpoints: ResultEndpoints,
    pending: Arc<PendingResults>,
    /// Releases results nobody came for; stops with the last clone of the engine.
    _expiry: Arc<JoinSet<()>>,
}

impl ClusterEngine {
    /// An engine for `scheduler`. Starts a task on the current tokio runtime.
    pub fn new(scheduler: SchedulerHandle) -> Self {
        let pending = Arc::new(PendingResults::default());
        let mut expiry = JoinSet::new();
        expiry.spawn(expire_unread_results(
            Arc::downgrade(&pending),
            scheduler.clone(),
        ));
        Self {
            scheduler,
            endpoints: ResultEndpoints::default(),
            pending,
            _expiry: Arc::new(expiry),
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
        // Nothing happens before the future runs: callers run it on the planning runtime.
        execute_plan(self.scheduler.clone(), plan, task_ctx)
    }

    fn complete(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        task_ctx: Arc<TaskContext>,
    ) -> BoxFuture<'static, Result<Option<Vec<Bytes>>>> {
        let engine = self.clone();
        Box::pin(async move {
            // EXPLAIN ANALYZE answers one row, after its job: `execute` runs it.
            if engine.endpoints == ResultEndpoints::Single
                || plan.is::<AnalyzeExec>()
                || placement(&plan, &BallistaOptions::of(task_ctx.session_config()))
                    != Placement::Executors
            {
                return Ok(None);
            }
            let started = start_job(&engine.scheduler, plan, &task_ctx).await?;
            // A query with no partitions still has one endpoint, to send its schema.
            let partitions = u32::try_from(started.final_tasks().max(1)).unwrap_or(u32::MAX);
            let source = ResultSource {
                stage: started.stage.id,
                schema: started.stage.plan.input().schema(),
                progress: started.progress.clone(),
            };
            // From here the pending results own the job.
            started.release.disarm();
            let job = started.job;
            engine.pending.add(
                job.clone(),
                task_ctx.session_id(),
                partitions,
                source,
                Instant::now(),
            );
            let tokens = (0..partitions)
                .map(|partition| {
                    ResultPartition {
                        job: job.to_string(),
                        partition,
                    }
                    .token()
                })
                .collect();
            Ok(Some(tokens))
        })
    }

    fn read_result(
        &self,
        token: &[u8],
        _task_ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let named = ResultPartition::decode_token(token)?;
        let job = JobId::new(named.job.clone());
        let Some((source, activity)) = self.pending.start_read(&job, Instant::now()) else {
            return datafusion::common::plan_err!(
                "the results of this query were already read, cancelled or expired; run the query again"
            );
        };
        let schema = Arc::clone(&source.schema);
        let batches = watch_client(
            partition_stream(
                job.clone(),
                named.partition,
                source,
                self.scheduler.cluster_secret(),
            ),
            Arc::clone(&activity),
        );
        let failed = Arc::new(AtomicBool::new(false));
        let mut read = PartitionRead {
            scheduler: self.scheduler.clone(),
            pending: Arc::clone(&self.pending),
            job,
            partition: named.partition,
            activity,
            ended: false,
            failed: Arc::clone(&failed),
        };
        // The partition counts as read once its stream ends; dropped before that, the
        // client gave up on the query, unless the stream failed.
        let tracked = batches
            .inspect(move |batch| {
                if batch.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
            })
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
                self.scheduler.release(job);
            }
        }
    }

    fn release_session(&self, session_id: &str) {
        for job in self.pending.remove_session(session_id) {
            self.scheduler.release(job);
        }
    }

    fn progress(&self, session_id: &str, since_ms: u64) -> BoxFuture<'static, Option<f64>> {
        let (scheduler, session_id) = (self.scheduler.clone(), session_id.to_string());
        let since = SystemTime::UNIX_EPOCH + Duration::from_millis(since_ms);
        Box::pin(async move {
            let jobs = scheduler.session_jobs(session_id, since).await.ok()?;
            let (done, total) = jobs
                .iter()
                .flat_map(|job| &job.stages)
                .fold((0usize, 0usize), |(done, total), stage| {
                    (done + stage.tasks.done(), total + stage.tasks.total)
                });
            // Tasks are the unit of work the scheduler counts; a stage not yet planned
            // adaptively counts the tasks it was planned with.
            (total > 0).then(|| done as f64 / total as f64)
        })
    }

    fn explain(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &SessionConfig,
    ) -> BoxFuture<'static, Result<Option<String>>> {
        let options = BallistaOptions::of(config);
        let adaptive = options.adaptive_planning().is_some();
        let task_memory = self.scheduler.task_memory();
        Box::pin(async move {
            if let Placement::Scheduler(reason) = placement(&plan, &options) {
                return Ok(Some(format!("runs on the scheduler: {reason}")));
            }
            let (stages, single_task) = explain_stages(plan, &options, task_memory)?;
            if !adaptive || single_task {
                return Ok(Some(stages));
            }
            // The tuning guide's contract: EXPLAIN shows the initial plan, which may change.
            Ok(Some(format!(
                "Adaptive query execution is on (ballista.planner.adaptive.enabled): this is \
                 the initial plan; each stage is re-planned from what the stages it reads \
                 measured, and EXPLAIN ANALYZE shows the plan that ran.\n{stages}"
            )))
        })
    }
}

/// The stages `plan` runs as: first each scalar subquery's, which run before the query
/// (see `scalar_subqueries.rs`), then the query's own; and whether the query's own job
/// runs as one task (nothing of it is re-planned then).
fn explain_stages(
    plan: Arc<dyn ExecutionPlan>,
    options: &BallistaOptions,
    task_memory: TaskMemory,
) -> Result<(String, bool)> {
    let (query, subqueries) = split_scalar_subqueries(plan)?;
    let mut text = String::new();
    for (number, subquery) in subqueries.into_iter().enumerate() {
        text.push_str(&format!("Scalar subquery {} (runs first):\n", number + 1));
        for line in explain_stages(subquery, options, task_memory)?.0.lines() {
            text.push_str(&format!("  {line}\n"));
        }
    }
    let job = JobId::new("explain");
    let (stages, planned_as) = plan_job(&job, query, options, task_memory)?;
    if let Some(note) = &planned_as {
        text.push_str(&format!("The query {note}.\n"));
    }
    text.push_str(&stages.to_string());
    Ok((text, planned_as.is_some()))
}

/// The stages of job `job`, and what the planner chose for its shape when it is not the
/// usual one: a query the adaptive planner finds small runs as one task
/// (`single_task.rs`); any other is cut into stages wherever its partitioning changes.
fn plan_job(
    job: &JobId,
    plan: Arc<dyn ExecutionPlan>,
    options: &BallistaOptions,
    task_memory: TaskMemory,
) -> Result<(StagePlan, Option<String>)> {
    let format = options.shuffle_format();
    let adaptive = options.adaptive_planning();
    if let Some(max_input_bytes) =
        adaptive.and_then(|planning| planning.single_task_max_input_bytes)
    {
        let max_build_bytes = adaptive
            .and_then(|planning| planning.hash_join_max_build_bytes)
            .and(match task_memory {
                // The executor that takes the task may have any pool: no hash join.
                TaskMemory::Unknown => None,
                // Nothing bounds a task but the input limit itself.
                TaskMemory::Unbounded => Some(u64::MAX),
                TaskMemory::AtMost(share) => Some(share / BUILD_SHARE_DIVISOR),
            });
        if let Some(single) = as_single_task(&plan, max_input_bytes, max_build_bytes) {
            // A plan the single stage cannot carry runs as stages.
            match plan_decodable_single_stage(job, &planning_layout(), format, single.plan) {
                Ok(Some(stages)) => return Ok((stages, Some(single.note))),
                Ok(None) => {}
                Err(err) => {
                    tracing::debug!(error = %err, "the query runs as stages, not as one task");
                }
            }
        }
    }
    Ok((
        plan_decodable_stages(job, &planning_layout(), format, plan)?,
        None,
    ))
}

/// Runs `plan` to its rows where [`placement`] puts it; `EXPLAIN ANALYZE` runs where the
/// query it analyzes would.
fn execute_plan(
    scheduler: SchedulerHandle,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> BoxFuture<'static, Result<SendableRecordBatchStream>> {
    Box::pin(async move {
        let options = BallistaOptions::of(task_ctx.session_config());
        let analyzed = plan.downcast_ref::<AnalyzeExec>();
        let placed = analyzed.map_or(&plan, |analyze| analyze.input());
        if let Placement::Scheduler(_) = placement(placed, &options) {
            let rows = LocalEngine.execute(plan, task_ctx);
            return within_job_timeout(rows, options.job_timeout).await;
        }
        match analyzed {
            Some(analyze) => analyze_as_job(scheduler, analyze, task_ctx).await,
            None => run_job(scheduler, plan, task_ctx).await,
        }
    })
}

/// A job whose final stage is ready: every stage before it succeeded.
struct StartedJob {
    job: JobId,
    stage: QueryStage,
    progress: watch::Receiver<JobProgress>,
    release: JobRelease,
}

impl StartedJob {
    /// The final stage's tasks, one per result partition: as planned, or as the adaptive
    /// planner re-planned it once its inputs had finished (before it is ready).
    fn final_tasks(&self) -> usize {
        self.progress.borrow().final_tasks.len()
    }
}

/// Plans the stages of `plan`, submits them, and waits (for an event, not in a poll) until
/// the final stage can run or the job has ended. Dropping the future cancels the job.
async fn start_job(
    scheduler: &SchedulerHandle,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: &Arc<TaskContext>,
) -> Result<StartedJob> {
    let run_subquery: RunPlan = {
        let (scheduler, task_ctx) = (scheduler.clone(), Arc::clone(task_ctx));
        Arc::new(move |plan| execute_plan(scheduler.clone(), plan, Arc::clone(&task_ctx)))
    };
    let plan = resolve_scalar_subqueries(plan, run_subquery).await?;
    let job = JobId::unique();
    let plan = unify_memory_scan_schemas(plan)?;
    let options = BallistaOptions::of(task_ctx.session_config());
    let configured = ConfiguredStores::of(task_ctx.session_config());
    let object_stores = stores_read_by(&plan, configured.as_deref())?;
    let (stages, planned_as) = plan_job(&job, plan, &options, scheduler.task_memory())?;
    check_task_counts(&stages)?;
    let stage = stages.final_stage().clone();
    let adaptive = options.adaptive_planning();
    if adaptive.is_some() {
        // The tuning guide's contract: a job run adaptively says so when it is submitted.
        tracing::warn!(job = %job, "adaptive query execution is on for this job (ballista.planner.adaptive.enabled): stages are re-planned as their inputs finish");
    }
    let mut progress = scheduler.submit(JobSubmission {
        job: job.clone(),
        stages,
        session_id: task_ctx.session_id(),
        session_config: changed_settings(task_ctx.session_config()),
        object_stores,
        timeout: options.job_timeout,
        label: JobLabel::of(task_ctx),
        adaptive,
        planned_as,
    });
    let release = JobRelease {
        scheduler: scheduler.clone(),
        job: Some(job.clone()),
    };
    let started = progress
        .wait_for(|progress| progress.final_stage_ready || progress.end.is_some())
        .await
        .map(|progress| progress.end.clone());
    match started {
        Ok(None | Some(Ok(()))) => Ok(StartedJob {
            job,
            stage,
            progress,
            release,
        }),
        Ok(Some(Err(failure))) => Err(job_error(&failure)),
        Err(_) => match progress.borrow().end.clone() {
            Some(Err(failure)) => Err(job_error(&failure)),
            _ => Err(DataFusionError::Execution(
                "the scheduler stopped before the query ended".into(),
            )),
        },
    }
}

/// Refuses a job with a stage of more than [`MAX_TASKS_PER_STAGE`] tasks.
fn check_task_counts(stages: &StagePlan) -> Result<()> {
    match stages
        .stages()
        .iter()
        .find(|stage| stage.tasks() > MAX_TASKS_PER_STAGE)
    {
        Some(stage) => Err(DataFusionError::ResourcesExhausted(format!(
            "stage {} of this query would run {} tasks; a stage may run at most \
             {MAX_TASKS_PER_STAGE} (lower datafusion.execution.target_partitions)",
            stage.id,
            stage.tasks()
        ))),
        None => Ok(()),
    }
}

/// Runs `plan` as a job and streams its final partitions, merged, as they are written.
async fn run_job(
    scheduler: SchedulerHandle,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> Result<SendableRecordBatchStream> {
    Ok(run_job_with_id(scheduler, plan, task_ctx).await?.rows)
}

/// A job's result stream, with what identifies and follows the job.
pub(crate) struct JobStream {
    pub(crate) job: JobId,
    /// Says when the job has ended (its executors' last reports arrive after its rows).
    pub(crate) progress: watch::Receiver<JobProgress>,
    pub(crate) rows: SendableRecordBatchStream,
}

/// [`run_job`], also saying which job it is and how it stands.
pub(crate) async fn run_job_with_id(
    scheduler: SchedulerHandle,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> Result<JobStream> {
    let started = start_job(&scheduler, plan, &task_ctx).await?;
    let progress = started.progress.clone();
    let schema = started.stage.plan.input().schema();
    let partitions = u32::try_from(started.final_tasks()).unwrap_or(u32::MAX);
    let source = ResultSource {
        stage: started.stage.id,
        schema: Arc::clone(&schema),
        progress: started.progress,
    };
    let job = started.job;
    let secret = scheduler.cluster_secret();
    let streams = (0..partitions)
        .map(|partition| partition_stream(job.clone(), partition, source.clone(), secret));
    let merged: SendableRecordBatchStream = Box::pin(RecordBatchStreamAdapter::new(
        Arc::clone(&schema),
        futures::stream::select_all(streams),
    ));
    let activity = ReadActivity::new(Instant::now());
    let mut watchdog = JoinSet::new();
    watchdog.spawn(release_when_stalled(
        Arc::clone(&activity),
        scheduler.clone(),
        job.clone(),
    ));
    // The stream owns the job: it is released when the stream ends, cancelled when it is
    // dropped before, or when its client stops reading it.
    let release = started.release;
    let end_of_results = futures::stream::once(async move {
        release.read_to_end();
        None
    })
    .filter_map(futures::future::ready);
    let owned = watch_client(merged, activity)
        .map(move |batch| {
            let _owned = &watchdog;
            batch
        })
        .chain(end_of_results);
    Ok(JobStream {
        job,
        progress,
        rows: Box::pin(RecordBatchStreamAdapter::new(schema, owned)),
    })
}

/// Releases `job` once the stream that `activity` watches has waited on its client for
/// [`crate::result_partitions::STALLED_READ_TTL`]: a client that stopped reading without
/// closing its stream would hold the job forever.
async fn release_when_stalled(activity: Arc<ReadActivity>, scheduler: SchedulerHandle, job: JobId) {
    let mut ticks = tokio::time::interval(EXPIRY_SWEEP);
    loop {
        ticks.tick().await;
        if activity.is_stalled(Instant::now()) {
            tracing::info!(job = %job, "releasing a job whose client stopped reading");
            scheduler.release(job);
            return;
        }
    }
}

/// One result partition; a query with no partitions has one, empty.
/// Read from the executors with grants signed by `secret`.
fn partition_stream(
    job: JobId,
    partition: u32,
    source: ResultSource,
    secret: &ClusterSecret,
) -> SendableRecordBatchStream {
    let tasks = source.progress.borrow().final_tasks.len();
    if tasks == 0 {
        return Box::pin(EmptyRecordBatchStream::new(source.schema));
    }
    final_partition_stream(
        job,
        source.stage,
        partition,
        source.schema,
        source.progress,
        secret.clone(),
    )
}

/// Marks one result partition read when its stream ends, and releases the whole job when
/// the stream is dropped before its end (the client stopped reading: a result it reads
/// only part of is one it no longer wants).
struct PartitionRead {
    scheduler: SchedulerHandle,
    pending: Arc<PendingResults>,
    job: JobId,
    partition: u32,
    activity: Arc<ReadActivity>,
    ended: bool,
    /// The stream ended in the job's failure: its other partitions' readers must still
    /// find the job and learn that failure, rather than find it gone.
    failed: Arc<AtomicBool>,
}

impl PartitionRead {
    fn done(&mut self) {
        self.ended = true;
        if self
            .pending
            .mark_read(&self.job, self.partition, &self.activity, Instant::now())
        {
            self.scheduler.result_read(self.job.clone());
        }
    }
}

impl Drop for PartitionRead {
    fn drop(&mut self) {
        let abandoned = !self.ended && !self.failed.load(Ordering::Relaxed);
        if abandoned && self.pending.remove(&self.job) {
            tracing::debug!(job = %self.job, partition = self.partition, "result abandoned midway: releasing the job");
            self.scheduler.release(self.job.clone());
        }
    }
}

/// Releases, every [`EXPIRY_SWEEP`], the results nobody came for; stops when the
/// engine is gone.
async fn expire_unread_results(pending: Weak<PendingResults>, scheduler: SchedulerHandle) {
    let mut ticks = tokio::time::interval(EXPIRY_SWEEP);
    loop {
        ticks.tick().await;
        let Some(pending) = pending.upgrade() else {
            return;
        };
        for job in pending.remove_expired(Instant::now()) {
            tracing::info!(job = %job, "releasing results nobody read");
            scheduler.release(job);
        }
    }
}

/// Releases a job when dropped (cancelling it if it still runs), unless disarmed: its
/// owner went away, or finished with it.
struct JobRelease {
    scheduler: SchedulerHandle,
    job: Option<JobId>,
}

impl JobRelease {
    /// Hands the job on to another owner.
    fn disarm(mut self) {
        self.job = None;
    }

    /// The job's result was read to the end: it is released once it has ended, as what
    /// it is, rather than cancelled.
    fn read_to_end(mut self) {
        if let Some(job) = self.job.take() {
            self.scheduler.result_read(job);
        }
    }
}

impl Drop for JobRelease {
    fn drop(&mut self) {
        if let Some(job) = self.job.take() {
            tracing::debug!(job = %job, "releasing the job");
            self.scheduler.release(job);
        }
    }
}
