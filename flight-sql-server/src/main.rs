//! The `trebuchet` binary: parses flags, loads the starting data, binds, and serves.

use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use trebuchet_flight_sql_server::{Cli, Command, Result, SharedCatalog, StandaloneArgs};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Standalone(args) => standalone(args).await,
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
    let config = args.server.validate()?;
    let catalog = SharedCatalog::new();
    if args.data.tpch_scale != 0.0 {
        trebuchet_flight_sql_server::register_tpch(&catalog, args.data.tpch_scale)?;
    }
    for table in &args.data.tables {
        trebuchet_flight_sql_server::register_table(&catalog, table).await?;
    }
    let listener = TcpListener::bind(config.addr).await.map_err(|source| {
        trebuchet_flight_sql_server::FlightSqlError::InvalidConfig {
            reason: format!("cannot listen on {}: {source}", config.addr),
        }
    })?;
    let addr = listener.local_addr().map_err(|source| {
        trebuchet_flight_sql_server::FlightSqlError::InvalidConfig {
            reason: format!("cannot read the bound address: {source}"),
        }
    })?;
    tracing::info!(
        "Trebuchet is ready. ADBC: {}  JDBC: {}{}",
        config.adbc_uri(addr),
        config.jdbc_url(addr),
        if config.users.is_empty() {
            "  (authentication off)"
        } else {
            ""
        }
    );
    let shutdown = async {
        wait_for_stop_signal().await;
        tracing::info!("shutting down");
    };
    trebuchet_flight_sql_server::serve(listener, config, catalog, shutdown).await
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
