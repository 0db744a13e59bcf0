//! Two users on one server, bob trying to reach alice's work: her result tickets, her
//! prepared statements, her queries and her sessions. Every attempt is refused, and alice's
//! work goes on untouched.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, Any, CommandPreparedStatementQuery, CommandStatementQuery,
    ProstMessageExt, TicketStatementQuery,
};
use arrow_flight::{
    Action, CancelFlightInfoRequest, FlightData, FlightDescriptor, FlightEndpoint, FlightInfo,
    Ticket,
};
use futures::TryStreamExt;
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;
use trebuchet_flight_sql_server::ServerConfig;

use crate::fixture::{TestServer, code_of, fetch, message_of, pretty, rows, try_fetch};

/// The rows of alice's query: enough for several result partitions.
const ALICES_QUERY: &str = "SELECT l_orderkey, l_linenumber FROM lineitem WHERE l_orderkey < 8000";

async fn alice_and_bob(
    server: &TestServer,
) -> (
    FlightSqlServiceClient<Channel>,
    FlightSqlServiceClient<Channel>,
) {
    let alice = server.session_client_as("alice", "secret").await;
    let bob = server.session_client_as("bob", "hunter2").await;
    (alice, bob)
}

/// A request carrying `client`'s session token, for calls `FlightSqlServiceClient` has no
/// method for.
fn as_client<T>(client: &FlightSqlServiceClient<Channel>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let token = client.token().expect("the client handshook");
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn status_code(result: Result<impl Sized, tonic::Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn bob_cannot_redeem_alices_result_tickets_and_she_still_reads_them_all() {
    let server = TestServer::start_with_two_users(ServerConfig::loopback()).await;
    let (mut alice, mut bob) = alice_and_bob(&server).await;
    let info = alice.execute(ALICES_QUERY.into(), None).await.unwrap();
    assert!(info.endpoint.len() > 1, "several partitions: {info:?}");
    for endpoint in &info.endpoint {
        let ticket = endpoint.ticket.clone().unwrap();
        let err = match bob.do_get(ticket).await {
            Ok(stream) => stream.try_collect::<Vec<_>>().await.unwrap_err(),
            Err(err) => err,
        };
        assert_eq!(code_of(&err), Code::PermissionDenied, "{err}");
        assert!(message_of(&err).contains("another session"), "{err}");
    }
    // Another session of alice's own is refused too: tickets are bound to a session.
    let mut alice_again = server.session_client_as("alice", "secret").await;
    let err = try_fetch(&mut alice_again, &info).await.unwrap_err();
    assert_eq!(code_of(&err), Code::PermissionDenied, "{err}");
    let expected = rows(&crate::fixture::query(&mut alice, ALICES_QUERY).await);
    assert_eq!(rows(&fetch(&mut alice, &info).await), expected);
}

#[tokio::test]
async fn bob_cannot_redeem_alices_lazy_single_endpoint_ticket() {
    let mut config = ServerConfig::loopback();
    config.result_endpoints = trebuchet_cluster::ResultEndpoints::Single;
    let server = TestServer::start_with_two_users(config).await;
    let (mut alice, mut bob) = alice_and_bob(&server).await;
    let info = alice.execute(ALICES_QUERY.into(), None).await.unwrap();
    assert_eq!(info.endpoint.len(), 1);
    let err = try_fetch(&mut bob, &info).await.unwrap_err();
    assert_eq!(code_of(&err), Code::PermissionDenied, "{err}");
    assert!(rows(&fetch(&mut alice, &info).await) > 0);
}

#[tokio::test]
async fn bob_cannot_run_bind_or_close_alices_prepared_statement() {
    let server = TestServer::start_with_two_users(ServerConfig::loopback()).await;
    let (mut alice, mut bob) = alice_and_bob(&server).await;
    let sql = "SELECT n_name FROM nation WHERE n_nationkey = ?";
    let mut prepared = alice.prepare(sql.into(), None).await.unwrap();
    let her_handle = prepare_handle(&mut alice, sql).await;

    // Run it.
    let command = CommandPreparedStatementQuery {
        prepared_statement_handle: her_handle.clone(),
    };
    let descriptor = FlightDescriptor::new_cmd(command.as_any().encode_to_vec());
    let request = as_client(&bob, descriptor.clone());
    let run = bob.inner_mut().get_flight_info(request).await;
    assert_eq!(status_code(run), Code::PermissionDenied);

    // Bind his own parameter to her statement id.
    let put = bob.do_put(bind_request(descriptor, 24)).await;
    let code = match put {
        Ok(mut results) => status_code(results.message().await),
        Err(err) => code_of(&err),
    };
    assert_eq!(code, Code::PermissionDenied);

    // Close it.
    let close = ActionClosePreparedStatementRequest {
        prepared_statement_handle: her_handle.clone(),
    };
    let action = Action::new("ClosePreparedStatement", close.as_any().encode_to_vec());
    let closed = bob.do_action(action).await;
    let code = match closed {
        Ok(mut results) => status_code(results.message().await),
        Err(err) => code_of(&err),
    };
    assert_eq!(code, Code::PermissionDenied);

    // Her statement answers her parameter, not his.
    prepared.set_parameters(nation_key(1)).unwrap();
    let info = prepared.execute().await.unwrap();
    let answer = pretty(&fetch(&mut alice, &info).await);
    assert!(answer.contains("ARGENTINA"), "{answer}");
    assert!(!answer.contains("ROMANIA"), "{answer}");
}

#[tokio::test]
async fn bob_cannot_cancel_alices_query_or_release_it_with_a_forged_flight_info() {
    let server = TestServer::start_with_two_users(ServerConfig::loopback()).await;
    let (mut alice, mut bob) = alice_and_bob(&server).await;
    let info = alice.execute(ALICES_QUERY.into(), None).await.unwrap();

    let cancel = |info: FlightInfo| {
        let request = CancelFlightInfoRequest { info: Some(info) };
        Action::new("CancelFlightInfo", request.encode_to_vec())
    };
    let code = match bob.do_action(cancel(info.clone())).await {
        Ok(mut results) => status_code(results.message().await),
        Err(err) => code_of(&err),
    };
    assert_eq!(
        code,
        Code::PermissionDenied,
        "her own FlightInfo, sent by bob"
    );

    // A ticket naming her job but not sealed by the server, or re-labelled as bob's.
    for forged in forgeries(&info) {
        let forged_info =
            FlightInfo::new().with_endpoint(FlightEndpoint::new().with_ticket(forged));
        let code = match bob.do_action(cancel(forged_info)).await {
            Ok(mut results) => status_code(results.message().await),
            Err(err) => code_of(&err),
        };
        assert_eq!(code, Code::InvalidArgument, "a forged ticket is not ours");
    }
    let expected = rows(&crate::fixture::query(&mut alice, ALICES_QUERY).await);
    assert_eq!(rows(&fetch(&mut alice, &info).await), expected);
}

#[tokio::test]
async fn forged_and_malformed_tickets_are_the_clients_fault() {
    let server = TestServer::start_with_two_users(ServerConfig::loopback()).await;
    let (mut alice, mut bob) = alice_and_bob(&server).await;
    let info = alice.execute(ALICES_QUERY.into(), None).await.unwrap();
    let mut malformed = forgeries(&info);
    malformed.push(Ticket::new("nonsense"));
    // A Flight SQL command whose string field is not UTF-8.
    let bad_utf8 = Any {
        type_url: CommandStatementQuery::type_url().into(),
        value: vec![0x0a, 0x02, 0xff, 0xfe].into(),
    };
    malformed.push(Ticket::new(bad_utf8.encode_to_vec()));
    for ticket in malformed {
        let err = match bob.do_get(ticket).await {
            Ok(stream) => stream.try_collect::<Vec<_>>().await.unwrap_err(),
            Err(err) => err,
        };
        assert_eq!(code_of(&err), Code::InvalidArgument, "{err}");
    }
    let descriptor = FlightDescriptor::new_cmd(bad_utf8.encode_to_vec());
    let request = as_client(&bob, descriptor);
    let planned = bob.inner_mut().get_flight_info(request).await;
    assert_eq!(status_code(planned), Code::InvalidArgument);
    assert!(rows(&fetch(&mut alice, &info).await) > 0);
}

#[tokio::test]
async fn a_huge_forged_cancel_request_is_refused_at_once_and_others_keep_working() {
    let server = TestServer::start_with_two_users(ServerConfig::loopback()).await;
    let (mut alice, mut bob) = alice_and_bob(&server).await;
    let info = alice.execute(ALICES_QUERY.into(), None).await.unwrap();
    let forged = forgeries(&info).remove(0);
    let mut huge = FlightInfo::new();
    for _ in 0..60_000 {
        huge = huge.with_endpoint(FlightEndpoint::new().with_ticket(forged.clone()));
    }
    let started = Instant::now();
    let request = CancelFlightInfoRequest { info: Some(huge) };
    let action = Action::new("CancelFlightInfo", request.encode_to_vec());
    let code = match bob.do_action(action).await {
        Ok(mut results) => status_code(results.message().await),
        Err(err) => code_of(&err),
    };
    assert_eq!(code, Code::InvalidArgument);
    eprintln!("60,000 forged endpoints refused in {:?}", started.elapsed());
    assert!(rows(&fetch(&mut alice, &info).await) > 0);
}

#[tokio::test]
async fn bob_opening_sessions_by_the_thousand_never_logs_alice_out() {
    let server = TestServer::start_with_two_users(ServerConfig::loopback()).await;
    let (mut alice, _) = alice_and_bob(&server).await;
    let mut bob = server.client().await;
    for _ in 0..1_100 {
        bob.handshake("bob", "hunter2").await.unwrap();
    }
    let batches = crate::fixture::query(&mut alice, "SELECT 1 AS one").await;
    assert_eq!(rows(&batches), 1, "alice's session survived");
    // Bob's own newest session works too; his oldest made room for it.
    assert_eq!(rows(&crate::fixture::query(&mut bob, "SELECT 1").await), 1);
}

#[tokio::test]
async fn a_session_cannot_ask_for_more_tasks_than_the_server_allows() {
    let server = TestServer::start_with_two_users(ServerConfig::loopback()).await;
    let (mut alice, _) = alice_and_bob(&server).await;
    alice
        .execute_update(
            "SET datafusion.execution.target_partitions = 100000".into(),
            None,
        )
        .await
        .unwrap();
    let sql = "SELECT l_orderkey, count(*) FROM lineitem GROUP BY l_orderkey";
    let err = alice.execute(sql.into(), None).await.unwrap_err();
    assert_eq!(code_of(&err), Code::ResourceExhausted, "{err}");
    assert!(message_of(&err).contains("at most 4096"), "{err}");
    assert_eq!(
        rows(&crate::fixture::query(&mut alice, "SELECT 1").await),
        1
    );
}

#[tokio::test]
async fn oversized_parameter_bindings_are_refused_and_not_kept() {
    let server = TestServer::start_with_two_users(ServerConfig::loopback()).await;
    let (mut alice, _) = alice_and_bob(&server).await;
    let sql = "SELECT n_name FROM nation WHERE n_nationkey = ?";
    let handle = prepare_handle(&mut alice, sql).await;
    let command = CommandPreparedStatementQuery {
        prepared_statement_handle: handle,
    };
    let descriptor = FlightDescriptor::new_cmd(command.as_any().encode_to_vec());
    // 24 MiB of parameter rows, over the 16 MiB a statement may bind.
    let put = alice.do_put(bind_request(descriptor, 3 << 20)).await;
    let code = match put {
        Ok(mut results) => status_code(results.message().await),
        Err(err) => code_of(&err),
    };
    assert_eq!(code, Code::ResourceExhausted);
    assert_eq!(
        rows(&crate::fixture::query(&mut alice, "SELECT 1").await),
        1
    );
}

/// Prepares `sql` and returns the raw handle the server issued.
async fn prepare_handle(client: &mut FlightSqlServiceClient<Channel>, sql: &str) -> bytes::Bytes {
    let request = arrow_flight::sql::ActionCreatePreparedStatementRequest {
        query: sql.into(),
        transaction_id: None,
    };
    let action = Action::new("CreatePreparedStatement", request.as_any().encode_to_vec());
    let result = client
        .do_action(action)
        .await
        .unwrap()
        .message()
        .await
        .unwrap()
        .unwrap();
    let any = Any::decode(result.body).unwrap();
    let created: arrow_flight::sql::ActionCreatePreparedStatementResult =
        any.unpack().unwrap().unwrap();
    created.prepared_statement_handle
}

fn nation_key(key: i64) -> RecordBatch {
    RecordBatch::try_from_iter([("0", Arc::new(Int64Array::from(vec![key])) as ArrayRef)]).unwrap()
}

/// A `DoPut` binding `rows` copies of nation key 19 (ROMANIA) under `descriptor`.
fn bind_request(
    descriptor: FlightDescriptor,
    rows: usize,
) -> futures::stream::Iter<std::vec::IntoIter<FlightData>> {
    let batch =
        RecordBatch::try_from_iter([("0", Arc::new(Int64Array::from(vec![19; rows])) as ArrayRef)])
            .unwrap();
    let encoded = futures::executor::block_on(
        arrow_flight::encode::FlightDataEncoderBuilder::new()
            .with_flight_descriptor(Some(descriptor))
            .build(futures::stream::iter([Ok(batch)]))
            .try_collect::<Vec<_>>(),
    )
    .unwrap();
    futures::stream::iter(encoded)
}

/// The sealed envelope the server wraps handles in, as a client sees its bytes.
#[derive(Clone, PartialEq, Message)]
struct Envelope {
    #[prost(uint32, tag = "1")]
    version: u32,
    #[prost(string, tag = "2")]
    session_id: String,
    #[prost(string, tag = "3")]
    user: String,
    #[prost(bytes = "vec", tag = "4")]
    payload: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    tag: Vec<u8>,
}

/// Tickets an attacker can build from one of alice's: her ticket's contents without the
/// seal (the unsigned form tickets had before), and her sealed ticket re-labelled as bob's.
fn forgeries(info: &FlightInfo) -> Vec<Ticket> {
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let any = Any::decode(ticket.ticket).unwrap();
    let statement: TicketStatementQuery = any.unpack().unwrap().unwrap();
    let envelope = Envelope::decode(statement.statement_handle).unwrap();
    let wrap = |handle: Vec<u8>| {
        let statement = TicketStatementQuery {
            statement_handle: handle.into(),
        };
        Ticket::new(statement.as_any().encode_to_vec())
    };
    let relabelled = Envelope {
        user: "bob".into(),
        ..envelope.clone()
    };
    let unbound = Envelope {
        user: String::new(),
        session_id: String::new(),
        ..envelope.clone()
    };
    vec![
        wrap(envelope.payload.clone()),
        wrap(relabelled.encode_to_vec()),
        wrap(unbound.encode_to_vec()),
    ]
}
