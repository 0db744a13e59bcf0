//! `/healthz` and `/readyz` over plain HTTP/1.1, on the same ports as gRPC: the
//! scheduler's Flight SQL port and an executor's Flight port, asked the way a Kubernetes
//! probe or `curl` asks. Every process is a real `trebuchet` started here.

use std::time::{Duration, Instant};

use arrow_flight::sql::client::FlightSqlServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::transport::Endpoint;

use crate::fixture::{query, rows};
use crate::processes::{Process, executor, scheduler, word_after};

/// One HTTP/1.1 `GET` of `path` on `addr` (`host:port`): the status code and the body.
pub(crate) async fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("an HTTP answer within 10s")
    .unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Asks `/readyz` until it answers 200, for at most 30 seconds.
pub(crate) async fn wait_until_ready(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = http_get(addr, "/readyz").await;
        if status == 200 {
            assert_eq!(body, "ready\n");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still not ready: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `host:port` of an executor's Flight port, from its start-up log line.
pub(crate) async fn executor_addr(executor: &mut Process) -> String {
    let line = executor.wait_for("executor is running").await;
    word_after(&line, "flight=").to_string()
}

#[tokio::test]
async fn the_scheduler_port_answers_probes_beside_flight_sql() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("scheduler").to_string_lossy().into_owned();
    let mut scheduler = scheduler(&dir, "0.01", "s3cret", &[]);
    let addr = scheduler.wait_for_word_after("listening on ").await;
    // While the tables load the process is alive, but not ready: queries would not find
    // them. (Once loaded it says ready; either answer is right at this instant.)
    assert_eq!(http_get(&addr, "/healthz").await, (200, "ok\n".into()));
    let (status, body) = http_get(&addr, "/readyz").await;
    assert!(
        (status, body.as_str()) == (503, "server is starting: loading the catalog\n")
            || (status, body.as_str()) == (200, "ready\n"),
        "{status} {body}"
    );
    let url = scheduler.grpc_url().await;
    assert_eq!(url, format!("http://{addr}"));
    wait_until_ready(&addr).await;
    let (status, _) = http_get(&addr, "/no/such/page").await;
    assert_eq!(status, 404);

    // gRPC on the same port is unaffected: the executor registers, a query runs.
    let mut executor = executor(
        &url,
        &work.path().join("executor").to_string_lossy(),
        "s3cret",
        &["--concurrent-tasks", "2"],
    );
    wait_until_ready(&executor_addr(&mut executor).await).await;
    let channel = Endpoint::from_shared(url).unwrap().connect().await.unwrap();
    let mut client = FlightSqlServiceClient::new(channel);
    let batches = query(&mut client, "SELECT count(*) FROM nation").await;
    assert_eq!(rows(&batches), 1);
}

#[tokio::test]
async fn an_executor_is_alive_but_not_ready_until_it_registers() {
    let work = tempfile::tempdir().unwrap();
    // Nothing listens there: the executor keeps trying to register.
    let mut orphan = executor(
        "http://127.0.0.1:1",
        &work.path().join("orphan").to_string_lossy(),
        "s3cret",
        &[],
    );
    let addr = executor_addr(&mut orphan).await;
    assert_eq!(http_get(&addr, "/healthz").await, (200, "ok\n".into()));
    let (status, body) = http_get(&addr, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("not registered with the scheduler yet") && body.ends_with('\n'),
        "{body:?}"
    );
    assert_eq!(body.lines().count(), 1, "one line: {body:?}");
}
