//! The scheduler's server: Flight SQL for clients and the cluster protocol for executors
//! over gRPC, and plain HTTP (`/healthz`, `/readyz`) beside them, on one listener, until
//! `shutdown`.
//!
//! ```text
//!   listener ─▶ GrpcOrHttp ─┬─ HTTP ─▶ http_routes
//!                           └─ gRPC ─▶ CallMetrics ─▶ ReadinessGate ─▶ SessionLayer
//!                                        ─▶ Flight SQL | cluster
//! ```
//!
//! Taking a bound listener lets tests serve on port 0 with no sleeps and no port races.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use trebuchet_cluster::scheduler::{SchedulerHandle, SchedulerService};
use trebuchet_cluster::{
    ClusterEngine, ClusterSecret, GrpcOrHttpLayer, Readiness, install_cluster_tls,
};

use crate::call_metrics::CallMetricsLayer;
use crate::catalog::SharedCatalog;
use crate::config::ServerConfig;
use crate::error::{FlightSqlError, Result};
use crate::flight_service::FlightSqlEndpoint;
use crate::http_routes::scheduler_routes;
use crate::readiness_gate::ReadinessGateLayer;
use crate::service::TrebuchetFlightService;
use crate::session::SessionRegistry;
use crate::session_layer::SessionLayer;
use crate::system_tables::SystemTables;
use crate::tls::install_crypto_provider;

/// What a server that no longer takes queries answers, and why `/readyz` says 503.
const SHUTTING_DOWN: &str = "server is shutting down";

/// Serves Flight SQL and the cluster protocol on `listener` over `catalog`. Queries run on
/// the executors that register here, which must present `config.cluster_token`; without
/// one, a random secret nobody else knows is used (`trebuchet scheduler` always passes
/// one, generated into its work dir if need be).
///
/// Queries start only while `readiness` says ready. Once `shutdown` completes the server
/// drains: it refuses new queries, lets started ones finish and their results be read
/// for up to `config.drain_timeout`, then stops.
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    catalog: SharedCatalog,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let secret = config
        .cluster_token
        .clone()
        .unwrap_or_else(ClusterSecret::generate);
    let scheduler = SchedulerHandle::start(config.scheduler_settings(), secret);
    let drained = {
        let (scheduler, readiness) = (scheduler.clone(), readiness.clone());
        let timeout = config.drain_timeout;
        async move {
            shutdown.await;
            drain_queries(&scheduler, &readiness, timeout).await;
        }
    };
    serve_with_scheduler(
        listener,
        config,
        catalog,
        scheduler,
        ClusterPort::Shared,
        readiness,
        drained,
    )
    .await
}

/// Refuses new queries from now on and waits, at most `timeout`, until every started
/// query has ended and its results were read or released.
pub(crate) async fn drain_queries(
    scheduler: &SchedulerHandle,
    readiness: &Readiness,
    timeout: Duration,
) {
    readiness.set_leaving(SHUTTING_DOWN);
    tracing::info!(
        ?timeout,
        "draining: new queries are refused; started ones may finish"
    );
    match tokio::time::timeout(timeout, scheduler.wait_for_no_jobs()).await {
        Ok(()) => tracing::info!("drained: no query is running"),
        Err(_) => tracing::warn!(?timeout, "drain timed out: the queries still running stop"),
    }
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

/// [`serve`] with a scheduler the caller started, stopping as soon as `shutdown`
/// completes: draining is the caller's part.
pub async fn serve_with_scheduler(
    listener: TcpListener,
    config: ServerConfig,
    catalog: SharedCatalog,
    scheduler: SchedulerHandle,
    cluster_port: ClusterPort,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    install_crypto_provider();
    // Statements are checked against the file policy; the work dir (shuffle and spill
    // files) is nobody's to read or write.
    let catalog = catalog
        .with_file_access(config.file_access.clone().deny(&config.work_dir))
        .with_session_defaults(&config.session_defaults)?;
    // DDL is recorded in the catalog file, if the server keeps one (`--state-dir`).
    let catalog = match &config.catalog_journal {
        Some(journal) => catalog.with_catalog_journal(Arc::clone(journal)),
        None => catalog,
    };
    // The `system` tables list the registry's sessions: they hold it weakly, as its
    // sessions hold them.
    let sessions = Arc::new_cyclic(|sessions| {
        let system = SystemTables::new(scheduler.clone(), Weak::clone(sessions));
        SessionRegistry::new(
            catalog.with_system_tables(system),
            config.users.clone(),
            config.session_idle_timeout,
        )
    });
    let engine =
        ClusterEngine::new(scheduler.clone()).with_result_endpoints(config.result_endpoints);
    let service = TrebuchetFlightService::new(
        Arc::clone(&sessions),
        Arc::new(engine),
        config.max_message_size,
        config.max_queries_per_user,
    );
    let metrics = Arc::clone(scheduler.metrics());
    let flight = FlightServiceServer::new(FlightSqlEndpoint::new(service, Arc::clone(&metrics)))
        .max_decoding_message_size(config.max_message_size)
        .max_encoding_message_size(config.max_message_size);
    // Plain HTTP/1.1 requests (probes, curl) are answered too.
    let mut builder = Server::builder().accept_http1(true);
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
        .layer(GrpcOrHttpLayer::new(scheduler_routes(
            readiness.clone(),
            &scheduler,
            &sessions,
            &config,
        )))
        // Before the gates: calls refused for readiness or credentials are counted too.
        .layer(CallMetricsLayer::new(metrics))
        .layer(ReadinessGateLayer::new(readiness))
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
