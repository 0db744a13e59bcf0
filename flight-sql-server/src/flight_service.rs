//! [`FlightSqlEndpoint`]: the Flight service clients talk to. arrow-flight's blanket
//! `FlightService` for a `FlightSqlService` answers `PollFlightInfo` with UNIMPLEMENTED by
//! itself; this wrapper answers it and hands every other call to that service.
//!
//! `PollFlightInfo` (ADBC's incremental execution) starts the query as `GetFlightInfo`
//! does. When it is ready within a moment, the answer is all of it: every endpoint,
//! progress 1.0, no descriptor to poll again. Otherwise the answer has no endpoint yet,
//! the share of the query's tasks done as its progress, and a sealed descriptor to poll
//! with, which only the session that started the query may use (`pending_polls.rs`).
//!
//! `DoGet` answers are counted as they leave: the bytes of their Arrow IPC messages are
//! the scheduler's `trebuchet_result_bytes_total`.
//!
//! `GetSchema` (ADBC's `execute_schema`) of a statement or prepared statement plans it and
//! answers with the schema its results will have, without running it: a DDL statement's
//! schema is empty and the statement has no effect.

use std::sync::Arc;

use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::SchemaAsIpc;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::{Any, Command};
use arrow_flight::{
    Action, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest, PollInfo,
    SchemaResult, Ticket,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::TryStreamExt;
use prost::Message;
use tonic::{Request, Response, Status, Streaming};
use trebuchet_cluster::SchedulerMetrics;

use crate::error::FlightSqlError;
use crate::handle::PreparedStatementHandle;
use crate::handle_seal::{HandleKind, HandleSeal};
use crate::parameters::rewrite_question_marks;
use crate::pending_polls::{PendingPolls, Polled};
use crate::query::{PlannedStatement, result_schema};
use crate::service::{TrebuchetFlightService, session};
use crate::session::Session;

/// Trebuchet's Flight SQL service, with the `PollFlightInfo` and `GetSchema` arrow-flight
/// leaves out.
#[derive(Debug)]
pub(crate) struct FlightSqlEndpoint {
    inner: Arc<TrebuchetFlightService>,
    metrics: Arc<SchedulerMetrics>,
    polls: PendingPolls,
}

impl FlightSqlEndpoint {
    pub(crate) fn new(inner: TrebuchetFlightService, metrics: Arc<SchedulerMetrics>) -> Self {
        Self {
            inner: Arc::new(inner),
            metrics,
            polls: PendingPolls::default(),
        }
    }

    /// The answer to a poll: final when the query is done, else its progress and a
    /// descriptor to poll again, sealed for `caller`.
    async fn poll_info(&self, caller: &Session, polled: Polled) -> Result<PollInfo, Status> {
        let query = match polled {
            Polled::Done(info) => {
                return Ok(PollInfo {
                    info: Some(info?),
                    flight_descriptor: None,
                    progress: Some(1.0),
                    expiration_time: None,
                });
            }
            Polled::Running(query) => query,
        };
        let progress = self
            .inner
            .engine()
            .progress(&query.session_id, query.started_at_ms)
            .await
            .unwrap_or(0.0);
        let sealed = self.inner.seal().seal(
            HandleKind::Poll,
            caller,
            query.poll_id.to_le_bytes().to_vec(),
        );
        Ok(PollInfo {
            // No endpoint yet: they all come with the final answer.
            info: Some(FlightInfo::new()),
            flight_descriptor: Some(FlightDescriptor::new_path(vec![
                POLL_PATH.to_string(),
                URL_SAFE_NO_PAD.encode(sealed),
            ])),
            // Never 1.0 before the answer is final.
            progress: Some(progress.clamp(0.0, 0.99)),
            expiration_time: None,
        })
    }
}

/// The first element of a poll descriptor's path; the second is the sealed poll id.
const POLL_PATH: &str = "trebuchet-poll";

/// The poll id a retry descriptor names, if it is one this server sealed for `caller`;
/// `None` when `descriptor` is not a retry descriptor at all.
fn poll_id(
    seal: &HandleSeal,
    caller: &Session,
    descriptor: &FlightDescriptor,
) -> Option<Result<u64, Status>> {
    let [first, sealed] = descriptor.path.as_slice() else {
        return None;
    };
    if first != POLL_PATH {
        return None;
    }
    let opened = URL_SAFE_NO_PAD
        .decode(sealed)
        .map_err(|_| FlightSqlError::invalid_request("a malformed poll descriptor"))
        .and_then(|bytes| seal.open(HandleKind::Poll, caller, &bytes))
        .and_then(|payload| {
            <[u8; 8]>::try_from(payload.as_slice())
                .map(u64::from_le_bytes)
                .map_err(|_| FlightSqlError::invalid_request("a malformed poll descriptor"))
        });
    Some(opened.map_err(Status::from))
}

type Sql = TrebuchetFlightService;

#[tonic::async_trait]
impl FlightService for FlightSqlEndpoint {
    type HandshakeStream = <Sql as FlightService>::HandshakeStream;
    type ListFlightsStream = <Sql as FlightService>::ListFlightsStream;
    type DoGetStream = <Sql as FlightService>::DoGetStream;
    type DoPutStream = <Sql as FlightService>::DoPutStream;
    type DoExchangeStream = <Sql as FlightService>::DoExchangeStream;
    type DoActionStream = <Sql as FlightService>::DoActionStream;
    type ListActionsStream = <Sql as FlightService>::ListActionsStream;

    async fn handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        FlightService::handshake(self.inner.as_ref(), request).await
    }

    async fn list_flights(
        &self,
        request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        FlightService::list_flights(self.inner.as_ref(), request).await
    }

    async fn get_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        FlightService::get_flight_info(self.inner.as_ref(), request).await
    }

    async fn poll_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        let caller = session(&request)?;
        if let Some(poll_id) = poll_id(self.inner.seal(), &caller, request.get_ref()) {
            let polled = self.polls.poll(poll_id?).await.ok_or_else(|| {
                Status::not_found(
                    "this query was already answered, or nobody polled it for 5 minutes and it \
                     was cancelled; run it again",
                )
            })?;
            return Ok(Response::new(self.poll_info(&caller, polled).await?));
        }
        let inner = Arc::clone(&self.inner);
        let query = async move {
            FlightService::get_flight_info(inner.as_ref(), request)
                .await
                .map(Response::into_inner)
        };
        let polled = self.polls.start(caller.id().to_string(), query).await;
        Ok(Response::new(self.poll_info(&caller, polled).await?))
    }

    async fn get_schema(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        let session = session(&request)?;
        let command = Any::decode(&*request.get_ref().cmd).map_err(|err| {
            FlightSqlError::invalid_request(format!("not a Flight SQL command: {err}"))
        })?;
        let sql = match Command::try_from(command) {
            Ok(Command::CommandStatementQuery(query)) => rewrite_question_marks(&query.query),
            Ok(Command::CommandPreparedStatementQuery(prepared)) => {
                PreparedStatementHandle::decode_handle(
                    self.inner.seal(),
                    &session,
                    &prepared.prepared_statement_handle,
                )?
                .sql
            }
            _ => return FlightService::get_schema(self.inner.as_ref(), request).await,
        };
        let plan = PlannedStatement::plan_unbound(&session, &sql).await?;
        let schema = result_schema(&session, &plan).await;
        let options = IpcWriteOptions::default();
        let ipc = SchemaAsIpc::new(&schema, &options);
        Ok(Response::new(
            SchemaResult::try_from(ipc).map_err(FlightSqlError::from)?,
        ))
    }

    async fn do_get(
        &self,
        request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        let response = FlightService::do_get(self.inner.as_ref(), request).await?;
        let metrics = Arc::clone(&self.metrics);
        Ok(response.map(|stream| {
            let counted = stream.inspect_ok(move |data| {
                let bytes = data.data_header.len() + data.data_body.len();
                metrics.result_bytes_sent(u64::try_from(bytes).unwrap_or(u64::MAX));
            });
            Box::pin(counted) as Self::DoGetStream
        }))
    }

    async fn do_put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        FlightService::do_put(self.inner.as_ref(), request).await
    }

    async fn do_exchange(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        FlightService::do_exchange(self.inner.as_ref(), request).await
    }

    async fn do_action(
        &self,
        request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        FlightService::do_action(self.inner.as_ref(), request).await
    }

    async fn list_actions(
        &self,
        request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        FlightService::list_actions(self.inner.as_ref(), request).await
    }
}
