//! Where a query runs: in the scheduler process, as single-process DataFusion runs it, or
//! as a job of stages on the executors. Decided by one function, before the query is cut
//! into stages, cheapest test first: only the last one encodes the plan. A query that runs
//! on the scheduler is placed again when its ticket is redeemed (the engine keeps nothing
//! between `GetFlightInfo` and `DoGet`), which costs a statistics pass.

use std::sync::Arc;

use datafusion::datasource::sink::DataSinkExec;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::explain::ExplainExec;
use datafusion::physical_plan::joins::{CrossJoinExec, NestedLoopJoinExec};
use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;

use crate::ballista_options::BallistaOptions;
use crate::codec::encode_plan;
use crate::estimated_bytes::estimated_input_bytes;

/// Where a query runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placement {
    /// In the scheduler process; why, for `EXPLAIN`.
    Scheduler(String),
    /// As a job on the executors.
    Executors,
}

/// Where `plan` runs, under the session's `options`:
/// - writes run on the scheduler: an in-memory table exists only there, and a write must
///   land exactly once;
/// - so do plans that read no data (`SELECT 1`, the pings BI tools send, the text of
///   `EXPLAIN`): there is nothing to distribute;
/// - and plans whose scans are estimated within
///   `ballista.planner.scheduler_execution_threshold_bytes`: a job's fixed cost (planning
///   stages, launching a task, writing its output to a shuffle file and reading it back)
///   is several times what reading a small table costs, and it is all of the latency a
///   dashboard's lookup sees;
/// - and plans the codec cannot ship faithfully: catalog views such as
///   `information_schema` and `SHOW`, and the few operators DataFusion keeps unreadable
///   state in (a window aggregate's `FILTER`).
pub(crate) fn placement(plan: &Arc<dyn ExecutionPlan>, options: &BallistaOptions) -> Placement {
    if writes(plan) {
        return Placement::Scheduler("it writes a table".into());
    }
    if reads_no_data(plan) {
        return Placement::Scheduler("it reads no data".into());
    }
    if let Some(bytes) = small_input(plan, options.scheduler_execution_threshold) {
        return Placement::Scheduler(format!(
            "its scans are estimated at {bytes} bytes, at most \
             ballista.planner.scheduler_execution_threshold_bytes ({})",
            options.scheduler_execution_threshold
        ));
    }
    match encode_plan(Arc::clone(plan)) {
        Ok(_) => Placement::Executors,
        Err(err) => {
            tracing::debug!(error = %err, "plan cannot be shipped to executors; running it on the scheduler");
            Placement::Scheduler(format!("it cannot be shipped to executors: {err}"))
        }
    }
}

fn writes(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<DataSinkExec>() || plan.children().into_iter().any(writes)
}

fn reads_no_data(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let children = plan.children();
    if children.is_empty() {
        return plan.is::<PlaceholderRowExec>()
            || plan.is::<EmptyExec>()
            || plan.is::<ExplainExec>();
    }
    children.into_iter().all(reads_no_data)
}

/// The bytes `plan`'s scans are estimated at, when that is at most `limit` (0: never) and
/// that input bounds the work: a cross join or a nested-loop join can run for minutes over
/// a few kilobytes, and the scheduler's cores serve every session.
fn small_input(plan: &Arc<dyn ExecutionPlan>, limit: u64) -> Option<u64> {
    if limit == 0 || has_unbounded_operator(plan) {
        return None;
    }
    estimated_input_bytes(plan).filter(|bytes| *bytes <= limit)
}

fn has_unbounded_operator(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<CrossJoinExec>()
        || plan.is::<NestedLoopJoinExec>()
        || plan.children().into_iter().any(has_unbounded_operator)
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::test_support::{physical_plan, run_statement};

    /// A session with a 1000-row table in memory.
    async fn context() -> SessionContext {
        let ctx = SessionContext::new();
        run_statement(
            &ctx,
            "CREATE TABLE t AS SELECT v AS k, v * 2 AS w FROM generate_series(1, 1000) AS s(v)",
        )
        .await;
        ctx
    }

    fn with_threshold(bytes: u64) -> BallistaOptions {
        BallistaOptions {
            scheduler_execution_threshold: bytes,
            ..BallistaOptions::default()
        }
    }

    async fn placed(ctx: &SessionContext, sql: &str, options: &BallistaOptions) -> Placement {
        placement(&physical_plan(ctx, sql).await, options)
    }

    #[tokio::test]
    async fn a_query_over_a_small_table_runs_on_the_scheduler_up_to_the_threshold() {
        let lookup = "SELECT w FROM t WHERE k = 7";
        let ctx = context().await;
        let input = estimated_input_bytes(&physical_plan(&ctx, lookup).await).unwrap();
        let Placement::Scheduler(reason) = placed(&ctx, lookup, &with_threshold(input)).await
        else {
            panic!("a lookup in {input} bytes runs on the scheduler at a {input}-byte threshold");
        };
        assert!(
            reason.contains(&format!("estimated at {input} bytes"))
                && reason.contains("ballista.planner.scheduler_execution_threshold_bytes"),
            "{reason}"
        );
        assert_eq!(
            placed(&ctx, lookup, &with_threshold(input - 1)).await,
            Placement::Executors
        );
        assert_eq!(
            placed(&ctx, lookup, &with_threshold(0)).await,
            Placement::Executors
        );
        let aggregate = "SELECT k % 10, count(*) FROM t GROUP BY k % 10";
        assert!(matches!(
            placed(&ctx, aggregate, &BallistaOptions::default()).await,
            Placement::Scheduler(_)
        ));
    }

    #[tokio::test]
    async fn work_a_small_input_does_not_bound_goes_to_executors() {
        let ctx = context().await;
        let options = with_threshold(u64::MAX);
        for sql in [
            "SELECT sum(a.k * b.w) FROM t a, t b",
            "SELECT sum(a.k * b.w) FROM t a JOIN t b ON a.k < b.w",
            // A scan whose size DataFusion cannot estimate.
            "SELECT count(*) FROM generate_series(1, 1000000)",
        ] {
            assert_eq!(
                placed(&ctx, sql, &options).await,
                Placement::Executors,
                "{sql}"
            );
        }
    }

    #[tokio::test]
    async fn writes_and_plans_reading_no_data_run_on_the_scheduler_whatever_the_threshold() {
        let ctx = context().await;
        let options = with_threshold(0);
        assert_eq!(
            placed(&ctx, "SELECT 1", &options).await,
            Placement::Scheduler("it reads no data".into())
        );
        assert_eq!(
            placed(&ctx, "INSERT INTO t VALUES (1, 2)", &options).await,
            Placement::Scheduler("it writes a table".into())
        );
    }
}
