//! [`ApiDoc`]: the OpenAPI description of the REST API, generated from the handlers'
//! `#[utoipa::path]` attributes and the types they serve, so it cannot drift from them.

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{cluster_routes, job_routes};

/// Every `/api` route and the schemas of what it serves.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Trebuchet scheduler REST API",
        description = "Jobs, stages and executors of a Trebuchet cluster. With users \
                       configured, every route takes HTTP Basic credentials or the Bearer \
                       token of a Flight SQL session."
    ),
    paths(
        cluster_routes::scheduler_state,
        cluster_routes::list_executors,
        cluster_routes::metrics,
        job_routes::list_jobs,
        job_routes::get_job,
        job_routes::patch_job,
        job_routes::cancel_job,
        job_routes::job_graph,
        job_routes::job_picture,
        job_routes::stage_graph,
        openapi_json,
    ),
    modifiers(&CredentialSchemes),
    security(("basic" = []), ("bearer" = [])),
    tags(
        (name = "cluster", description = "The scheduler and its executors"),
        (name = "jobs", description = "Running and recent jobs"),
    )
)]
pub(crate) struct ApiDoc;

/// This description, as JSON.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "cluster",
    responses((status = 200, description = "The OpenAPI description", content_type = "application/json"))
)]
pub(crate) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Declares the two ways to authenticate: Basic credentials and a session's token.
struct CredentialSchemes;

impl Modify for CredentialSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
