//! Stages every executor can decode. prost refuses to decode a message nested more than
//! 100 levels deep, and each operator of a stage plan takes two (the plan node, then the
//! operator's node holding its input). A chain of joins that needs no shuffle between
//! them (joins on one key) builds a stage of a hundred operators: it encodes, then fails
//! on every executor. The limit is not lifted (the same prost decodes what clients send),
//! so stages are made shallower instead:
//!
//! 1. stages are cut as usual; if every one decodes, that is the plan;
//! 2. otherwise the plan is cut again with a pass-through stage boundary wherever a stage
//!    would have more than [`DECODABLE_STAGE_HEIGHT`] operators on one path;
//! 3. a stage that still does not decode (one operator's expression nests too deep)
//!    refuses the query with a plan error (`INVALID_ARGUMENT`), before any task runs.

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::protobuf::PhysicalPlanNode;
use prost::Message;
use trebuchet_shuffle::ids::{JobId, StageId};
use trebuchet_shuffle::{ShuffleFormat, ShuffleLayout};

use crate::codec::encode_plan;
use crate::stage_planner::{StagePlan, plan_single_stage, plan_stages, plan_stages_of_height};

/// Most operators on one path of a stage cut for depth: 2 × 16 protobuf levels, leaving
/// more than half of the 100 to the shuffle writer, file scans and expressions.
pub(crate) const DECODABLE_STAGE_HEIGHT: usize = 16;

/// Cuts `plan` into stages (see [`plan_stages`]) that executors can decode, as the module
/// docs describe.
pub(crate) fn plan_decodable_stages(
    job: &JobId,
    layout: &ShuffleLayout,
    format: ShuffleFormat,
    plan: Arc<dyn ExecutionPlan>,
) -> Result<StagePlan> {
    let stages = plan_stages(job, layout, format, Arc::clone(&plan))?;
    if first_undecodable(&stages)?.is_none() {
        return Ok(stages);
    }
    let stages = plan_stages_of_height(job, layout, format, plan, DECODABLE_STAGE_HEIGHT)?;
    match first_undecodable(&stages)? {
        None => Ok(stages),
        Some(stage) => Err(DataFusionError::Plan(format!(
            "stage {stage} of this query nests deeper than executors can decode (a plan \
             travels as protobuf, which may nest at most 100 levels): an expression of the \
             query is nested too deeply; simplify it"
        ))),
    }
}

/// `plan` as a job of one stage and one task ([`plan_single_stage`]), or `None` when that
/// stage would nest deeper than executors can decode: such a query runs as stages.
pub(crate) fn plan_decodable_single_stage(
    job: &JobId,
    layout: &ShuffleLayout,
    format: ShuffleFormat,
    plan: Arc<dyn ExecutionPlan>,
) -> Result<Option<StagePlan>> {
    let stages = plan_single_stage(job, layout, format, plan)?;
    Ok(first_undecodable(&stages)?.is_none().then_some(stages))
}

/// The first stage whose encoded plan protobuf would refuse to decode.
fn first_undecodable(stages: &StagePlan) -> Result<Option<StageId>> {
    for stage in stages.stages() {
        let bytes = encode_plan(Arc::clone(&stage.plan) as Arc<dyn ExecutionPlan>)?;
        if PhysicalPlanNode::decode(bytes.as_ref()).is_err() {
            return Ok(Some(stage.id));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, Int32Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::SessionContext;
    use trebuchet_shuffle::ShuffleReaderExec;

    use super::*;
    use crate::session_defaults::default_session_config;
    use crate::test_support::physical_plan;

    /// `tables` copies of a two-partition table joined in a chain on one key: after the
    /// first join no shuffle is needed, so the joins pile up in one stage.
    async fn join_chain(tables: usize) -> Arc<dyn ExecutionPlan> {
        let ctx =
            SessionContext::new_with_config(default_session_config().with_target_partitions(2));
        let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::Int32, false)]));
        let partition = |keys: Vec<i32>| {
            let keys: ArrayRef = Arc::new(Int32Array::from(keys));
            vec![RecordBatch::try_new(Arc::clone(&schema), vec![keys]).unwrap()]
        };
        let table = MemTable::try_new(
            Arc::clone(&schema),
            vec![partition(vec![1, 2]), partition(vec![3])],
        )
        .unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        let mut sql = String::from("SELECT count(*) FROM t t0");
        for table in 1..tables {
            sql.push_str(&format!(
                " JOIN t t{table} ON t{}.k = t{table}.k",
                table - 1
            ));
        }
        physical_plan(&ctx, &sql).await
    }

    fn layout() -> ShuffleLayout {
        ShuffleLayout::new("/tmp/unused")
    }

    fn height(plan: &Arc<dyn ExecutionPlan>) -> usize {
        if plan.is::<ShuffleReaderExec>() {
            return 1;
        }
        1 + plan.children().into_iter().map(height).max().unwrap_or(0)
    }

    #[tokio::test]
    async fn a_long_join_chain_is_cut_into_stages_that_decode() {
        let job = JobId::new("job");
        let plan = join_chain(60).await;
        let plain =
            plan_stages(&job, &layout(), ShuffleFormat::default(), Arc::clone(&plan)).unwrap();
        assert!(
            first_undecodable(&plain).unwrap().is_some(),
            "the chain was meant to be too deep for one stage"
        );

        let stages =
            plan_decodable_stages(&job, &layout(), ShuffleFormat::default(), plan).unwrap();
        assert_eq!(first_undecodable(&stages).unwrap(), None);
        for (position, stage) in stages.stages().iter().enumerate() {
            let writer = Arc::clone(&stage.plan) as Arc<dyn ExecutionPlan>;
            let input = Arc::clone(stage.plan.input());
            assert!(
                height(&input) <= DECODABLE_STAGE_HEIGHT,
                "{}",
                displayable(writer.as_ref()).indent(false)
            );
            assert_eq!(stage.id, StageId(position as u32 + 1));
            assert!(stage.inputs.iter().all(|input| input.0 < stage.id.0));
        }
        assert!(stages.stages().len() > plain.stages().len());
    }

    #[tokio::test]
    async fn shallow_plans_keep_their_usual_stages() {
        let job = JobId::new("job");
        let plan = join_chain(3).await;
        let plain =
            plan_stages(&job, &layout(), ShuffleFormat::default(), Arc::clone(&plan)).unwrap();
        let stages =
            plan_decodable_stages(&job, &layout(), ShuffleFormat::default(), plan).unwrap();
        assert_eq!(stages.to_string(), plain.to_string());
    }
}
