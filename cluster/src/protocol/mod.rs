//! The cluster protocol: the gRPC service executors call on the scheduler
//! (`trebuchet.cluster.v1.Scheduler`), served on the same port as Flight SQL.
//!
//! ```text
//!   executor ── RegisterExecutor ─▶ scheduler     once, and again when told to
//!   executor ── Heartbeat ────────▶ scheduler     every few seconds
//!   executor ── PollWork ─────────▶ scheduler     held open until tasks, cancels or forgets
//!   executor ── ReportTask ───────▶ scheduler     as each task ends, with its shuffle files
//!   executor ── Heartbeat{draining} ▶ scheduler   when leaving: no new tasks; until released
//!   executor ── DeregisterExecutor ▶ scheduler    when released (or its drain timed out)
//! ```
//!
//! Executors always call; the scheduler never dials an executor for control, so an
//! executor behind NAT works as long as its Flight port is reachable for shuffle reads.

mod cluster_token;
mod messages;

pub use cluster_token::{PresentClusterToken, RequireClusterToken};

pub use messages::*;

#[allow(
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    clippy::all,
    clippy::restriction,
    rust_2018_idioms,
    missing_docs
)]
mod generated {
    include!(concat!(
        env!("OUT_DIR"),
        "/trebuchet.cluster.v1.Scheduler.rs"
    ));
}

pub use generated::scheduler_client::SchedulerClient;
pub use generated::scheduler_server::{Scheduler as SchedulerRpc, SchedulerServer};

/// Largest gRPC message the cluster sends or accepts: a stage plan can embed in-memory
/// tables and long expression lists (TPC-H q11, q21, q22 at scale), far past gRPC's 4 MiB
/// default and past 16 MiB.
pub const MAX_MESSAGE_BYTES: usize = 512 << 20;
