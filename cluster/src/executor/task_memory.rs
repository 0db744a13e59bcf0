//! The memory and disk a task runs with. Without `--memory-pool-size` every task shares the
//! executor's unbounded pool; with it, the budget is split equally over the task slots and
//! each task gets a `FairSpillPool` of its own share, so one task's appetite never squeezes
//! another and an idle slot lends nothing (the tuning guide's promise). Spillable operators
//! write under `<work_dir>/spill`, which the executor empties when it starts and stops.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

use crate::error::{ClusterError, Result};
use crate::session_defaults::default_session_config;

/// The directory under the work dir that spill files go to.
pub(crate) const SPILL_DIR: &str = "spill";

/// What every task's runtime is made from: the executor's disk manager, object stores and
/// caches, and the size of the pool each task gets (`None`: the shared unbounded one).
#[derive(Debug, Clone)]
pub(crate) struct TaskMemory {
    shared: Arc<RuntimeEnv>,
    task_pool_bytes: Option<usize>,
}

impl TaskMemory {
    /// The runtime of an executor whose pool is `memory_pool_size` bytes (`None`: no pool)
    /// over `concurrent_tasks` slots, spilling to `spill_dir`.
    pub(crate) fn new(
        memory_pool_size: Option<u64>,
        concurrent_tasks: usize,
        spill_dir: &Path,
    ) -> Result<Self> {
        let task_pool_bytes = memory_pool_size
            .map(|size| task_pool_bytes(size, concurrent_tasks))
            .transpose()?;
        let sort_reservation = default_session_config()
            .options()
            .execution
            .sort_spill_reservation_bytes;
        if let Some(bytes) = task_pool_bytes.filter(|bytes| *bytes <= sort_reservation) {
            // DataFusion's sort sets this much aside before it sorts anything.
            tracing::warn!(
                task_pool_bytes = bytes,
                sort_spill_reservation_bytes = sort_reservation,
                "each task's share of the memory pool is no larger than the memory a sort \
                 reserves for merging its spills: sorts and sort-merge joins will fail unless \
                 sessions lower datafusion.execution.sort_spill_reservation_bytes"
            );
        }
        let disks = DiskManagerBuilder::default()
            .with_mode(DiskManagerMode::Directories(vec![spill_dir.to_path_buf()]));
        let shared = RuntimeEnvBuilder::new()
            .with_disk_manager_builder(disks)
            .build_arc()
            .map_err(|source| ClusterError::SpillDir {
                path: spill_dir.to_path_buf(),
                source,
            })?;
        Ok(Self {
            shared,
            task_pool_bytes,
        })
    }

    /// The executor-wide runtime (with the unbounded pool), which task runtimes copy.
    pub(crate) fn shared(&self) -> &Arc<RuntimeEnv> {
        &self.shared
    }

    /// Bytes of pool each task gets, if the executor has a pool.
    pub(crate) fn task_pool_bytes(&self) -> Option<usize> {
        self.task_pool_bytes
    }

    /// The runtime of one task: a fresh pool of its own share, everything else shared.
    pub(crate) fn runtime_for_task(&self) -> Arc<RuntimeEnv> {
        match self.task_pool_bytes {
            None => Arc::clone(&self.shared),
            Some(bytes) => Arc::new(RuntimeEnv {
                memory_pool: Arc::new(FairSpillPool::new(bytes)),
                ..RuntimeEnv::clone(&self.shared)
            }),
        }
    }
}

/// Each task's equal share of a `memory_pool_size`-byte pool over `concurrent_tasks` slots;
/// an error when the share would round down to nothing.
pub(crate) fn task_pool_bytes(memory_pool_size: u64, concurrent_tasks: usize) -> Result<usize> {
    let slots = u64::try_from(concurrent_tasks.max(1)).unwrap_or(u64::MAX);
    let share = memory_pool_size / slots;
    if share == 0 {
        return Err(ClusterError::MemoryPoolTooSmall {
            memory_pool_size,
            concurrent_tasks,
        });
    }
    Ok(usize::try_from(share).unwrap_or(usize::MAX))
}

/// Where spill files go under `work_dir`.
pub(crate) fn spill_dir(work_dir: &Path) -> PathBuf {
    work_dir.join(SPILL_DIR)
}

/// Deletes `spill_dir` and whatever is in it: spill files only matter to the task that
/// wrote them, so those of a crashed or stopped executor are garbage.
pub(crate) fn remove_spill_dir(spill_dir: &Path) {
    match std::fs::remove_dir_all(spill_dir) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            tracing::warn!(path = %spill_dir.display(), error = %err, "could not delete the spill directory");
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::execution::memory_pool::MemoryLimit;

    use super::*;

    #[test]
    fn each_task_gets_an_equal_share_of_the_pool() {
        assert_eq!(task_pool_bytes(8_000_000_000, 8).unwrap(), 1_000_000_000);
        assert_eq!(task_pool_bytes(10, 3).unwrap(), 3);
        assert_eq!(task_pool_bytes(5, 5).unwrap(), 1);
    }

    #[test]
    fn refuses_a_pool_smaller_than_the_task_slots_naming_both() {
        let err = task_pool_bytes(7, 8).unwrap_err().to_string();
        assert!(err.contains("7 bytes"), "{err}");
        assert!(err.contains("8 concurrent tasks"), "{err}");
    }

    #[test]
    fn each_task_runtime_has_a_pool_of_its_own_and_shares_the_disks() {
        let work_dir = tempfile::tempdir().unwrap();
        let memory = TaskMemory::new(Some(64 << 20), 4, &spill_dir(work_dir.path())).unwrap();
        let first = memory.runtime_for_task();
        let second = memory.runtime_for_task();
        assert_eq!(memory.task_pool_bytes(), Some(16 << 20));
        assert!(!Arc::ptr_eq(&first.memory_pool, &second.memory_pool));
        assert!(matches!(
            first.memory_pool.memory_limit(),
            MemoryLimit::Finite(bytes) if bytes == 16 << 20
        ));
        assert!(Arc::ptr_eq(&first.disk_manager, &second.disk_manager));
        assert!(Arc::ptr_eq(
            &first.disk_manager,
            &memory.shared().disk_manager
        ));
        let spill_dirs = first.disk_manager.temp_dir_paths();
        assert!(
            spill_dirs
                .iter()
                .all(|dir| dir.starts_with(work_dir.path().join("spill"))),
            "{spill_dirs:?}"
        );
    }

    #[test]
    fn without_a_pool_every_task_shares_the_unbounded_one() {
        let work_dir = tempfile::tempdir().unwrap();
        let memory = TaskMemory::new(None, 4, &spill_dir(work_dir.path())).unwrap();
        assert_eq!(memory.task_pool_bytes(), None);
        assert!(Arc::ptr_eq(
            &memory.runtime_for_task().memory_pool,
            &memory.shared().memory_pool
        ));
    }
}
