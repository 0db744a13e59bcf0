//! [`ApiError`]: every way an `/api` request fails, and the one place that picks its HTTP
//! status. Bodies are always JSON `{"error": "..."}`, axum's own plain-text rejections
//! included, so that clients parse one shape and bad input never reads as a server fault.
//!
//! The HTTP edge has its own enum, as the gRPC edge has `FlightSqlError → Status`: its
//! statuses (401 with a challenge, 404 that hides other users' jobs, 409) have no gRPC
//! counterpart.

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use serde::Serialize;
use trebuchet_cluster::scheduler::JobState;

/// The challenge browsers and `curl --anyauth` answer with Basic credentials.
const BASIC_CHALLENGE: &str = "Basic realm=\"trebuchet\"";

/// Why an `/api` request was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error(
        "authentication required: send Basic credentials of a configured user, or the \
         Bearer token of an open Flight SQL session"
    )]
    Unauthenticated,
    #[error("refused a state-changing request from another site ({origin})")]
    CrossSiteRequest { origin: String },
    #[error("malformed job id '{given}': job ids look like job-<32 hex digits>")]
    MalformedJobId { given: String },
    #[error("no job {job}")]
    UnknownJob { job: String },
    #[error("malformed stage id '{given}': stage ids are numbers")]
    MalformedStageId { given: String },
    #[error("job {job} has no stage {stage}")]
    UnknownStage { job: String, stage: u32 },
    #[error("malformed request: {reason}")]
    MalformedRequest { reason: String },
    #[error("job {job} already ended ({state})", state = state.as_str())]
    JobAlreadyEnded { job: String, state: JobState },
    #[error("no API route {path}")]
    UnknownRoute { path: String },
    #[error("the scheduler has stopped")]
    SchedulerStopped,
    /// The graph's layout failed: ours to fix, not the caller's (its dot still serves).
    #[error("{reason}; GET the same job's /dot and render it with Graphviz instead")]
    GraphLayout { reason: String },
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::CrossSiteRequest { .. } => StatusCode::FORBIDDEN,
            Self::MalformedJobId { .. }
            | Self::MalformedStageId { .. }
            | Self::MalformedRequest { .. } => StatusCode::BAD_REQUEST,
            Self::UnknownJob { .. } | Self::UnknownStage { .. } | Self::UnknownRoute { .. } => {
                StatusCode::NOT_FOUND
            }
            Self::JobAlreadyEnded { .. } => StatusCode::CONFLICT,
            Self::SchedulerStopped => StatusCode::SERVICE_UNAVAILABLE,
            Self::GraphLayout { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = error_response(self.status(), self.to_string());
        if matches!(self, Self::Unauthenticated) {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static(BASIC_CHALLENGE));
        }
        response
    }
}

/// A path segment that does not percent-decode to UTF-8 is the client's fault.
impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::MalformedRequest {
            reason: rejection.body_text(),
        }
    }
}

/// A body that could not be read (cut short, too large) is the client's fault.
impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        Self::MalformedRequest {
            reason: rejection.body_text(),
        }
    }
}

/// What every error body holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong, for people.
    pub(crate) error: String,
}

/// Gives axum's own empty-bodied refusals (405 for a method a route does not serve) the
/// JSON body every other error has, keeping their headers (`Allow`).
pub(crate) async fn with_json_error_body(response: Response) -> Response {
    let is_error = response.status().is_client_error() || response.status().is_server_error();
    if !is_error || response.headers().contains_key(CONTENT_TYPE) {
        return response;
    }
    let status = response.status();
    let reason = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this route".to_string(),
        other => other
            .canonical_reason()
            .unwrap_or("request refused")
            .to_lowercase(),
    };
    let (mut parts, _) = response.into_parts();
    let fresh = error_response(status, reason);
    parts.headers.extend(fresh.headers().clone());
    Response::from_parts(parts, fresh.into_body())
}

fn error_response(status: StatusCode, error: String) -> Response {
    let mut response = Json(ErrorBody { error }).into_response();
    *response.status_mut() = status;
    response
}

/// The body of `response`, for tests.
#[cfg(test)]
pub(crate) async fn body_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(axum::body::Body::new(response.into_body()), 1 << 20)
        .await
        .expect("test bodies are small");
    String::from_utf8(bytes.to_vec()).expect("test bodies are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unauthenticated_carries_the_basic_challenge_and_a_json_body() {
        let response = ApiError::Unauthenticated.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[WWW_AUTHENTICATE], BASIC_CHALLENGE);
        let body: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
        assert!(body["error"].as_str().unwrap().contains("authentication"));
    }

    #[tokio::test]
    async fn empty_405s_get_a_json_body_and_keep_their_headers() {
        let mut bare = Response::new(axum::body::Body::empty());
        *bare.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        bare.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET,HEAD"));
        let response = with_json_error_body(bare).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[http::header::ALLOW], "GET,HEAD");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert!(body_text(response).await.contains("method not allowed"));
    }

    #[test]
    fn client_mistakes_are_4xx() {
        let job = "job-1".to_string();
        assert_eq!(
            ApiError::MalformedJobId { given: job.clone() }.status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ApiError::UnknownStage {
                job: job.clone(),
                stage: 9
            }
            .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::JobAlreadyEnded {
                job,
                state: JobState::Succeeded
            }
            .status(),
            StatusCode::CONFLICT
        );
    }
}
