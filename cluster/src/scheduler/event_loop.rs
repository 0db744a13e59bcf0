//! The scheduler's event loop: the one task that owns [`SchedulerState`]. Everything else
//! (Flight SQL handlers submitting jobs, executors' RPCs, the clock) sends it a
//! [`Command`]; it applies the matching [`Event`] and carries out the [`Action`]s: task
//! definitions go to executors' mailboxes, outcomes to the job's waiter.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use trebuchet_shuffle::ids::{ExecutorId, JobId, PartitionId, StageId};
use trebuchet_shuffle::{PartitionLocation, RemoteExecutor, ShuffleReaderExec};

use super::event::{Action, Event, JobOutcome, StageSpec, TaskOutcome};
use super::mailbox::Mailboxes;
use super::state::{JobStatus, Limits, SchedulerState};
use crate::codec::encode_plan;
use crate::protocol::{
    ExecutorMetadata, ShuffleFile, TaskDefinition, TaskOutcomeMessage, TaskStatus,
};
use crate::scheduler_policy::SchedulerPolicy;
use crate::stage_planner::{QueryStage, StagePlan};

/// How the scheduler keeps time.
#[derive(Debug, Clone, Copy)]
pub struct SchedulerSettings {
    pub limits: Limits,
    /// An executor silent for this long (no heartbeat, no poll) is lost.
    pub executor_timeout: Duration,
    /// How often deadlines are checked.
    pub tick: Duration,
    /// How tasks reach executors; executors must use the same.
    pub policy: SchedulerPolicy,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            executor_timeout: Duration::from_secs(30),
            tick: Duration::from_millis(500),
            policy: SchedulerPolicy::default(),
        }
    }
}

/// A job to run: its stages and the session settings every task runs with.
#[derive(Debug)]
pub struct JobSubmission {
    pub job: JobId,
    pub stages: StagePlan,
    pub session_id: String,
    pub session_config: HashMap<String, String>,
}

/// Where a succeeded job's result is: for each final partition, its files.
#[derive(Debug, Clone)]
pub struct JobResult {
    pub partitions: Vec<Vec<PartitionLocation>>,
}

/// Why a job produced no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFailure {
    Failed(String),
    /// No executor came within the deadline.
    NoExecutors(String),
    Cancelled,
}

impl std::fmt::Display for JobFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failed(message) | Self::NoExecutors(message) => write!(f, "{message}"),
            Self::Cancelled => write!(f, "the query was cancelled"),
        }
    }
}

type JobReply = oneshot::Sender<Result<JobResult, JobFailure>>;

/// What the event loop is asked to do.
#[derive(Debug)]
enum Command {
    Submit(JobSubmission, JobReply),
    Cancel(JobId),
    /// A succeeded job's result was read: its files can go.
    Forget(JobId),
    Register(ExecutorMetadata),
    /// An executor showed it is alive; the reply says whether it is known.
    Alive(ExecutorId, oneshot::Sender<bool>),
    Report(ExecutorId, TaskStatus),
    Tick,
}

/// The way into a running scheduler. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SchedulerHandle {
    commands: mpsc::UnboundedSender<Command>,
    mailboxes: Arc<Mailboxes>,
    policy: SchedulerPolicy,
    /// The loop stops when the last handle is dropped (its inbox closes, or this aborts it).
    _event_loop: Arc<JoinSet<()>>,
}

impl SchedulerHandle {
    /// Starts the event loop on the current tokio runtime. It stops when every handle is
    /// dropped.
    pub fn start(settings: SchedulerSettings) -> Self {
        let (commands, inbox) = mpsc::unbounded_channel();
        let mailboxes = Arc::new(Mailboxes::default());
        let event_loop = EventLoop {
            state: SchedulerState::new(settings.limits),
            jobs: HashMap::new(),
            executors: HashMap::new(),
            mailboxes: Arc::clone(&mailboxes),
            executor_timeout: settings.executor_timeout,
        };
        let mut running = JoinSet::new();
        running.spawn(event_loop.run(inbox, settings.tick));
        Self {
            commands,
            mailboxes,
            policy: settings.policy,
            _event_loop: Arc::new(running),
        }
    }

    /// How this scheduler delivers tasks.
    pub fn policy(&self) -> SchedulerPolicy {
        self.policy
    }

    /// Submits a job; the receiver resolves when it ends.
    pub fn submit(
        &self,
        submission: JobSubmission,
    ) -> oneshot::Receiver<Result<JobResult, JobFailure>> {
        let (reply, outcome) = oneshot::channel();
        self.send(Command::Submit(submission, reply));
        outcome
    }

    /// Cancels a job if it still runs.
    pub fn cancel(&self, job: JobId) {
        self.send(Command::Cancel(job));
    }

    /// Releases a finished job's result files.
    pub fn forget(&self, job: JobId) {
        self.send(Command::Forget(job));
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
    executors: HashMap<ExecutorId, LiveExecutor>,
    mailboxes: Arc<Mailboxes>,
    executor_timeout: Duration,
}

struct LiveExecutor {
    flight_url: String,
    last_seen: Instant,
}

/// What the loop keeps about a job beside its state: plans, settings, where output went.
struct RunningJob {
    stages: HashMap<StageId, QueryStage>,
    final_stage: StageId,
    session_id: String,
    session_config: HashMap<String, String>,
    /// Each stage's plan with its readers resolved, encoded once for all its tasks.
    encoded: HashMap<StageId, Bytes>,
    /// For each stage, the files each of its map tasks wrote and where.
    outputs: HashMap<StageId, BTreeMap<u32, (ExecutorId, Vec<ShuffleFile>)>>,
    reply: Option<JobReply>,
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
            self.handle(command);
        }
    }

    fn handle(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Submit(submission, reply) => self.submit(submission, reply, now),
            Command::Cancel(job) if self.state.job_status(&job) == Some(&JobStatus::Running) => {
                self.apply(Event::CancelJob { job }, now);
            }
            // Cancelling a job that already ended only releases its files.
            Command::Cancel(job) | Command::Forget(job) => {
                self.mailboxes.broadcast_forget(job.as_str());
                self.jobs.remove(&job);
                self.state.forget_job(&job);
            }
            Command::Register(metadata) => {
                let executor = ExecutorId::new(metadata.id.clone());
                // Ids are fresh per process: a known id registering again is the same live
                // process (a heartbeat raced its first registration), not a restart.
                if let Some(live) = self.executors.get_mut(&executor) {
                    live.last_seen = now;
                    return;
                }
                tracing::info!(executor = %executor, url = metadata.flight_url, slots = metadata.task_slots, "executor registered");
                self.executors.insert(
                    executor.clone(),
                    LiveExecutor {
                        flight_url: metadata.flight_url,
                        last_seen: now,
                    },
                );
                let slots = usize::try_from(metadata.task_slots.max(1)).unwrap_or(1);
                self.apply(Event::ExecutorRegistered { executor, slots }, now);
            }
            Command::Alive(executor, reply) => {
                let known = match self.executors.get_mut(&executor) {
                    Some(live) => {
                        live.last_seen = now;
                        true
                    }
                    None => false,
                };
                let _ = reply.send(known);
            }
            Command::Report(executor, status) => self.report(executor, status, now),
            Command::Tick => {
                let silent: Vec<ExecutorId> = self
                    .executors
                    .iter()
                    .filter(|(_, live)| now.duration_since(live.last_seen) > self.executor_timeout)
                    .map(|(id, _)| id.clone())
                    .collect();
                for executor in silent {
                    tracing::warn!(executor = %executor, "executor lost: no heartbeat within {:?}", self.executor_timeout);
                    self.lose_executor(executor, now);
                }
                self.apply(Event::Tick, now);
            }
        }
    }

    fn submit(&mut self, submission: JobSubmission, reply: JobReply, now: Instant) {
        let JobSubmission {
            job,
            stages,
            session_id,
            session_config,
        } = submission;
        let specs = stages
            .stages()
            .iter()
            .map(|stage| StageSpec {
                id: stage.id,
                tasks: stage
                    .plan
                    .input()
                    .properties()
                    .partitioning
                    .partition_count(),
                inputs: stage.inputs.clone(),
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
            encoded: HashMap::new(),
            outputs: HashMap::new(),
            reply: Some(reply),
        };
        tracing::debug!(job = %job, stages = running.stages.len(), "job submitted");
        self.jobs.insert(job.clone(), running);
        self.apply(Event::JobSubmitted { job, stages: specs }, now);
    }

    /// Forgets `executor`: its tasks and the output they wrote are to be redone elsewhere.
    fn lose_executor(&mut self, executor: ExecutorId, now: Instant) {
        self.executors.remove(&executor);
        self.mailboxes.remove(&executor);
        self.apply(Event::ExecutorLost { executor }, now);
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
        let outcome = match status.outcome {
            Some(TaskOutcomeMessage::Succeeded(succeeded)) => {
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
                if current && unreachable != executor && self.executors.contains_key(&unreachable) {
                    // Its shuffle output cannot be read: waiting for its heartbeat deadline
                    // would only burn this task's attempts. Lost now, its output is redone.
                    tracing::warn!(executor = %unreachable, reporter = %executor, "executor lost: a shuffle fetch from it failed");
                    self.lose_executor(unreachable, now);
                }
                TaskOutcome::Failed {
                    message: failed.message,
                    retryable: failed.retryable,
                }
            }
            None => TaskOutcome::Failed {
                message: "the executor reported a task without an outcome".into(),
                retryable: true,
            },
        };
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
                    self.mailboxes.send_task(&executor, task);
                    None
                }
                Err(err) => Some(Event::TaskFinished {
                    job,
                    stage,
                    partition,
                    attempt,
                    outcome: TaskOutcome::Failed {
                        message: format!("the stage could not be prepared: {err}"),
                        retryable: false,
                    },
                }),
            },
            Action::CancelTasks { job, executor } => {
                self.mailboxes.send_cancel(&executor, job.as_str());
                None
            }
            Action::FinishJob { job, outcome } => {
                let result = match outcome {
                    JobOutcome::Succeeded => self.final_result(&job),
                    JobOutcome::Failed { message } => Err(JobFailure::Failed(message)),
                    JobOutcome::NoExecutors { message } => Err(JobFailure::NoExecutors(message)),
                    JobOutcome::Cancelled => Err(JobFailure::Cancelled),
                };
                tracing::debug!(job = %job, ok = result.is_ok(), "job finished");
                if let Some(reply) = self.jobs.get_mut(&job).and_then(|job| job.reply.take())
                    && let Err(Ok(result)) = reply.send(result)
                {
                    // Nobody waits any more: the result files are not needed.
                    tracing::debug!(job = %job, files = result.partitions.len(), "result unclaimed");
                    self.mailboxes.broadcast_forget(job.as_str());
                }
                None
            }
            Action::ForgetShuffle { job } => {
                self.mailboxes.broadcast_forget(job.as_str());
                self.jobs.remove(&job);
                self.state.forget_job(&job);
                None
            }
        }
    }

    fn task_definition(
        &mut self,
        job_id: &JobId,
        stage: StageId,
        partition: PartitionId,
        attempt: u32,
    ) -> Result<TaskDefinition> {
        let executors = &self.executors;
        let job = self
            .jobs
            .get_mut(job_id)
            .ok_or_else(|| DataFusionError::Internal(format!("unknown job {job_id}")))?;
        let plan = match job.encoded.get(&stage) {
            Some(plan) => plan.clone(),
            None => {
                let query_stage = job.stages.get(&stage).ok_or_else(|| {
                    DataFusionError::Internal(format!("job {job_id} has no stage {stage}"))
                })?;
                let writer = Arc::clone(&query_stage.plan) as Arc<dyn ExecutionPlan>;
                let resolved = resolve_readers(writer, &|stage| {
                    locations(&job.stages, &job.outputs, executors, stage)
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
        })
    }

    fn final_result(&self, job_id: &JobId) -> Result<JobResult, JobFailure> {
        let job = self
            .jobs
            .get(job_id)
            .ok_or_else(|| JobFailure::Failed(format!("job {job_id} is unknown")))?;
        let partitions = locations(&job.stages, &job.outputs, &self.executors, job.final_stage)
            .map_err(|err| JobFailure::Failed(err.to_string()))?;
        Ok(JobResult { partitions })
    }
}

/// The files of each output partition of `stage`, every one addressed by its executor
/// (an executor reads its own files from disk: see the task runner).
fn locations(
    stages: &HashMap<StageId, QueryStage>,
    outputs: &HashMap<StageId, BTreeMap<u32, (ExecutorId, Vec<ShuffleFile>)>>,
    executors: &HashMap<ExecutorId, LiveExecutor>,
    stage: StageId,
) -> Result<Vec<Vec<PartitionLocation>>> {
    let writer = &stages
        .get(&stage)
        .ok_or_else(|| DataFusionError::Internal(format!("no stage {stage}")))?
        .plan;
    let mut partitions = vec![Vec::new(); writer.output_partition_count()];
    for (executor, files) in outputs.get(&stage).into_iter().flat_map(BTreeMap::values) {
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
