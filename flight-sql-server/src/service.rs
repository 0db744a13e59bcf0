//! The Flight SQL service: a switchboard from each RPC to the module that does the work.
//!
//! Every handler finds its caller's session in the request extensions, put there by
//! [`crate::session_layer`]; none parses headers.

use std::pin::Pin;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionCancelQueryRequest, ActionCancelQueryResult, ActionClosePreparedStatementRequest,
    ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult, CommandGetCatalogs,
    CommandGetCrossReference, CommandGetDbSchemas, CommandGetExportedKeys, CommandGetImportedKeys,
    CommandGetPrimaryKeys, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
    CommandGetXdbcTypeInfo, CommandPreparedStatementQuery, CommandPreparedStatementUpdate,
    CommandStatementIngest, CommandStatementQuery, CommandStatementUpdate,
    DoPutPreparedStatementResult, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    Action, ActionType, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus, FlightData,
    FlightDescriptor, FlightInfo, HandshakeRequest, HandshakeResponse, RenewFlightEndpointRequest,
    Ticket,
};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::Stream;
use prost::Message;
use tonic::{Request, Response, Status, Streaming};
use trebuchet_cluster::QueryEngine;

use crate::error::{FlightSqlError, Result};
use crate::handle::StatementTicket;
use crate::handle_seal::HandleSeal;
use crate::metadata;
use crate::parameter_bindings::{MAX_BINDING_BYTES, ParameterBindings};
use crate::query_admission::QueryAdmission;
use crate::running_queries::{CancelOutcome, RunningQueries};
use crate::session::{Session, SessionRegistry};
use crate::session_options::{
    self, CLOSE_SESSION, CloseSessionResult, CloseSessionStatus, GET_SESSION_OPTIONS,
    SET_SESSION_OPTIONS,
};
use crate::{prepared_statement, statement};

/// The stream type of `DoGet` responses.
pub(crate) type DoGetStream =
    Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send + 'static>>;
type DoActionStream = <TrebuchetFlightService as FlightService>::DoActionStream;

const CANCEL_FLIGHT_INFO: &str = "CancelFlightInfo";
/// Largest upload of rows for an update (a batch of parameter rows) in one `DoPut`.
const MAX_UPDATE_UPLOAD_BYTES: usize = 256 << 20;
const RENEW_FLIGHT_ENDPOINT: &str = "RenewFlightEndpoint";

/// Trebuchet's Flight SQL service.
#[derive(Debug, Clone)]
pub(crate) struct TrebuchetFlightService {
    sessions: Arc<SessionRegistry>,
    engine: Arc<dyn QueryEngine>,
    queries: Arc<RunningQueries>,
    bindings: Arc<ParameterBindings>,
    seal: HandleSeal,
    admission: Arc<QueryAdmission>,
    max_flight_data_size: usize,
}

impl TrebuchetFlightService {
    pub(crate) fn new(
        sessions: Arc<SessionRegistry>,
        engine: Arc<dyn QueryEngine>,
        max_message_size: usize,
        max_queries_per_user: usize,
    ) -> Self {
        Self {
            sessions,
            engine,
            queries: Arc::new(RunningQueries::default()),
            bindings: Arc::new(ParameterBindings::default()),
            seal: HandleSeal::random(),
            admission: Arc::new(QueryAdmission::new(max_queries_per_user)),
            // Arrow's usual 2 MiB keeps messages far below any client's limit.
            max_flight_data_size: (max_message_size / 4).min(2 << 20),
        }
    }

    pub(crate) fn engine(&self) -> &dyn QueryEngine {
        self.engine.as_ref()
    }

    pub(crate) fn queries(&self) -> &Arc<RunningQueries> {
        &self.queries
    }

    /// Each user's running queries.
    pub(crate) fn admission(&self) -> &QueryAdmission {
        &self.admission
    }

    /// The seal every handle and ticket this server issues carries.
    pub(crate) fn seal(&self) -> &HandleSeal {
        &self.seal
    }

    /// Encodes result batches as a `DoGet` stream.
    pub(crate) fn encode(&self, batches: SendableRecordBatchStream) -> DoGetStream {
        statement::encode_batches(batches, self.max_flight_data_size)
    }

    fn encode_batch(&self, batch: RecordBatch) -> DoGetStream {
        let schema: SchemaRef = batch.schema();
        let one = futures::stream::once(futures::future::ready(Ok(batch)));
        self.encode(Box::pin(RecordBatchStreamAdapter::new(schema, one)))
    }
}

/// The caller's session, as resolved by the session layer.
pub(crate) fn session<T>(request: &Request<T>) -> Result<Arc<Session>, Status> {
    request
        .extensions()
        .get::<Arc<Session>>()
        .cloned()
        .ok_or_else(|| Status::internal("no session was attached to the request"))
}

fn one_result(body: impl Message) -> Response<DoActionStream> {
    let result = arrow_flight::Result {
        body: body.encode_to_vec().into(),
    };
    Response::new(Box::pin(futures::stream::once(futures::future::ready(Ok(
        result,
    )))))
}

#[tonic::async_trait]
impl FlightSqlService for TrebuchetFlightService {
    type FlightService = TrebuchetFlightService;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<
        Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>,
        Status,
    > {
        let session = session(&request)?;
        tracing::info!(user = ?session.user(), "handshake");
        let response = HandshakeResponse {
            protocol_version: 0,
            payload: session.token().as_bytes().to_vec().into(),
        };
        Ok(Response::new(Box::pin(futures::stream::iter([Ok(
            response,
        )]))))
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        if query.transaction_id.is_some() {
            return Err(FlightSqlError::unsupported("transactions").into());
        }
        let session = session(&request)?;
        let info =
            statement::flight_info(&session, self, &query.query, &[], request.into_inner()).await?;
        Ok(Response::new(info))
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let session = session(&request)?;
        let handle = &query.prepared_statement_handle;
        let info = prepared_statement::flight_info(
            &session,
            self,
            &self.bindings,
            handle,
            request.into_inner(),
        )
        .await?;
        Ok(Response::new(info))
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = session(&request)?;
        let ticket = StatementTicket::decode_statement_handle(
            &self.seal,
            &session,
            &ticket.statement_handle,
        )?;
        Ok(Response::new(
            statement::do_get(self, &session, ticket).await?,
        ))
    }

    async fn do_put_statement_update(
        &self,
        command: CommandStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        if command.transaction_id.is_some() {
            return Err(FlightSqlError::unsupported("transactions").into());
        }
        let session = session(&request)?;
        Ok(statement::update(&session, &command.query, &[]).await?)
    }

    async fn do_put_statement_ingest(
        &self,
        command: CommandStatementIngest,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let session = session(&request)?;
        Ok(crate::ingest::ingest(&session, command, request.into_inner()).await?)
    }

    async fn do_put_prepared_statement_query(
        &self,
        command: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let session = session(&request)?;
        let batches = statement::read_batches(request.into_inner(), MAX_BINDING_BYTES).await?;
        Ok(prepared_statement::bind(
            &session,
            &self.seal,
            &self.bindings,
            &command,
            &batches,
        )?)
    }

    async fn do_put_prepared_statement_update(
        &self,
        command: CommandPreparedStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let session = session(&request)?;
        let batches =
            statement::read_batches(request.into_inner(), MAX_UPDATE_UPLOAD_BYTES).await?;
        let handle = &command.prepared_statement_handle;
        Ok(
            prepared_statement::update(&session, &self.seal, &self.bindings, handle, batches)
                .await?,
        )
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let session = session(&request)?;
        Ok(prepared_statement::create(&session, &self.seal, query).await?)
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<Action>,
    ) -> Result<(), Status> {
        let session = session(&request)?;
        let handle = &query.prepared_statement_handle;
        Ok(prepared_statement::close(
            &session,
            &self.seal,
            &self.bindings,
            handle,
        )?)
    }

    async fn do_action_cancel_query(
        &self,
        query: ActionCancelQueryRequest,
        request: Request<Action>,
    ) -> Result<ActionCancelQueryResult, Status> {
        let session = session(&request)?;
        let info = FlightInfo::decode(query.info).map_err(|err| {
            FlightSqlError::invalid_request(format!("malformed FlightInfo: {err}"))
        })?;
        // The `CancelResult` enum of FlightSql.proto, which arrow-flight does not export.
        const CANCELLED: i32 = 1;
        const NOT_CANCELLABLE: i32 = 3;
        let result = match statement::cancel(self, &session, &info)? {
            CancelOutcome::Cancelled => CANCELLED,
            CancelOutcome::AlreadyFinished => NOT_CANCELLABLE,
        };
        Ok(ActionCancelQueryResult { result })
    }

    async fn do_action_fallback(
        &self,
        request: Request<Action>,
    ) -> Result<Response<DoActionStream>, Status> {
        let session = session(&request)?;
        let action = request.into_inner();
        match action.r#type.as_str() {
            CANCEL_FLIGHT_INFO => {
                let cancel = CancelFlightInfoRequest::decode(action.body).map_err(|err| {
                    FlightSqlError::invalid_request(format!(
                        "malformed CancelFlightInfoRequest: {err}"
                    ))
                })?;
                let info = cancel.info.ok_or_else(|| {
                    FlightSqlError::invalid_request("CancelFlightInfoRequest without a FlightInfo")
                })?;
                let status = match statement::cancel(self, &session, &info)? {
                    CancelOutcome::Cancelled => CancelStatus::Cancelled,
                    CancelOutcome::AlreadyFinished => CancelStatus::NotCancellable,
                };
                Ok(one_result(CancelFlightInfoResult {
                    status: status as i32,
                }))
            }
            RENEW_FLIGHT_ENDPOINT => {
                // Renewing returns the endpoint unchanged: SQL tickets never expire, and
                // result tickets live until read, cancelled or ten minutes unread.
                let renew = RenewFlightEndpointRequest::decode(action.body).map_err(|err| {
                    FlightSqlError::invalid_request(format!(
                        "malformed RenewFlightEndpointRequest: {err}"
                    ))
                })?;
                let endpoint = renew.endpoint.ok_or_else(|| {
                    FlightSqlError::invalid_request(
                        "RenewFlightEndpointRequest without an endpoint",
                    )
                })?;
                Ok(one_result(endpoint))
            }
            SET_SESSION_OPTIONS => Ok(one_result(
                session_options::set(&session, &action.body).await?,
            )),
            GET_SESSION_OPTIONS => Ok(one_result(session_options::get(&session))),
            CLOSE_SESSION => {
                self.sessions.close(session.token());
                // Queries started in the session and not yet read go with it.
                self.engine().release_session(&session.ctx().session_id());
                Ok(one_result(CloseSessionResult {
                    status: CloseSessionStatus::Closed as i32,
                }))
            }
            other => Err(Status::unimplemented(format!("unknown action '{other}'"))),
        }
    }

    async fn list_custom_actions(&self) -> Option<Vec<Result<ActionType, Status>>> {
        let described = [
            (CANCEL_FLIGHT_INFO, "Cancel the queries behind a FlightInfo"),
            (
                RENEW_FLIGHT_ENDPOINT,
                "Extend an endpoint's life (returned unchanged)",
            ),
            (SET_SESSION_OPTIONS, "Set session options"),
            (GET_SESSION_OPTIONS, "Get session options"),
            (CLOSE_SESSION, "Close the session"),
        ];
        Some(
            described
                .into_iter()
                .map(|(name, description)| {
                    Ok(ActionType {
                        r#type: name.into(),
                        description: description.into(),
                    })
                })
                .collect(),
        )
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = session(&request)?;
        let batch = metadata::catalogs(&session, query)?;
        Ok(Response::new(self.encode_batch(batch)))
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = session(&request)?;
        let batch = metadata::db_schemas(&session, query)?;
        Ok(Response::new(self.encode_batch(batch)))
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let session = session(&request)?;
        let batch = metadata::tables(&session, query).await?;
        Ok(Response::new(self.encode_batch(batch)))
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        _request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        Ok(Response::new(
            self.encode_batch(metadata::table_types(query)?),
        ))
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = metadata::sql_info_data().schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let batch = query
            .into_builder(metadata::sql_info_data())
            .build()
            .map_err(FlightSqlError::from)?;
        Ok(Response::new(self.encode_batch(batch)))
    }

    async fn get_flight_info_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = metadata::xdbc_type_info_data().schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_xdbc_type_info(
        &self,
        query: CommandGetXdbcTypeInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        let batch = query
            .into_builder(metadata::xdbc_type_info_data())
            .build()
            .map_err(FlightSqlError::from)?;
        Ok(Response::new(self.encode_batch(batch)))
    }

    async fn get_flight_info_primary_keys(
        &self,
        query: CommandGetPrimaryKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = metadata::primary_keys_schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_primary_keys(
        &self,
        _query: CommandGetPrimaryKeys,
        _request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        Ok(Response::new(self.encode_batch(RecordBatch::new_empty(
            metadata::primary_keys_schema(),
        ))))
    }

    async fn get_flight_info_exported_keys(
        &self,
        query: CommandGetExportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = metadata::foreign_keys_schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_exported_keys(
        &self,
        _query: CommandGetExportedKeys,
        _request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        Ok(Response::new(self.encode_batch(RecordBatch::new_empty(
            metadata::foreign_keys_schema(),
        ))))
    }

    async fn get_flight_info_imported_keys(
        &self,
        query: CommandGetImportedKeys,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = metadata::foreign_keys_schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_imported_keys(
        &self,
        _query: CommandGetImportedKeys,
        _request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        Ok(Response::new(self.encode_batch(RecordBatch::new_empty(
            metadata::foreign_keys_schema(),
        ))))
    }

    async fn get_flight_info_cross_reference(
        &self,
        query: CommandGetCrossReference,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = metadata::foreign_keys_schema();
        Ok(Response::new(metadata::flight_info(
            &query,
            &schema,
            request.into_inner(),
        )?))
    }

    async fn do_get_cross_reference(
        &self,
        _query: CommandGetCrossReference,
        _request: Request<Ticket>,
    ) -> Result<Response<DoGetStream>, Status> {
        Ok(Response::new(self.encode_batch(RecordBatch::new_empty(
            metadata::foreign_keys_schema(),
        ))))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}
