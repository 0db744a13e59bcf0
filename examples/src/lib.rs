//! Runnable examples of talking to Trebuchet. Run one with
//! `cargo run -p trebuchet-examples --example standalone_query`.
//!
//! This library holds what the examples share: starting an in-process cluster.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use trebuchet_flight_sql_server::{
    FlightSqlError, LocalCluster, LocalExecutors, Result, ServerConfig, SharedCatalog,
    register_tpch,
};

/// A scheduler and two executors running inside the example process.
#[derive(Debug)]
pub struct EmbeddedServer {
    /// Where it listens (an ephemeral loopback port).
    pub addr: SocketAddr,
    cluster: LocalCluster,
    config: ServerConfig,
}

impl EmbeddedServer {
    /// Starts a cluster with the TPC-H tables at `scale`.
    pub async fn start(scale: f64) -> Result<Self> {
        let config = ServerConfig::loopback();
        let catalog = SharedCatalog::new();
        register_tpch(&catalog, scale, &config.work_dir.join("tpch")).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|source| {
            FlightSqlError::InvalidConfig {
                reason: format!("cannot listen on loopback: {source}"),
            }
        })?;
        let cluster =
            LocalCluster::start(listener, config.clone(), catalog, LocalExecutors::default())
                .await?;
        Ok(Self {
            addr: cluster.addr(),
            cluster,
            config,
        })
    }

    /// Stops the cluster and removes the files it generated.
    pub async fn stop(self) -> Result<()> {
        self.cluster.stop().await;
        let _ = std::fs::remove_dir_all(&self.config.work_dir);
        Ok(())
    }
}
