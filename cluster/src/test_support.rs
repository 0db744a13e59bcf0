//! Helpers shared by this crate's unit tests.

use std::sync::Arc;

use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

/// The optimized physical plan of `sql` in `ctx`.
pub(crate) async fn physical_plan(ctx: &SessionContext, sql: &str) -> Arc<dyn ExecutionPlan> {
    ctx.sql(sql)
        .await
        .expect("the test SQL plans")
        .create_physical_plan()
        .await
        .expect("the test SQL has a physical plan")
}

/// Runs `sql` (a `CREATE TABLE`, typically) in `ctx` to its end.
pub(crate) async fn run_statement(ctx: &SessionContext, sql: &str) {
    ctx.sql(sql)
        .await
        .expect("the test SQL plans")
        .collect()
        .await
        .expect("the test SQL runs");
}

/// The stages of `sql` planned in `ctx`, as a job's would be (files under a path never
/// written to).
pub(crate) async fn stages_of_sql(
    ctx: &SessionContext,
    sql: &str,
) -> crate::stage_planner::StagePlan {
    crate::stage_planner::plan_stages(
        &trebuchet_shuffle::ids::JobId::new("job"),
        &trebuchet_shuffle::ShuffleLayout::new("/tmp/unused"),
        trebuchet_shuffle::ShuffleFormat::default(),
        physical_plan(ctx, sql).await,
    )
    .expect("the test SQL plans into stages")
}

/// A context planning with `config`, every Trebuchet physical optimizer rule and our query
/// planner, as a session does.
pub(crate) fn context_with_our_rules(config: datafusion::prelude::SessionConfig) -> SessionContext {
    let state = datafusion::execution::SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_physical_optimizer_rules(crate::physical_rules::physical_optimizer_rules())
        .with_query_planner(Arc::new(crate::selective_joins::SelectiveJoinsFirst))
        .build();
    SessionContext::new_with_state(state)
}

/// Four target partitions, sort-merge or partitioned hash joins, and no join side collected
/// into one partition however small: joins that read a shuffle on each side, as the
/// adaptive rules re-plan them.
pub(crate) fn partitioned_join_config(hash_joins: bool) -> datafusion::prelude::SessionConfig {
    datafusion::prelude::SessionConfig::new()
        .with_target_partitions(4)
        .set_bool("datafusion.optimizer.prefer_hash_join", hash_joins)
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold",
            0,
        )
        .set_usize(
            "datafusion.optimizer.hash_join_single_partition_threshold_rows",
            0,
        )
}
