//! `system.executors`: every executor the scheduler knows, live ones first, then departed
//! ones (lost or left), most recent first. Everyone sees all executors: they belong to no
//! user.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;
use trebuchet_cluster::scheduler::ExecutorView;

use super::columns::{counts, integer_field, text, text_field, timestamp_field, timestamps};

/// The columns of `system.executors`:
///
/// | column | type | meaning |
/// |---|---|---|
/// | `executor_id` | text | its id, as in the logs and `system.tasks.executor_id` |
/// | `flight_url` | text | where its Arrow Flight service (shuffle and result files) listens |
/// | `state` | text | `alive`, `draining` (finishing its tasks, getting no new one), `lost` or `left` |
/// | `slots` | bigint | tasks it runs at once |
/// | `running_tasks` | bigint | tasks it runs now |
/// | `registered_at` | timestamp (UTC) | when it joined |
/// | `last_seen` | timestamp (UTC) | its last heartbeat or poll |
pub(super) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text_field("executor_id", false),
        text_field("flight_url", false),
        text_field("state", false),
        integer_field("slots", false),
        integer_field("running_tasks", false),
        timestamp_field("registered_at", false),
        timestamp_field("last_seen", false),
    ]))
}

/// The rows of `executors`.
pub(super) fn batch(executors: &[ExecutorView]) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(
        schema(),
        vec![
            text(
                executors
                    .iter()
                    .map(|executor| Some(executor.executor_id.as_str())),
            ),
            text(
                executors
                    .iter()
                    .map(|executor| Some(executor.flight_url.as_str())),
            ),
            text(
                executors
                    .iter()
                    .map(|executor| Some(executor.state.as_str())),
            ),
            counts(executors.iter().map(|executor| executor.slots)),
            counts(executors.iter().map(|executor| executor.running_tasks)),
            timestamps(
                executors
                    .iter()
                    .map(|executor| Some(executor.registered_at_ms)),
            ),
            timestamps(executors.iter().map(|executor| Some(executor.last_seen_ms))),
        ],
    )
}
