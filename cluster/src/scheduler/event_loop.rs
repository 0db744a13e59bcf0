//! The scheduler's event loop: the one task that owns [`SchedulerState`]. Everything else
//! (Flight SQL handlers submitting jobs, executors' RPCs, the clock) sends it a
//! [`Command`]; it applies the matching [`Event`] and carries out the [`Action`]s: task
//! definitions go to executors' mailboxes. After each command it publishes every job's
//! [`JobProgress`] to the readers of its result.

mod adaptive;
mod views;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use trebuchet_shuffle::ids::{ExecutorId, JobId, PartitionId, StageId};
use trebuchet_shuffle::{ClusterSecret, PartitionLocation, RemoteExecutor, ShuffleReaderExec};

use super::cluster_view::{ClusterView, ExecutorState, ExecutorView, JobView};
use super::event::{Action, Event, StageSpec, TaskOutcome};
use super::job_history::{DEFAULT_JOB_HISTORY, JobHistory, TaskMeasurement};
use super::job_label::JobLabel;
use super::job_progress::{FinalOutput, FinalTask, JobFailure, JobProgress};
use super::mailbox::Mailboxes;
use super::state::{JobStatus, Limits, SchedulerState, TaskProgress};
use crate::coalesce_partitions::{AdaptivePlanning, StageOutputs};
use crate::codec::encode_plan;
use crate::empty_stages::SkippedStage;
use crate::metrics::SchedulerMetrics;
use crate::protocol::{
    ExecutorMetadata, ShuffleFile, TaskDefinition, TaskOutcomeMessage, TaskStatus,
};
use crate::scheduler_policy::SchedulerPolicy;
use crate::stage_planner::{QueryStage, StagePlan};
use crate::task_failure::FailureKind;
use adaptive::{adaptive_changes, may_replan, unneeded_stages};
use views::outcome_for_views;

/// How the scheduler keeps time.
#[derive(Debug, Clone, Copy)]
pub struct SchedulerSettings {
    pub limits: Limits,
    /// How often deadlines are checked.
    pub tick: Duration,
    /// How tasks reach executors; executors must use the same.
    pub policy: SchedulerPolicy,
    /// Ended jobs whose record the operator's views keep (`--job-history`).
    pub job_history: usize,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            tick: Duration::from_millis(500),
            policy: SchedulerPolicy::default(),
            job_history: DEFAULT_JOB_HISTORY,
        }
    }
}

/// What a task may hold in memory on the executors that take tasks: what a plan sized
/// before it runs must fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskMemory {
    /// No executor takes tasks: the next one to register may have any pool.
    Unknown,
    /// No executor that takes tasks has a memory pool.
    Unbounded,
    /// The smallest share of a pool a task gets on them.
    AtMost(u64),
}

/// A job to run: its stages and the session settings every task runs with.
#[derive(Debug)]
pub struct JobSubmission {
    pub job: JobId,
    pub stages: StagePlan,
    pub session_id: String,
    pub session_config: HashMap<String, String>,
    /// The object stores its scans read, shipped with every task.
    pub object_stores: Vec<crate::ObjectStoreOptions>,
    /// The job is cancelled if it runs longer (the session's `ballista.job.timeout`).
    pub timeout: Option<Duration>,
    /// Who ran it and its SQL, for the operator's views.
    pub label: JobLabel,
    /// Set when its session turned the adaptive planner on.
    pub adaptive: Option<AdaptivePlanning>,
    /// What the planner chose for its final stage before it ran (a single-task query says
    /// so), for the operator's views.
    pub planned_as: Option<String>,
}

/// What the event loop is asked to do.
#[derive(Debug)]
enum Command {
    Submit(JobSubmission, watch::Sender<JobProgress>),
    /// Stops a job if it still runs, and releases its files.
    Cancel(JobId),
    /// Its result was read to the end: its files go once it has ended.
    ResultRead(JobId),
    /// Stops a job if it still runs; its reader learns it was cancelled.
    Stop(JobId, oneshot::Sender<StopOutcome>),
    /// Takes the operator's picture of the scheduler.
    View(oneshot::Sender<ClusterView>),
    /// The pictures of one session's jobs submitted since a time.
    SessionJobs(String, SystemTime, oneshot::Sender<Vec<JobView>>),
    Register(ExecutorMetadata),
    /// An executor showed it is alive; the reply says whether it is known.
    Alive(ExecutorId, oneshot::Sender<bool>),
    Report(ExecutorId, TaskStatus),
    /// A draining executor's heartbeat: it gets no new task from now on; the reply says
    /// whether anything of it is still needed.
    Drain(ExecutorId, oneshot::Sender<DrainProgress>),
    /// An executor leaves the cluster.
    Deregister(ExecutorId),
    Tick,
}

/// What asking to stop a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// It was running and is being cancelled.
    Cancelled,
    /// It had already ended.
    AlreadyEnded,
    /// No such job is known (or it ended so long ago that it was forgotten).
    Unknown,
}

/// Where a draining executor stands, as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DrainProgress {
    /// The scheduler does not know it (it restarted, or declared the executor lost).
    Unknown,
    /// A task of it runs, or a job that may read its output has not been released.
    Needed,
    /// Nothing of it is needed any more: it may deregister.
    Released,
}

/// The way into a running scheduler. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SchedulerHandle {
    commands: mpsc::UnboundedSender<Command>,
    mailboxes: Arc<Mailboxes>,
    policy: SchedulerPolicy,
    /// What executors present to join, and what grants to read their files are signed
    /// with.
    cluster_secret: ClusterSecret,
    /// Jobs whose results are still wanted (running, or ended and not yet released).
    job_count: watch::Receiver<usize>,
    /// What a task may hold in memory on the executors that take tasks.
    task_memory: watch::Receiver<TaskMemory>,
    /// What the scheduler counts, for `/api/metrics`.
    metrics: Arc<SchedulerMetrics>,
    /// The loop stops when the last handle is dropped (its inbox closes, or this aborts it).
    _event_loop: Arc<JoinSet<()>>,
}

impl SchedulerHandle {
    /// Starts the event loop on the current tokio runtime, for a cluster whose executors
    /// share `cluster_secret`. It stops when every handle is dropped.
    pub fn start(settings: SchedulerSettings, cluster_secret: ClusterSecret) -> Self {
        let (commands, inbox) = mpsc::unbounded_channel();
        let mailboxes = Arc::new(Mailboxes::default());
        let (job_count_sender, job_count) = watch::channel(0);
        let (task_memory_sender, task_memory) = watch::channel(TaskMemory::Unknown);
        let metrics = Arc::new(SchedulerMetrics::new());
        let event_loop = EventLoop {
            state: SchedulerState::new(settings.limits),
            jobs: HashMap::new(),
            history: JobHistory::new(settings.job_history),
            executors: HashMap::new(),
            departed: VecDeque::new(),
            started_at: SystemTime::now(),
            mailboxes: Arc::clone(&mailboxes),
            job_count: job_count_sender,
            task_memory: task_memory_sender,
            metrics: Arc::clone(&metrics),
        };
        let mut running = JoinSet::new();
        running.spawn(event_loop.run(inbox, settings.tick));
        Self {
            commands,
            mailboxes,
            policy: settings.policy,
            cluster_secret,
            job_count,
            task_memory,
            metrics,
            _event_loop: Arc::new(running),
        }
    }

    /// How this scheduler delivers tasks.
    pub fn policy(&self) -> SchedulerPolicy {
        self.policy
    }

    /// What this scheduler counts.
    pub fn metrics(&self) -> &Arc<SchedulerMetrics> {
        &self.metrics
    }

    /// What a task may hold in memory on the executors that take tasks now.
    pub fn task_memory(&self) -> TaskMemory {
        *self.task_memory.borrow()
    }

    /// The secret this scheduler's executors share.
    pub fn cluster_secret(&self) -> &ClusterSecret {
        &self.cluster_secret
    }

    /// Submits a job; the receiver follows its final stage until it ends. The channel
    /// closes once the job's files are released.
    pub fn submit(&self, submission: JobSubmission) -> watch::Receiver<JobProgress> {
        let tasks = submission.stages.final_stage().tasks();
        let (progress, receiver) = watch::channel(JobProgress::new(tasks));
        self.send(Command::Submit(submission, progress));
        receiver
    }

    /// Stops a job if it still runs, and releases its files: its result is not wanted,
    /// or has been read.
    pub fn release(&self, job: JobId) {
        self.send(Command::Cancel(job));
    }

    /// Its result was read to the end: its files are released once it has ended (now, if
    /// it has), and it ends as it would have.
    pub fn result_read(&self, job: JobId) {
        self.send(Command::ResultRead(job));
    }

    /// Cancels `job` if it still runs: its reader gets a cancellation error.
    pub async fn stop(&self, job: JobId) -> StopOutcome {
        let (reply, outcome) = oneshot::channel();
        self.send(Command::Stop(job, reply));
        outcome.await.unwrap_or(StopOutcome::Unknown)
    }

    /// The scheduler's jobs and executors as they stand now.
    pub async fn view(&self) -> Result<ClusterView> {
        let (reply, view) = oneshot::channel();
        self.send(Command::View(reply));
        view.await
            .map_err(|_| DataFusionError::Execution("the scheduler has stopped".to_string()))
    }

    /// The jobs `session_id` submitted at or after `since`, pictured as [`Self::view`]
    /// pictures them: a lighter call than the whole view, for a client polling its query.
    pub async fn session_jobs(
        &self,
        session_id: String,
        since: SystemTime,
    ) -> Result<Vec<JobView>> {
        let (reply, jobs) = oneshot::channel();
        self.send(Command::SessionJobs(session_id, since, reply));
        jobs.await
            .map_err(|_| DataFusionError::Execution("the scheduler has stopped".to_string()))
    }

    pub(crate) fn register(&self, executor: ExecutorMetadata) {
        self.send(Command::Register(executor));
    }

    /// Records that `executor` is alive; `false` when the scheduler does not know it.
    pub(crate) async fn alive(&self, executor: ExecutorId) -> bool {
        let (reply, known) = oneshot::channel();
        self.send(Command::Alive(executor, reply));
        known.await.unwrap_or(false)
    }

    pub(crate) fn report(&self, executor: ExecutorId, status: TaskStatus) {
        self.send(Command::Report(executor, status));
    }

    /// Marks `executor` as draining (again: each call is also a sign of life) and says
    /// whether anything of it is still needed.
    pub(crate) async fn drain(&self, executor: ExecutorId) -> DrainProgress {
        let (reply, progress) = oneshot::channel();
        self.send(Command::Drain(executor, reply));
        progress.await.unwrap_or(DrainProgress::Unknown)
    }

    pub(crate) fn deregister(&self, executor: ExecutorId) {
        self.send(Command::Deregister(executor));
    }

    /// Resolves once no job's results are wanted any more: every job ended and was
    /// released (read, cancelled or expired). What a shutting-down front door waits for.
    pub async fn wait_for_no_jobs(&self) {
        let mut job_count = self.job_count.clone();
        // An error means the loop is gone, and with it every job.
        let _ = job_count.wait_for(|count| *count == 0).await;
    }

    pub(crate) fn mailboxes(&self) -> &Mailboxes {
        &self.mailboxes
    }

    fn send(&self, command: Command) {
        // The loop only stops when every handle is gone, so this cannot fail while `self`
        // exists; if it ever did, the caller's reply channel closes and it sees an error.
        let _ = self.commands.send(command);
    }
}

struct EventLoop {
    state: SchedulerState,
    jobs: HashMap<JobId, RunningJob>,
    /// What the operator's views show of jobs, running and recent.
    history: JobHistory,
    executors: HashMap<ExecutorId, LiveExecutor>,
    /// Executors lost or gone, most recent last, for the operator's views.
    departed: VecDeque<ExecutorView>,
    started_at: SystemTime,
    mailboxes: Arc<Mailboxes>,
    job_count: watch::Sender<usize>,
    task_memory: watch::Sender<TaskMemory>,
    metrics: Arc<SchedulerMetrics>,
}

/// What the loop keeps of a live executor beside its standing in the state: how to reach
/// it and what it registered with.
struct LiveExecutor {
    flight_url: String,
    slots: usize,
    /// Memory pool bytes each of its tasks gets; 0 without a pool.
    task_memory_bytes: u64,
    registered_at: SystemTime,
}

/// What the loop keeps about a job beside its state: plans, settings, where output went.
struct RunningJob {
    stages: HashMap<StageId, QueryStage>,
    final_stage: StageId,
    session_id: String,
    session_config: HashMap<String, String>,
    object_stores: Vec<crate::ObjectStoreOptions>,
    /// Each stage's plan with its readers resolved, encoded once for all its tasks.
    encoded: HashMap<StageId, Bytes>,
    /// For each stage, the files each of its map tasks wrote and where.
    outputs: StageOutputs,
    progress: watch::Sender<JobProgress>,
    /// When it was submitted, for its duration.
    submitted: Instant,
    /// When each stage's current run launched its first task, for its duration.
    stage_launched: HashMap<StageId, Instant>,
    /// What the adaptive planner may change in its stages; `None` when it is off.
    adaptive: Option<AdaptivePlanning>,
    /// Its result was read to the end: its files go once it ends. A reader following the
    /// final files as they grow reaches their end before the executors' reports arrive,
    /// and a job still running then must end as what it is (succeeded), not cancelled.
    read: bool,
}

impl EventLoop {
    /// Handles commands and clock ticks until every handle is gone.
    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<Command>, tick: Duration) {
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let command = tokio::select! {
                command = inbox.recv() => match command {
                    Some(command) => command,
                    None => return,
                },
                _ = ticks.tick() => Command::Tick,
            };
            // A sign of life (every poll and heartbeat) or a look changes no job: nothing to
            // publish.
            let may_change_jobs = !matches!(
                command,
                Command::Alive(..) | Command::View(..) | Command::SessionJobs(..)
            );
            // A report can lose an executor too: the one a failed fetch read from.
            let may_change_executors = matches!(
                command,
                Command::Register(..)
                    | Command::Deregister(..)
                    | Command::Drain(..)
                    | Command::Report(..)
                    | Command::Tick
            );
            self.handle(command);
            if may_change_executors {
                let memory = self.task_memory();
                self.task_memory
                    .send_if_modified(|current| std::mem::replace(current, memory) != memory);
            }
            if may_change_jobs {
                self.publish_progress();
                let jobs = self.jobs.len();
                self.job_count
                    .send_if_modified(|count| std::mem::replace(count, jobs) != jobs);
            }
        }
    }

    fn handle(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Submit(submission, progress) => self.submit(submission, progress, now),
            Command::Cancel(job) if self.state.job_status(&job) == Some(&JobStatus::Running) => {
                self.apply(Event::CancelJob { job }, now);
            }
            // Cancelling a job that already ended only releases its files.
            Command::Cancel(job) => self.forget(&job),
            Command::ResultRead(job) => match self.jobs.get_mut(&job) {
                Some(running) if self.state.job_status(&job) == Some(&JobStatus::Running) => {
                    running.read = true;
                }
                _ => self.forget(&job),
            },
            Command::Stop(job, reply) => {
                let outcome = match self.state.job_status(&job) {
                    Some(JobStatus::Running) => {
                        tracing::info!(job = %job, "job cancelled by an operator");
                        self.apply(Event::CancelJob { job }, now);
                        StopOutcome::Cancelled
                    }
                    Some(_) => StopOutcome::AlreadyEnded,
                    None if self.history.knows(&job) => StopOutcome::AlreadyEnded,
                    None => StopOutcome::Unknown,
                };
                let _ = reply.send(outcome);
            }
            Command::View(reply) => {
                let _ = reply.send(self.view(now));
            }
            Command::SessionJobs(session_id, since, reply) => {
                let jobs =
                    self.history
                        .session_views(&self.state, SystemTime::now(), &session_id, since);
                let _ = reply.send(jobs);
            }
            Command::Register(metadata) => {
                let executor = ExecutorId::new(metadata.id.clone());
                // Ids are fresh per process: a known id registering again is the same live
                // process (a heartbeat raced its first registration), not a restart.
                if self.executors.contains_key(&executor) {
                    self.apply(Event::ExecutorSeen { executor }, now);
                    return;
                }
                tracing::info!(executor = %executor, url = metadata.flight_url, slots = metadata.task_slots, "executor registered");
                let slots = usize::try_from(metadata.task_slots.max(1)).unwrap_or(1);
                self.executors.insert(
                    executor.clone(),
                    LiveExecutor {
                        flight_url: metadata.flight_url,
                        slots,
                        task_memory_bytes: metadata.task_memory_bytes,
                        registered_at: SystemTime::now(),
                    },
                );
                self.apply(Event::ExecutorRegistered { executor, slots }, now);
            }
            Command::Alive(executor, reply) => {
                let known = self.executors.contains_key(&executor);
                if known {
                    self.apply(Event::ExecutorSeen { executor }, now);
                }
                let _ = reply.send(known);
            }
            Command::Report(executor, status) => self.report(executor, status, now),
            Command::Drain(executor, reply) => {
                let _ = reply.send(self.drain(executor, now));
            }
            Command::Deregister(executor) => self.deregister(executor, now),
            Command::Tick => self.apply(Event::Tick, now),
        }
    }

    fn submit(
        &mut self,
        submission: JobSubmission,
        progress: watch::Sender<JobProgress>,
        now: Instant,
    ) {
        let JobSubmission {
            job,
            stages,
            session_id,
            session_config,
            object_stores,
            timeout,
            label,
            adaptive,
            planned_as,
        } = submission;
        self.history
            .submitted(&job, &session_id, label, &stages, SystemTime::now());
        if let Some(note) = &planned_as {
            self.history
                .noted(&job, stages.final_stage().id, note.clone());
        }
        let specs = stages
            .stages()
            .iter()
            .map(|stage| StageSpec {
                id: stage.id,
                tasks: stage.tasks(),
                inputs: stage.inputs.clone(),
                // A query run as one task has nothing measured to re-plan it with.
                replan: planned_as.is_none()
                    && adaptive.is_some_and(|planning| may_replan(planning, stage, &stages)),
            })
            .collect();
        let final_stage = stages.final_stage().id;
        let running = RunningJob {
            stages: stages
                .stages()
                .iter()
                .map(|stage| (stage.id, stage.clone()))
                .collect(),
            final_stage,
            session_id,
            session_config,
            object_stores,
            encoded: HashMap::new(),
            outputs: HashMap::new(),
            progress,
            adaptive,
            read: false,
            submitted: now,
            stage_launched: HashMap::new(),
        };
        tracing::debug!(job = %job, stages = running.stages.len(), "job submitted");
        self.jobs.insert(job.clone(), running);
        self.apply(
            Event::JobSubmitted {
                job,
                stages: specs,
                timeout,
            },
            now,
        );
    }

    /// Tells every job's readers where its final stage stands.
    fn publish_progress(&self) {
        for (id, job) in &self.jobs {
            let Some(stage) = self.state.stage_progress(id, job.final_stage) else {
                continue;
            };
            let tasks: Vec<FinalTask> = stage
                .tasks
                .into_iter()
                .map(|task| self.final_task(task))
                .collect();
            job.progress.send_if_modified(|progress| {
                let changed =
                    progress.final_stage_ready != stage.ready || progress.final_tasks != tasks;
                progress.final_stage_ready = stage.ready;
                progress.final_tasks.clone_from(&tasks);
                changed
            });
        }
    }

    fn final_task(&self, task: TaskProgress) -> FinalTask {
        let output = |executor: ExecutorId, attempt| {
            let live = self.executors.get(&executor)?;
            Some(FinalOutput {
                executor: RemoteExecutor {
                    id: executor,
                    url: live.flight_url.clone(),
                },
                attempt,
            })
        };
        match task {
            TaskProgress::Waiting => FinalTask::Waiting,
            // A running task's executor is live: the state requeues the tasks of a lost one.
            TaskProgress::Running { executor, attempt } => {
                output(executor, attempt).map_or(FinalTask::Waiting, FinalTask::Writing)
            }
            TaskProgress::Succeeded { executor, attempt } => {
                output(executor, attempt).map_or(FinalTask::Lost, FinalTask::Written)
            }
            // Never: the final stage always runs (`empty_stages.rs`).
            TaskProgress::Skipped => FinalTask::Lost,
        }
    }

    fn drain(&mut self, executor: ExecutorId, now: Instant) -> DrainProgress {
        let Some(standing) = self.state.executor(&executor) else {
            return DrainProgress::Unknown;
        };
        self.apply(
            Event::ExecutorSeen {
                executor: executor.clone(),
            },
            now,
        );
        if !standing.draining {
            tracing::info!(executor = %executor, "executor draining: it finishes its tasks and serves its output, and gets no new task");
            self.apply(
                Event::ExecutorDraining {
                    executor: executor.clone(),
                },
                now,
            );
        }
        if self.is_still_needed(&executor) {
            DrainProgress::Needed
        } else {
            DrainProgress::Released
        }
    }

    /// Whether a task runs on `executor`, or a job not yet released holds output there.
    fn is_still_needed(&self, executor: &ExecutorId) -> bool {
        self.state.has_running_tasks_on(executor)
            || self.jobs.values().any(|job| {
                job.outputs
                    .values()
                    .flat_map(BTreeMap::values)
                    .any(|(on, _)| on == executor)
            })
    }

    /// Forgets an executor that said it is leaving. Drained, it is no loss; otherwise what
    /// of it is still needed is redone elsewhere, as for a lost one.
    fn deregister(&mut self, executor: ExecutorId, now: Instant) {
        let Some(standing) = self.state.executor(&executor) else {
            return;
        };
        if standing.draining && !self.is_still_needed(&executor) {
            tracing::info!(executor = %executor, "executor left after draining");
        } else {
            tracing::warn!(executor = %executor, "executor left before it was drained: what of it is still needed runs again elsewhere");
        }
        self.depart(&executor, ExecutorState::Left, standing.last_seen, now);
        self.apply(Event::ExecutorLeft { executor }, now);
    }

    /// Forgets `executor`: its tasks and the output they wrote are to be redone elsewhere.
    fn lose_executor(&mut self, executor: ExecutorId, now: Instant) {
        let last_seen = self
            .state
            .executor(&executor)
            .map_or(now, |standing| standing.last_seen);
        self.record_loss(&executor, last_seen, now);
        self.apply(Event::ExecutorLost { executor }, now);
    }

    /// Counts `executor`'s loss and keeps its last picture for the operator's views.
    fn record_loss(&mut self, executor: &ExecutorId, last_seen: Instant, now: Instant) {
        if self.executors.contains_key(executor) {
            self.metrics.executor_lost();
        }
        self.depart(executor, ExecutorState::Lost, last_seen, now);
    }

    fn report(&mut self, executor: ExecutorId, status: TaskStatus, now: Instant) {
        if !self.executors.contains_key(&executor) {
            // A report from an executor already declared lost: its output is not trusted.
            return;
        }
        let job = JobId::new(status.job_id);
        let stage = StageId(status.stage_id);
        let partition = PartitionId(status.partition);
        // Only the attempt the state waits for may record output; a late report of an
        // older attempt must not replace the files of the current one.
        let current =
            self.state.running_attempt(&job, stage, partition) == Some((&executor, status.attempt));
        let mut completes_stage = false;
        let outcome = match status.outcome {
            Some(TaskOutcomeMessage::Succeeded(succeeded)) => {
                if current {
                    let measured = TaskMeasurement {
                        rows: succeeded.files.iter().map(|file| file.num_rows).sum(),
                        bytes: succeeded.files.iter().map(|file| file.num_bytes).sum(),
                        spilled_bytes: succeeded.spilled_bytes,
                        elapsed: Duration::from_millis(succeeded.elapsed_ms),
                    };
                    self.metrics
                        .task_succeeded(measured.bytes, measured.spilled_bytes);
                    completes_stage = self.observe_stage_if_complete(&job, stage, partition, now);
                    self.history.succeeded(
                        &job,
                        stage,
                        partition,
                        measured,
                        succeeded.operators.clone(),
                        SystemTime::now(),
                    );
                }
                if let Some(running) = self.jobs.get_mut(&job).filter(|_| current) {
                    running
                        .outputs
                        .entry(stage)
                        .or_default()
                        .insert(status.partition, (executor, succeeded.files));
                    // Stages reading this one must be resolved again with the new files.
                    let readers: Vec<StageId> = running
                        .stages
                        .values()
                        .filter(|candidate| candidate.inputs.contains(&stage))
                        .map(|candidate| candidate.id)
                        .collect();
                    for reader in readers {
                        running.encoded.remove(&reader);
                    }
                }
                TaskOutcome::Succeeded
            }
            Some(TaskOutcomeMessage::Failed(failed)) => {
                let unreachable = ExecutorId::new(failed.unreachable_executor);
                // Only the attempt the state waits for counts: a task of a job that already
                // ended may fail to read files their holder rightly deleted.
                // Nor does a task of a skipped stage: nothing waits for what it reads.
                let skipped = self
                    .state
                    .stage_progress(&job, stage)
                    .is_some_and(|progress| progress.skipped);
                if current
                    && !skipped
                    && unreachable != executor
                    && self.executors.contains_key(&unreachable)
                {
                    // Its shuffle output cannot be read: waiting for its heartbeat deadline
                    // would only burn this task's attempts. Lost now, its output is redone.
                    tracing::warn!(executor = %unreachable, reporter = %executor, "executor lost: a shuffle fetch from it failed");
                    self.lose_executor(unreachable, now);
                }
                TaskOutcome::Failed {
                    kind: FailureKind::from_wire(failed.kind),
                    message: failed.message,
                    retryable: failed.retryable,
                }
            }
            None => TaskOutcome::Failed {
                kind: FailureKind::Internal,
                message: "the executor reported a task without an outcome".into(),
                retryable: true,
            },
        };
        if current && matches!(outcome, TaskOutcome::Failed { .. }) {
            self.metrics.task_failed();
        }
        if completes_stage {
            // Before the stages reading it become ready: one that would produce no rows
            // must not start.
            self.skip_unneeded_stages(&job, stage, now);
        }
        self.apply(
            Event::TaskFinished {
                job,
                stage,
                partition,
                attempt: status.attempt,
                outcome,
            },
            now,
        );
    }

    /// Observes a stage's duration when the success of `partition`, about to be applied,
    /// is the last one the stage waits for; says whether it is.
    fn observe_stage_if_complete(
        &mut self,
        job: &JobId,
        stage: StageId,
        partition: PartitionId,
        now: Instant,
    ) -> bool {
        let completes = self.state.job_status(job) == Some(&JobStatus::Running)
            && self
                .state
                .stage_progress(job, stage)
                .is_some_and(|progress| {
                    progress.tasks.iter().enumerate().all(|(index, task)| {
                        index == partition.0 as usize
                            || matches!(
                                task,
                                TaskProgress::Succeeded { .. } | TaskProgress::Skipped
                            )
                    })
                });
        let started = self
            .jobs
            .get_mut(job)
            .filter(|_| completes)
            .and_then(|running| running.stage_launched.remove(&stage));
        if let Some(started) = started {
            self.metrics
                .stage_succeeded(now.saturating_duration_since(started));
        }
        completes
    }

    /// Empty stage elimination: when `finished`, whose last task is being reported, wrote
    /// no rows, skips the stages that makes pointless (`empty_stages.rs`).
    fn skip_unneeded_stages(&mut self, job_id: &JobId, finished: StageId, now: Instant) {
        let Some(job) = self.jobs.get(job_id) else {
            return;
        };
        let skipped = unneeded_stages(job_id, job, &self.state, finished);
        if skipped.is_empty() {
            return;
        }
        let mut stages = Vec::with_capacity(skipped.len());
        for SkippedStage { stage, reason } in skipped {
            tracing::info!(job = %job_id, stage = %stage, "adaptive: skipped, {reason}");
            self.history.skipped(job_id, stage, reason);
            stages.push(stage);
        }
        self.apply(
            Event::StagesSkipped {
                job: job_id.clone(),
                stages,
            },
            now,
        );
    }

    /// Applies `event` and every event its actions lead to.
    fn apply(&mut self, event: Event, now: Instant) {
        let mut pending = vec![event];
        while let Some(event) = pending.pop() {
            for action in self.state.apply(event, now) {
                if let Some(follow_up) = self.perform(action) {
                    pending.push(follow_up);
                }
            }
        }
    }

    /// Carries out one action; a launch that cannot even be encoded comes back as the
    /// task's failure.
    fn perform(&mut self, action: Action) -> Option<Event> {
        match action {
            Action::LaunchTask {
                job,
                stage,
                partition,
                attempt,
                executor,
            } => match self.task_definition(&job, stage, partition, attempt) {
                Ok(task) => {
                    self.history.launched(&job, stage, SystemTime::now());
                    if let Some(running) = self.jobs.get_mut(&job) {
                        running
                            .stage_launched
                            .entry(stage)
                            .or_insert_with(Instant::now);
                    }
                    self.mailboxes.send_task(&executor, task);
                    None
                }
                Err(err) => Some(Event::TaskFinished {
                    job,
                    stage,
                    partition,
                    attempt,
                    outcome: TaskOutcome::Failed {
                        kind: FailureKind::Internal,
                        message: format!("the stage could not be prepared: {err}"),
                        retryable: false,
                    },
                }),
            },
            Action::CancelTasks { job, executor } => {
                self.mailboxes.send_cancel(&executor, job.as_str());
                None
            }
            Action::FinishJob { job, outcome: end } => {
                let timed_out = matches!(end, Err(JobFailure::TimedOut(_)));
                if let Err(JobFailure::TimedOut(limit)) = &end {
                    tracing::info!(job = %job, ?limit, "job cancelled: it ran past its timeout");
                }
                let (state, error) = outcome_for_views(&end);
                if let Some(running) = self.jobs.get(&job) {
                    self.metrics
                        .job_ended(state, timed_out, running.submitted.elapsed());
                }
                self.history
                    .ended(&job, (state, error), &self.state, SystemTime::now());
                let running = self.jobs.get(&job)?;
                tracing::debug!(job = %job, ok = end.is_ok(), "job finished");
                // Sent now: a failed job is forgotten (and its channel closed) right after.
                running
                    .progress
                    .send_modify(|progress| progress.end = Some(end));
                if running.read || running.progress.receiver_count() == 0 {
                    // Read already, or nobody waits any more: the files are not needed.
                    tracing::debug!(job = %job, read = running.read, "result no longer needed");
                    self.forget(&job);
                }
                None
            }
            Action::ForgetShuffle { job } => {
                self.forget(&job);
                None
            }
            Action::PlanStage { job, stage } => Some(self.plan_stage(job, stage)),
            Action::ExecutorTimedOut {
                executor,
                last_seen,
            } => {
                // The state has already lost it; what of it was needed is queued again.
                tracing::warn!(executor = %executor, "executor lost: no heartbeat within {:?}", self.state.limits().executor_timeout);
                self.record_loss(&executor, last_seen, Instant::now());
                None
            }
        }
    }

    /// What a task may hold in memory on the live executors that take tasks.
    fn task_memory(&self) -> TaskMemory {
        let takes_tasks = self
            .state
            .executors()
            .any(|(_, standing)| !standing.draining);
        match self.smallest_task_memory() {
            Some(share) => TaskMemory::AtMost(share),
            None if takes_tasks => TaskMemory::Unbounded,
            None => TaskMemory::Unknown,
        }
    }

    /// The smallest memory share a task gets on a live executor that takes tasks, among
    /// those with a memory pool.
    fn smallest_task_memory(&self) -> Option<u64> {
        self.executors
            .iter()
            .filter(|(id, live)| {
                live.task_memory_bytes > 0
                    && self
                        .state
                        .executor(id)
                        .is_some_and(|standing| !standing.draining)
            })
            .map(|(_, live)| live.task_memory_bytes)
            .min()
    }

    /// Re-plans `stage` from what its inputs wrote. Always answers, keeping the stage as it
    /// was when it cannot be re-planned: a stage left waiting for its plan would hang its
    /// job.
    fn plan_stage(&mut self, job_id: JobId, stage: StageId) -> Event {
        let slots = self
            .state
            .executors()
            .filter(|(_, standing)| !standing.draining)
            .map(|(_, standing)| standing.slots)
            .sum::<usize>()
            .max(1);
        let smallest_task_memory = self.smallest_task_memory();
        let mut tasks = None;
        if let Some(job) = self.jobs.get_mut(&job_id)
            && let Some(planning) = job.adaptive
        {
            match adaptive_changes(job, stage, planning, slots, smallest_task_memory) {
                Ok(changes) => {
                    for (changed, note) in changes {
                        if changed.id == stage {
                            tasks = Some(changed.tasks());
                        }
                        tracing::info!(job = %job_id, stage = %changed.id, "adaptive: {note}");
                        self.history.replanned(&job_id, &changed, note);
                        job.encoded.remove(&changed.id);
                        job.stages.insert(changed.id, changed);
                    }
                }
                Err(err) => {
                    tracing::warn!(job = %job_id, stage = %stage, error = %err, "adaptive: the stage keeps its plan");
                }
            }
        }
        Event::StagePlanned {
            job: job_id,
            stage,
            tasks,
        }
    }

    /// Deletes an ended job's files on every executor and forgets it (its record stays
    /// in the history).
    fn forget(&mut self, job: &JobId) {
        self.mailboxes.broadcast_forget(job.as_str());
        self.jobs.remove(job);
        self.state.forget_job(job);
    }

    fn task_definition(
        &mut self,
        job_id: &JobId,
        stage: StageId,
        partition: PartitionId,
        attempt: u32,
    ) -> Result<TaskDefinition> {
        let executors = &self.executors;
        let state = &self.state;
        let job = self
            .jobs
            .get_mut(job_id)
            .ok_or_else(|| DataFusionError::Internal(format!("unknown job {job_id}")))?;
        // A skipped stage is read only where the plan produces no rows: its readers read
        // nothing, whatever its finished tasks wrote and wherever they ran (an executor
        // lost since does not matter).
        let skipped = |stage| {
            state
                .stage_progress(job_id, stage)
                .is_some_and(|progress| progress.skipped)
        };
        let plan = match job.encoded.get(&stage) {
            Some(plan) => plan.clone(),
            None => {
                let query_stage = job.stages.get(&stage).ok_or_else(|| {
                    DataFusionError::Internal(format!("job {job_id} has no stage {stage}"))
                })?;
                let writer = Arc::clone(&query_stage.plan) as Arc<dyn ExecutionPlan>;
                let resolved = resolve_readers(writer, &|input| {
                    let written = job.outputs.get(&input).filter(|_| !skipped(input));
                    locations(&job.stages, written, executors, input)
                })?;
                let plan = encode_plan(resolved)?;
                job.encoded.insert(stage, plan.clone());
                plan
            }
        };
        Ok(TaskDefinition {
            job_id: job_id.to_string(),
            stage_id: stage.0,
            partition: partition.0,
            attempt,
            plan,
            session_config: job.session_config.clone(),
            session_id: job.session_id.clone(),
            object_stores: job.object_stores.clone(),
        })
    }
}

/// The files `written` by the tasks of `stage`, by output partition, every one addressed
/// by its executor (an executor reads its own files from disk: see the task runner).
fn locations(
    stages: &HashMap<StageId, QueryStage>,
    written: Option<&BTreeMap<u32, (ExecutorId, Vec<ShuffleFile>)>>,
    executors: &HashMap<ExecutorId, LiveExecutor>,
    stage: StageId,
) -> Result<Vec<Vec<PartitionLocation>>> {
    let writer = &stages
        .get(&stage)
        .ok_or_else(|| DataFusionError::Internal(format!("no stage {stage}")))?
        .plan;
    let mut partitions = vec![Vec::new(); writer.output_partition_count()];
    for (&map_task, (executor, files)) in written.into_iter().flatten() {
        let url = executors
            .get(executor)
            .map(|live| live.flight_url.clone())
            .ok_or_else(|| {
                DataFusionError::Execution(format!(
                    "the output of stage {stage} is on executor {executor}, which was lost"
                ))
            })?;
        for file in files {
            let slot = partitions
                .get_mut(file.output_partition as usize)
                .ok_or_else(|| {
                    DataFusionError::Internal(format!(
                        "stage {stage} reported output partition {} of {}",
                        file.output_partition,
                        writer.output_partition_count()
                    ))
                })?;
            slot.push(PartitionLocation {
                path: file.path.clone().into(),
                num_rows: file.num_rows,
                num_bytes: file.num_bytes,
                index_entry: file.index_entry,
                map_task,
                remote: Some(RemoteExecutor {
                    id: executor.clone(),
                    url: url.clone(),
                }),
            });
        }
    }
    Ok(partitions)
}

/// Replaces every unresolved shuffle reader in `plan` with one reading `locations(stage)`.
pub(crate) fn resolve_readers(
    plan: Arc<dyn ExecutionPlan>,
    locations: &dyn Fn(StageId) -> Result<Vec<Vec<PartitionLocation>>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some(reader) = plan.downcast_ref::<ShuffleReaderExec>() {
        return Ok(Arc::new(reader.resolve(locations(reader.stage())?)?));
    }
    let children = plan
        .children()
        .into_iter()
        .map(|child| resolve_readers(Arc::clone(child), locations))
        .collect::<Result<Vec<_>>>()?;
    replace_children_if_necessary(plan, children)
}
