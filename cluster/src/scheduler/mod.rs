//! The scheduler's job, stage and task bookkeeping: a pure state machine
//! ([`SchedulerState::apply`]) that an event loop will own. Placement of tasks on executors
//! is a separate pure policy ([`placement`]). Nothing here performs I/O or reads a clock.

mod event;
mod placement;
mod state;

pub use event::{Action, Event, JobOutcome, StageSpec, TaskOutcome};
pub use state::{JobStatus, Limits, SchedulerState};
