//! Cuts a DataFusion physical plan into stages wherever partitioning changes.
//!
//! ```text
//!   … ─ RepartitionExec(Hash) ─ child        ⇒  stage k: ShuffleWriterExec(Hash) ─ child
//!                                                 parent: ShuffleReaderExec(stage k)
//!   … ─ CoalescePartitionsExec ─ child        ⇒  stage k: ShuffleWriterExec(passthrough) ─ child
//!       (or SortPreservingMergeExec)              parent: Coalesce/SPM ─ ShuffleReaderExec(stage k)
//!   root                                      ⇒  final stage: ShuffleWriterExec(passthrough) ─ root
//! ```
//!
//! Round-robin repartitions are dropped: inside a stage every task runs in its own plan
//! instance, so a `RepartitionExec` there would make each task read the whole input to keep
//! 1/N of it. Parallelism comes from the partitions of the stage's input instead (file
//! splits, and the hash shuffle between stages).

use std::fmt;
use std::sync::Arc;

use datafusion::error::Result;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::{
    ExecutionPlan, ExecutionPlanProperties, Partitioning, displayable,
};
use trebuchet_shuffle::ids::{JobId, StageId};
use trebuchet_shuffle::{
    ShuffleFormat, ShuffleLayout, ShuffleOutput, ShuffleReaderExec, ShuffleWriterExec,
};

/// One stage: a plan rooted at a shuffle writer, and the stages whose output it reads.
#[derive(Debug, Clone)]
pub struct QueryStage {
    /// The stage's id, unique within its job.
    pub id: StageId,
    /// The plan each task of the stage runs (one task per partition of the writer's input).
    pub plan: Arc<ShuffleWriterExec>,
    /// Stages that must finish before this one can run.
    pub inputs: Vec<StageId>,
}

impl QueryStage {
    /// How many tasks the stage runs: one per partition of the writer's input.
    pub fn tasks(&self) -> usize {
        self.plan.input().output_partitioning().partition_count()
    }

    /// The same stage, writing what `input` computes the way it wrote before: how the
    /// adaptive planner replaces a stage's plan.
    pub(crate) fn with_input(&self, input: Arc<dyn ExecutionPlan>) -> Result<Self> {
        let writer = &self.plan;
        let rewritten = ShuffleWriterExec::try_new(
            input,
            writer.partitioning().cloned(),
            writer.output().clone(),
        )?
        .with_format(writer.format())
        .streaming_result(writer.streams_result());
        Ok(Self {
            id: self.id,
            plan: Arc::new(rewritten),
            inputs: self.inputs.clone(),
        })
    }
}

/// A job's stages, producers before consumers; the last one is the final stage, whose
/// partitions are the query's result.
#[derive(Debug, Clone)]
pub struct StagePlan {
    stages: Vec<QueryStage>,
}

impl StagePlan {
    /// Every stage, producers first.
    pub fn stages(&self) -> &[QueryStage] {
        &self.stages
    }

    /// The stage producing the query's result.
    pub fn final_stage(&self) -> &QueryStage {
        self.stages
            .last()
            .expect("a stage plan always has its final stage")
    }
}

impl fmt::Display for StagePlan {
    /// The layout `EXPLAIN` shows: each stage, its inputs and its plan.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for stage in &self.stages {
            let inputs: Vec<String> = stage.inputs.iter().map(ToString::to_string).collect();
            writeln!(
                f,
                "Stage {} (inputs: [{}], tasks: {})",
                stage.id,
                inputs.join(", "),
                stage.plan.input().output_partitioning().partition_count()
            )?;
            let plan: &dyn ExecutionPlan = stage.plan.as_ref();
            for line in displayable(plan).indent(false).to_string().lines() {
                writeln!(f, "  {line}")?;
            }
        }
        Ok(())
    }
}

/// Cuts `plan` into stages that write their output under `layout` for job `job`, hash
/// shuffles in `format`.
pub fn plan_stages(
    job: &JobId,
    layout: &ShuffleLayout,
    format: ShuffleFormat,
    plan: Arc<dyn ExecutionPlan>,
) -> Result<StagePlan> {
    StagePlanner::new(job, layout, format, None).plan(plan)
}

/// `plan`, which produces one partition, as a job of one stage and one task: its exchanges
/// stay in memory (`single_task.rs`).
pub(crate) fn plan_single_stage(
    job: &JobId,
    layout: &ShuffleLayout,
    format: ShuffleFormat,
    plan: Arc<dyn ExecutionPlan>,
) -> Result<StagePlan> {
    let mut planner = StagePlanner::new(job, layout, format, None);
    planner.add_stage(plan, None, true)?;
    Ok(StagePlan {
        stages: planner.stages,
    })
}

/// [`plan_stages`], also ending a stage wherever it would have more than `max_height`
/// operators on one path (writer excluded): the cut is pass-through, so it only changes
/// where rows are written. Keeps stages shallow enough to decode on executors.
pub(crate) fn plan_stages_of_height(
    job: &JobId,
    layout: &ShuffleLayout,
    format: ShuffleFormat,
    plan: Arc<dyn ExecutionPlan>,
    max_height: usize,
) -> Result<StagePlan> {
    StagePlanner::new(job, layout, format, Some(max_height.max(2))).plan(plan)
}

struct StagePlanner {
    job: JobId,
    layout: ShuffleLayout,
    format: ShuffleFormat,
    /// Most operators on a path of one stage, if bounded.
    max_height: Option<usize>,
    stages: Vec<QueryStage>,
}

impl StagePlanner {
    fn new(
        job: &JobId,
        layout: &ShuffleLayout,
        format: ShuffleFormat,
        max_height: Option<usize>,
    ) -> Self {
        Self {
            job: job.clone(),
            layout: layout.clone(),
            format,
            max_height,
            stages: Vec::new(),
        }
    }

    fn plan(mut self, plan: Arc<dyn ExecutionPlan>) -> Result<StagePlan> {
        let root = self.cut(plan)?;
        self.add_stage(root, None, true)?;
        Ok(StagePlan {
            stages: self.stages,
        })
    }

    /// Rewrites `plan` bottom-up, turning every partitioning change into a stage boundary.
    /// With a `max_height`, the plan returned has at most that many operators on a path.
    fn cut(&mut self, plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        let children = plan
            .children()
            .into_iter()
            .map(|child| self.cut(Arc::clone(child)))
            .collect::<Result<Vec<_>>>()?;

        if let Some(repartition) = plan.downcast_ref::<RepartitionExec>() {
            let child = single(children)?;
            return match repartition.partitioning() {
                Partitioning::Hash(..) => {
                    self.shuffle(child, Some(repartition.partitioning().clone()))
                }
                _ => Ok(child),
            };
        }
        let merges = plan.is::<CoalescePartitionsExec>() || plan.is::<SortPreservingMergeExec>();
        if merges && children.len() == 1 && children[0].output_partitioning().partition_count() > 1
        {
            let reader = self.shuffle(single(children)?, None)?;
            return replace_children_if_necessary(plan, vec![reader]);
        }
        let children = children
            .into_iter()
            .map(|child| self.bound_height(child))
            .collect::<Result<Vec<_>>>()?;
        replace_children_if_necessary(plan, children)
    }

    /// `plan`, or the reader of a pass-through stage made of it when it is as tall as a
    /// stage may be (so that its parent stays within the bound).
    fn bound_height(&mut self, plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        match self.max_height {
            Some(max) if height_in_stage(&plan) >= max => self.pass_through(plan),
            _ => Ok(plan),
        }
    }

    /// Makes `input` a stage whose reader returns, as partition `p`, exactly partition `p`
    /// of `input`, with its partitioning and orderings.
    fn pass_through(&mut self, input: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        let properties = input.equivalence_properties().clone();
        let partitioning = input.output_partitioning().clone();
        let schema = input.schema();
        let stage = self.add_stage(input, None, false)?;
        Ok(Arc::new(ShuffleReaderExec::unresolved(
            stage,
            schema,
            properties,
            partitioning,
        )))
    }

    /// Makes `input` a stage and returns the reader of its output.
    fn shuffle(
        &mut self,
        input: Arc<dyn ExecutionPlan>,
        partitioning: Option<Partitioning>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // A pass-through stage keeps each partition's rows in order; a hash shuffle mixes
        // rows of many map tasks into each partition, so no ordering survives it.
        let (properties, read_partitioning) = match &partitioning {
            Some(hash) => (EquivalenceProperties::new(input.schema()), hash.clone()),
            None => (
                input.equivalence_properties().clone(),
                Partitioning::UnknownPartitioning(input.output_partitioning().partition_count()),
            ),
        };
        let schema = input.schema();
        let stage = self.add_stage(input, partitioning, false)?;
        Ok(Arc::new(ShuffleReaderExec::unresolved(
            stage,
            schema,
            properties,
            read_partitioning,
        )))
    }

    /// Adds a stage writing `input`; `is_final` for the one whose output is the query's
    /// result.
    fn add_stage(
        &mut self,
        input: Arc<dyn ExecutionPlan>,
        partitioning: Option<Partitioning>,
        is_final: bool,
    ) -> Result<StageId> {
        let id = StageId(u32::try_from(self.stages.len() + 1).unwrap_or(u32::MAX));
        let inputs = readers_of(&input);
        let output = ShuffleOutput {
            layout: self.layout.clone(),
            job: self.job.clone(),
            stage: id,
            // The executor running a task sets its attempt.
            attempt: 0,
        };
        let plan = Arc::new(
            ShuffleWriterExec::try_new(input, partitioning, output)?
                .with_format(self.format)
                .streaming_result(is_final),
        );
        self.stages.push(QueryStage { id, plan, inputs });
        Ok(id)
    }
}

/// Operators on the longest path from `plan` down to a leaf or a shuffle reader.
fn height_in_stage(plan: &Arc<dyn ExecutionPlan>) -> usize {
    if plan.is::<ShuffleReaderExec>() {
        return 1;
    }
    1 + plan
        .children()
        .into_iter()
        .map(height_in_stage)
        .max()
        .unwrap_or(0)
}

/// The stages a plan reads, in the order its readers appear.
fn readers_of(plan: &Arc<dyn ExecutionPlan>) -> Vec<StageId> {
    let mut stages = Vec::new();
    if let Some(reader) = plan.downcast_ref::<ShuffleReaderExec>() {
        stages.push(reader.stage());
    }
    for child in plan.children() {
        stages.extend(readers_of(child));
    }
    stages
}

fn single(mut children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
    match children.len() {
        1 => Ok(children.swap_remove(0)),
        n => datafusion::common::internal_err!("expected one child, found {n}"),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::physical_plan::collect;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;
    use crate::session_defaults::default_session_config;
    use crate::test_support::stages_of_sql;

    /// Two tables of two partitions each, so the optimizer has partitioning to change.
    async fn stages_of(sql: &str, config: SessionConfig) -> StagePlan {
        let ctx = SessionContext::new_with_config(config.with_target_partitions(4));
        register(&ctx, "t", "v", DataType::Int32);
        register(&ctx, "u", "name", DataType::Utf8);
        stages_of_sql(&ctx, sql).await
    }

    fn register(ctx: &SessionContext, name: &str, column: &str, data_type: DataType) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int32, false),
            Field::new(column, data_type.clone(), false),
        ]));
        let partition = |keys: Vec<i32>| {
            let values: ArrayRef = match &data_type {
                DataType::Utf8 => Arc::new(StringArray::from_iter_values(
                    keys.iter().map(|k| format!("n{k}")),
                )),
                _ => Arc::new(Int32Array::from_iter_values(keys.iter().map(|k| k * 10))),
            };
            let keys: ArrayRef = Arc::new(Int32Array::from(keys));
            vec![RecordBatch::try_new(Arc::clone(&schema), vec![keys, values]).unwrap()]
        };
        let table = MemTable::try_new(
            Arc::clone(&schema),
            vec![partition(vec![1, 2, 3]), partition(vec![1, 4])],
        )
        .unwrap();
        ctx.register_table(name, Arc::new(table)).unwrap();
    }

    #[tokio::test]
    async fn a_grouped_aggregate_shuffles_once_and_merges_at_the_end() {
        let plan = stages_of(
            "SELECT k, sum(v) FROM t GROUP BY k ORDER BY k",
            default_session_config(),
        )
        .await;
        let text = plan.to_string();
        assert_eq!(plan.stages().len(), 3, "{text}");
        assert!(
            text.contains("ShuffleWriterExec: stage=1, partitioning=Hash"),
            "{text}"
        );
        assert!(
            text.contains("ShuffleWriterExec: stage=2, passthrough"),
            "{text}"
        );
        assert!(text.contains("SortPreservingMergeExec"), "{text}");
        assert!(
            !text.contains("RepartitionExec"),
            "no repartition survives: {text}"
        );
        assert_eq!(plan.stages()[1].inputs, vec![StageId(1)]);
        assert_eq!(plan.final_stage().inputs, vec![StageId(2)]);
        assert_eq!(
            plan.final_stage()
                .plan
                .input()
                .output_partitioning()
                .partition_count(),
            1
        );
    }

    #[tokio::test]
    async fn a_partitioned_join_reads_two_shuffled_stages() {
        let config = default_session_config()
            .set_bool("datafusion.optimizer.prefer_hash_join", true)
            .set_usize(
                "datafusion.optimizer.hash_join_single_partition_threshold",
                0,
            )
            .set_usize(
                "datafusion.optimizer.hash_join_single_partition_threshold_rows",
                0,
            );
        let plan = stages_of("SELECT t.v, u.name FROM t JOIN u ON t.k = u.k", config).await;
        let text = plan.to_string();
        let joining = plan
            .stages()
            .iter()
            .find(|stage| {
                let plan: &dyn ExecutionPlan = stage.plan.as_ref();
                displayable(plan)
                    .indent(false)
                    .to_string()
                    .contains("HashJoinExec")
            })
            .unwrap_or_else(|| panic!("{text}"));
        assert_eq!(joining.inputs.len(), 2, "{text}");
    }

    #[tokio::test]
    async fn every_stage_reads_only_earlier_stages() {
        let plan = stages_of(
            "SELECT u.name, count(*) FROM t JOIN u ON t.k = u.k GROUP BY u.name ORDER BY 2",
            default_session_config(),
        )
        .await;
        for (position, stage) in plan.stages().iter().enumerate() {
            assert_eq!(stage.id, StageId(position as u32 + 1));
            assert!(
                stage.inputs.iter().all(|input| input.0 < stage.id.0),
                "{plan}"
            );
        }
    }

    #[tokio::test]
    async fn unresolved_stages_refuse_to_run() {
        let plan = stages_of(
            "SELECT k, count(*) FROM t GROUP BY k",
            default_session_config(),
        )
        .await;
        let final_plan: Arc<dyn ExecutionPlan> = Arc::clone(&plan.final_stage().plan) as _;
        let err = collect(final_plan, SessionContext::new().task_ctx())
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("ran before the stage finished"),
            "{err}"
        );
    }
}
