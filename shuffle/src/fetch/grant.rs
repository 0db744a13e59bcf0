//! [`ClusterSecret`] and [`FetchGrant`]: how a caller proves to an executor's Flight
//! service that it belongs to the cluster, for one job, for a few minutes.
//!
//! The secret itself never goes to a data port. Each call carries a grant instead: the job
//! and an expiry, signed with HMAC-SHA256 under the secret. A grant copied off the wire
//! opens one job's files until it expires, and nothing else.
//!
//! ```text
//!   authorization: Bearer v1.<job>.<expires, unix seconds>.<hex HMAC-SHA256(secret, …)>
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};

use crate::error::{Result, ShuffleError};
use crate::ids::JobId;

/// How long a grant is honoured once minted. Callers mint one per call, so this only
/// bounds what a grant copied off the wire is worth.
pub const GRANT_LIFETIME: Duration = Duration::from_secs(600);

/// How far two machines' clocks may disagree before grants between them fail.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

const VERSION: &str = "v1";

/// Signed ahead of the fields, so that nothing else ever MACed with the secret reads as a
/// grant.
const PURPOSE: &[u8] = b"trebuchet data-plane grant\n";

const AUTHORIZATION: &str = "authorization";
const BEARER: &str = "Bearer ";

type HmacSha256 = Hmac<Sha256>;

/// The secret a scheduler and its executors share: executors present it to register, and
/// every call to an executor's Flight service carries a [`FetchGrant`] signed with it.
/// `Debug` never shows it.
#[derive(Clone)]
pub struct ClusterSecret(Arc<str>);

impl ClusterSecret {
    /// Wraps a secret the operator chose. It travels to the scheduler in a header, so it
    /// must be printable ASCII without spaces.
    pub fn new(secret: impl Into<String>) -> Result<Self> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(ShuffleError::InvalidClusterSecret {
                reason: "it is empty",
            });
        }
        if !secret.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(ShuffleError::InvalidClusterSecret {
                reason: "it must be printable ASCII without spaces",
            });
        }
        Ok(Self(secret.into()))
    }

    /// A fresh secret: 256 random bits, as hex.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(hex(&bytes).into())
    }

    /// The secret's text, to hand to executors (a file, a flag). Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A grant for `job`, valid for [`GRANT_LIFETIME`] from now.
    pub fn grant(&self, job: &JobId) -> FetchGrant {
        self.grant_until(job, SystemTime::now() + GRANT_LIFETIME)
    }

    /// A grant for `job` that expires at `expires`.
    pub fn grant_until(&self, job: &JobId, expires: SystemTime) -> FetchGrant {
        let unsigned = format!("{VERSION}.{job}.{}", unix_seconds(expires));
        let signature = hex(&self.mac(&unsigned).finalize().into_bytes());
        FetchGrant(format!("{unsigned}.{signature}"))
    }

    /// The job `grant` is for, if this secret signed it and it is valid at `now`.
    pub fn verify(&self, grant: &str, now: SystemTime) -> Result<JobId> {
        let refuse = |defect| ShuffleError::InvalidGrant { defect };
        let (unsigned, signature) = grant
            .rsplit_once('.')
            .ok_or(refuse(GrantDefect::Malformed))?;
        let signature = unhex(signature).ok_or(refuse(GrantDefect::Malformed))?;
        // Checked before anything else is read, in constant time: a forged grant teaches
        // nothing about which of its fields were right.
        self.mac(unsigned)
            .verify_slice(&signature)
            .map_err(|_| refuse(GrantDefect::Forged))?;
        let mut fields = unsigned.split('.');
        let (Some(VERSION), Some(job), Some(expires), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(refuse(GrantDefect::Malformed));
        };
        let expires: u64 = expires
            .parse()
            .map_err(|_| refuse(GrantDefect::Malformed))?;
        let now = unix_seconds(now);
        if expires.saturating_add(CLOCK_SKEW.as_secs()) <= now {
            return Err(refuse(GrantDefect::Expired));
        }
        if expires > now.saturating_add((GRANT_LIFETIME + CLOCK_SKEW).as_secs()) {
            return Err(refuse(GrantDefect::TooLong));
        }
        Ok(JobId::new(job))
    }

    fn mac(&self, unsigned: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(self.0.as_bytes()).expect("HMAC accepts keys of any length");
        mac.update(PURPOSE);
        mac.update(unsigned.as_bytes());
        mac
    }
}

impl fmt::Debug for ClusterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClusterSecret(..)")
    }
}

/// A short-lived credential for one job's shuffle files on any executor of the cluster.
/// `Debug` leaves out its signature.
#[derive(Clone, PartialEq, Eq)]
pub struct FetchGrant(String);

impl FetchGrant {
    /// The grant as it travels, after `Bearer `.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Adds the grant to a call's metadata.
    pub(crate) fn attach<T>(&self, request: &mut tonic::Request<T>) {
        let value = AsciiMetadataValue::try_from(format!("{BEARER}{}", self.0))
            .expect("a grant holds only ASCII letters, digits, '-', '_' and '.'");
        request.metadata_mut().insert(AUTHORIZATION, value);
    }
}

impl fmt::Debug for FetchGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unsigned = self.0.rsplit_once('.').map_or("", |(unsigned, _)| unsigned);
        write!(f, "FetchGrant({unsigned}.…)")
    }
}

/// Why a call's grant was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantDefect {
    /// The call carried none.
    Missing,
    /// It is not a grant at all.
    Malformed,
    /// It was not signed with this cluster's secret.
    Forged,
    /// Its time is up.
    Expired,
    /// It claims to last longer than any grant is minted for.
    TooLong,
}

impl fmt::Display for GrantDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => {
                "the call carries no data-plane grant: executors serve shuffle data only to \
                 members of their cluster"
            }
            Self::Malformed => "the data-plane grant is malformed",
            Self::Forged => "the data-plane grant is not signed with this cluster's secret",
            Self::Expired => "the data-plane grant has expired",
            Self::TooLong => "the data-plane grant claims a lifetime longer than allowed",
        })
    }
}

/// The job the grant in a call's `authorization` metadata is for.
pub(crate) fn granted_job(
    secret: &ClusterSecret,
    metadata: &MetadataMap,
    now: SystemTime,
) -> Result<JobId> {
    let grant = metadata
        .get(AUTHORIZATION)
        .ok_or(ShuffleError::InvalidGrant {
            defect: GrantDefect::Missing,
        })?
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix(BEARER))
        .ok_or(ShuffleError::InvalidGrant {
            defect: GrantDefect::Malformed,
        })?;
    secret.verify(grant, now)
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    // Lowercase digits only, as `hex` writes them: one grant has one spelling.
    let is_lower_hex = |byte: u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
    if !text.len().is_multiple_of(2) || !text.bytes().all(is_lower_hex) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> ClusterSecret {
        ClusterSecret::new("s3cret").unwrap()
    }

    fn job() -> JobId {
        JobId::new("job-1")
    }

    fn defect(err: ShuffleError) -> GrantDefect {
        match err {
            ShuffleError::InvalidGrant { defect } => defect,
            other => panic!("not a grant refusal: {other}"),
        }
    }

    #[test]
    fn a_grant_names_its_job_until_it_expires() {
        let grant = secret().grant(&job());
        let now = SystemTime::now();
        assert_eq!(secret().verify(grant.as_str(), now).unwrap(), job());
        let later = now + GRANT_LIFETIME + CLOCK_SKEW + Duration::from_secs(1);
        assert_eq!(
            defect(secret().verify(grant.as_str(), later).unwrap_err()),
            GrantDefect::Expired
        );
    }

    #[test]
    fn an_expired_grant_is_refused() {
        let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
        let grant = secret().grant_until(&job(), an_hour_ago);
        let err = secret()
            .verify(grant.as_str(), SystemTime::now())
            .unwrap_err();
        assert_eq!(defect(err), GrantDefect::Expired);
    }

    #[test]
    fn a_grant_signed_with_another_secret_or_altered_is_forged() {
        let now = SystemTime::now();
        let other = ClusterSecret::new("guess").unwrap().grant(&job());
        assert_eq!(
            defect(secret().verify(other.as_str(), now).unwrap_err()),
            GrantDefect::Forged
        );
        // The job swapped for another one, the signature kept.
        let genuine = secret().grant(&job());
        let altered = genuine.as_str().replace("job-1", "job-2");
        assert_eq!(
            defect(secret().verify(&altered, now).unwrap_err()),
            GrantDefect::Forged
        );
    }

    #[test]
    fn a_grant_for_one_job_never_verifies_as_another() {
        let grant = secret().grant(&JobId::new("job-a"));
        let granted = secret().verify(grant.as_str(), SystemTime::now()).unwrap();
        assert_ne!(granted, JobId::new("job-b"));
        assert_eq!(granted, JobId::new("job-a"));
    }

    #[test]
    fn a_grant_claiming_a_long_life_is_refused_even_if_signed() {
        let next_year = SystemTime::now() + Duration::from_secs(365 * 86_400);
        let grant = secret().grant_until(&job(), next_year);
        let err = secret()
            .verify(grant.as_str(), SystemTime::now())
            .unwrap_err();
        assert_eq!(defect(err), GrantDefect::TooLong);
    }

    #[test]
    fn garbage_is_malformed_and_an_absent_header_missing() {
        let now = SystemTime::now();
        for garbage in ["", "nonsense", "v1.job.1.zz", "a.b"] {
            assert_eq!(
                defect(secret().verify(garbage, now).unwrap_err()),
                GrantDefect::Malformed,
                "{garbage:?}"
            );
        }
        let err = granted_job(&secret(), &MetadataMap::new(), now).unwrap_err();
        assert_eq!(defect(err), GrantDefect::Missing);
    }

    #[test]
    fn a_grant_travels_as_a_bearer_header() {
        let grant = secret().grant(&job());
        let mut request = tonic::Request::new(());
        grant.attach(&mut request);
        let granted = granted_job(&secret(), request.metadata(), SystemTime::now()).unwrap();
        assert_eq!(granted, job());
    }

    #[test]
    fn secrets_must_travel_in_a_header_and_never_show_in_debug() {
        assert!(ClusterSecret::new("").is_err());
        assert!(ClusterSecret::new("with space").is_err());
        assert!(ClusterSecret::new("line\nbreak").is_err());
        let generated = ClusterSecret::generate();
        assert_eq!(generated.expose().len(), 64);
        assert_ne!(generated.expose(), ClusterSecret::generate().expose());
        assert!(!format!("{generated:?}").contains(generated.expose()));
        let grant = secret().grant(&job());
        let signature = grant.as_str().rsplit_once('.').unwrap().1;
        assert!(!format!("{grant:?}").contains(signature));
    }
}
