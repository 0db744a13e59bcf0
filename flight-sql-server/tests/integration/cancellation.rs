//! Cancelling a running query with `CancelFlightInfo`.

use std::time::{Duration, Instant};

use arrow_flight::{Action, CancelFlightInfoRequest, CancelFlightInfoResult, CancelStatus};
use futures::TryStreamExt;
use prost::Message;
use tonic::Code;

use crate::fixture::{TestServer, code_of, try_fetch};

#[tokio::test]
async fn cancel_flight_info_stops_a_streaming_query_and_its_ticket() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut canceller = server.client().await;
    let info = client
        .execute(
            "SELECT value FROM generate_series(1, 100000000000)".into(),
            None,
        )
        .await
        .unwrap();
    let mut stream = client
        .do_get(info.endpoint[0].ticket.clone().unwrap())
        .await
        .unwrap();
    assert!(
        stream.try_next().await.unwrap().is_some(),
        "the query is running"
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

    let started = Instant::now();
    let outcome = loop {
        match stream.try_next().await {
            Ok(Some(_)) => continue,
            Ok(None) => break None,
            Err(err) => break Some(err),
        }
    };
    let err = outcome.expect("a cancelled stream ends with an error, not a silent end");
    assert_eq!(code_of(&err), Code::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(30));

    let err = try_fetch(&mut client, &info).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Code::Cancelled,
        "a cancelled ticket does not run again"
    );
}
