//! Cancelling a query: the client giving up, `CancelFlightInfo`, the session's
//! `ballista.job.timeout`, and closing the session.

use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{Action, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus};
use futures::TryStreamExt;
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;

use crate::fixture::{TestServer, code_of, eventually, try_fetch};

/// Never ends on its own: the final stage writes until the job is cancelled.
const ENDLESS: &str = "SELECT value FROM generate_series(1, 100000000000)";

#[tokio::test]
async fn a_client_giving_up_on_a_running_query_cancels_its_job() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut running = tokio::task::JoinSet::new();
    running.spawn(async move {
        let _ = client.execute(ENDLESS.into(), None).await;
    });
    assert!(
        eventually(|| !server.shuffle_files().is_empty()).await,
        "the job reached the executors"
    );
    running.abort_all();
    assert!(
        eventually(|| server.shuffle_files().is_empty()).await,
        "the job was cancelled and its files deleted on every executor: {:?}",
        server.shuffle_files()
    );
}

#[tokio::test]
async fn cancel_flight_info_releases_a_finished_querys_results() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut canceller = server.client().await;
    let info = client
        .execute("SELECT l_orderkey FROM lineitem".into(), None)
        .await
        .unwrap();
    assert!(
        !server.shuffle_files().is_empty(),
        "the results wait on the executors"
    );

    let cancel = CancelFlightInfoRequest {
        info: Some(info.clone()),
    };
    let action = Action {
        r#type: "CancelFlightInfo".into(),
        body: cancel.encode_to_vec().into(),
    };
    let results: Vec<_> = canceller
        .do_action(action)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let result = CancelFlightInfoResult::decode(results[0].body.clone()).unwrap();
    assert_eq!(result.status, CancelStatus::Cancelled as i32);

    let err = try_fetch(&mut client, &info).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Code::Cancelled,
        "a cancelled ticket does not run again"
    );
    assert!(
        eventually(|| server.shuffle_files().is_empty()).await,
        "{:?}",
        server.shuffle_files()
    );
}

#[tokio::test]
async fn a_query_over_its_sessions_job_timeout_is_cancelled_with_deadline_exceeded() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    client
        .execute_update("SET ballista.job.timeout = '300ms'".into(), None)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.execute(ENDLESS.into(), None).await.unwrap_err();
    assert_eq!(code_of(&err), Code::DeadlineExceeded, "{err}");
    assert!(err.to_string().contains("ballista.job.timeout"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "cancelled near its limit, not at some later deadline"
    );
    assert!(
        eventually(|| server.shuffle_files().is_empty()).await,
        "the job's files were deleted: {:?}",
        server.shuffle_files()
    );
    // The limit is the session's own: the server goes on serving, and 0 lifts it.
    client
        .execute_update("SET ballista.job.timeout = 0".into(), None)
        .await
        .unwrap();
    let info = client
        .execute("SELECT count(*) FROM lineitem".into(), None)
        .await
        .unwrap();
    assert!(try_fetch(&mut client, &info).await.is_ok());
}

/// Once the job of the query `running` has reached the executors, closes its session
/// through `closer`; returns the error the query ended with, once its files are gone.
async fn close_session_during<T: Send + 'static>(
    server: &TestServer,
    mut closer: FlightSqlServiceClient<Channel>,
    mut running: tokio::task::JoinSet<Result<T, FlightError>>,
) -> FlightError {
    assert!(
        eventually(|| !server.shuffle_files().is_empty()).await,
        "the job reached the executors"
    );
    let close = Action {
        r#type: "CloseSession".into(),
        body: Vec::new().into(),
    };
    let _: Vec<_> = closer
        .do_action(close)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(20), running.join_next())
        .await
        .expect("the query ended when its session closed")
        .unwrap()
        .unwrap();
    let Err(err) = ended else {
        panic!("a query over 10^11 rows cannot have finished");
    };
    assert!(
        eventually(|| server.shuffle_files().is_empty()).await,
        "the job's files were deleted: {:?}",
        server.shuffle_files()
    );
    err
}

#[tokio::test]
async fn closing_a_session_cancels_the_query_running_in_it() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    let closer = client.clone();
    let mut running = tokio::task::JoinSet::new();
    running.spawn(async move { client.execute(ENDLESS.into(), None).await });
    let err = close_session_during(&server, closer, running).await;
    assert_eq!(code_of(&err), Code::Cancelled, "{err}");
    assert!(err.to_string().contains("session was closed"), "{err}");
}

#[tokio::test]
async fn closing_a_session_cancels_a_query_streamed_through_a_single_endpoint() {
    let mut config = trebuchet_flight_sql_server::ServerConfig::loopback();
    config.result_endpoints = trebuchet_cluster::ResultEndpoints::Single;
    let server = TestServer::start_with(config).await;
    let mut client = server.session_client().await;
    let closer = client.clone();
    // With one endpoint the job runs when the ticket is redeemed.
    let info = client.execute(ENDLESS.into(), None).await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let mut running = tokio::task::JoinSet::new();
    running.spawn(async move {
        match client.do_get(ticket).await {
            Ok(stream) => stream.try_collect::<Vec<_>>().await.map(|_| ()),
            Err(err) => Err(err),
        }
    });
    let err = close_session_during(&server, closer, running).await;
    assert_eq!(code_of(&err), Code::Cancelled, "{err}");
}
