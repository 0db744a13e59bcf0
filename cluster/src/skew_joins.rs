//! Skewed join partitions split into several tasks (Spark's `OptimizeSkewedJoin`): once
//! both inputs of a shuffled join are measured, a partition of one side far larger than
//! that side's median is read by several tasks, each taking the files of a range of the
//! map tasks that wrote it, and each joined with the whole matching partition of the other
//! side. Without it, one task holds the stage for as long as its partition takes while the
//! cluster's other slots sit idle, and a sort-merge join spills it all.
//!
//! ```text
//!   left  bytes per partition   2M  3M  410M  2M        (median 3M: partition 2 is skewed)
//!   tasks                       0   1   2a 2b 2c 2d  3   (each 2x reads ~100M of partition 2,
//!                                                         written by a range of map tasks)
//!   right                       0   1   2  2  2  2   3   (partition 2 read whole, four times)
//! ```
//!
//! Splitting is correct only where every row of the split side meets all the rows of the
//! other side it could match, and where nothing counts rows of the other side once: the
//! side split must be one whose rows the join emits at most once whatever else a task sees
//! (either side of an inner join, the preserved side of a left or right join, the side a
//! semi, anti or mark join returns), and above the join, up to the stage's writer, only operators that
//! treat each partition on its own may run (projection, filter, sort, a partial
//! aggregation). Both sides of an inner join may be skewed in one partition: every piece of
//! one meets every piece of the other.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use datafusion::common::JoinType;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode, SortMergeJoinExec};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use trebuchet_shuffle::ids::StageId;
use trebuchet_shuffle::{ReadSlice, ShuffleReaderExec};

use crate::cluster_engine::MAX_TASKS_PER_STAGE;
use crate::coalesce_partitions::{
    StageOutputs, map_readers_into_tasks, shuffle_input_partitions, written_partition_bytes,
};
use crate::stage_planner::QueryStage;

/// When a partition counts as skewed: `ballista.planner.adaptive.skew_join.*`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkewJoinLimits {
    /// How many times its side's median partition it must exceed.
    pub factor: f64,
    /// And the bytes it must exceed: splitting a partition that takes a task a few seconds
    /// gains less than the extra tasks and the other side's repeated reads cost.
    pub threshold_bytes: u64,
}

/// The join of a stage whose skewed partitions may be split: which stage each side reads,
/// and which sides may be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SplittableJoin {
    left: StageId,
    right: StageId,
    split_left: bool,
    split_right: bool,
}

/// The join in `stage` whose partitions may be split, if the stage is one: every leaf reads
/// a hash shuffle, one equi-join (sort-merge or partitioned hash) reads one shuffle on each
/// side through projections, filters and sorts, and only operators that treat each
/// partition on their own run above it.
pub(crate) fn splittable_join(stage: &QueryStage) -> Option<SplittableJoin> {
    shuffle_input_partitions(stage)?;
    let mut node = stage.plan.input();
    loop {
        let (left, right, join_type) = if let Some(join) = node.downcast_ref::<SortMergeJoinExec>()
        {
            (join.left(), join.right(), join.join_type())
        } else if let Some(join) = node.downcast_ref::<HashJoinExec>()
            && *join.partition_mode() == PartitionMode::Partitioned
            && !join.null_aware
        {
            (join.left(), join.right(), *join.join_type())
        } else if treats_partitions_alone(node)
            && let [child] = node.children()[..]
        {
            node = child;
            continue;
        } else {
            return None;
        };
        let (split_left, split_right) = splittable_sides(join_type);
        let join = SplittableJoin {
            left: side_input(left)?,
            right: side_input(right)?,
            split_left,
            split_right,
        };
        return ((split_left || split_right) && join.left != join.right).then_some(join);
    }
}

/// Which sides of a join of `join_type` may be split: those whose rows it emits (or
/// drops) at most once whatever rows of the other side a task sees.
fn splittable_sides(join_type: JoinType) -> (bool, bool) {
    match join_type {
        JoinType::Inner => (true, true),
        JoinType::Left | JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => {
            (true, false)
        }
        JoinType::Right | JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => {
            (false, true)
        }
        // A full join's unmatched rows of either side would come out of every piece.
        JoinType::Full => (false, false),
    }
}

/// Whether `plan`, above the join, gives the same rows when its partition is read in
/// pieces, one task each: it keeps no state across the rows of a partition that a piece
/// would change (a partial aggregation's partial results are merged by the next stage).
fn treats_partitions_alone(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<ProjectionExec>()
        || plan.is::<FilterExec>()
        || plan
            .downcast_ref::<SortExec>()
            .is_some_and(SortExec::preserve_partitioning)
        || plan
            .downcast_ref::<AggregateExec>()
            .is_some_and(|aggregate| *aggregate.mode() == AggregateMode::Partial)
}

/// The stage a join side reads, through operators that keep each row on its own.
fn side_input(side: &Arc<dyn ExecutionPlan>) -> Option<StageId> {
    if let Some(reader) = side.downcast_ref::<ShuffleReaderExec>() {
        return Some(reader.stage());
    }
    let row_by_row =
        side.is::<ProjectionExec>() || side.is::<FilterExec>() || side.is::<SortExec>();
    match side.children()[..] {
        [child] if row_by_row => side_input(child),
        _ => None,
    }
}

/// `stage`, whose tasks read `groups` of its input partitions (adjacent partitions merged
/// by coalescing, or one each), with the skewed partitions of its join split into several
/// tasks each; and what the operator's views say about it. `None` when no partition is
/// skewed, or none can be split (its bytes all come from one map task), or the pieces would
/// give the stage more tasks than a job may have (`MAX_TASKS_PER_STAGE`, which job
/// submission enforces). A piece aims at `target_bytes`, or at the side's average unskewed
/// partition when that is larger.
pub(crate) fn split_skewed_partitions(
    stage: &QueryStage,
    join: SplittableJoin,
    groups: &[Range<usize>],
    outputs: &StageOutputs,
    limits: SkewJoinLimits,
    target_bytes: u64,
) -> Result<Option<(QueryStage, String)>> {
    let left = SideSkew::measure(join.left, join.split_left, outputs, limits, target_bytes);
    let right = SideSkew::measure(join.right, join.split_right, outputs, limits, target_bytes);
    let mut left_slices = Vec::new();
    let mut right_slices = Vec::new();
    let mut notes = Vec::new();
    for group in groups_with_skewed_alone(groups, |p| left.is_skewed(p) || right.is_skewed(p)) {
        let partition = group.start;
        let pieces = |side: &SideSkew| {
            if group.len() == 1 && side.is_skewed(partition) {
                side.pieces(partition, outputs)
            } else {
                vec![ReadSlice::whole(group.clone())]
            }
        };
        let (left_pieces, right_pieces) = (pieces(&left), pieces(&right));
        if left_slices.len() + left_pieces.len() * right_pieces.len() > MAX_TASKS_PER_STAGE {
            // Both sides cut finely: more tasks than a stage may run.
            return Ok(None);
        }
        if left_pieces.len() * right_pieces.len() > 1 {
            notes.push(format!(
                "partition {partition} ({}) into {} tasks",
                [(&left, left_pieces.len()), (&right, right_pieces.len())]
                    .into_iter()
                    .filter(|(_, pieces)| *pieces > 1)
                    .map(|(side, pieces)| side.describe(partition, pieces))
                    .collect::<Vec<_>>()
                    .join(", "),
                left_pieces.len() * right_pieces.len()
            ));
        }
        // Every piece of one side meets every piece of the other.
        for left_piece in &left_pieces {
            for right_piece in &right_pieces {
                left_slices.push(left_piece.clone());
                right_slices.push(right_piece.clone());
            }
        }
    }
    if notes.is_empty() {
        return Ok(None);
    }
    let split = map_readers_into_tasks(stage, left_slices.len(), "split", |reader| {
        let slices = match reader.stage() {
            input if input == join.left => left_slices.clone(),
            input if input == join.right => right_slices.clone(),
            input => {
                return Err(DataFusionError::Internal(format!(
                    "stage {} reads stage {input} beside its join",
                    stage.id
                )));
            }
        };
        reader.sliced(slices).map(Some)
    })?;
    let note = format!(
        "split skewed partitions, each piece joined with the whole matching partition of the \
         other side: {}",
        notes.join("; ")
    );
    Ok(Some((split, note)))
}

/// `groups` with every group holding a skewed partition and others cut around it, so that
/// the skewed one stands alone.
fn groups_with_skewed_alone(
    groups: &[Range<usize>],
    skewed: impl Fn(usize) -> bool,
) -> Vec<Range<usize>> {
    let mut alone = Vec::new();
    for group in groups {
        let mut start = group.start;
        for partition in group.clone() {
            if skewed(partition) && group.len() > 1 {
                alone.extend([start..partition, partition..partition + 1]);
                start = partition + 1;
            }
        }
        alone.push(start..group.end);
    }
    alone.retain(|group| !group.is_empty());
    alone
}

/// One side of the join, measured: which of its partitions are skewed, and how large a
/// piece of one should be.
struct SideSkew {
    stage: StageId,
    /// The bytes its input stage wrote to each partition; empty when it may not be split.
    bytes: Vec<u64>,
    median: u64,
    skewed: Vec<bool>,
    piece_bytes: u64,
}

impl SideSkew {
    fn measure(
        stage: StageId,
        splittable: bool,
        outputs: &StageOutputs,
        limits: SkewJoinLimits,
        target_bytes: u64,
    ) -> Self {
        let bytes = if splittable {
            written_partition_bytes(outputs, stage).unwrap_or_default()
        } else {
            Vec::new()
        };
        let median = median(&bytes).max(1);
        let skewed: Vec<bool> = bytes
            .iter()
            .map(|&size| {
                size as f64 > limits.factor * median as f64 && size > limits.threshold_bytes
            })
            .collect();
        // Spark's choice: pieces no smaller than an ordinary partition of this side.
        let unskewed: Vec<u64> = bytes
            .iter()
            .zip(&skewed)
            .filter(|(_, skewed)| !**skewed)
            .map(|(size, _)| *size)
            .collect();
        let average = unskewed.iter().sum::<u64>() / (unskewed.len() as u64).max(1);
        Self {
            stage,
            bytes,
            median,
            skewed,
            piece_bytes: target_bytes.max(average).max(1),
        }
    }

    fn is_skewed(&self, partition: usize) -> bool {
        self.skewed.get(partition).copied().unwrap_or(false)
    }

    /// Partition `partition` of this side in pieces of about `piece_bytes`, each the files
    /// of a range of map tasks; whole when they cannot be cut (one map task wrote it all).
    fn pieces(&self, partition: usize, outputs: &StageOutputs) -> Vec<ReadSlice> {
        let by_task = map_task_bytes(outputs, self.stage, partition);
        match map_task_ranges(&by_task, self.piece_bytes) {
            ranges if ranges.len() > 1 => ranges
                .into_iter()
                .map(|tasks| ReadSlice::split(partition, tasks))
                .collect(),
            _ => vec![ReadSlice::whole(partition..partition + 1)],
        }
    }

    fn describe(&self, partition: usize, pieces: usize) -> String {
        format!(
            "stage {}'s output, {} bytes against a median of {}, in {pieces} pieces",
            self.stage, self.bytes[partition], self.median
        )
    }
}

/// The middle of `bytes` once sorted; 0 for none.
fn median(bytes: &[u64]) -> u64 {
    let mut sorted = bytes.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// The bytes each finished map task of `stage` wrote to `partition`, by task.
fn map_task_bytes(outputs: &StageOutputs, stage: StageId, partition: usize) -> BTreeMap<u32, u64> {
    outputs
        .get(&stage)
        .into_iter()
        .flatten()
        .map(|(&task, (_, files))| {
            let bytes = files
                .iter()
                .filter(|file| file.output_partition as usize == partition)
                .map(|file| file.num_bytes)
                .sum();
            (task, bytes)
        })
        .collect()
}

/// Adjacent ranges of map task ids covering every id, each writing about `piece_bytes` (a
/// task above it stands alone); a last piece under a fifth of that joins the one before, so
/// that no task is launched for a sliver.
fn map_task_ranges(by_task: &BTreeMap<u32, u64>, piece_bytes: u64) -> Vec<Range<u32>> {
    if by_task.is_empty() {
        return Vec::new();
    }
    let mut starts = vec![0u32];
    let mut size = 0u64;
    for (&task, &bytes) in by_task {
        if size > 0 && size.saturating_add(bytes) > piece_bytes {
            starts.push(task);
            size = 0;
        }
        size = size.saturating_add(bytes);
    }
    if starts.len() > 1 && size < piece_bytes / 5 {
        starts.pop();
    }
    let ends = starts.iter().skip(1).copied().chain([u32::MAX]);
    starts
        .iter()
        .copied()
        .zip(ends)
        .map(|(start, end)| start..end)
        .collect()
}

#[cfg(test)]
mod tests {
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::{SessionConfig, SessionContext};
    use trebuchet_shuffle::ids::ExecutorId;

    use super::*;
    use crate::protocol::ShuffleFile;
    use crate::test_support::{partitioned_join_config, stages_of_sql};

    /// The stage joining two generated tables over four partitions with `join`, planned
    /// with sort-merge joins or partitioned hash joins.
    async fn join_stage(join: &str, hash_joins: bool) -> QueryStage {
        let ctx = SessionContext::new_with_config(partitioned_join_config(hash_joins));
        let sql = format!(
            "WITH a AS (SELECT v * 7919 % 1000 AS v FROM generate_series(1, 1000) AS t(v)), \
             b AS (SELECT w * 7919 % 100 AS w FROM generate_series(1, 100) AS t(w)) \
             SELECT a.v % 10 AS k, count(*) FROM a {join} b ON a.v = b.w GROUP BY a.v % 10"
        );
        stages_of_sql(&ctx, &sql)
            .await
            .stages()
            .iter()
            .find(|stage| stage.inputs.len() == 2)
            .expect("a stage joins")
            .clone()
    }

    /// What four map tasks of each input stage wrote: `bytes[p]` to partition `p`, spread
    /// evenly over the tasks.
    fn outputs(join: SplittableJoin, left: [u64; 4], right: [u64; 4]) -> StageOutputs {
        let stage_outputs = |bytes: [u64; 4]| {
            (0..4u32)
                .map(|task| {
                    let files = (0..4u32)
                        .map(|partition| ShuffleFile {
                            output_partition: partition,
                            path: format!("/x/{task}/{partition}"),
                            num_rows: 1,
                            num_bytes: bytes[partition as usize] / 4,
                            index_entry: None,
                        })
                        .collect();
                    (task, (ExecutorId::new("e"), files))
                })
                .collect()
        };
        [
            (join.left, stage_outputs(left)),
            (join.right, stage_outputs(right)),
        ]
        .into_iter()
        .collect()
    }

    const LIMITS: SkewJoinLimits = SkewJoinLimits {
        factor: 5.0,
        threshold_bytes: 1_000,
    };

    fn identity(partitions: usize) -> Vec<Range<usize>> {
        (0..partitions).map(|p| p..p + 1).collect()
    }

    #[tokio::test]
    async fn a_skewed_partition_is_read_by_several_tasks_and_the_other_side_by_each() {
        for hash_joins in [false, true] {
            let stage = join_stage("JOIN", hash_joins).await;
            let join = splittable_join(&stage).expect("an inner join of two shuffles");
            assert!(join.split_left && join.split_right);
            // Partition 2 of the left side is 80× the median; pieces aim at 10 000 bytes.
            let written = outputs(join, [1_000, 500, 40_000, 0], [100, 100, 100, 100]);
            let (split, note) =
                split_skewed_partitions(&stage, join, &identity(4), &written, LIMITS, 10_000)
                    .unwrap()
                    .expect("partition 2 is split");
            assert_eq!(split.tasks(), 3 + 4, "{note}");
            assert!(note.contains("partition 2 (stage"), "{note}");
            assert!(
                note.contains("40000 bytes against a median of 1000, in 4 pieces"),
                "{note}"
            );
            let text = displayable(split.plan.as_ref()).indent(false).to_string();
            assert_eq!(
                text.matches("7 slices of 4, skewed ones split").count(),
                2,
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn a_partition_skewed_on_both_sides_runs_every_pair_of_pieces() {
        let stage = join_stage("JOIN", false).await;
        let join = splittable_join(&stage).unwrap();
        let written = outputs(join, [40_000, 10, 10, 10], [20_000, 10, 10, 10]);
        let (split, _) =
            split_skewed_partitions(&stage, join, &identity(4), &written, LIMITS, 10_000)
                .unwrap()
                .unwrap();
        assert_eq!(split.tasks(), 4 * 2 + 3);
    }

    #[tokio::test]
    async fn only_the_side_whose_rows_the_join_emits_once_is_split() {
        let skewed = [10, 10, 40_000, 10];
        let even = [10; 4];
        for (join_type, left_splits, right_splits) in [
            ("LEFT JOIN", true, false),
            ("RIGHT JOIN", false, true),
            ("LEFT SEMI JOIN", true, false),
            ("LEFT ANTI JOIN", true, false),
        ] {
            let stage = join_stage(join_type, false).await;
            let join = splittable_join(&stage).expect(join_type);
            for (left, right, splits) in [(skewed, even, left_splits), (even, skewed, right_splits)]
            {
                let written = outputs(join, left, right);
                let split =
                    split_skewed_partitions(&stage, join, &identity(4), &written, LIMITS, 10_000)
                        .unwrap();
                assert_eq!(split.is_some(), splits, "{join_type}: {left:?} {right:?}");
            }
        }
        let full = join_stage("FULL JOIN", false).await;
        assert_eq!(
            splittable_join(&full),
            None,
            "a full join splits neither side"
        );
    }

    #[tokio::test]
    async fn nothing_is_split_below_the_threshold_the_factor_or_within_one_map_task() {
        let stage = join_stage("JOIN", false).await;
        let join = splittable_join(&stage).unwrap();
        let even = [100; 4];
        let split = |left: [u64; 4], limits: SkewJoinLimits| {
            split_skewed_partitions(
                &stage,
                join,
                &identity(4),
                &outputs(join, left, even),
                limits,
                10,
            )
            .unwrap()
            .is_some()
        };
        assert!(split([100, 100, 5_000, 100], LIMITS));
        assert!(!split([100, 100, 900, 100], LIMITS), "under the threshold");
        assert!(
            !split(
                [1_000, 1_000, 4_000, 1_000],
                SkewJoinLimits {
                    factor: 5.0,
                    threshold_bytes: 1
                }
            ),
            "under five times the median"
        );
        // One map task wrote all of partition 2: it cannot be cut.
        let mut written = outputs(join, [100, 100, 0, 100], even);
        let files = &mut written.get_mut(&join.left).unwrap().get_mut(&0).unwrap().1;
        files[2].num_bytes = 50_000;
        let split =
            split_skewed_partitions(&stage, join, &identity(4), &written, LIMITS, 10).unwrap();
        assert!(split.is_none());
    }

    #[tokio::test]
    #[allow(clippy::single_range_in_vec_init)] // one group of all four partitions
    async fn a_skewed_partition_leaves_its_coalesced_group() {
        let stage = join_stage("JOIN", false).await;
        let join = splittable_join(&stage).unwrap();
        let written = outputs(join, [10, 10, 40_000, 10], [10; 4]);
        let (split, note) =
            split_skewed_partitions(&stage, join, &[0..4], &written, LIMITS, 10_000)
                .unwrap()
                .unwrap();
        // 0..2 and 3..4 stay merged around the four pieces of partition 2.
        assert_eq!(split.tasks(), 2 + 4, "{note}");
        assert_eq!(
            groups_with_skewed_alone(&[0..3, 3..6], |p| p == 1 || p == 3),
            vec![0..1, 1..2, 2..3, 3..4, 4..6]
        );
    }

    #[test]
    fn map_tasks_are_cut_into_adjacent_ranges_covering_every_task() {
        let by_task: BTreeMap<u32, u64> = [(0, 40), (1, 40), (2, 40), (3, 5), (5, 40)].into();
        assert_eq!(map_task_ranges(&by_task, 80), vec![0..2, 2..5, 5..u32::MAX]);
        // A sliver at the end joins the piece before it.
        let by_task: BTreeMap<u32, u64> = [(0, 100), (1, 100), (2, 1)].into();
        assert_eq!(map_task_ranges(&by_task, 100), vec![0..1, 1..u32::MAX]);
        // A single large task stands alone.
        let by_task: BTreeMap<u32, u64> = [(0, 1), (1, 500), (2, 1)].into();
        assert_eq!(map_task_ranges(&by_task, 100), vec![0..1, 1..u32::MAX]);
        assert_eq!(
            map_task_ranges(&BTreeMap::new(), 100),
            Vec::<Range<u32>>::new()
        );
    }

    #[tokio::test]
    async fn a_join_below_a_final_aggregation_is_not_split() {
        // The join's output feeds an aggregation in the same stage that needs every row of
        // a key in one task: splitting would count a key's groups once per piece.
        let config = SessionConfig::new()
            .with_target_partitions(4)
            .set_bool("datafusion.optimizer.prefer_hash_join", false);
        let ctx = SessionContext::new_with_config(config);
        let stages = stages_of_sql(
            &ctx,
            "WITH a AS (SELECT v * 7919 % 1000 AS v FROM generate_series(1, 1000) AS t(v)), \
             b AS (SELECT w * 7919 % 100 AS w FROM generate_series(1, 100) AS t(w)) \
             SELECT a.v, count(*) FROM a JOIN b ON a.v = b.w GROUP BY a.v",
        )
        .await;
        let join = stages
            .stages()
            .iter()
            .find(|stage| stage.inputs.len() == 2)
            .unwrap();
        let text = displayable(join.plan.as_ref()).indent(false).to_string();
        assert!(
            text.contains("FinalPartitioned") || text.contains("SinglePartitioned"),
            "{text}"
        );
        assert_eq!(splittable_join(join), None, "{text}");
    }
}
