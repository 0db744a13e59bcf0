//! [`JobLabel`]: who ran a job and what they typed, for the operator's views (REST API,
//! web UI, `system.jobs`). The front door puts it in the session config of the task
//! context a query runs with; the engine reads it from there when it submits the job, so
//! no engine signature has to carry it.

use datafusion::execution::TaskContext;

/// The user and the SQL text of a query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobLabel {
    /// The authenticated user; `None` on a server without users.
    pub user: Option<String>,
    /// The statement as the client sent it.
    pub sql: String,
}

impl JobLabel {
    /// The label the front door attached to `task_ctx`, or an empty one.
    pub fn of(task_ctx: &TaskContext) -> Self {
        task_ctx
            .session_config()
            .get_extension::<Self>()
            .map(|label| (*label).clone())
            .unwrap_or_default()
    }
}
