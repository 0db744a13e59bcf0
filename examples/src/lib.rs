//! Runnable examples of talking to Trebuchet. Run one with
//! `cargo run -p trebuchet-examples --example standalone_query`.
//!
//! This library holds what the examples share: starting an in-process server.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use trebuchet_flight_sql_server::{Result, ServerConfig, SharedCatalog, register_tpch, serve};

/// A Trebuchet server running inside the example process.
#[derive(Debug)]
pub struct EmbeddedServer {
    /// Where it listens (an ephemeral loopback port).
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    tasks: JoinSet<Result<()>>,
}

impl EmbeddedServer {
    /// Starts a server with the TPC-H tables at `scale`.
    pub async fn start(scale: f64) -> Result<Self> {
        let catalog = SharedCatalog::new();
        register_tpch(&catalog, scale)?;
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|source| {
            trebuchet_flight_sql_server::FlightSqlError::InvalidConfig {
                reason: format!("cannot listen on loopback: {source}"),
            }
        })?;
        let addr = listener.local_addr().map_err(|source| {
            trebuchet_flight_sql_server::FlightSqlError::InvalidConfig {
                reason: format!("cannot read the bound address: {source}"),
            }
        })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let mut tasks = JoinSet::new();
        tasks.spawn(serve(listener, ServerConfig::loopback(), catalog, async {
            let _ = stopped.await;
        }));
        Ok(Self { addr, stop, tasks })
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> Result<()> {
        let _ = self.stop.send(());
        while let Some(outcome) = self.tasks.join_next().await {
            if let Ok(result) = outcome {
                result?;
            }
        }
        Ok(())
    }
}
