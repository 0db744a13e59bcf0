//! [`CallMetricsLayer`]: a tower layer in front of the Flight SQL service that counts its
//! calls by method and gRPC status code, and times each call to its response headers
//! (for a streaming call such as `DoGet`, until its first answer, not its last batch).
//!
//! The status of a call that answers with data arrives after the data, in the trailers:
//! the response body is watched for them. A call whose client went away before it ended
//! counts as `CANCELLED`. Only the Flight service's own method names are used as labels
//! (anything else under its path is `other`), so a client cannot inflate the number of
//! series; other services on the port (the cluster protocol) are not counted.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures::future::BoxFuture;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use tonic::Code;
use tower::{Layer, Service};
use trebuchet_cluster::SchedulerMetrics;

/// Where the Flight service's methods live on the port.
const FLIGHT_SERVICE_PATH: &str = "/arrow.flight.protocol.FlightService/";

/// The methods of the Flight service (the only `method` labels besides `other`).
const FLIGHT_METHODS: [&str; 10] = [
    "Handshake",
    "ListFlights",
    "GetFlightInfo",
    "PollFlightInfo",
    "GetSchema",
    "DoGet",
    "DoPut",
    "DoExchange",
    "DoAction",
    "ListActions",
];

/// Wraps the gRPC services with the Flight call metrics of `metrics`.
#[derive(Debug, Clone)]
pub(crate) struct CallMetricsLayer {
    metrics: Arc<SchedulerMetrics>,
}

impl CallMetricsLayer {
    pub(crate) fn new(metrics: Arc<SchedulerMetrics>) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for CallMetricsLayer {
    type Service = CallMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallMetrics {
            inner,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

/// The service [`CallMetricsLayer`] produces.
#[derive(Debug, Clone)]
pub(crate) struct CallMetrics<S> {
    inner: S,
    metrics: Arc<SchedulerMetrics>,
}

impl<S, RequestBody> Service<http::Request<RequestBody>> for CallMetrics<S>
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
        // The clone that was polled ready must serve this call (tower's usual dance).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let Some(method) = flight_method(request.uri().path()) else {
            return Box::pin(inner.call(request));
        };
        let arrived = Instant::now();
        // Dropped unended (the client went away), it counts the call as cancelled.
        let mut call = CallEnd {
            metrics: Arc::clone(&self.metrics),
            method,
            ended: false,
        };
        Box::pin(async move {
            let response = inner.call(request).await;
            call.metrics.flight_call_answered(method, arrived.elapsed());
            let response = match response {
                Ok(response) => response,
                Err(err) => {
                    call.end(Code::Unknown);
                    return Err(err);
                }
            };
            // An error before any data comes as headers only.
            if let Some(code) = grpc_status(response.headers()) {
                call.end(code);
                return Ok(response);
            }
            Ok(response.map(|body| tonic::body::Body::new(StatusInTrailers { body, call })))
        })
    }
}

/// The label of the Flight method at `path`; `None` for a path of another service.
fn flight_method(path: &str) -> Option<&'static str> {
    let name = path.strip_prefix(FLIGHT_SERVICE_PATH)?;
    Some(
        FLIGHT_METHODS
            .into_iter()
            .find(|method| *method == name)
            .unwrap_or("other"),
    )
}

/// The gRPC status a header map (response headers or trailers) carries, if any.
fn grpc_status(headers: &HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?;
    Some(Code::from_i32(value.trim().parse().ok()?))
}

/// A call not yet counted; counted once, when its status is known or it is dropped.
struct CallEnd {
    metrics: Arc<SchedulerMetrics>,
    method: &'static str,
    ended: bool,
}

impl CallEnd {
    fn end(&mut self, code: Code) {
        if !self.ended {
            self.ended = true;
            self.metrics.flight_call_ended(self.method, code_name(code));
        }
    }
}

impl Drop for CallEnd {
    fn drop(&mut self) {
        self.end(Code::Cancelled);
    }
}

/// A response body that ends its call with the status in its trailers.
struct StatusInTrailers {
    body: tonic::body::Body,
    call: CallEnd,
}

impl Body for StatusInTrailers {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    self.call.end(code);
                }
            }
            Poll::Ready(Some(Err(status))) => self.call.end(status.code()),
            // Ended without trailers: not a well-formed gRPC answer.
            Poll::Ready(None) => self.call.end(Code::Unknown),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A gRPC status code's canonical name, e.g. `INVALID_ARGUMENT`.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_only_the_flight_methods() {
        let path = |method: &str| format!("{FLIGHT_SERVICE_PATH}{method}");
        assert_eq!(flight_method(&path("DoGet")), Some("DoGet"));
        assert_eq!(flight_method(&path("Handshake")), Some("Handshake"));
        assert_eq!(flight_method(&path("MadeUp-1234")), Some("other"));
        assert_eq!(
            flight_method("/trebuchet.cluster.SchedulerService/PollWork"),
            None
        );
    }

    #[test]
    fn reads_the_status_of_headers_and_trailers() {
        let mut headers = HeaderMap::new();
        assert_eq!(grpc_status(&headers), None);
        headers.insert("grpc-status", "3".parse().unwrap());
        assert_eq!(grpc_status(&headers), Some(Code::InvalidArgument));
        assert_eq!(code_name(Code::InvalidArgument), "INVALID_ARGUMENT");
    }
}
