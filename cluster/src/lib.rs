//! # trebuchet-cluster: the control plane
//!
//! Everything between a planned query and its result stream:
//!
//! ```text
//!   flight-sql-server ──plan──▶ ClusterEngine ──stages──▶ scheduler event loop
//!                                                           │ tasks via PollWork
//!                                                           ▼
//!                                   executors: decode, run, write shuffle files,
//!                                   serve them over Arrow Flight, ReportTask
//!   ◀── final stage's partitions, fetched by the scheduler ──┘
//! ```
//!
//! Start at [`ClusterEngine`] (what a query does), then [`scheduler`] (who runs what
//! where), [`protocol`] (what crosses the wire) and [`start_executor`]. It also owns what
//! every process of a cluster must agree on: the session defaults
//! ([`default_session_config`]), our `ballista.*` session keys ([`BallistaOptions`]) and
//! human-readable sizes ([`ByteSize`]), and the planning runtime whose deep stacks plans
//! are built, cut, run in-process and dropped on ([`on_planning_stack`]).

mod ballista_options;
mod broadcast_joins;
mod byte_size;
mod cluster_engine;
mod coalesce_partitions;
mod codec;
mod decodable_stages;
mod distributed_analyze;
mod empty_stages;
mod error;
mod estimated_bytes;
mod executor;
mod expr_codec;
mod final_partition;
mod http;
mod job_timeout;
mod join_strategy;
mod local_engine;
mod memory_scans;
mod metrics;
mod object_stores;
mod operator_metrics;
mod physical_rules;
mod planning_runtime;
pub mod protocol;
mod query_placement;
mod result_partitions;
mod scalar_subqueries;
mod scan_partitions;
pub mod scheduler;
mod scheduler_policy;
mod selective_joins;
mod series_codec;
mod session_defaults;
mod shared_state_joins;
mod single_task;
mod skew_joins;
mod stage_planner;
#[cfg(test)]
mod staged_engine;
mod sync;
mod task_failure;
#[cfg(test)]
mod test_support;
mod unlimited_join_inputs;
mod window_codec;

pub use ballista_options::{BallistaOptions, SortShuffleOptions};
pub use broadcast_joins::BroadcastJoins;
pub use byte_size::ByteSize;
pub use cluster_engine::{ClusterEngine, MAX_TASKS_PER_STAGE, ResultEndpoints};
pub use coalesce_partitions::AdaptivePlanning;
pub use codec::{PlanCodec, decode_plan, encode_plan, schema_bytes};
pub use error::{ClusterError, Result};
pub use executor::{ExecutorConfig, RunningExecutor, default_concurrent_tasks, start_executor};
pub use http::{GrpcOrHttp, GrpcOrHttpLayer, Readiness, health_routes};
pub use local_engine::{LocalEngine, QueryEngine};
pub use metrics::{PROMETHEUS_TEXT_FORMAT, SchedulerMetrics};
pub use object_stores::{
    Configured, ConfiguredStores, ObjectStoreOptions, REDACTED, build_object_store,
    is_secret_option, names_server_credentials, store_namespace,
};
pub use operator_metrics::{MetricKind, metrics_text};
pub use physical_rules::physical_optimizer_rules;
pub use planning_runtime::{
    DeepPlan, PLANNING_STACK_BYTES, on_planning_stack, stream_on_planning_stack,
};
pub use scalar_subqueries::split_scalar_subqueries;
pub use scan_partitions::ScanPartitions;
pub use scheduler_policy::{PULL_INTERVAL, SchedulerPolicy};
pub use selective_joins::SelectiveJoinsFirst;
pub use session_defaults::{
    ServerSessionDefaults, changed_settings, default_session_config, reset_session_option,
};
pub use shared_state_joins::SharedStateJoins;
pub use skew_joins::SkewJoinLimits;
pub use stage_planner::{QueryStage, StagePlan, plan_stages};
pub use task_failure::{FailureKind, TaskFailure};
pub use trebuchet_shuffle::{
    ClusterSecret, ClusterTls, FetchGrant, FlightDataStream, MAX_UNREAD_RESULT_BYTES,
    ShuffleFormat, ShuffleLayout, ShuffleMemory, SortShuffleConfig, ids, install_cluster_tls,
};
