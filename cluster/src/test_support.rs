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
