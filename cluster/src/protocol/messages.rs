//! The messages of the cluster protocol, as prost structs. Field tags are the wire
//! contract between scheduler and executors of different builds: never reuse a tag.

use std::collections::HashMap;

use prost::{Message, Oneof};

/// Who an executor is and how to reach it.
#[derive(Clone, PartialEq, Message)]
pub struct ExecutorMetadata {
    #[prost(string, tag = "1")]
    pub id: String,
    /// Where its Arrow Flight service (shuffle files) listens, e.g. `http://10.0.0.7:50051`.
    #[prost(string, tag = "2")]
    pub flight_url: String,
    /// Tasks it runs at once.
    #[prost(uint32, tag = "3")]
    pub task_slots: u32,
    /// Bytes of memory pool each task gets (`--memory-pool-size` / slots); 0 without a
    /// pool. The adaptive planner keeps hash joins' build sides well below it.
    #[prost(uint64, tag = "4")]
    pub task_memory_bytes: u64,
}

#[derive(Clone, PartialEq, Message)]
pub struct RegisterExecutorRequest {
    #[prost(message, optional, tag = "1")]
    pub executor: Option<ExecutorMetadata>,
    /// The executor's `--scheduler-policy`; it must be the scheduler's.
    #[prost(string, tag = "2")]
    pub scheduler_policy: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct RegisterExecutorResponse {}

#[derive(Clone, PartialEq, Message)]
pub struct HeartbeatRequest {
    #[prost(string, tag = "1")]
    pub executor_id: String,
    /// The executor is leaving (it got SIGTERM): place no more tasks on it. It finishes
    /// the tasks it runs and keeps serving its shuffle output meanwhile.
    #[prost(bool, tag = "2")]
    pub draining: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct HeartbeatResponse {
    /// The scheduler does not know this executor (it restarted, or declared the executor
    /// lost): register again.
    #[prost(bool, tag = "1")]
    pub reregister: bool,
    /// To a draining executor: nothing of it is needed any more (no task of it runs and
    /// no job that may read its output is left), so it may deregister and go.
    #[prost(bool, tag = "2")]
    pub released: bool,
}

/// An executor leaves the cluster: it is forgotten at once, not declared lost later.
#[derive(Clone, PartialEq, Message)]
pub struct DeregisterExecutorRequest {
    #[prost(string, tag = "1")]
    pub executor_id: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct DeregisterExecutorResponse {}

/// Asks for work; the scheduler holds the call until it has some or `wait_millis` pass.
#[derive(Clone, PartialEq, Message)]
pub struct PollWorkRequest {
    #[prost(string, tag = "1")]
    pub executor_id: String,
    #[prost(uint32, tag = "2")]
    pub wait_millis: u32,
    /// The `delivery` of the last reply received (0: none yet).
    #[prost(uint64, tag = "3")]
    pub acknowledged: u64,
}

#[derive(Clone, PartialEq, Message)]
pub struct PollWorkResponse {
    #[prost(message, repeated, tag = "1")]
    pub tasks: Vec<TaskDefinition>,
    /// Jobs whose running tasks must stop.
    #[prost(string, repeated, tag = "2")]
    pub cancel_jobs: Vec<String>,
    /// Jobs whose shuffle files can be deleted.
    #[prost(string, repeated, tag = "3")]
    pub forget_jobs: Vec<String>,
    #[prost(bool, tag = "4")]
    pub reregister: bool,
    /// Numbers a non-empty reply, for the executor to acknowledge in its next poll.
    #[prost(uint64, tag = "5")]
    pub delivery: u64,
}

/// One task: one input partition of one stage.
#[derive(Clone, PartialEq, Message)]
pub struct TaskDefinition {
    #[prost(string, tag = "1")]
    pub job_id: String,
    #[prost(uint32, tag = "2")]
    pub stage_id: u32,
    #[prost(uint32, tag = "3")]
    pub partition: u32,
    #[prost(uint32, tag = "4")]
    pub attempt: u32,
    /// The stage's plan (datafusion-proto plus our codec), readers resolved.
    #[prost(bytes = "bytes", tag = "5")]
    pub plan: bytes::Bytes,
    /// The session's settings (`datafusion.*`, `ballista.*`) the task runs with.
    #[prost(map = "string, string", tag = "6")]
    pub session_config: HashMap<String, String>,
    #[prost(string, tag = "7")]
    pub session_id: String,
    /// The object stores the stage scans, with the options to reach them (secrets
    /// included: this message travels only over the authenticated cluster connection).
    #[prost(message, repeated, tag = "8")]
    pub object_stores: Vec<crate::ObjectStoreOptions>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ReportTaskRequest {
    #[prost(string, tag = "1")]
    pub executor_id: String,
    #[prost(message, optional, tag = "2")]
    pub status: Option<TaskStatus>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ReportTaskResponse {}

/// How a task ended.
#[derive(Clone, PartialEq, Message)]
pub struct TaskStatus {
    #[prost(string, tag = "1")]
    pub job_id: String,
    #[prost(uint32, tag = "2")]
    pub stage_id: u32,
    #[prost(uint32, tag = "3")]
    pub partition: u32,
    #[prost(uint32, tag = "4")]
    pub attempt: u32,
    #[prost(oneof = "TaskOutcomeMessage", tags = "5, 6")]
    pub outcome: Option<TaskOutcomeMessage>,
}

#[derive(Clone, PartialEq, Oneof)]
pub enum TaskOutcomeMessage {
    #[prost(message, tag = "5")]
    Succeeded(TaskSucceeded),
    #[prost(message, tag = "6")]
    Failed(TaskFailed),
}

#[derive(Clone, PartialEq, Message)]
pub struct TaskSucceeded {
    /// The shuffle files the task wrote, one entry per output partition.
    #[prost(message, repeated, tag = "1")]
    pub files: Vec<ShuffleFile>,
    /// How long the task ran on the executor, decoding included.
    #[prost(uint64, tag = "2")]
    pub elapsed_ms: u64,
    /// What its operators spilled to disk.
    #[prost(uint64, tag = "3")]
    pub spilled_bytes: u64,
    /// Each operator of the plan it ran, in pre-order, with its metrics: what
    /// `EXPLAIN ANALYZE` and the REST API show per stage.
    #[prost(message, repeated, tag = "4")]
    pub operators: Vec<OperatorMetrics>,
}

/// One operator of a task's plan and what it measured.
#[derive(Clone, PartialEq, Message)]
pub struct OperatorMetrics {
    /// Its depth in the plan: 0 for the stage's root.
    #[prost(uint32, tag = "1")]
    pub depth: u32,
    /// The operator as EXPLAIN prints it on one line.
    #[prost(string, tag = "2")]
    pub operator: String,
    #[prost(message, repeated, tag = "3")]
    pub metrics: Vec<MetricEntry>,
}

/// One metric of an operator, summed over the task's partitions.
#[derive(Clone, PartialEq, Message)]
pub struct MetricEntry {
    #[prost(string, tag = "1")]
    pub name: String,
    /// How the value reads ([`crate::MetricKind`]'s wire number): a count, bytes, a time
    /// in nanoseconds, or a gauge.
    #[prost(uint32, tag = "2")]
    pub kind: u32,
    #[prost(uint64, tag = "3")]
    pub value: u64,
    /// Shown at `datafusion.explain.analyze_level = summary` too, not only at `dev`.
    #[prost(bool, tag = "4")]
    pub summary: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct ShuffleFile {
    #[prost(uint32, tag = "1")]
    pub output_partition: u32,
    #[prost(string, tag = "2")]
    pub path: String,
    #[prost(uint64, tag = "3")]
    pub num_rows: u64,
    #[prost(uint64, tag = "4")]
    pub num_bytes: u64,
    /// The entry of the file's index holding the partition (sort-based shuffle).
    #[prost(uint32, optional, tag = "5")]
    pub index_entry: Option<u32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TaskFailed {
    #[prost(string, tag = "1")]
    pub message: String,
    /// Worth another attempt (a failed fetch, a lost peer); a SQL error is not.
    #[prost(bool, tag = "2")]
    pub retryable: bool,
    /// The executor a shuffle fetch failed from, if that is why the task failed: its
    /// output is gone or unreachable, and the scheduler treats it as lost.
    #[prost(string, tag = "3")]
    pub unreachable_executor: String,
    /// What kind of failure it was ([`crate::FailureKind::to_wire`]): the client's status
    /// code says so, not only the words.
    #[prost(int32, tag = "5")]
    pub kind: i32,
}
