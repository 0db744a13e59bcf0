//! The event loop's side of the operator's views: the picture of jobs and executors it
//! answers [`super::SchedulerHandle::view`] with, the record it keeps of executors that
//! left, and how a job's end is worded there.

use std::time::{Instant, SystemTime};

use trebuchet_shuffle::ids::ExecutorId;

use super::super::cluster_view::{ClusterView, ExecutorState, ExecutorView, JobState};
use super::super::job_history::unix_ms;
use super::super::job_progress::{JobEnd, JobFailure};
use super::{EventLoop, LiveExecutor};

/// Departed executors the operator's views keep.
const DEPARTED_EXECUTORS_KEPT: usize = 100;

impl EventLoop {
    /// Forgets a live executor, last seen at `last_seen`, keeping its last picture for the
    /// operator's views.
    pub(super) fn depart(
        &mut self,
        executor: &ExecutorId,
        state: ExecutorState,
        last_seen: Instant,
        now: Instant,
    ) {
        self.mailboxes.remove(executor);
        if let Some(live) = self.executors.remove(executor) {
            let mut view = self.executor_view(executor, &live, last_seen, now);
            view.state = state;
            view.running_tasks = 0;
            self.departed.push_back(view);
            if self.departed.len() > DEPARTED_EXECUTORS_KEPT {
                self.departed.pop_front();
            }
        }
    }

    fn executor_view(
        &self,
        id: &ExecutorId,
        live: &LiveExecutor,
        last_seen: Instant,
        now: Instant,
    ) -> ExecutorView {
        let draining = self
            .state
            .executor(id)
            .is_some_and(|standing| standing.draining);
        let last_seen = SystemTime::now()
            .checked_sub(now.saturating_duration_since(last_seen))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        ExecutorView {
            executor_id: id.to_string(),
            flight_url: live.flight_url.clone(),
            slots: live.slots,
            running_tasks: self.state.running_tasks_on(id),
            state: if draining {
                ExecutorState::Draining
            } else {
                ExecutorState::Alive
            },
            registered_at_ms: unix_ms(live.registered_at),
            last_seen_ms: unix_ms(last_seen),
        }
    }

    /// The operator's picture: every job in the history, every executor live or departed.
    pub(super) fn view(&self, now: Instant) -> ClusterView {
        let mut live: Vec<ExecutorView> = self
            .executors
            .iter()
            .map(|(id, executor)| {
                let last_seen = self
                    .state
                    .executor(id)
                    .map_or(now, |standing| standing.last_seen);
                self.executor_view(id, executor, last_seen, now)
            })
            .collect();
        live.sort_by(|a, b| a.executor_id.cmp(&b.executor_id));
        ClusterView {
            started_at_ms: unix_ms(self.started_at),
            jobs: self.history.views(&self.state, SystemTime::now()),
            executors: live
                .into_iter()
                .chain(self.departed.iter().rev().cloned())
                .collect(),
        }
    }
}

/// How the operator's views word a job's end.
pub(super) fn outcome_for_views(end: &JobEnd) -> (JobState, Option<String>) {
    match end {
        Ok(()) => (JobState::Succeeded, None),
        Err(failure @ (JobFailure::Cancelled | JobFailure::TimedOut(_))) => {
            (JobState::Cancelled, Some(failure.to_string()))
        }
        Err(failure) => (JobState::Failed, Some(failure.to_string())),
    }
}
