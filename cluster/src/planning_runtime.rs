//! The planning runtime: where statements are parsed, planned, cut into stages, encoded,
//! run in this process and dropped, on threads whose stacks are deep enough for any plan
//! the statement limits let through.
//!
//! DataFusion recurses over plans and expressions: analysis, optimization, physical
//! planning, the protobuf codec, the polling of a stream, and `Drop`. Some of its passes
//! grow their stack on demand, but derived `Clone`, `PartialEq` and `Drop`, the codec and
//! the SQL planner's set operations do not, so a statement nesting a few thousand levels
//! overflows a 2 MiB tokio worker and aborts the whole process. This runtime's threads
//! reserve [`PLANNING_STACK_BYTES`] each (memory is committed only as deep as a plan
//! actually goes); async handlers hand it their work and await the outcome.
//!
//! ```text
//!   handler (any runtime) ── on_planning_stack(fut) ──▶ planning runtime: fut runs, and
//!                         ◀── its output ────────────    everything it drops is dropped
//!   handler ── stream_on_planning_stack(started) ──▶ planning runtime polls the stream
//!           ◀── batches, one channel slot at a time ──   (and drops the plan under it)
//! ```

use std::future::Future;
use std::ops::Deref;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::error::ClusterError;

/// Stack reserved by each planning thread. Only the pages a plan touches are committed;
/// the statement limits keep every plan far below this.
pub const PLANNING_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Stack of each thread of an executor's task runtime, which decodes and runs stage plans.
pub(crate) const TASK_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Most planning threads: planning is CPU-bound, so more would only compete for cores.
const MAX_PLANNING_THREADS: usize = 8;

/// Blocking threads of the planning runtime (file listings while planning); each reserves
/// a planning stack too, so there are few.
const MAX_BLOCKING_THREADS: usize = 4;

/// The process's planning runtime, started on first use and kept for the process's life;
/// `Err` holds why it could not start (the threads could not be created).
static PLANNING: OnceLock<std::result::Result<Runtime, (std::io::ErrorKind, String)>> =
    OnceLock::new();

fn planning_handle() -> Result<Handle> {
    let runtime = PLANNING.get_or_init(|| {
        let threads = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .clamp(2, MAX_PLANNING_THREADS);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .max_blocking_threads(MAX_BLOCKING_THREADS)
            .thread_stack_size(PLANNING_STACK_BYTES)
            .thread_name("trebuchet-planning")
            .enable_all()
            .build()
            .map_err(|err| (err.kind(), err.to_string()))
    });
    match runtime {
        Ok(runtime) => Ok(runtime.handle().clone()),
        Err((kind, message)) => Err(DataFusionError::External(Box::new(
            ClusterError::PlanningRuntime(std::io::Error::new(*kind, message.clone())),
        ))),
    }
}

/// Runs `future` on the planning runtime and returns its output. The work starts at once,
/// before the returned future is polled; dropping the returned future cancels it, and
/// whatever it held is dropped on the planning runtime.
pub fn on_planning_stack<F>(future: F) -> impl Future<Output = Result<F::Output>> + Send + 'static
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let spawned = planning_handle().map(|handle| {
        let mut task = JoinSet::new();
        task.spawn_on(future, &handle);
        task
    });
    async move {
        match spawned?.join_next().await {
            Some(Ok(output)) => Ok(output),
            Some(Err(err)) if err.is_panic() => Err(DataFusionError::Internal(format!(
                "planning panicked: {}",
                panic_message(err.into_panic().as_ref())
            ))),
            Some(Err(err)) => Err(DataFusionError::Internal(format!(
                "planning was cancelled: {err}"
            ))),
            None => Err(DataFusionError::Internal(
                "the planning task vanished".into(),
            )),
        }
    }
}

/// Starts the stream `started` yields on the planning runtime (at once, before the returned
/// future is polled) and forwards its batches, one channel slot ahead of the reader. The
/// stream is polled, and dropped with the plan beneath it, on the planning runtime;
/// dropping the returned stream stops it.
pub fn stream_on_planning_stack(
    started: BoxFuture<'static, Result<SendableRecordBatchStream>>,
) -> impl Future<Output = Result<SendableRecordBatchStream>> + Send + 'static {
    let (schema_sender, schema) = oneshot::channel();
    let (batch_sender, batches) = mpsc::channel::<Result<RecordBatch>>(1);
    let pump = planning_handle().map(|handle| {
        let mut pump = JoinSet::new();
        pump.spawn_on(forward(started, schema_sender, batch_sender), &handle);
        pump
    });
    async move {
        let pump = pump?;
        let schema = schema.await.map_err(|_| {
            DataFusionError::Internal("the query's stream ended before it started".into())
        })??;
        let forwarded = Forwarded {
            batches,
            _pump: pump,
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, forwarded)) as SendableRecordBatchStream)
    }
}

/// Starts the stream, sends its schema (or why it did not start), then its batches until
/// it ends or the reader goes.
async fn forward(
    started: BoxFuture<'static, Result<SendableRecordBatchStream>>,
    schema_sender: oneshot::Sender<Result<SchemaRef>>,
    batch_sender: mpsc::Sender<Result<RecordBatch>>,
) {
    let mut schema_sender = Some(schema_sender);
    let pumped = AssertUnwindSafe(async {
        let started = started.await;
        let mut stream = match started {
            Ok(stream) => stream,
            Err(err) => {
                if let Some(sender) = schema_sender.take() {
                    let _ = sender.send(Err(err));
                }
                return;
            }
        };
        let Some(sender) = schema_sender.take() else {
            return;
        };
        if sender.send(Ok(stream.schema())).is_err() {
            return;
        }
        while let Some(batch) = stream.next().await {
            if batch_sender.send(batch).await.is_err() {
                return;
            }
        }
    })
    .catch_unwind()
    .await;
    // A panicking operator must end the stream with an error, not quietly.
    if let Err(panic) = pumped {
        let err = DataFusionError::Internal(format!(
            "the query panicked: {}",
            panic_message(panic.as_ref())
        ));
        match schema_sender.take() {
            Some(sender) => drop(sender.send(Err(err))),
            None => drop(batch_sender.send(Err(err)).await),
        }
    }
}

/// Batches coming from a stream polled on the planning runtime.
struct Forwarded {
    batches: mpsc::Receiver<Result<RecordBatch>>,
    /// Aborted when the reader drops the stream.
    _pump: JoinSet<()>,
}

impl Stream for Forwarded {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.batches.poll_recv(cx)
    }
}

/// A plan (or anything holding one) that came from the planning runtime and goes back to
/// it to be dropped: dropping a deep plan recurses as deep as the plan.
#[derive(Debug)]
pub struct DeepPlan<T: Send + 'static> {
    value: Option<T>,
}

impl<T: Send + 'static> DeepPlan<T> {
    pub fn new(value: T) -> Self {
        Self { value: Some(value) }
    }

    /// The plan itself; its owner is now responsible for where it is dropped.
    pub fn into_inner(mut self) -> T {
        self.value
            .take()
            .expect("a DeepPlan holds its value until dropped or taken")
    }
}

impl<T: Send + 'static> Deref for DeepPlan<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
            .as_ref()
            .expect("a DeepPlan holds its value until dropped or taken")
    }
}

impl<T: Send + 'static> Drop for DeepPlan<T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            drop_on_planning_stack(value);
        }
    }
}

/// Drops `value` on the planning runtime (here if it could not start).
fn drop_on_planning_stack<T: Send + 'static>(value: T) {
    match planning_handle() {
        // Detached on purpose: the task owns nothing but `value` and ends at once.
        Ok(handle) => drop(handle.spawn(async move { drop(value) })),
        Err(_) => drop(value),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic".to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use futures::TryStreamExt;

    use super::*;

    /// Recurses `levels` deep with a frame of about 1 KiB each: 16 MiB in all, far more
    /// than a 2 MiB test thread has.
    fn recurse(levels: usize) -> usize {
        let frame = std::hint::black_box([1u8; 1024]);
        if levels == 0 {
            return usize::from(frame[0]);
        }
        recurse(levels - 1) + usize::from(frame[levels % 1024])
    }

    #[tokio::test]
    async fn deep_recursion_fits_on_the_planning_stack() {
        let total = on_planning_stack(async { recurse(16 * 1024) })
            .await
            .unwrap();
        assert_eq!(total, 16 * 1024 + 1);
    }

    #[tokio::test]
    async fn a_panic_while_planning_is_an_internal_error() {
        let planned: Result<()> = on_planning_stack(async { panic!("boom") }).await;
        let err = planned.unwrap_err();
        assert!(err.to_string().contains("planning panicked: boom"), "{err}");
    }

    #[tokio::test]
    async fn streams_are_polled_on_the_planning_stack() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let batch = |value: i64| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(Int64Array::from(vec![value]))],
            )
            .unwrap()
        };
        let batches = vec![Ok(batch(1)), Ok(batch(2))];
        let stream_schema = Arc::clone(&schema);
        let started: BoxFuture<'static, Result<SendableRecordBatchStream>> = Box::pin(async move {
            let deep = futures::stream::iter(batches).map(|batch| {
                // Only the planning stack has room for this.
                let _ = recurse(16 * 1024);
                batch
            });
            Ok(Box::pin(RecordBatchStreamAdapter::new(stream_schema, deep))
                as SendableRecordBatchStream)
        });
        let stream = stream_on_planning_stack(started).await.unwrap();
        assert_eq!(stream.schema(), schema);
        let collected: Vec<RecordBatch> = stream.try_collect().await.unwrap();
        assert_eq!(collected, vec![batch(1), batch(2)]);
    }

    #[tokio::test]
    async fn a_stream_that_fails_to_start_reports_its_error() {
        let started: BoxFuture<'static, Result<SendableRecordBatchStream>> =
            Box::pin(async { Err(DataFusionError::Plan("no such plan".into())) });
        let err = stream_on_planning_stack(started)
            .await
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().contains("no such plan"), "{err}");
    }

    #[tokio::test]
    async fn a_stream_that_panics_ends_with_an_error() {
        let started: BoxFuture<'static, Result<SendableRecordBatchStream>> =
            Box::pin(async { panic!("no stream") });
        let err = stream_on_planning_stack(started)
            .await
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().contains("panicked: no stream"), "{err}");
    }

    #[tokio::test]
    async fn deep_plans_are_dropped_on_the_planning_stack() {
        /// Recurses deep when dropped, like a deep plan does.
        struct DeepOnDrop(oneshot::Sender<usize>);
        impl Drop for DeepOnDrop {
            fn drop(&mut self) {
                let (sender, _) = oneshot::channel();
                let sender = std::mem::replace(&mut self.0, sender);
                let _ = sender.send(recurse(16 * 1024));
            }
        }
        let (sender, dropped) = oneshot::channel();
        let plan = DeepPlan::new(DeepOnDrop(sender));
        drop(plan);
        assert_eq!(dropped.await.unwrap(), 16 * 1024 + 1);
    }
}
