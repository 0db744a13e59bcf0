//! [`ExecutorMetrics`]: what an executor counts, served as Prometheus text at
//! `GET /api/metrics` on its Flight port's HTTP side ([`executor_metrics_routes`]).
//!
//! The route is unauthenticated, like `/healthz` beside it: the executor's port is
//! cluster-internal (with cluster TLS, only holders of a cluster certificate reach it).
//! Fetched shuffle bytes are not observable where tasks read them (the shuffle reader
//! decodes batches as they stream in), so the executor counts what its Flight service
//! serves instead: every peer's fetch from it, and the scheduler's reads of its results.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use http::header::CONTENT_TYPE;
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use trebuchet_shuffle::ShuffleMemory;

use super::{PROMETHEUS_TEXT_FORMAT, register, render_text};
use crate::protocol::{TaskOutcomeMessage, TaskStatus};

/// Every value of the `outcome` label of `trebuchet_executor_tasks_total`.
const TASK_OUTCOMES: [&str; 3] = ["succeeded", "failed", "cancelled"];

/// One executor's metrics, in a registry of its own: a standalone process runs several
/// executors.
#[derive(Debug)]
pub(crate) struct ExecutorMetrics {
    registry: Registry,
    tasks: IntCounterVec,
    tasks_running: IntGauge,
    shuffle_bytes_written: IntCounter,
    spilled_bytes: IntCounter,
    spills: IntCounter,
    flight_bytes_served: IntCounter,
    shuffle_memory_bytes: IntGauge,
    /// Read when the metrics are rendered.
    shuffle_memory: Option<ShuffleMemory>,
}

impl ExecutorMetrics {
    /// The metrics of an executor keeping shuffle output in `shuffle_memory`, if any.
    pub(crate) fn new(shuffle_memory: Option<ShuffleMemory>) -> Self {
        let registry = Registry::new();
        let tasks = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "trebuchet_executor_tasks_total",
                    "Tasks this executor ran, by outcome; cancelled: their job ended first.",
                ),
                &["outcome"],
            ),
        );
        for outcome in TASK_OUTCOMES {
            tasks.with_label_values(&[outcome]);
        }
        Self {
            tasks,
            tasks_running: register(
                &registry,
                IntGauge::new(
                    "trebuchet_executor_tasks_running",
                    "Tasks running now (holding a task slot).",
                ),
            ),
            shuffle_bytes_written: register(
                &registry,
                IntCounter::new(
                    "trebuchet_executor_shuffle_bytes_written_total",
                    "Bytes of shuffle and result output its successful tasks wrote, to files or kept in memory.",
                ),
            ),
            spilled_bytes: register(
                &registry,
                IntCounter::new(
                    "trebuchet_executor_spilled_bytes_total",
                    "Bytes its tasks spilled to disk, failed ones included.",
                ),
            ),
            spills: register(
                &registry,
                IntCounter::new(
                    "trebuchet_executor_spills_total",
                    "Times its tasks spilled to disk.",
                ),
            ),
            flight_bytes_served: register(
                &registry,
                IntCounter::new(
                    "trebuchet_executor_flight_bytes_served_total",
                    "Bytes of gRPC messages its Flight service sent in answer to DoGet: shuffle fetches by other executors and result reads by the scheduler.",
                ),
            ),
            shuffle_memory_bytes: register(
                &registry,
                IntGauge::new(
                    "trebuchet_executor_shuffle_memory_bytes",
                    "Bytes of shuffle output kept in memory now, under the --shuffle-memory-size budget this executor has (in standalone, shared by its executors).",
                ),
            ),
            shuffle_memory,
            registry,
        }
    }

    /// Counts a task as running until the returned guard is dropped (it ended, or was
    /// aborted).
    pub(crate) fn task_running(&self) -> RunningTask {
        self.tasks_running.inc();
        RunningTask(self.tasks_running.clone())
    }

    /// A task ran to the end and is reported to the scheduler as `status` says.
    pub(crate) fn task_reported(&self, status: &TaskStatus) {
        match &status.outcome {
            Some(TaskOutcomeMessage::Succeeded(succeeded)) => {
                self.task_succeeded(succeeded.files.iter().map(|file| file.num_bytes).sum());
            }
            Some(TaskOutcomeMessage::Failed(_)) | None => self.task_failed(),
        }
    }

    /// A task succeeded, having written `shuffle_bytes` of files.
    fn task_succeeded(&self, shuffle_bytes: u64) {
        self.tasks.with_label_values(&["succeeded"]).inc();
        self.shuffle_bytes_written.inc_by(shuffle_bytes);
    }

    fn task_failed(&self) {
        self.tasks.with_label_values(&["failed"]).inc();
    }

    /// A task's job ended first: the task was stopped, or its outcome is not reported.
    pub(crate) fn task_cancelled(&self) {
        self.tasks.with_label_values(&["cancelled"]).inc();
    }

    /// A task spilled `spills` times, `bytes` in all.
    pub(crate) fn spilled(&self, spills: u64, bytes: u64) {
        self.spills.inc_by(spills);
        self.spilled_bytes.inc_by(bytes);
    }

    /// The counter of bytes the Flight service sends in answer to DoGet.
    pub(crate) fn flight_bytes_served(&self) -> IntCounter {
        self.flight_bytes_served.clone()
    }

    /// The Prometheus text exposition of every metric.
    pub(crate) fn render(&self) -> String {
        let kept = self.shuffle_memory.as_ref().map_or(0, ShuffleMemory::used);
        self.shuffle_memory_bytes
            .set(i64::try_from(kept).unwrap_or(i64::MAX));
        render_text(&self.registry.gather())
    }
}

/// A running task, as [`ExecutorMetrics`] counts it.
#[derive(Debug)]
pub(crate) struct RunningTask(IntGauge);

impl Drop for RunningTask {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `GET /api/metrics`: `metrics` as Prometheus text.
pub(crate) fn executor_metrics_routes(metrics: Arc<ExecutorMetrics>) -> Router {
    Router::new().route(
        "/api/metrics",
        get(move || {
            let text = metrics.render();
            async move { ([(CONTENT_TYPE, PROMETHEUS_TEXT_FORMAT)], text) }
        }),
    )
}

#[cfg(test)]
mod tests {
    use prometheus_parse::{Scrape, Value};

    use super::*;

    #[test]
    fn counts_tasks_and_bytes_and_running_tasks_until_they_end() {
        let metrics = ExecutorMetrics::new(None);
        let running = metrics.task_running();
        let ended = metrics.task_running();
        drop(ended);
        metrics.task_succeeded(1_000);
        metrics.task_succeeded(24);
        metrics.task_failed();
        metrics.spilled(2, 4_096);
        metrics.flight_bytes_served().inc_by(77);

        let scrape = parse(&metrics.render());

        assert_eq!(
            value(&scrape, "trebuchet_executor_tasks_running", None),
            1.0
        );
        let tasks = "trebuchet_executor_tasks_total";
        assert_eq!(value(&scrape, tasks, Some("succeeded")), 2.0);
        assert_eq!(value(&scrape, tasks, Some("failed")), 1.0);
        assert_eq!(value(&scrape, tasks, Some("cancelled")), 0.0);
        let written = "trebuchet_executor_shuffle_bytes_written_total";
        assert_eq!(value(&scrape, written, None), 1_024.0);
        assert_eq!(value(&scrape, "trebuchet_executor_spills_total", None), 2.0);
        let spilled = "trebuchet_executor_spilled_bytes_total";
        assert_eq!(value(&scrape, spilled, None), 4_096.0);
        let served = "trebuchet_executor_flight_bytes_served_total";
        assert_eq!(value(&scrape, served, None), 77.0);
        let kept = "trebuchet_executor_shuffle_memory_bytes";
        assert_eq!(value(&scrape, kept, None), 0.0, "no budget, nothing kept");
        drop(running);
        let scrape = parse(&metrics.render());
        assert_eq!(
            value(&scrape, "trebuchet_executor_tasks_running", None),
            0.0
        );
    }

    fn parse(text: &str) -> Scrape {
        Scrape::parse(text.lines().map(|line| Ok(line.to_string()))).unwrap()
    }

    fn value(scrape: &Scrape, name: &str, outcome: Option<&str>) -> f64 {
        let sample = scrape
            .samples
            .iter()
            .find(|sample| sample.metric == name && sample.labels.get("outcome") == outcome)
            .unwrap_or_else(|| panic!("no sample {name} {outcome:?}"));
        match sample.value {
            Value::Counter(value) | Value::Gauge(value) => value,
            ref other => panic!("{name}: {other:?}"),
        }
    }
}
