//! Runs one task: decodes the stage plan in the session's settings, points its writer at
//! this executor's work dir and its readers at local disk where the files are ours (and
//! gives them the cluster secret to fetch the others), runs the one input partition, and
//! reports the files written.

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::execution::session_state::SessionState;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use futures::TryStreamExt;
use trebuchet_shuffle::ids::{ExecutorId, JobId};
use trebuchet_shuffle::{
    ClusterSecret, ShuffleError, ShuffleLayout, ShuffleOutput, ShuffleReaderExec,
    ShuffleWriterExec, read_summary_batch,
};

use super::cooperative_plan::cooperative_plan;
use super::spill_metrics::{SpillMetrics, SpillTotals};
use super::task_memory::TaskMemory;
use crate::codec::decode_plan;
use crate::metrics::ExecutorMetrics;
use crate::object_stores::StoreCache;
use crate::operator_metrics::operators_of;
use crate::protocol::{
    ShuffleFile, TaskDefinition, TaskFailed, TaskOutcomeMessage, TaskStatus, TaskSucceeded,
};
use crate::session_defaults::{configure_functions, default_session_config};
use crate::task_failure::FailureKind;

/// What every task on this executor shares: who we are, where files go, the function
/// registry plans are decoded with, what each task's runtime is made of (memory pool, disk
/// manager, object store clients), the running spill totals and the secret fetches from
/// peers are signed with.
#[derive(Debug, Clone)]
pub(crate) struct TaskEnvironment {
    pub(crate) executor: ExecutorId,
    pub(crate) layout: ShuffleLayout,
    pub(crate) functions: Arc<SessionState>,
    pub(crate) memory: TaskMemory,
    pub(crate) spills: Arc<SpillTotals>,
    pub(crate) cluster_secret: ClusterSecret,
    pub(crate) object_stores: Arc<StoreCache>,
    /// What `/api/metrics` on the executor's port serves.
    pub(crate) metrics: Arc<ExecutorMetrics>,
}

impl TaskEnvironment {
    pub(crate) fn new(
        executor: ExecutorId,
        layout: ShuffleLayout,
        memory: TaskMemory,
        cluster_secret: ClusterSecret,
        metrics: Arc<ExecutorMetrics>,
    ) -> Self {
        let functions = datafusion::execution::SessionStateBuilder::new()
            .with_config(default_session_config())
            .with_runtime_env(Arc::clone(memory.shared()))
            .with_default_features()
            .build();
        Self {
            executor,
            layout,
            functions: Arc::new(functions),
            memory,
            spills: Arc::new(SpillTotals::default()),
            cluster_secret,
            object_stores: Arc::new(StoreCache::default()),
            metrics,
        }
    }
}

/// The status a report of `task` starts from: which task and attempt, no outcome yet.
pub(crate) fn status_of(task: &TaskDefinition) -> TaskStatus {
    TaskStatus {
        job_id: task.job_id.clone(),
        stage_id: task.stage_id,
        partition: task.partition,
        attempt: task.attempt,
        outcome: None,
    }
}

/// The report of a task whose run panicked: a bug, so not worth retrying elsewhere.
pub(crate) fn panicked(
    mut status: TaskStatus,
    executor: &str,
    err: &tokio::task::JoinError,
) -> TaskStatus {
    tracing::error!(job = status.job_id, stage = status.stage_id, partition = status.partition, error = %err, "task panicked");
    status.outcome = Some(TaskOutcomeMessage::Failed(TaskFailed {
        message: format!("the task panicked on executor {executor}: {err}"),
        retryable: false,
        unreachable_executor: String::new(),
        kind: FailureKind::Internal.to_wire(),
    }));
    status
}

/// Runs `task` to the end and says how it went.
pub(crate) async fn run_task(task: TaskDefinition, env: TaskEnvironment) -> TaskStatus {
    let mut status = status_of(&task);
    status.outcome = Some(match execute(&task, &env).await {
        Ok(succeeded) => TaskOutcomeMessage::Succeeded(succeeded),
        Err(err) => {
            let unreachable = fetch_failed_from(&err);
            let retryable = unreachable.is_some();
            tracing::warn!(job = task.job_id, stage = task.stage_id, partition = task.partition, retryable, error = %err, "task failed");
            TaskOutcomeMessage::Failed(TaskFailed {
                message: err.strip_backtrace(),
                retryable,
                unreachable_executor: unreachable.map(|id| id.to_string()).unwrap_or_default(),
                kind: FailureKind::of(&err).to_wire(),
            })
        }
    });
    status
}

async fn execute(task: &TaskDefinition, env: &TaskEnvironment) -> Result<TaskSucceeded> {
    let started = std::time::Instant::now();
    let task_ctx = Arc::new(task_context(task, env)?);
    let plan = decode_plan(&task.plan, &task_ctx)?;
    let plan = localize(plan, env, &JobId::new(task.job_id.clone()), task.attempt)?;
    // A cancelled task stops only when it yields: make every operator yield.
    let plan = cooperative_plan(plan)?;
    let decoded = started.elapsed();
    let collected = match plan.execute(task.partition as usize, task_ctx) {
        Ok(stream) => stream.try_collect::<Vec<_>>().await,
        Err(err) => Err(err),
    };
    // A task that failed may have spilled before it did; that disk traffic counts too.
    let spilled = SpillMetrics::of_plan(plan.as_ref());
    env.spills.add(spilled);
    env.metrics
        .spilled(spilled.spill_count, spilled.spilled_bytes);
    tracing::debug!(
        job = task.job_id,
        stage = task.stage_id,
        partition = task.partition,
        plan_bytes = task.plan.len(),
        decode_us = decoded.as_micros(),
        total_us = started.elapsed().as_micros(),
        succeeded = collected.is_ok(),
        spill_count = spilled.spill_count,
        spilled_bytes = spilled.spilled_bytes,
        spilled_rows = spilled.spilled_rows,
        "task finished"
    );
    let summaries = collected?;
    let mut files = Vec::new();
    for batch in &summaries {
        for (output, written) in read_summary_batch(batch)? {
            files.push(ShuffleFile {
                output_partition: output.0,
                path: written.path.to_string_lossy().into_owned(),
                num_rows: written.num_rows,
                num_bytes: written.num_bytes,
                index_entry: written.index_entry,
            });
        }
    }
    Ok(TaskSucceeded {
        files,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        spilled_bytes: spilled.spilled_bytes,
        operators: operators_of(plan.as_ref()),
    })
}

/// The session the task's query was planned in, rebuilt from its settings, on a runtime of
/// the task's own (its memory pool share, the executor's disks, its job's object stores).
fn task_context(task: &TaskDefinition, env: &TaskEnvironment) -> Result<TaskContext> {
    let mut config = default_session_config();
    for (key, value) in &task.session_config {
        config.options_mut().set(key, value)?;
    }
    let functions = &env.functions;
    let mut scalar_functions = functions.scalar_functions().clone();
    if !task.session_config.is_empty() {
        configure_functions(&mut scalar_functions, config.options());
    }
    Ok(TaskContext::new(
        Some(format!(
            "{}/{}/{}/{}",
            task.job_id, task.stage_id, task.partition, task.attempt
        )),
        task.session_id.clone(),
        config,
        scalar_functions,
        functions.higher_order_functions().clone(),
        functions.aggregate_functions().clone(),
        functions.window_functions().clone(),
        env.object_stores
            .runtime_with(env.memory.runtime_for_task(), &task.object_stores)?,
    ))
}

/// Writes under this executor's work dir as `attempt`, reads files it holds itself from
/// disk, and fetches the others with grants for `job`.
fn localize(
    plan: Arc<dyn ExecutionPlan>,
    env: &TaskEnvironment,
    job: &JobId,
    attempt: u32,
) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some(writer) = plan.downcast_ref::<ShuffleWriterExec>() {
        let input = localize(Arc::clone(writer.input()), env, job, attempt)?;
        let output = ShuffleOutput {
            layout: env.layout.clone(),
            attempt,
            ..writer.output().clone()
        };
        return Ok(Arc::new(
            ShuffleWriterExec::try_new(input, writer.partitioning().cloned(), output)?
                .with_format(writer.format())
                .streaming_result(writer.streams_result()),
        ));
    }
    if let Some(reader) = plan.downcast_ref::<ShuffleReaderExec>()
        && let Some(locations) = reader.locations()
    {
        let mut locations = locations.to_vec();
        for location in locations.iter_mut().flatten() {
            if location
                .remote
                .as_ref()
                .is_some_and(|remote| remote.id == env.executor)
            {
                location.remote = None;
            }
        }
        let reader = reader
            .resolve(locations)?
            .with_fetch_grants(env.cluster_secret.clone(), job.clone());
        return Ok(Arc::new(reader));
    }
    let children = plan
        .children()
        .into_iter()
        .map(|child| localize(Arc::clone(child), env, job, attempt))
        .collect::<Result<Vec<_>>>()?;
    replace_children_if_necessary(plan, children)
}

/// A failed fetch (the peer is gone or restarting) is worth another attempt; a SQL error,
/// a bad plan or a full disk is not.
fn fetch_failed_from(err: &DataFusionError) -> Option<ExecutorId> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = current {
        if let Some(ShuffleError::FetchPartition { executor, .. }) =
            error.downcast_ref::<ShuffleError>()
        {
            return Some(executor.clone());
        }
        current = error.source();
    }
    None
}
