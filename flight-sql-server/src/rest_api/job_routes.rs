//! The `/api/jobs` and `/api/job/{job_id}…` routes: the jobs list, one job, its stage
//! graph in dot, and cancelling it. A job the caller may not see answers as an unknown
//! one (404), and an id that cannot be a job id is refused before any look-up (400).

use std::sync::Arc;

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use serde::Deserialize;
use trebuchet_cluster::ids::JobId;
use trebuchet_cluster::scheduler::{JobView, StopOutcome};

use super::ApiState;
use super::access::Caller;
use super::api_error::{ApiError, ErrorBody};
use super::job_dot::{job_dot, stage_dot};
use super::job_summary::JobSummary;

/// Graphviz's registered media type.
const DOT_CONTENT_TYPE: &str = "text/vnd.graphviz; charset=utf-8";
/// What the scheduler mints (`JobId::unique`): `job-` and 128 random bits in hex.
const JOB_ID_PREFIX: &str = "job-";
const JOB_ID_HEX_DIGITS: usize = 32;

/// What `PATCH /api/job/{job_id}` may change: only the status, only to cancelled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobPatch {
    pub(crate) status: RequestedJobState,
}

/// The states a client may put a job in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RequestedJobState {
    Cancelled,
}

/// Running jobs first, then the recent ended ones (`--job-history`), most recent first.
#[utoipa::path(
    get,
    path = "/api/jobs",
    tag = "jobs",
    responses(
        (status = 200, description = "The caller's jobs (an admin's: every job)", body = [JobSummary]),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
    )
)]
pub(crate) async fn list_jobs(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<JobSummary>>, ApiError> {
    let view = state.view().await?;
    let jobs = view
        .jobs
        .iter()
        .filter(|job| caller.may_see(job))
        .map(JobSummary::from)
        .collect();
    Ok(Json(jobs))
}

/// One job with its stages: task counts, rows, bytes, spill, time, operators and tasks.
#[utoipa::path(
    get,
    path = "/api/job/{job_id}",
    tag = "jobs",
    params(("job_id" = String, Path, description = "A job id, job-<32 hex digits>")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 400, description = "Not a job id", body = ErrorBody),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
        (status = 404, description = "No such job, or another user's", body = ErrorBody),
    )
)]
pub(crate) async fn get_job(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    job_id: Result<Path<String>, PathRejection>,
) -> Result<Json<JobView>, ApiError> {
    let Path(job_id) = job_id?;
    Ok(Json(visible_job(&state, &caller, &job_id).await?))
}

/// Cancels a running job, as `{"status": "cancelled"}` says; its client gets CANCELLED.
#[utoipa::path(
    patch,
    path = "/api/job/{job_id}",
    tag = "jobs",
    params(("job_id" = String, Path, description = "A job id, job-<32 hex digits>")),
    request_body(content = JobPatch, description = "The state to put the job in", content_type = "application/json"),
    responses(
        (status = 200, description = "Cancelled: the job as it stands now", body = JobView),
        (status = 400, description = "Not a job id, or not a valid body", body = ErrorBody),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
        (status = 403, description = "Sent by another site's page (its Origin)", body = ErrorBody),
        (status = 404, description = "No such job, or another user's", body = ErrorBody),
        (status = 409, description = "The job already ended", body = ErrorBody),
    )
)]
pub(crate) async fn patch_job(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    job_id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<JobView>, ApiError> {
    let Path(job_id) = job_id?;
    let job = parse_job_id(&job_id)?;
    let patch: JobPatch =
        serde_json::from_slice(&body?).map_err(|err| ApiError::MalformedRequest {
            reason: format!("expected {{\"status\": \"cancelled\"}}: {err}"),
        })?;
    match patch.status {
        RequestedJobState::Cancelled => cancel(&state, &caller, job).await,
    }
}

/// Cancels a running job; its client gets CANCELLED.
#[utoipa::path(
    post,
    path = "/api/job/{job_id}/cancel",
    tag = "jobs",
    params(("job_id" = String, Path, description = "A job id, job-<32 hex digits>")),
    responses(
        (status = 200, description = "Cancelled: the job as it stands now", body = JobView),
        (status = 400, description = "Not a job id", body = ErrorBody),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
        (status = 403, description = "Sent by another site's page (its Origin)", body = ErrorBody),
        (status = 404, description = "No such job, or another user's", body = ErrorBody),
        (status = 409, description = "The job already ended", body = ErrorBody),
    )
)]
pub(crate) async fn cancel_job(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    job_id: Result<Path<String>, PathRejection>,
) -> Result<Json<JobView>, ApiError> {
    let Path(job_id) = job_id?;
    cancel(&state, &caller, parse_job_id(&job_id)?).await
}

/// The job's stage graph in Graphviz dot, for `dot -Tpng`.
#[utoipa::path(
    get,
    path = "/api/job/{job_id}/dot",
    tag = "jobs",
    params(("job_id" = String, Path, description = "A job id, job-<32 hex digits>")),
    responses(
        (status = 200, description = "Graphviz dot", body = String, content_type = "text/vnd.graphviz"),
        (status = 400, description = "Not a job id", body = ErrorBody),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
        (status = 404, description = "No such job, or another user's", body = ErrorBody),
    )
)]
pub(crate) async fn job_graph(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    job_id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Path(job_id) = job_id?;
    let job = visible_job(&state, &caller, &job_id).await?;
    Ok(([(CONTENT_TYPE, DOT_CONTENT_TYPE)], job_dot(&job)))
}

/// The job's stage graph as a picture: its dot, laid out in the server (what the web UI
/// shows; no Graphviz needed anywhere).
#[utoipa::path(
    get,
    path = "/api/job/{job_id}/svg",
    tag = "jobs",
    params(("job_id" = String, Path, description = "A job id, job-<32 hex digits>")),
    responses(
        (status = 200, description = "SVG", body = String, content_type = "image/svg+xml"),
        (status = 400, description = "Not a job id", body = ErrorBody),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
        (status = 404, description = "No such job, or another user's", body = ErrorBody),
    )
)]
pub(crate) async fn job_picture(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    job_id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Path(job_id) = job_id?;
    let job = visible_job(&state, &caller, &job_id).await?;
    let svg = crate::web_ui::dot_to_svg(&job_dot(&job))
        .map_err(|reason| ApiError::GraphLayout { reason })?;
    Ok(([(CONTENT_TYPE, "image/svg+xml")], svg))
}

/// One stage's operators in Graphviz dot, its input stages as single nodes.
#[utoipa::path(
    get,
    path = "/api/job/{job_id}/stage/{stage_id}/dot",
    tag = "jobs",
    params(
        ("job_id" = String, Path, description = "A job id, job-<32 hex digits>"),
        ("stage_id" = u32, Path, description = "One of the job's stage ids"),
    ),
    responses(
        (status = 200, description = "Graphviz dot", body = String, content_type = "text/vnd.graphviz"),
        (status = 400, description = "Not a job id or not a stage id", body = ErrorBody),
        (status = 401, description = "Credentials missing or wrong", body = ErrorBody),
        (status = 404, description = "No such job or stage, or another user's job", body = ErrorBody),
    )
)]
pub(crate) async fn stage_graph(
    State(state): State<Arc<ApiState>>,
    Extension(caller): Extension<Caller>,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Path((job_id, stage_id)) = ids?;
    parse_job_id(&job_id)?;
    let stage: u32 = stage_id
        .parse()
        .map_err(|_| ApiError::MalformedStageId { given: stage_id })?;
    let job = visible_job(&state, &caller, &job_id).await?;
    let Some(stage_view) = job.stages.iter().find(|view| view.stage_id == stage) else {
        return Err(ApiError::UnknownStage { job: job_id, stage });
    };
    Ok((
        [(CONTENT_TYPE, DOT_CONTENT_TYPE)],
        stage_dot(&job, stage_view),
    ))
}

/// Stops `job` if it runs and the caller may see it; answers the job as it is then.
async fn cancel(state: &ApiState, caller: &Caller, job: JobId) -> Result<Json<JobView>, ApiError> {
    let before = visible_job(state, caller, job.as_str()).await?;
    match state.scheduler.stop(job.clone()).await {
        StopOutcome::Cancelled => {
            let after = visible_job(state, caller, job.as_str()).await;
            Ok(Json(after.unwrap_or(before)))
        }
        StopOutcome::AlreadyEnded => {
            // It may have ended between the look-up and the stop: say how it ended.
            let ended = visible_job(state, caller, job.as_str()).await;
            Err(ApiError::JobAlreadyEnded {
                job: job.to_string(),
                state: ended.map_or(before.state, |job| job.state),
            })
        }
        StopOutcome::Unknown => Err(ApiError::UnknownJob {
            job: job.to_string(),
        }),
    }
}

/// The job named `given`, if it is the caller's to see.
async fn visible_job(state: &ApiState, caller: &Caller, given: &str) -> Result<JobView, ApiError> {
    let job = parse_job_id(given)?;
    let view = state.view().await?;
    view.jobs
        .into_iter()
        .find(|view| view.job_id == job.as_str() && caller.may_see(view))
        .ok_or(ApiError::UnknownJob {
            job: job.to_string(),
        })
}

/// `given` as a job id, if it has the form the scheduler mints.
fn parse_job_id(given: &str) -> Result<JobId, ApiError> {
    let well_formed = given.strip_prefix(JOB_ID_PREFIX).is_some_and(|hex| {
        hex.len() == JOB_ID_HEX_DIGITS
            && hex
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    });
    if well_formed {
        Ok(JobId::new(given))
    } else {
        Err(ApiError::MalformedJobId {
            given: given.chars().take(80).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_what_the_scheduler_mints() {
        let minted = JobId::unique();
        assert_eq!(parse_job_id(minted.as_str()).unwrap(), minted);
        for malformed in [
            "",
            "job-",
            "job-123",
            "1234",
            "job-0123456789abcdef0123456789ABCDEF",
            "job-0123456789abcdef0123456789abcdeg",
            "job-0123456789abcdef0123456789abcdef0",
            "../job-0123456789abcdef0123456789abcdef",
        ] {
            assert!(
                matches!(
                    parse_job_id(malformed),
                    Err(ApiError::MalformedJobId { .. })
                ),
                "{malformed}"
            );
        }
    }

    #[test]
    fn the_only_patch_is_a_cancellation() {
        let patch: JobPatch = serde_json::from_str(r#"{"status":"cancelled"}"#).unwrap();
        assert!(matches!(patch.status, RequestedJobState::Cancelled));
        for refused in [
            r#"{"status":"running"}"#,
            r#"{"status":"cancelled","x":1}"#,
            "{}",
            "[]",
            "not json",
            "",
        ] {
            assert!(
                serde_json::from_str::<JobPatch>(refused).is_err(),
                "{refused}"
            );
        }
    }
}
