//! [`JobHistory`]: the operator's record of every job, running and recent, kept by the
//! event loop beside the scheduler state. The state forgets a job once its result is
//! released; the history keeps who ran it, its SQL, its stages and what their tasks
//! measured, for the last `capacity` ended jobs (`--job-history`), in memory only.
//!
//! Task states are not copied here while a job runs: they are read from the scheduler
//! state when a view is taken, and frozen into the record when the job ends.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datafusion::physical_plan::ExecutionPlanProperties;
use trebuchet_shuffle::ids::{ExecutorId, JobId, PartitionId, StageId};

use super::cluster_view::{
    JobState, JobView, OperatorView, StageState, StageView, TaskCounts, TaskState, TaskView,
};
use super::job_label::JobLabel;
use super::state::{SchedulerState, StageProgress, TaskProgress};
use crate::operator_metrics::{add_operators, metrics_text};
use crate::protocol::OperatorMetrics;
use crate::stage_planner::{QueryStage, StagePlan};

/// Ended jobs kept when no `--job-history` is given.
pub const DEFAULT_JOB_HISTORY: usize = 1_000;

/// Longest SQL text or stage plan a record keeps: a statement may be as large as a Flight
/// message (64 MiB), and a thousand of them must not pin the scheduler's memory.
const MAX_KEPT_TEXT: usize = 16 << 10;

/// Every running job, and the most recent ended ones.
#[derive(Debug)]
pub(crate) struct JobHistory {
    records: HashMap<JobId, JobRecord>,
    /// Ended jobs, oldest first: the first is dropped when there are too many.
    ended: VecDeque<JobId>,
    capacity: usize,
}

#[derive(Debug)]
struct JobRecord {
    session_id: String,
    label: JobLabel,
    submitted_at: SystemTime,
    /// `Some` once the job ended.
    end: Option<JobEnd>,
    stages: Vec<StageRecord>,
}

#[derive(Debug)]
struct JobEnd {
    at: SystemTime,
    state: JobState,
    error: Option<String>,
}

#[derive(Debug)]
struct StageRecord {
    id: StageId,
    inputs: Vec<StageId>,
    output_partitioning: String,
    plan: String,
    /// What each task's accepted success measured, by partition.
    measured: Vec<Option<TaskMeasurement>>,
    /// Each task's operators and their metrics, by partition, until the job ends.
    task_operators: Vec<Option<Vec<OperatorMetrics>>>,
    /// The operators summed over the succeeded tasks, once the job ended.
    operators: Option<Vec<OperatorMetrics>>,
    first_launch: Option<SystemTime>,
    last_success: Option<SystemTime>,
    /// The tasks' states when the job ended.
    frozen: Option<StageProgress>,
    /// What the adaptive planner changed in it.
    adaptive_changes: Vec<String>,
}

/// What one successful task attempt wrote and took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TaskMeasurement {
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
    pub(crate) spilled_bytes: u64,
    pub(crate) elapsed: Duration,
}

impl JobHistory {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            records: HashMap::new(),
            ended: VecDeque::new(),
            capacity,
        }
    }

    pub(crate) fn submitted(
        &mut self,
        job: &JobId,
        session_id: &str,
        label: JobLabel,
        stages: &StagePlan,
        now: SystemTime,
    ) {
        let stages = stages
            .stages()
            .iter()
            .map(|stage| StageRecord {
                id: stage.id,
                inputs: stage.inputs.clone(),
                output_partitioning: stage
                    .plan
                    .partitioning()
                    .map_or_else(
                        || stage.plan.input().output_partitioning().clone(),
                        Clone::clone,
                    )
                    .to_string(),
                plan: operator_lines(stage.plan.input().as_ref()),
                measured: vec![None; stage.tasks()],
                task_operators: vec![None; stage.tasks()],
                operators: None,
                first_launch: None,
                last_success: None,
                frozen: None,
                adaptive_changes: Vec::new(),
            })
            .collect();
        let label = JobLabel {
            sql: bounded(label.sql),
            ..label
        };
        self.records.insert(
            job.clone(),
            JobRecord {
                session_id: session_id.to_string(),
                label,
                submitted_at: now,
                end: None,
                stages,
            },
        );
    }

    /// Whether `job` is running or among the recent ended jobs.
    pub(crate) fn knows(&self, job: &JobId) -> bool {
        self.records.contains_key(job)
    }

    /// Takes the new plan of a stage the adaptive planner changed before it ran.
    pub(crate) fn replanned(&mut self, job: &JobId, stage: &QueryStage, change: String) {
        if let Some(record) = self.stage_mut(job, stage.id) {
            record.plan = operator_lines(stage.plan.input().as_ref());
            record.measured = vec![None; stage.tasks()];
            record.task_operators = vec![None; stage.tasks()];
            record.adaptive_changes.push(change);
        }
    }

    /// Records what the planner chose for `stage` before it ran.
    pub(crate) fn noted(&mut self, job: &JobId, stage: StageId, note: String) {
        if let Some(record) = self.stage_mut(job, stage) {
            record.adaptive_changes.push(note);
        }
    }

    /// Records that the adaptive planner skipped `stage`, and why.
    pub(crate) fn skipped(&mut self, job: &JobId, stage: StageId, reason: String) {
        if let Some(record) = self.stage_mut(job, stage) {
            record.adaptive_changes.push(format!("skipped: {reason}"));
        }
    }

    pub(crate) fn launched(&mut self, job: &JobId, stage: StageId, now: SystemTime) {
        if let Some(stage) = self.stage_mut(job, stage) {
            stage.first_launch.get_or_insert(now);
        }
    }

    /// Records what the accepted success of a task measured.
    pub(crate) fn succeeded(
        &mut self,
        job: &JobId,
        stage: StageId,
        partition: PartitionId,
        measured: TaskMeasurement,
        operators: Vec<OperatorMetrics>,
        now: SystemTime,
    ) {
        if let Some(stage) = self.stage_mut(job, stage) {
            if let Some(slot) = stage.measured.get_mut(partition.0 as usize) {
                *slot = Some(measured);
            }
            if let Some(slot) = stage.task_operators.get_mut(partition.0 as usize) {
                *slot = Some(operators);
            }
            stage.last_success = Some(now);
        }
    }

    /// Records how `job` ended, with its tasks' states as `state` has them now; the
    /// oldest ended job beyond the capacity is forgotten.
    pub(crate) fn ended(
        &mut self,
        job: &JobId,
        outcome: (JobState, Option<String>),
        state: &SchedulerState,
        now: SystemTime,
    ) {
        let Some(record) = self.records.get_mut(job) else {
            return;
        };
        if record.end.is_some() {
            return;
        }
        for stage in &mut record.stages {
            stage.frozen = state.stage_progress(job, stage.id);
            // Kept summed: a history of a thousand jobs must not hold every task's plan.
            stage.operators = Some(stage.summed_operators(stage.frozen.as_ref()));
            stage.task_operators = Vec::new();
        }
        let (state, error) = outcome;
        record.end = Some(JobEnd {
            at: now,
            state,
            error,
        });
        self.ended.push_back(job.clone());
        while self.ended.len() > self.capacity {
            if let Some(oldest) = self.ended.pop_front() {
                self.records.remove(&oldest);
            }
        }
    }

    /// Every job, running ones first, then ended ones, most recent first.
    pub(crate) fn views(&self, state: &SchedulerState, now: SystemTime) -> Vec<JobView> {
        self.views_where(state, now, |_| true)
    }

    /// The jobs `session_id` submitted at or after `since`, in the order of [`Self::views`].
    pub(crate) fn session_views(
        &self,
        state: &SchedulerState,
        now: SystemTime,
        session_id: &str,
        since: SystemTime,
    ) -> Vec<JobView> {
        self.views_where(state, now, |job| {
            job.session_id == session_id && job.submitted_at >= since
        })
    }

    /// The jobs `keep` keeps, in the order of [`Self::views`]; only those are pictured.
    fn views_where(
        &self,
        state: &SchedulerState,
        now: SystemTime,
        keep: impl Fn(&JobRecord) -> bool,
    ) -> Vec<JobView> {
        let mut jobs: Vec<(&JobId, &JobRecord)> = self
            .records
            .iter()
            .filter(|(_, record)| keep(record))
            .collect();
        jobs.sort_by_key(|(id, record)| {
            (
                record.end.is_some(),
                std::cmp::Reverse(record.submitted_at),
                (*id).clone(),
            )
        });
        jobs.into_iter()
            .map(|(id, record)| record.view(id, state, now))
            .collect()
    }

    fn stage_mut(&mut self, job: &JobId, stage: StageId) -> Option<&mut StageRecord> {
        self.records
            .get_mut(job)?
            .stages
            .iter_mut()
            .find(|record| record.id == stage)
    }
}

impl JobRecord {
    fn view(&self, id: &JobId, state: &SchedulerState, now: SystemTime) -> JobView {
        let ended = self.end.as_ref();
        let stages: Vec<StageView> = self
            .stages
            .iter()
            .map(|stage| {
                let progress = match &stage.frozen {
                    Some(frozen) => Some(frozen.clone()),
                    None if ended.is_none() => state.stage_progress(id, stage.id),
                    None => None,
                };
                stage.view(progress, ended.is_some())
            })
            .collect();
        let rows_out = stages.last().map_or(0, |stage| stage.rows_out);
        let until = ended.map_or(now, |end| end.at);
        JobView {
            job_id: id.to_string(),
            session_id: self.session_id.clone(),
            user: self.label.user.clone(),
            sql: self.label.sql.clone(),
            state: ended.map_or(JobState::Running, |end| end.state),
            error: ended.and_then(|end| end.error.clone()),
            submitted_at_ms: unix_ms(self.submitted_at),
            ended_at_ms: ended.map(|end| unix_ms(end.at)),
            duration_ms: millis(until.duration_since(self.submitted_at).unwrap_or_default()),
            rows_out,
            stages,
        }
    }
}

impl StageRecord {
    fn view(&self, progress: Option<StageProgress>, job_ended: bool) -> StageView {
        let tasks: Vec<TaskView> = self
            .measured
            .iter()
            .enumerate()
            .map(|(partition, measured)| {
                let task = progress
                    .as_ref()
                    .and_then(|progress| progress.tasks.get(partition));
                task_view(partition, task, *measured)
            })
            .collect();
        let mut counts = TaskCounts {
            total: tasks.len(),
            ..TaskCounts::default()
        };
        for task in &tasks {
            match task.state {
                TaskState::Waiting => counts.waiting += 1,
                TaskState::Running => counts.running += 1,
                TaskState::Succeeded => counts.succeeded += 1,
                TaskState::Skipped => counts.skipped += 1,
            }
        }
        let ready = progress.as_ref().is_some_and(|progress| progress.ready);
        let state = if progress.as_ref().is_some_and(|progress| progress.skipped) {
            StageState::Skipped
        } else if counts.succeeded == counts.total {
            StageState::Succeeded
        } else if job_ended {
            StageState::Stopped
        } else if ready {
            StageState::Running
        } else {
            StageState::Waiting
        };
        // Only what the succeeded tasks measured: an earlier success whose output was
        // lost is being redone.
        let measured: Vec<TaskMeasurement> = tasks
            .iter()
            .zip(&self.measured)
            .filter(|(task, _)| task.state == TaskState::Succeeded)
            .filter_map(|(_, measured)| *measured)
            .collect();
        let operators = match &self.operators {
            Some(operators) => operators.clone(),
            None => self.summed_operators(progress.as_ref()),
        };
        let duration_ms = match (state, self.first_launch, self.last_success) {
            (StageState::Succeeded, Some(first), Some(last)) => {
                Some(millis(last.duration_since(first).unwrap_or_default()))
            }
            _ => None,
        };
        StageView {
            stage_id: self.id.0,
            inputs: self.inputs.iter().map(|input| input.0).collect(),
            state,
            output_partitioning: self.output_partitioning.clone(),
            plan: self.plan.clone(),
            tasks: counts,
            rows_out: measured.iter().map(|task| task.rows).sum(),
            bytes_out: measured.iter().map(|task| task.bytes).sum(),
            spilled_bytes: measured.iter().map(|task| task.spilled_bytes).sum(),
            task_time_ms: measured.iter().map(|task| millis(task.elapsed)).sum(),
            duration_ms,
            task_list: tasks,
            operators: operators.iter().map(operator_view).collect(),
            adaptive_changes: self.adaptive_changes.clone(),
        }
    }

    /// The operators of the tasks that stand succeeded, summed.
    fn summed_operators(&self, progress: Option<&StageProgress>) -> Vec<OperatorMetrics> {
        let mut sums = Vec::new();
        let tasks = progress
            .map(|progress| progress.tasks.as_slice())
            .unwrap_or(&[]);
        for (task, operators) in tasks.iter().zip(&self.task_operators) {
            if let (TaskProgress::Succeeded { .. }, Some(operators)) = (task, operators) {
                add_operators(&mut sums, operators);
            }
        }
        sums
    }
}

fn operator_view(operator: &OperatorMetrics) -> OperatorView {
    OperatorView {
        depth: operator.depth,
        operator: operator.operator.clone(),
        metrics: operator
            .metrics
            .iter()
            .map(|entry| (entry.name.clone(), entry.value))
            .collect(),
        metrics_text: metrics_text(
            &operator.metrics,
            datafusion::physical_plan::metrics::MetricType::Dev,
        ),
        raw: operator.metrics.clone(),
    }
}

fn task_view(
    partition: usize,
    task: Option<&TaskProgress>,
    measured: Option<TaskMeasurement>,
) -> TaskView {
    let partition = u32::try_from(partition).unwrap_or(u32::MAX);
    let (state, attempts, executor): (TaskState, u32, Option<&ExecutorId>) = match task {
        None | Some(TaskProgress::Waiting) => (TaskState::Waiting, 0, None),
        Some(TaskProgress::Running { executor, attempt }) => {
            (TaskState::Running, *attempt, Some(executor))
        }
        Some(TaskProgress::Succeeded { executor, attempt }) => {
            (TaskState::Succeeded, *attempt, Some(executor))
        }
        Some(TaskProgress::Skipped) => (TaskState::Skipped, 0, None),
    };
    let measured = measured.filter(|_| state == TaskState::Succeeded);
    TaskView {
        partition,
        state,
        attempts,
        executor: executor.map(ToString::to_string),
        rows_out: measured.map(|m| m.rows),
        bytes_out: measured.map(|m| m.bytes),
        spilled_bytes: measured.map(|m| m.spilled_bytes),
        elapsed_ms: measured.map(|m| millis(m.elapsed)),
    }
}

/// A stage's operators, one per line, indented by depth as in EXPLAIN.
fn operator_lines(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> String {
    bounded(
        datafusion::physical_plan::displayable(plan)
            .indent(false)
            .to_string(),
    )
}

/// `text`, cut to [`MAX_KEPT_TEXT`] bytes at a character boundary, saying so.
fn bounded(mut text: String) -> String {
    if text.len() > MAX_KEPT_TEXT {
        let total = text.len();
        let mut end = MAX_KEPT_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(&format!("… ({total} bytes in all)"));
    }
    text
}

pub(crate) fn unix_ms(at: SystemTime) -> u64 {
    millis(at.duration_since(UNIX_EPOCH).unwrap_or_default())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use datafusion::prelude::SessionContext;
    use trebuchet_shuffle::{ShuffleFormat, ShuffleLayout};

    use super::*;
    use crate::scheduler::event::{Event, StageSpec, TaskOutcome};
    use crate::stage_planner::plan_stages;
    use crate::test_support::physical_plan;

    /// A two-stage job (an aggregation over two partitions) and its scheduler state, with
    /// one executor of two slots running the first stage's tasks.
    async fn two_stage_job(id: &str) -> (JobId, StagePlan, SchedulerState) {
        let ctx = SessionContext::new_with_config(
            datafusion::prelude::SessionConfig::new().with_target_partitions(2),
        );
        let plan = physical_plan(
            &ctx,
            "SELECT v % 3 AS k, count(*) FROM generate_series(1, 100) AS t(v) GROUP BY v % 3",
        )
        .await;
        let job = JobId::new(id);
        let stages = plan_stages(
            &job,
            &ShuffleLayout::new("/tmp/unused"),
            ShuffleFormat::default(),
            plan,
        )
        .unwrap();
        let mut state = SchedulerState::default();
        let now = Instant::now();
        state.apply(
            Event::ExecutorRegistered {
                executor: ExecutorId::new("e1"),
                slots: 2,
            },
            now,
        );
        let specs = stages
            .stages()
            .iter()
            .map(|stage| StageSpec {
                id: stage.id,
                tasks: stage.tasks(),
                inputs: stage.inputs.clone(),
                replan: false,
            })
            .collect();
        state.apply(
            Event::JobSubmitted {
                job: job.clone(),
                stages: specs,
                timeout: None,
            },
            now,
        );
        (job, stages, state)
    }

    fn label(user: &str) -> JobLabel {
        JobLabel {
            user: Some(user.into()),
            sql: "SELECT …".into(),
        }
    }

    fn measured(rows: u64) -> TaskMeasurement {
        TaskMeasurement {
            rows,
            bytes: rows * 8,
            spilled_bytes: 0,
            elapsed: Duration::from_millis(5),
        }
    }

    #[tokio::test]
    async fn a_running_job_reads_its_tasks_from_the_state_and_its_measurements_from_reports() {
        let (job, stages, mut state) = two_stage_job("j1").await;
        let mut history = JobHistory::new(10);
        let now = SystemTime::now();
        history.submitted(&job, "session-1", label("alice"), &stages, now);
        let first = &stages.stages()[0];
        let views = history.views(&state, SystemTime::now());
        assert_eq!(views[0].stages[0].state, StageState::Running);
        assert_eq!(views[0].stages[0].tasks.running, first.tasks());
        assert_eq!(views[0].stages[1].state, StageState::Waiting);

        for partition in 0..first.tasks() {
            let partition = PartitionId(u32::try_from(partition).unwrap());
            state.apply(
                Event::TaskFinished {
                    job: job.clone(),
                    stage: first.id,
                    partition,
                    attempt: 1,
                    outcome: TaskOutcome::Succeeded,
                },
                Instant::now(),
            );
            history.succeeded(&job, first.id, partition, measured(7), Vec::new(), now);
        }

        let views = history.views(&state, SystemTime::now());
        let view = &views[0];
        assert_eq!(
            (view.user.as_deref(), view.state),
            (Some("alice"), JobState::Running)
        );
        let stage = &view.stages[0];
        assert_eq!(stage.state, StageState::Succeeded);
        assert_eq!(stage.tasks.succeeded, first.tasks());
        let tasks = u64::try_from(first.tasks()).unwrap();
        assert_eq!((stage.rows_out, stage.bytes_out), (7 * tasks, 56 * tasks));
        assert_eq!(stage.task_list[0].executor.as_deref(), Some("e1"));
        assert_eq!(
            view.stages[1].state,
            StageState::Running,
            "its input is done"
        );
    }

    #[test]
    fn long_texts_are_kept_cut_at_a_character_boundary() {
        assert_eq!(bounded("SELECT 1".into()), "SELECT 1");
        let long = "é".repeat(MAX_KEPT_TEXT);
        let kept = bounded(long.clone());
        assert!(kept.len() < long.len() && kept.len() <= MAX_KEPT_TEXT + 40);
        assert!(
            kept.ends_with(&format!("({} bytes in all)", long.len())),
            "{}",
            &kept[kept.len() - 40..]
        );
    }

    #[tokio::test]
    async fn an_ended_job_keeps_its_picture_and_the_oldest_beyond_capacity_is_forgotten() {
        let mut history = JobHistory::new(1);
        let (first, stages, state) = two_stage_job("first").await;
        history.submitted(&first, "s", label("alice"), &stages, SystemTime::now());
        let cancelled = (
            JobState::Cancelled,
            Some("the query was cancelled".to_string()),
        );
        history.ended(&first, cancelled, &state, SystemTime::now());
        // The state forgets the job; the history does not.
        let forgotten = SchedulerState::default();
        let views = history.views(&forgotten, SystemTime::now());
        assert_eq!(views[0].state, JobState::Cancelled);
        assert_eq!(views[0].stages[0].state, StageState::Stopped);
        assert_eq!(views[0].stages[0].tasks.running, stages.stages()[0].tasks());

        let (second, stages, state) = two_stage_job("second").await;
        history.submitted(&second, "s", label("bob"), &stages, SystemTime::now());
        assert_eq!(
            history.views(&state, SystemTime::now()).len(),
            2,
            "running jobs always stay"
        );
        history.ended(
            &second,
            (JobState::Succeeded, None),
            &state,
            SystemTime::now(),
        );
        let views = history.views(&forgotten, SystemTime::now());
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].job_id, "second");
        assert!(!history.knows(&first));
    }
}
