//! The Flight session actions, encoded as a client encodes them (raw `Flight.proto`
//! messages, no `Any`).

use std::collections::HashMap;

use arrow_flight::Action;
use futures::TryStreamExt;
use prost::Message;
use tonic::Code;

use crate::fixture::{TestServer, code_of, pretty, query};

#[derive(Clone, PartialEq, Message)]
struct SessionOptionValue {
    #[prost(oneof = "OptionValue", tags = "1, 2, 3, 4")]
    option_value: Option<OptionValue>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum OptionValue {
    #[prost(string, tag = "1")]
    String(String),
    #[prost(bool, tag = "2")]
    Bool(bool),
    #[prost(sfixed64, tag = "3")]
    Int64(i64),
    #[prost(double, tag = "4")]
    Double(f64),
}

#[derive(Clone, PartialEq, Message)]
struct SessionOptions {
    #[prost(map = "string, message", tag = "1")]
    options: HashMap<String, SessionOptionValue>,
}

#[derive(Clone, PartialEq, Message)]
struct SetErrors {
    #[prost(map = "string, message", tag = "1")]
    errors: HashMap<String, SetError>,
}

#[derive(Clone, PartialEq, Message)]
struct SetError {
    #[prost(int32, tag = "1")]
    value: i32,
}

#[derive(Clone, PartialEq, Message)]
struct CloseResult {
    #[prost(int32, tag = "1")]
    status: i32,
}

fn value(option_value: OptionValue) -> SessionOptionValue {
    SessionOptionValue {
        option_value: Some(option_value),
    }
}

async fn action<T: Message + Default>(
    client: &mut arrow_flight::sql::client::FlightSqlServiceClient<tonic::transport::Channel>,
    name: &str,
    body: Vec<u8>,
) -> Result<T, arrow_flight::error::FlightError> {
    let action = Action {
        r#type: name.into(),
        body: body.into(),
    };
    let results: Vec<_> = client.do_action(action).await?.try_collect().await?;
    assert_eq!(
        results.len(),
        1,
        "exactly one result, as the Go client expects"
    );
    Ok(T::decode(results[0].body.clone()).unwrap())
}

#[tokio::test]
async fn set_and_get_session_options_change_only_this_session() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    let mut other = server.session_client().await;
    let request = SessionOptions {
        options: HashMap::from([
            (
                "catalog".to_string(),
                value(OptionValue::String("datafusion".into())),
            ),
            (
                "datafusion.execution.batch_size".to_string(),
                value(OptionValue::Int64(321)),
            ),
            (
                "datafusion.optimizer.prefer_hash_join".to_string(),
                value(OptionValue::Bool(true)),
            ),
            (
                "datafusion.no_such_key".to_string(),
                value(OptionValue::String("1".into())),
            ),
        ]),
    };
    let errors: SetErrors = action(&mut client, "SetSessionOptions", request.encode_to_vec())
        .await
        .unwrap();
    assert_eq!(errors.errors.len(), 1);
    assert_eq!(
        errors.errors["datafusion.no_such_key"].value, 1,
        "INVALID_NAME"
    );

    let options: SessionOptions = action(&mut client, "GetSessionOptions", vec![])
        .await
        .unwrap();
    assert_eq!(
        options.options["datafusion.execution.batch_size"],
        value(OptionValue::Int64(321))
    );
    assert_eq!(
        options.options["datafusion.optimizer.prefer_hash_join"],
        value(OptionValue::Bool(true))
    );
    assert_eq!(
        options.options["catalog"],
        value(OptionValue::String("datafusion".into()))
    );
    assert!(
        pretty(&query(&mut client, "SHOW datafusion.execution.batch_size").await).contains("321")
    );

    let others: SessionOptions = action(&mut other, "GetSessionOptions", vec![])
        .await
        .unwrap();
    assert_eq!(
        others.options["datafusion.execution.batch_size"],
        value(OptionValue::Int64(8192))
    );
}

#[tokio::test]
async fn close_session_ends_it() {
    let server = TestServer::start_with_auth().await;
    let mut client = server.session_client().await;
    let closed: CloseResult = action(&mut client, "CloseSession", vec![]).await.unwrap();
    assert_eq!(closed.status, 1, "CLOSED");
    let err = client.execute("SELECT 1".into(), None).await.unwrap_err();
    assert_eq!(code_of(&err), Code::Unauthenticated);
}

#[tokio::test]
async fn unknown_actions_are_unimplemented() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let err = action::<CloseResult>(&mut client, "Teleport", vec![])
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Code::Unimplemented);
}
