//! What the scheduler has for each executor, waiting for the executor's next `PollWork`.
//!
//! The scheduler never dials executors: it drops work here and wakes the executor's
//! pending poll, so a task launches with no polling delay.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use trebuchet_shuffle::ids::ExecutorId;

use crate::protocol::{PollWorkResponse, TaskDefinition};

/// Deliveries for every executor.
#[derive(Debug, Default)]
pub(crate) struct Mailboxes {
    boxes: Mutex<HashMap<ExecutorId, Arc<Mailbox>>>,
}

#[derive(Debug, Default)]
struct Mailbox {
    pending: Mutex<PollWorkResponse>,
    arrived: Notify,
}

impl Mailboxes {
    fn mailbox(&self, executor: &ExecutorId) -> Arc<Mailbox> {
        Arc::clone(lock(&self.boxes).entry(executor.clone()).or_default())
    }

    pub(crate) fn send_task(&self, executor: &ExecutorId, task: TaskDefinition) {
        self.deliver(executor, |pending| pending.tasks.push(task));
    }

    pub(crate) fn send_cancel(&self, executor: &ExecutorId, job: &str) {
        self.deliver(executor, |pending| pending.cancel_jobs.push(job.into()));
    }

    /// Tells every executor with a mailbox that `job`'s files can go.
    pub(crate) fn broadcast_forget(&self, job: &str) {
        let executors: Vec<ExecutorId> = lock(&self.boxes).keys().cloned().collect();
        for executor in executors {
            self.deliver(&executor, |pending| pending.forget_jobs.push(job.into()));
        }
    }

    /// Drops an executor's mailbox (and whatever was waiting in it).
    pub(crate) fn remove(&self, executor: &ExecutorId) {
        if let Some(mailbox) = lock(&self.boxes).remove(executor) {
            mailbox.arrived.notify_waiters();
        }
    }

    /// Waits up to `wait` for something addressed to `executor`, then takes it all.
    pub(crate) async fn take(&self, executor: &ExecutorId, wait: Duration) -> PollWorkResponse {
        let mailbox = self.mailbox(executor);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = mailbox.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let taken = std::mem::take(&mut *lock(&mailbox.pending));
            if taken != PollWorkResponse::default() {
                return taken;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return PollWorkResponse::default();
            }
        }
    }

    fn deliver(&self, executor: &ExecutorId, add: impl FnOnce(&mut PollWorkResponse)) {
        let mailbox = self.mailbox(executor);
        add(&mut lock(&mailbox.pending));
        mailbox.arrived.notify_waiters();
    }
}

/// Locks, recovering from poisoning: every writer leaves the maps consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_poll_wakes_when_work_arrives() {
        let mailboxes = Arc::new(Mailboxes::default());
        let executor = ExecutorId::new("e1");
        let mut poll = tokio::task::JoinSet::new();
        {
            let mailboxes = Arc::clone(&mailboxes);
            let executor = executor.clone();
            poll.spawn(async move { mailboxes.take(&executor, Duration::from_secs(30)).await });
        }
        tokio::task::yield_now().await;
        mailboxes.send_cancel(&executor, "job-1");
        let taken = tokio::time::timeout(Duration::from_secs(5), poll.join_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(taken.cancel_jobs, vec!["job-1".to_string()]);
    }

    #[tokio::test]
    async fn an_idle_poll_returns_empty_after_its_wait() {
        let mailboxes = Mailboxes::default();
        let taken = mailboxes
            .take(&ExecutorId::new("e1"), Duration::from_millis(10))
            .await;
        assert_eq!(taken, PollWorkResponse::default());
    }
}
