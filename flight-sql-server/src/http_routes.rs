//! The plain-HTTP side of the scheduler's port (Flight SQL clients and executors use its
//! gRPC side): the health probes, and the REST API under `/api`.
//!
//! Health is always served, whatever the build: Kubernetes probes depend on it. The
//! `/api/…` routes come with the `rest-api` cargo feature the tuning guide names (on by
//! default).

use std::sync::Arc;

use axum::Router;
use trebuchet_cluster::scheduler::SchedulerHandle;
use trebuchet_cluster::{Readiness, health_routes};

use crate::config::ServerConfig;
use crate::session::SessionRegistry;

/// Every HTTP route of the scheduler's port; the API reads `scheduler` and authenticates
/// with `sessions`' users and tokens.
pub(crate) fn scheduler_routes(
    readiness: Readiness,
    scheduler: &SchedulerHandle,
    sessions: &Arc<SessionRegistry>,
    config: &ServerConfig,
) -> Router {
    let routes = health_routes(readiness);
    #[cfg(feature = "rest-api")]
    let routes = routes.merge(crate::rest_api::api_routes(crate::rest_api::ApiState::new(
        scheduler.clone(),
        Arc::clone(sessions),
        config,
    )));
    #[cfg(not(feature = "rest-api"))]
    let _ = (scheduler, sessions, config);
    routes
}
