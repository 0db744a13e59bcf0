//! A shared secret between a scheduler and its executors. When set, every cluster call
//! carries `authorization: Bearer <token>` and the scheduler refuses calls without it, so
//! nobody else can register an executor, take tasks (and the data inside their plans) or
//! forge reports.

use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// The scheduler side: checks the token on every call (or lets all calls in when unset).
#[derive(Debug, Clone, Default)]
pub struct RequireClusterToken {
    expected: Option<String>,
}

impl RequireClusterToken {
    pub fn new(token: Option<String>) -> Self {
        Self {
            expected: token.map(|token| format!("Bearer {token}")),
        }
    }
}

impl Interceptor for RequireClusterToken {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.expected else {
            return Ok(request);
        };
        let presented = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok());
        if presented.is_some_and(|presented| constant_time_eq(presented, expected)) {
            Ok(request)
        } else {
            Err(Status::unauthenticated(
                "this scheduler requires its cluster token: start the executor with the same \
                 --cluster-token",
            ))
        }
    }
}

/// The executor side: adds the token to every call (nothing when unset).
#[derive(Debug, Clone, Default)]
pub struct PresentClusterToken {
    header: Option<MetadataValue<tonic::metadata::Ascii>>,
}

impl PresentClusterToken {
    /// Fails when the token cannot travel in a header (it must be visible ASCII).
    pub fn new(token: Option<&str>) -> Result<Self, String> {
        let header = token
            .map(|token| {
                MetadataValue::try_from(format!("Bearer {token}"))
                    .map_err(|_| "the cluster token must be printable ASCII".to_string())
            })
            .transpose()?;
        Ok(Self { header })
    }
}

impl Interceptor for PresentClusterToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(header) = &self.header {
            request
                .metadata_mut()
                .insert("authorization", header.clone());
        }
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

    #[test]
    fn only_the_right_token_passes() {
        let mut require = RequireClusterToken::new(Some("s3cret".into()));
        let mut present = PresentClusterToken::new(Some("s3cret")).unwrap();
        let signed = present.call(Request::new(())).unwrap();
        assert!(require.call(signed).is_ok());
        let mut wrong = PresentClusterToken::new(Some("guess")).unwrap();
        let err = require
            .call(wrong.call(Request::new(())).unwrap())
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
        assert!(require.call(Request::new(())).is_err());
        assert!(
            RequireClusterToken::new(None)
                .call(Request::new(()))
                .is_ok()
        );
        assert!(PresentClusterToken::new(Some("line\nbreak")).is_err());
    }
}
