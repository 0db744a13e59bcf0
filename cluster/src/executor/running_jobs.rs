//! The tasks an executor is running, by job, so a job's tasks can be stopped together. Its
//! Flight service asks it too: only a job with tasks here may wait for a live partition.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::AbortHandle;
use trebuchet_shuffle::KnownJobs;
use trebuchet_shuffle::ids::JobId;

use crate::sync::lock;

#[derive(Debug, Default)]
pub(crate) struct RunningJobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<JobId, Vec<(u64, AbortHandle)>>>,
    /// Jobs the scheduler said are over, and when: their late tasks are dropped and
    /// whatever a stopping task still wrote is deleted.
    forgotten: Mutex<HashMap<JobId, Instant>>,
}

/// How long a forgotten job is remembered; far longer than any task takes to stop.
const REMEMBER_FORGOTTEN: Duration = Duration::from_secs(3600);

impl RunningJobs {
    /// Tracks a task; the returned id removes it again.
    pub(crate) fn add(&self, job: &JobId, task: AbortHandle) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.jobs)
            .entry(job.clone())
            .or_default()
            .push((id, task));
        id
    }

    pub(crate) fn remove(&self, job: &JobId, id: u64) {
        let mut jobs = lock(&self.jobs);
        if let Some(tasks) = jobs.get_mut(job) {
            tasks.retain(|(task, _)| *task != id);
            if tasks.is_empty() {
                jobs.remove(job);
            }
        }
    }

    /// Stops every task of `job`: their DataFusion streams are dropped at the next await.
    pub(crate) fn cancel(&self, job: &JobId) {
        if let Some(tasks) = lock(&self.jobs).remove(job) {
            tracing::debug!(job = %job, tasks = tasks.len(), "cancelling tasks");
            for (_, task) in tasks {
                task.abort();
            }
        }
    }

    /// Stops `job`'s tasks and remembers that it is over.
    pub(crate) fn forget(&self, job: &JobId) {
        self.cancel(job);
        let now = Instant::now();
        let mut forgotten = lock(&self.forgotten);
        forgotten.retain(|_, at| now.duration_since(*at) < REMEMBER_FORGOTTEN);
        forgotten.insert(job.clone(), now);
    }

    /// Whether the scheduler said `job` is over.
    pub(crate) fn is_forgotten(&self, job: &JobId) -> bool {
        lock(&self.forgotten).contains_key(job)
    }

    pub(crate) fn has(&self, job: &JobId) -> bool {
        lock(&self.jobs).contains_key(job)
    }
}

/// A job is known while a task of it is running or queued for a slot here.
impl KnownJobs for RunningJobs {
    fn has_job(&self, job: &JobId) -> bool {
        self.has(job)
    }
}
