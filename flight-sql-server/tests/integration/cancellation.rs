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

/// Never ends on its own: the final stage writes until the job is cancelled. Its rows
/// stream to the client all the while.
const ENDLESS: &str = "SELECT value FROM generate_series(1, 100000000000)";

/// Never ends either, but in a stage before the final one (the shuffle of the join's
/// left side): its `FlightInfo` never comes.
const ENDLESS_BEFORE_THE_FINAL_STAGE: &str = "SELECT count(*) FROM generate_series(1, 100000000000) a \
     JOIN generate_series(1, 10) b ON a.value = b.value";

/// A client whose session writes shuffles with the hash-based writer, which creates its
/// files as rows arrive: a stage that never ends shows on disk.
async fn hash_shuffle_client(server: &TestServer) -> FlightSqlServiceClient<Channel> {
    let mut client = server.session_client().await;
    client
        .execute_update(
            "SET ballista.shuffle.sort_based.enabled = false".into(),
            None,
        )
        .await
        .unwrap();
    client
}

/// Starts reading the first result partition of `info`.
async fn first_partition(
    client: &mut FlightSqlServiceClient<Channel>,
    info: &arrow_flight::FlightInfo,
) -> arrow_flight::decode::FlightRecordBatchStream {
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    client.do_get(ticket).await.unwrap()
}

#[tokio::test]
async fn a_client_giving_up_before_the_results_start_cancels_its_job() {
    let server = TestServer::start().await;
    let mut client = hash_shuffle_client(&server).await;
    let mut running = tokio::task::JoinSet::new();
    running.spawn(async move {
        let _ = client
            .execute(ENDLESS_BEFORE_THE_FINAL_STAGE.into(), None)
            .await;
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
async fn the_rows_of_a_query_that_never_ends_stream_until_the_client_stops_reading() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client.execute(ENDLESS.into(), None).await.unwrap();
    let mut rows = first_partition(&mut client, &info).await;
    // The job cannot have ended: these rows were sent while its final stage ran.
    let mut read = 0;
    while read < 100_000 {
        read += rows.try_next().await.unwrap().unwrap().num_rows();
    }
    drop(rows);
    assert!(
        eventually(|| server.shuffle_files().is_empty()).await,
        "dropping the result stream cancelled the job and deleted its files: {:?}",
        server.shuffle_files()
    );
    let err = try_fetch(&mut client, &info).await.unwrap_err();
    assert!(err.to_string().contains("run the query again"), "{err}");
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
        eventually(|| !server.shuffle_files().is_empty()).await,
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
    // The limit cuts a query whose results are streaming as well.
    let info = client.execute(ENDLESS.into(), None).await.unwrap();
    let err = try_fetch(&mut client, &info).await.unwrap_err();
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

/// Closes the session of `closer`; returns the error `running` ended with.
async fn close_session_and_wait<T: Send + 'static>(
    closer: &mut FlightSqlServiceClient<Channel>,
    mut running: tokio::task::JoinSet<Result<T, FlightError>>,
) -> FlightError {
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
        .expect("the work ended when its session closed")
        .unwrap()
        .unwrap();
    let Err(err) = ended else {
        panic!("work over 10^11 rows cannot have finished");
    };
    err
}

/// Once the job of the query `running` has reached the executors, closes its session
/// through `closer`; returns the error the query ended with, once its files are gone.
async fn close_session_during<T: Send + 'static>(
    server: &TestServer,
    mut closer: FlightSqlServiceClient<Channel>,
    running: tokio::task::JoinSet<Result<T, FlightError>>,
) -> FlightError {
    assert!(
        eventually(|| !server.shuffle_files().is_empty()).await,
        "the job reached the executors"
    );
    let err = close_session_and_wait(&mut closer, running).await;
    assert!(
        eventually(|| server.shuffle_files().is_empty()).await,
        "the job's files were deleted: {:?}",
        server.shuffle_files()
    );
    err
}

#[tokio::test]
async fn closing_a_session_cancels_the_query_streaming_in_it() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    let closer = client.clone();
    let info = client.execute(ENDLESS.into(), None).await.unwrap();
    let mut rows = first_partition(&mut client, &info).await;
    rows.try_next()
        .await
        .unwrap()
        .expect("rows arrive while the job runs");
    let mut running = tokio::task::JoinSet::new();
    running.spawn(async move { rows.try_collect::<Vec<_>>().await.map(|_| ()) });
    let err = close_session_during(&server, closer, running).await;
    assert_eq!(code_of(&err), Code::Cancelled, "{err}");
    assert!(err.to_string().contains("session was closed"), "{err}");
}

#[tokio::test]
async fn closing_a_session_cancels_a_query_whose_results_nobody_reads() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    let closer = client.clone();
    let _info = client.execute(ENDLESS.into(), None).await.unwrap();
    let mut idle = tokio::task::JoinSet::new();
    idle.spawn(async { Err::<(), _>(FlightError::protocol("nobody reads")) });
    close_session_during(&server, closer, idle).await;
}

#[tokio::test]
async fn closing_a_session_cancels_the_query_planned_in_it() {
    let server = TestServer::start().await;
    let mut client = hash_shuffle_client(&server).await;
    let closer = client.clone();
    let mut running = tokio::task::JoinSet::new();
    running.spawn(async move {
        client
            .execute(ENDLESS_BEFORE_THE_FINAL_STAGE.into(), None)
            .await
    });
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

#[tokio::test]
async fn closing_a_session_stops_a_command_running_in_it() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    let mut closer = client.clone();
    // Runs on the scheduler for hours, in constant memory.
    let endless_command =
        "CREATE TABLE never_done AS SELECT count(*) AS n FROM generate_series(1, 100000000000)";
    let mut running = tokio::task::JoinSet::new();
    running.spawn(async move { client.execute_update(endless_command.into(), None).await });
    // Give the command time to start before the session closes under it.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let err = close_session_and_wait(&mut closer, running).await;
    assert_eq!(code_of(&err), Code::Cancelled, "{err}");
    assert!(err.to_string().contains("session was closed"), "{err}");
}
