//! Queries whose results are being streamed, so `CancelFlightInfo` can stop them.
//!
//! A cancelled query id is remembered for a while, so a ticket redeemed after its
//! cancellation fails with `Cancelled` instead of starting the work again; a finished one
//! too, so cancelling it can be answered truthfully. Query ids come only from tickets this
//! server sealed, so nobody can fill these memos with ids of their own invention.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::error::{FlightSqlError, Result};
use crate::mutex::lock;

/// How long cancelled and finished queries are remembered.
const REMEMBER: Duration = Duration::from_secs(600);
/// Cancelled and finished queries are pruned when this many are remembered.
const PRUNE_AT: usize = 4096;

/// What cancelling a query achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelOutcome {
    /// It was running and has been stopped, or had not started and never will.
    Cancelled,
    /// It had already finished.
    AlreadyFinished,
}

/// The registry of running and recently cancelled queries.
#[derive(Debug, Default)]
pub(crate) struct RunningQueries {
    state: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    running: HashMap<String, HashMap<u64, CancellationToken>>,
    cancelled: HashMap<String, Instant>,
    finished: HashMap<String, Instant>,
    next_registration: u64,
}

impl RunningQueries {
    /// Runs `work` (starting a query, which on a cluster lasts until its job ends) so that
    /// cancelling `query_id` meanwhile abandons it with a `Cancelled` error; dropping
    /// `work` is what stops the job.
    pub(crate) async fn run_cancellable<T>(
        self: &Arc<Self>,
        query_id: &str,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let (token, _guard) = self.register(query_id)?;
        tokio::select! {
            outcome = work => outcome,
            () = token.cancelled() => Err(FlightSqlError::Cancelled {
                query_id: query_id.to_string(),
            }),
        }
    }

    /// Wraps a result stream so cancelling `query_id` ends it with a `Cancelled` error and
    /// drops the work beneath it.
    pub(crate) fn track(
        self: &Arc<Self>,
        query_id: &str,
        stream: SendableRecordBatchStream,
    ) -> Result<SendableRecordBatchStream> {
        let (token, guard) = self.register(query_id)?;
        let schema = stream.schema();
        let query_id = query_id.to_string();
        let until_cancelled = stream.take_until(token.clone().cancelled_owned());
        let cancelled_error = futures::stream::once(async move {
            let _guard = guard;
            token.is_cancelled().then(|| {
                Err(DataFusionError::External(Box::new(
                    FlightSqlError::Cancelled { query_id },
                )))
            })
        })
        .filter_map(futures::future::ready);
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            until_cancelled.chain(cancelled_error),
        )))
    }

    /// Refuses a query that was cancelled.
    pub(crate) fn ensure_not_cancelled(&self, query_id: &str) -> Result<()> {
        if self.lock().cancelled.contains_key(query_id) {
            return Err(FlightSqlError::Cancelled {
                query_id: query_id.to_string(),
            });
        }
        Ok(())
    }

    /// Records a run of `query_id`, unless it was cancelled; the guard removes it again.
    fn register(self: &Arc<Self>, query_id: &str) -> Result<(CancellationToken, Deregister)> {
        let token = CancellationToken::new();
        let mut state = self.lock();
        if state.cancelled.contains_key(query_id) {
            return Err(FlightSqlError::Cancelled {
                query_id: query_id.to_string(),
            });
        }
        state.next_registration += 1;
        let registration = state.next_registration;
        state
            .running
            .entry(query_id.to_string())
            .or_default()
            .insert(registration, token.clone());
        let guard = Deregister {
            queries: Arc::clone(self),
            query_id: query_id.to_string(),
            registration,
        };
        Ok((token, guard))
    }

    /// Cancels every stream of `query_id`, now and for tickets redeemed later.
    pub(crate) fn cancel(&self, query_id: &str) -> CancelOutcome {
        let now = Instant::now();
        let mut state = self.lock();
        // Pruned only when large, so cancelling costs the same however many are kept.
        if state.cancelled.len() >= PRUNE_AT {
            state
                .cancelled
                .retain(|_, at| now.duration_since(*at) < REMEMBER);
        }
        state.cancelled.insert(query_id.to_string(), now);
        let tokens = state.running.remove(query_id).unwrap_or_default();
        for token in tokens.values() {
            token.cancel();
        }
        if tokens.is_empty() && state.finished.contains_key(query_id) {
            CancelOutcome::AlreadyFinished
        } else {
            CancelOutcome::Cancelled
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        lock(&self.state)
    }
}

/// Removes a stream from the registry when it ends or is dropped.
struct Deregister {
    queries: Arc<RunningQueries>,
    query_id: String,
    registration: u64,
}

impl Drop for Deregister {
    fn drop(&mut self) {
        let mut state = self.queries.lock();
        if let Some(tokens) = state.running.get_mut(&self.query_id) {
            tokens.remove(&self.registration);
            if tokens.is_empty() {
                state.running.remove(&self.query_id);
            }
        }
        let now = Instant::now();
        if state.finished.len() >= PRUNE_AT {
            state
                .finished
                .retain(|_, at| now.duration_since(*at) < REMEMBER);
        }
        state.finished.insert(self.query_id.clone(), now);
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int32Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use futures::TryStreamExt;

    use super::*;

    fn endless_stream() -> SendableRecordBatchStream {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, false)]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(Int32Array::from(vec![1]))],
        )
        .unwrap();
        let batches = futures::stream::repeat_with(move || Ok(batch.clone()));
        Box::pin(RecordBatchStreamAdapter::new(schema, batches))
    }

    #[tokio::test]
    async fn cancelling_ends_a_running_stream_with_an_error() {
        let queries = Arc::new(RunningQueries::default());
        let mut stream = queries.track("q", endless_stream()).unwrap();
        assert!(stream.try_next().await.unwrap().is_some());
        assert_eq!(queries.cancel("q"), CancelOutcome::Cancelled);
        let err = stream.try_collect::<Vec<_>>().await.unwrap_err();
        assert!(err.to_string().contains("cancelled"), "{err}");
    }

    #[tokio::test]
    async fn a_cancelled_query_cannot_start_again() {
        let queries = Arc::new(RunningQueries::default());
        assert_eq!(queries.cancel("q"), CancelOutcome::Cancelled);
        assert!(matches!(
            queries.track("q", endless_stream()),
            Err(FlightSqlError::Cancelled { .. })
        ));
    }

    #[tokio::test]
    async fn finished_streams_leave_the_registry() {
        let queries = Arc::new(RunningQueries::default());
        drop(queries.track("q", endless_stream()).unwrap());
        assert!(queries.lock().running.is_empty());
        assert_eq!(queries.cancel("q"), CancelOutcome::AlreadyFinished);
    }
}
