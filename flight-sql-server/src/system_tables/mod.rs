//! The `system` schema: the scheduler's jobs, stages, tasks and executors and the server's
//! sessions as SQL tables, for users who only have a SQL client (JDBC, ADBC, a BI tool):
//!
//! ```sql
//! SELECT job_id, user_name, state, duration_ms, rows_out FROM system.jobs;
//! SELECT * FROM system.stages s JOIN system.jobs j USING (job_id) WHERE j.state = 'failed';
//! ```
//!
//! | table | one row per | columns |
//! |---|---|---|
//! | `system.jobs` | job | see `jobs.rs` |
//! | `system.stages` | stage of a job | see `stages.rs` |
//! | `system.tasks` | task of a stage (its latest attempt) | see `tasks.rs` |
//! | `system.executors` | executor, live or departed | see `executors.rs` |
//! | `system.sessions` | live session of this server | see `sessions.rs` |
//!
//! - **Access:** with users configured, a user sees only their own jobs (and their
//!   stages and tasks) and sessions; an admin (`--admin NAME`) sees everyone's. Without
//!   users, everyone sees everything ([`crate::viewer`]).
//! - **History:** running jobs, then the last `--job-history` ended ones; nothing
//!   survives a restart of the scheduler.
//! - **Freshness:** rows are read when the query is planned. A query reading `system.*`
//!   runs as a job itself (an in-memory scan shipped to an executor, like any in-memory
//!   table), so it shows in `system.jobs` from the next query on, not in its own result;
//!   one DataFusion answers from statistics alone (`SELECT count(*) FROM system.jobs`)
//!   reads no data and runs on the scheduler without a job.
//! - **Read-only:** creating, dropping or writing tables in `system` is refused
//!   ([`refuse_system_changes`]).

mod columns;
mod executors;
mod jobs;
mod read_only;
mod sessions;
mod source;
mod stages;
mod system_catalog;
mod system_schema;
mod system_table;
mod tasks;

pub(crate) use read_only::refuse_system_changes;
pub(crate) use source::SystemTables;
pub(crate) use system_catalog::CatalogListWithSystem;
pub(crate) use system_schema::SystemSchema;
