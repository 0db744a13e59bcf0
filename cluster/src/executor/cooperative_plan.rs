//! [`cooperative_plan`]: makes every operator of a task's plan give way to the runtime, so
//! that a cancelled task stops within milliseconds rather than minutes.
//!
//! Cancelling a task aborts its tokio task, and an abort takes effect only when the task
//! yields. DataFusion's operators yield through tokio's budget, but only its sources
//! spend it, once per batch they read (and our shuffle reader, reading its own executor's
//! files, spends none): an operator that makes many batches out of each
//! input batch (a cross or nested-loop join, a join with many matches per key) runs for
//! minutes between two yields, at full CPU, long after its job was cancelled. Wrapping
//! every operator's output in a [`CooperativeExec`] spends budget on every batch any
//! operator hands up, so the task yields at least every 128 batches.
//!
//! ```text
//!   Writer ─ Aggregate ─ CrossJoin ─ source
//!     ⇒  Writer ─ Coop ─ Aggregate ─ Coop ─ CrossJoin ─ Coop ─ source
//! ```

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;

/// `plan` with each operator below its root wrapped in a [`CooperativeExec`] (unless it
/// is one, or is already wrapped).
pub(crate) fn cooperative_plan(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    let wraps_its_child = plan.is::<CooperativeExec>();
    let children = plan
        .children()
        .into_iter()
        .map(|child| {
            let child = cooperative_plan(Arc::clone(child))?;
            if wraps_its_child || child.is::<CooperativeExec>() {
                return Ok(child);
            }
            Ok(Arc::new(CooperativeExec::new(child)) as Arc<dyn ExecutionPlan>)
        })
        .collect::<Result<Vec<_>>>()?;
    replace_children_if_necessary(plan, children)
}

#[cfg(test)]
mod tests {
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::SessionContext;

    use super::*;

    #[tokio::test]
    async fn every_operator_below_the_root_is_wrapped_once() {
        let ctx = SessionContext::new();
        let plan = ctx
            .sql(
                "SELECT sum(a.value + b.value) FROM generate_series(1, 10) a \
                 CROSS JOIN generate_series(1, 10) b",
            )
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let wrapped = cooperative_plan(Arc::clone(&plan)).unwrap();
        assert!(!wrapped.is::<CooperativeExec>(), "the root stays on top");
        fn check(plan: &Arc<dyn ExecutionPlan>) {
            for child in plan.children() {
                assert!(
                    child.is::<CooperativeExec>() || plan.is::<CooperativeExec>(),
                    "{}",
                    displayable(plan.as_ref()).indent(false)
                );
                assert!(
                    !(child.is::<CooperativeExec>() && plan.is::<CooperativeExec>()),
                    "wrapped twice"
                );
                check(child);
            }
        }
        check(&wrapped);
        let rows = datafusion::physical_plan::collect(wrapped, ctx.task_ctx())
            .await
            .unwrap();
        let expected = datafusion::physical_plan::collect(plan, ctx.task_ctx())
            .await
            .unwrap();
        assert_eq!(rows, expected);
    }
}
