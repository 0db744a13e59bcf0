//! Cancelling a running query with `CancelFlightInfo`.

use std::time::{Duration, Instant};

use arrow_flight::{Action, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus};
use futures::TryStreamExt;
use prost::Message;
use tonic::Code;

use crate::fixture::{TestServer, code_of, try_fetch};

#[tokio::test]
async fn cancel_flight_info_stops_a_running_job_and_its_ticket() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut canceller = server.client().await;
    // Never ends on its own: the final stage writes forever until cancelled.
    let info = client
        .execute(
            "SELECT value FROM generate_series(1, 100000000000)".into(),
            None,
        )
        .await
        .unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let mut fetcher = client.clone();
    let mut fetching = tokio::task::JoinSet::new();
    fetching.spawn(async move { fetcher.do_get(ticket).await.map(|_| ()) });
    // Let the job reach the executors (if it has not, cancelling still wins).
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.shuffle_files().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

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

    let outcome = tokio::time::timeout(Duration::from_secs(30), fetching.join_next())
        .await
        .expect("the cancelled DoGet returns")
        .unwrap()
        .unwrap();
    let err = outcome.expect_err("a cancelled query ends with an error, not a silent end");
    assert_eq!(code_of(&err), Code::Cancelled);

    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.shuffle_files().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        server.shuffle_files(),
        Vec::<std::path::PathBuf>::new(),
        "the cancelled job's files are deleted on every executor"
    );

    let err = try_fetch(&mut client, &info).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Code::Cancelled,
        "a cancelled ticket does not run again"
    );
}
