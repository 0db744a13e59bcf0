//! Queries started by `PollFlightInfo` (ADBC's incremental execution) that were not ready
//! when polled: the client gets a descriptor to poll again and the query's progress, and
//! the query goes on meanwhile.
//!
//! ```text
//!   PollFlightInfo(query)   ─▶ started; ready within FIRST_WAIT? ─ yes ─▶ every endpoint, done
//!                                      │ no
//!                                      ▼
//!   { no endpoints yet, progress 0.4, descriptor = sealed poll id }
//!   PollFlightInfo(descriptor) ─▶ ready within POLL_WAIT? ─ yes ─▶ every endpoint, done
//!                                      │ no ─▶ progress again
//! ```
//!
//! Endpoints appear all at once: a query's result partitions can be read once every stage
//! before the final one is done, which is when `GetFlightInfo` answers too. A query nobody
//! polls for [`POLL_EXPIRY`] is dropped at the next poll of any client, which cancels its
//! job.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use arrow_flight::FlightInfo;
use tokio::task::JoinSet;
use tonic::Status;

use crate::mutex::lock;

/// How long a first poll waits for its query: a short query answers in one call instead of
/// a partial answer and the client's first back-off (100 ms for ADBC).
pub(crate) const FIRST_WAIT: Duration = Duration::from_millis(100);
/// How long a later poll waits for the query before answering with its progress.
pub(crate) const POLL_WAIT: Duration = Duration::from_millis(250);
/// A query not polled for this long is dropped and its job cancelled.
pub(crate) const POLL_EXPIRY: Duration = Duration::from_secs(300);

/// What a poll found.
#[derive(Debug)]
pub(crate) enum Polled {
    /// The query is ready (or failed): the answer is final.
    Done(Result<FlightInfo, Status>),
    /// Still running: poll again with this id.
    Running(PendingQuery),
}

/// A query still running, as the poll answer describes it.
#[derive(Debug, Clone)]
pub(crate) struct PendingQuery {
    pub(crate) poll_id: u64,
    /// The session that started it: its jobs are the query's progress.
    pub(crate) session_id: String,
    /// When it started, in milliseconds since the Unix epoch.
    pub(crate) started_at_ms: u64,
}

/// The queries started by `PollFlightInfo` and not yet answered in full.
#[derive(Debug, Default)]
pub(crate) struct PendingPolls {
    next_id: AtomicU64,
    polls: Mutex<HashMap<u64, Pending>>,
}

#[derive(Debug)]
struct Pending {
    query: PendingQuery,
    /// The query, alone in its set: dropping the set drops its future, and with it its job.
    answer: JoinSet<Result<FlightInfo, Status>>,
    last_polled: Instant,
}

impl PendingPolls {
    /// Starts `query` for `session_id` and waits up to [`FIRST_WAIT`] for its answer.
    pub(crate) async fn start(
        &self,
        session_id: String,
        query: impl Future<Output = Result<FlightInfo, Status>> + Send + 'static,
    ) -> Polled {
        let started_at_ms = unix_ms(SystemTime::now());
        let mut answer = JoinSet::new();
        answer.spawn(query);
        if let Ok(done) = tokio::time::timeout(FIRST_WAIT, answer.join_next()).await {
            return Polled::Done(joined(done));
        }
        let query = PendingQuery {
            poll_id: self.next_id.fetch_add(1, Ordering::Relaxed),
            session_id,
            started_at_ms,
        };
        let mut polls = lock(&self.polls);
        let now = Instant::now();
        drop_expired(&mut polls, now);
        polls.insert(
            query.poll_id,
            Pending {
                query: query.clone(),
                answer,
                last_polled: now,
            },
        );
        Polled::Running(query)
    }

    /// Polls the query `poll_id`, waiting up to [`POLL_WAIT`] for its answer; `None` when
    /// no such query is pending (already answered, expired, or never started).
    pub(crate) async fn poll(&self, poll_id: u64) -> Option<Polled> {
        let mut pending = {
            let mut polls = lock(&self.polls);
            drop_expired(&mut polls, Instant::now());
            polls.remove(&poll_id)?
        };
        match tokio::time::timeout(POLL_WAIT, pending.answer.join_next()).await {
            Ok(done) => Some(Polled::Done(joined(done))),
            Err(_) => {
                let query = pending.query.clone();
                pending.last_polled = Instant::now();
                lock(&self.polls).insert(poll_id, pending);
                Some(Polled::Running(query))
            }
        }
    }
}

/// Drops the queries nobody polled for [`POLL_EXPIRY`], cancelling their jobs. Done on
/// every start and poll: an abandoned query lives until the next call of any client.
fn drop_expired(polls: &mut HashMap<u64, Pending>, now: Instant) {
    polls.retain(|_, pending| now.duration_since(pending.last_polled) < POLL_EXPIRY);
}

/// The answer of a query's set once it has one: its only task's.
fn joined(
    done: Option<Result<Result<FlightInfo, Status>, tokio::task::JoinError>>,
) -> Result<FlightInfo, Status> {
    match done {
        Some(Ok(answer)) => answer,
        Some(Err(err)) => Err(Status::internal(format!("the query stopped: {err}"))),
        None => Err(Status::internal("the query was already answered")),
    }
}

fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_quick_query_answers_at_once() {
        let polls = PendingPolls::default();
        let polled = polls
            .start("s".into(), async { Ok(FlightInfo::default()) })
            .await;
        assert!(matches!(polled, Polled::Done(Ok(_))), "{polled:?}");
    }

    #[tokio::test]
    async fn a_slow_query_is_polled_until_it_answers_once() {
        let polls = PendingPolls::default();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let polled = polls
            .start("s".into(), async move {
                let _ = released.await;
                Err(Status::invalid_argument("bad SQL"))
            })
            .await;
        let Polled::Running(query) = polled else {
            panic!("answered before it was released: {polled:?}");
        };
        assert_eq!(query.session_id, "s");
        assert!(matches!(
            polls.poll(query.poll_id).await,
            Some(Polled::Running(_))
        ));
        release.send(()).unwrap();
        match polls.poll(query.poll_id).await {
            Some(Polled::Done(Err(status))) => assert_eq!(status.message(), "bad SQL"),
            other => panic!("{other:?}"),
        }
        assert!(polls.poll(query.poll_id).await.is_none(), "answered once");
        assert!(polls.poll(12345).await.is_none());
    }

    #[tokio::test]
    async fn dropping_a_pending_query_stops_it() {
        let polls = PendingPolls::default();
        let (dropped, mut on_drop) = tokio::sync::mpsc::channel::<()>(1);
        let polled = polls
            .start("s".into(), async move {
                let _keep = dropped;
                std::future::pending::<Result<FlightInfo, Status>>().await
            })
            .await;
        assert!(matches!(polled, Polled::Running(_)));
        drop(polls);
        // The future held the sender: the channel closes once it is dropped.
        assert!(on_drop.recv().await.is_none());
    }
}
