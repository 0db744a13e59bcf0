//! Adaptive join strategy, in both directions: once both inputs of a join have been
//! shuffled and measured, a sort-merge join whose smaller side is small in every partition
//! runs as a partitioned hash join, and a partitioned hash join whose build side is not
//! runs as a sort-merge join (or builds its other side, if that one is small). A hash join
//! whose sides both fit builds the one measured smaller (the tuning guide's join
//! reordering: planning-time estimates of filtered sides are often wrong).
//!
//! Sort-merge join is the default because DataFusion's hash join cannot spill: a build side
//! larger than a task's memory share fails the query where sort-merge join would finish
//! (tuning guide). Before the stage runs, though, the bytes each input stage wrote to each
//! partition are known. When the build side's largest partition is far below a task's
//! share, the hash join carries no such risk, and it skips sorting both inputs, the larger
//! part of a sort-merge join's cost (docs/benchmarks.md). When it is not, a session that
//! asked for hash joins gets a sort-merge join rather than `RESOURCE_EXHAUSTED`.
//!
//! ```text
//!   SortMergeJoin(on k)                        HashJoin(Partitioned, on k)
//!     Sort(k) ── Reader(stage 2: ≤ 3 MiB)  ⟶     Reader(stage 2)     build
//!     Sort(k) ── Reader(stage 3: 900 MiB)         Reader(stage 3)     probe
//! ```
//!
//! The side built into the hash table is measured only when it reads one shuffle through
//! operators that never add rows (projection, filter, sort), so that the bytes its input
//! stage wrote bound what the table holds; the streamed side may be anything, such as
//! another join of the same stage. The sorts beneath a sort-merge join go; if anything above
//! it needed its order, DataFusion's `SanityCheckPlan` refuses the new plan and the join
//! stays as it was.

use std::sync::Arc;

use datafusion::arrow::compute::SortOptions;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{LexOrdering, PhysicalExprRef, PhysicalSortExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::sanity_checker::SanityCheckPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::{HashJoinExec, JoinOn, PartitionMode, SortMergeJoinExec};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use trebuchet_shuffle::ShuffleReaderExec;
use trebuchet_shuffle::ids::StageId;

use crate::stage_planner::QueryStage;

/// How much smaller than a task's memory share a build side's bytes on disk must be: its
/// hash table holds the rows decoded plus a hash index, and the task holds probe batches
/// and output beside it.
pub(crate) const BUILD_SHARE_DIVISOR: u64 = 4;

/// Whether `stage` has a join whose strategy may change once its inputs are done.
pub(crate) fn has_adaptive_join(stage: &QueryStage) -> bool {
    any_node(stage.plan.input(), &|plan| {
        plan.is::<SortMergeJoinExec>() || is_partitioned_hash_join(plan)
    })
}

/// Whether `stage` builds hash tables from its shuffled partitions.
pub(crate) fn has_partitioned_hash_join(stage: &QueryStage) -> bool {
    any_node(stage.plan.input(), &is_partitioned_hash_join)
}

fn is_partitioned_hash_join(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.downcast_ref::<HashJoinExec>()
        .is_some_and(|join| *join.partition_mode() == PartitionMode::Partitioned)
}

fn any_node(
    plan: &Arc<dyn ExecutionPlan>,
    matches: &dyn Fn(&Arc<dyn ExecutionPlan>) -> bool,
) -> bool {
    plan.exists(|node| Ok(matches(node))).unwrap_or(false)
}

/// `stage` with each join's strategy chosen from what its inputs wrote, and what changed;
/// `None` when no join changes. `written(stage)` is the bytes that input stage wrote to
/// each partition; a build side may hold at most `max_build_bytes` of one partition.
/// `read_by_stages` says whether other stages read `stage`, which then keeps the order
/// they were planned with.
/// - a sort-merge join with a side that fits becomes a partitioned hash join building it;
/// - a partitioned hash join whose build side does not fit builds the other side if that
///   fits, and otherwise becomes a sort-merge join, which spills.
pub(crate) fn choose_join_strategies(
    stage: &QueryStage,
    written: &dyn Fn(StageId) -> Option<Vec<u64>>,
    max_build_bytes: u64,
    read_by_stages: bool,
) -> Result<Option<(QueryStage, String)>> {
    let mut notes = Vec::new();
    let input = Arc::clone(stage.plan.input())
        .transform_up(|plan| {
            let changed = if let Some(join) = plan.downcast_ref::<SortMergeJoinExec>() {
                as_hash_join(join, written, max_build_bytes)?
            } else if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
                hash_join_for_measured_sides(join, written, max_build_bytes)?
            } else {
                None
            };
            match changed {
                Some((join, note)) => {
                    notes.push(note);
                    Ok(Transformed::yes(join))
                }
                None => Ok(Transformed::no(plan)),
            }
        })?
        .data;
    if notes.is_empty() {
        return Ok(None);
    }
    if let Err(err) = SanityCheckPlan::new().optimize(Arc::clone(&input), &ConfigOptions::new()) {
        // Something above a join relied on its sorted output: keep the joins as planned.
        tracing::debug!(stage = %stage.id, error = %err, "adaptive: the joins stay as planned");
        return Ok(None);
    }
    if read_by_stages && !keeps_promised_order(stage, &input)? {
        return Ok(None);
    }
    let replanned = stage.with_input(input)?;
    Ok(Some((replanned, notes.join("; "))))
}

/// `join`, a partitioned hash join, as its measured sides call for, with what the
/// operator's views say about it:
/// - a build side above `max_build_bytes` in some partition: build the other side if that
///   one fits, else a sort-merge join;
/// - a build side that fits: build the other side if that one measured smaller.
///
/// `None` when its build side is not measured, or it is not a partitioned join (a
/// broadcast side was sized before it ran).
fn hash_join_for_measured_sides(
    join: &HashJoinExec,
    written: &dyn Fn(StageId) -> Option<Vec<u64>>,
    max_build_bytes: u64,
) -> Result<Option<(Arc<dyn ExecutionPlan>, String)>> {
    if *join.partition_mode() != PartitionMode::Partitioned || join.null_aware {
        return Ok(None);
    }
    let Some(build) = measured(join.left(), written) else {
        return Ok(None);
    };
    let join_type = *join.join_type();
    if build.largest_partition <= max_build_bytes {
        return with_smaller_build(join, &build, written, max_build_bytes);
    }
    let too_large = format!(
        "stage {}'s output, at most {} bytes per partition, is above the limit {max_build_bytes}",
        build.stage, build.largest_partition
    );
    if let Some(other) = measured(join.right(), written)
        && other.largest_partition <= max_build_bytes
        && join_type.supports_swap()
    {
        let note = format!(
            "{join_type} hash join builds stage {}'s output instead ({} bytes per partition): \
             {too_large}",
            other.stage, other.largest_partition
        );
        return Ok(Some((swapped(join)?, note)));
    }
    let sorted = |side: &Arc<dyn ExecutionPlan>, keys: Vec<PhysicalExprRef>| {
        let ordering = LexOrdering::new(keys.into_iter().map(PhysicalSortExpr::new_default));
        ordering.map(|ordering| {
            Arc::new(SortExec::new(ordering, Arc::clone(side)).with_preserve_partitioning(true))
                as Arc<dyn ExecutionPlan>
        })
    };
    let on = join.on();
    let (Some(left), Some(right)) = (
        sorted(
            join.left(),
            on.iter().map(|(left, _)| Arc::clone(left)).collect(),
        ),
        sorted(
            join.right(),
            on.iter().map(|(_, right)| Arc::clone(right)).collect(),
        ),
    ) else {
        return Ok(None);
    };
    let Ok(merge_join) = SortMergeJoinExec::try_new(
        left,
        right,
        JoinOn::from(on),
        join.filter().cloned(),
        join_type,
        vec![SortOptions::default(); on.len()],
        join.null_equality(),
    ) else {
        // A join type the sort-merge join does not run stays a hash join.
        return Ok(None);
    };
    let merge_join: Arc<dyn ExecutionPlan> = Arc::new(merge_join);
    let plan = match &join.projection {
        None => merge_join,
        Some(columns) => {
            let schema = merge_join.schema();
            let exprs = columns.iter().map(|&index| {
                let name = schema.field(index).name().clone();
                (Arc::new(Column::new(&name, index)) as PhysicalExprRef, name)
            });
            Arc::new(ProjectionExec::try_new(exprs, merge_join)?)
        }
    };
    let note = format!("{join_type} hash join became a sort-merge join, which spills: {too_large}");
    Ok(Some((plan, note)))
}

/// `join`, a partitioned hash join whose build side fits, building its other side when
/// that one measured smaller (join reordering, tuning guide: the smaller side is hashed,
/// the larger one streams past it); `None` when it already builds the smaller side, or
/// its other side is not measured.
fn with_smaller_build(
    join: &HashJoinExec,
    build: &MeasuredSide,
    written: &dyn Fn(StageId) -> Option<Vec<u64>>,
    max_build_bytes: u64,
) -> Result<Option<(Arc<dyn ExecutionPlan>, String)>> {
    let join_type = *join.join_type();
    let Some(probe) = measured(join.right(), written) else {
        return Ok(None);
    };
    if probe.total >= build.total
        || probe.largest_partition > max_build_bytes
        || !join_type.supports_swap()
    {
        return Ok(None);
    }
    let note = format!(
        "{join_type} hash join builds stage {}'s output ({} bytes), the smaller side, \
         instead of stage {}'s ({} bytes)",
        probe.stage, probe.total, build.stage, build.total
    );
    Ok(Some((swapped(join)?, note)))
}

/// `join` building its other side.
fn swapped(join: &HashJoinExec) -> Result<Arc<dyn ExecutionPlan>> {
    // Rebuilt before the swap: a plan's hash join may carry a dynamic filter (when a
    // session turns them on), which DataFusion refuses to swap.
    let rebuilt = HashJoinExec::try_new(
        Arc::clone(join.left()),
        Arc::clone(join.right()),
        join.on().to_vec(),
        join.filter().cloned(),
        join.join_type(),
        join.projection.as_ref().map(|columns| columns.to_vec()),
        PartitionMode::Partitioned,
        join.null_equality(),
        join.null_aware,
    )?;
    rebuilt.swap_inputs(PartitionMode::Partitioned)
}

/// Whether `input` still writes each partition in the order `stage` promised: the readers
/// of a pass-through stage were planned with its output ordering, which another stage's
/// merge may rely on, out of `SanityCheckPlan`'s sight.
fn keeps_promised_order(stage: &QueryStage, input: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    match (
        stage.plan.partitioning(),
        stage.plan.input().output_ordering(),
    ) {
        (None, Some(promised)) => input
            .equivalence_properties()
            .ordering_satisfy(promised.clone()),
        _ => Ok(true),
    }
}

/// `join` as a partitioned hash join building its measured smaller side, if that side is
/// small enough in every partition; with what the operator's views say about it.
fn as_hash_join(
    join: &SortMergeJoinExec,
    written: &dyn Fn(StageId) -> Option<Vec<u64>>,
    max_build_bytes: u64,
) -> Result<Option<(Arc<dyn ExecutionPlan>, String)>> {
    let join_type = join.join_type();
    let fits =
        |side| measured(side, written).filter(|size| size.largest_partition <= max_build_bytes);
    // Only the side built into a hash table must be measured; the other is streamed, and
    // may be anything, another join of the stage among them.
    let left = fits(join.left());
    let right = fits(join.right()).filter(|_| join_type.supports_swap());
    let (build_right, build) = match (left, right) {
        (Some(left), Some(right)) if right.largest_partition < left.largest_partition => {
            (true, right)
        }
        (Some(left), _) => (false, left),
        (None, Some(right)) => (true, right),
        (None, None) => return Ok(None),
    };
    let plan = partitioned_hash_join(join, build_right)?;
    let note = format!(
        "{join_type} sort-merge join became a partitioned hash join building stage {}'s \
         output (at most {} bytes per partition, limit {max_build_bytes})",
        build.stage, build.largest_partition
    );
    Ok(Some((plan, note)))
}

/// `join` as a partitioned hash join on the same exchanges, without the sorts it needed,
/// building its right side when `build_right`, else its left one.
pub(crate) fn partitioned_hash_join(
    join: &SortMergeJoinExec,
    build_right: bool,
) -> Result<Arc<dyn ExecutionPlan>> {
    let hash_join = HashJoinExec::try_new(
        without_sorts(join.left())?,
        without_sorts(join.right())?,
        JoinOn::from(join.on()),
        join.filter().clone(),
        &join.join_type(),
        None,
        PartitionMode::Partitioned,
        join.null_equality(),
        false,
    )?;
    if build_right {
        hash_join.swap_inputs(PartitionMode::Partitioned)
    } else {
        Ok(Arc::new(hash_join))
    }
}

/// What one side of a join reads, measured.
struct MeasuredSide {
    /// The stage whose shuffle output the side reads.
    stage: StageId,
    /// The most bytes that stage wrote to one partition.
    largest_partition: u64,
    /// The bytes that stage wrote in all.
    total: u64,
}

/// `side` measured, when it reads one finished shuffle through projections, filters and
/// sorts, none of which adds rows; `None` otherwise.
fn measured(
    side: &Arc<dyn ExecutionPlan>,
    written: &dyn Fn(StageId) -> Option<Vec<u64>>,
) -> Option<MeasuredSide> {
    if let Some(reader) = side.downcast_ref::<ShuffleReaderExec>() {
        let partitions = written(reader.stage())?;
        return Some(MeasuredSide {
            stage: reader.stage(),
            largest_partition: partitions.iter().copied().max().unwrap_or(0),
            total: partitions.iter().sum(),
        });
    }
    let keeps_rows_or_fewer =
        side.is::<ProjectionExec>() || side.is::<FilterExec>() || side.is::<SortExec>();
    match side.children()[..] {
        [child] if keeps_rows_or_fewer => measured(child, written),
        _ => None,
    }
}

/// `side` without the sorts the sort-merge join needed: those at its top, above any
/// projections and filters. A sort with a limit stays, since it drops rows.
fn without_sorts(side: &Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some(sort) = side.downcast_ref::<SortExec>()
        && sort.fetch().is_none()
    {
        return without_sorts(sort.input());
    }
    match side.children()[..] {
        [child] if side.is::<ProjectionExec>() || side.is::<FilterExec>() => {
            replace_children_if_necessary(Arc::clone(side), vec![without_sorts(child)?])
        }
        _ => Ok(Arc::clone(side)),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::test_support::{partitioned_join_config, stages_of_sql};

    /// The stage of a sort-merge join of generated tables over four partitions, as planned
    /// with `sql`.
    async fn join_stage(sql: &str) -> QueryStage {
        planned_join_stage(sql, false).await
    }

    /// The stage joining generated tables over four partitions, planned with sort-merge
    /// joins or with partitioned hash joins.
    async fn planned_join_stage(sql: &str, hash_joins: bool) -> QueryStage {
        let ctx = SessionContext::new_with_config(partitioned_join_config(hash_joins));
        stages_of_sql(&ctx, sql)
            .await
            .stages()
            .iter()
            .find(|stage| has_adaptive_join(stage))
            .expect("a stage joins")
            .clone()
    }

    /// Two generated tables in no known order (the multiplication scrambles them), so that
    /// the sort-merge join sorts both sides.
    const TABLES: &str = "WITH a AS (SELECT v * 7919 % 1000 AS v FROM generate_series(1, 1000) AS t(v)), \
         b AS (SELECT w * 7919 % 100 AS w FROM generate_series(1, 100) AS t(w)) ";

    fn join() -> String {
        format!(
            "{TABLES} SELECT a.v % 10 AS k, count(*) FROM a JOIN b ON a.v = b.w GROUP BY a.v % 10"
        )
    }

    fn text(stage: &QueryStage) -> String {
        displayable(stage.plan.as_ref()).indent(false).to_string()
    }

    /// What each side wrote per partition: `left` bytes for the stage read on the join's
    /// left, `right` for the other.
    fn sizes(stage: &QueryStage, left: u64, right: u64) -> impl Fn(StageId) -> Option<Vec<u64>> {
        let (first, second) = (stage.inputs[0], stage.inputs[1]);
        move |input| {
            (input == first)
                .then(|| vec![left; 4])
                .or_else(|| (input == second).then(|| vec![right; 4]))
        }
    }

    #[tokio::test]
    async fn a_join_with_a_small_side_becomes_a_hash_join_without_sorts() {
        let stage = join_stage(&join()).await;
        assert!(text(&stage).contains("SortMergeJoin"), "{}", text(&stage));
        assert!(text(&stage).contains("SortExec"), "{}", text(&stage));

        for (left, right, build) in [(10, 5_000, stage.inputs[0]), (5_000, 10, stage.inputs[1])] {
            let (hashed, note) =
                choose_join_strategies(&stage, &sizes(&stage, left, right), 1_000, true)
                    .unwrap()
                    .expect("a side is small");
            let plan = text(&hashed);
            assert!(plan.contains("HashJoinExec: mode=Partitioned"), "{plan}");
            assert!(
                !plan.contains("SortMergeJoin") && !plan.contains("SortExec"),
                "{plan}"
            );
            assert!(note.contains(&format!("stage {build}'s output")), "{note}");
            assert_eq!(hashed.tasks(), stage.tasks(), "same partitions");
            assert_eq!(hashed.plan.partitioning(), stage.plan.partitioning());
        }
    }

    #[tokio::test]
    async fn an_aggregation_streaming_over_the_merge_joins_order_becomes_a_hash_aggregation() {
        // Grouped by the join key: DataFusion streams the groups in the sort-merge join's
        // order. Once the join hashes, that order is gone and the aggregation hashes too,
        // the aggregation strategy following the measured join strategy. The stage is the
        // query's last: no stage reads it in the order it was planned with.
        let stage = join_stage(&format!(
            "{TABLES} SELECT a.v, count(*) FROM a JOIN b ON a.v = b.w GROUP BY a.v"
        ))
        .await;
        let planned = text(&stage);
        assert!(
            planned.contains("SortMergeJoin") && planned.contains("ordering_mode=Sorted"),
            "{planned}"
        );
        let (hashed, _) = choose_join_strategies(&stage, &sizes(&stage, 10, 5_000), 1_000, false)
            .unwrap()
            .expect("a side is small");
        // Had another stage read it in that order, the join would have stayed.
        let kept = choose_join_strategies(&stage, &sizes(&stage, 10, 5_000), 1_000, true);
        assert!(kept.unwrap().is_none());
        let plan = text(&hashed);
        assert!(plan.contains("HashJoinExec: mode=Partitioned"), "{plan}");
        assert!(
            plan.contains("AggregateExec") && !plan.contains("ordering_mode"),
            "{plan}"
        );
    }

    #[tokio::test]
    async fn joins_of_one_stage_change_together_each_building_a_measured_side() {
        // Three inputs on one key: one stage, the outer join streaming the inner's output.
        let stage = join_stage(&format!(
            "{TABLES}, c AS (SELECT w AS x FROM b) \
             SELECT count(*) FROM a JOIN b ON a.v = b.w JOIN c ON a.v = c.x"
        ))
        .await;
        assert_eq!(
            text(&stage).matches("SortMergeJoin").count(),
            2,
            "{}",
            text(&stage)
        );
        let (hashed, note) = choose_join_strategies(&stage, &|_| Some(vec![10; 4]), 1_000, true)
            .unwrap()
            .expect("every side is small");
        let plan = text(&hashed);
        assert_eq!(
            plan.matches("HashJoinExec: mode=Partitioned").count(),
            2,
            "{plan}"
        );
        assert!(!plan.contains("Sort"), "{plan}");
        assert_eq!(
            note.matches("became a partitioned hash join").count(),
            2,
            "{note}"
        );
    }

    #[tokio::test]
    async fn a_hash_join_whose_build_side_is_too_large_builds_the_other_or_merges() {
        let stage = planned_join_stage(&join(), true).await;
        assert!(
            text(&stage).contains("HashJoinExec: mode=Partitioned"),
            "{}",
            text(&stage)
        );
        let build = stage.inputs[0];

        // Both sides too large: a sort-merge join over sorted sides.
        let (merged, note) =
            choose_join_strategies(&stage, &sizes(&stage, 5_000, 5_000), 1_000, true)
                .unwrap()
                .expect("the build side is too large");
        let plan = text(&merged);
        assert!(
            plan.contains("SortMergeJoin") && !plan.contains("HashJoinExec"),
            "{plan}"
        );
        assert_eq!(plan.matches("SortExec").count(), 2, "{plan}");
        assert!(note.contains("became a sort-merge join"), "{note}");
        assert!(note.contains(&format!("stage {build}'s output")), "{note}");

        // The other side fits: it is built instead.
        let (swapped, note) =
            choose_join_strategies(&stage, &sizes(&stage, 5_000, 10), 1_000, true)
                .unwrap()
                .expect("the other side fits");
        assert!(
            text(&swapped).contains("HashJoinExec: mode=Partitioned"),
            "{}",
            text(&swapped)
        );
        assert!(note.contains("builds stage"), "{note}");

        // The build side fits: nothing changes.
        assert!(
            choose_join_strategies(&stage, &sizes(&stage, 10, 5_000), 1_000, true)
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_hash_join_builds_the_side_measured_smaller() {
        let stage = planned_join_stage(&join(), true).await;
        let (build, probe) = (stage.inputs[0], stage.inputs[1]);

        let (reordered, note) =
            choose_join_strategies(&stage, &sizes(&stage, 500, 10), 1_000, true)
                .unwrap()
                .expect("the probe side is smaller");
        let plan = text(&reordered);
        assert_eq!(
            plan.matches("HashJoinExec: mode=Partitioned").count(),
            1,
            "{plan}"
        );
        assert!(
            note.contains(&format!(
                "builds stage {probe}'s output (40 bytes), the smaller side"
            )),
            "{note}"
        );
        assert!(
            note.contains(&format!("instead of stage {build}'s")),
            "{note}"
        );
        assert_eq!(reordered.tasks(), stage.tasks());
        assert_eq!(
            reordered.plan.input().schema(),
            stage.plan.input().schema(),
            "the swap keeps the columns' order"
        );

        for (left, right) in [(10, 500), (10, 10)] {
            assert!(
                choose_join_strategies(&stage, &sizes(&stage, left, right), 1_000, true)
                    .unwrap()
                    .is_none(),
                "build {left}, probe {right}"
            );
        }
    }

    #[tokio::test]
    async fn a_join_whose_sides_are_both_large_or_unmeasured_stays() {
        let stage = join_stage(&join()).await;
        assert!(
            choose_join_strategies(&stage, &sizes(&stage, 5_000, 5_000), 1_000, true)
                .unwrap()
                .is_none()
        );
        // One partition above the limit is enough to keep it.
        let (first, second) = (stage.inputs[0], stage.inputs[1]);
        let skewed =
            move |input| (input == first || input == second).then(|| vec![10, 10, 10, 5_000]);
        assert!(
            choose_join_strategies(&stage, &skewed, 1_000, true)
                .unwrap()
                .is_none()
        );
        assert!(
            choose_join_strategies(&stage, &|_| None, 1_000, true)
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_join_whose_order_a_merge_needs_stays() {
        // The merge join's output is sorted on the key, which the final sort uses: EXPLAIN
        // shows no sort between them when the ordering is reused.
        let stage = join_stage(&format!(
            "{TABLES} SELECT a.v FROM a JOIN b ON a.v = b.w ORDER BY a.v"
        ))
        .await;
        assert!(text(&stage).contains("SortMergeJoin"), "{}", text(&stage));
        assert!(
            choose_join_strategies(&stage, &sizes(&stage, 10, 10), 1_000, true)
                .unwrap()
                .is_none(),
            "{}",
            text(&stage)
        );
    }
}
