//! [`final_partition_stream`]: one final partition of a job, streamed to the client while
//! its task still writes it.
//!
//! The scheduler follows the partition's file on the executor whose task writes it
//! ([`follow_partition`]), learning where that is from the job's [`JobProgress`]; each
//! follow carries a grant for the job signed with the cluster secret. A read cut short is
//! resumed where it can be without losing or repeating a row:
//!
//! ```text
//!   the same attempt finished the file  ──▶ read it again, skipping the batches sent
//!   the same attempt still writes       ──▶ after a pause, follow it again, skipping them
//!   another attempt, nothing sent yet   ──▶ follow that attempt instead
//!   another attempt, batches sent       ──▶ fail: the rows sent cannot be taken back
//!   the job failed                      ──▶ fail with the job's error
//! ```
//!
//! A writer still running is followed again rather than waited for: it waits for its
//! reader once it is far enough ahead ([`trebuchet_shuffle::MAX_UNREAD_RESULT_BYTES`]),
//! so it might never finish otherwise.

use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::watch;
use trebuchet_shuffle::ids::{JobId, PartitionId, StageId};
use trebuchet_shuffle::{ClusterSecret, follow_partition};

use crate::error::ClusterError;
use crate::scheduler::{FinalOutput, FinalTask, JobFailure, JobProgress};
use crate::task_failure::{FailureKind, TaskFailure};

/// Pause before following again an attempt whose follow was cut short: a fetch error
/// that persists should not turn into a busy loop.
const RESUME_PAUSE: Duration = Duration::from_millis(500);

/// Follows of the same running attempt in a row, with no batch between them, before the
/// read fails with the last error.
const MAX_RESUMES: u32 = 20;

/// Partition `partition` of `stage`, the final stage of `job`, batch by batch as it is
/// written, read from executors with grants signed by `secret`. The stream ends when the
/// partition is complete.
pub(crate) fn final_partition_stream(
    job: JobId,
    stage: StageId,
    partition: u32,
    schema: SchemaRef,
    progress: watch::Receiver<JobProgress>,
    secret: ClusterSecret,
) -> SendableRecordBatchStream {
    let reader = FinalPartitionReader {
        job,
        secret,
        stage,
        partition,
        progress,
        progress_closed: false,
        reading: None,
        interrupted: None,
        resumes: 0,
        paused: false,
        sent: 0,
        done: false,
    };
    let batches = futures::stream::unfold(reader, |mut reader| async move {
        let item = reader.next().await?;
        Some((item, reader))
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, batches))
}

/// The error a reader of a failed job's result ends with.
pub(crate) fn job_error(failure: &JobFailure) -> DataFusionError {
    match failure {
        JobFailure::NoExecutors(message) => {
            DataFusionError::External(Box::new(ClusterError::NoExecutors {
                message: message.clone(),
            }))
        }
        JobFailure::TimedOut(limit) => {
            DataFusionError::External(Box::new(ClusterError::JobTimedOut { limit: *limit }))
        }
        JobFailure::Failed(failure) => {
            DataFusionError::External(Box::new(ClusterError::TaskFailed(failure.clone())))
        }
        JobFailure::Cancelled => DataFusionError::Execution(failure.to_string()),
    }
}

struct FinalPartitionReader {
    job: JobId,
    secret: ClusterSecret,
    stage: StageId,
    partition: u32,
    progress: watch::Receiver<JobProgress>,
    /// The job's files were released: no more progress will come.
    progress_closed: bool,
    reading: Option<Reading>,
    /// Why the last read stopped before the end, if it did.
    interrupted: Option<Interrupted>,
    /// Follows of a running attempt started again since the last batch arrived.
    resumes: u32,
    /// Paused since the last read of a running attempt was cut: it may be followed again.
    paused: bool,
    /// Batches handed to the client so far.
    sent: usize,
    done: bool,
}

/// A read of one attempt's file.
struct Reading {
    output: FinalOutput,
    /// The file was complete when the read began.
    complete: bool,
    batches: BoxStream<'static, Result<RecordBatch>>,
    /// Batches still to drop: the ones already sent by an earlier read of the same file.
    skip: usize,
}

struct Interrupted {
    output: FinalOutput,
    /// The file was complete when the read began: reading it again would fail alike.
    complete: bool,
    error: DataFusionError,
}

/// What the job's progress says to do next.
enum Next {
    Read {
        output: FinalOutput,
        complete: bool,
        skip: usize,
    },
    /// Pause, then decide again: the attempt that was being read still runs.
    Pause,
    Wait,
    Fail(DataFusionError),
}

impl FinalPartitionReader {
    async fn next(&mut self) -> Option<Result<RecordBatch>> {
        while !self.done {
            let Some(reading) = &mut self.reading else {
                if let Err(err) = self.open().await {
                    self.done = true;
                    return Some(Err(err));
                }
                continue;
            };
            let item = tokio::select! {
                item = reading.batches.next() => Some(item),
                changed = self.progress.changed(), if !self.progress_closed => {
                    self.progress_closed = changed.is_err();
                    None
                }
            };
            match item {
                // The job moved on: is the attempt being read still the one that counts?
                None => {
                    if let Err(err) = self.check_still_current() {
                        self.done = true;
                        return Some(Err(err));
                    }
                }
                Some(Some(Ok(batch))) if reading.skip > 0 => {
                    drop(batch);
                    reading.skip -= 1;
                    self.resumes = 0;
                }
                Some(Some(Ok(batch))) => {
                    self.sent += 1;
                    self.resumes = 0;
                    return Some(Ok(batch));
                }
                Some(None) => self.done = true,
                Some(Some(Err(error))) => {
                    if let Some(reading) = self.reading.take() {
                        tracing::debug!(job = %self.job, partition = self.partition, executor = %reading.output.executor.id, %error, "reading a result partition was cut short");
                        self.interrupted = Some(Interrupted {
                            output: reading.output,
                            complete: reading.complete,
                            error,
                        });
                    }
                }
            }
        }
        None
    }

    /// Starts reading the partition where the job's progress says it is, waiting for its
    /// task to be placed if need be.
    async fn open(&mut self) -> Result<()> {
        loop {
            let next = self.decide();
            match next {
                Next::Read {
                    output,
                    complete,
                    skip,
                } => {
                    let executor = &output.executor;
                    let grant = self.secret.grant(&self.job);
                    match follow_partition(
                        &executor.id,
                        &executor.url,
                        &self.job,
                        self.stage,
                        PartitionId(self.partition),
                        output.attempt,
                        &grant,
                    )
                    .await
                    {
                        Ok(batches) => {
                            self.interrupted = None;
                            self.reading = Some(Reading {
                                output,
                                complete,
                                batches: batches.boxed(),
                                skip,
                            });
                            return Ok(());
                        }
                        Err(error) => {
                            self.interrupted = Some(Interrupted {
                                output,
                                complete,
                                error,
                            });
                        }
                    }
                }
                Next::Pause => {
                    tokio::select! {
                        () = tokio::time::sleep(RESUME_PAUSE) => {}
                        changed = self.progress.changed(), if !self.progress_closed => {
                            self.progress_closed = changed.is_err();
                        }
                    }
                    self.paused = true;
                }
                Next::Wait if self.progress_closed => return Err(self.take_interruption()),
                Next::Wait => {
                    self.progress_closed = self.progress.changed().await.is_err();
                }
                Next::Fail(err) => return Err(err),
            }
        }
    }

    /// Where to read from now, given the job's progress and how the last read ended.
    fn decide(&mut self) -> Next {
        let paused = std::mem::take(&mut self.paused);
        let progress = self.progress.borrow_and_update();
        if let Some(Err(failure)) = &progress.end {
            return Next::Fail(job_error(failure));
        }
        let (output, complete) = match progress.final_tasks.get(self.partition as usize) {
            None => {
                return Next::Fail(DataFusionError::Internal(format!(
                    "the query has no result partition {}",
                    self.partition
                )));
            }
            // The cluster lost it, not the query: UNAVAILABLE, which clients may retry.
            Some(FinalTask::Lost) => {
                let lost = TaskFailure::new(
                    FailureKind::ExecutorLost,
                    format!(
                        "result partition {} was on an executor that has since been lost; run the query again",
                        self.partition
                    ),
                    format!("job {}", self.job),
                );
                return Next::Fail(job_error(&JobFailure::Failed(lost)));
            }
            Some(FinalTask::Waiting) => return Next::Wait,
            Some(FinalTask::Writing(output)) => (output.clone(), false),
            Some(FinalTask::Written(output)) => (output.clone(), true),
        };
        drop(progress);
        let Some(cut) = &self.interrupted else {
            return Next::Read {
                output,
                complete,
                skip: 0,
            };
        };
        if cut.output == output {
            return if cut.complete {
                Next::Fail(self.take_interruption())
            } else if complete {
                // The file is whole now: read it again from the start, dropping what the
                // client already has.
                Next::Read {
                    output,
                    complete,
                    skip: self.sent,
                }
            } else if self.progress_closed || self.resumes >= MAX_RESUMES {
                // Released, or cut again and again: following once more would fail alike.
                Next::Fail(self.take_interruption())
            } else if !paused {
                Next::Pause
            } else {
                // The same attempt still runs: follow it again from the start, dropping
                // what the client already has.
                self.resumes += 1;
                Next::Read {
                    output,
                    complete,
                    skip: self.sent,
                }
            };
        }
        if self.sent == 0 {
            return Next::Read {
                output,
                complete,
                skip: 0,
            };
        }
        Next::Fail(self.moved_midway(&cut.error))
    }

    /// After a progress update while reading: fails when the attempt being read no longer
    /// counts and batches of it were already sent; switches attempts when none were.
    fn check_still_current(&mut self) -> Result<()> {
        let Some(reading) = &self.reading else {
            return Ok(());
        };
        let progress = self.progress.borrow();
        if let Some(Err(failure)) = &progress.end {
            return Err(job_error(failure));
        }
        let current = match progress.final_tasks.get(self.partition as usize) {
            Some(FinalTask::Writing(output) | FinalTask::Written(output)) => {
                *output == reading.output
            }
            _ => false,
        };
        drop(progress);
        if current {
            return Ok(());
        }
        if self.sent > 0 {
            let why = DataFusionError::Execution(format!(
                "executor {} stopped writing it",
                reading.output.executor.id
            ));
            return Err(self.moved_midway(&why));
        }
        // Nothing sent yet: follow whichever attempt counts now.
        self.reading = None;
        Ok(())
    }

    /// The error the last read was cut short with, if any, else the results' release.
    fn take_interruption(&mut self) -> DataFusionError {
        self.interrupted
            .take()
            .map_or_else(released, |cut| cut.error)
    }

    fn moved_midway(&self, cause: &DataFusionError) -> DataFusionError {
        DataFusionError::Execution(format!(
            "result partition {} was lost after {} batches had been sent ({cause}); its task is \
             being run again, but the rows already sent cannot be taken back: run the query again",
            self.partition, self.sent
        ))
    }
}

fn released() -> DataFusionError {
    DataFusionError::Execution(
        "the results of this query were released (cancelled, expired or already read); run the query again"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::execution::TaskContext;
    use datafusion::physical_plan::ExecutionPlan;
    use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
    use futures::TryStreamExt;
    use tokio::sync::mpsc;
    use tokio::task::JoinSet;
    use trebuchet_shuffle::ids::ExecutorId;
    use trebuchet_shuffle::{
        KnownJobs, RemoteExecutor, ShuffleFlightService, ShuffleLayout, ShuffleOutput,
        ShuffleWriterExec,
    };

    use super::*;
    use crate::task_failure::{FailureKind, TaskFailure};

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]))
    }

    fn batch(values: std::ops::Range<i64>) -> RecordBatch {
        RecordBatch::try_new(
            schema(),
            vec![Arc::new(Int64Array::from_iter_values(values))],
        )
        .unwrap()
    }

    /// A partition whose batches the test sends, one at a time.
    #[derive(Debug)]
    struct Fed(Mutex<Option<mpsc::UnboundedReceiver<Result<RecordBatch>>>>);

    impl PartitionStream for Fed {
        fn schema(&self) -> &SchemaRef {
            static SCHEMA: std::sync::LazyLock<SchemaRef> = std::sync::LazyLock::new(schema);
            &SCHEMA
        }

        fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
            let receiver = self.0.lock().unwrap().take().expect("executed once");
            let batches = futures::stream::unfold(receiver, |mut receiver| async move {
                receiver.recv().await.map(|batch| (batch, receiver))
            });
            Box::pin(RecordBatchStreamAdapter::new(schema(), batches))
        }
    }

    /// An executor's side of the final stage: a Flight server over a shuffle root, and a
    /// pass-through writer per attempt of partition 0, fed by the test.
    struct Executor {
        root: tempfile::TempDir,
        url: String,
        tasks: JoinSet<()>,
    }

    const JOB: &str = "job-final";
    const STAGE: StageId = StageId(2);

    fn secret() -> ClusterSecret {
        ClusterSecret::new("final-secret").unwrap()
    }

    impl Executor {
        async fn start() -> Self {
            let root = tempfile::tempdir().unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let job: Arc<dyn KnownJobs> =
                Arc::new(std::collections::HashSet::from([JobId::new(JOB)]));
            let service = ShuffleFlightService::new(ShuffleLayout::new(root.path()), secret())
                .with_known_jobs(job);
            let mut tasks = JoinSet::new();
            tasks.spawn(async move {
                tonic::transport::Server::builder()
                    .add_service(
                        arrow_flight::flight_service_server::FlightServiceServer::new(service),
                    )
                    .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
                    .await
                    .unwrap();
            });
            Self { root, url, tasks }
        }

        /// Starts attempt `attempt`; the sender feeds its rows, and dropping it ends them.
        fn run_attempt(&mut self, attempt: u32) -> mpsc::UnboundedSender<Result<RecordBatch>> {
            let (rows, receiver) = mpsc::unbounded_channel();
            let input = StreamingTableExec::try_new(
                schema(),
                vec![Arc::new(Fed(Mutex::new(Some(receiver))))],
                None,
                Vec::new(),
                false,
                None,
            )
            .unwrap();
            let output = ShuffleOutput {
                layout: ShuffleLayout::new(self.root.path()),
                job: JobId::new(JOB),
                stage: STAGE,
                attempt,
            };
            let writer = ShuffleWriterExec::try_new(Arc::new(input), None, output).unwrap();
            let mut written = writer.execute(0, Arc::new(TaskContext::default())).unwrap();
            self.tasks.spawn(async move {
                // A failed attempt ends in an error here, as on a real executor.
                let _ = written.try_next().await;
            });
            rows
        }

        fn writing(&self, attempt: u32) -> JobProgress {
            JobProgress {
                final_stage_ready: true,
                final_tasks: vec![FinalTask::Writing(FinalOutput {
                    executor: RemoteExecutor {
                        id: ExecutorId::new("e1"),
                        url: self.url.clone(),
                    },
                    attempt,
                })],
                end: None,
            }
        }
    }

    /// A TCP relay to an executor whose connections the test can break.
    struct Relay {
        url: String,
        connections: Arc<Mutex<JoinSet<()>>>,
        _accepting: JoinSet<()>,
    }

    impl Relay {
        async fn start(to: &str) -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let target = to.trim_start_matches("http://").to_string();
            let connections = Arc::new(Mutex::new(JoinSet::new()));
            let relayed = Arc::clone(&connections);
            let mut accepting = JoinSet::new();
            accepting.spawn(async move {
                loop {
                    let (mut inbound, _) = listener.accept().await.unwrap();
                    let target = target.clone();
                    relayed.lock().unwrap().spawn(async move {
                        let mut outbound = tokio::net::TcpStream::connect(target).await.unwrap();
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    });
                }
            });
            Self {
                url,
                connections,
                _accepting: accepting,
            }
        }

        /// Breaks every connection through the relay; new ones can still be made.
        fn cut(&self) {
            self.connections.lock().unwrap().abort_all();
        }

        /// `progress`, with the final task reached through the relay.
        fn route(&self, mut progress: JobProgress) -> JobProgress {
            for task in &mut progress.final_tasks {
                if let FinalTask::Writing(output) | FinalTask::Written(output) = task {
                    output.executor.url = self.url.clone();
                }
            }
            progress
        }
    }

    fn reader(progress: watch::Receiver<JobProgress>) -> SendableRecordBatchStream {
        final_partition_stream(JobId::new(JOB), STAGE, 0, schema(), progress, secret())
    }

    #[tokio::test]
    async fn rows_arrive_while_the_task_writes_them_and_the_stream_ends_with_it() {
        let mut executor = Executor::start().await;
        let (_progress, watched) = watch::channel(executor.writing(1));
        let mut rows = reader(watched);
        let feed = executor.run_attempt(1);
        feed.send(Ok(batch(0..10))).unwrap();
        assert_eq!(rows.try_next().await.unwrap(), Some(batch(0..10)));
        feed.send(Ok(batch(10..20))).unwrap();
        assert_eq!(rows.try_next().await.unwrap(), Some(batch(10..20)));
        drop(feed);
        assert_eq!(rows.try_next().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_follow_cut_while_its_attempt_still_writes_goes_on_where_it_stopped() {
        let mut executor = Executor::start().await;
        let relay = Relay::start(&executor.url).await;
        let (_progress, watched) = watch::channel(relay.route(executor.writing(1)));
        let mut rows = reader(watched);
        let feed = executor.run_attempt(1);
        feed.send(Ok(batch(0..10))).unwrap();
        assert_eq!(rows.try_next().await.unwrap(), Some(batch(0..10)));
        relay.cut();
        feed.send(Ok(batch(10..20))).unwrap();
        // The writer may be waiting for its reader: the reader cannot wait for it to end.
        let next = tokio::time::timeout(Duration::from_secs(10), rows.try_next())
            .await
            .expect("the follow was resumed");
        assert_eq!(next.unwrap(), Some(batch(10..20)), "every row once");
        drop(feed);
        assert_eq!(rows.try_next().await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_attempt_that_fails_before_sending_anything_is_replaced_by_the_next() {
        let mut executor = Executor::start().await;
        let (progress, watched) = watch::channel(executor.writing(1));
        let rows = reader(watched);
        let first = executor.run_attempt(1);
        first
            .send(Err(DataFusionError::Execution("executor lost".into())))
            .unwrap();
        let second = executor.run_attempt(2);
        progress.send_replace(executor.writing(2));
        second.send(Ok(batch(0..5))).unwrap();
        drop(second);
        let read: Vec<RecordBatch> = rows.try_collect().await.unwrap();
        assert_eq!(
            read,
            vec![batch(0..5)],
            "every row once, from the second attempt"
        );
    }

    #[tokio::test]
    async fn rows_already_sent_are_never_sent_again_by_another_attempt() {
        let mut executor = Executor::start().await;
        let (progress, watched) = watch::channel(executor.writing(1));
        let mut rows = reader(watched);
        let first = executor.run_attempt(1);
        first.send(Ok(batch(0..10))).unwrap();
        assert_eq!(rows.try_next().await.unwrap(), Some(batch(0..10)));
        first
            .send(Err(DataFusionError::Execution("executor lost".into())))
            .unwrap();
        let _second = executor.run_attempt(2);
        progress.send_replace(executor.writing(2));
        let err = rows.try_next().await.unwrap_err().to_string();
        assert!(err.contains("cannot be taken back"), "{err}");
    }

    #[tokio::test]
    async fn a_failed_job_ends_the_stream_with_its_error() {
        let mut executor = Executor::start().await;
        let (progress, watched) = watch::channel(executor.writing(1));
        let mut rows = reader(watched);
        let _feed = executor.run_attempt(1);
        progress.send_modify(|progress| {
            progress.end = Some(Err(JobFailure::Failed(TaskFailure::new(
                FailureKind::Query,
                "boom",
                "task 0 of stage 1 on e1",
            ))));
        });
        let err = rows.try_next().await.unwrap_err().to_string();
        assert!(err.contains("boom"), "{err}");
    }
}
