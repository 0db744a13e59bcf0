//! Stateless handles and tickets: everything needed to run a statement travels with the
//! client, so no server state can leak and any front end can serve any request.
//!
//! Both are versioned protobuf messages, sealed (`handle_seal.rs`) so that only the session
//! they were issued to can redeem them; anything that does not decode, carries another
//! version or fails the seal is refused with a clear error instead of being guessed at.

use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow_flight::Ticket;
use arrow_flight::sql::{Any, ProstMessageExt, TicketStatementQuery};
use bytes::Bytes;
use prost::Message;

use crate::error::{FlightSqlError, Result};
use crate::handle_seal::{HandleKind, HandleSeal};
use crate::session::Session;

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

    /// The handle as sent to `owner`, sealed so only its session can use it.
    pub(crate) fn encode(&self, seal: &HandleSeal, owner: &Session) -> Bytes {
        seal.seal(HandleKind::PreparedStatement, owner, self.encode_to_vec())
            .into()
    }

    /// Opens a handle `caller` presents.
    pub(crate) fn decode_handle(seal: &HandleSeal, caller: &Session, bytes: &[u8]) -> Result<Self> {
        let payload = seal.open(HandleKind::PreparedStatement, caller, bytes)?;
        let handle = Self::decode(payload.as_slice())
            .map_err(|err| decode_error("prepared statement handle", err))?;
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

    /// The Flight ticket for `owner`: sealed, then wrapped in `TicketStatementQuery`, as
    /// the Flight SQL spec expects.
    pub(crate) fn into_ticket(self, seal: &HandleSeal, owner: &Session) -> Ticket {
        let statement = TicketStatementQuery {
            statement_handle: seal
                .seal(HandleKind::Ticket, owner, self.encode_to_vec())
                .into(),
        };
        Ticket::new(statement.as_any().encode_to_vec())
    }

    /// Opens the statement handle of a ticket `caller` presents.
    pub(crate) fn decode_statement_handle(
        seal: &HandleSeal,
        caller: &Session,
        bytes: &[u8],
    ) -> Result<Self> {
        let payload = seal.open(HandleKind::Ticket, caller, bytes)?;
        let ticket = Self::decode(payload.as_slice()).map_err(|err| decode_error("ticket", err))?;
        check_version("ticket", ticket.version)?;
        Ok(ticket)
    }

    /// Reads the ticket out of a Flight ticket, as found in a `FlightInfo` endpoint.
    pub(crate) fn from_flight_ticket(
        seal: &HandleSeal,
        caller: &Session,
        ticket: &Ticket,
    ) -> Result<Self> {
        let any = Any::decode(ticket.ticket.clone()).map_err(|err| decode_error("ticket", err))?;
        let statement: TicketStatementQuery = any
            .unpack()
            .map_err(|err| decode_error("ticket", err))?
            .ok_or_else(|| FlightSqlError::DecodeHandle {
                what: "ticket",
                reason: format!("unexpected message type {}", any.type_url),
            })?;
        Self::decode_statement_handle(seal, caller, &statement.statement_handle)
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
    use crate::session::test_session;

    #[test]
    fn prepared_handles_round_trip_with_parameters() {
        let (seal, session) = (HandleSeal::random(), test_session());
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
        let decoded = PreparedStatementHandle::decode_handle(
            &seal,
            &session,
            &handle.encode(&seal, &session),
        )
        .unwrap();
        assert_eq!(decoded, handle);
        assert_eq!(
            decode_parameters(&decoded.parameters).unwrap().unwrap(),
            batch
        );
    }

    #[test]
    fn tickets_round_trip_through_flight_tickets() {
        let (seal, session) = (HandleSeal::random(), test_session());
        let ticket = StatementTicket::query("q1".into(), "SELECT 1".into(), vec![]);
        let flight_ticket = ticket.clone().into_ticket(&seal, &session);
        let decoded = StatementTicket::from_flight_ticket(&seal, &session, &flight_ticket).unwrap();
        assert_eq!(decoded, ticket);
    }

    #[test]
    fn garbage_and_foreign_versions_are_refused() {
        let (seal, session) = (HandleSeal::random(), test_session());
        assert!(PreparedStatementHandle::decode_handle(&seal, &session, b"\xff\xff\xff").is_err());
        let future = PreparedStatementHandle {
            version: 99,
            ..PreparedStatementHandle::prepare("x".into())
        };
        let err = PreparedStatementHandle::decode_handle(
            &seal,
            &session,
            &future.encode(&seal, &session),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("version 99"), "{err}");
        let nonsense = Ticket::new("nonsense");
        assert!(StatementTicket::from_flight_ticket(&seal, &session, &nonsense).is_err());
        assert!(decode_parameters(b"not ipc").is_err());
    }
}

/// Every decoder of client bytes, fed arbitrary and mutated input: none panics, and no
/// altered handle is accepted. Runs on every `cargo test`, briefly. `decode_parameters` is
/// not among them: it only ever reads bytes from inside a sealed handle, and arrow's IPC
/// reader allocates whatever length a garbage prefix claims before failing.
#[cfg(test)]
mod fuzz {
    use std::sync::{Arc, OnceLock};

    use arrow_flight::sql::Command;
    use proptest::prelude::*;

    use super::*;
    use crate::session::test_session_of;

    /// One seal and session for every case: making a session is what would cost the time.
    fn seal_and_session() -> &'static (HandleSeal, Arc<Session>) {
        static ONCE: OnceLock<(HandleSeal, Arc<Session>)> = OnceLock::new();
        ONCE.get_or_init(|| (HandleSeal::random(), test_session_of(Some("alice"))))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn arbitrary_bytes_never_panic_a_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let (seal, session) = seal_and_session();
            let _ = PreparedStatementHandle::decode_handle(seal, session, &bytes);
            let _ = StatementTicket::decode_statement_handle(seal, session, &bytes);
            let _ = StatementTicket::from_flight_ticket(seal, session, &Ticket::new(bytes.clone()));
            if let Ok(any) = Any::decode(bytes.as_slice()) {
                let _ = Command::try_from(any);
            }
        }

        #[test]
        fn no_altered_handle_is_accepted(
            sql in ".{0,64}",
            position in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let (seal, session) = seal_and_session();
            let handle = PreparedStatementHandle::prepare(sql).encode(seal, session);
            let mut altered = handle.to_vec();
            let index = position.index(altered.len());
            altered[index] ^= flip;
            prop_assert!(PreparedStatementHandle::decode_handle(seal, session, &altered).is_err());
        }
    }
}
