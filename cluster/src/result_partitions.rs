//! A started query's result partitions, each named by an opaque token the client carries
//! in its ticket, and the registry that releases a job once every partition has been
//! read, the query is cancelled or its session closed, or nobody has read any of them
//! for [`RESULT_TTL`].

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use datafusion::error::{DataFusionError, Result};
use prost::Message;
use tokio::sync::watch;
use trebuchet_shuffle::ids::{JobId, StageId};

use crate::scheduler::JobProgress;
use crate::sync::lock;

/// How long a query's unread results are kept while nobody reads them.
pub(crate) const RESULT_TTL: Duration = Duration::from_secs(600);

/// One result partition: the token inside a `DoGet` ticket. It names the partition only;
/// where it is comes from the scheduler, so a forged ticket can never point the scheduler
/// at an address of the client's choosing.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct ResultPartition {
    #[prost(string, tag = "1")]
    pub(crate) job: String,
    #[prost(uint32, tag = "3")]
    pub(crate) partition: u32,
}

impl ResultPartition {
    pub(crate) fn decode_token(token: &[u8]) -> Result<Self> {
        Self::decode(token).map_err(|err| {
            DataFusionError::Plan(format!("the ticket names no valid result partition: {err}"))
        })
    }

    pub(crate) fn token(&self) -> Bytes {
        self.encode_to_vec().into()
    }
}

/// What a reader needs to stream one partition of a started job.
#[derive(Debug, Clone)]
pub(crate) struct ResultSource {
    pub(crate) stage: StageId,
    pub(crate) schema: SchemaRef,
    pub(crate) progress: watch::Receiver<JobProgress>,
}

/// Started jobs whose results are still (partly) unread.
#[derive(Debug, Default)]
pub(crate) struct PendingResults {
    jobs: Mutex<HashMap<JobId, Pending>>,
}

#[derive(Debug)]
struct Pending {
    source: ResultSource,
    session_id: String,
    unread: BTreeSet<u32>,
    /// Partitions being streamed now: a job being read never expires.
    readers: usize,
    /// When the job started, or a read last began or ended.
    last_active: Instant,
}

impl PendingResults {
    /// Remembers a started job of session `session_id` with `partitions` result
    /// partitions.
    pub(crate) fn add(
        &self,
        job: JobId,
        session_id: String,
        partitions: u32,
        source: ResultSource,
        now: Instant,
    ) {
        lock(&self.jobs).insert(
            job,
            Pending {
                source,
                session_id,
                unread: (0..partitions).collect(),
                readers: 0,
                last_active: now,
            },
        );
    }

    /// Where to read the partitions of `job`, if they are still readable, counting a
    /// reader until [`Self::mark_read`]. A partition already read can be read again while
    /// the job is kept.
    pub(crate) fn start_read(&self, job: &JobId, now: Instant) -> Option<ResultSource> {
        let mut jobs = lock(&self.jobs);
        let pending = jobs.get_mut(job)?;
        pending.readers += 1;
        pending.last_active = now;
        Some(pending.source.clone())
    }

    /// Marks a partition read to its end; `true` when it was the last one (the job can
    /// go).
    pub(crate) fn mark_read(&self, job: &JobId, partition: u32, now: Instant) -> bool {
        let mut jobs = lock(&self.jobs);
        let Some(pending) = jobs.get_mut(job) else {
            return false;
        };
        pending.readers = pending.readers.saturating_sub(1);
        pending.last_active = now;
        pending.unread.remove(&partition);
        if pending.unread.is_empty() {
            jobs.remove(job);
            return true;
        }
        false
    }

    /// Forgets `job`; `true` if it was pending.
    pub(crate) fn remove(&self, job: &JobId) -> bool {
        lock(&self.jobs).remove(job).is_some()
    }

    /// Forgets the jobs nobody has read for [`RESULT_TTL`], returning them.
    pub(crate) fn remove_expired(&self, now: Instant) -> Vec<JobId> {
        let mut jobs = lock(&self.jobs);
        let expired: Vec<JobId> = jobs
            .iter()
            .filter(|(_, pending)| {
                pending.readers == 0 && now.duration_since(pending.last_active) > RESULT_TTL
            })
            .map(|(job, _)| job.clone())
            .collect();
        for job in &expired {
            jobs.remove(job);
        }
        expired
    }

    /// Forgets every job of session `session_id`, returning them.
    pub(crate) fn remove_session(&self, session_id: &str) -> Vec<JobId> {
        let mut jobs = lock(&self.jobs);
        let closed: Vec<JobId> = jobs
            .iter()
            .filter(|(_, pending)| pending.session_id == session_id)
            .map(|(job, _)| job.clone())
            .collect();
        for job in &closed {
            jobs.remove(job);
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::datatypes::Schema;

    use super::*;

    fn source() -> ResultSource {
        let (_, progress) = watch::channel(JobProgress::new(2));
        ResultSource {
            stage: StageId(1),
            schema: Arc::new(Schema::empty()),
            progress,
        }
    }

    #[test]
    fn a_job_is_released_when_its_last_partition_is_read() {
        let pending = PendingResults::default();
        let job = JobId::new("j");
        let now = Instant::now();
        pending.add(job.clone(), "s".into(), 2, source(), now);
        assert!(!pending.mark_read(&job, 0, now));
        assert!(
            !pending.mark_read(&job, 0, now),
            "reading again is harmless"
        );
        assert!(pending.start_read(&job, now).is_some());
        assert!(pending.mark_read(&job, 1, now));
        assert!(pending.start_read(&job, now).is_none());
    }

    #[test]
    fn unread_results_expire() {
        let pending = PendingResults::default();
        let start = Instant::now();
        pending.add(JobId::new("old"), "s".into(), 1, source(), start);
        pending.add(
            JobId::new("new"),
            "s".into(),
            1,
            source(),
            start + RESULT_TTL,
        );
        pending.add(JobId::new("streaming"), "s".into(), 1, source(), start);
        assert!(
            pending
                .start_read(&JobId::new("streaming"), start)
                .is_some()
        );
        let expired = pending.remove_expired(start + RESULT_TTL * 2);
        assert_eq!(expired, vec![JobId::new("old")], "a job being read stays");
        assert!(pending.start_read(&JobId::new("new"), start).is_some());
    }

    #[test]
    fn closing_a_session_releases_its_jobs_only() {
        let pending = PendingResults::default();
        let now = Instant::now();
        pending.add(JobId::new("a"), "closing".into(), 1, source(), now);
        pending.add(JobId::new("b"), "staying".into(), 1, source(), now);
        assert_eq!(pending.remove_session("closing"), vec![JobId::new("a")]);
        assert!(pending.start_read(&JobId::new("b"), now).is_some());
    }
}
