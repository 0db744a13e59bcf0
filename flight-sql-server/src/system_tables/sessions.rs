//! `system.sessions`: the live sessions of this server (idle ones expire), oldest first.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;

use super::columns::{boolean_field, booleans, text, text_field, timestamp_field, timestamps};
use crate::session::Session;

/// The columns of `system.sessions`:
///
/// | column | type | meaning |
/// |---|---|---|
/// | `session_id` | text | its id, as in the logs and `system.jobs.session_id` |
/// | `user_name` | text, null | its user; null on a server without users |
/// | `opened_at` | timestamp (UTC) | when the client opened it |
/// | `last_used_at` | timestamp (UTC) | its last call; it expires after `--session-idle-timeout` |
/// | `is_current` | boolean | whether it is the session running this query |
pub(super) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text_field("session_id", false),
        text_field("user_name", true),
        timestamp_field("opened_at", false),
        timestamp_field("last_used_at", false),
        boolean_field("is_current"),
    ]))
}

/// The rows of `sessions`, as seen from the session `current_session_id`.
pub(super) fn batch(
    sessions: &[Arc<Session>],
    current_session_id: &str,
) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(
        schema(),
        vec![
            text(sessions.iter().map(|session| Some(session.id()))),
            text(sessions.iter().map(|session| session.user())),
            timestamps(
                sessions
                    .iter()
                    .map(|session| Some(epoch_ms(session.opened_at()))),
            ),
            timestamps(
                sessions
                    .iter()
                    .map(|session| Some(epoch_ms(session.last_used_at()))),
            ),
            booleans(
                sessions
                    .iter()
                    .map(|session| session.id() == current_session_id),
            ),
        ],
    )
}

fn epoch_ms(instant: SystemTime) -> u64 {
    let since_epoch = instant.duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
}
