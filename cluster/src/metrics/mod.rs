//! Prometheus metrics of the scheduler ([`SchedulerMetrics`]) and of each executor
//! ([`ExecutorMetrics`]), served as text exposition at `/api/metrics` on their ports.
//! Every instance has a registry of its own, never the process-wide default one.

mod executor_metrics;
mod scheduler_metrics;
mod served_bytes;

pub(crate) use executor_metrics::{ExecutorMetrics, executor_metrics_routes};
pub use scheduler_metrics::SchedulerMetrics;
pub(crate) use served_bytes::ServedBytesLayer;

/// The `Content-Type` of the Prometheus text exposition format.
pub const PROMETHEUS_TEXT_FORMAT: &str = prometheus::TEXT_FORMAT;

/// Registers `metric` with `registry`, handing it back.
fn register<M>(registry: &prometheus::Registry, metric: prometheus::Result<M>) -> M
where
    M: prometheus::core::Collector + Clone + 'static,
{
    let metric = metric.expect("metric names, help texts and labels here are valid constants");
    registry
        .register(Box::new(metric.clone()))
        .expect("each metric is registered once in its own registry");
    metric
}

/// `families` in the Prometheus text format.
fn render_text(families: &[prometheus::proto::MetricFamily]) -> String {
    let mut text = String::new();
    // Only a family without a name or without samples is refused, and gathering leaves
    // those out.
    if let Err(err) = prometheus::TextEncoder::new().encode_utf8(families, &mut text) {
        tracing::error!(error = %err, "could not encode the metrics");
    }
    text
}
