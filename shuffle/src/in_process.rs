//! The executors running in this process (`standalone` runs several): a task reads the
//! shuffle files of such a neighbour straight from disk, as it reads its own, and the
//! scheduler follows its result partitions through the neighbour's service in process,
//! instead of over Arrow Flight on loopback. Nothing crosses a process boundary, so there
//! is nothing for a grant to protect, and the encode, copy and decode of a fetch are saved
//! (15–25% of a join-heavy query's time with two executors on one machine,
//! docs/benchmarks.md).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::fetch::ShuffleFlightService;
use crate::ids::ExecutorId;

fn executors() -> MutexGuard<'static, HashMap<ExecutorId, ShuffleFlightService>> {
    static EXECUTORS: OnceLock<Mutex<HashMap<ExecutorId, ShuffleFlightService>>> = OnceLock::new();
    EXECUTORS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether `executor` runs in this process, so that its files can be read from disk.
pub fn runs_in_this_process(executor: &ExecutorId) -> bool {
    executors().contains_key(executor)
}

/// The shuffle service of `executor`, if it runs in this process.
pub(crate) fn service_in_this_process(executor: &ExecutorId) -> Option<ShuffleFlightService> {
    executors().get(executor).cloned()
}

/// An executor's presence in this process, from its start until this is dropped.
#[derive(Debug)]
pub struct InProcessExecutor {
    id: ExecutorId,
}

impl InProcessExecutor {
    /// Records that `id` runs in this process, serving its files with `service`.
    pub fn register(id: ExecutorId, service: ShuffleFlightService) -> Self {
        executors().insert(id.clone(), service);
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
        let service = ShuffleFlightService::new(
            crate::ShuffleLayout::new("/tmp/unused"),
            crate::ClusterSecret::new("in-process-test-token-0123456789").unwrap(),
        );
        let registered = InProcessExecutor::register(id.clone(), service);
        assert!(service_in_this_process(&id).is_some());
        assert!(runs_in_this_process(&id));
        drop(registered);
        assert!(!runs_in_this_process(&id));
    }
}
