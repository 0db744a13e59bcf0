//! `/healthz` and `/readyz`: the probes of process managers such as Kubernetes.
//!
//! `/healthz` answers 200 for as long as the process serves: a liveness probe must not
//! fail while an executor drains or a scheduler finishes its last queries, or the process
//! would be killed mid-drain. `/readyz` answers 200 when the process should get work, else
//! 503 with the reason on one line.

use axum::Router;
use axum::routing::get;
use http::StatusCode;

use super::readiness::Readiness;

/// The probe routes, reporting `readiness`.
pub fn health_routes(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(move || ready(readiness.clone())))
}

async fn ready(readiness: Readiness) -> (StatusCode, String) {
    match readiness.check() {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}\n", reason.replace('\n', " ")),
        ),
    }
}
