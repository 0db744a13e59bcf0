//! The Flight SQL server: a bound listener in, a running gRPC server out, until `shutdown`.
//!
//! Taking a bound listener lets tests serve on port 0 with no sleeps and no port races.

use std::future::Future;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use trebuchet_cluster::StagedEngine;

use crate::catalog::SharedCatalog;
use crate::config::ServerConfig;
use crate::error::{FlightSqlError, Result};
use crate::service::TrebuchetFlightService;
use crate::session::SessionRegistry;
use crate::session_layer::SessionLayer;
use crate::tls::install_crypto_provider;

/// Serves Flight SQL on `listener` over `catalog` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    catalog: SharedCatalog,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    install_crypto_provider();
    let sessions = Arc::new(SessionRegistry::new(
        catalog,
        config.users.clone(),
        config.session_idle_timeout,
    ));
    std::fs::create_dir_all(&config.work_dir).map_err(|source| FlightSqlError::CreateWorkDir {
        path: config.work_dir.clone(),
        source,
    })?;
    let engine = StagedEngine::new(&config.work_dir);
    let service = TrebuchetFlightService::new(
        Arc::clone(&sessions),
        Arc::new(engine),
        config.max_message_size,
    );
    let flight = FlightServiceServer::new(service)
        .max_decoding_message_size(config.max_message_size)
        .max_encoding_message_size(config.max_message_size);
    let mut builder = Server::builder();
    if let Some(tls) = &config.tls {
        builder = builder
            .tls_config(tls.server_config())
            .map_err(FlightSqlError::Serve)?;
    }
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let served = builder
        .layer(SessionLayer::new(sessions))
        .add_service(flight)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(FlightSqlError::Serve);
    // Jobs delete their own files; the directory itself goes only if nothing else is in it
    // (`remove_dir` refuses a non-empty directory, so a user's --work-dir is never emptied).
    let _ = std::fs::remove_dir(&config.work_dir);
    served
}
