//! A tower layer that refuses to start queries while the server is not ready (loading
//! its catalog, or shutting down): such calls get `UNAVAILABLE` with the reason, which
//! clients and load balancers treat as "try another server, or later".
//!
//! Only the calls that start something new are refused. Reading the results of a query
//! already started (`DoGet`), cancelling it or closing handles (`DoAction`) still work,
//! so a shutting-down server lets running queries finish. The cluster protocol, which
//! executors call, is never refused.

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::Status;
use tower::{Layer, Service};
use trebuchet_cluster::Readiness;

/// Flight calls that start a query, a statement or a session.
const STARTING_CALLS: [&str; 5] = [
    "/arrow.flight.protocol.FlightService/GetFlightInfo",
    "/arrow.flight.protocol.FlightService/PollFlightInfo",
    "/arrow.flight.protocol.FlightService/DoPut",
    "/arrow.flight.protocol.FlightService/DoExchange",
    "/arrow.flight.protocol.FlightService/Handshake",
];

/// Wraps the gRPC services with the readiness check.
#[derive(Debug, Clone)]
pub(crate) struct ReadinessGateLayer {
    readiness: Readiness,
}

impl ReadinessGateLayer {
    pub(crate) fn new(readiness: Readiness) -> Self {
        Self { readiness }
    }
}

impl<S> Layer<S> for ReadinessGateLayer {
    type Service = ReadinessGate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReadinessGate {
            inner,
            readiness: self.readiness.clone(),
        }
    }
}

/// The service [`ReadinessGateLayer`] produces.
#[derive(Debug, Clone)]
pub(crate) struct ReadinessGate<S> {
    inner: S,
    readiness: Readiness,
}

impl<S, RequestBody> Service<http::Request<RequestBody>> for ReadinessGate<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RequestBody: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        if STARTING_CALLS.contains(&request.uri().path())
            && let Err(reason) = self.readiness.check()
        {
            tracing::debug!(path = request.uri().path(), reason, "refused: not ready");
            let refused = Status::unavailable(reason).into_http();
            return Box::pin(futures::future::ready(Ok(refused)));
        }
        // The clone that was polled ready must serve this call (tower's usual dance).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        Box::pin(inner.call(request))
    }
}
