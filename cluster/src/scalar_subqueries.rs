//! Uncorrelated scalar subqueries across stages.
//!
//! DataFusion plans `SELECT … WHERE x > (SELECT avg(x) FROM t)` as a `ScalarSubqueryExec`
//! that runs each subquery once and hands its value, by reference, to the
//! `ScalarSubqueryExpr`s that read it. A stage boundary breaks the reference: each task
//! would decode its own copy and run the subquery again, or not at all. So the scheduler
//! runs every such subquery first, as a query of its own, stores its value where the
//! expressions look for it, and drops the node; the codec then ships each expression as
//! the literal it now stands for. DataFusion's semantics are kept exactly: no row gives a
//! NULL, more than one row is DataFusion's own error.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use datafusion::common::{ScalarValue, exec_err, internal_err};
use datafusion::error::Result;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_expr::scalar_subquery::ScalarSubqueryExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::scalar_subquery::ScalarSubqueryExec;
use futures::StreamExt;
use futures::future::BoxFuture;

type PlanRef = Arc<dyn ExecutionPlan>;

/// Runs a plan to its rows, the way the engine runs any query.
pub(crate) type RunPlan = Arc<
    dyn Fn(Arc<dyn ExecutionPlan>) -> BoxFuture<'static, Result<SendableRecordBatchStream>>
        + Send
        + Sync,
>;

/// `plan` without `ScalarSubqueryExec` nodes: each of their subqueries has run through
/// `run` and its value is stored for the expressions that read it.
pub(crate) fn resolve_scalar_subqueries(
    plan: Arc<dyn ExecutionPlan>,
    run: RunPlan,
) -> BoxFuture<'static, Result<Arc<dyn ExecutionPlan>>> {
    Box::pin(async move {
        if let Some(node) = plan.downcast_ref::<ScalarSubqueryExec>() {
            // A plan run again (a prepared statement) finds last run's values here.
            node.results().clear();
            for link in node.subqueries() {
                let value = scalar_value(run(Arc::clone(&link.plan)).await?).await?;
                node.results().set(link.index, value)?;
            }
            return resolve_scalar_subqueries(Arc::clone(node.input()), run).await;
        }
        let children = plan.children();
        if children.is_empty() {
            return Ok(plan);
        }
        let mut resolved = Vec::with_capacity(children.len());
        for child in children {
            resolved.push(resolve_scalar_subqueries(Arc::clone(child), Arc::clone(&run)).await?);
        }
        replace_children_if_necessary(plan, resolved)
    })
}

/// `plan` without its `ScalarSubqueryExec` nodes, and the subqueries they would run
/// first, outermost first: what `EXPLAIN` shows, without running anything.
pub fn split_scalar_subqueries(
    plan: Arc<dyn ExecutionPlan>,
) -> Result<(Arc<dyn ExecutionPlan>, Vec<PlanRef>)> {
    if let Some(node) = plan.downcast_ref::<ScalarSubqueryExec>() {
        let (input, mut nested) = split_scalar_subqueries(Arc::clone(node.input()))?;
        let mut subqueries: Vec<_> = node
            .subqueries()
            .iter()
            .map(|link| Arc::clone(&link.plan))
            .collect();
        subqueries.append(&mut nested);
        return Ok((input, subqueries));
    }
    let children = plan.children();
    if children.is_empty() {
        return Ok((plan, Vec::new()));
    }
    let mut inputs = Vec::with_capacity(children.len());
    let mut subqueries = Vec::new();
    for child in children {
        let (input, mut nested) = split_scalar_subqueries(Arc::clone(child))?;
        inputs.push(input);
        subqueries.append(&mut nested);
    }
    Ok((replace_children_if_necessary(plan, inputs)?, subqueries))
}

/// The one value a subquery's rows hold: NULL for no row, DataFusion's error for more.
async fn scalar_value(mut rows: SendableRecordBatchStream) -> Result<ScalarValue> {
    let schema = rows.schema();
    if schema.fields().len() != 1 {
        return internal_err!(
            "Scalar subquery must return exactly one column, got {}",
            schema.fields().len()
        );
    }
    let mut value = None;
    while let Some(batch) = rows.next().await.transpose()? {
        if batch.num_rows() == 0 {
            continue;
        }
        if value.is_some() || batch.num_rows() > 1 {
            return exec_err!("Scalar subquery returned more than one row");
        }
        value = Some(ScalarValue::try_from_array(batch.column(0), 0)?);
    }
    match value {
        Some(value) => Ok(value),
        None => ScalarValue::try_from(schema.field(0).data_type()),
    }
}

/// The literal a scalar subquery expression stands for once its subquery has run, or
/// `None` for any other expression and for subqueries not run yet (which travel as
/// DataFusion encodes them, inside their `ScalarSubqueryExec`).
pub(crate) fn resolved_literal(expr: &Arc<dyn PhysicalExpr>) -> Option<Arc<dyn PhysicalExpr>> {
    expr.downcast_ref::<ScalarSubqueryExpr>()?;
    // Evaluating reads the stored value, and fails while there is none.
    let no_rows = RecordBatch::new_empty(Arc::new(Schema::empty()));
    match expr.evaluate(&no_rows) {
        Ok(ColumnarValue::Scalar(value)) => Some(Arc::new(Literal::new(value))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::physical_plan::{collect, execute_stream};
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::codec::{decode_plan, encode_plan};
    use crate::session_defaults::default_session_config;

    /// A session like ours over a table of three rows.
    async fn context() -> SessionContext {
        let ctx = SessionContext::new_with_config(default_session_config());
        ctx.sql("CREATE TABLE t AS VALUES (1, 10), (2, 20), (3, 30)")
            .await
            .unwrap();
        ctx
    }

    /// Runs subqueries in this process, as the scheduler runs plans that read no data.
    fn in_process(ctx: &SessionContext) -> RunPlan {
        let task_ctx = ctx.task_ctx();
        Arc::new(move |plan| {
            let task_ctx = Arc::clone(&task_ctx);
            Box::pin(async move { execute_stream(plan, task_ctx) })
        })
    }

    fn contains_subquery_exec(plan: &Arc<dyn ExecutionPlan>) -> bool {
        plan.is::<ScalarSubqueryExec>() || plan.children().into_iter().any(contains_subquery_exec)
    }

    #[tokio::test]
    async fn a_resolved_plan_ships_the_subquerys_value_and_answers_as_datafusion() {
        let ctx = context().await;
        let sql = "SELECT column1 FROM t WHERE column2 > (SELECT avg(column2) FROM t) \
                   ORDER BY column1 + (SELECT max(column1) FROM t)";
        let plan = ctx
            .sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        assert!(contains_subquery_exec(&plan));
        let expected = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();

        let resolved = resolve_scalar_subqueries(plan, in_process(&ctx))
            .await
            .unwrap();
        assert!(!contains_subquery_exec(&resolved));
        // The copy an executor decodes holds literals: nothing is left to run or share.
        let shipped = decode_plan(&encode_plan(resolved).unwrap(), &ctx.task_ctx()).unwrap();
        let answer = collect(shipped, ctx.task_ctx()).await.unwrap();

        assert_eq!(
            pretty_format_batches(&answer).unwrap().to_string(),
            pretty_format_batches(&expected).unwrap().to_string()
        );
    }

    #[tokio::test]
    async fn a_subquery_of_several_rows_fails_as_in_datafusion_and_of_none_is_null() {
        let ctx = context().await;
        let several = ctx.sql("SELECT (SELECT column1 FROM t)").await.unwrap();
        let plan = several.create_physical_plan().await.unwrap();
        let err = resolve_scalar_subqueries(plan, in_process(&ctx))
            .await
            .unwrap_err();
        assert_eq!(
            err.strip_backtrace(),
            "Execution error: Scalar subquery returned more than one row"
        );

        // An aggregate, whose column may be null: DataFusion 55 itself fails a subquery of
        // no rows over a non-nullable column ("declared as non-nullable but contains null").
        let none = ctx
            .sql("SELECT (SELECT max(column1) FROM t WHERE column1 > 9 GROUP BY column2) AS v")
            .await
            .unwrap();
        let plan = none.create_physical_plan().await.unwrap();
        let resolved = resolve_scalar_subqueries(plan, in_process(&ctx))
            .await
            .unwrap();
        let rows = collect(resolved, ctx.task_ctx()).await.unwrap();
        assert!(rows[0].column(0).is_null(0));
    }
}
