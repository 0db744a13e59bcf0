//! [`LocalCluster`]: a scheduler and N executors in one process, talking real gRPC over
//! loopback, so `standalone`, the tests and the examples run the code paths of a cluster.
//!
//! ```text
//!   clients ──▶ listener (Flight SQL + cluster protocol, TLS if configured)
//!   executors ──▶ 127.0.0.1:<ephemeral> (cluster protocol only, plain text)
//!   executors ◀──▶ each other's Flight services for shuffle files
//! ```
//!
//! The executors use a loopback port of their own so that a TLS client port does not
//! force TLS onto traffic that never leaves the process's machine.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use trebuchet_cluster::scheduler::SchedulerHandle;
use trebuchet_cluster::{
    ClusterSecret, ExecutorConfig, Readiness, RunningExecutor, ShuffleMemory, start_executor,
};

use crate::catalog::SharedCatalog;
use crate::config::ServerConfig;
use crate::error::{FlightSqlError, Result};
use crate::server::{ClusterPort, drain_queries, serve_cluster, serve_with_scheduler};

/// How many executors a local cluster runs, how wide each is, how much memory each one's
/// tasks may use (`None`: unbounded), and how much shuffle output they keep in memory
/// between them rather than on disk (0: none).
#[derive(Debug, Clone, Copy)]
pub struct LocalExecutors {
    pub count: usize,
    pub concurrent_tasks: usize,
    pub memory_pool_size: Option<u64>,
    pub shuffle_memory_size: u64,
}

impl Default for LocalExecutors {
    fn default() -> Self {
        Self {
            count: 2,
            concurrent_tasks: trebuchet_cluster::default_concurrent_tasks(),
            memory_pool_size: None,
            shuffle_memory_size: default_shuffle_memory_size(),
        }
    }
}

/// A quarter of the memory this process may use (the machine's, or its cgroup's limit if
/// lower): about what the page cache would have held of the same shuffle files, which is
/// where a one-machine shuffle lives anyway. 0 where neither can be read.
pub(crate) fn default_shuffle_memory_size() -> u64 {
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            kib.checked_mul(1024)
        });
    // cgroup v2, then v1; v2 says `max` when unlimited, which does not parse, and v1 a
    // number beyond the machine's, which `min` passes over.
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .into_iter()
    .find_map(|path| {
        std::fs::read_to_string(path)
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()
    });
    [machine, cgroup].into_iter().flatten().min().unwrap_or(0) / 4
}

/// A running scheduler with its executors. Dropping it stops everything.
#[derive(Debug)]
pub struct LocalCluster {
    addr: SocketAddr,
    cluster_addr: SocketAddr,
    work_dir: PathBuf,
    executors: Vec<RunningExecutor>,
    scheduler: SchedulerHandle,
    /// What `/readyz` answers, and whether queries may start.
    readiness: Readiness,
    drain_timeout: Duration,
    stop: CancellationToken,
    servers: JoinSet<Result<()>>,
}

impl LocalCluster {
    /// Serves Flight SQL on `listener` and starts `executors` executors, each with a work
    /// dir under `config.work_dir`.
    pub async fn start(
        listener: TcpListener,
        config: ServerConfig,
        catalog: SharedCatalog,
        executors: LocalExecutors,
    ) -> Result<Self> {
        let addr = local_addr(&listener)?;
        let work_dir = config.work_dir.clone();
        let policy = config.scheduler_policy;
        let drain_timeout = config.drain_timeout;
        let readiness = Readiness::ready();
        std::fs::create_dir_all(&work_dir).map_err(|source| FlightSqlError::CreateWorkDir {
            path: work_dir.clone(),
            source,
        })?;
        // The executors are ours: a random secret keeps other local processes out of the
        // cluster and away from its shuffle data.
        let token = config
            .cluster_token
            .clone()
            .unwrap_or_else(ClusterSecret::generate);
        let scheduler = SchedulerHandle::start(config.scheduler_settings(), token.clone());
        let cluster_listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|source| FlightSqlError::InvalidConfig {
                reason: format!("cannot listen on loopback for the executors: {source}"),
            })?;
        let cluster_addr = local_addr(&cluster_listener)?;
        let stop = CancellationToken::new();
        let mut servers = JoinSet::new();
        servers.spawn(serve_cluster(
            cluster_listener,
            scheduler.clone(),
            stop.clone().cancelled_owned(),
        ));
        servers.spawn(serve_with_scheduler(
            listener,
            config,
            catalog,
            scheduler.clone(),
            ClusterPort::Separate,
            readiness.clone(),
            stop.clone().cancelled_owned(),
        ));
        let mut cluster = Self {
            addr,
            cluster_addr,
            work_dir,
            executors: Vec::new(),
            scheduler,
            readiness,
            drain_timeout,
            stop,
            servers,
        };
        // One budget for all: they share the machine's memory.
        let shuffle_memory = ShuffleMemory::sized(executors.shuffle_memory_size);
        for index in 0..executors.count {
            let mut executor = ExecutorConfig::loopback(
                format!("http://{cluster_addr}"),
                cluster.work_dir.join(format!("executor-{index}")),
            );
            executor.concurrent_tasks = executors.concurrent_tasks;
            executor.memory_pool_size = executors.memory_pool_size;
            executor.shuffle_memory = shuffle_memory.clone();
            executor.cluster_token = token.clone();
            executor.scheduler_policy = policy;
            let running =
                start_executor(executor)
                    .await
                    .map_err(|err| FlightSqlError::InvalidConfig {
                        reason: format!("executor {index} did not start: {err}"),
                    })?;
            cluster.executors.push(running);
        }
        Ok(cluster)
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where executors reach the scheduler (`http://` + this).
    pub fn cluster_addr(&self) -> SocketAddr {
        self.cluster_addr
    }

    /// The running executors.
    pub fn executors(&self) -> &[RunningExecutor] {
        &self.executors
    }

    /// Runs until `shutdown` resolves or a server fails, then stops everything. After
    /// `shutdown`, new queries are refused and started ones may finish first (at most the
    /// configured drain timeout).
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let failed = tokio::select! {
            () = shutdown => None,
            finished = self.servers.join_next() => finished,
        };
        if failed.is_none() {
            drain_queries(&self.scheduler, &self.readiness, self.drain_timeout).await;
        }
        let outcome = match failed {
            Some(Ok(Err(err))) => Err(err),
            _ => Ok(()),
        };
        self.stop().await;
        outcome
    }

    /// Stops the executors and the servers, and removes the work dirs if they are empty.
    pub async fn stop(mut self) {
        let executors: Vec<RunningExecutor> = self.executors.drain(..).collect();
        self.shut_down();
        for executor in executors {
            executor.stop().await;
        }
        while self.servers.join_next().await.is_some() {}
        remove_empty_dirs(&self.work_dir);
    }

    /// Stops the servers; executors still here are dropped, and remove their files in the
    /// background.
    fn shut_down(&mut self) {
        self.executors.clear();
        self.stop.cancel();
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr> {
    listener
        .local_addr()
        .map_err(|source| FlightSqlError::InvalidConfig {
            reason: format!("cannot read the bound address: {source}"),
        })
}

/// Removes `dir` and the executors' dirs inside it, but only those that are empty: jobs
/// delete their own files, and a user's `--work-dir` is never emptied
/// (`remove_dir` refuses a non-empty directory).
fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
    let _ = std::fs::remove_dir(dir);
}
