//! Who is asking an `/api` request ([`Caller`]), and which jobs they may see and cancel.
//!
//! With users configured, every request presents the credentials Flight SQL takes:
//! `Basic` user and password, or the `Bearer` token of an open session (what a Flight
//! handshake hands out). Cookies are not taken: a browser would send them along with
//! requests another site makes it send. Without users the API is open, like Flight SQL.
//!
//! A user sees and cancels only their own jobs; admins (`--admin`) see every job. Another
//! user's job answers 404, as an unknown one does, so job ids do not leak.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, HOST, ORIGIN};
use http::{HeaderMap, Method};
use trebuchet_cluster::scheduler::JobView;

use super::ApiState;
use super::api_error::ApiError;
use crate::auth::{bearer_token, decode_basic};
use crate::file_access::FileAccess;
use crate::session::SessionRegistry;
use crate::viewer::Viewer;

/// The authenticated caller of one request, and what they may see.
#[derive(Debug, Clone)]
pub(crate) struct Caller(Viewer);

impl Caller {
    /// Whether `job` is this caller's to see and cancel.
    pub(crate) fn may_see(&self, job: &JobView) -> bool {
        self.0.may_see(job.user.as_deref())
    }
}

/// Middleware on every `/api` route: settles the [`Caller`] (a request extension for the
/// handlers) or refuses the request.
pub(crate) async fn require_caller(
    State(state): State<Arc<ApiState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = refuse_cross_site(request.method(), request.headers())
        .and_then(|()| identify(&state.sessions, &state.admins, request.headers()));
    match caller {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(err) => err.into_response(),
    }
}

/// The caller that `headers` authenticate, under `sessions`' users.
fn identify(
    sessions: &SessionRegistry,
    admins: &FileAccess,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    let users = sessions.users();
    if users.is_empty() {
        return Ok(Caller(Viewer::new(None, true)));
    }
    let authorization = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let user = if let Some((user, password)) = authorization.and_then(decode_basic) {
        users.verify(&user, &password).then_some(user)
    } else {
        authorization
            .and_then(bearer_token)
            .and_then(|token| sessions.find(token))
            .and_then(|session| session.user().map(str::to_string))
    };
    let user = user.ok_or(ApiError::Unauthenticated)?;
    let admin = admins.is_admin(Some(&user));
    Ok(Caller(Viewer::new(Some(user), admin)))
}

/// Refuses a state-changing request a browser sends on behalf of another site's page
/// (its `Origin` is not this server): such a page could otherwise cancel jobs with the
/// credentials the browser keeps, or on an open server with none.
fn refuse_cross_site(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(()); // not a browser: curl and scripts send no Origin
    };
    let origin = origin.to_str().unwrap_or_default();
    let origin_authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let host = headers.get(HOST).and_then(|host| host.to_str().ok());
    match (origin_authority, host) {
        (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(ApiError::CrossSiteRequest {
            origin: origin.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use http::HeaderValue;
    use trebuchet_cluster::scheduler::JobState;

    use super::*;
    use crate::auth::UserStore;
    use crate::catalog::SharedCatalog;

    #[test]
    fn without_users_everyone_sees_every_job() {
        let sessions = registry(&[]);
        let caller = identify(&sessions, &FileAccess::default(), &HeaderMap::new()).unwrap();
        assert!(caller.may_see(&job_of(Some("alice"))));
        assert!(caller.may_see(&job_of(None)));
    }

    #[test]
    fn with_users_credentials_are_required_and_checked() {
        let sessions = registry(&["alice:secret"]);
        let admins = FileAccess::default();
        let refused = [
            None,
            Some(basic("alice", "wrong")),
            Some(basic("bob", "secret")),
        ];
        for authorization in refused {
            let headers = headers(authorization.as_deref());
            let err = identify(&sessions, &admins, &headers).unwrap_err();
            assert!(matches!(err, ApiError::Unauthenticated), "{err}");
        }
        let headers = headers(Some(&basic("alice", "secret")));
        let caller = identify(&sessions, &admins, &headers).unwrap();
        assert!(caller.may_see(&job_of(Some("alice"))));
        assert!(!caller.may_see(&job_of(Some("bob"))));
    }

    #[test]
    fn a_session_token_authenticates_its_user() {
        let sessions = registry(&["alice:secret"]);
        let session = sessions.open(Some("alice".into())).unwrap();
        let headers = headers(Some(&format!("Bearer {}", session.token())));
        let caller = identify(&sessions, &FileAccess::default(), &headers).unwrap();
        assert!(caller.may_see(&job_of(Some("alice"))));
        assert!(!caller.may_see(&job_of(Some("bob"))));
        let forged = headers_of("Bearer forged");
        assert!(identify(&sessions, &FileAccess::default(), &forged).is_err());
    }

    #[test]
    fn users_see_their_own_jobs_and_admins_every_job() {
        let sessions = registry(&["alice:a", "bob:b", "carol:c"]);
        let admins = FileAccess::default().admin("carol");
        let (alices, bobs) = (job_of(Some("alice")), job_of(Some("bob")));
        let bob = identify(&sessions, &admins, &headers(Some(&basic("bob", "b")))).unwrap();
        assert!(bob.may_see(&bobs) && !bob.may_see(&alices));
        let carol = identify(&sessions, &admins, &headers(Some(&basic("carol", "c")))).unwrap();
        assert!(carol.may_see(&bobs) && carol.may_see(&alices));
    }

    #[test]
    fn state_changes_from_other_sites_are_refused() {
        let mut from_elsewhere = headers_of("");
        from_elsewhere.remove(AUTHORIZATION);
        from_elsewhere.insert(HOST, HeaderValue::from_static("127.0.0.1:50050"));
        from_elsewhere.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(refuse_cross_site(&Method::POST, &from_elsewhere).is_err());
        assert!(refuse_cross_site(&Method::GET, &from_elsewhere).is_ok());
        let mut same_site = from_elsewhere.clone();
        same_site.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:50050"));
        assert!(refuse_cross_site(&Method::PATCH, &same_site).is_ok());
        from_elsewhere.remove(ORIGIN);
        assert!(refuse_cross_site(&Method::POST, &from_elsewhere).is_ok());
    }

    fn registry(users: &[&str]) -> SessionRegistry {
        let specs: Vec<String> = users.iter().map(|user| user.to_string()).collect();
        let users = UserStore::from_specs(&specs).unwrap();
        SessionRegistry::new(SharedCatalog::new(), users, Duration::from_secs(60))
    }

    fn basic(user: &str, password: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
    }

    fn headers(authorization: Option<&str>) -> HeaderMap {
        authorization.map_or_else(HeaderMap::new, headers_of)
    }

    fn headers_of(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        headers
    }

    fn job_of(user: Option<&str>) -> JobView {
        JobView {
            job_id: "job-0".into(),
            session_id: "session".into(),
            user: user.map(str::to_string),
            sql: "SELECT 1".into(),
            state: JobState::Running,
            error: None,
            submitted_at_ms: 0,
            ended_at_ms: None,
            duration_ms: 0,
            rows_out: 0,
            stages: Vec::new(),
        }
    }
}
