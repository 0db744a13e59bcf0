//! [`SharedStateJoins`]: joins whose answer needs every probe partition in one process.
//!
//! A hash join in `CollectLeft` mode builds one table from the whole left input and probes
//! it with each right partition. For left, left semi, left anti, left mark and full joins
//! it emits the left rows that did (or did not) match only once the *last* probe partition
//! has finished, counted in memory shared by the partitions. A null-aware anti join
//! (`NOT IN`) likewise remembers in that memory whether any probe row was NULL, and a
//! nested loop join keeps the same kind of match bitmap.
//!
//! Our tasks run one probe partition each, in different processes, so the count never
//! reaches zero and those rows are silently lost (TPC-H q2 with hash join returned no rows).
//! This rule runs after DataFusion has placed exchanges and rewrites such joins:
//! - a hash join with equi-keys becomes `Partitioned`: both inputs are hash-repartitioned
//!   on the keys, so each task owns all rows of its keys on both sides and its answer is
//!   complete;
//! - a null-aware anti join or a nested loop join keeps its mode, with its probe input
//!   merged into one partition, so one task sees everything.
//!
//! Our exchanges satisfy the join's own requirements; DataFusion's `EnsureRequirements`
//! then runs once more over a rewritten plan so that orderings above the join are restored.
//!
//! Inner and right-side joins never wait for the last partition and are left alone: they
//! keep the cheap broadcast of a small build side.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::logical_expr::JoinType;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::ensure_requirements::EnsureRequirements;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::joins::{HashJoinExec, NestedLoopJoinExec, PartitionMode};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, Partitioning};

/// The physical optimizer rule; see the module docs.
#[derive(Debug, Default)]
pub struct SharedStateJoins;

impl PhysicalOptimizerRule for SharedStateJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let partitions = config.execution.target_partitions.max(1);
        let rewritten = plan.transform_up(|node| rewrite(node, partitions))?;
        if rewritten.transformed {
            EnsureRequirements::new().optimize(rewritten.data, config)
        } else {
            Ok(rewritten.data)
        }
    }

    fn name(&self) -> &str {
        "shared_state_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn rewrite(
    node: Arc<dyn ExecutionPlan>,
    partitions: usize,
) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    if let Some(join) = node.downcast_ref::<HashJoinExec>() {
        let waits_for_all_probes = *join.partition_mode() == PartitionMode::CollectLeft
            && join.right().output_partitioning().partition_count() > 1
            && (join.null_aware || emits_build_rows_at_end(*join.join_type()));
        if !waits_for_all_probes {
            return Ok(Transformed::no(node));
        }
        if join.null_aware {
            return merge_probe_side(node);
        }
        let build = match join.left().downcast_ref::<CoalescePartitionsExec>() {
            Some(merge) => Arc::clone(merge.input()),
            None => Arc::clone(join.left()),
        };
        let (build_keys, probe_keys): (Vec<_>, Vec<_>) = join
            .on()
            .iter()
            .map(|(left, right)| (Arc::clone(left), Arc::clone(right)))
            .unzip();
        let build = RepartitionExec::try_new(build, Partitioning::Hash(build_keys, partitions))?;
        let probe = RepartitionExec::try_new(
            Arc::clone(join.right()),
            Partitioning::Hash(probe_keys, partitions),
        )?;
        let partitioned = join
            .builder()
            .with_partition_mode(PartitionMode::Partitioned)
            .with_new_children(vec![Arc::new(build), Arc::new(probe)])?
            .reset_state()
            .build_exec()?;
        return Ok(Transformed::yes(partitioned));
    }
    if let Some(join) = node.downcast_ref::<NestedLoopJoinExec>()
        && emits_build_rows_at_end(*join.join_type())
        && join.right().output_partitioning().partition_count() > 1
    {
        return merge_probe_side(node);
    }
    Ok(Transformed::no(node))
}

/// The join with its right (probe) input merged into one partition.
fn merge_probe_side(join: Arc<dyn ExecutionPlan>) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    let children = join.children();
    let build = Arc::clone(children[0]);
    let probe: Arc<dyn ExecutionPlan> =
        Arc::new(CoalescePartitionsExec::new(Arc::clone(children[1])));
    replace_children_if_necessary(join, vec![build, probe]).map(Transformed::yes)
}

/// Join types whose build-side rows are emitted after the last probe partition.
fn emits_build_rows_at_end(join_type: JoinType) -> bool {
    matches!(
        join_type,
        JoinType::Left
            | JoinType::LeftSemi
            | JoinType::LeftAnti
            | JoinType::LeftMark
            | JoinType::Full
    )
}
