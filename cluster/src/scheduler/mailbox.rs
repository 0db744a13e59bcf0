//! What the scheduler has for each executor, waiting for the executor's next `PollWork`.
//!
//! The scheduler never dials executors: it drops work here and wakes the executor's
//! pending poll, so a task launches with no polling delay.
//!
//! Delivery is acknowledged: every non-empty reply is numbered, and the executor's next poll
//! names the last number it received. A reply that never arrived (the connection broke, or
//! it could not be sent) is sent again, so no task is lost between the two.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use trebuchet_shuffle::ids::ExecutorId;

use crate::protocol::{PollWorkResponse, TaskDefinition};
use crate::sync::lock;

/// Deliveries for every executor.
#[derive(Debug, Default)]
pub(crate) struct Mailboxes {
    boxes: Mutex<HashMap<ExecutorId, Arc<Mailbox>>>,
}

#[derive(Debug, Default)]
struct Mailbox {
    pending: Mutex<Outbox>,
    arrived: Notify,
}

#[derive(Debug, Default)]
struct Outbox {
    /// What the next reply carries.
    next: PollWorkResponse,
    /// The last reply sent, until the executor acknowledges it.
    unacknowledged: Option<PollWorkResponse>,
    last_delivery: u64,
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
    /// `acknowledged` is the delivery number of the last reply the executor received: an
    /// unacknowledged earlier reply is sent again first.
    pub(crate) async fn take(
        &self,
        executor: &ExecutorId,
        acknowledged: u64,
        wait: Duration,
    ) -> PollWorkResponse {
        let mailbox = self.mailbox(executor);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = mailbox.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let mut outbox = lock(&mailbox.pending);
                if let Some(resend) = outbox.unacknowledged.take()
                    && resend.delivery != acknowledged
                {
                    tracing::debug!(executor = %executor, delivery = resend.delivery, "sending an unacknowledged reply again");
                    outbox.unacknowledged = Some(resend.clone());
                    return resend;
                }
                if outbox.next != PollWorkResponse::default() {
                    outbox.last_delivery += 1;
                    let mut reply = std::mem::take(&mut outbox.next);
                    reply.delivery = outbox.last_delivery;
                    outbox.unacknowledged = Some(reply.clone());
                    return reply;
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return PollWorkResponse::default();
            }
        }
    }

    fn deliver(&self, executor: &ExecutorId, add: impl FnOnce(&mut PollWorkResponse)) {
        let mailbox = self.mailbox(executor);
        add(&mut lock(&mailbox.pending).next);
        mailbox.arrived.notify_waiters();
    }
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
            poll.spawn(async move { mailboxes.take(&executor, 0, Duration::from_secs(30)).await });
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
            .take(&ExecutorId::new("e1"), 0, Duration::from_millis(10))
            .await;
        assert_eq!(taken, PollWorkResponse::default());
    }

    #[tokio::test]
    async fn a_reply_the_executor_did_not_acknowledge_is_sent_again() {
        let mailboxes = Mailboxes::default();
        let executor = ExecutorId::new("e1");
        let wait = Duration::from_millis(10);
        mailboxes.send_cancel(&executor, "job-1");
        let first = mailboxes.take(&executor, 0, wait).await;
        assert_eq!(first.cancel_jobs, vec!["job-1".to_string()]);
        // The reply was lost: the next poll still acknowledges 0.
        let again = mailboxes.take(&executor, 0, wait).await;
        assert_eq!(again, first);
        // Acknowledged: nothing more to send.
        let after = mailboxes.take(&executor, first.delivery, wait).await;
        assert_eq!(after, PollWorkResponse::default());
    }
}
