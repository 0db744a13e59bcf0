//! A real server per test, on an ephemeral loopback port, torn down when dropped.

use std::net::SocketAddr;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow_flight::FlightInfo;
use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tonic::transport::{Channel, Endpoint};
use trebuchet_flight_sql_server::{ServerConfig, SharedCatalog, UserStore, register_tpch, serve};

pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    /// Dropping the set aborts the server task if the stop signal was not enough.
    _tasks: JoinSet<()>,
    /// Shuffle files of the server's jobs; removed with the server.
    _work_dir: tempfile::TempDir,
}

impl TestServer {
    /// A server with TPC-H at scale 0.01 and authentication off.
    pub(crate) async fn start() -> Self {
        Self::start_with(ServerConfig::loopback()).await
    }

    /// A server requiring `alice:secret`.
    pub(crate) async fn start_with_auth() -> Self {
        let mut config = ServerConfig::loopback();
        config.users = UserStore::from_specs(&["alice:secret".to_string()]).unwrap();
        Self::start_with(config).await
    }

    pub(crate) async fn start_with(mut config: ServerConfig) -> Self {
        let work_dir = tempfile::tempdir().unwrap();
        config.work_dir = work_dir.path().to_path_buf();
        let catalog = SharedCatalog::new();
        register_tpch(&catalog, 0.01).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            serve(listener, config, catalog, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            stop: Some(stop),
            _tasks: tasks,
            _work_dir: work_dir,
        }
    }

    pub(crate) async fn channel(&self) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .unwrap()
    }

    /// A client without a session of its own: every call opens a new one.
    pub(crate) async fn client(&self) -> FlightSqlServiceClient<Channel> {
        FlightSqlServiceClient::new(self.channel().await)
    }

    /// A client that handshook, so its calls share one session.
    pub(crate) async fn session_client(&self) -> FlightSqlServiceClient<Channel> {
        let mut client = self.client().await;
        client.handshake("alice", "secret").await.unwrap();
        client
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Fetches every endpoint of `info` on the same connection.
pub(crate) async fn fetch(
    client: &mut FlightSqlServiceClient<Channel>,
    info: &FlightInfo,
) -> Vec<RecordBatch> {
    try_fetch(client, info).await.unwrap()
}

pub(crate) async fn try_fetch(
    client: &mut FlightSqlServiceClient<Channel>,
    info: &FlightInfo,
) -> Result<Vec<RecordBatch>, FlightError> {
    let mut batches = Vec::new();
    for endpoint in &info.endpoint {
        let ticket = endpoint
            .ticket
            .clone()
            .expect("every endpoint has a ticket");
        let stream = client.do_get(ticket).await?;
        batches.extend(stream.try_collect::<Vec<_>>().await?);
    }
    Ok(batches)
}

/// Runs a query and returns its batches.
pub(crate) async fn query(
    client: &mut FlightSqlServiceClient<Channel>,
    sql: &str,
) -> Vec<RecordBatch> {
    let info = client.execute(sql.to_string(), None).await.unwrap();
    fetch(client, &info).await
}

/// Total rows of some batches.
pub(crate) fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// Formats batches as a table, for readable assertions.
pub(crate) fn pretty(batches: &[RecordBatch]) -> String {
    arrow::util::pretty::pretty_format_batches(batches)
        .unwrap()
        .to_string()
}

/// The status code of a failed call.
pub(crate) fn code_of(err: &FlightError) -> tonic::Code {
    match err {
        FlightError::Tonic(status) => status.code(),
        _ => tonic::Code::Unknown,
    }
}

/// The message of a failed call.
pub(crate) fn message_of(err: &FlightError) -> String {
    match err {
        FlightError::Tonic(status) => status.message().to_string(),
        other => other.to_string(),
    }
}
