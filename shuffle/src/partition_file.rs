//! One shuffle partition on disk: an Arrow IPC stream file, created on first write.
//!
//! The stream format (not the file format) lets a reader start before the end is known,
//! which is what a fetch over Arrow Flight needs.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek};
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;

use crate::compact_views::compact_views;
use crate::error::{Result, ShuffleError};
use crate::indexed_file::{PartitionBatches, read_indexed_segment};
use crate::live_partition::LiveWrite;
use crate::resident_outputs;

/// What was written to one partition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSummary {
    /// Where the file is.
    pub path: PathBuf,
    /// Rows written.
    pub num_rows: u64,
    /// Bytes of the partition: the whole file, or its range of an indexed file.
    pub num_bytes: u64,
    /// The entry of the file's index that locates the partition; `None` when the file
    /// holds this partition alone.
    pub index_entry: Option<u32>,
}

/// Writes the batches of one output partition.
pub(crate) struct PartitionFileWriter {
    path: PathBuf,
    schema: SchemaRef,
    writer: Option<StreamWriter<BufWriter<File>>>,
    num_rows: u64,
    /// Set when readers may follow the file as it grows: each batch is then flushed and
    /// announced as soon as it is written.
    live: Option<LiveWrite>,
}

impl std::fmt::Debug for PartitionFileWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionFileWriter")
            .field("path", &self.path)
            .field("num_rows", &self.num_rows)
            .finish_non_exhaustive()
    }
}

impl PartitionFileWriter {
    pub(crate) fn new(path: PathBuf, schema: SchemaRef) -> Self {
        Self {
            path,
            schema,
            writer: None,
            num_rows: 0,
            live: None,
        }
    }

    /// The same writer, announcing its progress so that readers can follow the file
    /// while it is written (the final stage's output, streamed to the client).
    pub(crate) fn followed(self) -> Self {
        let live = Some(LiveWrite::start(&self.path));
        Self { live, ..self }
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let batch = &compact_views(batch.clone());
        let writer = match &mut self.writer {
            Some(writer) => writer,
            None => self.writer.insert(self.open()?),
        };
        writer
            .write(batch)
            .map_err(|source| ShuffleError::EncodePartition {
                path: self.path.clone(),
                source,
            })?;
        self.num_rows += batch.num_rows() as u64;
        if let Some(live) = &mut self.live {
            let encode_error = |source| ShuffleError::EncodePartition {
                path: self.path.clone(),
                source,
            };
            writer.flush().map_err(encode_error)?;
            let committed = writer
                .get_mut()
                .get_mut()
                .stream_position()
                .map_err(|source| ShuffleError::WriteShuffleFile {
                    path: self.path.clone(),
                    source,
                })?;
            live.committed(committed);
        }
        Ok(())
    }

    /// Waits, holding no thread, while the file's followers are more than
    /// [`crate::MAX_UNREAD_RESULT_BYTES`] behind its writer; a file nobody may follow never
    /// waits.
    pub(crate) async fn wait_for_readers(&self) {
        if let Some(live) = &self.live {
            live.wait_for_readers().await;
        }
    }

    /// Closes the file; a partition that received no rows still gets an (empty) file,
    /// so readers never have to tell "empty" from "lost".
    pub(crate) fn finish(mut self) -> Result<PartitionSummary> {
        let mut writer = match self.writer.take() {
            Some(writer) => writer,
            None => self.open()?,
        };
        writer
            .finish()
            .map_err(|source| ShuffleError::EncodePartition {
                path: self.path.clone(),
                source,
            })?;
        drop(writer);
        let num_bytes = std::fs::metadata(&self.path)
            .map_err(|source| ShuffleError::WriteShuffleFile {
                path: self.path.clone(),
                source,
            })?
            .len();
        if let Some(live) = self.live.take() {
            live.finished();
        }
        Ok(PartitionSummary {
            path: self.path,
            num_rows: self.num_rows,
            num_bytes,
            index_entry: None,
        })
    }

    fn open(&self) -> Result<StreamWriter<BufWriter<File>>> {
        let write_error = |source| ShuffleError::WriteShuffleFile {
            path: self.path.clone(),
            source,
        };
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(write_error)?;
        }
        let file = File::create(&self.path).map_err(write_error)?;
        StreamWriter::try_new(BufWriter::new(file), &self.schema).map_err(|source| {
            ShuffleError::EncodePartition {
                path: self.path.clone(),
                source,
            }
        })
    }
}

/// Reads one shuffle partition back, batch by batch: the whole file at `path`, or entry
/// `index_entry` of the indexed data file at `path` (from memory, if it was kept there).
pub fn read_partition(path: &Path, index_entry: Option<u32>) -> Result<PartitionBatches> {
    match index_entry {
        None => Ok(Box::new(read_partition_file(path)?)),
        Some(entry) => match resident_outputs::read(path, entry) {
            Some(batches) => Ok(batches),
            None => read_indexed_segment(path, entry),
        },
    }
}

/// Reads a partition file back, batch by batch.
fn read_partition_file(
    path: &Path,
) -> Result<impl Iterator<Item = Result<RecordBatch>> + Send + 'static> {
    let file = File::open(path).map_err(|source| ShuffleError::ReadShuffleFile {
        path: path.to_path_buf(),
        source,
    })?;
    let owned = path.to_path_buf();
    let reader = StreamReader::try_new(BufReader::new(file), None).map_err(|source| {
        ShuffleError::DecodePartition {
            path: owned.clone(),
            source,
        }
    })?;
    Ok(reader.map(move |batch| {
        batch.map_err(|source| ShuffleError::DecodePartition {
            path: owned.clone(),
            source,
        })
    }))
}
