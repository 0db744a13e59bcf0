//! Mutual TLS between cluster processes: a CA and a certificate for 127.0.0.1/localhost
//! generated here, a `trebuchet scheduler` and two `trebuchet executor` processes given
//! `--cluster-tls-cert/--cluster-tls-key/--cluster-ca`, a query whose stages shuffle
//! between the executors, and an executor port that refuses plain text and TLS clients
//! without a certificate the CA signed.

use std::path::Path;
use std::time::Duration;

use arrow_flight::Ticket;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::client::FlightSqlServiceClient;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::fixture::{column_sum, pretty, query};
use crate::processes::{Process, word_after};

/// PEM files of a test CA and of one certificate it signed for 127.0.0.1 and localhost,
/// good for serving and for client authentication.
struct TestPki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

impl TestPki {
    fn generate() -> Self {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.signed_by(&key, &ca).unwrap();
        Self {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes the three files under `dir`; returns the flags naming them.
    fn flags(&self, dir: &Path) -> Vec<String> {
        let write = |name: &str, pem: &str| {
            let path = dir.join(name);
            std::fs::write(&path, pem).unwrap();
            path.to_string_lossy().into_owned()
        };
        vec![
            "--cluster-tls-cert".into(),
            write("node.pem", &self.cert_pem),
            "--cluster-tls-key".into(),
            write("node.key", &self.key_pem),
            "--cluster-ca".into(),
            write("ca.pem", &self.ca_pem),
        ]
    }

    /// A client that trusts the CA, presenting the cluster certificate or none.
    fn client(&self, with_certificate: bool) -> ClientTlsConfig {
        let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&self.ca_pem));
        if with_certificate {
            tls.identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
        } else {
            tls
        }
    }
}

fn start(args: &[String]) -> Process {
    Process::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

async fn tls_channel(url: String, tls: ClientTlsConfig) -> Channel {
    Endpoint::from_shared(url)
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap()
}

/// A `DoGet` on an executor's Flight port, without a grant: its outcome tells whether the
/// call got through the transport to the service.
async fn do_get_without_grant(endpoint: Endpoint) -> Result<(), tonic::Status> {
    let channel = endpoint
        .connect_timeout(Duration::from_secs(5))
        .connect_lazy();
    let mut client = FlightServiceClient::new(channel);
    let call = client.do_get(Ticket::new(Vec::<u8>::new()));
    match tokio::time::timeout(Duration::from_secs(10), call).await {
        Ok(outcome) => outcome.map(|_| ()),
        Err(_) => Err(tonic::Status::deadline_exceeded("no answer")),
    }
}

/// Whether a call failed below gRPC: the connection, not the service, said no (how it
/// shows varies: a broken pipe, a closed connection, or the server's TLS alert read as a
/// bad HTTP/2 frame).
fn refused_by_transport(status: &tonic::Status) -> bool {
    std::error::Error::source(status).is_some_and(|source| source.is::<tonic::transport::Error>())
}

#[tokio::test]
async fn cluster_processes_talk_mutual_tls_and_executor_ports_refuse_anything_else() {
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).to_string_lossy().into_owned();
    let pki = TestPki::generate();
    let tls_flags = pki.flags(work.path());

    let mut args: Vec<String> = [
        "scheduler",
        "--port",
        "0",
        "--tpch-scale",
        "0.01",
        "--work-dir",
        &path("scheduler"),
        "--cluster-token",
        "s3cret",
    ]
    .map(String::from)
    .to_vec();
    args.extend(tls_flags.iter().cloned());
    let mut scheduler = start(&args);
    // Without --tls-cert, the cluster certificate serves the client port too.
    let port = scheduler.wait_for_word_after("grpc+tls://127.0.0.1:").await;
    let url = format!("https://127.0.0.1:{port}");

    let mut executors = Vec::new();
    let mut flight_urls = Vec::new();
    for name in ["executor-a", "executor-b"] {
        let mut args: Vec<String> = [
            "executor",
            "--scheduler-url",
            &url,
            "--port",
            "0",
            "--work-dir",
            &path(name),
            "--cluster-token",
            "s3cret",
            "--concurrent-tasks",
            "1",
        ]
        .map(String::from)
        .to_vec();
        args.extend(tls_flags.iter().cloned());
        let mut executor = start(&args);
        flight_urls.push(executor.wait_for_word_after("flight=").await);
        executor.wait_for("registered with the scheduler").await;
        executors.push(executor);
    }
    for flight_url in &flight_urls {
        assert!(flight_url.starts_with("https://127.0.0.1:"), "{flight_url}");
    }

    // A SQL client has no certificate: the scheduler's port lets it in over TLS.
    let channel = tls_channel(url.clone(), pki.client(false)).await;
    let mut client = FlightSqlServiceClient::new(channel);
    let batches = query(
        &mut client,
        "SELECT l_returnflag, l_linestatus, count(*) AS n FROM lineitem \
         GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus",
    )
    .await;
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).sum::<usize>(),
        4,
        "{}",
        pretty(&batches)
    );
    let total = column_sum(&batches, 2);
    // TPC-H at scale 0.01 has 60,175 line items.
    assert_eq!(total, 60_175, "{}", pretty(&batches));
    // Each executor read the other's shuffle files over TLS at the first try: a failed
    // fetch would have marked one lost and rerun its work on the other.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lost: Vec<String> = scheduler
        .lines_so_far()
        .into_iter()
        .filter(|line| line.contains("executor lost"))
        .collect();
    assert!(lost.is_empty(), "{lost:?}");

    let executor_port = word_after(&flight_urls[0], "https://127.0.0.1:").to_string();
    // Plain text to an executor's port gets no answer from its service.
    let plaintext = do_get_without_grant(
        Endpoint::from_shared(format!("http://127.0.0.1:{executor_port}")).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(refused_by_transport(&plaintext), "{plaintext:?}");
    // Nor does TLS without a client certificate.
    let anonymous = do_get_without_grant(
        Endpoint::from_shared(flight_urls[0].clone())
            .unwrap()
            .tls_config(pki.client(false))
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert!(refused_by_transport(&anonymous), "{anonymous:?}");
    // With the cluster certificate the call reaches the service, which wants a grant.
    let certified = do_get_without_grant(
        Endpoint::from_shared(flight_urls[0].clone())
            .unwrap()
            .tls_config(pki.client(true))
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        certified.code(),
        tonic::Code::Unauthenticated,
        "{certified}"
    );
}

#[tokio::test]
async fn cluster_tls_needs_all_three_files_and_an_https_scheduler() {
    let work = tempfile::tempdir().unwrap();
    let pki = TestPki::generate();
    let tls_flags = pki.flags(work.path());
    let work_dir = work.path().join("executor").to_string_lossy().into_owned();
    let base = [
        "executor",
        "--port",
        "0",
        "--work-dir",
        &work_dir,
        "--cluster-token",
        "s3cret",
    ]
    .map(String::from)
    .to_vec();

    let mut partial = base.clone();
    partial.extend(tls_flags[..4].iter().cloned());
    let refused = start(&partial).wait_for("all three").await;
    assert!(refused.contains("--cluster-ca"), "{refused}");

    let mut plain_scheduler = base;
    plain_scheduler.extend(["--scheduler-url".into(), "http://127.0.0.1:1".into()]);
    plain_scheduler.extend(tls_flags.iter().cloned());
    let refused = start(&plain_scheduler).wait_for("https://").await;
    assert!(refused.contains("--scheduler-url"), "{refused}");
}
