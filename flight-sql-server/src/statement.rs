//! Statement execution over Flight SQL: `FlightInfo` for a statement, `DoGet` of its
//! results, updates through `DoPut`, and cancellation.
//!
//! A query runs when its `FlightInfo` is requested: the engine keeps its result
//! partitions and the `FlightInfo` has one endpoint per partition, each ticket naming one.
//! Plans the engine streams instead (`EXPLAIN`, catalog queries, `--result-endpoints
//! single`) get one self-describing ticket (SQL, bound parameters, query id) that runs at
//! `DoGet`. Tickets carry no location: the client redeems them on the connection it already
//! has. A command runs when its `FlightInfo` is requested and its ticket streams an empty
//! result.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::Schema;
use arrow::datatypes::SchemaRef;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::sql::server::PeekableFlightDataStream;
use arrow_flight::{FlightData, FlightDescriptor, FlightEndpoint, FlightInfo};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::EmptyRecordBatchStream;
use futures::TryStreamExt;
use tonic::Status;
use trebuchet_cluster::FlightDataStream;

use crate::error::{FlightSqlError, Result};
use crate::handle::{StatementTicket, decode_parameters, encode_parameters};
use crate::handle_seal::HandleSeal;
use crate::query::{Completion, PlannedStatement, to_wire};
use crate::running_queries::CancelOutcome;
use crate::secret_redaction::redact_sql;
use crate::service::{DoGetStream, TrebuchetFlightService};
use crate::session::Session;

/// Most endpoints a `FlightInfo` to cancel may have: more than any query of ours returns.
const MAX_CANCEL_ENDPOINTS: usize = 65_536;

/// Plans (and for commands, runs) a statement and describes where its results are; the
/// tickets are sealed for `session`.
pub(crate) async fn flight_info(
    session: &Session,
    service: &TrebuchetFlightService,
    sql: &str,
    parameters: &[u8],
    descriptor: FlightDescriptor,
) -> Result<FlightInfo> {
    let bound = decode_parameters(parameters)?;
    let bound_rows = bound.as_ref().map_or(0, RecordBatch::num_rows);
    let first_row = bound
        .as_ref()
        .filter(|_| bound_rows > 0)
        .map(|batch| (batch, 0));
    let statement = PlannedStatement::plan(session, sql, first_row).await?;
    let schema = statement.result_schema();
    let query_id = uuid::Uuid::new_v4().to_string();
    // total_records: unknown (-1) for a query; for a command, the rows it affected, which
    // ADBC reports as the cursor's rowcount.
    let (ticket, total_records) = if statement.returns_rows() {
        if bound_rows > 1 {
            return Err(FlightSqlError::bind_parameters(format!(
                "a query takes one row of parameters, but {bound_rows} rows were bound"
            )));
        }
        let admitted = service.admission().admit(session.user())?;
        let completed = statement.complete(session, service.engine()).await;
        drop(admitted);
        match completed? {
            Completion::Started(tokens) => {
                tracing::info!(query_id, sql = %redact_sql(sql), partitions = tokens.len(), "query started");
                let tickets = ResultTickets {
                    seal: service.seal(),
                    session,
                    query_id: &query_id,
                };
                return result_flight_info(&schema, tickets, tokens, descriptor);
            }
            Completion::Deferred(statement) => session.planned().keep(&query_id, *statement),
        }
        tracing::info!(query_id, sql = %redact_sql(sql), "query planned");
        let ticket = StatementTicket::query(query_id, sql.to_string(), parameters.to_vec());
        (ticket, -1)
    } else {
        let affected = match bound.filter(|_| bound_rows > 1) {
            Some(rows) => update(session, sql, &[rows]).await?,
            None => statement.run_command(session).await?,
        };
        tracing::info!(query_id, sql = %redact_sql(sql), affected, "command executed");
        (StatementTicket::completed(query_id), affected)
    };
    Ok(FlightInfo::new()
        .try_with_schema(&schema)?
        .with_endpoint(
            FlightEndpoint::new().with_ticket(ticket.into_ticket(service.seal(), session)),
        )
        .with_descriptor(descriptor)
        .with_total_records(total_records)
        .with_ordered(true))
}

/// Who the tickets of a started query are for.
struct ResultTickets<'a> {
    seal: &'a HandleSeal,
    session: &'a Session,
    query_id: &'a str,
}

/// A started query's `FlightInfo`: one endpoint per result partition, each redeemed on
/// the connection the client already has and streamed as it is produced. Partitions carry
/// no order between them.
fn result_flight_info(
    schema: &SchemaRef,
    tickets: ResultTickets<'_>,
    tokens: Vec<bytes::Bytes>,
    descriptor: FlightDescriptor,
) -> Result<FlightInfo> {
    let wire_schema = trebuchet_cluster::schema_bytes(schema)?;
    let ordered = tokens.len() == 1;
    let mut info = FlightInfo::new()
        .try_with_schema(schema)?
        .with_descriptor(descriptor)
        .with_total_records(-1)
        .with_ordered(ordered);
    for token in tokens {
        let ticket = StatementTicket::result(
            tickets.query_id.to_string(),
            token.to_vec(),
            wire_schema.clone(),
        );
        let ticket = ticket.into_ticket(tickets.seal, tickets.session);
        info = info.with_endpoint(FlightEndpoint::new().with_ticket(ticket));
    }
    Ok(info)
}

/// Streams the results a ticket stands for.
pub(crate) async fn do_get(
    service: &TrebuchetFlightService,
    session: &Session,
    ticket: StatementTicket,
) -> Result<DoGetStream> {
    if ticket.completed {
        let empty = Box::pin(EmptyRecordBatchStream::new(Arc::new(Schema::empty())));
        return Ok(service.encode(empty));
    }
    if !ticket.result.is_empty() {
        service.queries().ensure_not_cancelled(&ticket.query_id)?;
        let wire_schema = Arc::new(arrow::ipc::convert::try_schema_from_ipc_buffer(
            &ticket.wire_schema,
        )?);
        let admitted = service.admission().admit(session.user())?;
        let task_ctx = Arc::new(TaskContext::from(&session.ctx().state()));
        let batches = session.bind(service.engine().read_result(&ticket.result, task_ctx)?);
        let batches = admitted.hold_while_streaming(batches);
        let batches = service
            .queries()
            .track(&ticket.query_id, to_wire(batches, wire_schema))?;
        return Ok(service.encode(batches));
    }
    let statement = match session.planned().take(&ticket.query_id) {
        Some(statement) => statement,
        None => {
            let bound = decode_parameters(&ticket.parameters)?;
            PlannedStatement::plan(session, &ticket.sql, bound.as_ref().map(|batch| (batch, 0)))
                .await?
        }
    };
    if !statement.returns_rows() {
        return Err(FlightSqlError::invalid_request(
            "the ticket names a statement that no longer returns rows; request a new FlightInfo",
        ));
    }
    let admitted = service.admission().admit(session.user())?;
    let started = statement.stream(session, service.engine());
    let batches = service
        .queries()
        .run_cancellable(&ticket.query_id, started)
        .await?;
    let batches = admitted.hold_while_streaming(batches);
    let batches = service.queries().track(&ticket.query_id, batches)?;
    Ok(service.encode(batches))
}

/// Runs a command once per parameter row (once if none), returning the rows affected.
pub(crate) async fn update(
    session: &Session,
    sql: &str,
    parameters: &[RecordBatch],
) -> Result<i64> {
    let mut executions: Vec<Option<(&RecordBatch, usize)>> = parameters
        .iter()
        .flat_map(|batch| (0..batch.num_rows()).map(move |row| Some((batch, row))))
        .collect();
    if executions.is_empty() {
        executions.push(None);
    }
    let mut affected = 0;
    for bound in executions {
        let statement = PlannedStatement::plan(session, sql, bound).await?;
        if statement.returns_rows() {
            return Err(FlightSqlError::invalid_request(
                "a query was sent as an update; execute it as a query instead",
            ));
        }
        affected += statement.run_command(session).await?;
    }
    Ok(affected)
}

/// The messages of a `DoPut` upload that carry Arrow data; messages without any (the
/// descriptor-only first message some clients send) are skipped.
pub(crate) fn arrow_messages(
    upload: PeekableFlightDataStream,
) -> impl futures::Stream<Item = Result<FlightData, FlightError>> {
    // The stream itself, not `into_inner()`: that would drop the message arrow-flight
    // peeked at to route the call, which holds the schema.
    upload
        .try_filter(|data| futures::future::ready(!data.data_header.is_empty()))
        .map_err(|status| FlightError::Tonic(Box::new(status)))
}

/// Reads every record batch of a `DoPut` upload, refusing uploads larger than
/// `max_bytes` as they arrive (before they are all held). Messages without Arrow data
/// (the descriptor-only first message some clients send) are skipped.
pub(crate) async fn read_batches(
    stream: PeekableFlightDataStream,
    max_bytes: usize,
) -> Result<Vec<RecordBatch>> {
    let mut received = 0usize;
    let data = arrow_messages(stream).and_then(move |data| {
        received = received.saturating_add(data.data_header.len() + data.data_body.len());
        futures::future::ready(if received > max_bytes {
            Err(FlightError::ExternalError(Box::new(
                FlightSqlError::limit_reached(format!(
                    "the upload is larger than the {max_bytes} bytes this call accepts"
                )),
            )))
        } else {
            Ok(data)
        })
    });
    FlightRecordBatchStream::new_from_flight_data(data)
        .try_collect::<Vec<_>>()
        .await
        .map_err(|err| match err {
            FlightError::ExternalError(inner) => match inner.downcast::<FlightSqlError>() {
                Ok(ours) => *ours,
                Err(other) => FlightSqlError::invalid_request(format!(
                    "cannot read the uploaded batches: {other}"
                )),
            },
            other => FlightSqlError::invalid_request(format!(
                "cannot read the uploaded batches: {other}"
            )),
        })
}

/// Encodes uploaded parameter rows for a handle: none clears earlier bindings; several
/// are kept together (an update runs once per row, a query refuses more than one).
pub(crate) fn encode_bound_rows(batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let non_empty: Vec<&RecordBatch> = batches
        .iter()
        .filter(|batch| batch.num_rows() > 0)
        .collect();
    match non_empty.as_slice() {
        [] => Ok(Vec::new()),
        [only] => encode_parameters(only),
        [first, ..] => {
            encode_parameters(&concat_batches(&first.schema(), non_empty.iter().copied())?)
        }
    }
}

/// Cancels the queries behind a `FlightInfo`'s tickets, which must all have been issued
/// to `session`; reports `AlreadyFinished` only when every one of them had finished.
/// Every ticket is checked before anything is cancelled, so a refused request changes
/// nothing.
pub(crate) fn cancel(
    service: &TrebuchetFlightService,
    session: &Session,
    info: &FlightInfo,
) -> Result<CancelOutcome> {
    if info.endpoint.len() > MAX_CANCEL_ENDPOINTS {
        return Err(FlightSqlError::invalid_request(format!(
            "the FlightInfo to cancel has {} endpoints; none of ours has more than {MAX_CANCEL_ENDPOINTS}",
            info.endpoint.len()
        )));
    }
    let mut queries: HashMap<String, Option<Vec<u8>>> = HashMap::new();
    for endpoint in &info.endpoint {
        let ticket = endpoint.ticket.as_ref().ok_or_else(|| {
            FlightSqlError::invalid_request(
                "the FlightInfo to cancel has an endpoint without a ticket",
            )
        })?;
        let ticket = StatementTicket::from_flight_ticket(service.seal(), session, ticket)?;
        if ticket.completed {
            continue;
        }
        // Every partition's token names the same job: one is enough to release it.
        let result = (!ticket.result.is_empty()).then_some(ticket.result);
        queries.entry(ticket.query_id).or_insert(result);
    }
    let mut outcome = CancelOutcome::AlreadyFinished;
    for (query_id, result) in queries {
        if let Some(result) = result {
            service.engine().release_result(&result);
        }
        if service.queries().cancel(&query_id) == CancelOutcome::Cancelled {
            tracing::info!(query_id, "query cancelled");
            outcome = CancelOutcome::Cancelled;
        }
    }
    Ok(outcome)
}

/// The error a stream of results ends with when the query fails midway.
pub(crate) fn stream_error(err: datafusion::error::DataFusionError) -> FlightError {
    FlightError::Tonic(Box::new(Status::from(FlightSqlError::from(err))))
}

/// Builds a Flight data stream from record batches, keeping every message small.
pub(crate) fn encode_batches(
    batches: datafusion::execution::SendableRecordBatchStream,
    max_flight_data_size: usize,
) -> DoGetStream {
    let schema = batches.schema();
    // Sent exactly as the schema says: arrow-flight's encoder would send a LargeList as a
    // List, unlike the FlightInfo's schema.
    let flight = FlightDataStream::new(batches.map_err(stream_error))
        .with_schema(schema)
        .with_max_flight_data_size(max_flight_data_size)
        .map_err(Status::from);
    Box::pin(flight)
}
