//! The executors running in this process (`standalone` runs several): a task reads the
//! shuffle files of such a neighbour straight from disk, as it reads its own, instead of
//! fetching them over Arrow Flight on loopback. Nothing crosses a process boundary, so
//! there is nothing for a grant to protect, and the encode, copy and decode of a fetch are
//! saved (15–25% of a join-heavy query's time with two executors on one machine,
//! docs/benchmarks.md).

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::ids::ExecutorId;

fn executors() -> MutexGuard<'static, HashSet<ExecutorId>> {
    static EXECUTORS: OnceLock<Mutex<HashSet<ExecutorId>>> = OnceLock::new();
    EXECUTORS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether `executor` runs in this process, so that its files can be read from disk.
pub fn runs_in_this_process(executor: &ExecutorId) -> bool {
    executors().contains(executor)
}

/// An executor's presence in this process, from its start until this is dropped.
#[derive(Debug)]
pub struct InProcessExecutor {
    id: ExecutorId,
}

impl InProcessExecutor {
    /// Records that `id` runs in this process.
    pub fn register(id: ExecutorId) -> Self {
        executors().insert(id.clone());
        Self { id }
    }
}

impl Drop for InProcessExecutor {
    fn drop(&mut self) {
        executors().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_executor_is_in_this_process_while_registered() {
        let id = ExecutorId::new("in-process-test");
        assert!(!runs_in_this_process(&id));
        let registered = InProcessExecutor::register(id.clone());
        assert!(runs_in_this_process(&id));
        drop(registered);
        assert!(!runs_in_this_process(&id));
    }
}
