//! `ballista.job.timeout` for the queries that run on the scheduler rather than as jobs
//! (`query_placement.rs`): the session's limit holds wherever a query runs, and ends it with the
//! error a job's timeout gives.

use std::time::Duration;

use datafusion::error::Result;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use futures::future::BoxFuture;

use crate::final_partition::job_error;
use crate::scheduler::JobFailure;

/// `rows` ended with the job timeout's error once `limit` has passed since the query
/// started, as a job's would be: the session's `ballista.job.timeout` holds wherever the
/// query runs.
pub(crate) async fn within_job_timeout(
    rows: BoxFuture<'static, Result<SendableRecordBatchStream>>,
    limit: Option<Duration>,
) -> Result<SendableRecordBatchStream> {
    let Some(limit) = limit else {
        return rows.await;
    };
    let deadline = tokio::time::Instant::now() + limit;
    let timed_out = move || job_error(&JobFailure::TimedOut(limit));
    let rows = tokio::time::timeout_at(deadline, rows)
        .await
        .map_err(|_| timed_out())??;
    let schema = rows.schema();
    let bounded = futures::stream::unfold(Some(rows), move |rows| async move {
        let mut rows = rows?;
        match tokio::time::timeout_at(deadline, rows.next()).await {
            Ok(Some(batch)) => Some((batch, Some(rows))),
            Ok(None) => None,
            // Dropping the stream stops the work.
            Err(_) => Some((Err(timed_out()), None)),
        }
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, bounded)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::datatypes::Schema;
    use datafusion::physical_plan::EmptyRecordBatchStream;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

    use super::*;

    /// A query that starts at once and then never produces a row.
    fn stalled() -> BoxFuture<'static, Result<SendableRecordBatchStream>> {
        Box::pin(async {
            let rows: SendableRecordBatchStream = Box::pin(RecordBatchStreamAdapter::new(
                Arc::new(Schema::empty()),
                futures::stream::pending(),
            ));
            Ok(rows)
        })
    }

    #[tokio::test]
    async fn a_query_past_its_limit_ends_with_the_job_timeout_error() {
        let mut rows = within_job_timeout(stalled(), Some(Duration::from_millis(50)))
            .await
            .unwrap();
        let err = rows
            .next()
            .await
            .expect("an error, not the end")
            .unwrap_err();
        assert!(
            err.to_string().contains("ballista.job.timeout (50ms)"),
            "{err}"
        );
        assert!(
            rows.next().await.is_none(),
            "the stream ends after its error"
        );
    }

    #[tokio::test]
    async fn a_query_that_never_starts_within_its_limit_times_out_too() {
        let never: BoxFuture<'static, Result<SendableRecordBatchStream>> =
            Box::pin(futures::future::pending());
        let err = within_job_timeout(never, Some(Duration::from_millis(50)))
            .await
            .err()
            .expect("timed out");
        assert!(
            err.to_string().contains("ballista.job.timeout (50ms)"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn without_a_limit_the_rows_pass_through() {
        let rows = within_job_timeout(
            Box::pin(async {
                let rows: SendableRecordBatchStream =
                    Box::pin(EmptyRecordBatchStream::new(Arc::new(Schema::empty())));
                Ok(rows)
            }),
            None,
        )
        .await
        .unwrap();
        assert_eq!(rows.count().await, 0);
    }
}
