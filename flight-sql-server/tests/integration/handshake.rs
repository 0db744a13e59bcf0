//! Authentication and session establishment.

use arrow_flight::HandshakeRequest;
use arrow_flight::flight_service_client::FlightServiceClient;
use base64::Engine;
use tonic::Code;

use crate::fixture::{TestServer, code_of, query, rows};

async fn raw_handshake(
    server: &TestServer,
    authorization: &str,
) -> Result<tonic::metadata::MetadataMap, tonic::Status> {
    let mut client = FlightServiceClient::new(server.channel().await);
    let mut request = tonic::Request::new(futures::stream::iter(vec![HandshakeRequest::default()]));
    request
        .metadata_mut()
        .insert("authorization", authorization.parse().unwrap());
    let response = client.handshake(request).await?;
    Ok(response.metadata().clone())
}

#[tokio::test]
async fn without_users_anonymous_calls_and_bearer_none_are_served() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);

    client.set_header("authorization", "Bearer None");
    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);
}

#[tokio::test]
async fn handshake_returns_a_bearer_token_that_authorizes_later_calls() {
    let server = TestServer::start_with_auth().await;
    let mut client = server.client().await;
    let payload = client.handshake("alice", "secret").await.unwrap();
    let token = client
        .token()
        .cloned()
        .expect("the authorization header carries a token");
    assert_eq!(payload, token.as_bytes());
    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);
}

#[tokio::test]
async fn wrong_credentials_and_anonymous_calls_are_unauthenticated() {
    let server = TestServer::start_with_auth().await;
    let mut client = server.client().await;
    assert!(client.handshake("alice", "wrong").await.is_err());
    assert!(client.handshake("mallory", "secret").await.is_err());

    let err = client.execute("SELECT 1".into(), None).await.unwrap_err();
    assert_eq!(code_of(&err), Code::Unauthenticated);

    client.set_token("forged".into());
    let err = client.execute("SELECT 1".into(), None).await.unwrap_err();
    assert_eq!(code_of(&err), Code::Unauthenticated);
}

#[tokio::test]
async fn basic_credentials_are_accepted_padded_and_unpadded() {
    let server = TestServer::start_with_auth().await;
    // "alice:secret" is 12 bytes: base64 of it needs no padding, so use a password that does.
    let mut config = trebuchet_flight_sql_server::ServerConfig::loopback();
    config.users =
        trebuchet_flight_sql_server::UserStore::from_specs(&["alice:secret1".into()]).unwrap();
    let padded_server = TestServer::start_with(config).await;
    let padded = base64::engine::general_purpose::STANDARD.encode("alice:secret1");
    let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode("alice:secret1");
    assert_ne!(padded, unpadded);
    for encoded in [padded, unpadded] {
        let headers = raw_handshake(&padded_server, &format!("Basic {encoded}"))
            .await
            .unwrap();
        let bearer = headers.get("authorization").unwrap().to_str().unwrap();
        assert!(bearer.starts_with("Bearer "), "{bearer}");
    }
    let err = raw_handshake(&server, "Basic bm90OnJpZ2h0")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn the_session_cookie_works_in_place_of_the_bearer_token() {
    let server = TestServer::start_with_auth().await;
    let headers = raw_handshake(
        &server,
        &format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("alice:secret")
        ),
    )
    .await
    .unwrap();
    let cookie = headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("arrow_flight_session_id="), "{cookie}");
    let name_value = cookie.split(';').next().unwrap().to_string();

    let mut client = server.client().await;
    client.set_header("cookie", name_value);
    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);
}
