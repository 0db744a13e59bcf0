//! The secret a scheduler and its executors share, on the control plane: every cluster call
//! carries `authorization: Bearer <token>` and the scheduler refuses calls without it, so
//! nobody else can register an executor, take tasks (and the data inside their plans) or
//! forge reports. A scheduler always has one (`trebuchet scheduler` generates it when
//! none is given).

use std::fmt;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};
use trebuchet_shuffle::ClusterSecret;

/// The scheduler side: checks the token on every call.
#[derive(Clone)]
pub struct RequireClusterToken {
    expected: String,
}

impl RequireClusterToken {
    pub fn new(secret: &ClusterSecret) -> Self {
        Self {
            expected: format!("Bearer {}", secret.expose()),
        }
    }
}

impl fmt::Debug for RequireClusterToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequireClusterToken(..)")
    }
}

impl Interceptor for RequireClusterToken {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let expected = &self.expected;
        let presented = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok());
        if presented.is_some_and(|presented| constant_time_eq(presented, expected)) {
            Ok(request)
        } else {
            Err(Status::unauthenticated(
                "this scheduler requires its cluster token: start the executor with the same \
                 --cluster-token (or --cluster-token-file)",
            ))
        }
    }
}

/// The executor side: adds the token to every call.
#[derive(Clone)]
pub struct PresentClusterToken {
    header: MetadataValue<Ascii>,
}

impl PresentClusterToken {
    pub fn new(secret: &ClusterSecret) -> Self {
        let header = MetadataValue::try_from(format!("Bearer {}", secret.expose()))
            .expect("a cluster secret is printable ASCII, checked when it was made");
        Self { header }
    }
}

impl fmt::Debug for PresentClusterToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PresentClusterToken(..)")
    }
}

impl Interceptor for PresentClusterToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.header.clone());
        Ok(request)
    }
}

/// Compares without stopping at the first difference, so timing does not leak the token.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |difference, (x, y)| difference | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> ClusterSecret {
        ClusterSecret::new(text).unwrap()
    }

    #[test]
    fn only_the_right_token_passes() {
        let mut require = RequireClusterToken::new(&secret("s3cret"));
        let mut present = PresentClusterToken::new(&secret("s3cret"));
        let signed = present.call(Request::new(())).unwrap();
        assert!(require.call(signed).is_ok());
        let mut wrong = PresentClusterToken::new(&secret("guess"));
        let err = require
            .call(wrong.call(Request::new(())).unwrap())
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
        assert!(require.call(Request::new(())).is_err());
    }

    #[test]
    fn neither_side_shows_the_token_in_debug() {
        let secret = secret("s3cret");
        let shown = format!(
            "{:?} {:?}",
            RequireClusterToken::new(&secret),
            PresentClusterToken::new(&secret)
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
