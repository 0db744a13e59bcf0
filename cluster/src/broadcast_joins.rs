//! [`BroadcastJoins`]: an equi-join with one side known to be small is run as a broadcast
//! hash join, whatever join strategy the session prefers.
//!
//! Our sessions plan sort-merge joins by default because DataFusion's hash join cannot
//! spill: a partitioned hash join over two large sides can run out of memory where a
//! sort-merge join would finish. A side smaller than
//! `ballista.optimizer.broadcast_join_threshold_bytes` carries no such risk, and joining it
//! by sort-merge costs two shuffles and two sorts, the large side's among them. As a
//! `CollectLeft` hash join instead, the small side runs once as its own stage, every task
//! of the large side reads all of it and builds its hash table, and the large side is
//! neither shuffled nor sorted for that join.
//!
//! The rule runs before DataFusion's `JoinSelection` and acts on the statistics DataFusion
//! estimates (Parquet metadata, row counts and byte sizes after filters). An unknown size is
//! never taken as small. It only broadcasts a side that may be built once per probe
//! partition: for left, left semi, left anti, left mark and full joins the build side's
//! unmatched rows are known only after the last probe partition (see
//! [`SharedStateJoins`](crate::SharedStateJoins)), so such a join broadcasts its right side
//! (the swap makes it a right join) or stays as planned.

use std::sync::Arc;

use datafusion::common::NullEquality;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::error::Result;
use datafusion::logical_expr::JoinType;
use datafusion::physical_expr::PhysicalExprRef;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::utils::JoinFilter;
use datafusion::physical_plan::joins::{HashJoinExec, JoinOn, PartitionMode, SortMergeJoinExec};

use crate::ballista_options::{BallistaOptions, DEFAULT_BROADCAST_JOIN_THRESHOLD};
use crate::estimated_bytes::estimated_bytes;

/// The physical optimizer rule; see the module docs.
#[derive(Debug, Default)]
pub struct BroadcastJoins;

impl PhysicalOptimizerRule for BroadcastJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let threshold = config
            .extensions
            .get::<BallistaOptions>()
            .map_or(DEFAULT_BROADCAST_JOIN_THRESHOLD, |o| {
                o.broadcast_join_threshold
            });
        if threshold == 0 {
            return Ok(plan);
        }
        plan.transform_up(|node| broadcast_small_side(node, threshold))
            .data()
    }

    fn name(&self) -> &str {
        "broadcast_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The parts of an equi-join the rewrite needs, from either join operator.
struct EquiJoin<'a> {
    left: &'a Arc<dyn ExecutionPlan>,
    right: &'a Arc<dyn ExecutionPlan>,
    on: &'a [(PhysicalExprRef, PhysicalExprRef)],
    filter: Option<&'a JoinFilter>,
    join_type: JoinType,
    null_equality: NullEquality,
}

fn broadcast_small_side(
    node: Arc<dyn ExecutionPlan>,
    threshold: u64,
) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    let join = if let Some(merge) = node.downcast_ref::<SortMergeJoinExec>() {
        EquiJoin {
            left: merge.left(),
            right: merge.right(),
            on: merge.on(),
            filter: merge.filter().as_ref(),
            join_type: merge.join_type(),
            null_equality: merge.null_equality(),
        }
    } else if let Some(hash) = node.downcast_ref::<HashJoinExec>() {
        // Already broadcast; null-aware (`NOT IN`), whose sides must stay as planned; or
        // carrying a projection, which rebuilding it from its parts would lose.
        if *hash.partition_mode() == PartitionMode::CollectLeft
            || hash.null_aware
            || hash.contains_projection()
        {
            return Ok(Transformed::no(node));
        }
        EquiJoin {
            left: hash.left(),
            right: hash.right(),
            on: hash.on(),
            filter: hash.filter(),
            join_type: *hash.join_type(),
            null_equality: hash.null_equality(),
        }
    } else {
        return Ok(Transformed::no(node));
    };
    let Some(side) = side_to_broadcast(&join, threshold) else {
        return Ok(Transformed::no(node));
    };
    let broadcast = HashJoinExec::try_new(
        Arc::clone(join.left),
        Arc::clone(join.right),
        JoinOn::from(join.on),
        join.filter.cloned(),
        &join.join_type,
        None,
        PartitionMode::CollectLeft,
        join.null_equality,
        false,
    )?;
    let rewritten = match side {
        Side::Left => Arc::new(broadcast) as Arc<dyn ExecutionPlan>,
        Side::Right => broadcast.swap_inputs(PartitionMode::CollectLeft)?,
    };
    Ok(Transformed::yes(rewritten))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// The side to build from all of its rows in every task, if one is small enough and the
/// join stays correct with it built per probe partition; the smaller one when both are.
fn side_to_broadcast(join: &EquiJoin<'_>, threshold: u64) -> Option<Side> {
    let left = estimated_bytes(join.left).filter(|bytes| *bytes < threshold);
    let right = estimated_bytes(join.right).filter(|bytes| *bytes < threshold);
    let left = left.filter(|_| builds_per_probe_partition(join.join_type));
    let right = right.filter(|_| builds_per_probe_partition(join.join_type.swap()));
    match (left, right) {
        (Some(left), Some(right)) if right < left => Some(Side::Right),
        (Some(_), _) => Some(Side::Left),
        (None, Some(_)) => Some(Side::Right),
        (None, None) => None,
    }
}

/// Whether a `CollectLeft` join of this type answers correctly with each probe partition
/// in its own task: it never emits build-side rows after the last probe partition.
fn builds_per_probe_partition(join_type: JoinType) -> bool {
    matches!(
        join_type,
        JoinType::Inner
            | JoinType::Right
            | JoinType::RightSemi
            | JoinType::RightAnti
            | JoinType::RightMark
    )
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::MemTable;
    use datafusion::physical_plan::{collect, displayable};
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;
    use crate::session_defaults::default_session_config;
    use crate::test_support::{context_with_our_rules, physical_plan};

    /// `big` has 20,000 rows, `small` 10; both have two partitions.
    fn context(config: SessionConfig) -> SessionContext {
        let ctx = context_with_our_rules(config.with_target_partitions(4));
        register(&ctx, "big", 20_000);
        register(&ctx, "small", 10);
        ctx
    }

    fn register(ctx: &SessionContext, name: &str, rows: i32) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int32, true),
            Field::new("label", DataType::Utf8, true),
        ]));
        let partition = |range: std::ops::Range<i32>| {
            let keys: ArrayRef = Arc::new(Int32Array::from_iter_values(range.clone()));
            let labels: ArrayRef = Arc::new(StringArray::from_iter_values(
                range.map(|k| format!("{name}-{k}")),
            ));
            vec![RecordBatch::try_new(Arc::clone(&schema), vec![keys, labels]).unwrap()]
        };
        let half = rows / 2;
        let table = MemTable::try_new(
            Arc::clone(&schema),
            vec![partition(0..half), partition(half..rows)],
        )
        .unwrap();
        ctx.register_table(name, Arc::new(table)).unwrap();
    }

    fn with_threshold(bytes: &str) -> SessionConfig {
        let mut config = default_session_config();
        config
            .options_mut()
            .set("ballista.optimizer.broadcast_join_threshold_bytes", bytes)
            .unwrap();
        config
    }

    async fn plan_text(ctx: &SessionContext, sql: &str) -> String {
        let plan = physical_plan(ctx, sql).await;
        displayable(plan.as_ref()).indent(false).to_string()
    }

    fn sorted_rows(batches: &[RecordBatch]) -> Vec<String> {
        let text = pretty_format_batches(batches).unwrap().to_string();
        let mut rows: Vec<String> = text.lines().map(str::to_string).collect();
        rows.sort();
        rows
    }

    /// The rows of `sql` with broadcasts on and off, which must be the same.
    async fn same_answer_both_ways(sql: &str) -> String {
        let on = context(default_session_config());
        let off = context(with_threshold("0"));
        let plan = plan_text(&on, sql).await;
        let broadcast = collect(physical_plan(&on, sql).await, on.task_ctx())
            .await
            .unwrap();
        let merged = collect(physical_plan(&off, sql).await, off.task_ctx())
            .await
            .unwrap();
        assert_eq!(sorted_rows(&broadcast), sorted_rows(&merged), "{plan}");
        plan
    }

    #[tokio::test]
    async fn a_small_side_is_broadcast_instead_of_sort_merged() {
        for sql in [
            "SELECT big.label, small.label FROM big JOIN small ON big.k = small.k",
            "SELECT big.label, small.label FROM small JOIN big ON big.k = small.k",
        ] {
            let plan = same_answer_both_ways(sql).await;
            assert!(plan.contains("HashJoinExec: mode=CollectLeft"), "{plan}");
            assert!(!plan.contains("SortMergeJoin"), "{plan}");
            assert!(
                !plan.contains("Hash([k@"),
                "the big side is not shuffled: {plan}"
            );
        }
    }

    #[tokio::test]
    async fn outer_and_semi_joins_broadcast_only_the_side_built_per_probe_partition() {
        // Small on the right of a left join: swapped to a right join that builds it.
        let plan = same_answer_both_ways(
            "SELECT big.k, small.label FROM big LEFT JOIN small ON big.k = small.k",
        )
        .await;
        assert!(
            plan.contains("HashJoinExec: mode=CollectLeft, join_type=Right"),
            "{plan}"
        );
        // Small on the left of a left join: its unmatched rows need every probe partition.
        for sql in [
            "SELECT small.k, big.label FROM small LEFT JOIN big ON big.k = small.k",
            "SELECT small.k FROM small WHERE NOT EXISTS (SELECT 1 FROM big WHERE big.k = small.k)",
            "SELECT small.k, big.k FROM small FULL JOIN big ON big.k = small.k",
        ] {
            let plan = same_answer_both_ways(sql).await;
            assert!(
                !plan.contains("mode=CollectLeft, join_type=Left")
                    && !plan.contains("mode=CollectLeft, join_type=Full"),
                "{sql}: {plan}"
            );
        }
        let plan = same_answer_both_ways(
            "SELECT big.k FROM big WHERE EXISTS (SELECT 1 FROM small WHERE small.k = big.k)",
        )
        .await;
        assert!(plan.contains("HashJoinExec: mode=CollectLeft"), "{plan}");
        // `NOT IN` is DataFusion's null-aware hash join, left as planned.
        same_answer_both_ways("SELECT small.k FROM small WHERE k NOT IN (SELECT k FROM big)").await;
    }

    #[tokio::test]
    async fn nothing_is_broadcast_below_the_threshold_or_when_turned_off() {
        let sql = "SELECT big.label, small.label FROM big JOIN small ON big.k = small.k";
        for threshold in ["0", "16"] {
            let plan = plan_text(&context(with_threshold(threshold)), sql).await;
            assert!(plan.contains("SortMergeJoin"), "{threshold}: {plan}");
        }
    }

    #[tokio::test]
    async fn a_hash_join_session_broadcasts_by_the_same_threshold() {
        let mut config = default_session_config();
        config.options_mut().optimizer.prefer_hash_join = true;
        // DataFusion alone would not collect a side this large.
        config
            .options_mut()
            .optimizer
            .hash_join_single_partition_threshold = 1;
        config
            .options_mut()
            .optimizer
            .hash_join_single_partition_threshold_rows = 1;
        let ctx = context(config);
        let plan = plan_text(
            &ctx,
            "SELECT big.label, small.label FROM big JOIN small ON big.k = small.k",
        )
        .await;
        assert!(plan.contains("HashJoinExec: mode=CollectLeft"), "{plan}");
    }

    #[test]
    fn only_joins_that_never_wait_for_the_last_probe_partition_build_per_partition() {
        let per_partition: Vec<JoinType> = [
            JoinType::Inner,
            JoinType::Left,
            JoinType::Right,
            JoinType::Full,
            JoinType::LeftSemi,
            JoinType::RightSemi,
            JoinType::LeftAnti,
            JoinType::RightAnti,
            JoinType::LeftMark,
            JoinType::RightMark,
        ]
        .into_iter()
        .filter(|join_type| builds_per_probe_partition(*join_type))
        .collect();
        assert_eq!(
            per_partition,
            [
                JoinType::Inner,
                JoinType::Right,
                JoinType::RightSemi,
                JoinType::RightAnti,
                JoinType::RightMark
            ]
        );
    }
}
