//! The scheduler: job, stage and task bookkeeping as a pure state machine
//! ([`SchedulerState::apply`]), owned by one event loop ([`SchedulerHandle`]) that
//! executors reach through the cluster protocol ([`SchedulerService`]). Placement of tasks
//! on executors is a separate pure policy ([`placement`]).

mod cluster_view;
mod event;
mod event_loop;
mod job_history;
mod job_label;
mod job_progress;
mod mailbox;
mod placement;
mod rpc;
mod state;

pub use cluster_view::{
    ClusterView, ExecutorState, ExecutorView, JobState, JobView, OperatorView, StageState,
    StageView, TaskCounts, TaskState, TaskView,
};
pub use event::{Action, Event, StageSpec, TaskOutcome};
#[cfg(test)]
pub(crate) use event_loop::resolve_readers;
pub use event_loop::{JobSubmission, SchedulerHandle, SchedulerSettings, StopOutcome, TaskMemory};
pub use job_history::DEFAULT_JOB_HISTORY;
pub use job_label::JobLabel;
pub use job_progress::{FinalOutput, FinalTask, JobEnd, JobFailure, JobProgress};
pub use rpc::SchedulerService;
pub use state::{JobStatus, Limits, SchedulerState, StageProgress, TaskProgress};
