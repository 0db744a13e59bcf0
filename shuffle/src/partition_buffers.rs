//! [`PartitionBuffers`]: the sort-based writer's memory. Slices of each output partition
//! wait in a per-partition buffer and are coalesced into `batch_size`-row batches (or
//! sooner, once the buffer holds `buffer_size` bytes); when all buffers together pass
//! `memory_limit × spill_threshold` (or the task's memory pool says no), the largest are
//! spilled to disk; at the end every partition's spilled and buffered batches are written,
//! in partition order, into one data file with an index, or, when nothing spilled and the
//! executor's shuffle memory has room, kept there instead (`resident_outputs.rs`).
//!
//! Nothing is allocated ahead of the rows that arrive, so a wide shuffle (many output
//! partitions) or a large `batch_size` costs only the data actually buffered. A slice the
//! partitioner cut from a larger batch counts for its own rows only (`own_bytes`): the
//! whole is accounted across its slices, all of which wait in some partition's buffer.

use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use datafusion::execution::memory_pool::MemoryReservation;

use crate::batch_bytes::{own_bytes, unshared};
use crate::compact_views::compact_views;
use crate::error::{Result, ShuffleError};
use crate::indexed_file::{PartitionBatches, SegmentFileWriter, read_segment};
use crate::partition_file::PartitionSummary;
use crate::resident_outputs::{self, ShuffleMemory};
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
    /// The file everything is written to in the end; spills lie beside it.
    data_file: PathBuf,
    spills: Vec<SpillFile>,
    spilled_bytes: u64,
}

/// One output partition's rows in memory.
#[derive(Default)]
struct PartitionBuffer {
    /// Slices not yet coalesced, in arrival order: fewer than `batch_size` rows.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    pending_bytes: usize,
    /// Coalesced batches, in order, ready to be written or spilled.
    ready: Vec<RecordBatch>,
    ready_bytes: usize,
    /// Memory held by `pending` and `ready`.
    bytes: usize,
}

impl PartitionBuffer {
    /// Coalesces pending slices into batches of exactly `batch_size` rows; with
    /// `everything`, the remainder too, as one shorter batch.
    fn coalesce(
        &mut self,
        schema: &SchemaRef,
        batch_size: usize,
        everything: bool,
    ) -> arrow::error::Result<()> {
        let mut group: Vec<RecordBatch> = Vec::new();
        let mut group_rows = 0;
        for mut slice in std::mem::take(&mut self.pending) {
            while group_rows + slice.num_rows() >= batch_size {
                let taken = batch_size - group_rows;
                group.push(slice.slice(0, taken));
                self.add_ready(concat_batches(schema, &group)?);
                group.clear();
                group_rows = 0;
                slice = slice.slice(taken, slice.num_rows() - taken);
            }
            if slice.num_rows() > 0 {
                group_rows += slice.num_rows();
                group.push(slice);
            }
        }
        if everything && !group.is_empty() {
            self.add_ready(concat_batches(schema, &group)?);
            group.clear();
            group_rows = 0;
        }
        self.pending = group;
        self.pending_rows = group_rows;
        // Pending slices may share a larger input's buffers: counting those whole errs on
        // the side of spilling early, and that memory is indeed held.
        self.pending_bytes = self.pending.iter().map(own_bytes).sum();
        self.bytes = self.pending_bytes + self.ready_bytes;
        Ok(())
    }

    fn add_ready(&mut self, batch: RecordBatch) {
        self.ready_bytes += own_bytes(&batch);
        self.ready.push(batch);
    }
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
        data_file: PathBuf,
    ) -> Self {
        Self {
            schema,
            config,
            buffers: (0..partitions)
                .map(|_| PartitionBuffer::default())
                .collect(),
            buffered_bytes: 0,
            reservation,
            data_file,
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
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let batch = compact_views(batch);
        let batch_size = self.config.batch_size.max(1);
        let buffer = &mut self.buffers[partition];
        let before = buffer.bytes;
        let size = own_bytes(&batch);
        buffer.pending_rows += batch.num_rows();
        buffer.pending_bytes += size;
        buffer.bytes += size;
        buffer.pending.push(batch);
        if buffer.pending_rows >= batch_size {
            buffer.coalesce(&self.schema, batch_size, false)
        } else if buffer.pending_bytes as u64 >= self.config.buffer_size {
            // Wide rows: close the buffer into a batch short of `batch_size` rows.
            buffer.coalesce(&self.schema, batch_size, true)
        } else {
            Ok(())
        }
        .map_err(|source| ShuffleError::EncodePartition {
            path: self.data_file.clone(),
            source,
        })?;
        self.buffered_bytes = self.buffered_bytes + buffer.bytes - before;

        if self.buffered_bytes > self.config.spill_bytes() {
            // Down to half the threshold: spilling a little at a time would make a file
            // per slice.
            self.spill_largest(self.config.spill_bytes() / 2)?;
        } else if self.reservation.try_resize(self.buffered_bytes).is_err()
            && self.buffered_bytes as u64 >= self.config.buffer_size
        {
            // The task's memory pool is short before our own limit is reached: give back
            // half of what we hold (below one buffer's worth, spilling would only make
            // tiny files; the pool is overdrawn by at most that much).
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
        let path = spill_file_of(&self.data_file, self.spills.len());
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
        let batch_size = self.config.batch_size.max(1);
        let buffer = &mut self.buffers[partition];
        buffer
            .coalesce(&self.schema, batch_size, true)
            .map_err(|source| ShuffleError::EncodePartition {
                path: self.data_file.clone(),
                source,
            })?;
        let batches = std::mem::take(&mut buffer.ready);
        self.buffered_bytes -= buffer.bytes;
        buffer.bytes = 0;
        buffer.ready_bytes = 0;
        Ok(batches)
    }

    /// Keeps every partition in `memory` if nothing spilled and it fits there; otherwise
    /// writes them, spilled parts first, into the data file, indexed, and deletes the
    /// spills. Returns one summary per output partition.
    pub(crate) fn finish(
        mut self,
        memory: Option<&ShuffleMemory>,
    ) -> Result<Vec<PartitionSummary>> {
        let buffered = (0..self.buffers.len())
            .map(|partition| self.drain(partition))
            .collect::<Result<Vec<_>>>()?;
        let kept_in = memory
            .filter(|_| self.spills.is_empty())
            .zip(self.data_file.parent());
        if let Some((memory, job_dir)) = kept_in {
            let summaries = self.kept_summaries(&buffered);
            let bytes = summaries.iter().map(|summary| summary.num_bytes).sum();
            if let Some(room) = memory.try_take(bytes) {
                let partitions = buffered
                    .into_iter()
                    .map(|batches| batches.into_iter().map(unshared).collect())
                    .collect::<arrow::error::Result<_>>()
                    .map_err(|source| ShuffleError::EncodePartition {
                        path: self.data_file.clone(),
                        source,
                    })?;
                touch(job_dir).map_err(|source| ShuffleError::WriteShuffleFile {
                    path: self.data_file.clone(),
                    source,
                })?;
                resident_outputs::keep(room, job_dir, &self.data_file, partitions);
                self.reservation.free();
                return Ok(summaries);
            }
        }
        let summaries = self.write_data_file(buffered)?;
        self.reservation.free();
        Ok(summaries)
    }

    /// What `partitions` (by output partition) come to when kept in memory under the data
    /// file's path: their rows, and the bytes of their own buffers (what the IPC file would
    /// have held, give or take padding, so measured sizes mean the same either way).
    fn kept_summaries(&self, partitions: &[Vec<RecordBatch>]) -> Vec<PartitionSummary> {
        partitions
            .iter()
            .enumerate()
            .map(|(partition, batches)| PartitionSummary {
                path: self.data_file.clone(),
                num_rows: batches.iter().map(|batch| batch.num_rows() as u64).sum(),
                num_bytes: batches.iter().map(|batch| own_bytes(batch) as u64).sum(),
                index_entry: Some(u32::try_from(partition).unwrap_or(u32::MAX)),
            })
            .collect()
    }

    /// Writes `buffered` (by output partition) after each partition's spilled segments into
    /// the indexed data file, and deletes the spills.
    fn write_data_file(
        &mut self,
        buffered: Vec<Vec<RecordBatch>>,
    ) -> Result<Vec<PartitionSummary>> {
        let data_file = self.data_file.clone();
        let mut data = SegmentFileWriter::create(data_file.clone())?;
        let mut ranges = Vec::with_capacity(buffered.len());
        let mut rows = Vec::with_capacity(buffered.len());
        for (partition, buffered) in buffered.into_iter().enumerate() {
            // Spilled segments are opened one at a time, as the writer reaches them.
            let spilled = self
                .spills
                .iter()
                .flat_map(|spill| {
                    spill
                        .segments
                        .iter()
                        .filter(move |(owner, _)| *owner == partition)
                        .map(move |(_, range)| (&spill.path, range.clone()))
                })
                .flat_map(|(path, range)| -> PartitionBatches {
                    match read_segment(path, range) {
                        Ok(batches) => batches,
                        Err(err) => Box::new(std::iter::once(Err(err))),
                    }
                });
            let batches = spilled.chain(buffered.into_iter().map(Ok));
            let (range, written) = data.write_segment(&self.schema, batches)?;
            ranges.push(range);
            rows.push(written);
        }
        data.finish_indexed(&ranges)?;
        remove_spills(&self.spills);
        self.spills.clear();
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

/// Makes a job's directory, or marks it as just written to: it stands for the job's kept
/// outputs as it would for their files. A peer's fetch resolves it, and the executor's
/// sweep of unclaimed jobs goes by when it last changed.
fn touch(job_dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(job_dir)?;
    std::fs::File::open(job_dir)?.set_modified(std::time::SystemTime::now())
}

/// Where a map task writing `data_file` keeps its `n`th spill: beside it, named after it,
/// since the tasks of a job share one directory.
fn spill_file_of(data_file: &Path, n: usize) -> PathBuf {
    data_file.with_extension(format!("spill-{n}"))
}
