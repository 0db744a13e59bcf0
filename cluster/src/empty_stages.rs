//! Empty stage elimination (tuning guide, "What AQE does today"): once a stage has
//! finished without writing a row, emptiness is propagated up the plan, and the stages it
//! makes pointless are skipped.
//!
//! ```text
//!   stage 3: HashJoin(Inner) ── Reader(stage 1: 0 rows)     stage 3 produces no rows,
//!                            └─ Reader(stage 2: running)    so nothing needs stage 2:
//!   stage 4: Aggregate(by k) ── Reader(stage 3)             stages 2, 3 and 4 are skipped
//!   stage 5 (final): Sort ───── Reader(stage 4)             and stage 5 reads nothing
//! ```
//!
//! A stage is *certainly empty* when its plan produces no rows whatever the stages it reads
//! that are not known to be empty hold: an inner join with an empty side, a filter or
//! grouped aggregation over an empty input, and so on, judged conservatively (an
//! aggregation without grouping still yields a row, an outer join keeps its preserved
//! side). A stage is *needed* when it is the final stage, or a needed stage reads it outside
//! the parts of its plan that certainly produce no rows (so `count(*)` over an inner join
//! with an empty side still runs, and yields 0, but the join's other side is not needed).
//! Every unfinished stage other than the final one that is certainly empty or not needed
//! is skipped: its waiting tasks never run, and running ones finish unread. The final stage
//! always runs, reading nothing from the skipped stages, so the client gets its schema and
//! its (empty) partitions as usual.
//!
//! DataFusion does the same within one process: a hash join whose build side is empty
//! never reads its probe side, so an error there goes unreported, as it does here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::common::JoinType;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec,
};
use datafusion::physical_plan::limit::{GlobalLimitExec, LocalLimitExec};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::union::{InterleaveExec, UnionExec};
use datafusion::physical_plan::unnest::UnnestExec;
use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowAggExec};
use trebuchet_shuffle::ShuffleReaderExec;
use trebuchet_shuffle::ids::StageId;

use crate::stage_planner::QueryStage;

/// A stage the adaptive planner skips, and why, in words for the operator's views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkippedStage {
    pub(crate) stage: StageId,
    pub(crate) reason: String,
}

/// The unfinished stages of a job to skip, given `finished_rows(stage)`: the rows each
/// finished stage wrote, `None` for a stage still to finish. The final stage is never
/// among them.
pub(crate) fn stages_to_skip<'a>(
    stages: impl IntoIterator<Item = &'a QueryStage>,
    final_stage: StageId,
    finished_rows: &dyn Fn(StageId) -> Option<u64>,
) -> Vec<SkippedStage> {
    let stages: BTreeMap<StageId, &QueryStage> =
        stages.into_iter().map(|stage| (stage.id, stage)).collect();
    let mut empty = certainly_empty_stages(&stages, finished_rows);
    let needed = needed_stages(&stages, final_stage, &|stage| empty.contains_key(&stage));
    let not_needed = "its output is not needed: only parts of plans that produce no rows read it";
    stages
        .keys()
        .filter(|id| **id != final_stage && finished_rows(**id).is_none())
        .filter_map(|id| {
            let reason = match empty.remove(id) {
                Some(reason) => reason,
                None if !needed.contains(id) => not_needed.to_owned(),
                None => return None,
            };
            Some(SkippedStage { stage: *id, reason })
        })
        .collect()
}

/// Every stage that produces no rows: those that finished without any, and those whose plan
/// certainly produces none given them; each with why, in words.
fn certainly_empty_stages(
    stages: &BTreeMap<StageId, &QueryStage>,
    finished_rows: &dyn Fn(StageId) -> Option<u64>,
) -> BTreeMap<StageId, String> {
    let mut empty: BTreeMap<StageId, String> = stages
        .keys()
        .filter(|id| finished_rows(**id) == Some(0))
        .map(|id| (*id, "finished without rows".to_owned()))
        .collect();
    // Emptiness flows from a stage to its readers; a few passes reach every stage.
    loop {
        let is_empty = |input| empty.contains_key(&input);
        let newly_empty: Vec<(StageId, String)> = stages
            .values()
            .filter(|stage| finished_rows(stage.id).is_none() && !is_empty(stage.id))
            .filter(|stage| is_certainly_empty(stage.plan.input(), &is_empty))
            .map(|stage| {
                let empty_inputs: Vec<String> = stage
                    .inputs
                    .iter()
                    .filter(|input| is_empty(**input))
                    .map(ToString::to_string)
                    .collect();
                let reason = if empty_inputs.is_empty() {
                    "produces no rows".to_owned()
                } else {
                    format!(
                        "produces no rows: stage {} it reads produced none",
                        empty_inputs.join(", ")
                    )
                };
                (stage.id, reason)
            })
            .collect();
        if newly_empty.is_empty() {
            return empty;
        }
        empty.extend(newly_empty);
    }
}

/// The stages whose output matters: the final stage, and whatever a needed stage reads
/// outside the parts of its plan that certainly produce no rows.
fn needed_stages(
    stages: &BTreeMap<StageId, &QueryStage>,
    final_stage: StageId,
    is_empty: &dyn Fn(StageId) -> bool,
) -> BTreeSet<StageId> {
    let mut needed = BTreeSet::from([final_stage]);
    let mut to_visit = vec![final_stage];
    while let Some(id) = to_visit.pop() {
        let Some(stage) = stages.get(&id) else {
            continue;
        };
        let mut inputs = BTreeSet::new();
        live_inputs(stage.plan.input(), is_empty, &mut inputs);
        for input in inputs {
            if needed.insert(input) {
                to_visit.push(input);
            }
        }
    }
    needed
}

/// Adds to `inputs` the stages `plan` reads outside its parts that certainly produce no
/// rows: below an inner join with an empty side, nothing is read.
fn live_inputs(
    plan: &Arc<dyn ExecutionPlan>,
    is_empty: &dyn Fn(StageId) -> bool,
    inputs: &mut BTreeSet<StageId>,
) {
    if is_certainly_empty(plan, is_empty) {
        return;
    }
    if let Some(reader) = plan.downcast_ref::<ShuffleReaderExec>() {
        inputs.insert(reader.stage());
        return;
    }
    for child in plan.children() {
        live_inputs(child, is_empty, inputs);
    }
}

/// Whether `plan` certainly produces no rows when the shuffle readers of the stages
/// `is_empty` names read nothing, whatever the others read. `false` when unsure.
pub(crate) fn is_certainly_empty(
    plan: &Arc<dyn ExecutionPlan>,
    is_empty: &dyn Fn(StageId) -> bool,
) -> bool {
    let empty = |child: &Arc<dyn ExecutionPlan>| is_certainly_empty(child, is_empty);
    if let Some(reader) = plan.downcast_ref::<ShuffleReaderExec>() {
        return is_empty(reader.stage());
    }
    if plan.is::<EmptyExec>() {
        return true;
    }
    if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
        return is_join_empty(*join.join_type(), empty(join.left()), empty(join.right()));
    }
    if let Some(join) = plan.downcast_ref::<SortMergeJoinExec>() {
        return is_join_empty(join.join_type(), empty(join.left()), empty(join.right()));
    }
    if let Some(join) = plan.downcast_ref::<NestedLoopJoinExec>() {
        return is_join_empty(*join.join_type(), empty(join.left()), empty(join.right()));
    }
    if let Some(join) = plan.downcast_ref::<CrossJoinExec>() {
        return is_join_empty(JoinType::Inner, empty(join.left()), empty(join.right()));
    }
    if plan.is::<UnionExec>() || plan.is::<InterleaveExec>() {
        return plan.children().into_iter().all(empty);
    }
    if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
        // Without grouping (or with grouping sets, which may hold the empty set) an
        // aggregation yields a row even from no input: `count(*)` is 0.
        let group_by = aggregate.group_expr();
        return !group_by.is_empty() && !group_by.has_grouping_set() && empty(aggregate.input());
    }
    let passes_emptiness_up = plan.is::<FilterExec>()
        || plan.is::<ProjectionExec>()
        || plan.is::<SortExec>()
        || plan.is::<SortPreservingMergeExec>()
        || plan.is::<CoalescePartitionsExec>()
        || plan.is::<CooperativeExec>()
        || plan.is::<RepartitionExec>()
        || plan.is::<LocalLimitExec>()
        || plan.is::<GlobalLimitExec>()
        || plan.is::<BoundedWindowAggExec>()
        || plan.is::<WindowAggExec>()
        || plan.is::<UnnestExec>();
    match plan.children()[..] {
        [child] if passes_emptiness_up => empty(child),
        _ => false,
    }
}

/// Whether a join of `join_type` produces no rows when its left or right side is empty.
fn is_join_empty(join_type: JoinType, left_empty: bool, right_empty: bool) -> bool {
    match join_type {
        JoinType::Inner | JoinType::LeftSemi | JoinType::RightSemi => left_empty || right_empty,
        JoinType::Left | JoinType::LeftAnti | JoinType::LeftMark => left_empty,
        JoinType::Right | JoinType::RightAnti | JoinType::RightMark => right_empty,
        JoinType::Full => left_empty && right_empty,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;
    use crate::stage_planner::StagePlan;
    use crate::test_support::stages_of_sql;

    /// `a` has a thousand rows, `b` a hundred; the plans join them by sort-merge join over
    /// four partitions, each side shuffled by its own stage.
    const TABLES: &str = "WITH a AS (SELECT v FROM generate_series(1, 1000) AS t(v)), \
         b AS (SELECT w FROM generate_series(1, 100) AS t(w)) ";

    async fn stages(sql: &str) -> StagePlan {
        let config = SessionConfig::new()
            .with_target_partitions(4)
            .set_bool("datafusion.optimizer.prefer_hash_join", false);
        stages_of_sql(
            &SessionContext::new_with_config(config),
            &format!("{TABLES} {sql}"),
        )
        .await
    }

    /// The stage scanning the generated table that ends at `end`.
    fn scan_of(plan: &StagePlan, end: u32) -> StageId {
        let needle = format!("end={end},");
        plan.stages()
            .iter()
            .find(|stage| {
                stage.inputs.is_empty()
                    && displayable(stage.plan.as_ref())
                        .indent(false)
                        .to_string()
                        .contains(&needle)
            })
            .unwrap_or_else(|| panic!("a stage scans the table ending at {end}"))
            .id
    }

    /// The stages skipped once only `finished` has finished, without rows.
    fn skipped_after_empty(plan: &StagePlan, finished: StageId) -> BTreeSet<StageId> {
        stages_to_skip(plan.stages(), plan.final_stage().id, &|stage| {
            (stage == finished).then_some(0)
        })
        .into_iter()
        .map(|skipped| skipped.stage)
        .collect()
    }

    fn all_but(plan: &StagePlan, kept: &[StageId]) -> BTreeSet<StageId> {
        plan.stages()
            .iter()
            .map(|stage| stage.id)
            .filter(|id| !kept.contains(id))
            .collect()
    }

    #[tokio::test]
    async fn an_empty_side_skips_the_inner_join_the_other_side_and_grouped_aggregates() {
        let plan =
            stages("SELECT v % 10 AS k, count(*) FROM a JOIN b ON v = w GROUP BY v % 10").await;
        assert!(
            plan.stages().len() >= 4,
            "both sides, the join and the result"
        );
        let a = scan_of(&plan, 1000);
        let skipped = skipped_after_empty(&plan, a);
        assert_eq!(skipped, all_but(&plan, &[a, plan.final_stage().id]));
    }

    #[tokio::test]
    async fn an_aggregate_without_grouping_still_runs_but_not_the_other_side() {
        let plan = stages("SELECT count(*) FROM a JOIN b ON v = w").await;
        let (a, b) = (scan_of(&plan, 1000), scan_of(&plan, 100));
        let skipped = skipped_after_empty(&plan, a);
        assert!(skipped.contains(&b), "nothing reads b: {skipped:?}");
        let join = plan
            .stages()
            .iter()
            .find(|stage| stage.inputs.contains(&a))
            .expect("a stage reads a")
            .id;
        let reason = stages_to_skip(plan.stages(), plan.final_stage().id, &|stage| {
            (stage == a).then_some(0)
        });
        if join != plan.final_stage().id {
            // The partial count(*) of the join stage yields a row: it runs.
            assert!(!skipped.contains(&join), "{reason:?}");
        }
    }

    #[tokio::test]
    async fn an_outer_join_keeps_its_preserved_side() {
        let plan = stages("SELECT v, w FROM a LEFT JOIN b ON v = w").await;
        let (a, b) = (scan_of(&plan, 1000), scan_of(&plan, 100));
        assert!(
            skipped_after_empty(&plan, b).is_empty(),
            "a left join of nothing keeps every left row"
        );
        assert_eq!(
            skipped_after_empty(&plan, a),
            all_but(&plan, &[a, plan.final_stage().id])
        );
    }

    #[tokio::test]
    async fn rows_or_unfinished_stages_skip_nothing() {
        let plan =
            stages("SELECT v % 10 AS k, count(*) FROM a JOIN b ON v = w GROUP BY v % 10").await;
        let a = scan_of(&plan, 1000);
        let with_rows = stages_to_skip(plan.stages(), plan.final_stage().id, &|stage| {
            (stage == a).then_some(5)
        });
        assert!(with_rows.is_empty());
        let nothing_finished = stages_to_skip(plan.stages(), plan.final_stage().id, &|_| None);
        assert!(nothing_finished.is_empty());
    }

    #[test]
    fn join_types_keep_their_preserved_sides() {
        assert!(is_join_empty(JoinType::Inner, false, true));
        assert!(is_join_empty(JoinType::LeftSemi, false, true));
        assert!(!is_join_empty(JoinType::Left, false, true));
        assert!(!is_join_empty(JoinType::LeftAnti, false, true));
        assert!(is_join_empty(JoinType::LeftAnti, true, false));
        assert!(!is_join_empty(JoinType::Right, true, false));
        assert!(!is_join_empty(JoinType::Full, true, false));
        assert!(is_join_empty(JoinType::Full, true, true));
    }
}
