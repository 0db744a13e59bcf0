//! Command-line flags, and their validation into the typed [`ServerConfig`] the library uses.
//!
//! Every flag has a `TREBUCHET_…` environment variable; library code never sees clap types.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use trebuchet_cluster::{
    ByteSize, ClusterSecret, ClusterTls, ResultEndpoints, SchedulerPolicy, ShuffleMemory,
};

use crate::auth::UserStore;
use crate::catalog_journal::CatalogJournal;
use crate::cluster_tls_args::ClusterTlsArgs;
use crate::error::{FlightSqlError, Result};
use crate::file_access::FileAccess;
use crate::tls::TlsFiles;

/// Trebuchet: a distributed SQL engine that speaks Arrow Flight SQL.
#[derive(Debug, Parser)]
#[command(name = "trebuchet", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scheduler and its executors in one process (over loopback gRPC).
    Standalone(StandaloneArgs),
    /// Run the scheduler: the Flight SQL front end plus the service executors register with.
    Scheduler(SchedulerArgs),
    /// Run an executor that takes tasks from a scheduler.
    Executor(ExecutorArgs),
}

/// Flags of `trebuchet standalone`.
#[derive(Debug, Args)]
pub struct StandaloneArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub data: DataArgs,

    /// Executors to run in this process.
    #[arg(long, env = "TREBUCHET_EXECUTORS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub executors: u16,

    /// Tasks each executor runs at once (default: the number of cores).
    #[arg(long, env = "TREBUCHET_CONCURRENT_TASKS", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrent_tasks: Option<u16>,

    /// Memory each executor's tasks may use, e.g. 8GB or 512MiB (KB, MB, GB are powers of
    /// 10; KiB, MiB, GiB powers of 2) or a byte count. Split equally over the task slots:
    /// each task gets a pool of its own share and spills to disk beyond it (default: no
    /// limit).
    #[arg(long, env = "TREBUCHET_MEMORY_POOL_SIZE")]
    pub memory_pool_size: Option<ByteSize>,

    /// Shuffle output the executors keep in memory between them instead of writing it to
    /// disk, e.g. 4GiB; 0 writes every shuffle to disk. A map task that spilled, or finds
    /// this full, writes its file as before (default: a quarter of the machine's memory, or
    /// of the cgroup's limit).
    #[arg(long, env = "TREBUCHET_SHUFFLE_MEMORY_SIZE")]
    pub shuffle_memory_size: Option<ByteSize>,
}

/// Flags of `trebuchet scheduler`.
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Flags of `trebuchet executor`.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler to register with.
    #[arg(
        long,
        env = "TREBUCHET_SCHEDULER_URL",
        default_value = "http://127.0.0.1:50050"
    )]
    pub scheduler_url: String,

    /// Address the executor's Flight service (shuffle files) listens on.
    #[arg(long, env = "TREBUCHET_EXECUTOR_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port of the executor's Flight service (0 picks a free one).
    #[arg(long, env = "TREBUCHET_EXECUTOR_PORT", default_value_t = 50051)]
    pub port: u16,

    /// The host name other executors and the scheduler use to reach this one
    /// (default: the listen address).
    #[arg(long, env = "TREBUCHET_EXTERNAL_HOST")]
    pub external_host: Option<String>,

    /// Directory for this executor's shuffle files (default: a new directory under the
    /// system temp dir).
    #[arg(long, env = "TREBUCHET_WORK_DIR")]
    pub work_dir: Option<PathBuf>,

    /// Tasks run at once (default: the number of cores).
    #[arg(long, env = "TREBUCHET_CONCURRENT_TASKS", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrent_tasks: Option<u16>,

    /// Memory this executor's tasks may use, e.g. 8GB or 512MiB (KB, MB, GB are powers of
    /// 10; KiB, MiB, GiB powers of 2) or a byte count. Split equally over the task slots:
    /// each task gets a pool of its own share and spills to disk beyond it (default: no
    /// limit).
    #[arg(long, env = "TREBUCHET_MEMORY_POOL_SIZE")]
    pub memory_pool_size: Option<ByteSize>,

    /// Shuffle output this executor keeps in memory instead of writing it to disk, e.g.
    /// 4GiB; peers fetch it over Flight as they would the file. A map task that spilled, or
    /// finds this full, writes its file as before. Held outside --memory-pool-size
    /// (default: 0, every shuffle on disk).
    #[arg(long, env = "TREBUCHET_SHUFFLE_MEMORY_SIZE", default_value = "0")]
    pub shuffle_memory_size: ByteSize,

    /// How often the executor tells the scheduler it is alive.
    #[arg(long, env = "TREBUCHET_HEARTBEAT_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    pub heartbeat_interval: Duration,

    /// The scheduler's cluster secret (its --cluster-token). Needed, from this flag or
    /// --cluster-token-file: the executor presents it to register, and signs the grants
    /// that let it and its peers read each other's shuffle files with it.
    #[arg(long, env = "TREBUCHET_CLUSTER_TOKEN", hide_env_values = true)]
    pub cluster_token: Option<String>,

    /// A file holding the scheduler's cluster secret, e.g. the `<work-dir>/cluster-token`
    /// that a scheduler started without --cluster-token writes (it logs the path).
    #[arg(long, env = "TREBUCHET_CLUSTER_TOKEN_FILE")]
    pub cluster_token_file: Option<PathBuf>,

    /// Shuffle files of a job untouched this long are deleted even if the scheduler never
    /// said the job ended.
    #[arg(long, env = "TREBUCHET_SHUFFLE_TTL", default_value = "1h", value_parser = parse_duration)]
    pub shuffle_ttl: Duration,

    /// How the scheduler hands tasks to executors: pull-staged (executors ask for work
    /// and each request is answered when work is placed or after 20 ms; the tuning guide's
    /// default) or push-staged (executors keep a request open for up to 10 s). Both start a
    /// task the moment it is placed. Scheduler and executors must agree.
    #[arg(
        long,
        env = "TREBUCHET_SCHEDULER_POLICY",
        default_value = "pull-staged"
    )]
    pub scheduler_policy: SchedulerPolicy,

    #[command(flatten)]
    pub cluster_tls: ClusterTlsArgs,

    /// On SIGTERM the executor drains: it takes no new task, finishes its running ones and
    /// serves its shuffle output until the scheduler no longer needs it, then deregisters
    /// and exits. This bounds the wait; whatever is still needed then is redone elsewhere.
    #[arg(long, env = "TREBUCHET_DRAIN_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub drain_timeout: Duration,
}

impl ExecutorArgs {
    /// The executor configuration these flags describe.
    pub fn validate(&self) -> Result<trebuchet_cluster::ExecutorConfig> {
        if self.heartbeat_interval.is_zero() {
            return Err(FlightSqlError::InvalidConfig {
                reason: "--heartbeat-interval must be longer than zero".into(),
            });
        }
        let bind = resolve(&self.host, self.port)?;
        if bind.ip().is_unspecified() && self.external_host.is_none() {
            return Err(FlightSqlError::InvalidConfig {
                reason: format!(
                    "listening on {bind} needs --external-host: the address other executors \
                     use to reach this one"
                ),
            });
        }
        let mut config = trebuchet_cluster::ExecutorConfig::loopback(
            self.scheduler_url.clone(),
            self.work_dir.clone().unwrap_or_else(default_work_dir),
        );
        config.bind = bind;
        config.external_host = self.external_host.clone();
        if let Some(tasks) = self.concurrent_tasks {
            config.concurrent_tasks = usize::from(tasks);
        }
        config.memory_pool_size = self.memory_pool_size.map(ByteSize::bytes);
        config.shuffle_memory = ShuffleMemory::sized(self.shuffle_memory_size.bytes());
        config.heartbeat_interval = self.heartbeat_interval;
        config.shuffle_ttl = self.shuffle_ttl;
        config.cluster_token = self.cluster_secret()?;
        config.scheduler_policy = self.scheduler_policy;
        config.drain_timeout = self.drain_timeout;
        config.tls = self.cluster_tls.validate()?;
        if config.tls.is_some() && !self.scheduler_url.starts_with("https://") {
            return Err(FlightSqlError::InvalidConfig {
                reason: format!(
                    "with --cluster-tls-cert the scheduler is reached over TLS: give \
                     --scheduler-url as https://… (not {})",
                    self.scheduler_url
                ),
            });
        }
        Ok(config)
    }

    /// The scheduler's secret, from --cluster-token or --cluster-token-file.
    fn cluster_secret(&self) -> Result<ClusterSecret> {
        let (secret, source) = match (&self.cluster_token, &self.cluster_token_file) {
            (Some(_), Some(_)) => {
                return Err(FlightSqlError::InvalidConfig {
                    reason: "give the cluster secret once: --cluster-token or \
                             --cluster-token-file, not both"
                        .into(),
                });
            }
            (Some(token), None) => (token.clone(), "--cluster-token".to_string()),
            (None, Some(path)) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| FlightSqlError::ReadFile {
                        path: path.clone(),
                        source,
                    })?;
                (text.trim().to_string(), path.display().to_string())
            }
            (None, None) => {
                return Err(FlightSqlError::InvalidConfig {
                    reason: "an executor needs its scheduler's cluster secret: pass \
                             --cluster-token (or TREBUCHET_CLUSTER_TOKEN) with the scheduler's \
                             --cluster-token, or --cluster-token-file (or \
                             TREBUCHET_CLUSTER_TOKEN_FILE) with the file a scheduler started \
                             without one writes: <its --work-dir>/cluster-token, whose path it \
                             logs at start"
                        .into(),
                });
            }
        };
        ClusterSecret::new(secret).map_err(|err| FlightSqlError::InvalidConfig {
            reason: format!("{source}: {err}"),
        })
    }
}

/// How the Flight SQL endpoint listens and whom it lets in.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on. Anything but loopback needs users or --allow-unauthenticated.
    #[arg(long, env = "TREBUCHET_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "TREBUCHET_PORT", default_value_t = 50050)]
    pub port: u16,

    /// A user allowed to connect, as NAME:PASSWORD (repeatable). With no users, auth is off.
    #[arg(long = "user", env = "TREBUCHET_USERS", value_delimiter = ',')]
    pub users: Vec<String>,

    /// A file of users, one NAME:PASSWORD per line (# starts a comment).
    #[arg(long, env = "TREBUCHET_USERS_FILE")]
    pub users_file: Option<PathBuf>,

    /// A directory whose files SQL may read and write: CREATE EXTERNAL TABLE, COPY and
    /// INSERT into external tables (repeatable). Elsewhere only the --table and TPC-H data
    /// is readable, and the work dir and users file never are. See docs/security.md. An
    /// object store prefix (s3://bucket/data/) opens it to the server's own credentials.
    #[arg(
        long = "allow-path",
        env = "TREBUCHET_ALLOW_PATHS",
        value_delimiter = ','
    )]
    pub allow_paths: Vec<PathBuf>,

    /// A user who may read and write files anywhere the server's OS user can, except the
    /// work dir, the users file and the TLS key (repeatable; needs authentication).
    #[arg(long = "admin", env = "TREBUCHET_ADMINS", value_delimiter = ',')]
    pub admins: Vec<String>,

    /// Queries one user may have running at once (started and not yet answered, or being
    /// read); more are refused with RESOURCE_EXHAUSTED. The anonymous user of a server
    /// without authentication counts as one user.
    #[arg(long, env = "TREBUCHET_MAX_QUERIES_PER_USER", default_value_t = crate::query_admission::DEFAULT_MAX_QUERIES_PER_USER, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_queries_per_user: u32,

    /// A session key's value for every session of this server, as KEY=VALUE (repeatable),
    /// e.g. ballista.planner.adaptive.enabled=true. Sessions may still SET it; RESET returns
    /// to it.
    #[arg(long = "session-default", env = "TREBUCHET_SESSION_DEFAULTS", value_delimiter = ',', value_parser = parse_session_default)]
    pub session_defaults: Vec<(String, String)>,

    /// Allow listening on a non-loopback address with authentication off.
    #[arg(long, env = "TREBUCHET_ALLOW_UNAUTHENTICATED")]
    pub allow_unauthenticated: bool,

    /// How long an unused session lives (e.g. 90s, 30m, 1h).
    #[arg(long, env = "TREBUCHET_SESSION_IDLE_TIMEOUT", default_value = "1h", value_parser = parse_duration)]
    pub session_idle_timeout: Duration,

    /// PEM certificate chain for TLS; needs --tls-key.
    #[arg(long, env = "TREBUCHET_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for TLS; needs --tls-cert.
    #[arg(long, env = "TREBUCHET_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    #[command(flatten)]
    pub cluster_tls: ClusterTlsArgs,

    /// Largest gRPC message accepted or sent (e.g. 64MiB).
    #[arg(long, env = "TREBUCHET_MAX_MESSAGE_SIZE", default_value = "64MiB")]
    pub max_message_size: ByteSize,

    /// How query results are handed out: `per-partition` (one Flight endpoint per final
    /// partition) or `single` (partitions merged into one endpoint, for clients that read
    /// only the first endpoint, such as flightsql-dbapi).
    #[arg(long, env = "TREBUCHET_RESULT_ENDPOINTS", default_value = "per-partition", value_parser = parse_result_endpoints)]
    pub result_endpoints: ResultEndpoints,

    /// The cluster secret: executors present it to register and take tasks, and every
    /// read of shuffle data between processes carries a short-lived grant signed with it.
    /// Without it, `scheduler` generates one and writes it to `<work-dir>/cluster-token`
    /// (mode 0600, reused on restart; give executors --cluster-token-file), and
    /// `standalone` keeps a random one in memory.
    #[arg(long, env = "TREBUCHET_CLUSTER_TOKEN", hide_env_values = true)]
    pub cluster_token: Option<String>,

    /// How long a query waits for an executor when none is alive before it fails with
    /// UNAVAILABLE (e.g. 30s, 2m).
    #[arg(long, env = "TREBUCHET_EXECUTOR_WAIT", default_value = "30s", value_parser = parse_duration)]
    pub executor_wait: Duration,

    /// An executor that sends no heartbeat for this long is lost: its running tasks and
    /// the shuffle output it holds are redone on others (e.g. 30s). Keep it several times
    /// the executors' --heartbeat-interval. A failed fetch from an executor marks it lost
    /// at once.
    #[arg(long, env = "TREBUCHET_EXECUTOR_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub executor_timeout: Duration,

    /// Launches a task gets (the first one included) before its query fails; only failures
    /// worth retrying (a lost executor, a failed fetch) use them up.
    #[arg(long, env = "TREBUCHET_TASK_MAX_ATTEMPTS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub task_max_attempts: u32,

    /// Runs a stage gets (the first one included) before its query fails; a stage runs
    /// again when an executor holding its output is lost.
    #[arg(long, env = "TREBUCHET_STAGE_MAX_ATTEMPTS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub stage_max_attempts: u32,

    /// Ended jobs the scheduler remembers for the REST API, the web UI and the `system.*`
    /// tables (running jobs are always shown). Kept in memory only: a restart forgets them.
    #[arg(long, env = "TREBUCHET_JOB_HISTORY", default_value_t = trebuchet_cluster::scheduler::DEFAULT_JOB_HISTORY)]
    pub job_history: usize,

    /// How the scheduler hands tasks to executors: pull-staged (executors ask for work
    /// and each request is answered when work is placed or after 20 ms; the tuning guide's
    /// default) or push-staged (executors keep a request open for up to 10 s). Both start a
    /// task the moment it is placed. Scheduler and executors must agree.
    #[arg(
        long,
        env = "TREBUCHET_SCHEDULER_POLICY",
        default_value = "pull-staged"
    )]
    pub scheduler_policy: SchedulerPolicy,

    /// Directory for shuffle files between query stages (default: a new directory under
    /// the system temp dir). A job's files are deleted when it fails or is cancelled, and
    /// once its results have been read.
    #[arg(long, env = "TREBUCHET_WORK_DIR")]
    pub work_dir: Option<PathBuf>,

    /// On SIGTERM the server refuses new queries with UNAVAILABLE and `/readyz` answers
    /// 503; queries already started may finish and have their results read for this long,
    /// then the server exits.
    #[arg(long, env = "TREBUCHET_DRAIN_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub drain_timeout: Duration,

    /// Directory keeping the catalog across restarts: tables made with CREATE EXTERNAL
    /// TABLE and views made with CREATE VIEW are recorded in `catalog.json` there (mode
    /// 0600: it holds the OPTIONS given, credentials included) and made again at start,
    /// before the server reports ready. In-memory tables (CREATE TABLE, CREATE TABLE AS)
    /// are not kept. Without it, nothing is kept. SQL may not read or write it.
    #[arg(long, env = "TREBUCHET_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
}

/// The data a standalone server starts with.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Scale factor of the TPC-H tables generated at start, as Parquet under the work dir
    /// (0 disables them).
    #[arg(long, env = "TREBUCHET_TPCH_SCALE", default_value_t = 0.01)]
    pub tpch_scale: f64,

    /// A table to register at start, as NAME=PATH (repeatable). The format comes from the
    /// file extension or the files in the directory: .parquet, .csv, .json/.ndjson.
    #[arg(long = "table", env = "TREBUCHET_TABLES", value_delimiter = ',')]
    pub tables: Vec<String>,
}

/// A validated server configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    pub users: UserStore,
    pub session_idle_timeout: Duration,
    pub tls: Option<TlsFiles>,
    /// Mutual TLS with the executors. The scheduler's port also serves it to Flight SQL
    /// clients when `tls` is `None`.
    pub cluster_tls: Option<ClusterTls>,
    pub max_message_size: usize,
    pub work_dir: PathBuf,
    pub result_endpoints: ResultEndpoints,
    pub executor_wait: Duration,
    pub executor_timeout: Duration,
    pub scheduler_policy: SchedulerPolicy,
    pub task_max_attempts: u32,
    pub stage_max_attempts: u32,
    pub job_history: usize,
    /// The cluster secret; `None` until `trebuchet scheduler` generates one (a library
    /// caller's scheduler then uses a random one no executor knows).
    pub cluster_token: Option<ClusterSecret>,
    pub max_queries_per_user: usize,
    /// Which paths SQL may read and write, and who may go further.
    pub file_access: FileAccess,
    /// How long a stopping server lets started queries finish.
    pub drain_timeout: Duration,
    /// Where the tables and views made with DDL are kept across restarts (`--state-dir`).
    pub catalog_journal: Option<Arc<CatalogJournal>>,
    /// Session keys every session starts with (`--session-default`).
    pub session_defaults: Vec<(String, String)>,
}

impl ServerConfig {
    /// The scheduler's timing for this configuration.
    pub fn scheduler_settings(&self) -> trebuchet_cluster::scheduler::SchedulerSettings {
        let mut settings = trebuchet_cluster::scheduler::SchedulerSettings::default();
        settings.limits.no_executor_timeout = self.executor_wait;
        settings.limits.executor_timeout = self.executor_timeout;
        settings.policy = self.scheduler_policy;
        settings.limits.task_attempts = self.task_max_attempts;
        settings.limits.stage_attempts = self.stage_max_attempts;
        settings.job_history = self.job_history;
        settings
    }

    /// A loopback configuration on an ephemeral port, for tests and examples.
    pub fn loopback() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: UserStore::default(),
            session_idle_timeout: Duration::from_secs(3600),
            tls: None,
            cluster_tls: None,
            max_message_size: 64 << 20,
            work_dir: default_work_dir(),
            result_endpoints: ResultEndpoints::default(),
            executor_wait: Duration::from_secs(30),
            executor_timeout: Duration::from_secs(30),
            scheduler_policy: SchedulerPolicy::default(),
            task_max_attempts: 4,
            stage_max_attempts: 4,
            job_history: trebuchet_cluster::scheduler::DEFAULT_JOB_HISTORY,
            cluster_token: None,
            max_queries_per_user: crate::query_admission::DEFAULT_MAX_QUERIES_PER_USER as usize,
            file_access: FileAccess::default(),
            drain_timeout: Duration::from_secs(60),
            catalog_journal: None,
            session_defaults: Vec::new(),
        }
    }

    /// Whether the client port speaks TLS: with its own certificate, or the cluster's.
    pub fn serves_tls(&self) -> bool {
        self.tls.is_some() || self.cluster_tls.is_some()
    }

    /// The URI ADBC and other gRPC clients connect to.
    pub fn adbc_uri(&self, addr: SocketAddr) -> String {
        let scheme = if self.serves_tls() {
            "grpc+tls"
        } else {
            "grpc"
        };
        format!("{scheme}://{addr}")
    }

    /// The JDBC URL of the Arrow Flight SQL driver.
    pub fn jdbc_url(&self, addr: SocketAddr) -> String {
        let encryption = self.serves_tls();
        format!("jdbc:arrow-flight-sql://{addr}/?useEncryption={encryption}")
    }
}

impl ServerArgs {
    /// Checks the flags against each other and reads the files they name.
    pub fn validate(&self) -> Result<ServerConfig> {
        let addr = resolve(&self.host, self.port)?;
        let mut users = UserStore::from_specs(&self.users)?;
        if let Some(path) = &self.users_file {
            users.extend(UserStore::from_file(path)?);
        }
        if users.is_empty() && !addr.ip().is_loopback() && !self.allow_unauthenticated {
            return Err(FlightSqlError::InvalidConfig {
                reason: format!(
                    "refusing to listen on {addr} without authentication: add --user NAME:PASSWORD \
                     or --users-file, or pass --allow-unauthenticated"
                ),
            });
        }
        let max_message_size = usize::try_from(self.max_message_size.bytes())
            .ok()
            .filter(|size| *size >= 1 << 20)
            .ok_or_else(|| FlightSqlError::InvalidConfig {
                reason: "--max-message-size must be at least 1MiB".into(),
            })?;
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles::read(cert, key)?),
            _ => None,
        };
        let file_access = self.file_access(&users)?;
        Ok(ServerConfig {
            addr,
            users,
            session_idle_timeout: self.session_idle_timeout,
            tls,
            cluster_tls: self.cluster_tls.validate()?,
            max_message_size,
            work_dir: self.work_dir.clone().unwrap_or_else(default_work_dir),
            result_endpoints: self.result_endpoints,
            executor_wait: self.executor_wait,
            executor_timeout: self.executor_timeout,
            scheduler_policy: self.scheduler_policy,
            task_max_attempts: self.task_max_attempts,
            stage_max_attempts: self.stage_max_attempts,
            job_history: self.job_history,
            cluster_token: self
                .cluster_token
                .clone()
                .map(ClusterSecret::new)
                .transpose()
                .map_err(|err| FlightSqlError::InvalidConfig {
                    reason: format!("--cluster-token: {err}"),
                })?,
            max_queries_per_user: self.max_queries_per_user as usize,
            file_access,
            drain_timeout: self.drain_timeout,
            catalog_journal: self
                .state_dir
                .as_deref()
                .map(CatalogJournal::open)
                .transpose()?
                .map(Arc::new),
            session_defaults: self.session_defaults.clone(),
        })
    }

    /// The file policy of `--allow-path` and `--admin`; the users file and TLS key are
    /// nobody's to read, whatever the roots.
    fn file_access(&self, users: &UserStore) -> Result<FileAccess> {
        let mut files = FileAccess::default();
        for dir in &self.allow_paths {
            files = files.allow(dir)?;
        }
        for admin in &self.admins {
            if !users.contains(admin) {
                return Err(FlightSqlError::InvalidConfig {
                    reason: format!(
                        "--admin {admin}: no such user (admins need authentication: add them \
                         with --user or --users-file)"
                    ),
                });
            }
            files = files.admin(admin.clone());
        }
        for private in [&self.users_file, &self.tls_key, &self.state_dir]
            .into_iter()
            .flatten()
        {
            files = files.deny(private);
        }
        if let Some(key) = self.cluster_tls.key() {
            files = files.deny(key);
        }
        Ok(files)
    }
}

/// A directory of this process's own under the system temp dir.
fn default_work_dir() -> PathBuf {
    let unique: u64 = rand::random();
    std::env::temp_dir().join(format!("trebuchet-{}-{unique:x}", std::process::id()))
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| FlightSqlError::InvalidConfig {
            reason: format!("cannot resolve host '{host}'"),
        })
}

fn parse_result_endpoints(text: &str) -> std::result::Result<ResultEndpoints, String> {
    match text {
        "per-partition" => Ok(ResultEndpoints::PerPartition),
        "single" => Ok(ResultEndpoints::Single),
        other => Err(format!(
            "invalid result endpoints '{other}': use per-partition or single"
        )),
    }
}

/// Reads `KEY=VALUE`; whether DataFusion knows the key and accepts the value is checked when
/// the server builds its catalog (`SharedCatalog::with_session_defaults`), before it loads
/// a table, with the error naming the key.
fn parse_session_default(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!(
            "invalid session default '{text}': use KEY=VALUE, e.g. \
             ballista.planner.adaptive.enabled=true"
        )),
    }
}

/// Reads `500ms`, `90s`, `30m`, `1h`, `2d` or a bare number of seconds.
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration '{text}': expected e.g. 90s, 30m or 1h"))?;
    let seconds = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(number)),
        "" | "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        "d" => number * 86_400,
        other => {
            return Err(format!(
                "invalid duration unit '{other}': use ms, s, m, h or d"
            ));
        }
    };
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> ServerArgs {
        let mut argv = vec!["trebuchet", "standalone"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Standalone(standalone) => standalone.server,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn defaults_listen_on_loopback_port_50050_without_auth() {
        let config = args(&[]).validate().unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:50050");
        assert!(config.users.is_empty());
        assert_eq!(config.session_idle_timeout, Duration::from_secs(3600));
        assert_eq!(config.max_message_size, 64 << 20);
    }

    #[test]
    fn refuses_a_public_address_without_users() {
        let err = args(&["--host", "0.0.0.0"])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("--allow-unauthenticated"), "{err}");
        args(&["--host", "0.0.0.0", "--allow-unauthenticated"])
            .validate()
            .unwrap();
        args(&["--host", "0.0.0.0", "--user", "a:b"])
            .validate()
            .unwrap();
    }

    #[test]
    fn scheduler_flags_set_the_policy_deadlines_and_retry_limits() {
        let argv = [
            "trebuchet",
            "scheduler",
            "--scheduler-policy",
            "push-staged",
            "--executor-timeout",
            "7s",
            "--task-max-attempts",
            "2",
            "--stage-max-attempts",
            "3",
        ];
        let Command::Scheduler(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not the scheduler command");
        };
        let settings = args.server.validate().unwrap().scheduler_settings();
        assert_eq!(settings.policy, SchedulerPolicy::PushStaged);
        assert_eq!(settings.limits.executor_timeout, Duration::from_secs(7));
        assert_eq!(settings.limits.task_attempts, 2);
        assert_eq!(settings.limits.stage_attempts, 3);

        let defaults = ServerConfig::loopback().scheduler_settings();
        assert_eq!(defaults.policy, SchedulerPolicy::PullStaged);
        assert_eq!(
            (
                defaults.limits.task_attempts,
                defaults.limits.stage_attempts
            ),
            (4, 4)
        );
        let zero = Cli::try_parse_from(["trebuchet", "scheduler", "--task-max-attempts", "0"]);
        assert!(zero.is_err());
        let unknown = Cli::try_parse_from(["trebuchet", "scheduler", "--scheduler-policy", "push"]);
        let message = unknown.unwrap_err().to_string();
        assert!(message.contains("pull-staged or push-staged"), "{message}");
    }

    /// `trebuchet executor` with `extra` and a cluster token.
    fn executor_args(extra: &[&str]) -> ExecutorArgs {
        let mut argv = vec!["--cluster-token", "s3cret"];
        argv.extend_from_slice(extra);
        executor_args_as_given(&argv)
    }

    fn executor_args_as_given(extra: &[&str]) -> ExecutorArgs {
        let mut argv = vec!["trebuchet", "executor"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Executor(executor) => executor,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn an_executor_needs_the_cluster_secret_from_the_flag_or_a_file() {
        let err = executor_args_as_given(&[])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--cluster-token-file") && err.contains("<its --work-dir>/cluster-token"),
            "{err}"
        );
        let flag = executor_args(&[]).validate().unwrap();
        assert_eq!(flag.cluster_token.expose(), "s3cret");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cluster-token");
        std::fs::write(&file, "from-file\n").unwrap();
        let file = file.to_str().unwrap();
        let config = executor_args_as_given(&["--cluster-token-file", file])
            .validate()
            .unwrap();
        assert_eq!(config.cluster_token.expose(), "from-file");

        let both = executor_args(&["--cluster-token-file", file]).validate();
        assert!(both.unwrap_err().to_string().contains("not both"));
        let missing = dir.path().join("missing");
        let err = executor_args_as_given(&["--cluster-token-file", missing.to_str().unwrap()])
            .validate()
            .unwrap_err();
        assert!(matches!(err, FlightSqlError::ReadFile { .. }), "{err}");
        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let empty = dir.path().join("empty");
        let err = executor_args_as_given(&["--cluster-token-file", empty.to_str().unwrap()])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty"), "{err}");
    }

    #[test]
    fn memory_pool_size_takes_si_and_iec_units_or_a_byte_count() {
        for (text, bytes) in [
            ("8GB", 8_000_000_000),
            ("512MiB", 512 << 20),
            ("1048576", 1_048_576),
        ] {
            let config = executor_args(&["--memory-pool-size", text])
                .validate()
                .unwrap();
            assert_eq!(config.memory_pool_size, Some(bytes), "{text}");
        }
        let unbounded = executor_args(&[]).validate().unwrap();
        assert_eq!(unbounded.memory_pool_size, None);
        let standalone =
            Cli::try_parse_from(["trebuchet", "standalone", "--memory-pool-size", "1GiB"]);
        match standalone.unwrap().command {
            Command::Standalone(args) => assert_eq!(args.memory_pool_size, Some(ByteSize(1 << 30))),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn a_bad_memory_pool_size_is_rejected_with_the_accepted_forms() {
        for command in ["standalone", "executor"] {
            let err = Cli::try_parse_from(["trebuchet", command, "--memory-pool-size", "lots"])
                .unwrap_err()
                .to_string();
            assert!(err.contains("--memory-pool-size"), "{err}");
            for form in ["8GB", "512MiB", "byte count"] {
                assert!(err.contains(form), "{command}: {err}");
            }
        }
    }

    #[test]
    fn allow_paths_and_admins_build_the_file_policy() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&first).unwrap();
        std::fs::create_dir(&second).unwrap();
        let config = args(&[
            "--allow-path",
            first.to_str().unwrap(),
            "--allow-path",
            second.to_str().unwrap(),
            "--user",
            "root:pw",
            "--user",
            "alice:pw",
            "--admin",
            "root",
        ])
        .validate()
        .unwrap();
        assert!(config.file_access.is_admin(Some("root")));
        assert!(!config.file_access.is_admin(Some("alice")));

        let missing = dir.path().join("missing");
        let err = args(&["--allow-path", missing.to_str().unwrap()])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--allow-path") && err.contains("missing"),
            "{err}"
        );
        let err = args(&["--admin", "root"])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("--admin root"), "{err}");
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
    }
}
