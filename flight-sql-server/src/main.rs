//! The `trebuchet` binary: parses flags, loads the starting data, binds, and serves.

use std::net::SocketAddr;

use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use trebuchet_cluster::{Readiness, start_executor};
use trebuchet_flight_sql_server::{
    Cli, Command, DataArgs, ExecutorArgs, FileAccess, FlightSqlError, LocalCluster, LocalExecutors,
    Result, SchedulerArgs, ServerConfig, SharedCatalog, StandaloneArgs,
    load_or_create_cluster_token, register_table, register_tpch, serve,
};

/// Stack of the main runtime's threads, eight times tokio's default: handlers hand
/// planning to the planning runtime, so this is only a safety net.
const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            tracing::error!(error = %err, "cannot start the tokio runtime");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Standalone(args) => standalone(args).await,
        Command::Scheduler(args) => scheduler(args).await,
        Command::Executor(args) => executor(args).await,
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{}", error_chain(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn standalone(args: StandaloneArgs) -> Result<()> {
    let mut config = args.server.validate()?;
    let (listener, addr) = bind(config.addr).await?;
    let data = load_data(&args.data, &config).await?;
    config.file_access = data.readable_by_all(config.file_access);
    restore_catalog(&config, &data.catalog).await;
    let mut executors = LocalExecutors {
        count: usize::from(args.executors),
        ..LocalExecutors::default()
    };
    if let Some(tasks) = args.concurrent_tasks {
        executors.concurrent_tasks = usize::from(tasks);
    }
    executors.memory_pool_size = args.memory_pool_size.map(|size| size.bytes());
    if let Some(size) = args.shuffle_memory_size {
        executors.shuffle_memory_size = size.bytes();
    }
    let cluster =
        LocalCluster::start(listener, config.clone(), data.catalog.clone(), executors).await?;
    announce(
        &config,
        addr,
        &format!("{} executors in this process", executors.count),
    );
    let outcome = cluster.run_until(stop_signal()).await;
    data.remove_generated();
    outcome
}

async fn scheduler(args: SchedulerArgs) -> Result<()> {
    let mut config = args.server.validate()?;
    if config.cluster_token.is_none() {
        config.cluster_token = Some(load_or_create_cluster_token(&config.work_dir)?);
    }
    let (listener, addr) = bind(config.addr).await?;
    let data = StartingData::for_args(&args.data, &config)?;
    config.file_access = data.readable_by_all(config.file_access);
    // Probes and executors get answers while the tables load; queries wait for them.
    let readiness = Readiness::not_ready("server is starting: loading the catalog");
    tracing::info!("listening on {addr} while the catalog loads (/readyz answers 503 until then)");
    let serving = serve(
        listener,
        config.clone(),
        data.catalog.clone(),
        readiness.clone(),
        stop_signal(),
    );
    tokio::pin!(serving);
    let loaded = tokio::select! {
        outcome = &mut serving => Err(outcome),
        loaded = async {
            data.load(&args.data).await?;
            restore_catalog(&config, &data.catalog).await;
            Ok::<(), FlightSqlError>(())
        } => Ok(loaded),
    };
    let outcome = match loaded {
        // Stopped (or failed) before the tables were loaded.
        Err(outcome) => outcome,
        // Dropping `serving` stops the server.
        Ok(Err(err)) => Err(err),
        Ok(Ok(())) => {
            readiness.set_ready();
            announce(&config, addr, "executors register at this address");
            serving.await
        }
    };
    data.remove_generated();
    outcome
}

async fn executor(args: ExecutorArgs) -> Result<()> {
    let config = args.validate()?;
    let running = start_executor(config)
        .await
        .map_err(|err| FlightSqlError::InvalidConfig {
            reason: format!("the executor did not start: {err}"),
        })?;
    tracing::info!(executor = %running.id(), flight = %running.flight_addr(), "executor is running");
    tokio::select! {
        () = stop_signal() => {}
        reason = running.failure() => {
            running.stop().await;
            return Err(FlightSqlError::InvalidConfig { reason });
        }
    }
    // A second signal cuts the drain short.
    tokio::select! {
        () = running.drain() => {}
        () = stop_signal() => tracing::warn!("stopping without waiting for the drain"),
    }
    running.stop().await;
    Ok(())
}

/// Makes again the tables and views of the catalog file, if the server keeps one.
async fn restore_catalog(config: &ServerConfig, catalog: &SharedCatalog) {
    if let Some(journal) = &config.catalog_journal {
        journal.replay(catalog, config).await;
    }
}

/// The catalog a server starts with, the generated files it owns, and the paths of its
/// tables.
struct StartingData {
    catalog: SharedCatalog,
    generated: Option<std::path::PathBuf>,
    served: Vec<std::path::PathBuf>,
}

impl StartingData {
    /// The data `args` describe: an empty catalog whose sessions start from the server's
    /// session defaults (its tables are registered and replayed under them too), and the
    /// paths its tables will have.
    fn for_args(args: &DataArgs, config: &ServerConfig) -> Result<Self> {
        let work_dir = &config.work_dir;
        let mut generated = None;
        let mut served = Vec::new();
        if args.tpch_scale != 0.0 {
            let dir = work_dir.join(format!("tpch-sf{}", args.tpch_scale));
            generated = Some(dir.clone());
            served.push(dir);
        }
        for table in &args.tables {
            if let Some((_, path)) = table.split_once('=') {
                served.push(path.into());
            }
        }
        Ok(Self {
            catalog: SharedCatalog::new().with_session_defaults(&config.session_defaults)?,
            generated,
            served,
        })
    }

    /// Generates and registers the tables of `args` (which made `self`).
    async fn load(&self, args: &DataArgs) -> Result<()> {
        if let Some(dir) = &self.generated {
            register_tpch(&self.catalog, args.tpch_scale, dir).await?;
        }
        for table in &args.tables {
            register_table(&self.catalog, table).await?;
        }
        Ok(())
    }

    /// `files`, letting every user read the tables this data was loaded from.
    fn readable_by_all(&self, files: FileAccess) -> FileAccess {
        self.served
            .iter()
            .fold(files, |files, path| files.serve(path))
    }

    fn remove_generated(&self) {
        if let Some(dir) = &self.generated {
            let _ = std::fs::remove_dir_all(dir);
            if let Some(parent) = dir.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
}

async fn load_data(args: &DataArgs, config: &ServerConfig) -> Result<StartingData> {
    let data = StartingData::for_args(args, config)?;
    data.load(args).await?;
    Ok(data)
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr)> {
    let listener =
        TcpListener::bind(addr)
            .await
            .map_err(|source| FlightSqlError::InvalidConfig {
                reason: format!("cannot listen on {addr}: {source}"),
            })?;
    let bound = listener
        .local_addr()
        .map_err(|source| FlightSqlError::InvalidConfig {
            reason: format!("cannot read the bound address: {source}"),
        })?;
    Ok((listener, bound))
}

fn announce(config: &ServerConfig, addr: SocketAddr, cluster: &str) {
    tracing::info!(
        "Trebuchet is ready ({cluster}). ADBC: {}  JDBC: {}{}",
        config.adbc_uri(addr),
        config.jdbc_url(addr),
        if config.users.is_empty() {
            "  (authentication off)"
        } else {
            ""
        }
    );
}

async fn stop_signal() {
    wait_for_stop_signal().await;
    tracing::info!("shutting down");
}

/// Resolves on Ctrl-C or SIGTERM (what process managers and test harnesses send).
async fn wait_for_stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
