//! A tower layer in front of every RPC that settles who is calling and in which session,
//! so handlers never parse headers.
//!
//! Resolution order: `Basic` credentials (opens a new session), a known `Bearer` token, the
//! `arrow_flight_session_id` cookie; with authentication off, anything else opens a new
//! session. Every response carries the session back as `authorization: Bearer …` (ADBC and
//! JDBC adopt it) and as a cookie (JDBC without credentials relies on cookies).

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use tonic::Status;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::auth::{bearer_token, decode_basic};
use crate::error::{FlightSqlError, Result};
use crate::session::{Session, SessionRegistry};

/// Name of the cookie carrying the session token (suggested by the Flight SQL spec).
pub(crate) const SESSION_COOKIE: &str = "arrow_flight_session_id";

/// gRPC paths of the cluster protocol, which executors call.
const CLUSTER_PATH_PREFIX: &str = "/trebuchet.cluster.";

/// Wraps the gRPC router with session resolution.
#[derive(Debug, Clone)]
pub(crate) struct SessionLayer {
    registry: Arc<SessionRegistry>,
}

impl SessionLayer {
    pub(crate) fn new(registry: Arc<SessionRegistry>) -> Self {
        Self { registry }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            registry: Arc::clone(&self.registry),
        }
    }
}

/// The service [`SessionLayer`] produces.
#[derive(Debug, Clone)]
pub(crate) struct SessionService<S> {
    inner: S,
    registry: Arc<SessionRegistry>,
}

impl<S, RequestBody> Service<http::Request<RequestBody>> for SessionService<S>
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

    fn call(&mut self, mut request: http::Request<RequestBody>) -> Self::Future {
        // The clone that was polled ready must serve this call (tower's usual dance).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        // Executors speak the cluster protocol, not Flight SQL: they have no session.
        if request.uri().path().starts_with(CLUSTER_PATH_PREFIX) {
            return Box::pin(inner.call(request));
        }
        let session = match resolve_session(&self.registry, request.headers()) {
            Ok(session) => session,
            Err(err) => {
                tracing::debug!(path = request.uri().path(), error = %err, "rejected call");
                return Box::pin(futures::future::ready(Ok(Status::from(err).into_http())));
            }
        };
        let span = tracing::info_span!(
            "rpc",
            path = request.uri().path(),
            session_id = session.id()
        );
        request.extensions_mut().insert(Arc::clone(&session));
        Box::pin(
            async move {
                let mut response = inner.call(request).await?;
                blame_the_client_for_malformed_commands(response.headers_mut());
                if !session.is_closed() {
                    attach_session(response.headers_mut(), &session);
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// Finds or opens the caller's session, or refuses the call.
fn resolve_session(registry: &SessionRegistry, headers: &HeaderMap) -> Result<Arc<Session>> {
    let authorization = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if let Some((user, password)) = authorization.and_then(decode_basic) {
        let users = registry.users();
        if !users.is_empty() && !users.verify(&user, &password) {
            return Err(FlightSqlError::Unauthenticated {
                reason: "invalid username or password".into(),
            });
        }
        let user = (!users.is_empty()).then_some(user);
        return registry.open(user);
    }
    let presented = authorization
        .and_then(bearer_token)
        .into_iter()
        .chain(session_cookies(headers));
    for token in presented {
        if let Some(session) = registry.find(token) {
            return Ok(session);
        }
    }
    if registry.users().is_empty() {
        return registry.open(None);
    }
    Err(FlightSqlError::Unauthenticated {
        reason: "authentication required: connect with a username and password \
                 (the session may also have expired or been closed)"
            .into(),
    })
}

/// Every `arrow_flight_session_id` value in the request's cookies.
fn session_cookies(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .filter(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"'))
}

/// arrow-flight answers a Flight SQL command whose protobuf does not decode (say, a
/// string field that is not UTF-8) with `INTERNAL` and a `ParseError(…)` message, before
/// any handler of ours runs. The fault is the client's: say `INVALID_ARGUMENT`, so that
/// clients and operators do not chase a server bug. Such failures are sent trailers-only,
/// so the status is in the response headers.
fn blame_the_client_for_malformed_commands(headers: &mut HeaderMap) {
    const INTERNAL: &str = "13";
    const INVALID_ARGUMENT: HeaderValue = HeaderValue::from_static("3");
    let is_internal = headers
        .get("grpc-status")
        .is_some_and(|status| status.as_bytes() == INTERNAL.as_bytes());
    let is_decode_failure = headers
        .get("grpc-message")
        .and_then(|message| message.to_str().ok())
        .is_some_and(|message| message.starts_with("ParseError("));
    if is_internal && is_decode_failure {
        headers.insert("grpc-status", INVALID_ARGUMENT);
    }
}

fn attach_session(headers: &mut HeaderMap, session: &Session) {
    let bearer = HeaderValue::from_str(&format!("Bearer {}", session.token()));
    let cookie = HeaderValue::from_str(&format!("{SESSION_COOKIE}={}; Path=/", session.token()));
    if let (Ok(bearer), Ok(cookie)) = (bearer, cookie) {
        headers.insert(AUTHORIZATION, bearer);
        headers.insert(SET_COOKIE, cookie);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use base64::Engine;

    use super::*;
    use crate::auth::UserStore;
    use crate::catalog::SharedCatalog;

    fn registry(users: &[&str]) -> SessionRegistry {
        let specs: Vec<String> = users.iter().map(|u| u.to_string()).collect();
        let users = UserStore::from_specs(&specs).unwrap();
        SessionRegistry::new(SharedCatalog::new(), users, Duration::from_secs(60))
    }

    fn headers(pairs: &[(http::HeaderName, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn basic(credentials: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        )
    }

    #[test]
    fn without_users_every_caller_gets_a_session_even_with_bearer_none() {
        let registry = registry(&[]);
        let session = resolve_session(
            &registry,
            &headers(&[(AUTHORIZATION, "Bearer None".into())]),
        )
        .unwrap();
        assert!(session.user().is_none());
    }

    #[test]
    fn bearer_and_cookie_find_the_same_session() {
        let registry = registry(&[]);
        let session = resolve_session(&registry, &HeaderMap::new()).unwrap();
        let by_bearer = headers(&[(AUTHORIZATION, format!("Bearer {}", session.token()))]);
        let by_cookie = headers(&[(
            COOKIE,
            format!("a=b; {SESSION_COOKIE}=\"{}\"", session.token()),
        )]);
        assert_eq!(
            resolve_session(&registry, &by_bearer).unwrap().id(),
            session.id()
        );
        assert_eq!(
            resolve_session(&registry, &by_cookie).unwrap().id(),
            session.id()
        );
    }

    #[test]
    fn with_users_only_valid_credentials_or_tokens_get_in() {
        let registry = registry(&["alice:secret"]);
        let session = resolve_session(
            &registry,
            &headers(&[(AUTHORIZATION, basic("alice:secret"))]),
        )
        .unwrap();
        assert_eq!(session.user(), Some("alice"));

        let wrong = resolve_session(&registry, &headers(&[(AUTHORIZATION, basic("alice:nope"))]));
        assert!(matches!(wrong, Err(FlightSqlError::Unauthenticated { .. })));
        let anonymous = resolve_session(&registry, &HeaderMap::new());
        assert!(matches!(
            anonymous,
            Err(FlightSqlError::Unauthenticated { .. })
        ));
        let forged = resolve_session(
            &registry,
            &headers(&[(AUTHORIZATION, "Bearer forged".into())]),
        );
        assert!(matches!(
            forged,
            Err(FlightSqlError::Unauthenticated { .. })
        ));

        let by_token = headers(&[(AUTHORIZATION, format!("Bearer {}", session.token()))]);
        assert_eq!(
            resolve_session(&registry, &by_token).unwrap().id(),
            session.id()
        );
    }
}
