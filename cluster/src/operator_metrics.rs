//! Operator metrics across the wire: an executor flattens the plan a task ran into one
//! [`OperatorMetrics`] per operator ([`operators_of`]); the scheduler sums them over a
//! stage's tasks ([`add_operators`]) and prints them the way DataFusion's own
//! `EXPLAIN ANALYZE` does ([`metrics_text`]), by rebuilding DataFusion's metric values and
//! letting its `Display` word them.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::metrics::{
    Count, Gauge, Metric, MetricType, MetricValue, MetricsSet, Time,
};
use datafusion::physical_plan::{ExecutionPlan, displayable};

use crate::protocol::{MetricEntry, OperatorMetrics};

/// How a metric's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Count,
    Bytes,
    /// Nanoseconds.
    Time,
    /// A level rather than a total (peak memory): the stage shows the largest task's.
    Gauge,
}

impl MetricKind {
    pub fn to_wire(self) -> u32 {
        match self {
            Self::Count => 0,
            Self::Bytes => 1,
            Self::Time => 2,
            Self::Gauge => 3,
        }
    }

    pub fn from_wire(kind: u32) -> Self {
        match kind {
            1 => Self::Bytes,
            2 => Self::Time,
            3 => Self::Gauge,
            _ => Self::Count,
        }
    }
}

/// Every operator of `plan` in pre-order, with its metrics summed over partitions. The
/// [`CooperativeExec`]s the executor wraps operators in are ours, not the query's: left out.
pub(crate) fn operators_of(plan: &dyn ExecutionPlan) -> Vec<OperatorMetrics> {
    fn visit(plan: &dyn ExecutionPlan, depth: u32, out: &mut Vec<OperatorMetrics>) {
        let depth = if plan.is::<CooperativeExec>() {
            depth
        } else {
            out.push(OperatorMetrics {
                depth,
                operator: displayable(plan)
                    .one_line()
                    .to_string()
                    .trim_end()
                    .to_string(),
                metrics: plan.metrics().map(|set| entries(&set)).unwrap_or_default(),
            });
            depth + 1
        };
        for child in plan.children() {
            visit(child.as_ref(), depth, out);
        }
    }
    let mut out = Vec::new();
    visit(plan, 0, &mut out);
    out
}

fn entries(set: &MetricsSet) -> Vec<MetricEntry> {
    let mut summed: BTreeMap<String, MetricEntry> = BTreeMap::new();
    for metric in set.iter() {
        let Some((kind, value)) = kind_and_value(metric.value()) else {
            continue;
        };
        let name = metric.value().name().to_string();
        let entry = summed.entry(name.clone()).or_insert_with(|| MetricEntry {
            name,
            kind: kind.to_wire(),
            value: 0,
            summary: metric.metric_type() == MetricType::Summary,
        });
        entry.value = combine(kind, entry.value, value);
    }
    summed.into_values().collect()
}

/// The kinds we carry; timestamps, ratios, pruning and custom metrics are left out.
fn kind_and_value(value: &MetricValue) -> Option<(MetricKind, u64)> {
    let number = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Some(match value {
        MetricValue::OutputRows(count)
        | MetricValue::OutputBatches(count)
        | MetricValue::SpillCount(count)
        | MetricValue::SpilledRows(count)
        | MetricValue::Count { count, .. } => (MetricKind::Count, number(count.value())),
        MetricValue::SpilledBytes(count) | MetricValue::OutputBytes(count) => {
            (MetricKind::Bytes, number(count.value()))
        }
        MetricValue::ElapsedCompute(time) | MetricValue::Time { time, .. } => {
            (MetricKind::Time, number(time.value()))
        }
        MetricValue::PeakMemoryUsage { gauge, .. } => (MetricKind::Gauge, number(gauge.value())),
        _ => return None,
    })
}

fn combine(kind: MetricKind, a: u64, b: u64) -> u64 {
    match kind {
        MetricKind::Gauge => a.max(b),
        _ => a.saturating_add(b),
    }
}

/// Adds one task's operators to a stage's sums. Every task of a stage runs the same plan;
/// a task whose plan differs in shape (it should not happen) is left out rather than
/// mixed into the wrong operators.
pub(crate) fn add_operators(sums: &mut Vec<OperatorMetrics>, task: &[OperatorMetrics]) {
    if sums.is_empty() {
        sums.extend_from_slice(task);
        return;
    }
    let same_shape =
        sums.len() == task.len() && sums.iter().zip(task).all(|(sum, op)| sum.depth == op.depth);
    if !same_shape {
        return;
    }
    for (sum, op) in sums.iter_mut().zip(task) {
        for entry in &op.metrics {
            match sum
                .metrics
                .iter_mut()
                .find(|known| known.name == entry.name)
            {
                Some(known) => {
                    known.value =
                        combine(MetricKind::from_wire(entry.kind), known.value, entry.value);
                }
                None => sum.metrics.push(entry.clone()),
            }
        }
    }
}

/// `metrics` as DataFusion's `EXPLAIN ANALYZE` prints them (`output_rows=6.00 K,
/// elapsed_compute=1.2ms, …`), at the level `datafusion.explain.analyze_level` asks for.
pub fn metrics_text(metrics: &[MetricEntry], level: MetricType) -> String {
    let mut set = MetricsSet::new();
    for entry in metrics {
        set.push(Arc::new(Metric::new(metric_value(entry), None).with_type(
            if entry.summary {
                MetricType::Summary
            } else {
                MetricType::Dev
            },
        )));
    }
    set.filter_by_metric_types(&level.included_types())
        .aggregate_by_name()
        .sorted_for_display()
        .timestamps_removed()
        .to_string()
}

fn metric_value(entry: &MetricEntry) -> MetricValue {
    let value = usize::try_from(entry.value).unwrap_or(usize::MAX);
    let count = || {
        let count = Count::new();
        count.add(value);
        count
    };
    let name = entry.name.clone().into();
    match (MetricKind::from_wire(entry.kind), entry.name.as_str()) {
        (MetricKind::Count, "output_rows") => MetricValue::OutputRows(count()),
        (MetricKind::Count, "output_batches") => MetricValue::OutputBatches(count()),
        (MetricKind::Count, "spill_count") => MetricValue::SpillCount(count()),
        (MetricKind::Count, "spilled_rows") => MetricValue::SpilledRows(count()),
        (MetricKind::Count, _) => MetricValue::Count {
            name,
            count: count(),
        },
        (MetricKind::Bytes, "output_bytes") => MetricValue::OutputBytes(count()),
        (MetricKind::Bytes, _) => MetricValue::SpilledBytes(count()),
        (MetricKind::Time, kind) => {
            let time = Time::new();
            time.add_duration(std::time::Duration::from_nanos(entry.value));
            if kind == "elapsed_compute" {
                MetricValue::ElapsedCompute(time)
            } else {
                MetricValue::Time { name, time }
            }
        }
        (MetricKind::Gauge, _) => {
            let gauge = Gauge::new();
            gauge.set(value);
            MetricValue::PeakMemoryUsage { name, gauge }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, kind: MetricKind, value: u64) -> MetricEntry {
        MetricEntry {
            name: name.into(),
            kind: kind.to_wire(),
            value,
            summary: true,
        }
    }

    fn operator(depth: u32, metrics: Vec<MetricEntry>) -> OperatorMetrics {
        OperatorMetrics {
            depth,
            operator: format!("Op{depth}"),
            metrics,
        }
    }

    #[test]
    fn tasks_of_a_stage_add_up_and_peaks_take_the_largest() {
        let task = |rows, peak| {
            vec![
                operator(0, vec![entry("output_rows", MetricKind::Count, rows)]),
                operator(1, vec![entry("peak_mem_used", MetricKind::Gauge, peak)]),
            ]
        };
        let mut sums = Vec::new();
        add_operators(&mut sums, &task(10, 100));
        add_operators(&mut sums, &task(5, 300));
        assert_eq!(sums[0].metrics[0].value, 15);
        assert_eq!(sums[1].metrics[0].value, 300);
        // A plan of another shape is not mixed in.
        add_operators(&mut sums, &task(1, 1)[..1]);
        assert_eq!(sums[0].metrics[0].value, 15);
    }

    #[test]
    fn metrics_read_as_datafusion_prints_them() {
        let text = metrics_text(
            &[
                entry("output_rows", MetricKind::Count, 6001),
                entry("elapsed_compute", MetricKind::Time, 1_500_000),
                MetricEntry {
                    summary: false,
                    ..entry("spill_count", MetricKind::Count, 0)
                },
            ],
            MetricType::Summary,
        );
        assert!(text.contains("output_rows=6.00 K"), "{text}");
        assert!(text.contains("elapsed_compute=1.50ms"), "{text}");
        assert!(
            !text.contains("spill_count"),
            "dev metrics hidden at summary: {text}"
        );
    }
}
