//! Adaptive coalescing of shuffle partitions (Spark's `CoalesceShufflePartitions`): once
//! the stages a stage reads have finished, their measured bytes per hash partition decide
//! how many tasks it runs. Adjacent partitions are merged up to an advisory size, so a
//! stage over a few kilobytes runs as many tasks as the cluster has slots instead of one
//! per partition (sixteen by default), and a stage over gigabytes keeps its partitions.
//!
//! ```text
//!   bytes per partition   3K 1K 0 2K 40M | 30M | 70M | 5K 2K 1K 0 0
//!   tasks                 └───── 1 ────┘  └ 2 ┘ └ 3 ┘ └──── 4 ────┘   (advisory 64 MiB)
//! ```
//!
//! Only a stage whose every leaf reads a hash shuffle of the same partition count, in no
//! particular order, is coalesced; all its readers are merged alike, so co-partitioned
//! inputs (a partitioned hash join, a sort-merge join, a final aggregation) stay
//! co-partitioned. Its output must not change for the stages reading it: either it
//! repartitions its output itself, or the stages reading it merge all its partitions (a
//! `CoalescePartitionsExec` or `SortPreservingMergeExec` right above their reader), whose
//! readers then follow the new count ([`follow_replanned_input`]), or no stage reads it.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, Partitioning};
use trebuchet_shuffle::ShuffleReaderExec;
use trebuchet_shuffle::ids::{ExecutorId, StageId};

use crate::protocol::ShuffleFile;
use crate::skew_joins::SkewJoinLimits;
use crate::stage_planner::QueryStage;

/// What the adaptive planner may do with a job's stages, from its session's keys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptivePlanning {
    /// `ballista.planner.adaptive.coalesce_partitions.enabled`.
    pub coalesce_partitions: bool,
    /// `ballista.planner.adaptive.coalesce_partitions.advisory_partition_size`.
    pub advisory_partition_size: u64,
    /// `ballista.planner.adaptive.join_strategy.hash_join_max_build_bytes`, when
    /// `…join_strategy.enabled`.
    pub hash_join_max_build_bytes: Option<u64>,
    /// `ballista.planner.adaptive.empty_stage_elimination.enabled`.
    pub eliminate_empty_stages: bool,
    /// `ballista.planner.adaptive.single_task.max_input_bytes`, when
    /// `…single_task.enabled`.
    pub single_task_max_input_bytes: Option<u64>,
    /// `ballista.planner.adaptive.skew_join.*`, when `…skew_join.enabled`.
    pub skew_join: Option<SkewJoinLimits>,
}

/// Whether the adaptive planner may change how many tasks `stage` runs (coalescing, or
/// splitting skewed partitions), which the stages `readers` read: a pass-through writer
/// would hand them another number of partitions, which only a merge of all of them does
/// not notice.
pub(crate) fn may_change_task_count(stage: &QueryStage, readers: &[&QueryStage]) -> bool {
    shuffle_input_partitions(stage).is_some()
        && (stage.plan.partitioning().is_some()
            || readers.iter().all(|reader| merges_all_of(reader, stage.id)))
}

/// Whether every reader of `input` in `stage` sits right below a merge of all its
/// partitions.
fn merges_all_of(stage: &QueryStage, input: StageId) -> bool {
    fn reads(plan: &Arc<dyn ExecutionPlan>, input: StageId) -> bool {
        plan.downcast_ref::<ShuffleReaderExec>()
            .is_some_and(|reader| reader.stage() == input)
    }
    fn check(plan: &Arc<dyn ExecutionPlan>, input: StageId) -> bool {
        let merges = plan.is::<CoalescePartitionsExec>() || plan.is::<SortPreservingMergeExec>();
        plan.children().into_iter().all(|child| {
            let fine = !reads(child, input)
                || (merges
                    && matches!(
                        child.output_partitioning(),
                        Partitioning::UnknownPartitioning(_)
                    ));
            fine && check(child, input)
        })
    }
    let root = stage.plan.input();
    !reads(root, input) && check(root, input)
}

/// Every stage `replanned` changes, each with what the operator's views say about it: the
/// re-planned stage first, then, when it writes its partitions through, each of `stages`
/// that reads it.
pub(crate) fn changed_stages<'a>(
    replanned: Replanned,
    stages: impl IntoIterator<Item = &'a QueryStage>,
) -> Result<Vec<(QueryStage, String)>> {
    let id = replanned.stage.id;
    let partitions = replanned.stage.tasks();
    let mut changed = Vec::new();
    if replanned.stage.plan.partitioning().is_none() {
        for reader in stages
            .into_iter()
            .filter(|reader| reader.inputs.contains(&id))
        {
            let note = format!("reads stage {id}'s re-planned output, {partitions} partitions");
            changed.push((follow_replanned_input(reader, id, partitions)?, note));
        }
    }
    changed.insert(0, (replanned.stage, replanned.note));
    Ok(changed)
}

/// `stage` reading `input`'s output in `partitions` partitions, now that the adaptive
/// planner changed how many tasks `input` runs (see [`may_change_task_count`]).
fn follow_replanned_input(
    stage: &QueryStage,
    input: StageId,
    partitions: usize,
) -> Result<QueryStage> {
    map_readers(stage, |reader| {
        (reader.stage() == input)
            .then(|| reader.with_written_partitions(partitions))
            .transpose()
    })
}

/// `stage` with each shuffle reader `rewrite` answers for replaced (`None` keeps it).
pub(crate) fn map_readers(
    stage: &QueryStage,
    rewrite: impl Fn(&ShuffleReaderExec) -> Result<Option<ShuffleReaderExec>>,
) -> Result<QueryStage> {
    let input = Arc::clone(stage.plan.input())
        .transform_up(|plan| {
            let rewritten = match plan.downcast_ref::<ShuffleReaderExec>() {
                Some(reader) => rewrite(reader)?,
                None => None,
            };
            Ok(match rewritten {
                Some(reader) => Transformed::yes(Arc::new(reader) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(plan),
            })
        })?
        .data;
    stage.with_input(input)
}

/// The hash partition count every leaf of `stage` reads, if every leaf is such a reader.
pub(crate) fn shuffle_input_partitions(stage: &QueryStage) -> Option<usize> {
    fn leaves(plan: &Arc<dyn ExecutionPlan>, out: &mut Vec<Arc<dyn ExecutionPlan>>) {
        let children = plan.children();
        if children.is_empty() {
            out.push(Arc::clone(plan));
        }
        for child in children {
            leaves(child, out);
        }
    }
    let mut found = Vec::new();
    leaves(stage.plan.input(), &mut found);
    let mut partitions = None;
    for leaf in &found {
        if !leaf.is::<ShuffleReaderExec>() {
            return None;
        }
        let Partitioning::Hash(_, count) = leaf.output_partitioning() else {
            return None;
        };
        if leaf.output_ordering().is_some() || partitions.is_some_and(|seen| seen != *count) {
            return None;
        }
        partitions = Some(*count);
    }
    // A union of readers runs one task per partition of each: not one per shared partition.
    partitions.filter(|count| *count > 1 && stage.tasks() == *count)
}

/// Adjacent runs of partitions, each of about `advisory` bytes at most (a partition larger
/// than that stays alone), and at least `min_groups` of them (the cluster's task slots)
/// while there are that many partitions.
pub(crate) fn partition_groups(
    bytes: &[u64],
    advisory: u64,
    min_groups: usize,
) -> Vec<Range<usize>> {
    let partitions = bytes.len();
    let min_groups = min_groups.clamp(1, partitions.max(1));
    let total = total_bytes(bytes);
    // Never aim so high that fewer groups than slots form while the data allows more.
    let target = advisory.min(total.div_ceil(min_groups as u64)).max(1);
    let mut groups = Vec::new();
    let mut start = 0;
    let mut size = 0u64;
    for (partition, &partition_bytes) in bytes.iter().enumerate() {
        if partition > start && size.saturating_add(partition_bytes) > target {
            groups.push(start..partition);
            start = partition;
            size = 0;
        }
        size = size.saturating_add(partition_bytes);
    }
    if partitions > start {
        groups.push(start..partitions);
    }
    if groups.len() < min_groups {
        // Tiny or empty inputs: spread the partitions evenly over the slots.
        return (0..min_groups)
            .map(|group| group * partitions / min_groups..(group + 1) * partitions / min_groups)
            .collect();
    }
    groups
}

/// A stage whose tasks now read its input partitions differently (coalesced, or skewed ones
/// split).
#[derive(Debug)]
pub(crate) struct Replanned {
    pub(crate) stage: QueryStage,
    /// What the operator's views say about it.
    pub(crate) note: String,
}

/// The bytes `stage`'s input stages wrote to each partition it reads, summed over its
/// inputs; `None` when an input's partition count differs from the stage's readers'.
pub(crate) fn written_bytes(outputs: &StageOutputs, stage: &QueryStage) -> Option<Vec<u64>> {
    let partitions = shuffle_input_partitions(stage)?;
    let mut bytes = vec![0u64; partitions];
    for input in &stage.inputs {
        for file in written_files(outputs, *input) {
            let slot = bytes.get_mut(file.output_partition as usize)?;
            *slot = slot.saturating_add(file.num_bytes);
        }
    }
    Some(bytes)
}

/// The bytes the finished stage `input` wrote to each of its output partitions; `None`
/// before it has written anything.
pub(crate) fn written_partition_bytes(outputs: &StageOutputs, input: StageId) -> Option<Vec<u64>> {
    let mut bytes = Vec::new();
    for file in written_files(outputs, input) {
        let partition = file.output_partition as usize;
        if bytes.len() <= partition {
            bytes.resize(partition + 1, 0u64);
        }
        bytes[partition] = bytes[partition].saturating_add(file.num_bytes);
    }
    (!bytes.is_empty() || outputs.contains_key(&input)).then_some(bytes)
}

/// What each finished task of a stage wrote, by stage: where it ran and its files.
pub(crate) type StageOutputs = HashMap<StageId, BTreeMap<u32, (ExecutorId, Vec<ShuffleFile>)>>;

fn written_files(outputs: &StageOutputs, input: StageId) -> impl Iterator<Item = &ShuffleFile> {
    outputs
        .get(&input)
        .into_iter()
        .flat_map(BTreeMap::values)
        .flat_map(|(_, files)| files)
}

/// The groups of adjacent partitions `stage`'s tasks would read, coalesced from
/// `written` on a cluster of `slots` task slots, and what the operator's views say about
/// it; `None` when it keeps its partitions.
pub(crate) fn coalesced_groups(
    stage: &QueryStage,
    written: &[u64],
    planning: AdaptivePlanning,
    slots: usize,
) -> Option<(Vec<Range<usize>>, String)> {
    if !planning.coalesce_partitions || shuffle_input_partitions(stage) != Some(written.len()) {
        return None;
    }
    let groups = partition_groups(written, planning.advisory_partition_size, slots);
    if groups.len() >= written.len() {
        return None;
    }
    let note = format!(
        "coalesced {} shuffle partitions ({} bytes) into {} tasks (advisory size {} bytes, \
         {slots} task slots)",
        written.len(),
        total_bytes(written),
        groups.len(),
        planning.advisory_partition_size
    );
    Some((groups, note))
}

/// The sum of `bytes`, saturating: sizes come from executors' reports.
fn total_bytes(bytes: &[u64]) -> u64 {
    bytes.iter().fold(0u64, |sum, b| sum.saturating_add(*b))
}

/// `stage` with every shuffle reader merged into `groups`: it runs one task per group.
pub(crate) fn coalesce_stage(stage: &QueryStage, groups: &[Range<usize>]) -> Result<QueryStage> {
    map_readers_into_tasks(stage, groups.len(), "coalesced", |reader| {
        reader.coalesced(groups.to_vec()).map(Some)
    })
}

/// [`map_readers`] for a rule that sets the stage's task count to `tasks`: a stage whose
/// readers end up disagreeing on it cannot run, so that is an internal error naming what
/// the rule did (`done`).
pub(crate) fn map_readers_into_tasks(
    stage: &QueryStage,
    tasks: usize,
    done: &str,
    rewrite: impl Fn(&ShuffleReaderExec) -> Result<Option<ShuffleReaderExec>>,
) -> Result<QueryStage> {
    let rewritten = map_readers(stage, rewrite)?;
    if rewritten.tasks() != tasks {
        return Err(DataFusionError::Internal(format!(
            "stage {} was {done} into {tasks} tasks but runs {}",
            stage.id,
            rewritten.tasks()
        )));
    }
    Ok(rewritten)
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;
    use crate::stage_planner::StagePlan;
    use crate::test_support::stages_of_sql;

    /// The stages of a sort-merge join of two generated tables, aggregated, over four
    /// partitions.
    async fn join_stages() -> StagePlan {
        let config = SessionConfig::new()
            .with_target_partitions(4)
            .set_bool("datafusion.optimizer.prefer_hash_join", false);
        let ctx = SessionContext::new_with_config(config);
        stages_of_sql(
            &ctx,
            "SELECT a.v % 10 AS k, count(*) FROM generate_series(1, 1000) AS a(v) \
             JOIN generate_series(1, 1000) AS b(w) ON a.v = b.w GROUP BY a.v % 10",
        )
        .await
    }

    #[tokio::test]
    async fn a_stage_reading_hash_shuffles_is_coalesced_with_all_its_readers_alike() {
        let stages = join_stages().await;
        let join = stages
            .stages()
            .iter()
            .find(|stage| stage.inputs.len() == 2)
            .expect("the join reads two stages");
        assert_eq!(shuffle_input_partitions(join), Some(4));
        assert!(
            may_change_task_count(join, &[]),
            "it repartitions its output itself"
        );
        // The scans read generated rows, not shuffles: they keep their partitions.
        assert!(
            stages
                .stages()
                .iter()
                .any(|stage| !may_change_task_count(stage, &[]))
        );

        let planning = AdaptivePlanning {
            coalesce_partitions: true,
            advisory_partition_size: 100,
            hash_join_max_build_bytes: None,
            eliminate_empty_stages: false,
            single_task_max_input_bytes: None,
            skew_join: None,
        };
        let (groups, note) =
            coalesced_groups(join, &[60, 30, 90, 10], planning, 1).expect("small partitions merge");
        let coalesced = coalesce_stage(join, &groups).unwrap();
        // 60 + 30 fit in 100 bytes; 90 + 10 do too.
        assert_eq!(coalesced.tasks(), 2, "{note}");
        let text = datafusion::physical_plan::displayable(coalesced.plan.as_ref())
            .indent(false)
            .to_string();
        assert_eq!(text.matches("coalesced from 4").count(), 2, "{text}");

        // Off, or nothing to merge: the stage keeps its plan.
        let off = AdaptivePlanning {
            coalesce_partitions: false,
            ..planning
        };
        assert!(coalesced_groups(join, &[1, 1, 1, 1], off, 1).is_none());
        assert!(coalesced_groups(join, &[500; 4], planning, 1).is_none());
        assert!(
            coalesced_groups(join, &[1, 1], planning, 1).is_none(),
            "wrong count"
        );
    }

    const MIB: u64 = 1 << 20;

    #[test]
    fn small_partitions_merge_up_to_the_advisory_size_and_large_ones_stay_alone() {
        let bytes = [3, 1, 0, 2, 40 * MIB, 30 * MIB, 70 * MIB, 5, 2, 1, 0, 0];
        let groups = partition_groups(&bytes, 64 * MIB, 2);
        assert_eq!(groups, vec![0..5, 5..6, 6..7, 7..12]);
    }

    #[test]
    fn tiny_inputs_still_use_every_slot() {
        assert_eq!(
            partition_groups(&[10; 16], 64 * MIB, 4),
            vec![0..4, 4..8, 8..12, 12..16]
        );
        assert_eq!(
            partition_groups(&[0; 16], 64 * MIB, 3),
            vec![0..5, 5..10, 10..16]
        );
        // Never more groups than partitions.
        assert_eq!(partition_groups(&[5, 5], 64 * MIB, 8), vec![0..1, 1..2]);
    }

    #[test]
    fn groups_cover_every_partition_once_in_order() {
        for (bytes, advisory, slots) in [
            (vec![7u64; 200], 20, 3),
            ((0..100).map(|i| i * i).collect::<Vec<_>>(), 500, 1),
            (vec![u64::MAX / 4; 8], 1, 2),
        ] {
            let groups = partition_groups(&bytes, advisory, slots);
            assert_eq!(groups.first().unwrap().start, 0);
            assert_eq!(groups.last().unwrap().end, bytes.len());
            assert!(groups.windows(2).all(|pair| pair[0].end == pair[1].start));
            assert!(groups.iter().all(|group| !group.is_empty()));
            assert!(groups.len() >= slots.min(bytes.len()));
        }
    }
}
