//! The scheduler's REST API under `/api` (cargo feature `rest-api`): JSON views of the
//! scheduler, its executors and its jobs, a job's stage graph in Graphviz dot (the tuning
//! guide's `GET /api/job/{job_id}/dot`), cancelling a job, Prometheus metrics, and the
//! OpenAPI description of it all. Served beside gRPC on the scheduler's port.
//!
//! ```text
//!   request ─▶ require_caller (401, or a Caller) ─▶ route ─▶ SchedulerHandle::view / stop
//! ```
//!
//! Every answer comes from one [`ClusterView`] taken by the scheduler's event loop, so the
//! API never disagrees with the scheduler, the web UI or the `system` tables. Errors are
//! JSON `{"error": …}`; bad input is a 4xx, never a 500.

mod access;
mod api_error;
mod cluster_routes;
mod job_dot;
mod job_routes;
mod job_summary;
mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::http::Uri;
use axum::middleware::{from_fn_with_state, map_response};
use axum::routing::{any, get, post};
use trebuchet_cluster::scheduler::{ClusterView, SchedulerHandle};

use self::api_error::{ApiError, with_json_error_body};
use crate::config::ServerConfig;
use crate::file_access::FileAccess;
use crate::session::SessionRegistry;

/// What the API reads and whom it answers.
#[derive(Debug)]
pub(crate) struct ApiState {
    pub(crate) scheduler: SchedulerHandle,
    /// The Flight SQL sessions, whose tokens authenticate too, and the configured users.
    pub(crate) sessions: Arc<SessionRegistry>,
    /// Its admins (`--admin`) see every job.
    pub(crate) admins: FileAccess,
    /// How many ended jobs the scheduler keeps (`--job-history`).
    pub(crate) job_history: usize,
    pub(crate) version: &'static str,
}

impl ApiState {
    pub(crate) fn new(
        scheduler: SchedulerHandle,
        sessions: Arc<SessionRegistry>,
        config: &ServerConfig,
    ) -> Self {
        Self {
            scheduler,
            sessions,
            admins: config.file_access.clone(),
            job_history: config.job_history,
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The scheduler's picture of itself, now.
    async fn view(&self) -> Result<ClusterView, ApiError> {
        self.scheduler
            .view()
            .await
            .map_err(|_| ApiError::SchedulerStopped)
    }
}

/// Every `/api` route; any other path under `/api` answers a JSON 404.
pub(crate) fn api_routes(state: ApiState) -> Router {
    let state = Arc::new(state);
    Router::new()
        .route("/api/state", get(cluster_routes::scheduler_state))
        .route("/api/executors", get(cluster_routes::list_executors))
        .route("/api/metrics", get(cluster_routes::metrics))
        .route("/api/jobs", get(job_routes::list_jobs))
        .route(
            "/api/job/{job_id}",
            get(job_routes::get_job).patch(job_routes::patch_job),
        )
        .route("/api/job/{job_id}/cancel", post(job_routes::cancel_job))
        .route("/api/job/{job_id}/dot", get(job_routes::job_graph))
        .route("/api/job/{job_id}/svg", get(job_routes::job_picture))
        .route(
            "/api/job/{job_id}/stage/{stage_id}/dot",
            get(job_routes::stage_graph),
        )
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/api", any(unknown_route))
        .route("/api/", any(unknown_route))
        .route("/api/{*rest}", any(unknown_route))
        // The web UI's page holds no data, but asking for credentials when it loads lets
        // the browser send them with every API call it makes.
        .merge(crate::web_ui::ui_routes())
        // Route layers: paths outside `/api` (the UI, `/favicon.ico`) are not the API's
        // to authenticate or to answer.
        .route_layer(map_response(with_json_error_body))
        .route_layer(from_fn_with_state(
            Arc::clone(&state),
            access::require_caller,
        ))
        .with_state(state)
}

async fn unknown_route(uri: Uri) -> ApiError {
    ApiError::UnknownRoute {
        path: uri.path().chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use http::{Request, StatusCode};
    use tower::ServiceExt;
    use trebuchet_cluster::ClusterSecret;
    use utoipa::OpenApi;

    use super::*;
    use crate::auth::UserStore;
    use crate::catalog::SharedCatalog;

    /// The routes `api_routes` serves, as OpenAPI spells them; kept beside the router so
    /// that a route added there without a `#[utoipa::path]` fails here.
    const SERVED: &[(&str, &str)] = &[
        ("get", "/api/state"),
        ("get", "/api/executors"),
        ("get", "/api/metrics"),
        ("get", "/api/jobs"),
        ("get", "/api/job/{job_id}"),
        ("patch", "/api/job/{job_id}"),
        ("post", "/api/job/{job_id}/cancel"),
        ("get", "/api/job/{job_id}/dot"),
        ("get", "/api/job/{job_id}/svg"),
        ("get", "/api/job/{job_id}/stage/{stage_id}/dot"),
        ("get", "/api/openapi.json"),
    ];

    #[test]
    fn the_openapi_description_lists_every_route_served() {
        let doc = serde_json::to_value(openapi::ApiDoc::openapi()).unwrap();
        let mut documented = BTreeSet::new();
        for (path, operations) in doc["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                documented.insert((method.clone(), path.clone()));
            }
        }
        let served: BTreeSet<(String, String)> = SERVED
            .iter()
            .map(|(method, path)| (method.to_string(), path.to_string()))
            .collect();
        assert_eq!(documented, served);
    }

    #[tokio::test]
    async fn every_listed_route_is_served_and_nothing_else_under_api() {
        let routes = api_routes(state(&[]));
        let unknown_job = "job-0123456789abcdef0123456789abcdef";
        for (method, path) in SERVED {
            let path = path
                .replace("{job_id}", unknown_job)
                .replace("{stage_id}", "1");
            let (status, body) = call(&routes, method, &path).await;
            // A route that exists answers, here about a job it does not know.
            assert!(
                status == StatusCode::OK || body.contains(&format!("no job {unknown_job}")),
                "{method} {path}: {status} {body}"
            );
        }
        for path in ["/api", "/api/", "/api/nope", "/api/job", "/api/jobs/x"] {
            let (status, body) = call(&routes, "get", path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(body.contains("no API route"), "{path}: {body}");
        }
        let (status, body) = call(&routes, "delete", "/api/jobs").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(body.starts_with("{\"error\""), "{body}");
        let (status, _) = call(&routes, "get", "/api/job/nope").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn with_users_every_api_route_wants_credentials() {
        let routes = api_routes(state(&["alice:secret"]));
        for path in ["/api/state", "/api/openapi.json", "/api/nope", "/api/"] {
            let (status, _) = call(&routes, "get", path).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        }
        let (status, _) = call(&routes, "delete", "/api/state").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Other paths are someone else's to answer.
        let (status, _) = call(&routes, "get", "/favicon.ico").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    fn state(users: &[&str]) -> ApiState {
        let specs: Vec<String> = users.iter().map(|user| user.to_string()).collect();
        let config = ServerConfig::loopback();
        let sessions = SessionRegistry::new(
            SharedCatalog::new(),
            UserStore::from_specs(&specs).unwrap(),
            config.session_idle_timeout,
        );
        let scheduler =
            SchedulerHandle::start(config.scheduler_settings(), ClusterSecret::generate());
        ApiState::new(scheduler, Arc::new(sessions), &config)
    }

    async fn call(routes: &Router, method: &str, path: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(path)
            .body(Body::from(match method {
                "patch" => r#"{"status":"cancelled"}"#,
                _ => "",
            }))
            .unwrap();
        let response = routes.clone().oneshot(request).await.unwrap();
        let status = response.status();
        (status, api_error::body_text(response).await)
    }
}
