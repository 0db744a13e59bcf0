//! [`UnlimitedJoinInputs`]: a sort-merge join reads all of its inputs.
//!
//! DataFusion 55 pushes the fetch of `ORDER BY … LIMIT n` down through a sort-merge join
//! into the sorts of both its inputs (apache/datafusion#16638 fixed this for hash joins
//! only). That is wrong whenever the join can drop rows of the limited side: for
//! `SELECT k FROM c EXCEPT SELECT k FROM o ORDER BY k LIMIT 3` the left input keeps its
//! first three keys, the anti join removes those present in `o`, and rows go missing that
//! a full read would return. Sort-merge is our default join, so this rule removes such a
//! fetch; only the preserved side of a left or right outer join keeps it, since every row
//! of that side reaches the output.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::logical_expr::JoinType;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::joins::SortMergeJoinExec;
use datafusion::physical_plan::sorts::sort::SortExec;

/// The physical optimizer rule; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct UnlimitedJoinInputs;

impl PhysicalOptimizerRule for UnlimitedJoinInputs {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(unlimit_inputs)
            .map(|rewritten| rewritten.data)
    }

    fn name(&self) -> &str {
        "unlimited_join_inputs"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn unlimit_inputs(node: Arc<dyn ExecutionPlan>) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    let Some(join) = node.downcast_ref::<SortMergeJoinExec>() else {
        return Ok(Transformed::no(node));
    };
    let join_type = join.join_type();
    let preserved = [join_type == JoinType::Left, join_type == JoinType::Right];
    let mut changed = false;
    let children: Vec<Arc<dyn ExecutionPlan>> = node
        .children()
        .into_iter()
        .zip(preserved)
        .map(
            |(child, keeps_every_row)| match child.downcast_ref::<SortExec>() {
                Some(sort) if sort.fetch().is_some() && !keeps_every_row => {
                    changed = true;
                    Arc::new(sort.with_fetch(None)) as Arc<dyn ExecutionPlan>
                }
                _ => Arc::clone(child),
            },
        )
        .collect();
    if !changed {
        return Ok(Transformed::no(node));
    }
    Ok(Transformed::yes(replace_children_if_necessary(
        node, children,
    )?))
}

#[cfg(test)]
mod tests {
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::physical_plan::{collect, displayable};
    use datafusion::prelude::SessionConfig;

    use crate::ballista_options::BallistaOptions;
    use crate::test_support::context_with_our_rules;

    async fn answer(prefer_hash_join: bool, sql: &str) -> (String, String) {
        // No broadcasts: the joins under test stay sort-merge joins however small.
        let options = BallistaOptions {
            broadcast_join_threshold: 0,
            ..BallistaOptions::default()
        };
        let mut config = SessionConfig::new()
            .with_target_partitions(4)
            .with_option_extension(options);
        config.options_mut().optimizer.prefer_hash_join = prefer_hash_join;
        let ctx = context_with_our_rules(config);
        ctx.sql("CREATE TABLE c AS SELECT * FROM (VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12)) t(k)")
            .await
            .unwrap();
        ctx.sql("CREATE TABLE o AS SELECT * FROM (VALUES (1),(2),(4),(5),(7),(8),(10),(11)) t(k)")
            .await
            .unwrap();
        let plan = ctx
            .sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let text = displayable(plan.as_ref()).indent(true).to_string();
        let rows = collect(plan, ctx.task_ctx()).await.unwrap();
        (pretty_format_batches(&rows).unwrap().to_string(), text)
    }

    #[tokio::test]
    async fn an_anti_join_under_a_limit_reads_all_of_both_inputs() {
        let sql = "SELECT k FROM c EXCEPT SELECT k FROM o ORDER BY k LIMIT 3";
        let (merged, plan) = answer(false, sql).await;
        assert!(plan.contains("SortMergeJoinExec"), "{plan}");
        let (hashed, _) = answer(true, sql).await;
        assert_eq!(merged, hashed, "{plan}");
        assert!(merged.contains("| 9 |"), "{merged}");
    }

    #[tokio::test]
    async fn an_inner_join_under_a_limit_answers_as_a_hash_join() {
        let sql = "SELECT c.k FROM c JOIN o ON c.k = o.k ORDER BY c.k LIMIT 4";
        let (merged, plan) = answer(false, sql).await;
        assert!(plan.contains("SortMergeJoinExec"), "{plan}");
        assert_eq!(merged, answer(true, sql).await.0, "{plan}");
    }
}
