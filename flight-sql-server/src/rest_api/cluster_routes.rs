//! The routes about the cluster as a whole: `/api/state`, `/api/executors` and the
//! Prometheus text at `/api/metrics`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use http::header::CONTENT_TYPE;
use serde::Serialize;
use trebuchet_cluster::scheduler::{ExecutorState, ExecutorView};

use super::ApiState;
use super::api_error::{ApiError, ErrorBody};

/// The media type of Prometheus' text exposition format.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The scheduler process at a glance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SchedulerSummary {
    /// The `trebuchet` version serving.
    pub(crate) version: &'static str,
    /// When the scheduler started, in milliseconds since the Unix epoch.
    pub(crate) started_at_ms: u64,
    /// How tasks reach executors: `pull-staged` or `push-staged`.
    pub(crate) scheduler_policy: &'static str,
    /// How many ended jobs the scheduler remembers (`--job-history`).
    pub(crate) job_history: usize,
    /// Executors alive and taking tasks.
    pub(crate) executors_alive: usize,
}

/// The scheduler: version, start time, policy, history size, live executors.
#[utoipa::path(
    get,
    path = "/api/state",
    tag = "cluster",
    responses(
        (status = 200, description = "The scheduler at a glance", body = SchedulerSummary),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
    )
)]
pub(crate) async fn scheduler_state(
    State(state): State<Arc<ApiState>>,
) -> Result<Json<SchedulerSummary>, ApiError> {
    let view = state.view().await?;
    Ok(Json(SchedulerSummary {
        version: state.version,
        started_at_ms: view.started_at_ms,
        scheduler_policy: state.scheduler.policy().as_str(),
        job_history: state.job_history,
        executors_alive: view
            .executors
            .iter()
            .filter(|executor| executor.state == ExecutorState::Alive)
            .count(),
    }))
}

/// Live executors first, then departed ones (lost or left), most recent first.
#[utoipa::path(
    get,
    path = "/api/executors",
    tag = "cluster",
    responses(
        (status = 200, description = "The executors", body = [ExecutorView]),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
    )
)]
pub(crate) async fn list_executors(
    State(state): State<Arc<ApiState>>,
) -> Result<Json<Vec<ExecutorView>>, ApiError> {
    Ok(Json(state.view().await?.executors))
}

/// The scheduler's metrics in Prometheus' text exposition format.
#[utoipa::path(
    get,
    path = "/api/metrics",
    tag = "cluster",
    responses(
        (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
    )
)]
pub(crate) async fn metrics(
    State(state): State<Arc<ApiState>>,
) -> Result<impl IntoResponse, ApiError> {
    let view = state.view().await?;
    let sessions_open = state.sessions.list().len();
    let text = state.scheduler.metrics().render(&view, sessions_open);
    Ok(([(CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)], text))
}
