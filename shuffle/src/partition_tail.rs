//! Reading a partition file while its writer still appends to it: each batch is sent as
//! soon as the writer has flushed it, and the stream ends when the writer finishes.
//!
//! The writer publishes how many bytes of the file hold whole IPC messages
//! ([`crate::live_partition`]); the follower reads up to there, feeds the bytes to a
//! push-based IPC decoder, and waits for the next update. It reads only as its stream is
//! polled, a chunk at a time, and publishes how far it has read: a result's writer waits
//! for that.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use arrow::array::RecordBatch;
use arrow::buffer::Buffer;
use arrow::ipc::reader::StreamDecoder;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::{Result, ShuffleError};
use crate::live_partition::{LiveProgress, Subscription, WriteProgress, subscribe};
use crate::partition_file::read_partition;

/// Largest read handed to the decoder at once.
const READ_CHUNK_BYTES: u64 = 4 << 20;

/// The batches of the partition file at `path`, as they are written: a complete file is
/// read at once, a file being written is followed to its end, and a file not yet started
/// is waited for.
pub(crate) fn follow_partition(path: PathBuf) -> BoxStream<'static, Result<RecordBatch>> {
    match subscribe(&path) {
        Subscription::Settled => match read_partition(&path, None) {
            Ok(batches) => futures::stream::iter(batches).boxed(),
            Err(err) => futures::stream::once(async { Err(err) }).boxed(),
        },
        Subscription::Live(progress) => {
            let tail = Tail {
                path,
                progress,
                file: None,
                offset: 0,
                decoder: StreamDecoder::new(),
                ready: VecDeque::new(),
                done: false,
            };
            futures::stream::unfold(tail, |mut tail| async move {
                let item = tail.next().await?;
                Some((item, tail))
            })
            .boxed()
        }
    }
}

/// A follower's position in a growing file.
struct Tail {
    path: PathBuf,
    progress: LiveProgress,
    file: Option<File>,
    /// Bytes of the file read so far.
    offset: u64,
    decoder: StreamDecoder,
    /// Batches decoded but not yet returned.
    ready: VecDeque<RecordBatch>,
    done: bool,
}

impl Tail {
    async fn next(&mut self) -> Option<Result<RecordBatch>> {
        let mut writer_gone = false;
        loop {
            if let Some(batch) = self.ready.pop_front() {
                return Some(Ok(batch));
            }
            if self.done {
                return None;
            }
            let step = match self.progress.current() {
                WriteProgress::NotStarted | WriteProgress::Writing { .. } if writer_gone => {
                    Err(self.stopped())
                }
                WriteProgress::NotStarted => Ok(false),
                WriteProgress::Writing { committed } => self.read_to(committed).map(|()| false),
                WriteProgress::Finished => self.read_rest(),
                WriteProgress::Failed => Err(self.stopped()),
            };
            match step {
                Ok(true) => self.done = true,
                Ok(false) if self.ready.is_empty() => writer_gone = !self.progress.changed().await,
                Ok(false) => {}
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            }
        }
    }

    fn stopped(&self) -> ShuffleError {
        ShuffleError::PartitionWriteStopped {
            path: self.path.clone(),
        }
    }

    /// Reads and decodes the file up to byte `limit`, stopping early once a batch is
    /// decoded.
    fn read_to(&mut self, limit: u64) -> Result<()> {
        while self.offset < limit && self.ready.is_empty() {
            let chunk = (limit - self.offset).min(READ_CHUNK_BYTES);
            let mut bytes = Vec::with_capacity(usize::try_from(chunk).unwrap_or(usize::MAX));
            let read = self.file()?.take(chunk).read_to_end(&mut bytes);
            let read = read.map_err(|source| self.read_error(source))?;
            if read == 0 {
                return Err(self.read_error(std::io::ErrorKind::UnexpectedEof.into()));
            }
            self.offset += read as u64;
            self.progress.read(self.offset);
            let mut buffer = Buffer::from(bytes);
            while !buffer.is_empty() {
                let decoded = self.decoder.decode(&mut buffer).map_err(|source| {
                    ShuffleError::DecodePartition {
                        path: self.path.clone(),
                        source,
                    }
                })?;
                self.ready.extend(decoded);
            }
        }
        Ok(())
    }

    /// Reads what the writer added before finishing; `true` once at the end-of-stream
    /// marker, `false` when a batch is ready before it.
    fn read_rest(&mut self) -> Result<bool> {
        let metadata = self.file()?.metadata();
        let length = metadata.map_err(|source| self.read_error(source))?.len();
        self.read_to(length)?;
        if self.offset < length {
            return Ok(false);
        }
        self.decoder
            .finish()
            .map_err(|source| ShuffleError::DecodePartition {
                path: self.path.clone(),
                source,
            })?;
        Ok(true)
    }

    fn file(&mut self) -> Result<&mut File> {
        let file = match self.file.take() {
            Some(file) => file,
            None => File::open(&self.path).map_err(|source| self.read_error(source))?,
        };
        Ok(self.file.insert(file))
    }

    fn read_error(&self, source: std::io::Error) -> ShuffleError {
        ShuffleError::ReadShuffleFile {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use futures::TryStreamExt;

    use super::*;
    use crate::fetch::{follow_partition as follow_over_flight, serve_flight, test_secret};
    use crate::ids::{ExecutorId, JobId, PartitionId, StageId};
    use crate::layout::ShuffleLayout;
    use crate::partition_file::PartitionFileWriter;

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

    #[tokio::test]
    async fn each_batch_reaches_the_follower_while_the_file_is_still_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.arrow");
        let mut writer = PartitionFileWriter::new(path.clone(), schema()).followed();
        let mut batches = follow_partition(path.clone());
        writer.write(&batch(0..10)).unwrap();
        assert_eq!(batches.try_next().await.unwrap(), Some(batch(0..10)));
        writer.write(&batch(10..15)).unwrap();
        assert_eq!(batches.try_next().await.unwrap(), Some(batch(10..15)));
        writer.finish().unwrap();
        assert_eq!(batches.try_next().await.unwrap(), None);
        // Once finished, the file is read whole, without the registry.
        let again: Vec<_> = follow_partition(path).try_collect().await.unwrap();
        assert_eq!(again, vec![batch(0..10), batch(10..15)]);
    }

    #[tokio::test]
    async fn a_follower_asking_before_the_writer_starts_waits_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("1.arrow");
        let mut batches = follow_partition(path.clone());
        let mut writer = PartitionFileWriter::new(path, schema()).followed();
        writer.write(&batch(0..3)).unwrap();
        assert_eq!(batches.try_next().await.unwrap(), Some(batch(0..3)));
        writer.finish().unwrap();
        assert_eq!(batches.try_next().await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_empty_partition_ends_the_follow_with_no_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2.arrow");
        let batches = follow_partition(path.clone());
        PartitionFileWriter::new(path, schema())
            .followed()
            .finish()
            .unwrap();
        let read: Vec<_> = batches.try_collect().await.unwrap();
        assert!(read.is_empty());
    }

    #[tokio::test]
    async fn a_writer_that_stops_midway_fails_the_follower() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("3.arrow");
        let mut writer = PartitionFileWriter::new(path.clone(), schema()).followed();
        let mut batches = follow_partition(path);
        writer.write(&batch(0..4)).unwrap();
        assert_eq!(batches.try_next().await.unwrap(), Some(batch(0..4)));
        drop(writer);
        let err = batches.try_next().await.unwrap_err().to_string();
        assert!(err.contains("stopped before finishing"), "{err}");
    }

    #[tokio::test]
    async fn a_writer_far_ahead_waits_until_its_follower_reads_as_it_is_polled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("4.arrow");
        let mut writer = PartitionFileWriter::new(path.clone(), schema()).followed();
        // Two batches of half the cap each, and one more: the writer is past the cap.
        let half = i64::try_from(crate::MAX_UNREAD_RESULT_BYTES / 2 / 8).unwrap();
        writer.write(&batch(0..half)).unwrap();
        writer.write(&batch(half..2 * half)).unwrap();
        writer.write(&batch(0..1)).unwrap();
        let mut batches = follow_partition(path);
        let mut waiting = std::pin::pin!(writer.wait_for_readers());
        assert!(
            futures::poll!(waiting.as_mut()).is_pending(),
            "a follower reads nothing until it is polled"
        );
        assert_eq!(batches.try_next().await.unwrap(), Some(batch(0..half)));
        assert!(futures::poll!(waiting.as_mut()).is_ready());
    }

    #[tokio::test]
    async fn a_partition_is_followed_over_flight_by_its_task() {
        let dir = tempfile::tempdir().unwrap();
        let (url, _server) = serve_flight(dir.path()).await;
        let (job, stage, partition, attempt) = (JobId::new("job-f"), StageId(3), PartitionId(2), 1);
        let path = ShuffleLayout::new(dir.path())
            .partition_file(&job, stage, partition, attempt, partition);
        let executor = ExecutorId::new("e");
        let grant = test_secret().grant(&job);
        let mut batches =
            follow_over_flight(&executor, &url, &job, stage, partition, attempt, &grant)
                .await
                .unwrap();
        let mut writer = PartitionFileWriter::new(path, schema()).followed();
        writer.write(&batch(0..100)).unwrap();
        assert_eq!(batches.try_next().await.unwrap(), Some(batch(0..100)));
        writer.write(&batch(100..150)).unwrap();
        writer.finish().unwrap();
        assert_eq!(batches.try_next().await.unwrap(), Some(batch(100..150)));
        assert_eq!(batches.try_next().await.unwrap(), None);
    }
}
