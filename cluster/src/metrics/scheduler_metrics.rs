//! [`SchedulerMetrics`]: what the scheduler counts, and the Prometheus text it serves.
//!
//! Counters and histograms are updated where things happen (the event loop, the Flight
//! SQL front door); gauges of what runs now are computed when the text is rendered, from
//! the same [`ClusterView`] the REST API and the UI show, so they never disagree.

use std::time::Duration;

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

use super::{register, render_text};
use crate::scheduler::{ClusterView, ExecutorState, JobState, StageState};

/// Buckets of job and stage durations, in seconds: from interactive queries to long batch
/// jobs.
const DURATION_BUCKETS: [f64; 14] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0,
];

/// Buckets of Flight call latency, in seconds: most calls answer in milliseconds, a
/// `GetFlightInfo` runs every stage before the final one.
const CALL_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 300.0,
];

/// Every value of the `outcome` label of `trebuchet_jobs_total`, shown from the start.
const JOB_OUTCOMES: [&str; 4] = ["succeeded", "failed", "cancelled", "timed_out"];

/// Every value of the `outcome` label of `trebuchet_tasks_total`.
const TASK_OUTCOMES: [&str; 2] = ["succeeded", "failed"];

/// Executor states a gauge is kept for: the departed ones are counted by
/// `trebuchet_executors_lost_total`, the view keeps only the most recent of them.
const LIVE_EXECUTOR_STATES: [ExecutorState; 2] = [ExecutorState::Alive, ExecutorState::Draining];

/// The scheduler process's metrics. Each instance has a registry of its own (never the
/// global one): a test or a standalone process may run several schedulers.
#[derive(Debug)]
pub struct SchedulerMetrics {
    registry: Registry,
    jobs: IntCounterVec,
    job_duration: Histogram,
    stage_duration: Histogram,
    tasks: IntCounterVec,
    shuffle_bytes_written: IntCounter,
    spilled_bytes: IntCounter,
    executors_lost: IntCounter,
    result_bytes: IntCounter,
    flight_calls: IntCounterVec,
    flight_call_duration: HistogramVec,
}

impl Default for SchedulerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl SchedulerMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let jobs = register(
            &registry,
            IntCounterVec::new(
                Opts::new("trebuchet_jobs_total", "Jobs ended, by outcome."),
                &["outcome"],
            ),
        );
        for outcome in JOB_OUTCOMES {
            jobs.with_label_values(&[outcome]);
        }
        let tasks = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "trebuchet_tasks_total",
                    "Task attempts whose report the scheduler accepted, by outcome.",
                ),
                &["outcome"],
            ),
        );
        for outcome in TASK_OUTCOMES {
            tasks.with_label_values(&[outcome]);
        }
        Self {
            jobs,
            job_duration: register(
                &registry,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "trebuchet_job_duration_seconds",
                        "Time from a job's submission to its end, whatever the outcome.",
                    )
                    .buckets(DURATION_BUCKETS.to_vec()),
                ),
            ),
            stage_duration: register(
                &registry,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "trebuchet_stage_duration_seconds",
                        "Time from a stage's first task launch to its last task's success.",
                    )
                    .buckets(DURATION_BUCKETS.to_vec()),
                ),
            ),
            tasks,
            shuffle_bytes_written: register(
                &registry,
                IntCounter::new(
                    "trebuchet_shuffle_bytes_written_total",
                    "Bytes of shuffle and result files written by accepted task successes.",
                ),
            ),
            spilled_bytes: register(
                &registry,
                IntCounter::new(
                    "trebuchet_spilled_bytes_total",
                    "Bytes spilled to disk by accepted task successes.",
                ),
            ),
            executors_lost: register(
                &registry,
                IntCounter::new(
                    "trebuchet_executors_lost_total",
                    "Executors declared lost (silent past their deadline, or unreachable).",
                ),
            ),
            result_bytes: register(
                &registry,
                IntCounter::new(
                    "trebuchet_result_bytes_total",
                    "Arrow IPC bytes (FlightData header and body) streamed to clients by DoGet.",
                ),
            ),
            flight_calls: register(
                &registry,
                IntCounterVec::new(
                    Opts::new(
                        "trebuchet_flight_calls_total",
                        "Flight SQL calls ended, by method and gRPC status code.",
                    ),
                    &["method", "code"],
                ),
            ),
            flight_call_duration: register(
                &registry,
                HistogramVec::new(
                    HistogramOpts::new(
                        "trebuchet_flight_call_duration_seconds",
                        "Time from a Flight SQL call's arrival to its response headers, by method.",
                    )
                    .buckets(CALL_BUCKETS.to_vec()),
                    &["method"],
                ),
            ),
            registry,
        }
    }

    /// A job ended in `state` after running for `duration`; `timed_out` tells a job
    /// cancelled by its `ballista.job.timeout` from one a user cancelled.
    pub(crate) fn job_ended(&self, state: JobState, timed_out: bool, duration: Duration) {
        let outcome = match state {
            JobState::Cancelled if timed_out => "timed_out",
            other => other.as_str(),
        };
        self.jobs.with_label_values(&[outcome]).inc();
        self.job_duration.observe(duration.as_secs_f64());
    }

    /// Every task of a stage has succeeded, `duration` after its first launch.
    pub(crate) fn stage_succeeded(&self, duration: Duration) {
        self.stage_duration.observe(duration.as_secs_f64());
    }

    /// An accepted task success, with what it wrote and spilled.
    pub(crate) fn task_succeeded(&self, shuffle_bytes: u64, spilled_bytes: u64) {
        self.tasks.with_label_values(&["succeeded"]).inc();
        self.shuffle_bytes_written.inc_by(shuffle_bytes);
        self.spilled_bytes.inc_by(spilled_bytes);
    }

    /// An accepted task failure (retried or not).
    pub(crate) fn task_failed(&self) {
        self.tasks.with_label_values(&["failed"]).inc();
    }

    pub(crate) fn executor_lost(&self) {
        self.executors_lost.inc();
    }

    /// Bytes of Arrow IPC data sent to a client.
    pub fn result_bytes_sent(&self, bytes: u64) {
        self.result_bytes.inc_by(bytes);
    }

    /// A Flight call of `method` answered its headers `latency` after it arrived. The
    /// caller bounds `method` to the Flight service's method names.
    pub fn flight_call_answered(&self, method: &'static str, latency: Duration) {
        self.flight_call_duration
            .with_label_values(&[method])
            .observe(latency.as_secs_f64());
    }

    /// A Flight call of `method` ended with the gRPC status `code` (its canonical name, e.g. `INVALID_ARGUMENT`).
    pub fn flight_call_ended(&self, method: &'static str, code: &'static str) {
        self.flight_calls.with_label_values(&[method, code]).inc();
    }

    /// The Prometheus text exposition of every metric; gauges of what runs now are read
    /// from `view`, and `sessions_open` from the front door.
    pub fn render(&self, view: &ClusterView, sessions_open: usize) -> String {
        // The gauges live in a registry of this scrape only: two scrapes at once cannot
        // mix each other's values.
        let now = Registry::new();
        let gauge = |name: &str, help: &str, value: usize| {
            register(&now, IntGauge::new(name, help)).set(saturating_i64(value));
        };
        let running_jobs = view
            .jobs
            .iter()
            .filter(|job| job.state == JobState::Running);
        let running_stages = running_jobs
            .clone()
            .flat_map(|job| &job.stages)
            .filter(|stage| stage.state == StageState::Running);
        gauge(
            "trebuchet_jobs_running",
            "Jobs running now.",
            running_jobs.clone().count(),
        );
        gauge(
            "trebuchet_tasks_running",
            "Tasks of running jobs placed on an executor now.",
            running_jobs
                .flat_map(|job| &job.stages)
                .map(|stage| stage.tasks.running)
                .sum(),
        );
        gauge(
            "trebuchet_tasks_queued",
            "Tasks of running stages waiting for a task slot.",
            running_stages.map(|stage| stage.tasks.waiting).sum(),
        );
        gauge(
            "trebuchet_sessions_open",
            "Flight SQL sessions open.",
            sessions_open,
        );
        let executors = register(
            &now,
            IntGaugeVec::new(
                Opts::new("trebuchet_executors", "Live executors, by state."),
                &["state"],
            ),
        );
        for state in LIVE_EXECUTOR_STATES {
            let count = view
                .executors
                .iter()
                .filter(|executor| executor.state == state)
                .count();
            executors
                .with_label_values(&[state.as_str()])
                .set(saturating_i64(count));
        }
        let mut families = self.registry.gather();
        families.extend(now.gather());
        families.sort_by(|a, b| a.name().cmp(b.name()));
        render_text(&families)
    }
}

fn saturating_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use prometheus_parse::{Scrape, Value};

    use super::*;
    use crate::scheduler::{ExecutorView, JobView, StageView, TaskCounts};

    #[test]
    fn renders_what_was_recorded_as_parseable_text() {
        let metrics = SchedulerMetrics::new();
        metrics.job_ended(JobState::Succeeded, false, Duration::from_millis(300));
        metrics.job_ended(JobState::Succeeded, false, Duration::from_secs(3));
        metrics.job_ended(JobState::Failed, false, Duration::from_secs(1));
        metrics.job_ended(JobState::Cancelled, true, Duration::from_secs(20));
        metrics.stage_succeeded(Duration::from_millis(70));
        metrics.task_succeeded(1_000, 200);
        metrics.task_succeeded(500, 0);
        metrics.task_failed();
        metrics.executor_lost();
        metrics.result_bytes_sent(4_096);
        metrics.flight_call_answered("DoGet", Duration::from_millis(2));
        metrics.flight_call_ended("DoGet", "OK");
        metrics.flight_call_ended("DoGet", "OK");
        metrics.flight_call_ended("GetFlightInfo", "INVALID_ARGUMENT");

        let scrape = parse(&metrics.render(&view(), 3));

        assert_eq!(
            value(&scrape, "trebuchet_jobs_total", &[("outcome", "succeeded")]),
            2.0
        );
        assert_eq!(
            value(&scrape, "trebuchet_jobs_total", &[("outcome", "failed")]),
            1.0
        );
        assert_eq!(
            value(&scrape, "trebuchet_jobs_total", &[("outcome", "cancelled")]),
            0.0
        );
        assert_eq!(
            value(&scrape, "trebuchet_jobs_total", &[("outcome", "timed_out")]),
            1.0
        );
        assert_eq!(
            value(
                &scrape,
                "trebuchet_tasks_total",
                &[("outcome", "succeeded")]
            ),
            2.0
        );
        assert_eq!(
            value(&scrape, "trebuchet_tasks_total", &[("outcome", "failed")]),
            1.0
        );
        assert_eq!(
            value(&scrape, "trebuchet_shuffle_bytes_written_total", &[]),
            1_500.0
        );
        assert_eq!(value(&scrape, "trebuchet_spilled_bytes_total", &[]), 200.0);
        assert_eq!(value(&scrape, "trebuchet_executors_lost_total", &[]), 1.0);
        assert_eq!(value(&scrape, "trebuchet_result_bytes_total", &[]), 4_096.0);
        assert_eq!(
            value(
                &scrape,
                "trebuchet_flight_calls_total",
                &[("method", "DoGet"), ("code", "OK")]
            ),
            2.0
        );
        assert_eq!(
            value(
                &scrape,
                "trebuchet_flight_calls_total",
                &[("method", "GetFlightInfo"), ("code", "INVALID_ARGUMENT")]
            ),
            1.0
        );
        let jobs = histogram(&scrape, "trebuchet_job_duration_seconds", &[]);
        assert_eq!(jobs.count, 4.0);
        assert!((jobs.sum - 24.3).abs() < 1e-9, "{}", jobs.sum);
        assert_eq!(jobs.at_most(0.5), 1.0);
        assert_eq!(jobs.at_most(5.0), 3.0);
        assert_eq!(jobs.at_most(f64::INFINITY), 4.0);
        let stages = histogram(&scrape, "trebuchet_stage_duration_seconds", &[]);
        assert_eq!((stages.count, stages.at_most(0.1)), (1.0, 1.0));
        let calls = histogram(
            &scrape,
            "trebuchet_flight_call_duration_seconds",
            &[("method", "DoGet")],
        );
        assert_eq!((calls.count, calls.at_most(0.0025)), (1.0, 1.0));
        // Gauges come from the view.
        assert_eq!(value(&scrape, "trebuchet_jobs_running", &[]), 1.0);
        assert_eq!(value(&scrape, "trebuchet_tasks_running", &[]), 2.0);
        assert_eq!(value(&scrape, "trebuchet_tasks_queued", &[]), 3.0);
        assert_eq!(value(&scrape, "trebuchet_sessions_open", &[]), 3.0);
        assert_eq!(
            value(&scrape, "trebuchet_executors", &[("state", "alive")]),
            2.0
        );
        assert_eq!(
            value(&scrape, "trebuchet_executors", &[("state", "draining")]),
            1.0
        );
    }

    #[test]
    fn two_instances_count_apart() {
        let (first, second) = (SchedulerMetrics::new(), SchedulerMetrics::new());
        first.executor_lost();

        let scrape = parse(&second.render(&empty_view(), 0));

        assert_eq!(value(&scrape, "trebuchet_executors_lost_total", &[]), 0.0);
        assert_eq!(value(&scrape, "trebuchet_jobs_running", &[]), 0.0);
    }

    /// A running job with a finished stage (its tasks are not counted), a running stage
    /// (2 running, 3 waiting) and a stage waiting on it (its tasks are not queued yet);
    /// an ended job; executors alive, draining and departed.
    fn view() -> ClusterView {
        let running = JobView {
            state: JobState::Running,
            stages: vec![
                stage(StageState::Succeeded, counts(4, 0, 0, 4)),
                stage(StageState::Running, counts(6, 3, 2, 1)),
                stage(StageState::Waiting, counts(2, 2, 0, 0)),
            ],
            ..job()
        };
        let ended = JobView {
            state: JobState::Failed,
            stages: vec![stage(StageState::Stopped, counts(3, 3, 0, 0))],
            ..job()
        };
        ClusterView {
            jobs: vec![running, ended],
            executors: vec![
                executor(ExecutorState::Alive),
                executor(ExecutorState::Alive),
                executor(ExecutorState::Draining),
                executor(ExecutorState::Lost),
                executor(ExecutorState::Left),
            ],
            ..empty_view()
        }
    }

    fn empty_view() -> ClusterView {
        ClusterView {
            started_at_ms: 0,
            jobs: Vec::new(),
            executors: Vec::new(),
        }
    }

    fn job() -> JobView {
        JobView {
            job_id: "job".into(),
            session_id: "session".into(),
            user: None,
            sql: "SELECT 1".into(),
            state: JobState::Running,
            error: None,
            submitted_at_ms: 0,
            ended_at_ms: None,
            duration_ms: 0,
            rows_out: 0,
            stages: Vec::new(),
        }
    }

    fn stage(state: StageState, tasks: TaskCounts) -> StageView {
        StageView {
            stage_id: 1,
            inputs: Vec::new(),
            state,
            output_partitioning: String::new(),
            plan: String::new(),
            tasks,
            rows_out: 0,
            bytes_out: 0,
            spilled_bytes: 0,
            task_time_ms: 0,
            duration_ms: None,
            task_list: Vec::new(),
            operators: Vec::new(),
            adaptive_changes: Vec::new(),
        }
    }

    fn counts(total: usize, waiting: usize, running: usize, succeeded: usize) -> TaskCounts {
        TaskCounts {
            total,
            waiting,
            running,
            succeeded,
            skipped: 0,
        }
    }

    fn executor(state: ExecutorState) -> ExecutorView {
        ExecutorView {
            executor_id: "executor".into(),
            flight_url: String::new(),
            slots: 2,
            running_tasks: 0,
            state,
            registered_at_ms: 0,
            last_seen_ms: 0,
        }
    }

    fn parse(text: &str) -> Scrape {
        Scrape::parse(text.lines().map(|line| Ok(line.to_string()))).unwrap()
    }

    fn sample<'a>(scrape: &'a Scrape, name: &str, labels: &[(&str, &str)]) -> &'a Value {
        let wanted: HashMap<String, String> = labels
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        &scrape
            .samples
            .iter()
            .find(|sample| sample.metric == name && *sample.labels == wanted)
            .unwrap_or_else(|| panic!("no sample {name} {labels:?} in {:?}", scrape.samples))
            .value
    }

    fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
        match sample(scrape, name, labels) {
            Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => *value,
            other => panic!("{name} is not a single value: {other:?}"),
        }
    }

    struct Buckets {
        count: f64,
        sum: f64,
        /// (upper bound, cumulative count)
        buckets: Vec<(f64, f64)>,
    }

    impl Buckets {
        fn at_most(&self, bound: f64) -> f64 {
            self.buckets
                .iter()
                .find(|(less_than, _)| *less_than == bound)
                .map(|(_, count)| *count)
                .unwrap_or_else(|| panic!("no bucket {bound}"))
        }
    }

    fn histogram(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Buckets {
        match sample(scrape, name, labels) {
            Value::Histogram(buckets) => {
                let mut buckets: Vec<(f64, f64)> = buckets
                    .iter()
                    .map(|bucket| (bucket.less_than, bucket.count))
                    .collect();
                buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
                // prometheus-parse keeps a histogram's `_count` and `_sum` as samples of
                // their own.
                let count = value(scrape, &format!("{name}_count"), labels);
                let sum = value(scrape, &format!("{name}_sum"), labels);
                Buckets {
                    count,
                    sum,
                    buckets,
                }
            }
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    }
}
