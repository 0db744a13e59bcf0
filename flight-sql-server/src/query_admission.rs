//! How many queries each user may have running at once: a query counts from the moment it
//! is started (`GetFlightInfo` of a query, or the `DoGet` of a lazy ticket) until the call
//! that started it returns, and every result stream counts while it is read. Past the
//! limit a new query is refused with `RESOURCE_EXHAUSTED`, so one user's burst cannot take
//! every executor slot and stream from everyone else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

use crate::error::{FlightSqlError, Result};
use crate::mutex::lock;

/// The default of `--max-queries-per-user`.
pub(crate) const DEFAULT_MAX_QUERIES_PER_USER: u32 = 64;

/// Counts each user's running queries.
#[derive(Debug)]
pub(crate) struct QueryAdmission {
    max_per_user: usize,
    running: Arc<Mutex<HashMap<String, usize>>>,
}

/// One admitted query; it stops counting when dropped.
#[derive(Debug)]
pub(crate) struct AdmittedQuery {
    user: String,
    running: Arc<Mutex<HashMap<String, usize>>>,
}

impl QueryAdmission {
    pub(crate) fn new(max_per_user: usize) -> Self {
        Self {
            max_per_user,
            running: Arc::default(),
        }
    }

    /// Admits one more query of `user` (`None`: the anonymous user), or refuses it.
    pub(crate) fn admit(&self, user: Option<&str>) -> Result<AdmittedQuery> {
        let user = user.unwrap_or_default().to_string();
        let mut running = lock(&self.running);
        let count = running.entry(user.clone()).or_default();
        if *count >= self.max_per_user {
            return Err(FlightSqlError::limit_reached(format!(
                "{} already has {} queries running, the most a user may have at once \
                 (--max-queries-per-user); wait for one to finish",
                if user.is_empty() {
                    "this server's anonymous user"
                } else {
                    &user
                },
                self.max_per_user
            )));
        }
        *count += 1;
        Ok(AdmittedQuery {
            user,
            running: Arc::clone(&self.running),
        })
    }
}

impl AdmittedQuery {
    /// `batches`, counting as this query until the stream ends or is dropped.
    pub(crate) fn hold_while_streaming(
        self,
        batches: SendableRecordBatchStream,
    ) -> SendableRecordBatchStream {
        let schema = batches.schema();
        let held = batches.map(move |batch| {
            let _admitted = &self;
            batch
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, held))
    }
}

impl Drop for AdmittedQuery {
    fn drop(&mut self) {
        let mut running = lock(&self.running);
        if let Some(count) = running.get_mut(&self.user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_has_a_limit_of_their_own() {
        let admission = QueryAdmission::new(2);
        let first = admission.admit(Some("bob")).unwrap();
        let _second = admission.admit(Some("bob")).unwrap();
        let refused = admission.admit(Some("bob")).unwrap_err();
        assert!(
            matches!(refused, FlightSqlError::LimitReached { .. }),
            "{refused}"
        );
        assert!(
            admission.admit(Some("alice")).is_ok(),
            "bob's queries do not count for alice"
        );
        drop(first);
        assert!(
            admission.admit(Some("bob")).is_ok(),
            "a finished query frees its place"
        );
    }
}
