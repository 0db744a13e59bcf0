//! How much the tasks of an executor spilled: each task's plan tree is summed once it ends
//! ([`SpillMetrics::of_plan`]) and added to the executor's running totals ([`SpillTotals`]).

use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::physical_plan::ExecutionPlan;

/// What one plan tree spilled, summed over its operators and partitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SpillMetrics {
    pub(crate) spill_count: u64,
    pub(crate) spilled_bytes: u64,
    pub(crate) spilled_rows: u64,
}

impl SpillMetrics {
    /// The spills DataFusion's operators recorded in `plan` and its descendants.
    pub(crate) fn of_plan(plan: &dyn ExecutionPlan) -> Self {
        let mut total = Self::default();
        if let Some(metrics) = plan.metrics() {
            let count = |value: Option<usize>| value.map_or(0, |value| value as u64);
            total.spill_count += count(metrics.spill_count());
            total.spilled_bytes += count(metrics.spilled_bytes());
            total.spilled_rows += count(metrics.spilled_rows());
        }
        for child in plan.children() {
            let spilled = Self::of_plan(child.as_ref());
            total.spill_count += spilled.spill_count;
            total.spilled_bytes += spilled.spilled_bytes;
            total.spilled_rows += spilled.spilled_rows;
        }
        total
    }
}

/// The spills of every task an executor ran, since it started.
#[derive(Debug, Default)]
pub(crate) struct SpillTotals {
    spill_count: AtomicU64,
    spilled_bytes: AtomicU64,
    spilled_rows: AtomicU64,
}

impl SpillTotals {
    pub(crate) fn add(&self, spilled: SpillMetrics) {
        self.spill_count
            .fetch_add(spilled.spill_count, Ordering::Relaxed);
        self.spilled_bytes
            .fetch_add(spilled.spilled_bytes, Ordering::Relaxed);
        self.spilled_rows
            .fetch_add(spilled.spilled_rows, Ordering::Relaxed);
    }

    pub(crate) fn spill_count(&self) -> u64 {
        self.spill_count.load(Ordering::Relaxed)
    }

    pub(crate) fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes.load(Ordering::Relaxed)
    }

    pub(crate) fn spilled_rows(&self) -> u64 {
        self.spilled_rows.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::execution::TaskContext;
    use datafusion::execution::memory_pool::FairSpillPool;
    use datafusion::execution::runtime_env::RuntimeEnvBuilder;
    use datafusion::physical_expr::expressions::col;
    use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
    use datafusion::physical_plan::sorts::sort::SortExec;
    use datafusion::physical_plan::{ExecutionPlan, collect};
    use datafusion::prelude::SessionConfig;

    use super::*;

    #[tokio::test]
    async fn sums_the_spills_of_every_operator_in_the_tree() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let batches: Vec<RecordBatch> = (0..64)
            .map(|chunk| {
                let values =
                    Int64Array::from_iter_values((0..8192).map(|n| (n * 7919 + chunk) % 100_003));
                RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(values)]).unwrap()
            })
            .collect();
        let input =
            MemorySourceConfig::try_new_exec(&[batches], Arc::clone(&schema), None).unwrap();
        let ordering = LexOrdering::new(vec![PhysicalSortExpr::new_default(
            col("n", &schema).unwrap(),
        )])
        .unwrap();
        let sort: Arc<dyn ExecutionPlan> = Arc::new(SortExec::new(ordering, input));
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(1 << 20)))
            .build_arc()
            .unwrap();
        let config = SessionConfig::new().with_sort_spill_reservation_bytes(64 << 10);
        let ctx = Arc::new(
            TaskContext::default()
                .with_session_config(config)
                .with_runtime(runtime),
        );

        let sorted = collect(Arc::clone(&sort), ctx).await.unwrap();

        assert_eq!(
            sorted.iter().map(RecordBatch::num_rows).sum::<usize>(),
            64 * 8192
        );
        let spilled = SpillMetrics::of_plan(sort.as_ref());
        assert!(spilled.spill_count > 0, "{spilled:?}");
        assert!(spilled.spilled_bytes > 0, "{spilled:?}");
        assert!(spilled.spilled_rows > 0, "{spilled:?}");
        let totals = SpillTotals::default();
        totals.add(spilled);
        totals.add(spilled);
        assert_eq!(totals.spill_count(), 2 * spilled.spill_count);
        assert_eq!(totals.spilled_bytes(), 2 * spilled.spilled_bytes);
        assert_eq!(totals.spilled_rows(), 2 * spilled.spilled_rows);
    }
}
