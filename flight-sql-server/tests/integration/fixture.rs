//! A real server per test, on an ephemeral loopback port, torn down when dropped.

use std::net::SocketAddr;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow_flight::FlightInfo;
use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use tokio::net::TcpListener;
use tonic::transport::{Channel, Endpoint};
use trebuchet_flight_sql_server::{
    LocalCluster, LocalExecutors, ServerConfig, SharedCatalog, UserStore, register_tpch_in_parts,
};

/// The session key that sends small queries to the scheduler rather than to executors.
const SCHEDULER_EXECUTION_THRESHOLD: &str = "ballista.planner.scheduler_execution_threshold_bytes";

pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    /// The scheduler and its two executors; dropping it stops them.
    cluster: Option<LocalCluster>,
    /// Shuffle files and the generated TPC-H tables; removed with the server.
    work_dir: tempfile::TempDir,
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

    /// A server requiring `alice:secret` and `bob:hunter2`, with `config`'s other settings.
    pub(crate) async fn start_with_two_users(mut config: ServerConfig) -> Self {
        let users = ["alice:secret".to_string(), "bob:hunter2".to_string()];
        config.users = UserStore::from_specs(&users).unwrap();
        Self::start_with(config).await
    }

    pub(crate) async fn start_with(config: ServerConfig) -> Self {
        Self::start_with_executors(config, 2).await
    }

    /// A server with `count` executors (0: queries wait for one, then fail).
    pub(crate) async fn start_with_executors(config: ServerConfig, count: usize) -> Self {
        let executors = LocalExecutors {
            count,
            concurrent_tasks: 2,
            memory_pool_size: None,
            ..LocalExecutors::default()
        };
        Self::start_with_cluster(config, executors).await
    }

    /// A server whose executors write every shuffle to disk, keeping none in memory.
    pub(crate) async fn start_with_shuffle_on_disk() -> Self {
        let executors = LocalExecutors {
            count: 2,
            concurrent_tasks: 2,
            memory_pool_size: None,
            shuffle_memory_size: 0,
        };
        Self::start_with_cluster(ServerConfig::loopback(), executors).await
    }

    /// A server whose two executors, with two task slots each, give their tasks
    /// `memory_pool_size` bytes in all (half of it per task).
    pub(crate) async fn start_with_memory_pool(memory_pool_size: u64) -> Self {
        let executors = LocalExecutors {
            count: 2,
            concurrent_tasks: 2,
            memory_pool_size: Some(memory_pool_size),
            ..LocalExecutors::default()
        };
        Self::start_with_cluster(ServerConfig::loopback(), executors).await
    }

    async fn start_with_cluster(mut config: ServerConfig, executors: LocalExecutors) -> Self {
        // These tests are about queries run as jobs: none runs on the scheduler for being
        // small (python-tests/test_small_queries.py tests that). First, so that a test's
        // own value wins.
        config
            .session_defaults
            .insert(0, (SCHEDULER_EXECUTION_THRESHOLD.into(), "0".into()));
        let work_dir = tempfile::tempdir().unwrap();
        config.work_dir = work_dir.path().join("cluster");
        let catalog = SharedCatalog::new();
        // Four files per large table, whatever the machine, so results have partitions.
        register_tpch_in_parts(&catalog, 0.01, &work_dir.path().join("tpch"), 4)
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cluster = LocalCluster::start(listener, config, catalog, executors)
            .await
            .unwrap();
        Self {
            addr,
            cluster: Some(cluster),
            work_dir,
        }
    }

    /// The running cluster, to reach its executors.
    pub(crate) fn cluster(&self) -> &LocalCluster {
        self.cluster
            .as_ref()
            .expect("the cluster runs until stopped")
    }

    /// Stops the scheduler and executors, keeping the work dir to inspect.
    pub(crate) async fn stop_cluster(&mut self) {
        if let Some(cluster) = self.cluster.take() {
            cluster.stop().await;
        }
    }

    /// The cluster's work dir: one directory per executor (`executor-<n>`).
    pub(crate) fn cluster_dir(&self) -> std::path::PathBuf {
        self.work_dir.path().join("cluster")
    }

    /// Shuffle files left under the cluster's work dir.
    pub(crate) fn shuffle_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.cluster_dir(), &mut found);
        found
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
        self.session_client_as("alice", "secret").await
    }

    /// A client that handshook as `user`, so its calls share one session of that user.
    pub(crate) async fn session_client_as(
        &self,
        user: &str,
        password: &str,
    ) -> FlightSqlServiceClient<Channel> {
        let mut client = self.client().await;
        client.handshake(user, password).await.unwrap();
        client
    }
}

/// Waits up to ten seconds for `done` (work the server finishes asynchronously, such as
/// deleting a job's files), polling every 20 ms; returns whether it came true.
pub(crate) async fn eventually(done: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
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

/// The sum of an `Int64` column (`count(*)`, say) over some batches.
pub(crate) fn column_sum(batches: &[RecordBatch], column: usize) -> i64 {
    batches
        .iter()
        .map(|batch| {
            let values = batch
                .column(column)
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .expect("an Int64 column");
            values.iter().flatten().sum::<i64>()
        })
        .sum()
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
