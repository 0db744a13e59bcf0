//! [`final_partition_stream`]: one final partition of a job, streamed to the client while
//! its task still writes it.
//!
//! The scheduler follows the partition's file on the executor whose task writes it
//! ([`follow_partition`]), learning where that is from the job's [`JobProgress`]. A read
//! cut short is resumed where it can be without losing or repeating a row:
//!
//! ```text
//!   the same attempt finished the file  ──▶ read it again, skipping the batches sent
//!   another attempt, nothing sent yet   ──▶ follow that attempt instead
//!   another attempt, batches sent       ──▶ fail: the rows sent cannot be taken back
//!   the job failed                      ──▶ fail with the job's error
//! ```

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::watch;
use trebuchet_shuffle::follow_partition;
use trebuchet_shuffle::ids::{JobId, PartitionId, StageId};

use crate::error::ClusterError;
use crate::scheduler::{FinalOutput, FinalTask, JobFailure, JobProgress};

/// Partition `partition` of `stage`, the final stage of `job`, batch by batch as it is
/// written. The stream ends when the partition is complete.
pub(crate) fn final_partition_stream(
    job: JobId,
    stage: StageId,
    partition: u32,
    schema: SchemaRef,
    progress: watch::Receiver<JobProgress>,
) -> SendableRecordBatchStream {
    let reader = FinalPartitionReader {
        job,
        stage,
        partition,
        progress,
        progress_closed: false,
        reading: None,
        interrupted: None,
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
        JobFailure::OutOfMemory(message) => DataFusionError::ResourcesExhausted(message.clone()),
        JobFailure::Failed(_) | JobFailure::Cancelled => {
            DataFusionError::Execution(failure.to_string())
        }
    }
}

struct FinalPartitionReader {
    job: JobId,
    stage: StageId,
    partition: u32,
    progress: watch::Receiver<JobProgress>,
    /// The job's files were released: no more progress will come.
    progress_closed: bool,
    reading: Option<Reading>,
    /// Why the last read stopped before the end, if it did.
    interrupted: Option<Interrupted>,
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
                }
                Some(Some(Ok(batch))) => {
                    self.sent += 1;
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
                    match follow_partition(
                        &executor.id,
                        &executor.url,
                        &self.job,
                        self.stage,
                        PartitionId(self.partition),
                        output.attempt,
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
                Next::Wait if self.progress_closed => {
                    return Err(self
                        .interrupted
                        .take()
                        .map_or_else(released, |cut| cut.error));
                }
                Next::Wait => {
                    self.progress_closed = self.progress.changed().await.is_err();
                }
                Next::Fail(err) => return Err(err),
            }
        }
    }

    /// Where to read from now, given the job's progress and how the last read ended.
    fn decide(&mut self) -> Next {
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
            Some(FinalTask::Lost) => {
                return Next::Fail(DataFusionError::Execution(format!(
                    "result partition {} was on an executor that has since been lost; run the query again",
                    self.partition
                )));
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
                Next::Fail(
                    self.interrupted
                        .take()
                        .map_or_else(released, |cut| cut.error),
                )
            } else if complete {
                // The file is whole now: read it again from the start, dropping what the
                // client already has.
                Next::Read {
                    output,
                    complete,
                    skip: self.sent,
                }
            } else {
                // The same attempt still runs: wait until it ends or is replaced.
                Next::Wait
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
