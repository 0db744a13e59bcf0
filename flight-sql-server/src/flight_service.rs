//! [`FlightSqlEndpoint`]: the Flight service clients talk to. arrow-flight's blanket
//! `FlightService` for a `FlightSqlService` answers `PollFlightInfo` with UNIMPLEMENTED by
//! itself; this wrapper answers it and hands every other call to that service.
//!
//! `PollFlightInfo` (ADBC's incremental execution) starts the query as `GetFlightInfo`
//! does (every stage before the final one done) and answers with all of it: every
//! endpoint, progress 1.0, and no descriptor to poll again, which tells the client the
//! query is done. Answering earlier, with the endpoints known so far and the job's
//! progress, is still to come.
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
use futures::TryStreamExt;
use prost::Message;
use tonic::{Request, Response, Status, Streaming};
use trebuchet_cluster::SchedulerMetrics;

use crate::error::FlightSqlError;
use crate::handle::PreparedStatementHandle;
use crate::parameters::rewrite_question_marks;
use crate::query::{PlannedStatement, result_schema};
use crate::service::{TrebuchetFlightService, session};

/// Trebuchet's Flight SQL service, with the `PollFlightInfo` and `GetSchema` arrow-flight
/// leaves out.
#[derive(Debug)]
pub(crate) struct FlightSqlEndpoint {
    inner: TrebuchetFlightService,
    metrics: Arc<SchedulerMetrics>,
}

impl FlightSqlEndpoint {
    pub(crate) fn new(inner: TrebuchetFlightService, metrics: Arc<SchedulerMetrics>) -> Self {
        Self { inner, metrics }
    }
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
        FlightService::handshake(&self.inner, request).await
    }

    async fn list_flights(
        &self,
        request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        FlightService::list_flights(&self.inner, request).await
    }

    async fn get_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        FlightService::get_flight_info(&self.inner, request).await
    }

    async fn poll_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        let info = FlightService::get_flight_info(&self.inner, request)
            .await?
            .into_inner();
        Ok(Response::new(PollInfo {
            info: Some(info),
            flight_descriptor: None,
            progress: Some(1.0),
            expiration_time: None,
        }))
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
            _ => return FlightService::get_schema(&self.inner, request).await,
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
        let response = FlightService::do_get(&self.inner, request).await?;
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
        FlightService::do_put(&self.inner, request).await
    }

    async fn do_exchange(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        FlightService::do_exchange(&self.inner, request).await
    }

    async fn do_action(
        &self,
        request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        FlightService::do_action(&self.inner, request).await
    }

    async fn list_actions(
        &self,
        request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        FlightService::list_actions(&self.inner, request).await
    }
}
