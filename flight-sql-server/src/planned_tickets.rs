//! [`PlannedTickets`]: statements a `GetFlightInfo` planned but did not start, kept for
//! the `DoGet` of their ticket so that a query is planned once, not once per call.
//!
//! Queries that run on the scheduler (`SELECT 1`, catalog views) and every query of a
//! server handing out a single endpoint are started only when their ticket is redeemed.
//! Planning them again there cost as much as the first time; the plan made for the
//! `FlightInfo` is the one whose schema the client was given, so it is also the right one
//! to run. A ticket whose plan is gone (never redeemed before newer ones pushed it out, or
//! redeemed twice) is planned again from its SQL, as before.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::mutex::lock;
use crate::query::PlannedStatement;

/// Most plans a session keeps waiting for their `DoGet`: a client redeems a ticket right
/// after its `FlightInfo`, so a few cover it; more would only hold plans nobody reads.
const KEPT_PER_SESSION: usize = 8;

/// One session's planned statements, by query id, oldest first.
#[derive(Debug, Default)]
pub(crate) struct PlannedTickets {
    kept: Mutex<VecDeque<(String, PlannedStatement)>>,
}

impl PlannedTickets {
    /// Keeps `statement` for the ticket of `query_id`, dropping the oldest beyond the cap.
    pub(crate) fn keep(&self, query_id: &str, statement: PlannedStatement) {
        let evicted = {
            let mut kept = lock(&self.kept);
            kept.push_back((query_id.to_string(), statement));
            let over = kept.len().saturating_sub(KEPT_PER_SESSION);
            kept.drain(..over).collect::<Vec<_>>()
        };
        // Dropped outside the lock: a plan's drop may hand it to the planning runtime.
        drop(evicted);
    }

    /// The statement kept for `query_id`, taken out: each ticket's plan runs once.
    pub(crate) fn take(&self, query_id: &str) -> Option<PlannedStatement> {
        let mut kept = lock(&self.kept);
        let position = kept.iter().position(|(id, _)| id == query_id)?;
        kept.remove(position).map(|(_, statement)| statement)
    }
}
