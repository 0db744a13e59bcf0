//! The scheduler's gRPC server: Flight SQL for clients and the cluster protocol for
//! executors, on one listener, until `shutdown`.
//!
//! Taking a bound listener lets tests serve on port 0 with no sleeps and no port races.

use std::future::Future;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use trebuchet_cluster::scheduler::{SchedulerHandle, SchedulerService};
use trebuchet_cluster::{ClusterEngine, ClusterSecret, install_cluster_tls};

use crate::catalog::SharedCatalog;
use crate::config::ServerConfig;
use crate::error::{FlightSqlError, Result};
use crate::flight_service::FlightSqlEndpoint;
use crate::service::TrebuchetFlightService;
use crate::session::SessionRegistry;
use crate::session_layer::SessionLayer;
use crate::tls::install_crypto_provider;

/// Serves Flight SQL and the cluster protocol on `listener` over `catalog` until
/// `shutdown` completes. Queries run on the executors that register here, which must
/// present `config.cluster_token`; without one, a random secret nobody else knows is used
/// (`trebuchet scheduler` always passes one, generated into its work dir if need be).
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    catalog: SharedCatalog,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let secret = config
        .cluster_token
        .clone()
        .unwrap_or_else(ClusterSecret::generate);
    let scheduler = SchedulerHandle::start(config.scheduler_settings(), secret);
    serve_with_scheduler(
        listener,
        config,
        catalog,
        scheduler,
        ClusterPort::Shared,
        shutdown,
    )
    .await
}

/// Where executors reach the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterPort {
    /// On the client port too (`trebuchet scheduler`).
    Shared,
    /// Elsewhere only (a standalone process's loopback port): the client port then
    /// answers no cluster call.
    Separate,
}

/// [`serve`] with a scheduler the caller started.
pub async fn serve_with_scheduler(
    listener: TcpListener,
    config: ServerConfig,
    catalog: SharedCatalog,
    scheduler: SchedulerHandle,
    cluster_port: ClusterPort,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    install_crypto_provider();
    // Statements are checked against the file policy; the work dir (shuffle and spill
    // files) is nobody's to read or write.
    let catalog = catalog.with_file_access(config.file_access.clone().deny(&config.work_dir));
    let sessions = Arc::new(SessionRegistry::new(
        catalog,
        config.users.clone(),
        config.session_idle_timeout,
    ));
    let engine =
        ClusterEngine::new(scheduler.clone()).with_result_endpoints(config.result_endpoints);
    let service = TrebuchetFlightService::new(
        Arc::clone(&sessions),
        Arc::new(engine),
        config.max_message_size,
        config.max_queries_per_user,
    );
    let flight = FlightServiceServer::new(FlightSqlEndpoint::new(service))
        .max_decoding_message_size(config.max_message_size)
        .max_encoding_message_size(config.max_message_size);
    let mut builder = Server::builder();
    // The port's own certificate wins; else the cluster's serves it, client certificates
    // optional: SQL clients have none, and executors prove themselves with the secret.
    let port_tls = match (&config.tls, &config.cluster_tls) {
        (Some(tls), _) => Some(tls.server_config()),
        (None, Some(cluster)) => Some(cluster.server_config_optional_client_auth()),
        (None, None) => None,
    };
    if let Some(tls) = port_tls {
        builder = builder.tls_config(tls).map_err(FlightSqlError::Serve)?;
    }
    if let Some(cluster) = &config.cluster_tls {
        // Following final partitions on executors goes through the shuffle client.
        install_cluster_tls(cluster);
    }
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    builder
        .layer(SessionLayer::new(sessions))
        .add_service(flight)
        .add_optional_service(
            (cluster_port == ClusterPort::Shared)
                .then(|| SchedulerService::new(scheduler).into_server()),
        )
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(FlightSqlError::Serve)
}

/// Serves only the cluster protocol, in plain text, on `listener`: the loopback port a
/// standalone process's own executors use, whatever TLS the client port has. Executors
/// must present `scheduler`'s cluster secret.
pub async fn serve_cluster(
    listener: TcpListener,
    scheduler: SchedulerHandle,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    Server::builder()
        .add_service(SchedulerService::new(scheduler).into_server())
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(FlightSqlError::Serve)
}
