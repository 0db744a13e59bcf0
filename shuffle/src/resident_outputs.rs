//! Map outputs kept in memory instead of written to disk, within a [`ShuffleMemory`] budget.
//!
//! On one machine a file-based shuffle is overhead: every row is encoded to Arrow IPC,
//! copied into the page cache, copied back out and decoded, where single-process DataFusion
//! hands the same batches from one operator to the next. A sort-based map task whose layout
//! has a budget, and whose output fits what is left of it, keeps its coalesced batches here
//! under the path its data file would have had. Every reader of that path (a task of this
//! process, or a peer fetching over Flight, both through `read_partition`) gets them without
//! a copy. A task that spilled, or finds the budget taken, writes its file as before.
//! Entries go with their job's directory (`ShuffleLayout::remove_job`), so the bytes are
//! held exactly as long as the files would have been.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use arrow::array::RecordBatch;

use crate::indexed_file::PartitionBatches;

/// How many bytes of map output the executors sharing it may keep in memory
/// (`--shuffle-memory-size`). Cloning shares the budget.
#[derive(Debug, Clone)]
pub struct ShuffleMemory {
    budget: Arc<Budget>,
}

#[derive(Debug)]
struct Budget {
    limit: u64,
    used: AtomicU64,
}

impl ShuffleMemory {
    /// A budget of `limit` bytes, none of it used.
    pub fn new(limit: u64) -> Self {
        Self {
            budget: Arc::new(Budget {
                limit,
                used: AtomicU64::new(0),
            }),
        }
    }

    /// A budget of `limit` bytes; none at all for 0, which keeps every output on disk.
    pub fn sized(limit: u64) -> Option<Self> {
        (limit > 0).then(|| Self::new(limit))
    }

    /// Bytes of map output kept under this budget now.
    pub fn used(&self) -> u64 {
        self.budget.used.load(Ordering::Relaxed)
    }

    /// `bytes` of the budget, if that many are left; they go back when the room drops.
    pub(crate) fn try_take(&self, bytes: u64) -> Option<Room> {
        self.budget
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes)
                    .filter(|total| *total <= self.budget.limit)
            })
            .ok()?;
        Some(Room {
            budget: self.clone(),
            bytes,
        })
    }
}

/// Bytes taken from a [`ShuffleMemory`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Room {
    budget: ShuffleMemory,
    bytes: u64,
}

impl Drop for Room {
    fn drop(&mut self) {
        self.budget
            .budget
            .used
            .fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// What one map task kept: its batches per output partition, and the room they take.
struct Kept {
    partitions: Arc<[Vec<RecordBatch>]>,
    _room: Room,
}

/// Kept outputs of this process, by job directory, then by data file path.
fn resident() -> MutexGuard<'static, HashMap<PathBuf, HashMap<PathBuf, Kept>>> {
    static RESIDENT: OnceLock<Mutex<HashMap<PathBuf, HashMap<PathBuf, Kept>>>> = OnceLock::new();
    RESIDENT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Keeps `partitions` (by output partition) as the data file at `path` in `job_dir`, in
/// `room` taken for them.
pub(crate) fn keep(room: Room, job_dir: &Path, path: &Path, partitions: Vec<Vec<RecordBatch>>) {
    let kept = Kept {
        partitions: partitions.into(),
        _room: room,
    };
    // A path names one attempt of one map task, written once; were it written again, the
    // newer output would replace the older, whose room goes back as it drops.
    resident()
        .entry(job_dir.to_path_buf())
        .or_default()
        .insert(path.to_path_buf(), kept);
}

/// Output partition `entry` of the data file at `path`, if that is kept in memory.
pub(crate) fn read(path: &Path, entry: u32) -> Option<PartitionBatches> {
    let resident = resident();
    let kept = resident.get(path.parent()?)?.get(path)?;
    let batches = kept.partitions.get(usize::try_from(entry).ok()?)?.clone();
    Some(Box::new(batches.into_iter().map(Ok)))
}

/// Whether the data file at `path` is kept in memory.
pub(crate) fn holds(path: &Path) -> bool {
    path.parent()
        .and_then(|job_dir| {
            resident()
                .get(job_dir)
                .map(|files| files.contains_key(path))
        })
        .unwrap_or(false)
}

/// Drops every output kept under `job_dir`: its job has ended.
pub(crate) fn forget_job(job_dir: &Path) {
    // Dropped once the registry is unlocked.
    let removed = resident().remove(job_dir);
    drop(removed);
}

/// Drops every output kept under `root`, a work dir whose jobs are all gone.
pub(crate) fn forget_all_under(root: &Path) {
    let mut resident = resident();
    resident.retain(|job_dir, _| !job_dir.starts_with(root));
}
