//! Prometheus metrics of the scheduler ([`SchedulerMetrics`]), served as text exposition at
//! `/api/metrics` on the scheduler's port.

mod scheduler_metrics;

pub use scheduler_metrics::SchedulerMetrics;
