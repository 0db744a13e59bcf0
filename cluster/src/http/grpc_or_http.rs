//! [`GrpcOrHttpLayer`]: sends each request a tonic server receives either to its gRPC
//! services or to plain HTTP routes, by the request's content type.
//!
//! gRPC always says `application/grpc` (or `application/grpc+proto`, …); a browser, `curl`
//! or a Kubernetes probe never does. Dispatching on it rather than on paths keeps a gRPC
//! call to an unknown method a gRPC `UNIMPLEMENTED`, and an unknown HTTP path a 404.

use std::task::{Context, Poll};

use axum::Router;
use axum::body::HttpBody;
use bytes::Bytes;
use futures::future::BoxFuture;
use http::header::CONTENT_TYPE;
use tower::{Layer, Service};

/// Wraps a tonic server's services: gRPC requests go to them, every other request to
/// `routes`.
#[derive(Debug, Clone)]
pub struct GrpcOrHttpLayer {
    routes: Router,
}

impl GrpcOrHttpLayer {
    pub fn new(routes: Router) -> Self {
        Self { routes }
    }
}

impl<S> Layer<S> for GrpcOrHttpLayer {
    type Service = GrpcOrHttp<S>;

    fn layer(&self, grpc: S) -> Self::Service {
        GrpcOrHttp {
            grpc,
            routes: self.routes.clone(),
        }
    }
}

/// The service [`GrpcOrHttpLayer`] produces.
#[derive(Debug, Clone)]
pub struct GrpcOrHttp<S> {
    grpc: S,
    routes: Router,
}

impl<S, B> Service<http::Request<B>> for GrpcOrHttp<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // An axum router is always ready; only the gRPC side can make a caller wait.
        self.grpc.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if is_grpc(&request) {
            // The clone that was polled ready must serve this call (tower's usual dance).
            let ready = self.grpc.clone();
            let mut grpc = std::mem::replace(&mut self.grpc, ready);
            return Box::pin(grpc.call(request));
        }
        let mut routes = self.routes.clone();
        Box::pin(async move {
            let response = match routes.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok(response.map(tonic::body::Body::new))
        })
    }
}

fn is_grpc<B>(request: &http::Request<B>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use axum::routing::get;
    use http::StatusCode;

    use super::*;

    /// Stands in for a tonic server's routes: answers every request with 200 and "grpc".
    #[derive(Clone)]
    struct AlwaysGrpc;

    impl Service<http::Request<tonic::body::Body>> for AlwaysGrpc {
        type Response = http::Response<tonic::body::Body>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<tonic::body::Body>) -> Self::Future {
            std::future::ready(Ok(http::Response::new(tonic::body::Body::new(
                axum::body::Body::from("grpc"),
            ))))
        }
    }

    fn request(path: &str, content_type: Option<&str>) -> http::Request<tonic::body::Body> {
        let mut builder = http::Request::get(path);
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder.body(tonic::body::Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn grpc_goes_to_the_services_and_everything_else_to_the_routes() {
        let routes = Router::new().route("/healthz", get(|| async { "ok" }));
        let mut service = GrpcOrHttpLayer::new(routes).layer(AlwaysGrpc);

        let grpc = service
            .call(request("/healthz", Some("application/grpc+proto")))
            .await
            .unwrap();
        assert_eq!(collect(grpc).await, "grpc");

        let http = service.call(request("/healthz", None)).await.unwrap();
        assert_eq!(http.status(), StatusCode::OK);
        assert_eq!(collect(http).await, "ok");

        let missing = service
            .call(request("/nowhere", Some("text/plain")))
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    async fn collect(response: http::Response<tonic::body::Body>) -> String {
        let body = axum::body::Body::new(response.into_body());
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
