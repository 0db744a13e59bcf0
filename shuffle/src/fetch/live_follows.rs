//! [`LiveFollows`]: which live-follow tickets an executor takes on. A follow may wait for
//! its writer, and a waiting follow holds a stream and memory on the executor; so only a
//! job the executor has tasks for ([`KnownJobs`]) may wait as long as it takes. For any
//! other job the follow waits a short grace (its task may still be on its way here), then
//! fails with NOT_FOUND; and at most [`MAX_FOLLOWS`] follows run at once.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;

use crate::ids::JobId;
use crate::live_partition::{Subscription, is_started, subscribe};

/// Follows one executor serves at once; more fail with RESOURCE_EXHAUSTED. Each reader of
/// a running query's result holds one per partition it reads.
pub const MAX_FOLLOWS: usize = 1024;

/// How long a follow of a job the executor knows nothing of waits for it: long enough
/// for a task the scheduler just placed here to arrive (a poll, tens of milliseconds).
const UNKNOWN_JOB_GRACE: Duration = Duration::from_secs(1);

/// How often a follow in its grace looks for a task of its job (a writer starting wakes it
/// at once).
const RECHECK: Duration = Duration::from_millis(5);

/// The jobs an executor has tasks for, running or queued.
pub trait KnownJobs: fmt::Debug + Send + Sync {
    fn has_job(&self, job: &JobId) -> bool;
}

/// A fixed set, for services that serve known files (tests, tools).
impl KnownJobs for HashSet<JobId> {
    fn has_job(&self, job: &JobId) -> bool {
        self.contains(job)
    }
}

/// Knows no job: every follow waits only the grace for its writer.
#[derive(Debug)]
pub(crate) struct NoJobs;

impl KnownJobs for NoJobs {
    fn has_job(&self, _job: &JobId) -> bool {
        false
    }
}

/// Admits live follows; shared by every call to one service.
#[derive(Debug, Clone)]
pub(crate) struct LiveFollows {
    known: Arc<dyn KnownJobs>,
    slots: Arc<Semaphore>,
}

impl LiveFollows {
    pub(crate) fn new(known: Arc<dyn KnownJobs>, max_follows: usize) -> Self {
        Self {
            known,
            slots: Arc::new(Semaphore::new(max_follows)),
        }
    }

    /// Admits a follow of `path`, a file of `job`; the follow holds the permit while it
    /// runs. Fails at once when every slot is taken, and after the grace when neither the
    /// job nor the file shows up.
    pub(crate) async fn admit(
        &self,
        job: &JobId,
        path: &Path,
    ) -> Result<OwnedSemaphorePermit, Status> {
        let permit = Arc::clone(&self.slots).try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(
                "this executor already serves as many live partitions as it allows",
            )
        })?;
        let deadline = tokio::time::Instant::now() + UNKNOWN_JOB_GRACE;
        // The writer starting wakes the wait at once (a task the scheduler just placed
        // here usually arrives and starts within the grace); the job's other tasks are
        // looked for every `RECHECK`.
        let mut progress = match subscribe(path) {
            Subscription::Live(progress) => progress,
            Subscription::Settled => return Ok(permit),
        };
        loop {
            if self.known.has_job(job) || is_started(path) {
                return Ok(permit);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Status::not_found(format!(
                    "job {job} has no tasks and no files on this executor"
                )));
            }
            tokio::select! {
                () = tokio::time::sleep(RECHECK.min(deadline - now)) => {}
                _ = progress.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live_partition::LiveWrite;

    fn follows(known: &[&str], max_follows: usize) -> LiveFollows {
        let known: HashSet<JobId> = known.iter().map(|job| JobId::new(*job)).collect();
        LiveFollows::new(Arc::new(known), max_follows)
    }

    #[tokio::test]
    async fn a_known_job_is_admitted_before_its_writer_starts() {
        let dir = tempfile::tempdir().unwrap();
        let admitted = follows(&["job-a"], 4)
            .admit(&JobId::new("job-a"), &dir.path().join("0.arrow"))
            .await;
        assert!(admitted.is_ok());
    }

    #[tokio::test]
    async fn an_unknown_job_without_files_is_not_found_after_the_grace() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let err = follows(&[], 4)
            .admit(&JobId::new("job-x"), &dir.path().join("0.arrow"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::NotFound);
        let waited = started.elapsed();
        assert!(waited >= UNKNOWN_JOB_GRACE, "{waited:?}");
        assert!(waited < UNKNOWN_JOB_GRACE * 3, "{waited:?}");
    }

    #[tokio::test]
    async fn an_unknown_job_whose_file_is_written_or_complete_is_admitted() {
        let dir = tempfile::tempdir().unwrap();
        let writing = dir.path().join("0.arrow");
        let _writer = LiveWrite::start(&writing);
        assert!(
            follows(&[], 4)
                .admit(&JobId::new("job-x"), &writing)
                .await
                .is_ok()
        );
        let complete = dir.path().join("1.arrow");
        std::fs::write(&complete, b"whole").unwrap();
        assert!(
            follows(&[], 4)
                .admit(&JobId::new("job-x"), &complete)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn follows_beyond_the_limit_are_refused_until_one_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.arrow");
        let follows = follows(&["job-a"], 1);
        let job = JobId::new("job-a");
        let first = follows.admit(&job, &path).await.unwrap();
        let err = follows.admit(&job, &path).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::ResourceExhausted);
        drop(first);
        assert!(follows.admit(&job, &path).await.is_ok());
    }
}
