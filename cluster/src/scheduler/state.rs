//! Job → stage → task lifecycle. The only code that changes a status.
//!
//! ```text
//!  Job:   Running ─▶ Succeeded | Failed | Cancelled
//!  Stage: waits until every input stage's tasks have succeeded (and, for an adaptive job,
//!         until it is re-planned: PlanStage ─▶ StagePlanned), then its tasks run
//!  Task:  Queued ─▶ Running{executor, attempt} ─▶ Succeeded{executor}
//!           ▲              │ retryable failure, executor lost (attempts left)
//!           └──────────────┘ ... and Succeeded ─▶ Queued when its executor (and with it the
//!                                task's shuffle output) is lost before the job finished
//!           Queued ─▶ Skipped when the adaptive planner skips its stage; a running task
//!                      of it is not awaited (it is stopped when the job succeeds), and
//!                      nothing of a skipped stage runs again
//!  Executor: Registered ─▶ Draining (keeps its tasks and output, gets no new task)
//!                 └────────────┴──▶ Left | Lost (what of it is still needed is redone),
//!                                   silent for `executor_timeout` counting as lost
//! ```
//! [`SchedulerState::apply`] is pure: no I/O, no clock reads; `now` is passed in. Every
//! deadline (an executor's heartbeat, a job's timeout, a job's wait for an executor) is
//! decided here, on [`Event::Tick`], so the property test reaches them all.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use trebuchet_shuffle::ids::{ExecutorId, JobId, PartitionId, StageId};

use super::event::{Action, Event, StageSpec, TaskOutcome};
use super::job_progress::{JobEnd, JobFailure};
use super::placement::take_slot;
use crate::task_failure::{FailureKind, TaskFailure};

/// Bounds that keep every job finite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Launches allowed per task before its job fails.
    pub task_attempts: u32,
    /// Times a stage may run in all: its first run, plus reruns after an executor holding
    /// its finished output was lost.
    pub stage_attempts: u32,
    /// How long a job waits for an executor to exist before it fails.
    pub no_executor_timeout: Duration,
    /// How long an executor may show no sign of life before it is lost.
    pub executor_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            task_attempts: 4,
            stage_attempts: 4,
            no_executor_timeout: Duration::from_secs(30),
            executor_timeout: Duration::from_secs(30),
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    /// How it ended: what its readers are told.
    Ended(JobEnd),
}

/// Where one task stands, as seen from outside the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskProgress {
    Waiting,
    Running {
        executor: ExecutorId,
        attempt: u32,
    },
    Succeeded {
        executor: ExecutorId,
        attempt: u32,
    },
    /// Its stage was skipped before it ran: it has no output.
    Skipped,
}

/// Where one stage stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageProgress {
    /// Every input stage has succeeded: the stage's tasks run, or wait for a slot.
    pub ready: bool,
    /// The adaptive planner skipped it: no task of it is awaited.
    pub skipped: bool,
    pub tasks: Vec<TaskProgress>,
}

impl StageProgress {
    /// Nothing more is awaited of the stage: every task succeeded, or it was skipped.
    pub fn is_done(&self) -> bool {
        self.skipped
            || self
                .tasks
                .iter()
                .all(|task| matches!(task, TaskProgress::Succeeded { .. }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Task {
    /// Waiting to run; `attempts` launches so far.
    Queued {
        attempts: u32,
    },
    Running {
        executor: ExecutorId,
        attempt: u32,
    },
    Succeeded {
        executor: ExecutorId,
        attempts: u32,
    },
    /// Its stage was skipped: the task never ran, or its run was not awaited.
    Skipped,
}

/// Whether a stage's tasks are final, or the adaptive planner has yet to re-plan it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Planning {
    Done,
    /// Re-planned once its inputs have succeeded.
    Adaptive,
    /// [`Action::PlanStage`] went out; its tasks wait for [`Event::StagePlanned`].
    Requested,
}

#[derive(Debug)]
struct Stage {
    inputs: Vec<StageId>,
    tasks: Vec<Task>,
    planning: Planning,
    /// Runs so far: 1, plus one per executor loss that took finished output of it.
    attempts: u32,
    /// The adaptive planner found its output not needed (`empty_stages.rs`): no task of
    /// it runs any more, and its readers read what its finished tasks wrote, if anything.
    skipped: bool,
}

impl Stage {
    /// Every task has succeeded or was skipped: its output is all there.
    fn is_complete(&self) -> bool {
        self.tasks
            .iter()
            .all(|task| matches!(task, Task::Succeeded { .. } | Task::Skipped))
    }

    /// Nothing more is awaited of it: it is complete, or skipped (its readers read what
    /// its finished tasks wrote, and need nothing of it).
    fn is_done(&self) -> bool {
        self.skipped || self.is_complete()
    }
}

#[derive(Debug)]
struct Job {
    status: JobStatus,
    stages: BTreeMap<StageId, Stage>,
    /// When the job last found no executor alive, if it is waiting for one.
    waiting_since: Option<Instant>,
    /// When it must have ended, and the limit that set it.
    deadline: Option<(Instant, Duration)>,
}

/// A live executor, as the scheduler tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutorStanding {
    /// Tasks it runs at once.
    pub slots: usize,
    /// It is leaving: its tasks and output stay, but no task is placed on it.
    pub draining: bool,
    /// Its last sign of life.
    pub last_seen: Instant,
}

/// The scheduler's whole state.
#[derive(Debug, Default)]
pub struct SchedulerState {
    jobs: BTreeMap<JobId, Job>,
    /// Live executors.
    executors: BTreeMap<ExecutorId, ExecutorStanding>,
    limits: Limits,
}

impl SchedulerState {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// The bounds this state keeps jobs and executors within.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Where `executor` stands, if it is live.
    pub fn executor(&self, executor: &ExecutorId) -> Option<ExecutorStanding> {
        self.executors.get(executor).copied()
    }

    /// The live executors, in id order.
    pub fn executors(&self) -> impl Iterator<Item = (&ExecutorId, ExecutorStanding)> {
        self.executors.iter().map(|(id, standing)| (id, *standing))
    }

    /// Where `job` stands, if it is known.
    pub fn job_status(&self, job: &JobId) -> Option<&JobStatus> {
        self.jobs.get(job).map(|job| &job.status)
    }

    /// Drops a job that has ended, once its results are no longer needed. A running job is
    /// kept: it must be cancelled first.
    pub fn forget_job(&mut self, job: &JobId) {
        if self
            .jobs
            .get(job)
            .is_some_and(|job| job.status != JobStatus::Running)
        {
            self.jobs.remove(job);
        }
    }

    /// The executor and attempt a task is running as, if it is running.
    pub fn running_attempt(
        &self,
        job: &JobId,
        stage: StageId,
        partition: PartitionId,
    ) -> Option<(&ExecutorId, u32)> {
        let task = self
            .jobs
            .get(job)?
            .stages
            .get(&stage)?
            .tasks
            .get(partition.0 as usize)?;
        match task {
            Task::Running { executor, attempt } => Some((executor, *attempt)),
            _ => None,
        }
    }

    /// Whether a task of a running job runs on `executor` (or was placed there).
    pub fn has_running_tasks_on(&self, executor: &ExecutorId) -> bool {
        self.running_tasks_on(executor) > 0
    }

    /// How many tasks run on `executor` (or were placed there).
    pub fn running_tasks_on(&self, executor: &ExecutorId) -> usize {
        self.jobs
            .values()
            .flat_map(|job| job.stages.values())
            .flat_map(|stage| stage.tasks.iter())
            .filter(|task| matches!(task, Task::Running { executor: on, .. } if on == executor))
            .count()
    }

    /// Where `stage` of `job` stands, if both are known.
    pub fn stage_progress(&self, job: &JobId, stage: StageId) -> Option<StageProgress> {
        let job = self.jobs.get(job)?;
        let this = job.stages.get(&stage)?;
        // A stage waiting for its re-plan is not ready: its task count may still change.
        let ready = this.planning == Planning::Done
            && this
                .inputs
                .iter()
                .all(|input| job.stages.get(input).is_some_and(Stage::is_done));
        let tasks = this
            .tasks
            .iter()
            .map(|task| match task {
                Task::Queued { .. } => TaskProgress::Waiting,
                Task::Running { executor, attempt } => TaskProgress::Running {
                    executor: executor.clone(),
                    attempt: *attempt,
                },
                Task::Succeeded { executor, attempts } => TaskProgress::Succeeded {
                    executor: executor.clone(),
                    attempt: *attempts,
                },
                Task::Skipped => TaskProgress::Skipped,
            })
            .collect();
        Some(StageProgress {
            ready,
            skipped: this.skipped,
            tasks,
        })
    }

    /// Applies one event and returns what must be done about it.
    pub fn apply(&mut self, event: Event, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        match event {
            Event::JobSubmitted {
                job,
                stages,
                timeout,
            } => self.submit(job, stages, timeout, now, &mut actions),
            Event::ExecutorRegistered { executor, slots } => {
                // Registering again means the process restarted: what it ran or held is gone.
                self.lose_executor(&executor, &mut actions);
                self.executors.insert(
                    executor,
                    ExecutorStanding {
                        slots,
                        draining: false,
                        last_seen: now,
                    },
                );
            }
            Event::ExecutorSeen { executor } => {
                // A sign of life changes no job: nothing else to do.
                if let Some(standing) = self.executors.get_mut(&executor) {
                    standing.last_seen = standing.last_seen.max(now);
                }
                return actions;
            }
            Event::ExecutorLost { executor } => self.lose_executor(&executor, &mut actions),
            Event::ExecutorDraining { executor } => {
                if let Some(standing) = self.executors.get_mut(&executor) {
                    standing.draining = true;
                }
            }
            // Whatever of it is still needed is redone, as for a loss; after a full drain
            // nothing is.
            Event::ExecutorLeft { executor } => self.lose_executor(&executor, &mut actions),
            Event::TaskFinished {
                job,
                stage,
                partition,
                attempt,
                outcome,
            } => self.finish_task(&job, stage, partition, attempt, outcome, &mut actions),
            Event::CancelJob { job } => {
                self.end_job(&job, Err(JobFailure::Cancelled), &mut actions)
            }
            Event::StagePlanned { job, stage, tasks } => self.stage_planned(&job, stage, tasks),
            Event::StagesSkipped { job, stages } => self.skip_stages(&job, &stages),
            Event::Tick => self.check_deadlines(now, &mut actions),
        }
        self.complete_finished_jobs(&mut actions);
        self.launch_runnable_tasks(now, &mut actions);
        actions
    }

    fn submit(
        &mut self,
        job: JobId,
        specs: Vec<StageSpec>,
        timeout: Option<Duration>,
        now: Instant,
        actions: &mut Vec<Action>,
    ) {
        if self.jobs.contains_key(&job) {
            return;
        }
        let known: Vec<StageId> = specs.iter().map(|spec| spec.id).collect();
        let dangling = specs
            .iter()
            .flat_map(|spec| spec.inputs.iter().map(move |input| (spec.id, *input)))
            .find(|(_, input)| !known.contains(input));
        let stages = specs
            .into_iter()
            .map(|spec| {
                let stage = Stage {
                    inputs: spec.inputs,
                    tasks: vec![Task::Queued { attempts: 0 }; spec.tasks],
                    planning: if spec.replan {
                        Planning::Adaptive
                    } else {
                        Planning::Done
                    },
                    attempts: 1,
                    skipped: false,
                };
                (spec.id, stage)
            })
            .collect();
        self.jobs.insert(
            job.clone(),
            Job {
                status: JobStatus::Running,
                stages,
                waiting_since: Some(now),
                deadline: timeout.map(|limit| (now + limit, limit)),
            },
        );
        if let Some((stage, input)) = dangling {
            let failure = TaskFailure::new(
                FailureKind::Internal,
                format!("stage {stage} reads stage {input}, which the job does not have"),
                "",
            );
            self.end_job(&job, Err(JobFailure::Failed(failure)), actions);
        }
    }

    /// Takes a re-planned stage's task count (`None`: it keeps its tasks). Only a stage that
    /// asked and has not run yet changes: a late or repeated answer changes nothing.
    fn stage_planned(&mut self, job: &JobId, stage: StageId, tasks: Option<usize>) {
        let Some(stage) = self
            .running_job_mut(job)
            .and_then(|job| job.stages.get_mut(&stage))
        else {
            return;
        };
        if stage.planning == Planning::Requested {
            if let Some(tasks) = tasks {
                stage.tasks = vec![Task::Queued { attempts: 0 }; tasks];
            }
            stage.planning = Planning::Done;
        }
    }

    /// Skips `stages` of a running job: their waiting tasks never run, running ones may
    /// finish, and their re-plan is no longer awaited. The final stage is never skipped;
    /// the event loop does not ask for it.
    fn skip_stages(&mut self, job: &JobId, stages: &[StageId]) {
        let Some(job) = self.running_job_mut(job) else {
            return;
        };
        for id in stages {
            let Some(stage) = job.stages.get_mut(id) else {
                continue;
            };
            stage.skipped = true;
            stage.planning = Planning::Done;
            for task in &mut stage.tasks {
                if matches!(task, Task::Queued { .. }) {
                    *task = Task::Skipped;
                }
            }
        }
    }

    /// `job`, if it is still running: only a running job changes.
    fn running_job_mut(&mut self, job: &JobId) -> Option<&mut Job> {
        self.jobs
            .get_mut(job)
            .filter(|job| job.status == JobStatus::Running)
    }

    fn lose_executor(&mut self, executor: &ExecutorId, actions: &mut Vec<Action>) {
        if self.executors.remove(executor).is_none() {
            return;
        }
        let limit = self.limits.task_attempts;
        let stage_limit = self.limits.stage_attempts;
        let mut exhausted = Vec::new();
        let mut exhausted_stages = Vec::new();
        for (job_id, job) in self
            .jobs
            .iter_mut()
            .filter(|(_, job)| job.status == JobStatus::Running)
        {
            for (stage_id, stage) in &mut job.stages {
                if stage.skipped {
                    // Nothing reads a skipped stage's output: what the executor held goes.
                    for task in &mut stage.tasks {
                        if matches!(task, Task::Running { executor: on, .. } | Task::Succeeded { executor: on, .. } if on == executor)
                        {
                            *task = Task::Skipped;
                        }
                    }
                    continue;
                }
                // A stage runs again when it was complete and this loss took output of it;
                // several executors lost together cost one run, not one each.
                let complete = stage.is_complete();
                let lost_output = stage.tasks.iter().any(
                    |task| matches!(task, Task::Succeeded { executor: on, .. } if on == executor),
                );
                if complete && lost_output {
                    stage.attempts += 1;
                    if stage.attempts > stage_limit {
                        exhausted_stages.push((job_id.clone(), *stage_id, stage_limit));
                    }
                }
                for (partition, task) in stage.tasks.iter_mut().enumerate() {
                    // A running task is lost with its executor; a finished one loses its
                    // shuffle output. Either way it runs again, within the attempt limit.
                    let attempts = match task {
                        Task::Running {
                            executor: on,
                            attempt,
                        } if on == executor => *attempt,
                        Task::Succeeded {
                            executor: on,
                            attempts,
                        } if on == executor => *attempts,
                        _ => continue,
                    };
                    if attempts >= limit {
                        exhausted.push((job_id.clone(), *stage_id, partition, attempts));
                    }
                    *task = Task::Queued { attempts };
                }
            }
        }
        for (job, stage, runs) in exhausted_stages {
            let failure = TaskFailure::new(
                FailureKind::ExecutorLost,
                format!("executor {executor} was lost"),
                format!(
                    "stage {stage} ran {runs} times, the most allowed, and lost its output again"
                ),
            );
            self.end_job(&job, Err(JobFailure::Failed(failure)), actions);
        }
        for (job, stage, partition, attempt) in exhausted {
            let failure = TaskFailure::new(
                FailureKind::ExecutorLost,
                format!("executor {executor} was lost"),
                format!("task {partition} of stage {stage}, after {attempt} attempts"),
            );
            self.end_job(&job, Err(JobFailure::Failed(failure)), actions);
        }
    }

    fn finish_task(
        &mut self,
        job_id: &JobId,
        stage_id: StageId,
        partition: PartitionId,
        reported_attempt: u32,
        outcome: TaskOutcome,
        actions: &mut Vec<Action>,
    ) {
        let limit = self.limits.task_attempts;
        let Some(job) = self.running_job_mut(job_id) else {
            return;
        };
        let Some(stage) = job.stages.get_mut(&stage_id) else {
            return;
        };
        let skipped = stage.skipped;
        let Some(task) = stage.tasks.get_mut(partition.0 as usize) else {
            return;
        };
        // Only the attempt we are waiting for counts; a late report of an older one is stale.
        let Task::Running { executor, attempt } = task.clone() else {
            return;
        };
        if attempt != reported_attempt {
            return;
        }
        let failure = match outcome {
            TaskOutcome::Succeeded => {
                *task = Task::Succeeded {
                    executor,
                    attempts: attempt,
                };
                return;
            }
            // Nothing needs a skipped stage's output, so nothing waits for it to be redone:
            // as for a join that never reads its other side, its errors go unreported.
            TaskOutcome::Failed { .. } if skipped => {
                *task = Task::Skipped;
                return;
            }
            TaskOutcome::Failed {
                message,
                retryable: true,
                ..
            } if attempt < limit => {
                tracing::debug!(job = %job_id, stage = %stage_id, %partition, attempt, message, "task will be retried");
                *task = Task::Queued { attempts: attempt };
                return;
            }
            TaskOutcome::Failed {
                kind,
                message,
                retryable,
            } => {
                let attempts = if retryable {
                    format!(", after {attempt} attempts")
                } else {
                    String::new()
                };
                // A retryable failure that ran out of attempts is a peer we kept losing.
                let kind = if retryable && kind == FailureKind::Internal {
                    FailureKind::ExecutorLost
                } else {
                    kind
                };
                let context =
                    format!("task {partition} of stage {stage_id} on {executor}{attempts}");
                TaskFailure::new(kind, message, context)
            }
        };
        self.end_job(job_id, Err(JobFailure::Failed(failure)), actions);
    }

    fn check_deadlines(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let silent: Vec<(ExecutorId, Instant)> = self
            .executors
            .iter()
            .filter(|(_, standing)| {
                now.saturating_duration_since(standing.last_seen) > self.limits.executor_timeout
            })
            .map(|(id, standing)| (id.clone(), standing.last_seen))
            .collect();
        for (executor, last_seen) in silent {
            actions.push(Action::ExecutorTimedOut {
                executor: executor.clone(),
                last_seen,
            });
            self.lose_executor(&executor, actions);
        }

        let overdue: Vec<(JobId, Duration)> = self
            .jobs
            .iter()
            .filter(|(_, job)| job.status == JobStatus::Running)
            .filter_map(|(id, job)| match job.deadline {
                Some((deadline, limit)) if now >= deadline => Some((id.clone(), limit)),
                _ => None,
            })
            .collect();
        for (job, limit) in overdue {
            self.end_job(&job, Err(JobFailure::TimedOut(limit)), actions);
        }

        let timeout = self.limits.no_executor_timeout;
        let expired: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|(_, job)| job.status == JobStatus::Running)
            .filter(|(_, job)| {
                job.waiting_since
                    .is_some_and(|since| now.duration_since(since) >= timeout)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for job in expired {
            let message = format!(
                "no executor was available for {}s; start an executor and retry",
                timeout.as_secs()
            );
            self.end_job(&job, Err(JobFailure::NoExecutors(message)), actions);
        }
    }

    fn complete_finished_jobs(&mut self, actions: &mut Vec<Action>) {
        for (id, job) in self
            .jobs
            .iter_mut()
            .filter(|(_, job)| job.status == JobStatus::Running)
        {
            if job.stages.values().all(Stage::is_done) {
                // What skipped stages still run is not needed: it stops with the job.
                let mut running_on = BTreeSet::new();
                for task in job
                    .stages
                    .values_mut()
                    .flat_map(|stage| stage.tasks.iter_mut())
                {
                    if let Task::Running { executor, .. } = task {
                        running_on.insert(executor.clone());
                        *task = Task::Skipped;
                    }
                }
                actions.extend(running_on.into_iter().map(|executor| Action::CancelTasks {
                    job: id.clone(),
                    executor,
                }));
                job.status = JobStatus::Ended(Ok(()));
                actions.push(Action::FinishJob {
                    job: id.clone(),
                    outcome: Ok(()),
                });
            }
        }
    }

    /// Ends a running job as `end` says: stops its tasks, reports the end to its readers,
    /// drops its shuffle files.
    fn end_job(&mut self, id: &JobId, end: JobEnd, actions: &mut Vec<Action>) {
        let Some(job) = self.running_job_mut(id) else {
            return;
        };
        let mut running_on: Vec<ExecutorId> = job
            .stages
            .values()
            .flat_map(|stage| stage.tasks.iter())
            .filter_map(|task| match task {
                Task::Running { executor, .. } => Some(executor.clone()),
                _ => None,
            })
            .collect();
        running_on.sort();
        running_on.dedup();
        for stage in job.stages.values_mut() {
            for task in &mut stage.tasks {
                if let Task::Running { attempt, .. } = task {
                    *task = Task::Queued { attempts: *attempt };
                }
            }
        }
        job.status = JobStatus::Ended(end.clone());
        actions.extend(running_on.into_iter().map(|executor| Action::CancelTasks {
            job: id.clone(),
            executor,
        }));
        actions.push(Action::FinishJob {
            job: id.clone(),
            outcome: end,
        });
        actions.push(Action::ForgetShuffle { job: id.clone() });
    }

    /// Asks for the re-plan of every adaptive stage whose inputs have all succeeded. Done
    /// before any placement, for every job: a re-plan needs no slot, and a full cluster
    /// must not leave a ready stage unplanned.
    fn request_plans(&mut self, actions: &mut Vec<Action>) {
        for (job_id, job) in self
            .jobs
            .iter_mut()
            .filter(|(_, job)| job.status == JobStatus::Running)
        {
            let complete: BTreeSet<StageId> = job
                .stages
                .iter()
                .filter(|(_, stage)| stage.is_done())
                .map(|(id, _)| *id)
                .collect();
            for (stage_id, stage) in &mut job.stages {
                if stage.planning == Planning::Adaptive
                    && stage.inputs.iter().all(|input| complete.contains(input))
                {
                    stage.planning = Planning::Requested;
                    actions.push(Action::PlanStage {
                        job: job_id.clone(),
                        stage: *stage_id,
                    });
                }
            }
        }
    }

    /// Places queued tasks of stages whose inputs are complete (and whose plan is final) on
    /// free slots.
    fn launch_runnable_tasks(&mut self, now: Instant, actions: &mut Vec<Action>) {
        self.request_plans(actions);
        let mut free_slots: BTreeMap<ExecutorId, usize> = self
            .executors
            .iter()
            .filter(|(_, standing)| !standing.draining)
            .map(|(id, standing)| (id.clone(), standing.slots))
            .collect();
        for job in self.jobs.values() {
            for stage in job.stages.values() {
                for task in &stage.tasks {
                    if let Task::Running { executor, .. } = task
                        && let Some(free) = free_slots.get_mut(executor)
                    {
                        *free = free.saturating_sub(1);
                    }
                }
            }
        }
        // Every running job learns whether an executor takes tasks before any placement,
        // so that jobs behind a full cluster do not miss the clock.
        let no_executor = free_slots.is_empty();
        for job in self
            .jobs
            .values_mut()
            .filter(|job| job.status == JobStatus::Running)
        {
            job.waiting_since = if no_executor {
                job.waiting_since.or(Some(now))
            } else {
                None
            };
        }
        for (job_id, job) in self
            .jobs
            .iter_mut()
            .filter(|(_, job)| job.status == JobStatus::Running)
        {
            let complete: Vec<StageId> = job
                .stages
                .iter()
                .filter(|(_, stage)| stage.is_done())
                .map(|(id, _)| *id)
                .collect();
            // Where each stage's finished tasks ran: a task prefers the executor that ran
            // the same partition of its first input (all of it, for a pass-through input).
            let ran_on: BTreeMap<StageId, Vec<Option<ExecutorId>>> = job
                .stages
                .iter()
                .map(|(id, stage)| {
                    let executors = stage
                        .tasks
                        .iter()
                        .map(|task| match task {
                            Task::Succeeded { executor, .. } => Some(executor.clone()),
                            _ => None,
                        })
                        .collect();
                    (*id, executors)
                })
                .collect();
            for (stage_id, stage) in &mut job.stages {
                if !stage.inputs.iter().all(|input| complete.contains(input)) {
                    continue;
                }
                if stage.planning != Planning::Done {
                    continue;
                }
                let input_executors = stage.inputs.first().and_then(|input| ran_on.get(input));
                for (partition, task) in stage.tasks.iter_mut().enumerate() {
                    let Task::Queued { attempts } = *task else {
                        continue;
                    };
                    let preferred = input_executors
                        .and_then(|executors| executors.get(partition))
                        .and_then(Option::as_ref);
                    let Some(executor) = take_slot(&mut free_slots, preferred) else {
                        return;
                    };
                    let attempt = attempts + 1;
                    *task = Task::Running {
                        executor: executor.clone(),
                        attempt,
                    };
                    actions.push(Action::LaunchTask {
                        job: job_id.clone(),
                        stage: *stage_id,
                        partition: PartitionId(u32::try_from(partition).unwrap_or(u32::MAX)),
                        attempt,
                        executor,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> JobId {
        JobId::new("job")
    }

    fn executor(name: &str) -> ExecutorId {
        ExecutorId::new(name)
    }

    fn stage(id: u32, tasks: usize, inputs: &[u32]) -> StageSpec {
        StageSpec {
            id: StageId(id),
            tasks,
            inputs: inputs.iter().map(|input| StageId(*input)).collect(),
            replan: false,
        }
    }

    /// A scheduler with the given executors (name, slots) and a two-stage job submitted.
    fn running(
        executors: &[(&str, usize)],
        stages: Vec<StageSpec>,
    ) -> (SchedulerState, Vec<Action>) {
        let mut state = SchedulerState::new(Limits::default());
        let now = Instant::now();
        for (name, slots) in executors {
            state.apply(
                Event::ExecutorRegistered {
                    executor: executor(name),
                    slots: *slots,
                },
                now,
            );
        }
        let actions = state.apply(
            Event::JobSubmitted {
                job: job(),
                stages,
                timeout: None,
            },
            now,
        );
        (state, actions)
    }

    fn launches(actions: &[Action]) -> Vec<(u32, u32, u32, String)> {
        actions
            .iter()
            .filter_map(|action| match action {
                Action::LaunchTask {
                    stage,
                    partition,
                    attempt,
                    executor,
                    ..
                } => Some((stage.0, partition.0, *attempt, executor.to_string())),
                _ => None,
            })
            .collect()
    }

    fn finished(stage: u32, partition: u32, attempt: u32, outcome: TaskOutcome) -> Event {
        Event::TaskFinished {
            job: job(),
            stage: StageId(stage),
            partition: PartitionId(partition),
            attempt,
            outcome,
        }
    }

    fn retryable(message: &str) -> TaskOutcome {
        TaskOutcome::Failed {
            kind: FailureKind::Internal,
            message: message.into(),
            retryable: true,
        }
    }

    fn outcome(actions: &[Action]) -> Option<JobEnd> {
        actions.iter().find_map(|action| match action {
            Action::FinishJob { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
    }

    #[test]
    fn stages_run_in_dependency_order_and_the_job_succeeds() {
        let (mut state, actions) = running(
            &[("a", 1), ("b", 1)],
            vec![stage(1, 2, &[]), stage(2, 1, &[1])],
        );
        assert_eq!(
            launches(&actions),
            [(1, 0, 1, "a".into()), (1, 1, 1, "b".into())]
        );
        let now = Instant::now();
        assert!(launches(&state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), now)).is_empty());
        let actions = state.apply(finished(1, 1, 1, TaskOutcome::Succeeded), now);
        assert_eq!(launches(&actions), [(2, 0, 1, "a".into())]);
        let actions = state.apply(finished(2, 0, 1, TaskOutcome::Succeeded), now);
        assert_eq!(outcome(&actions), Some(Ok(())));
        assert_eq!(state.job_status(&job()), Some(&JobStatus::Ended(Ok(()))));
    }

    #[test]
    fn a_draining_executor_finishes_its_task_and_keeps_its_output_but_gets_no_new_task() {
        // Stage 1's two tasks start on a and b; a then drains.
        let (mut state, _) = running(
            &[("a", 1), ("b", 1)],
            vec![stage(1, 2, &[]), stage(2, 2, &[1])],
        );
        let now = Instant::now();
        let draining = Event::ExecutorDraining {
            executor: executor("a"),
        };
        assert!(state.apply(draining, now).is_empty());
        assert!(state.has_running_tasks_on(&executor("a")));
        state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), now);
        assert!(!state.has_running_tasks_on(&executor("a")));
        // Stage 2's partition 0 would prefer a, which holds its input: it goes to b.
        let actions = state.apply(finished(1, 1, 1, TaskOutcome::Succeeded), now);
        assert_eq!(launches(&actions), [(2, 0, 1, "b".into())]);
        let actions = state.apply(finished(2, 0, 1, TaskOutcome::Succeeded), now);
        assert_eq!(launches(&actions), [(2, 1, 1, "b".into())]);
        state.apply(finished(2, 1, 1, TaskOutcome::Succeeded), now);
        assert_eq!(state.job_status(&job()), Some(&JobStatus::Ended(Ok(()))));
        // Leaving after the job: nothing runs again.
        let left = Event::ExecutorLeft {
            executor: executor("a"),
        };
        assert!(launches(&state.apply(left, now)).is_empty());
    }

    #[test]
    fn an_executor_leaving_before_its_output_was_read_has_that_output_redone() {
        let (mut state, _) = running(
            &[("a", 1), ("b", 1)],
            vec![stage(1, 2, &[]), stage(2, 1, &[1])],
        );
        let now = Instant::now();
        state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), now);
        let left = Event::ExecutorLeft {
            executor: executor("a"),
        };
        let actions = state.apply(left, now);
        assert!(outcome(&actions).is_none(), "{actions:?}");
        let actions = state.apply(finished(1, 1, 1, TaskOutcome::Succeeded), now);
        assert_eq!(launches(&actions), [(1, 0, 2, "b".into())]);
    }

    #[test]
    fn jobs_wait_for_an_executor_when_every_one_is_draining() {
        let start = Instant::now();
        let (mut state, _) = running(&[("a", 1)], vec![stage(1, 1, &[]), stage(2, 1, &[1])]);
        let draining = Event::ExecutorDraining {
            executor: executor("a"),
        };
        state.apply(draining, start);
        state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), start);
        let past_deadline = start + Limits::default().no_executor_timeout + Duration::from_secs(1);
        let actions = state.apply(Event::Tick, past_deadline);
        assert!(
            matches!(outcome(&actions), Some(Err(JobFailure::NoExecutors(_)))),
            "{actions:?}"
        );
    }

    #[test]
    fn tasks_wait_for_a_free_slot() {
        let (mut state, actions) = running(&[("a", 1)], vec![stage(1, 3, &[])]);
        assert_eq!(launches(&actions).len(), 1);
        let actions = state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), Instant::now());
        assert_eq!(launches(&actions), [(1, 1, 1, "a".into())]);
    }

    #[test]
    fn retryable_failures_are_retried_until_the_limit_then_fail_the_job() {
        let (mut state, _) = running(&[("a", 1)], vec![stage(1, 1, &[])]);
        let now = Instant::now();
        for attempt in 1..Limits::default().task_attempts {
            let actions = state.apply(finished(1, 0, attempt, retryable("fetch failed")), now);
            assert_eq!(launches(&actions), [(1, 0, attempt + 1, "a".into())]);
        }
        let last = Limits::default().task_attempts;
        let actions = state.apply(finished(1, 0, last, retryable("fetch failed")), now);
        let Some(Err(JobFailure::Failed(failure))) = outcome(&actions) else {
            panic!("{actions:?}")
        };
        assert_eq!(failure.kind, FailureKind::ExecutorLost);
        let message = failure.to_string();
        assert!(
            message.contains("task 0 of stage 1")
                && message.contains("4 attempts")
                && message.contains("fetch failed"),
            "{message}"
        );
        assert!(actions.contains(&Action::ForgetShuffle { job: job() }));
    }

    #[test]
    fn a_deterministic_failure_fails_at_once_and_stops_the_other_tasks() {
        let (mut state, _) = running(&[("a", 1), ("b", 1)], vec![stage(1, 2, &[])]);
        let failure = TaskOutcome::Failed {
            kind: FailureKind::Query,
            message: "division by zero".into(),
            retryable: false,
        };
        let actions = state.apply(finished(1, 0, 1, failure), Instant::now());
        assert!(actions.contains(&Action::CancelTasks {
            job: job(),
            executor: executor("b")
        }));
        let Some(Err(JobFailure::Failed(failure))) = outcome(&actions) else {
            panic!("{actions:?}")
        };
        assert_eq!(failure.kind, FailureKind::Query);
        assert_eq!(failure.message, "division by zero");
        assert!(
            failure.context.starts_with("task 0 of stage 1 on "),
            "{failure}"
        );
        assert!(launches(&actions).is_empty());
    }

    #[test]
    fn losing_an_executor_reruns_its_tasks_and_the_output_it_held() {
        let (mut state, _) = running(
            &[("a", 1), ("b", 1)],
            vec![stage(1, 2, &[]), stage(2, 1, &[1])],
        );
        let now = Instant::now();
        state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), now);
        let actions = state.apply(
            Event::ExecutorLost {
                executor: executor("a"),
            },
            now,
        );
        // Task 0 finished on "a" and its output is gone; it runs again on "b" once "b" is free.
        assert!(launches(&actions).is_empty(), "{actions:?}");
        let actions = state.apply(finished(1, 1, 1, TaskOutcome::Succeeded), now);
        assert_eq!(launches(&actions), [(1, 0, 2, "b".into())]);
        let actions = state.apply(finished(1, 0, 2, TaskOutcome::Succeeded), now);
        assert_eq!(launches(&actions), [(2, 0, 1, "b".into())]);
    }

    #[test]
    fn a_stage_that_keeps_losing_its_output_fails_the_job_at_the_stage_limit() {
        let limits = Limits {
            task_attempts: 100,
            ..Limits::default()
        };
        let mut state = SchedulerState::new(limits);
        let now = Instant::now();
        let join = |state: &mut SchedulerState, name: &str| {
            state.apply(
                Event::ExecutorRegistered {
                    executor: executor(name),
                    slots: 1,
                },
                now,
            )
        };
        join(&mut state, "e0");
        state.apply(
            Event::JobSubmitted {
                job: job(),
                stages: vec![stage(1, 1, &[]), stage(2, 1, &[1])],
                timeout: None,
            },
            now,
        );
        // Stage 1 finishes on an executor that is then lost, over and over.
        for run in 1..=limits.stage_attempts {
            state.apply(finished(1, 0, run, TaskOutcome::Succeeded), now);
            let next = format!("e{run}");
            join(&mut state, &next);
            let actions = state.apply(
                Event::ExecutorLost {
                    executor: executor(&format!("e{}", run - 1)),
                },
                now,
            );
            if run < limits.stage_attempts {
                assert!(outcome(&actions).is_none(), "run {run}: {actions:?}");
            } else {
                let Some(Err(JobFailure::Failed(failure))) = outcome(&actions) else {
                    panic!("{actions:?}")
                };
                let message = failure.to_string();
                assert!(
                    message.contains("stage 1 ran 4 times") && message.contains("was lost"),
                    "{message}"
                );
            }
        }
    }

    #[test]
    fn executors_lost_together_cost_their_stage_one_run() {
        let limits = Limits {
            stage_attempts: 2,
            ..Limits::default()
        };
        let mut state = SchedulerState::new(limits);
        let now = Instant::now();
        for name in ["a", "b", "c"] {
            state.apply(
                Event::ExecutorRegistered {
                    executor: executor(name),
                    slots: 1,
                },
                now,
            );
        }
        state.apply(
            Event::JobSubmitted {
                job: job(),
                stages: vec![stage(1, 2, &[]), stage(2, 1, &[1])],
                timeout: None,
            },
            now,
        );
        state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), now);
        state.apply(finished(1, 1, 1, TaskOutcome::Succeeded), now);
        for lost in ["a", "b"] {
            let actions = state.apply(
                Event::ExecutorLost {
                    executor: executor(lost),
                },
                now,
            );
            assert!(outcome(&actions).is_none(), "losing {lost}: {actions:?}");
        }
    }

    #[test]
    fn a_job_past_its_timeout_is_cancelled_as_timed_out_on_the_next_tick() {
        let start = Instant::now();
        let mut state = SchedulerState::new(Limits::default());
        state.apply(
            Event::ExecutorRegistered {
                executor: executor("a"),
                slots: 1,
            },
            start,
        );
        let limit = Duration::from_secs(10);
        let actions = state.apply(
            Event::JobSubmitted {
                job: job(),
                stages: vec![stage(1, 1, &[])],
                timeout: Some(limit),
            },
            start,
        );
        assert_eq!(launches(&actions).len(), 1);
        let seen = Event::ExecutorSeen {
            executor: executor("a"),
        };
        state.apply(seen.clone(), start + Duration::from_secs(9));
        assert!(outcome(&state.apply(Event::Tick, start + Duration::from_secs(9))).is_none());

        state.apply(seen, start + limit);
        let actions = state.apply(Event::Tick, start + limit);
        assert_eq!(outcome(&actions), Some(Err(JobFailure::TimedOut(limit))));
        assert!(actions.contains(&Action::CancelTasks {
            job: job(),
            executor: executor("a"),
        }));
        assert_eq!(
            state.job_status(&job()),
            Some(&JobStatus::Ended(Err(JobFailure::TimedOut(limit))))
        );
    }

    #[test]
    fn an_executor_silent_past_its_timeout_is_lost_and_its_task_runs_elsewhere() {
        let start = Instant::now();
        let limits = Limits::default();
        let (mut state, actions) = running(&[("a", 1), ("b", 1)], vec![stage(1, 2, &[])]);
        assert_eq!(launches(&actions).len(), 2);
        state.apply(finished(1, 1, 1, TaskOutcome::Succeeded), start);
        // b shows a sign of life, a does not.
        let later = start + limits.executor_timeout + Duration::from_secs(1);
        state.apply(
            Event::ExecutorSeen {
                executor: executor("b"),
            },
            later,
        );
        let actions = state.apply(Event::Tick, later);
        let timed_out: Vec<&ExecutorId> = actions
            .iter()
            .filter_map(|action| match action {
                Action::ExecutorTimedOut { executor, .. } => Some(executor),
                _ => None,
            })
            .collect();
        assert_eq!(timed_out, vec![&executor("a")]);
        assert!(state.executor(&executor("a")).is_none());
        assert!(state.executor(&executor("b")).is_some());
        // Partition 0, which ran on a, runs again on b (attempt 2); b's finished output stays.
        assert_eq!(launches(&actions), vec![(1, 0, 2, "b".to_string())]);
        assert!(outcome(&actions).is_none());
    }

    #[test]
    fn a_job_with_no_executor_fails_after_the_deadline_unless_one_registers() {
        let start = Instant::now();
        let (mut state, actions) = running(&[], vec![stage(1, 1, &[])]);
        assert!(launches(&actions).is_empty());
        let later = start + Limits::default().no_executor_timeout / 2;
        assert!(outcome(&state.apply(Event::Tick, later)).is_none());
        let past_deadline = start + Limits::default().no_executor_timeout + Duration::from_secs(1);
        let actions = state.apply(Event::Tick, past_deadline);
        let Some(Err(JobFailure::NoExecutors(message))) = outcome(&actions) else {
            panic!("{actions:?}")
        };
        assert!(message.contains("no executor"), "{message}");

        let (mut rescued, _) = running(&[], vec![stage(1, 1, &[])]);
        let actions = rescued.apply(
            Event::ExecutorRegistered {
                executor: executor("late"),
                slots: 1,
            },
            later,
        );
        assert_eq!(launches(&actions).len(), 1);
        assert!(outcome(&rescued.apply(Event::Tick, start + Duration::from_secs(3600))).is_none());
    }

    #[test]
    fn every_job_starts_its_deadline_when_the_last_executor_is_lost() {
        let start = Instant::now();
        let mut state = SchedulerState::new(Limits::default());
        let register = Event::ExecutorRegistered {
            executor: executor("a"),
            slots: 1,
        };
        state.apply(register, start);
        for name in ["first", "second"] {
            let submit = Event::JobSubmitted {
                job: JobId::new(name),
                stages: vec![stage(1, 1, &[])],
                timeout: None,
            };
            state.apply(submit, start);
        }
        state.apply(
            Event::ExecutorLost {
                executor: executor("a"),
            },
            start,
        );
        let past_deadline = start + Limits::default().no_executor_timeout + Duration::from_secs(1);
        let failed = state
            .apply(Event::Tick, past_deadline)
            .into_iter()
            .filter(|action| {
                matches!(
                    action,
                    Action::FinishJob {
                        outcome: Err(JobFailure::NoExecutors(_)),
                        ..
                    }
                )
            })
            .count();
        assert_eq!(
            failed, 2,
            "both jobs fail together, not one deadline after the other"
        );
    }

    #[test]
    fn a_running_task_is_known_by_its_executor_and_attempt() {
        let (state, _) = running(&[("a", 1)], vec![stage(1, 1, &[])]);
        assert_eq!(
            state.running_attempt(&job(), StageId(1), PartitionId(0)),
            Some((&executor("a"), 1))
        );
        assert_eq!(
            state.running_attempt(&job(), StageId(1), PartitionId(1)),
            None
        );
    }

    #[test]
    fn a_stage_is_ready_once_its_inputs_succeed_and_shows_where_its_tasks_run() {
        let (mut state, _) = running(&[("a", 1)], vec![stage(1, 1, &[]), stage(2, 1, &[1])]);
        let progress = state.stage_progress(&job(), StageId(2)).unwrap();
        assert!(!progress.ready);
        assert_eq!(progress.tasks, vec![TaskProgress::Waiting]);
        let now = Instant::now();
        state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), now);
        let progress = state.stage_progress(&job(), StageId(2)).unwrap();
        assert!(progress.ready);
        let running = TaskProgress::Running {
            executor: executor("a"),
            attempt: 1,
        };
        assert_eq!(progress.tasks, vec![running]);
        state.apply(finished(2, 0, 1, TaskOutcome::Succeeded), now);
        let done = TaskProgress::Succeeded {
            executor: executor("a"),
            attempt: 1,
        };
        let progress = state.stage_progress(&job(), StageId(2)).unwrap();
        assert_eq!(progress.tasks, vec![done]);
    }

    #[test]
    fn cancelling_stops_running_tasks_and_forgets_the_shuffle() {
        let (mut state, _) = running(&[("a", 2)], vec![stage(1, 2, &[])]);
        let actions = state.apply(Event::CancelJob { job: job() }, Instant::now());
        assert_eq!(
            actions,
            [
                Action::CancelTasks {
                    job: job(),
                    executor: executor("a")
                },
                Action::FinishJob {
                    job: job(),
                    outcome: Err(JobFailure::Cancelled)
                },
                Action::ForgetShuffle { job: job() },
            ]
        );
        // Reports arriving after the end change nothing.
        assert!(
            state
                .apply(finished(1, 0, 1, TaskOutcome::Succeeded), Instant::now())
                .is_empty()
        );
        assert_eq!(
            state.job_status(&job()),
            Some(&JobStatus::Ended(Err(JobFailure::Cancelled)))
        );
    }

    #[test]
    fn stale_reports_from_older_attempts_are_ignored() {
        let (mut state, _) = running(&[("a", 1)], vec![stage(1, 1, &[])]);
        let now = Instant::now();
        state.apply(finished(1, 0, 1, retryable("flaky")), now);
        let actions = state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), now);
        assert!(
            actions.is_empty(),
            "attempt 1 is no longer the one running: {actions:?}"
        );
    }

    #[test]
    fn a_job_reading_a_stage_it_does_not_have_fails() {
        let (state, actions) = running(&[("a", 1)], vec![stage(2, 1, &[1])]);
        assert!(matches!(
            outcome(&actions),
            Some(Err(JobFailure::Failed(_)))
        ));
        assert!(matches!(
            state.job_status(&job()),
            Some(JobStatus::Ended(Err(JobFailure::Failed(_))))
        ));
    }

    #[test]
    fn a_ready_adaptive_stage_asks_for_its_plan_even_when_no_slot_is_free() {
        let now = Instant::now();
        let mut state = SchedulerState::default();
        state.apply(
            Event::ExecutorRegistered {
                executor: executor("e1"),
                slots: 1,
            },
            now,
        );
        let adaptive = JobId::new("b");
        let submit = |job: &JobId, stages| Event::JobSubmitted {
            job: job.clone(),
            stages,
            timeout: None,
        };
        let replanned = StageSpec {
            replan: true,
            ..stage(2, 4, &[1])
        };
        state.apply(submit(&adaptive, vec![stage(1, 1, &[]), replanned]), now);
        // Job "a" is placed first and wants more slots than there are.
        state.apply(submit(&JobId::new("a"), vec![stage(1, 2, &[])]), now);
        let actions = state.apply(
            Event::TaskFinished {
                job: adaptive.clone(),
                stage: StageId(1),
                partition: PartitionId(0),
                attempt: 1,
                outcome: TaskOutcome::Succeeded,
            },
            now,
        );
        assert!(actions.iter().any(|action| matches!(
            action,
            Action::PlanStage { job, stage } if *job == adaptive && *stage == StageId(2)
        )));
        let waiting = state.stage_progress(&adaptive, StageId(2)).unwrap();
        assert!(
            !waiting.ready,
            "a stage whose task count may change is not ready"
        );

        state.apply(
            Event::StagePlanned {
                job: adaptive.clone(),
                stage: StageId(2),
                tasks: Some(2),
            },
            now,
        );
        let planned = state.stage_progress(&adaptive, StageId(2)).unwrap();
        assert!(planned.ready);
        assert_eq!(planned.tasks.len(), 2);
    }

    #[test]
    fn a_skipped_stage_runs_no_more_tasks_and_readers_go_on() {
        let now = Instant::now();
        let mut state = SchedulerState::new(Limits::default());
        state.apply(
            Event::ExecutorRegistered {
                executor: executor("e1"),
                slots: 1,
            },
            now,
        );
        // Stage 2 has two tasks; one slot runs one of them.
        state.apply(
            Event::JobSubmitted {
                job: job(),
                stages: vec![stage(1, 1, &[]), stage(2, 2, &[]), stage(3, 1, &[1, 2])],
                timeout: None,
            },
            now,
        );
        state.apply(finished(1, 0, 1, TaskOutcome::Succeeded), now);
        let running = state.stage_progress(&job(), StageId(2)).unwrap();
        assert!(matches!(running.tasks[0], TaskProgress::Running { .. }));

        state.apply(
            Event::StagesSkipped {
                job: job(),
                stages: vec![StageId(2)],
            },
            now,
        );
        let skipped = state.stage_progress(&job(), StageId(2)).unwrap();
        assert!(skipped.skipped);
        assert_eq!(skipped.tasks[1], TaskProgress::Skipped);
        // Its reader is ready at once; the running task still holds the one slot.
        assert!(state.stage_progress(&job(), StageId(3)).unwrap().ready);
        // Its running task fails: nothing needs it, so the job goes on.
        let actions = state.apply(
            finished(
                2,
                0,
                1,
                TaskOutcome::Failed {
                    kind: FailureKind::Query,
                    message: "boom".into(),
                    retryable: false,
                },
            ),
            now,
        );
        assert_eq!(state.job_status(&job()), Some(&JobStatus::Running));
        assert!(actions.iter().any(|action| matches!(
            action,
            Action::LaunchTask { stage, .. } if *stage == StageId(3)
        )));
        // Losing the executor re-runs stage 1 (the final stage reads it), never stage 2.
        state.apply(
            Event::ExecutorLost {
                executor: executor("e1"),
            },
            now,
        );
        let after_loss = state.stage_progress(&job(), StageId(2)).unwrap();
        assert!(
            after_loss
                .tasks
                .iter()
                .all(|task| *task == TaskProgress::Skipped)
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        #[derive(Debug, Clone)]
        enum Step {
            Register(u8, u8),
            /// A heartbeat or poll of the executor.
            Seen(u8),
            Lose(u8),
            Drain(u8),
            Finish {
                pick: usize,
                succeed: bool,
                retryable: bool,
            },
            Cancel,
            Tick(u16),
            /// The adaptive planner skips stage 1 or 2 (never the final stage 3).
            Skip(u32),
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                (0u8..3, 1u8..3).prop_map(|(id, slots)| Step::Register(id, slots)),
                (0u8..3).prop_map(Step::Seen),
                (0u8..3).prop_map(Step::Lose),
                (0u8..3).prop_map(Step::Drain),
                (any::<usize>(), any::<bool>(), any::<bool>()).prop_map(
                    |(pick, succeed, retryable)| Step::Finish {
                        pick,
                        succeed,
                        retryable
                    }
                ),
                Just(Step::Cancel),
                (0u16..60).prop_map(Step::Tick),
                (1u32..3).prop_map(Step::Skip),
            ]
        }

        /// Applies `event` and answers every re-plan it asks for at once, as the event loop
        /// does, with `replanned_tasks` tasks. A stage asked to re-plan launches nothing
        /// before its answer.
        fn apply_answering_plans(
            state: &mut SchedulerState,
            event: Event,
            now: Instant,
            replanned_tasks: usize,
        ) -> Result<Vec<Action>, TestCaseError> {
            let mut actions = state.apply(event, now);
            let asked: Vec<StageId> = actions
                .iter()
                .filter_map(|action| match action {
                    Action::PlanStage { stage, .. } => Some(*stage),
                    _ => None,
                })
                .collect();
            for stage in asked {
                prop_assert!(
                    !actions.iter().any(|action| matches!(action, Action::LaunchTask { stage: launched, .. } if *launched == stage)),
                    "stage {} launched before it was re-planned", stage
                );
                actions.extend(state.apply(
                    Event::StagePlanned {
                        job: job(),
                        stage,
                        tasks: Some(replanned_tasks),
                    },
                    now,
                ));
            }
            Ok(actions)
        }

        /// Forgets the executors the state lost for their silence, as their processes are
        /// gone for the test, with the tasks they ran.
        fn forget_timed_out(
            actions: &[Action],
            live: &mut Vec<String>,
            draining: &mut Vec<String>,
            in_flight: &mut Vec<(u32, u32, u32, String)>,
        ) {
            for action in actions {
                if let Action::ExecutorTimedOut { executor, .. } = action {
                    let name = executor.to_string();
                    live.retain(|on| *on != name);
                    draining.retain(|on| *on != name);
                    in_flight.retain(|(_, _, _, on)| *on != name);
                }
            }
        }

        /// A job ends as timed out only past its timeout, and a tick past it ends it.
        fn check_timeout(
            actions: &[Action],
            state: &SchedulerState,
            timeout: Option<Duration>,
            start: Instant,
            now: Instant,
            ticked: bool,
        ) -> Result<(), TestCaseError> {
            for action in actions {
                if let Action::FinishJob {
                    outcome: Err(JobFailure::TimedOut(limit)),
                    ..
                } = action
                {
                    prop_assert_eq!(Some(*limit), timeout);
                    prop_assert!(now >= start + *limit, "timed out early");
                }
            }
            if let Some(limit) = timeout
                && ticked
                && now >= start + limit
            {
                prop_assert!(
                    state.job_status(&job()) != Some(&JobStatus::Running),
                    "the job ran past its timeout"
                );
            }
            Ok(())
        }

        /// Tasks launched and not yet reported, as the event loop would track them.
        fn track(in_flight: &mut Vec<(u32, u32, u32, String)>, actions: &[Action]) {
            in_flight.extend(launches(actions));
            if actions
                .iter()
                .any(|action| matches!(action, Action::FinishJob { .. }))
            {
                in_flight.clear();
            }
        }

        proptest! {
            #[test]
            fn invariants_hold_and_every_job_ends(steps in proptest::collection::vec(step(), 0..60), replanned_tasks in 1usize..5, timeout in proptest::option::of(1u64..400)) {
                let timeout = timeout.map(Duration::from_secs);
                let limits = Limits::default();
                let mut state = SchedulerState::new(limits);
                let start = Instant::now();
                let mut now = start;
                let mut in_flight = Vec::new();
                let mut live: Vec<String> = Vec::new();
                let mut draining: Vec<String> = Vec::new();
                // Each executor's last sign of life, as the test sent them.
                let mut seen: BTreeMap<String, Instant> = BTreeMap::new();
                // Stage 2 is re-planned by the adaptive planner once stage 1 has succeeded.
                let adaptive = StageSpec { replan: true, ..stage(2, 2, &[1]) };
                let actions = state.apply(Event::JobSubmitted { job: job(), stages: vec![stage(1, 3, &[]), adaptive, stage(3, 1, &[2])], timeout }, now);
                track(&mut in_flight, &actions);
                for step in steps {
                    let event = match step {
                        Step::Register(id, slots) => {
                            in_flight.retain(|(_, _, _, on)| *on != format!("e{id}"));
                            live.push(format!("e{id}"));
                            draining.retain(|name| *name != format!("e{id}"));
                            seen.insert(format!("e{id}"), now);
                            Event::ExecutorRegistered { executor: executor(&format!("e{id}")), slots: slots as usize }
                        }
                        Step::Lose(id) => {
                            live.retain(|name| *name != format!("e{id}"));
                            draining.retain(|name| *name != format!("e{id}"));
                            in_flight.retain(|(_, _, _, on)| *on != format!("e{id}"));
                            Event::ExecutorLost { executor: executor(&format!("e{id}")) }
                        }
                        Step::Seen(id) => {
                            if live.contains(&format!("e{id}")) {
                                seen.insert(format!("e{id}"), now);
                            }
                            Event::ExecutorSeen { executor: executor(&format!("e{id}")) }
                        }
                        Step::Drain(id) => {
                            if live.contains(&format!("e{id}")) {
                                draining.push(format!("e{id}"));
                            }
                            Event::ExecutorDraining { executor: executor(&format!("e{id}")) }
                        }
                        Step::Finish { pick, succeed, retryable } => {
                            if in_flight.is_empty() { continue; }
                            let (stage, partition, attempt, _) = in_flight.remove(pick % in_flight.len());
                            let outcome = if succeed { TaskOutcome::Succeeded } else { TaskOutcome::Failed { kind: FailureKind::Query, message: "boom".into(), retryable } };
                            finished(stage, partition, attempt, outcome)
                        }
                        Step::Cancel => Event::CancelJob { job: job() },
                        Step::Tick(seconds) => { now += Duration::from_secs(seconds.into()); Event::Tick }
                        Step::Skip(stage) => Event::StagesSkipped { job: job(), stages: vec![StageId(stage)] },
                    };
                    let ticked = matches!(event, Event::Tick);
                    let actions = apply_answering_plans(&mut state, event, now, replanned_tasks)?;
                    forget_timed_out(&actions, &mut live, &mut draining, &mut in_flight);
                    check_timeout(&actions, &state, timeout, start, now, ticked)?;
                    for action in &actions {
                        if let Action::LaunchTask { executor, attempt, stage, .. } = action {
                            let ready = state.stage_progress(&job(), *stage).is_some_and(|progress| progress.ready);
                            prop_assert!(ready, "stage {} ran before its inputs", stage);
                            prop_assert!(live.contains(&executor.to_string()), "launched on a lost executor");
                            prop_assert!(!draining.contains(&executor.to_string()), "launched on a draining executor");
                            let silent_for = seen.get(&executor.to_string()).map(|at| now.saturating_duration_since(*at));
                            prop_assert!(silent_for.is_some_and(|silent| silent <= limits.executor_timeout), "launched on an executor silent for {:?}", silent_for);
                            prop_assert!(*attempt <= limits.task_attempts, "attempts exceed the limit");
                        }
                    }
                    track(&mut in_flight, &actions);
                    let running_per_executor = in_flight.iter().fold(BTreeMap::<&str, usize>::new(), |mut counts, (_, _, _, on)| {
                        *counts.entry(on.as_str()).or_default() += 1;
                        counts
                    });
                    for (on, running) in running_per_executor {
                        prop_assert!(running <= state.executor(&executor(on)).map_or(0, |standing| standing.slots));
                    }
                }
                // Drive to the end: an executor, every launched task succeeding, time passing.
                let mut actions = apply_answering_plans(&mut state, Event::ExecutorRegistered { executor: executor("final"), slots: 2 }, now, replanned_tasks)?;
                track(&mut in_flight, &actions);
                for _ in 0..200 {
                    if state.job_status(&job()) != Some(&JobStatus::Running) { break; }
                    if let Some((stage, partition, attempt, _)) = in_flight.pop() {
                        actions = apply_answering_plans(&mut state, finished(stage, partition, attempt, TaskOutcome::Succeeded), now, replanned_tasks)?;
                    } else {
                        now += Duration::from_secs(60);
                        // The last executor keeps sending heartbeats.
                        state.apply(Event::ExecutorSeen { executor: executor("final") }, now);
                        actions = apply_answering_plans(&mut state, Event::Tick, now, replanned_tasks)?;
                        check_timeout(&actions, &state, timeout, start, now, true)?;
                    }
                    track(&mut in_flight, &actions);
                }
                let status = state.job_status(&job()).cloned();
                prop_assert!(status != Some(JobStatus::Running), "the job never ended");
                if status == Some(JobStatus::Ended(Ok(()))) {
                    let job_state = &state.jobs[&job()];
                    let all_done = job_state
                        .stages
                        .values()
                        .flat_map(|stage| stage.tasks.iter())
                        .all(|task| matches!(task, Task::Succeeded { .. } | Task::Skipped));
                    prop_assert!(all_done, "a job succeeded with unfinished tasks");
                    let final_ran = job_state.stages[&StageId(3)]
                        .tasks
                        .iter()
                        .all(|task| matches!(task, Task::Succeeded { .. }));
                    prop_assert!(final_ran, "the final stage must run");
                    let second = &job_state.stages[&StageId(2)];
                    if !second.skipped {
                        prop_assert_eq!(second.tasks.len(), replanned_tasks, "the re-planned task count was not kept");
                    }
                }
            }
        }
    }
}
