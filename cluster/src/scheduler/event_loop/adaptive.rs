//! The event loop's side of adaptive query execution: which stages wait to be re-planned
//! once their inputs are done, what the rules change when one is (`join_strategy.rs`,
//! then `coalesce_partitions.rs` and `skew_joins.rs`), and which stages a finished stage
//! without rows makes pointless (`empty_stages.rs`).

use std::collections::BTreeMap;

use datafusion::error::Result;
use trebuchet_shuffle::ids::{JobId, StageId};

use super::RunningJob;
use crate::coalesce_partitions::{
    AdaptivePlanning, Replanned, StageOutputs, changed_stages, coalesce_stage, coalesced_groups,
    may_change_task_count, shuffle_input_partitions, written_bytes, written_partition_bytes,
};
use crate::empty_stages::{SkippedStage, stages_to_skip};
use crate::join_strategy::{
    BUILD_SHARE_DIVISOR, choose_join_strategies, has_adaptive_join, has_partitioned_hash_join,
};
use crate::scheduler::SchedulerState;
use crate::skew_joins::{split_skewed_partitions, splittable_join};
use crate::stage_planner::{QueryStage, StagePlan};

/// Whether `stage` of `stages` waits, once its inputs are done, for the adaptive planner:
/// only when a rule may change it.
pub(super) fn may_replan(
    planning: AdaptivePlanning,
    stage: &QueryStage,
    stages: &StagePlan,
) -> bool {
    let repartitions = planning.coalesce_partitions
        || (planning.skew_join.is_some() && splittable_join(stage).is_some());
    (planning.hash_join_max_build_bytes.is_some() && has_adaptive_join(stage))
        || (repartitions && may_change_task_count_in(stage, stages.stages()))
}

/// Whether the number of tasks `stage` runs may change, given every stage of its job.
fn may_change_task_count_in<'a>(
    stage: &QueryStage,
    stages: impl IntoIterator<Item = &'a QueryStage>,
) -> bool {
    let readers: Vec<&QueryStage> = stages
        .into_iter()
        .filter(|reader| reader.inputs.contains(&stage.id))
        .collect();
    may_change_task_count(stage, &readers)
}

/// The stages the adaptive planner changes as `stage` becomes ready, in order, each with
/// what the operator's views say about it: first its joins' strategy, then its partitions,
/// coalesced and with skewed ones split (and the readers of such a pass-through stage).
pub(super) fn adaptive_changes(
    job: &RunningJob,
    stage: StageId,
    planning: AdaptivePlanning,
    slots: usize,
    smallest_task_memory: Option<u64>,
) -> Result<Vec<(QueryStage, String)>> {
    let Some(mut current) = job.stages.get(&stage).cloned() else {
        return Ok(Vec::new());
    };
    let mut changes = Vec::new();
    let mut planning = planning;
    if let Some(limit) = planning.hash_join_max_build_bytes {
        let limit =
            smallest_task_memory.map_or(limit, |share| limit.min(share / BUILD_SHARE_DIVISOR));
        let written = |input| written_partition_bytes(&job.outputs, input);
        // The last stage's partitions go to the client, which relies on no order between
        // or within them that the query did not ask for (an ORDER BY sorts in the plan).
        let read_by_stages = stage != job.final_stage;
        if let Some((joined, note)) =
            choose_join_strategies(&current, &written, limit, read_by_stages)?
        {
            current = joined.clone();
            changes.push((joined, note));
        }
        if has_partitioned_hash_join(&current) {
            // Neither coalescing nor a skewed partition's pieces may give a build side more
            // than the limit.
            planning.advisory_partition_size = planning.advisory_partition_size.min(limit);
        }
    }
    // A stage re-planned for its joins alone may be one whose tasks must stay as they are.
    if may_change_task_count_in(&current, job.stages.values())
        && let Some(replanned) = replanned_tasks(&current, job, planning, slots)?
    {
        changes.extend(changed_stages(replanned, job.stages.values())?);
    }
    Ok(changes)
}

/// `stage` with its partitions coalesced, then its join's skewed partitions split; `None`
/// when neither rule changes it.
fn replanned_tasks(
    stage: &QueryStage,
    job: &RunningJob,
    planning: AdaptivePlanning,
    slots: usize,
) -> Result<Option<Replanned>> {
    let Some(partitions) = shuffle_input_partitions(stage) else {
        return Ok(None);
    };
    let coalesced = planning
        .coalesce_partitions
        .then(|| written_bytes(&job.outputs, stage))
        .flatten()
        .and_then(|written| coalesced_groups(stage, &written, planning, slots));
    let groups = match &coalesced {
        Some((groups, _)) => groups.clone(),
        None => (0..partitions).map(|p| p..p + 1).collect(),
    };
    let split = match (planning.skew_join, splittable_join(stage)) {
        (Some(limits), Some(join)) => split_skewed_partitions(
            stage,
            join,
            &groups,
            &job.outputs,
            limits,
            planning.advisory_partition_size,
        )?,
        _ => None,
    };
    Ok(match (coalesced, split) {
        (Some((_, coalesced)), Some((stage, split))) => Some(Replanned {
            stage,
            note: format!("{coalesced}; {split}"),
        }),
        (None, Some((stage, note))) => Some(Replanned { stage, note }),
        (Some((groups, note)), None) => Some(Replanned {
            stage: coalesce_stage(stage, &groups)?,
            note,
        }),
        (None, None) => None,
    })
}

/// The stages of `job` to skip now that `finished`, whose last task is being reported,
/// has written all it will: none unless it wrote no rows and the session eliminates empty
/// stages.
pub(super) fn unneeded_stages(
    job_id: &JobId,
    job: &RunningJob,
    state: &SchedulerState,
    finished: StageId,
) -> Vec<SkippedStage> {
    let eliminates = job
        .adaptive
        .is_some_and(|planning| planning.eliminate_empty_stages);
    if !eliminates || written_rows(&job.outputs, finished) != 0 {
        return Vec::new();
    }
    // A stage skipped earlier counts as finished without rows, as its readers read it:
    // only stages that produce no rows, or are not needed themselves, read it.
    let finished_rows = |stage: StageId| {
        let progress = state.stage_progress(job_id, stage);
        if progress.as_ref().is_some_and(|progress| progress.skipped) {
            return Some(0);
        }
        let done = stage == finished || progress.is_some_and(|progress| progress.is_done());
        done.then(|| written_rows(&job.outputs, stage))
    };
    stages_to_skip(job.stages.values(), job.final_stage, &finished_rows)
}

/// The rows the finished tasks of `stage` wrote.
fn written_rows(outputs: &StageOutputs, stage: StageId) -> u64 {
    outputs
        .get(&stage)
        .into_iter()
        .flat_map(BTreeMap::values)
        .flat_map(|(_, files)| files)
        .map(|file| file.num_rows)
        .sum()
}
