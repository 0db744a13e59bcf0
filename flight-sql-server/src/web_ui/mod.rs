//! The web UI for people: the jobs list, a job's stages with progress bars and its stage
//! graph, and the executors, drawn in the browser from the REST API. Its three files are
//! compiled into the binary and the graph is laid out here ([`dot_svg`]): nothing is
//! fetched from elsewhere, so the UI works on air-gapped clusters.

mod dot_svg;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

pub(crate) use dot_svg::dot_to_svg;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// `/` and the files it loads. The page holds no data: what it shows comes from `/api`,
/// under the API's access rules.
pub(crate) fn ui_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| asset("text/html; charset=utf-8", INDEX_HTML)))
        .route(
            "/ui/app.js",
            get(|| asset("text/javascript; charset=utf-8", APP_JS)),
        )
        .route(
            "/ui/style.css",
            get(|| asset("text/css; charset=utf-8", STYLE_CSS)),
        )
}

async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
