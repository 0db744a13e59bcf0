//! TLS with a certificate generated for the test.

use std::time::Duration;

use arrow_flight::sql::client::FlightSqlServiceClient;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use trebuchet_flight_sql_server::{ServerConfig, TlsFiles};

use crate::fixture::{TestServer, query, rows};

#[tokio::test]
async fn serves_over_tls_and_refuses_plaintext() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert_pem = certified.cert.pem();
    let mut config = ServerConfig::loopback();
    config.tls = Some(TlsFiles::from_pem(
        cert_pem.clone(),
        certified.signing_key.serialize_pem(),
    ));
    let server = TestServer::start_with(config).await;

    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(cert_pem))
        .domain_name("localhost");
    let channel = Endpoint::from_shared(format!("https://{}", server.addr))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    let mut client = FlightSqlServiceClient::new(channel);
    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);

    let lazy = Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect_lazy();
    let mut plaintext = FlightSqlServiceClient::new(lazy);
    assert!(plaintext.execute("SELECT 1".into(), None).await.is_err());
}
