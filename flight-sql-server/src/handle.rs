//! Stateless handles and tickets: everything needed to run a statement travels with the
//! client, so no server state can leak and any front end can serve any request.
//!
//! Both are versioned protobuf messages; anything that does not decode, or carries another
//! version, is refused with a clear error instead of being guessed at.

use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow_flight::Ticket;
use arrow_flight::sql::{Any, ProstMessageExt, TicketStatementQuery};
use bytes::Bytes;
use prost::Message;

use crate::error::{FlightSqlError, Result};

const VERSION: u32 = 1;

/// A prepared statement: its SQL (placeholders already `$n`) and bound parameters.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct PreparedStatementHandle {
    #[prost(uint32, tag = "1")]
    pub(crate) version: u32,
    #[prost(string, tag = "2")]
    pub(crate) sql: String,
    /// Arrow IPC stream of the bound parameter batch; empty when nothing is bound.
    #[prost(bytes = "vec", tag = "3")]
    pub(crate) parameters: Vec<u8>,
    /// Unguessable id of this preparation, for clients that keep using the handle they
    /// got at prepare time after binding (see `parameter_bindings.rs`).
    #[prost(string, tag = "4")]
    pub(crate) statement_id: String,
}

/// What a `DoGet` ticket asks for.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct StatementTicket {
    #[prost(uint32, tag = "1")]
    pub(crate) version: u32,
    /// Names the execution, so `CancelFlightInfo` can find it.
    #[prost(string, tag = "2")]
    pub(crate) query_id: String,
    #[prost(string, tag = "3")]
    pub(crate) sql: String,
    #[prost(bytes = "vec", tag = "4")]
    pub(crate) parameters: Vec<u8>,
    /// The statement already ran when its FlightInfo was made: stream an empty result.
    #[prost(bool, tag = "5")]
    pub(crate) completed: bool,
    /// The query already ran: read this result partition (the engine's token).
    #[prost(bytes = "vec", tag = "6")]
    pub(crate) result: Vec<u8>,
    /// Arrow IPC schema the result partition is sent with.
    #[prost(bytes = "vec", tag = "7")]
    pub(crate) wire_schema: Vec<u8>,
}

impl PreparedStatementHandle {
    /// A freshly prepared statement with nothing bound.
    pub(crate) fn prepare(sql: String) -> Self {
        Self {
            version: VERSION,
            sql,
            parameters: Vec::new(),
            statement_id: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    /// The same statement with `parameters` bound.
    pub(crate) fn with_parameters(self, parameters: Vec<u8>) -> Self {
        Self { parameters, ..self }
    }

    pub(crate) fn encode(&self) -> Bytes {
        self.encode_to_vec().into()
    }

    pub(crate) fn decode_handle(bytes: &[u8]) -> Result<Self> {
        let handle =
            Self::decode(bytes).map_err(|err| decode_error("prepared statement handle", err))?;
        check_version("prepared statement handle", handle.version)?;
        Ok(handle)
    }
}

impl StatementTicket {
    pub(crate) fn query(query_id: String, sql: String, parameters: Vec<u8>) -> Self {
        Self {
            version: VERSION,
            query_id,
            sql,
            parameters,
            ..Self::default()
        }
    }

    pub(crate) fn completed(query_id: String) -> Self {
        Self {
            version: VERSION,
            query_id,
            completed: true,
            ..Self::default()
        }
    }

    /// A ticket for one result partition of a query that already ran.
    pub(crate) fn result(query_id: String, result: Vec<u8>, wire_schema: Vec<u8>) -> Self {
        Self {
            version: VERSION,
            query_id,
            result,
            wire_schema,
            ..Self::default()
        }
    }

    /// The Flight ticket: wrapped in `TicketStatementQuery`, as the Flight SQL spec expects.
    pub(crate) fn into_ticket(self) -> Ticket {
        let statement = TicketStatementQuery {
            statement_handle: self.encode_to_vec().into(),
        };
        Ticket::new(statement.as_any().encode_to_vec())
    }

    pub(crate) fn decode_statement_handle(bytes: &[u8]) -> Result<Self> {
        let ticket = Self::decode(bytes).map_err(|err| decode_error("ticket", err))?;
        check_version("ticket", ticket.version)?;
        Ok(ticket)
    }

    /// Reads the ticket out of a Flight ticket, as found in a `FlightInfo` endpoint.
    pub(crate) fn from_flight_ticket(ticket: &Ticket) -> Result<Self> {
        let any = Any::decode(ticket.ticket.clone()).map_err(|err| decode_error("ticket", err))?;
        let statement: TicketStatementQuery = any
            .unpack()
            .map_err(|err| decode_error("ticket", err))?
            .ok_or_else(|| FlightSqlError::DecodeHandle {
                what: "ticket",
                reason: format!("unexpected message type {}", any.type_url),
            })?;
        Self::decode_statement_handle(&statement.statement_handle)
    }
}

/// Encodes a parameter batch for a handle or ticket.
pub(crate) fn encode_parameters(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut writer = StreamWriter::try_new(Vec::new(), &batch.schema())?;
    writer.write(batch)?;
    Ok(writer.into_inner()?)
}

/// Decodes what [`encode_parameters`] wrote; `None` when nothing was bound.
pub(crate) fn decode_parameters(bytes: &[u8]) -> Result<Option<RecordBatch>> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let corrupt = |reason: String| FlightSqlError::DecodeHandle {
        what: "bound parameters",
        reason,
    };
    let mut reader = StreamReader::try_new(bytes, None).map_err(|err| corrupt(err.to_string()))?;
    match reader.next() {
        Some(batch) => batch.map(Some).map_err(|err| corrupt(err.to_string())),
        None => Err(corrupt("no parameter batch".into())),
    }
}

fn decode_error(what: &'static str, err: impl std::fmt::Display) -> FlightSqlError {
    FlightSqlError::DecodeHandle {
        what,
        reason: format!("not issued by this server ({err})"),
    }
}

fn check_version(what: &'static str, version: u32) -> Result<()> {
    if version == VERSION {
        Ok(())
    } else {
        Err(FlightSqlError::DecodeHandle {
            what,
            reason: format!("version {version} is not supported (expected {VERSION})"),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn prepared_handles_round_trip_with_parameters() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("0", DataType::Int64, true),
            Field::new("1", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![7])),
                Arc::new(StringArray::from(vec!["x"])),
            ],
        )
        .unwrap();
        let handle = PreparedStatementHandle::prepare("SELECT $1, $2".into())
            .with_parameters(encode_parameters(&batch).unwrap());
        let decoded = PreparedStatementHandle::decode_handle(&handle.encode()).unwrap();
        assert_eq!(decoded, handle);
        assert_eq!(
            decode_parameters(&decoded.parameters).unwrap().unwrap(),
            batch
        );
    }

    #[test]
    fn tickets_round_trip_through_flight_tickets() {
        let ticket = StatementTicket::query("q1".into(), "SELECT 1".into(), vec![]);
        let decoded = StatementTicket::from_flight_ticket(&ticket.clone().into_ticket()).unwrap();
        assert_eq!(decoded, ticket);
    }

    #[test]
    fn garbage_and_foreign_versions_are_refused() {
        assert!(PreparedStatementHandle::decode_handle(b"\xff\xff\xff").is_err());
        let future = PreparedStatementHandle {
            version: 99,
            ..PreparedStatementHandle::prepare("x".into())
        };
        let err = PreparedStatementHandle::decode_handle(&future.encode())
            .unwrap_err()
            .to_string();
        assert!(err.contains("version 99"), "{err}");
        assert!(StatementTicket::from_flight_ticket(&Ticket::new("nonsense")).is_err());
        assert!(decode_parameters(b"not ipc").is_err());
    }
}
