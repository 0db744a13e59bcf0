//! [`SchedulerMetrics`]: what the scheduler counts, and the Prometheus text it serves.

use crate::scheduler::ClusterView;

/// The scheduler process's metrics registry.
#[derive(Debug, Default)]
pub struct SchedulerMetrics {}

impl SchedulerMetrics {
    pub fn new() -> Self {
        Self {}
    }

    /// The Prometheus text exposition of every metric; gauges of what runs now are read
    /// from `view`, and `sessions_open` from the front door.
    pub fn render(&self, view: &ClusterView, sessions_open: usize) -> String {
        let _ = (view, sessions_open);
        String::new()
    }
}
