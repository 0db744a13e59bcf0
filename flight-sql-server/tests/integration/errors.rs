//! Bad input gets a clear status and the server keeps serving.

use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::{CommandPreparedStatementQuery, ProstMessageExt};
use arrow_flight::{FlightDescriptor, Ticket};
use prost::Message;
use tonic::Code;

use crate::fixture::{TestServer, code_of, message_of, query, rows};

#[tokio::test]
async fn sql_errors_are_invalid_argument_with_datafusion_message() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let err = client.execute("SELEC 1".into(), None).await.unwrap_err();
    assert_eq!(code_of(&err), Code::InvalidArgument);
    assert!(message_of(&err).contains("SELEC"), "{}", message_of(&err));

    let err = client
        .execute("SELECT no_such_column FROM nation".into(), None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Code::InvalidArgument);
    assert!(message_of(&err).contains("no_such_column"));

    let err = client
        .execute_update("SET datafusion.no_such_key = 1".into(), None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Code::InvalidArgument);
    let err = client
        .execute_update(
            "SET ballista.shuffle.sort_based.spill_threshold = 7".into(),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        message_of(&err).contains("fraction"),
        "{}",
        message_of(&err)
    );

    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);
}

#[tokio::test]
async fn unknown_tables_are_not_found() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let err = client
        .execute("SELECT * FROM no_such_table".into(), None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Code::NotFound);
    assert!(message_of(&err).contains("no_such_table"));
}

#[tokio::test]
async fn garbage_tickets_and_handles_are_refused_cleanly() {
    let server = TestServer::start().await;
    let mut client = server.client().await;

    let mut raw = FlightServiceClient::new(server.channel().await);
    let status = raw
        .do_get(Ticket::new("definitely not a ticket"))
        .await
        .unwrap_err();
    assert_ne!(status.code(), Code::Internal, "{status}");

    let forged = arrow_flight::sql::TicketStatementQuery {
        statement_handle: "garbage".into(),
    };
    let status = raw
        .do_get(Ticket::new(forged.as_any().encode_to_vec()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status}");

    let command = CommandPreparedStatementQuery {
        prepared_statement_handle: vec![0xff, 0xfe, 0x01].into(),
    };
    let descriptor = FlightDescriptor::new_cmd(command.as_any().encode_to_vec());
    let status = raw.get_flight_info(descriptor).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status}");

    let status = raw
        .get_flight_info(FlightDescriptor::new_cmd(b"\x00\x01garbage".to_vec()))
        .await
        .unwrap_err();
    assert_ne!(status.code(), Code::Internal, "{status}");

    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);
}

#[tokio::test]
async fn oversized_requests_are_refused_and_the_server_keeps_serving() {
    let mut config = trebuchet_flight_sql_server::ServerConfig::loopback();
    config.max_message_size = 1 << 20;
    let server = TestServer::start_with(config).await;
    let mut client = server.client().await;
    let huge = format!("SELECT '{}'", "x".repeat(2 << 20));
    let err = client.execute(huge, None).await.unwrap_err();
    assert!(
        matches!(code_of(&err), Code::OutOfRange | Code::ResourceExhausted),
        "{err}"
    );
    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);
}

#[tokio::test]
async fn several_statements_at_once_are_refused() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let err = client
        .execute("SELECT 1; SELECT 2".into(), None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Code::Unimplemented);
    assert!(
        message_of(&err).contains("single SQL statement"),
        "{}",
        message_of(&err)
    );
}
