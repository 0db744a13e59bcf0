//! [`ServedBytesLayer`]: a tower layer in front of an executor's Flight service that counts
//! the bytes of the gRPC messages it sends in answer to `DoGet` (shuffle fetches, result
//! reads), as they leave, whether or not the reader reads to the end.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body::{Body, Frame, SizeHint};
use prometheus::IntCounter;
use tower::{Layer, Service};

/// The gRPC path of the Flight `DoGet` method.
const DO_GET_PATH: &str = "/arrow.flight.protocol.FlightService/DoGet";

/// Wraps gRPC services, adding the body bytes of `DoGet` responses to `served`.
#[derive(Debug, Clone)]
pub(crate) struct ServedBytesLayer {
    served: IntCounter,
}

impl ServedBytesLayer {
    pub(crate) fn new(served: IntCounter) -> Self {
        Self { served }
    }
}

impl<S> Layer<S> for ServedBytesLayer {
    type Service = ServedBytes<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServedBytes {
            inner,
            served: self.served.clone(),
        }
    }
}

/// The service [`ServedBytesLayer`] produces.
#[derive(Debug, Clone)]
pub(crate) struct ServedBytes<S> {
    inner: S,
    served: IntCounter,
}

impl<S, RequestBody> Service<http::Request<RequestBody>> for ServedBytes<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
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
        if request.uri().path() != DO_GET_PATH {
            return Box::pin(inner.call(request));
        }
        let served = self.served.clone();
        Box::pin(async move {
            let response = inner.call(request).await?;
            Ok(response.map(|body| tonic::body::Body::new(CountedBody { body, served })))
        })
    }
}

/// A response body that adds the length of each data frame to `served`.
struct CountedBody {
    body: tonic::body::Body,
    served: IntCounter,
}

impl Body for CountedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.served
                .inc_by(u64::try_from(data.len()).unwrap_or(u64::MAX));
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

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    /// Answers every call with a body of `"0123456789"`.
    #[derive(Clone)]
    struct TenBytes;

    impl Service<http::Request<()>> for TenBytes {
        type Response = http::Response<tonic::body::Body>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            let body = tonic::body::Body::new(axum::body::Body::from("0123456789"));
            std::future::ready(Ok(http::Response::new(body)))
        }
    }

    #[tokio::test]
    async fn counts_the_bytes_of_do_get_answers_only() {
        let served = IntCounter::new("served", "served").unwrap();
        let mut service = ServedBytesLayer::new(served.clone()).layer(TenBytes);

        for path in [DO_GET_PATH, "/arrow.flight.protocol.FlightService/DoAction"] {
            let request = http::Request::post(path).body(()).unwrap();
            let mut body = service.call(request).await.unwrap().into_body();
            let mut received = 0;
            while let Some(frame) =
                std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
            {
                received += frame.unwrap().into_data().map_or(0, |data| data.len());
            }
            assert_eq!(received, 10);
        }

        assert_eq!(served.get(), 10);
    }
}
