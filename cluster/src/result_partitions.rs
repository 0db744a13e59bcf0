//! A started query's result partitions, each named by an opaque token the client carries
//! in its ticket, and the registry that releases a job once every partition has been
//! read, the query is cancelled or its session closed, or its results expire:
//!
//! ```text
//!   no read ever began                          for UNREAD_RESULT_TTL  ──▶ released
//!   reads began, none streams now               for IDLE_RESULT_TTL    ──▶ released
//!   a stream handed its client a batch, and the
//!   client has not asked for the next one       for STALLED_READ_TTL   ──▶ released
//! ```
//!
//! A stream waiting on the query (a slow stage) is not stalled: only its client can
//! stall it.

use std::collections::{BTreeSet, HashMap};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::{Stream, StreamExt};
use prost::Message;
use tokio::sync::watch;
use trebuchet_shuffle::ids::{JobId, StageId};

use crate::scheduler::JobProgress;
use crate::sync::lock;

/// How long a query's results are kept when nobody has begun to read them. Short: the
/// final stage holds its task slots and up to
/// [`trebuchet_shuffle::MAX_UNREAD_RESULT_BYTES`] of disk per partition meanwhile.
pub(crate) const UNREAD_RESULT_TTL: Duration = Duration::from_secs(60);

/// How long a query's results are kept, once a read has begun, while no partition streams:
/// a client may read its endpoints one after another, or come back for one.
pub(crate) const IDLE_RESULT_TTL: Duration = Duration::from_secs(600);

/// How long a result stream may wait on its client (a batch handed out, and the next one
/// not asked for) before its job is released: the client stopped reading without closing
/// the stream.
pub(crate) const STALLED_READ_TTL: Duration = Duration::from_secs(600);

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
    /// The streams reading partitions now.
    reads: Vec<Arc<ReadActivity>>,
    /// Whether any read has begun.
    ever_read: bool,
    /// When the job started, or a read last began or ended.
    last_active: Instant,
}

impl Pending {
    fn is_expired(&self, now: Instant) -> bool {
        if self.reads.iter().any(|read| read.is_stalled(now)) {
            return true;
        }
        if !self.reads.is_empty() {
            return false;
        }
        let ttl = if self.ever_read {
            IDLE_RESULT_TTL
        } else {
            UNREAD_RESULT_TTL
        };
        now.duration_since(self.last_active) > ttl
    }
}

/// Whether one result stream waits on its client: it handed out a batch and has not been
/// asked for the next one yet (or not asked for the first).
#[derive(Debug)]
pub(crate) struct ReadActivity {
    waiting_on_client_since: Mutex<Option<Instant>>,
}

impl ReadActivity {
    /// A read that began at `now`.
    pub(crate) fn new(now: Instant) -> Arc<Self> {
        Arc::new(Self {
            waiting_on_client_since: Mutex::new(Some(now)),
        })
    }

    /// Whether it has waited on its client for longer than [`STALLED_READ_TTL`] at `now`.
    pub(crate) fn is_stalled(&self, now: Instant) -> bool {
        lock(&self.waiting_on_client_since)
            .is_some_and(|since| now.duration_since(since) > STALLED_READ_TTL)
    }

    fn set_waiting_on_client(&self, since: Option<Instant>) {
        *lock(&self.waiting_on_client_since) = since;
    }
}

/// `batches`, recording in `activity` when the stream waits on its client: from each
/// batch it hands out until it is polled again.
pub(crate) fn watch_client(
    batches: SendableRecordBatchStream,
    activity: Arc<ReadActivity>,
) -> SendableRecordBatchStream {
    Box::pin(ClientWatch { batches, activity })
}

struct ClientWatch {
    batches: SendableRecordBatchStream,
    activity: Arc<ReadActivity>,
}

impl Stream for ClientWatch {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.activity.set_waiting_on_client(None);
        let polled = self.batches.poll_next_unpin(cx);
        if polled.is_ready() {
            self.activity.set_waiting_on_client(Some(Instant::now()));
        }
        polled
    }
}

impl RecordBatchStream for ClientWatch {
    fn schema(&self) -> SchemaRef {
        self.batches.schema()
    }
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
                reads: Vec::new(),
                ever_read: false,
                last_active: now,
            },
        );
    }

    /// Where to read the partitions of `job`, if they are still readable, and the
    /// activity of the new read (see [`watch_client`]), counted until [`Self::mark_read`].
    /// A partition already read can be read again while the job is kept.
    pub(crate) fn start_read(
        &self,
        job: &JobId,
        now: Instant,
    ) -> Option<(ResultSource, Arc<ReadActivity>)> {
        let mut jobs = lock(&self.jobs);
        let pending = jobs.get_mut(job)?;
        let activity = ReadActivity::new(now);
        pending.reads.push(Arc::clone(&activity));
        pending.ever_read = true;
        pending.last_active = now;
        Some((pending.source.clone(), activity))
    }

    /// Marks a partition read to its end by the read of `activity`; `true` when it was the
    /// last one (the job can go).
    pub(crate) fn mark_read(
        &self,
        job: &JobId,
        partition: u32,
        activity: &Arc<ReadActivity>,
        now: Instant,
    ) -> bool {
        let mut jobs = lock(&self.jobs);
        let Some(pending) = jobs.get_mut(job) else {
            return false;
        };
        pending.reads.retain(|read| !Arc::ptr_eq(read, activity));
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

    /// Forgets the jobs whose results expired (see the module docs), returning them.
    pub(crate) fn remove_expired(&self, now: Instant) -> Vec<JobId> {
        let mut jobs = lock(&self.jobs);
        let expired: Vec<JobId> = jobs
            .iter()
            .filter(|(_, pending)| pending.is_expired(now))
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
    use arrow::datatypes::Schema;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

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
        let (_, first) = pending.start_read(&job, now).unwrap();
        assert!(!pending.mark_read(&job, 0, &first, now));
        assert!(
            !pending.mark_read(&job, 0, &first, now),
            "reading again is harmless"
        );
        let (_, second) = pending.start_read(&job, now).unwrap();
        assert!(pending.mark_read(&job, 1, &second, now));
        assert!(pending.start_read(&job, now).is_none());
    }

    #[test]
    fn results_nobody_began_to_read_expire_first() {
        let pending = PendingResults::default();
        let start = Instant::now();
        pending.add(JobId::new("unread"), "s".into(), 2, source(), start);
        pending.add(JobId::new("begun"), "s".into(), 2, source(), start);
        let (_, read) = pending.start_read(&JobId::new("begun"), start).unwrap();
        assert!(!pending.mark_read(&JobId::new("begun"), 0, &read, start));
        let after_unread_ttl = start + UNREAD_RESULT_TTL + Duration::from_secs(1);
        assert_eq!(
            pending.remove_expired(after_unread_ttl),
            vec![JobId::new("unread")]
        );
        let after_idle_ttl = start + IDLE_RESULT_TTL + Duration::from_secs(1);
        assert_eq!(
            pending.remove_expired(after_idle_ttl),
            vec![JobId::new("begun")],
            "a job whose reads began is kept longer between reads"
        );
    }

    #[test]
    fn a_stream_waiting_on_the_query_never_expires() {
        let pending = PendingResults::default();
        let start = Instant::now();
        pending.add(JobId::new("streaming"), "s".into(), 1, source(), start);
        let (_, read) = pending.start_read(&JobId::new("streaming"), start).unwrap();
        // Polled, and waiting for the query's next batch.
        read.set_waiting_on_client(None);
        assert!(
            pending
                .remove_expired(start + STALLED_READ_TTL * 10)
                .is_empty()
        );
    }

    #[test]
    fn a_stream_its_client_stopped_reading_expires() {
        let pending = PendingResults::default();
        let start = Instant::now();
        pending.add(JobId::new("stalled"), "s".into(), 1, source(), start);
        let (_, read) = pending.start_read(&JobId::new("stalled"), start).unwrap();
        read.set_waiting_on_client(Some(start));
        assert!(
            pending
                .remove_expired(start + STALLED_READ_TTL - Duration::from_secs(1))
                .is_empty()
        );
        assert_eq!(
            pending.remove_expired(start + STALLED_READ_TTL + Duration::from_secs(1)),
            vec![JobId::new("stalled")]
        );
    }

    #[tokio::test]
    async fn a_watched_stream_waits_on_its_client_between_batches_only() {
        let activity = ReadActivity::new(Instant::now());
        let schema = Arc::new(Schema::empty());
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let batches = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|batch| (Ok(batch), receiver))
        });
        let mut watched = watch_client(
            Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&schema), batches)),
            Arc::clone(&activity),
        );
        let far = Instant::now() + STALLED_READ_TTL * 2;
        assert!(activity.is_stalled(far), "not asked for anything yet");
        assert!(futures::poll!(watched.next()).is_pending());
        assert!(!activity.is_stalled(far), "waiting on the query");
        sender.send(RecordBatch::new_empty(schema)).unwrap();
        assert!(watched.next().await.is_some());
        assert!(
            activity.is_stalled(far),
            "handed a batch, not asked for more"
        );
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
