//! Plain HTTP beside gRPC on one port: the health probes now, the REST API later.
//!
//! ```text
//!   listener ──▶ GrpcOrHttp ──content-type application/grpc…──▶ tonic services
//!                        └──────anything else───────────────▶ axum Router (/healthz, /readyz, …)
//! ```
//!
//! Both sides share the listener, so they share its bind address and its TLS. The tonic
//! server must be built with `accept_http1(true)` so HTTP/1.1 clients get an answer.

mod grpc_or_http;
mod health_routes;
mod readiness;

pub use grpc_or_http::{GrpcOrHttp, GrpcOrHttpLayer};
pub use health_routes::health_routes;
pub use readiness::Readiness;
