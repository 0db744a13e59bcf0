//! Sessions: one per client connection, each with its own DataFusion settings.
//!
//! A session is named by an unguessable token that travels as the bearer token and as the
//! `arrow_flight_session_id` cookie. Idle sessions expire, and the number of live sessions
//! is capped so clients that never reuse a session cannot exhaust memory: each user may
//! hold a number of sessions (opening one more ends that user's least recently used
//! session, never anyone else's), and beyond the server-wide cap new sessions are refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;

use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::auth::{UserStore, mint_token};
use crate::catalog::SharedCatalog;
use crate::error::{FlightSqlError, Result};
use crate::mutex::lock;
use crate::planned_tickets::PlannedTickets;

/// Most sessions one authenticated user keeps at once.
const MAX_SESSIONS_PER_USER: usize = 1024;
/// Most sessions kept with authentication off, where every client is the same anonymous
/// user and many open a session per call.
const MAX_ANONYMOUS_SESSIONS: usize = 4096;
/// Most sessions of all users together; past it, new sessions are refused.
const MAX_SESSIONS: usize = 16_384;

/// One client's session.
pub(crate) struct Session {
    id: String,
    token: String,
    user: Option<String>,
    ctx: SessionContext,
    /// When it was opened, for `system.sessions`.
    opened_at: SystemTime,
    last_used: Mutex<Instant>,
    /// Cancelled when the session closes: queries still running in it stop.
    closed: CancellationToken,
    /// Queries planned for a `FlightInfo`, waiting for their ticket.
    planned: PlannedTickets,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token: it is a credential.
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The DataFusion context holding this session's settings.
    pub(crate) fn ctx(&self) -> &SessionContext {
        &self.ctx
    }

    /// A stable id for logs; the same as its DataFusion context's, which the jobs it runs
    /// carry, so `system.jobs` and `system.sessions` join on it.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The secret that names this session on the wire.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// The authenticated user, if authentication is on.
    pub(crate) fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// When the session was opened.
    pub(crate) fn opened_at(&self) -> SystemTime {
        self.opened_at
    }

    /// When the session was last used, on the wall clock; never before it was opened,
    /// whatever the two clocks say.
    pub(crate) fn last_used_at(&self) -> SystemTime {
        let idle = self.idle_since().elapsed();
        SystemTime::now()
            .checked_sub(idle)
            .map_or(self.opened_at, |last_used| last_used.max(self.opened_at))
    }

    /// Queries planned for a `FlightInfo` and not yet started.
    pub(crate) fn planned(&self) -> &PlannedTickets {
        &self.planned
    }

    /// Whether the session was closed; its token must not be handed out again.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Resolves when the session is closed.
    pub(crate) async fn closing(&self) {
        self.closed.cancelled().await;
    }

    /// `batches`, ended with a `SessionClosed` error if the session closes first: a
    /// result being streamed stops with its session, and the work beneath it is dropped.
    pub(crate) fn bind(&self, batches: SendableRecordBatchStream) -> SendableRecordBatchStream {
        let schema = batches.schema();
        let closed = self.closed.clone();
        let until_closed = batches.take_until(closed.clone().cancelled_owned());
        let closed_error = futures::stream::once(async move {
            closed.is_cancelled().then(|| {
                Err(DataFusionError::External(Box::new(
                    FlightSqlError::SessionClosed,
                )))
            })
        })
        .filter_map(futures::future::ready);
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            until_closed.chain(closed_error),
        ))
    }

    fn touch(&self, now: Instant) {
        *lock(&self.last_used) = now;
    }

    fn idle_since(&self) -> Instant {
        *lock(&self.last_used)
    }
}

/// All live sessions of a server, and the users allowed to open them.
#[derive(Debug)]
pub(crate) struct SessionRegistry {
    catalog: SharedCatalog,
    users: UserStore,
    idle_timeout: Duration,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
}

impl SessionRegistry {
    pub(crate) fn new(catalog: SharedCatalog, users: UserStore, idle_timeout: Duration) -> Self {
        Self {
            catalog,
            users,
            idle_timeout,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn users(&self) -> &UserStore {
        &self.users
    }

    /// Opens a new session with default settings for `user` (`None`: authentication off).
    pub(crate) fn open(&self, user: Option<String>) -> Result<Arc<Session>> {
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        self.make_room(&mut sessions, user.as_deref(), now)?;
        let ctx = self.catalog.new_session_context();
        let session = Arc::new(Session {
            id: ctx.session_id(),
            token: mint_token(),
            user,
            ctx,
            opened_at: SystemTime::now(),
            last_used: Mutex::new(now),
            closed: CancellationToken::new(),
            planned: PlannedTickets::default(),
        });
        sessions.insert(session.token.clone(), Arc::clone(&session));
        tracing::debug!(session_id = %session.id, user = ?session.user, "session opened");
        Ok(session)
    }

    /// The live session named by `token`, marked as used now.
    pub(crate) fn find(&self, token: &str) -> Option<Arc<Session>> {
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        let session = sessions.get(token)?;
        if now.duration_since(session.idle_since()) > self.idle_timeout {
            sessions.remove(token);
            return None;
        }
        session.touch(now);
        Some(Arc::clone(session))
    }

    /// Every live session (expired ones are left out), for `system.sessions`.
    pub(crate) fn list(&self) -> Vec<Arc<Session>> {
        let now = Instant::now();
        lock(&self.sessions)
            .values()
            .filter(|session| now.duration_since(session.idle_since()) <= self.idle_timeout)
            .map(Arc::clone)
            .collect()
    }

    /// Ends a session; its token stops working at once.
    pub(crate) fn close(&self, token: &str) -> bool {
        let removed = lock(&self.sessions).remove(token);
        if let Some(session) = &removed {
            session.closed.cancel();
            tracing::debug!(session_id = %session.id, "session closed");
        }
        removed.is_some()
    }

    /// Drops expired sessions, then `user`'s least recently used ones while the user is at
    /// its cap; refuses when the server as a whole is full of live sessions.
    fn make_room(
        &self,
        sessions: &mut HashMap<String, Arc<Session>>,
        user: Option<&str>,
        now: Instant,
    ) -> Result<()> {
        sessions.retain(|_, session| now.duration_since(session.idle_since()) <= self.idle_timeout);
        let cap = match user {
            Some(_) => MAX_SESSIONS_PER_USER,
            None => MAX_ANONYMOUS_SESSIONS,
        };
        let mut own: Vec<(Instant, String)> = sessions
            .iter()
            .filter(|(_, session)| session.user.as_deref() == user)
            .map(|(token, session)| (session.idle_since(), token.clone()))
            .collect();
        if own.len() >= cap {
            own.sort_unstable();
            for (_, token) in own.iter().take(own.len() + 1 - cap) {
                sessions.remove(token);
            }
        }
        if sessions.len() >= MAX_SESSIONS {
            return Err(FlightSqlError::limit_reached(format!(
                "the server holds its maximum of {MAX_SESSIONS} sessions; try again later"
            )));
        }
        Ok(())
    }
}

/// A session over a fresh catalog, for unit tests elsewhere in the crate.
#[cfg(test)]
pub(crate) fn test_session() -> Arc<Session> {
    test_session_of(None)
}

/// A session of `user` over a fresh catalog, for unit tests elsewhere in the crate.
#[cfg(test)]
pub(crate) fn test_session_of(user: Option<&str>) -> Arc<Session> {
    SessionRegistry::new(
        SharedCatalog::new(),
        UserStore::default(),
        Duration::from_secs(60),
    )
    .open(user.map(str::to_string))
    .expect("an empty registry has room")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(idle_timeout: Duration) -> SessionRegistry {
        SessionRegistry::new(SharedCatalog::new(), UserStore::default(), idle_timeout)
    }

    #[test]
    fn sessions_are_found_by_token_until_closed() {
        let registry = registry(Duration::from_secs(60));
        let session = registry.open(Some("alice".into())).unwrap();
        let found = registry.find(session.token()).unwrap();
        assert_eq!(found.id(), session.id());
        assert_eq!(found.user(), Some("alice"));
        assert!(registry.close(session.token()));
        assert!(session.is_closed());
        assert!(registry.find(session.token()).is_none());
        assert!(!registry.close(session.token()));
    }

    #[test]
    fn live_sessions_are_listed_under_the_id_their_jobs_carry() {
        let registry = registry(Duration::from_secs(60));
        let kept = registry.open(Some("alice".into())).unwrap();
        let closed = registry.open(None).unwrap();
        registry.close(closed.token());
        let listed = registry.list();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id(), kept.id());
        assert_eq!(kept.id(), kept.ctx().session_id());
        assert!(kept.last_used_at() >= kept.opened_at());
    }

    #[test]
    fn idle_sessions_expire() {
        let registry = registry(Duration::ZERO);
        let session = registry.open(None).unwrap();
        // Any measurable time exceeds a zero timeout.
        let later = Instant::now() + Duration::from_millis(1);
        while Instant::now() < later {}
        assert!(registry.find(session.token()).is_none());
    }

    #[test]
    fn tokens_are_unique() {
        let registry = registry(Duration::from_secs(60));
        assert_ne!(
            registry.open(None).unwrap().token(),
            registry.open(None).unwrap().token()
        );
    }

    #[test]
    fn one_users_sessions_never_push_out_anothers() {
        let registry = registry(Duration::from_secs(60));
        let alice = registry.open(Some("alice".into())).unwrap();
        let bobs: Vec<_> = (0..MAX_SESSIONS_PER_USER + 10)
            .map(|_| registry.open(Some("bob".into())).unwrap())
            .collect();
        assert!(
            registry.find(alice.token()).is_some(),
            "alice was logged out"
        );
        assert!(!alice.is_closed());
        // Bob's oldest sessions made room for his newest.
        assert!(registry.find(bobs[0].token()).is_none());
        assert!(registry.find(bobs[bobs.len() - 1].token()).is_some());
    }
}
