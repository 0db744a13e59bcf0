//! The cluster protocol's server side: turns executors' RPCs into commands for the event
//! loop and hands them what their mailbox holds.

use std::time::Duration;

use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};
use trebuchet_shuffle::ids::ExecutorId;

use super::event_loop::{DrainProgress, SchedulerHandle};
use crate::protocol::{
    DeregisterExecutorRequest, DeregisterExecutorResponse, HeartbeatRequest, HeartbeatResponse,
    MAX_MESSAGE_BYTES, PollWorkRequest, PollWorkResponse, RegisterExecutorRequest,
    RegisterExecutorResponse, ReportTaskRequest, ReportTaskResponse, RequireClusterToken,
    SchedulerRpc, SchedulerServer,
};

/// Longest an executor's poll is held open; it polls again at once.
const MAX_POLL_WAIT: Duration = Duration::from_secs(20);

/// The gRPC service executors call.
#[derive(Debug, Clone)]
pub struct SchedulerService {
    scheduler: SchedulerHandle,
}

impl SchedulerService {
    pub fn new(scheduler: SchedulerHandle) -> Self {
        Self { scheduler }
    }

    /// The tonic service, with message limits large enough for any stage plan, accepting
    /// only callers that present the scheduler's cluster secret.
    pub fn into_server(self) -> InterceptedService<SchedulerServer<Self>, RequireClusterToken> {
        let token = RequireClusterToken::new(self.scheduler.cluster_secret());
        let server = SchedulerServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        InterceptedService::new(server, token)
    }
}

#[tonic::async_trait]
impl SchedulerRpc for SchedulerService {
    async fn register_executor(
        &self,
        request: Request<RegisterExecutorRequest>,
    ) -> Result<Response<RegisterExecutorResponse>, Status> {
        let request = request.into_inner();
        let ours = self.scheduler.policy();
        if request.scheduler_policy != ours.as_str() {
            let theirs = match request.scheduler_policy.as_str() {
                "" => "no --scheduler-policy (an older version)".to_string(),
                policy => format!("--scheduler-policy {policy}"),
            };
            return Err(Status::failed_precondition(format!(
                "the executor uses {theirs} but the scheduler uses {ours}: start both with the \
                 same policy and version"
            )));
        }
        let executor = request
            .executor
            .filter(|executor| !executor.id.is_empty() && !executor.flight_url.is_empty())
            .ok_or_else(|| Status::invalid_argument("an executor needs an id and a Flight URL"))?;
        self.scheduler.register(executor);
        Ok(Response::new(RegisterExecutorResponse {}))
    }

    async fn heartbeat(
        &self,
        request: Request<HeartbeatRequest>,
    ) -> Result<Response<HeartbeatResponse>, Status> {
        let request = request.into_inner();
        let executor = ExecutorId::new(request.executor_id);
        if request.draining {
            let progress = self.scheduler.drain(executor).await;
            return Ok(Response::new(HeartbeatResponse {
                reregister: progress == DrainProgress::Unknown,
                released: progress == DrainProgress::Released,
            }));
        }
        let known = self.scheduler.alive(executor).await;
        Ok(Response::new(HeartbeatResponse {
            reregister: !known,
            released: false,
        }))
    }

    async fn poll_work(
        &self,
        request: Request<PollWorkRequest>,
    ) -> Result<Response<PollWorkResponse>, Status> {
        let request = request.into_inner();
        let executor = ExecutorId::new(request.executor_id);
        if !self.scheduler.alive(executor.clone()).await {
            return Ok(Response::new(PollWorkResponse {
                reregister: true,
                ..PollWorkResponse::default()
            }));
        }
        let wait = Duration::from_millis(u64::from(request.wait_millis)).min(MAX_POLL_WAIT);
        let work = self
            .scheduler
            .mailboxes()
            .take(&executor, request.acknowledged, wait)
            .await;
        Ok(Response::new(work))
    }

    async fn report_task(
        &self,
        request: Request<ReportTaskRequest>,
    ) -> Result<Response<ReportTaskResponse>, Status> {
        let request = request.into_inner();
        let status = request
            .status
            .ok_or_else(|| Status::invalid_argument("a task report needs a status"))?;
        self.scheduler
            .report(ExecutorId::new(request.executor_id), status);
        Ok(Response::new(ReportTaskResponse {}))
    }

    async fn deregister_executor(
        &self,
        request: Request<DeregisterExecutorRequest>,
    ) -> Result<Response<DeregisterExecutorResponse>, Status> {
        let executor = ExecutorId::new(request.into_inner().executor_id);
        self.scheduler.deregister(executor);
        Ok(Response::new(DeregisterExecutorResponse {}))
    }
}
