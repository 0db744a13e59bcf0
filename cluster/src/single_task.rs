//! Single-task queries: with the adaptive planner on, a query whose scans DataFusion
//! estimates small runs as one task on one executor, its whole plan at once, the way
//! single-process DataFusion runs it: its exchanges stay in memory, and its sort-merge
//! joins become hash joins when the whole input fits a quarter of a task's memory share.
//!
//! ```text
//!   Sort ─ Aggregate ─ Exchange ─ SortMergeJoin        stage 1, 1 task:
//!                        ├─ Sort ─ Exchange ─ Scan a      Merge ─ Sort ─ Aggregate ─ Exchange
//!                        └─ Sort ─ Exchange ─ Scan b        ─ HashJoin ─ Exchange ─ Scan a
//!                                                                      └ Exchange ─ Scan b
//! ```
//!
//! Why: below about a gigabyte, a job of stages spends more on its fixed costs than
//! its parallelism wins back. Each stage boundary writes every row to a shuffle file and
//! reads it back, launches a task per partition and waits for the slowest one; TPC-H's
//! small queries (q2, q11, q16, q22 at SF1) took 2.3–3.2× DataFusion's time that way, and
//! single-process DataFusion with our session settings is as fast as with its own
//! (docs/benchmarks.md). The task still runs on an executor, under one task's share of its
//! memory pool; its partitions run on all of that executor's task threads.
//!
//! The hash joins fit the task's memory: the whole input is estimated at most a quarter of
//! its share, and a join builds a side that nothing adds rows to (so the input bounds it),
//! or one estimated within that quarter. Otherwise sort-merge joins stay, and spill. A join
//! whose order something above it relies on stays too: each join becomes a hash join only
//! if DataFusion's `SanityCheckPlan` accepts the plan without its order.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::Result;
use datafusion::logical_expr::JoinType;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::sanity_checker::SanityCheckPlan;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec, SymmetricHashJoinExec,
};
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::unnest::UnnestExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};

use crate::estimated_bytes::{estimated_bytes, estimated_input_bytes, estimated_rows};
use crate::join_strategy::partitioned_hash_join;

/// A query planned to run as one task.
#[derive(Debug)]
pub(crate) struct SingleTask {
    /// The whole query, producing its result as one partition.
    pub(crate) plan: Arc<dyn ExecutionPlan>,
    /// What the operator's views say about the choice.
    pub(crate) note: String,
}

/// `plan` as one task, when its scans are estimated at most `max_input_bytes` in all; its
/// sort-merge joins become hash joins when that input is at most `max_build_bytes` (never
/// with `None`). `None` when the input is larger, or a scan's size is unknown.
pub(crate) fn as_single_task(
    plan: &Arc<dyn ExecutionPlan>,
    max_input_bytes: u64,
    max_build_bytes: Option<u64>,
) -> Option<SingleTask> {
    let input = estimated_input_bytes(plan).filter(|bytes| *bytes <= max_input_bytes)?;
    let mut note = format!(
        "runs as one task: its scans are estimated at {input} bytes (limit {max_input_bytes})"
    );
    let mut plan = Arc::clone(plan);
    if let Some(limit) = max_build_bytes.filter(|limit| input <= *limit) {
        // A side that may add rows must be estimated within both limits.
        let (hashed, joins) = with_hash_joins(plan, limit.min(max_input_bytes));
        plan = hashed;
        if joins > 0 {
            note.push_str(&format!("; {joins} sort-merge join(s) became hash joins"));
            if limit < u64::MAX {
                note.push_str(&format!(
                    " (the input is within {limit} bytes, a quarter of a task's memory share)"
                ));
            }
        }
    }
    Some(SingleTask {
        plan: merged(plan),
        note,
    })
}

/// `plan` with each sort-merge join a partitioned hash join where that is safe, from the
/// top down: the side it builds fits `limit`, and nothing above relies on the join's
/// order. With how many joins changed.
fn with_hash_joins(
    mut plan: Arc<dyn ExecutionPlan>,
    limit: u64,
) -> (Arc<dyn ExecutionPlan>, usize) {
    // Sort-merge joins kept, the first ones from the top: no side of theirs is safe to
    // build, something relies on their order, or DataFusion refused the hash join.
    let mut kept = 0;
    let mut changed = 0;
    loop {
        match with_nth_join_hashed(&plan, kept, limit) {
            NthJoin::Absent => return (plan, changed),
            NthJoin::Kept => kept += 1,
            NthJoin::Hashed(candidate) => {
                if SanityCheckPlan::new()
                    .optimize(Arc::clone(&candidate), &ConfigOptions::new())
                    .is_ok()
                {
                    plan = candidate;
                    changed += 1;
                } else {
                    kept += 1;
                }
            }
        }
    }
}

/// What became of a plan's `n`-th sort-merge join.
enum NthJoin {
    /// The plan has no `n`-th sort-merge join.
    Absent,
    /// It stays a sort-merge join.
    Kept,
    /// The plan with it a hash join.
    Hashed(Arc<dyn ExecutionPlan>),
}

/// `plan` with its `n`-th sort-merge join (top down) a partitioned hash join, if one of its
/// sides is safe to build within `limit`.
fn with_nth_join_hashed(plan: &Arc<dyn ExecutionPlan>, n: usize, limit: u64) -> NthJoin {
    let mut seen = 0;
    let mut outcome = NthJoin::Absent;
    let rewritten = Arc::clone(plan).transform_down(|node| {
        let Some(join) = node.downcast_ref::<SortMergeJoinExec>() else {
            return Ok(Transformed::no(node));
        };
        seen += 1;
        if seen - 1 != n {
            return Ok(Transformed::no(node));
        }
        match as_hash_join(join, limit) {
            Ok(Some(hash_join)) => {
                return Ok(Transformed::new(hash_join, true, TreeNodeRecursion::Stop));
            }
            Ok(None) => {}
            Err(err) => tracing::debug!(error = %err, "single task: a sort-merge join stays"),
        }
        outcome = NthJoin::Kept;
        Ok(Transformed::new(node, false, TreeNodeRecursion::Stop))
    });
    match rewritten {
        Ok(rewritten) if rewritten.transformed => NthJoin::Hashed(rewritten.data),
        Ok(_) => outcome,
        Err(_) => NthJoin::Kept,
    }
}

/// `join` as a partitioned hash join on the same exchanges, without the sorts it needed,
/// or `None` when neither side is safe to build. A side is safe when nothing in it adds
/// rows (no join but a semi or anti join, no unnest), so that the input bounds it, or when
/// it is estimated within `limit`. Of two safe sides it builds the one estimated to have
/// fewer rows (a hash table's cost is its entries), or fewer bytes when rows are not
/// estimated for both; the left one when neither is.
fn as_hash_join(join: &SortMergeJoinExec, limit: u64) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let join_type = join.join_type();
    let (left, right) = (join.left(), join.right());
    let safe = |side: &Arc<dyn ExecutionPlan>| {
        !adds_rows(side) || estimated_bytes(side).is_some_and(|bytes| bytes <= limit)
    };
    let build_right = match (safe(left), join_type.supports_swap() && safe(right)) {
        (true, true) => match (estimated_rows(left), estimated_rows(right)) {
            (Some(left), Some(right)) => right < left,
            _ => matches!(
                (estimated_bytes(left), estimated_bytes(right)),
                (Some(left), Some(right)) if right < left
            ),
        },
        (false, true) => true,
        (true, false) => false,
        (false, false) => return Ok(None),
    };
    partitioned_hash_join(join, build_right).map(Some)
}

/// Whether something in `plan` may produce more rows than it reads: a join other than a
/// semi or anti join (whose output is part of one side), or an unnest.
fn adds_rows(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let keeps_one_side = |join_type: JoinType| {
        matches!(
            join_type,
            JoinType::LeftSemi
                | JoinType::LeftAnti
                | JoinType::RightSemi
                | JoinType::RightAnti
                | JoinType::LeftMark
                | JoinType::RightMark
        )
    };
    plan.exists(|node| {
        Ok(if let Some(join) = node.downcast_ref::<HashJoinExec>() {
            !keeps_one_side(*join.join_type())
        } else if let Some(join) = node.downcast_ref::<SortMergeJoinExec>() {
            !keeps_one_side(join.join_type())
        } else {
            node.is::<NestedLoopJoinExec>()
                || node.is::<CrossJoinExec>()
                || node.is::<SymmetricHashJoinExec>()
                || node.is::<UnnestExec>()
        })
    })
    .unwrap_or(true)
}

/// `plan` as one partition: merged in order when its partitions are sorted, else as they
/// come.
fn merged(plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
    if plan.output_partitioning().partition_count() <= 1 {
        return plan;
    }
    match plan.output_ordering() {
        Some(ordering) => Arc::new(SortPreservingMergeExec::new(ordering.clone(), plan)),
        None => Arc::new(CoalescePartitionsExec::new(plan)),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::physical_plan::{collect, displayable};
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;
    use crate::test_support::{physical_plan as physical, run_statement};

    /// A session with two generated tables, of 1000 and 10 rows, in memory, planned with
    /// sort-merge joins over four partitions.
    async fn context() -> SessionContext {
        let config = SessionConfig::new()
            .with_target_partitions(4)
            .set_bool("datafusion.optimizer.prefer_hash_join", false);
        let ctx = SessionContext::new_with_config(config);
        for (name, rows) in [("big", 1000), ("small", 10)] {
            let create = format!(
                "CREATE TABLE {name} AS SELECT v * 7919 % {rows} AS k, v FROM \
                 generate_series(1, {rows}) AS t(v)"
            );
            run_statement(&ctx, &create).await;
        }
        ctx
    }

    fn text(plan: &Arc<dyn ExecutionPlan>) -> String {
        displayable(plan.as_ref()).indent(false).to_string()
    }

    /// The rows `plan` answers, as a table, in its order.
    async fn answer(ctx: &SessionContext, plan: Arc<dyn ExecutionPlan>) -> String {
        let batches = collect(plan, ctx.task_ctx()).await.unwrap();
        pretty_format_batches(&batches).unwrap().to_string()
    }

    /// The rows `plan` answers, sorted.
    async fn rows(ctx: &SessionContext, plan: Arc<dyn ExecutionPlan>) -> Vec<String> {
        let mut rows: Vec<String> = answer(ctx, plan)
            .await
            .lines()
            .map(str::to_string)
            .collect();
        rows.sort();
        rows
    }

    const JOIN: &str = "SELECT big.k, count(*) AS n FROM big JOIN small ON big.k = small.k \
                        GROUP BY big.k";

    #[tokio::test]
    async fn a_small_query_becomes_one_partition_with_hash_joins_and_the_same_answer() {
        let ctx = context().await;
        let plan = physical(&ctx, JOIN).await;
        assert!(text(&plan).contains("SortMergeJoin"), "{}", text(&plan));

        let single =
            as_single_task(&plan, 1 << 30, Some(1 << 30)).expect("a small query runs as one task");
        let shown = text(&single.plan);
        assert_eq!(single.plan.output_partitioning().partition_count(), 1);
        assert!(shown.starts_with("CoalescePartitionsExec"), "{shown}");
        assert!(shown.contains("HashJoinExec: mode=Partitioned"), "{shown}");
        assert!(!shown.contains("SortMergeJoin"), "{shown}");
        assert!(
            shown.contains("RepartitionExec"),
            "the exchanges stay: {shown}"
        );
        assert!(
            single
                .note
                .contains("1 sort-merge join(s) became hash joins"),
            "{}",
            single.note
        );
        // The small side (10 rows, against 1000) is built.
        let mut built = Vec::new();
        single
            .plan
            .apply(|node| {
                if let Some(join) = node.downcast_ref::<HashJoinExec>() {
                    built.push(estimated_rows(join.left()));
                }
                Ok(TreeNodeRecursion::Continue)
            })
            .unwrap();
        assert_eq!(built, vec![Some(10)], "{shown}");
        // A plan runs once (its exchanges are consumed): the expected rows come from a
        // fresh one.
        let expected = physical(&ctx, JOIN).await;
        assert_eq!(rows(&ctx, single.plan).await, rows(&ctx, expected).await);
    }

    #[tokio::test]
    async fn joins_stay_sort_merge_above_the_build_limit_or_without_one() {
        let ctx = context().await;
        let plan = physical(&ctx, JOIN).await;
        for limit in [None, Some(1)] {
            let single = as_single_task(&plan, 1 << 30, limit).unwrap();
            assert!(text(&single.plan).contains("SortMergeJoin"), "{limit:?}");
            assert!(!single.note.contains("hash joins"), "{}", single.note);
        }
    }

    #[tokio::test]
    async fn a_query_above_the_limit_is_left_to_its_stages() {
        let ctx = context().await;
        let plan = physical(&ctx, JOIN).await;
        assert!(as_single_task(&plan, 1, Some(1 << 30)).is_none());
        let input = estimated_input_bytes(&plan).expect("memory tables are measured");
        assert!(as_single_task(&plan, input, None).is_some());
        assert!(as_single_task(&plan, input - 1, None).is_none());
    }

    #[tokio::test]
    async fn only_joins_that_may_multiply_rows_count_as_adding_rows() {
        let ctx = context().await;
        for (sql, adds) in [
            ("SELECT k FROM big WHERE v > 3", false),
            ("SELECT k, count(*) FROM big GROUP BY k", false),
            (JOIN, true),
            ("SELECT k FROM big WHERE k IN (SELECT k FROM small)", false),
            (
                "SELECT k FROM big WHERE k NOT IN (SELECT k FROM small)",
                false,
            ),
            ("SELECT big.k FROM big CROSS JOIN small", true),
        ] {
            assert_eq!(adds_rows(&physical(&ctx, sql).await), adds, "{sql}");
        }
    }

    #[tokio::test]
    async fn a_sorted_result_keeps_its_order() {
        let ctx = context().await;
        let sql = format!("{JOIN} ORDER BY n DESC, k");
        let plan = physical(&ctx, &sql).await;
        let single = as_single_task(&plan, 1 << 30, Some(1 << 30)).unwrap();
        let shown = text(&single.plan);
        assert!(shown.starts_with("SortPreservingMergeExec"), "{shown}");
        let expected = physical(&ctx, &sql).await;
        assert_eq!(
            answer(&ctx, single.plan).await,
            answer(&ctx, expected).await
        );
    }
}
