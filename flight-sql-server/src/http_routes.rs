//! The plain-HTTP side of the scheduler's port (Flight SQL clients and executors use its
//! gRPC side): the health probes, and the place where the REST API adds its routes.
//!
//! Health is always served, whatever the build: Kubernetes probes depend on it. The
//! `rest-api` cargo feature the tuning guide names is for the `/api/…` routes, which are
//! to be merged in here.

use axum::Router;
use trebuchet_cluster::{Readiness, health_routes};

/// Every HTTP route of the scheduler's port.
pub(crate) fn scheduler_routes(readiness: Readiness) -> Router {
    health_routes(readiness)
}
