//! Where a planned query runs. The Flight SQL front end only sees [`QueryEngine`], so
//! "run the plan in this process" can become "hand the plan to the scheduler" without
//! touching the protocol layer.

use std::fmt::Debug;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use datafusion::prelude::SessionConfig;
use futures::future::BoxFuture;

/// Runs a physical plan and streams its single, merged output.
///
/// Methods that return a future do all their work in it, none when called: plans may be
/// deep enough to need the planning runtime's stack, so callers run those futures there
/// ([`crate::on_planning_stack`], [`crate::stream_on_planning_stack`]), and a plan handed
/// to a method is dropped in its future too.
pub trait QueryEngine: Send + Sync + Debug {
    /// Starts `plan`; the returned stream yields batches as they are produced, and
    /// dropping it stops the work.
    fn execute(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        task_ctx: Arc<TaskContext>,
    ) -> BoxFuture<'static, Result<SendableRecordBatchStream>>;

    /// Starts `plan` so that the client can read its result partitions one by one (one
    /// Flight endpoint each), as they are produced; returns a token per partition. `None`
    /// when the engine streams results through [`QueryEngine::execute`] instead.
    fn complete(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        task_ctx: Arc<TaskContext>,
    ) -> BoxFuture<'static, Result<Option<Vec<Bytes>>>> {
        Box::pin(async move {
            drop((plan, task_ctx));
            Ok(None)
        })
    }

    /// Streams one partition kept by [`QueryEngine::complete`].
    fn read_result(
        &self,
        token: &[u8],
        task_ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let _ = (token, task_ctx);
        datafusion::common::plan_err!("this engine keeps no results to read")
    }

    /// Releases the results a token belongs to (the query was cancelled).
    fn release_result(&self, token: &[u8]) {
        let _ = token;
    }

    /// Releases the results of every query of a closed session, stopping those that still
    /// run.
    fn release_session(&self, session_id: &str) {
        let _ = session_id;
    }

    /// The share of the work done, from 0 to 1, by the queries `session_id` started at
    /// or after `since` (milliseconds since the Unix epoch); `None` when the engine cannot
    /// tell or runs none of them.
    fn progress(&self, session_id: &str, since_ms: u64) -> BoxFuture<'static, Option<f64>> {
        let _ = (session_id, since_ms);
        Box::pin(async { None })
    }

    /// How the engine would run `plan`, for `EXPLAIN`; `None` when it runs the plan as is.
    fn explain(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &SessionConfig,
    ) -> BoxFuture<'static, Result<Option<String>>> {
        let _ = config;
        Box::pin(async move {
            drop(plan);
            Ok(None)
        })
    }
}

/// Runs plans on this process's tokio runtime.
#[derive(Debug, Default, Clone)]
pub struct LocalEngine;

impl QueryEngine for LocalEngine {
    fn execute(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        task_ctx: Arc<TaskContext>,
    ) -> BoxFuture<'static, Result<SendableRecordBatchStream>> {
        Box::pin(async move { execute_stream(plan, task_ctx) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;
    use futures::TryStreamExt;

    #[tokio::test]
    async fn runs_a_plan_and_streams_every_row() {
        let ctx = SessionContext::new();
        let plan = ctx
            .sql("SELECT * FROM (VALUES (1), (2), (3)) AS t(x)")
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let stream = LocalEngine.execute(plan, ctx.task_ctx()).await.unwrap();
        let batches: Vec<_> = stream.try_collect().await.unwrap();
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
    }
}
