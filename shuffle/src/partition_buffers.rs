//! [`PartitionBuffers`]: the sort-based writer's memory. Slices of each output partition
//! are coalesced into `batch_size`-row batches in a per-partition buffer; when all buffers
//! together pass `memory_limit × spill_threshold` (or the task's memory pool says no), the
//! largest are spilled to disk; at the end every partition's spilled and buffered batches
//! are written, in partition order, into one data file with an index.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::BatchCoalescer;
use arrow::datatypes::SchemaRef;
use datafusion::execution::memory_pool::MemoryReservation;

use crate::error::{Result, ShuffleError};
use crate::indexed_file::{SegmentFileWriter, read_segment, write_index};
use crate::partition_file::PartitionSummary;
use crate::shuffle_format::SortShuffleConfig;

/// Buffered output partitions of one map task, with their spills.
pub(crate) struct PartitionBuffers {
    schema: SchemaRef,
    config: SortShuffleConfig,
    buffers: Vec<PartitionBuffer>,
    buffered_bytes: usize,
    /// Counts against the task's memory pool, so a bounded executor spills rather than
    /// running out of memory.
    reservation: MemoryReservation,
    spill_dir: PathBuf,
    spills: Vec<SpillFile>,
    spilled_bytes: u64,
}

struct PartitionBuffer {
    coalescer: BatchCoalescer,
    /// What `coalescer` held when last measured.
    bytes: usize,
}

/// One spill: the segments of the partitions that were largest at the time.
struct SpillFile {
    path: PathBuf,
    segments: Vec<(usize, Range<u64>)>,
}

impl PartitionBuffers {
    pub(crate) fn new(
        schema: SchemaRef,
        partitions: usize,
        config: SortShuffleConfig,
        reservation: MemoryReservation,
        spill_dir: PathBuf,
    ) -> Self {
        let batch_size = config.batch_size.max(1);
        let buffers = (0..partitions)
            .map(|_| PartitionBuffer {
                coalescer: BatchCoalescer::new(Arc::clone(&schema), batch_size),
                bytes: 0,
            })
            .collect();
        Self {
            schema,
            config,
            buffers,
            buffered_bytes: 0,
            reservation,
            spill_dir,
            spills: Vec::new(),
            spilled_bytes: 0,
        }
    }

    /// Bytes spilled so far.
    pub(crate) fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes
    }

    /// Spill files written so far.
    pub(crate) fn spill_count(&self) -> usize {
        self.spills.len()
    }

    /// Buffers `batch`, a slice of output partition `partition`; spills if memory is short.
    pub(crate) fn push(&mut self, partition: usize, batch: RecordBatch) -> Result<()> {
        let schema_error = |source| ShuffleError::EncodePartition {
            path: self.spill_dir.clone(),
            source,
        };
        let buffer = &mut self.buffers[partition];
        buffer.coalescer.push_batch(batch).map_err(schema_error)?;
        if buffer.coalescer.size() >= self.config.buffer_size as usize {
            buffer
                .coalescer
                .finish_buffered_batch()
                .map_err(schema_error)?;
        }
        let bytes = buffer.coalescer.size();
        self.buffered_bytes = self.buffered_bytes + bytes - buffer.bytes;
        buffer.bytes = bytes;

        if self.buffered_bytes > self.config.spill_bytes() {
            // Down to half the threshold: spilling a little at a time would make a file
            // per slice.
            self.spill_largest(self.config.spill_bytes() / 2)?;
        } else if self.reservation.try_resize(self.buffered_bytes).is_err() {
            // The task's memory pool is short before our own limit is reached: give back
            // half of what we hold.
            self.spill_largest(self.buffered_bytes / 2)?;
        }
        Ok(())
    }

    /// Spills the largest buffers until at most `target` bytes stay in memory.
    fn spill_largest(&mut self, target: usize) -> Result<()> {
        let mut order: Vec<usize> = (0..self.buffers.len())
            .filter(|&partition| self.buffers[partition].bytes > 0)
            .collect();
        if order.is_empty() {
            return Ok(());
        }
        order.sort_by_key(|&partition| std::cmp::Reverse(self.buffers[partition].bytes));
        let path = self
            .spill_dir
            .join(format!("spill-{}.spill", self.spills.len()));
        let mut file = SegmentFileWriter::create(path)?;
        let mut segments = Vec::new();
        for partition in order {
            if self.buffered_bytes <= target && !segments.is_empty() {
                break;
            }
            let batches = self.drain(partition)?;
            let (range, _rows) = file.write_segment(&self.schema, batches.into_iter().map(Ok))?;
            segments.push((partition, range));
        }
        let path = file.path().to_path_buf();
        self.spilled_bytes += file.finish()?;
        self.spills.push(SpillFile { path, segments });
        // The reservation follows what stays buffered; shrinking never fails, and growing
        // past what the pool grants is what the next push retries.
        let _ = self.reservation.try_resize(self.buffered_bytes);
        Ok(())
    }

    /// Everything buffered for `partition`, as coalesced batches; the buffer is left empty.
    fn drain(&mut self, partition: usize) -> Result<Vec<RecordBatch>> {
        let buffer = &mut self.buffers[partition];
        buffer.coalescer.finish_buffered_batch().map_err(|source| {
            ShuffleError::EncodePartition {
                path: self.spill_dir.clone(),
                source,
            }
        })?;
        let batches = std::iter::from_fn(|| buffer.coalescer.next_completed_batch()).collect();
        self.buffered_bytes -= buffer.bytes;
        buffer.bytes = 0;
        Ok(batches)
    }

    /// Writes every partition, spilled parts first, into `data_file` and its index, and
    /// deletes the spills. Returns one summary per output partition.
    pub(crate) fn finish(mut self, data_file: PathBuf) -> Result<Vec<PartitionSummary>> {
        let mut data = SegmentFileWriter::create(data_file.clone())?;
        let mut ranges = Vec::with_capacity(self.buffers.len());
        let mut rows = Vec::with_capacity(self.buffers.len());
        for partition in 0..self.buffers.len() {
            let mut spilled = Vec::new();
            for spill in &self.spills {
                for (_, range) in spill.segments.iter().filter(|(p, _)| *p == partition) {
                    spilled.push(read_segment(&spill.path, range.clone())?);
                }
            }
            let buffered = self.drain(partition)?;
            let batches = spilled
                .into_iter()
                .flatten()
                .chain(buffered.into_iter().map(Ok));
            let (range, written) = data.write_segment(&self.schema, batches)?;
            ranges.push(range);
            rows.push(written);
        }
        data.finish()?;
        write_index(&data_file, &ranges)?;
        remove_spills(&self.spills);
        self.spills.clear();
        self.reservation.free();
        Ok(ranges
            .into_iter()
            .zip(rows)
            .enumerate()
            .map(|(partition, (range, num_rows))| PartitionSummary {
                path: data_file.clone(),
                num_rows,
                num_bytes: range.end - range.start,
                index_entry: Some(u32::try_from(partition).unwrap_or(u32::MAX)),
            })
            .collect())
    }
}

impl Drop for PartitionBuffers {
    /// A task that fails or is cancelled midway leaves no spill behind.
    fn drop(&mut self) {
        remove_spills(&self.spills);
    }
}

fn remove_spills(spills: &[SpillFile]) {
    for spill in spills {
        let _ = std::fs::remove_file(&spill.path);
    }
}

/// Where a map task writing `data_file` keeps its spills: beside it.
pub(crate) fn spill_dir_of(data_file: &Path) -> PathBuf {
    data_file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
