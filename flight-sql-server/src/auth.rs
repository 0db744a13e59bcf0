//! Who may connect: the configured users and the `Basic` credentials clients present.
//!
//! Java pads base64 and Go (ADBC) does not, so both forms are accepted.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

use crate::error::{FlightSqlError, Result};

/// The users allowed to connect. Empty means authentication is off.
#[derive(Debug, Clone, Default)]
pub struct UserStore {
    passwords: HashMap<String, String>,
}

impl UserStore {
    /// Reads `NAME:PASSWORD` specs as given to `--user`.
    pub fn from_specs(specs: &[String]) -> Result<Self> {
        let mut store = Self::default();
        for spec in specs {
            store.add_spec(spec, "--user")?;
        }
        Ok(store)
    }

    /// Reads a users file: one `NAME:PASSWORD` per line, blank lines and `#` comments skipped.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| FlightSqlError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Self::default();
        for line in text.lines().map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') {
                store.add_spec(line, &path.display().to_string())?;
            }
        }
        Ok(store)
    }

    /// Adds every user of `other`.
    pub fn extend(&mut self, other: UserStore) {
        self.passwords.extend(other.passwords);
    }

    /// Whether any user is configured, i.e. whether authentication is on.
    pub fn is_empty(&self) -> bool {
        self.passwords.is_empty()
    }

    /// Whether `user` is one of the configured users.
    pub fn contains(&self, user: &str) -> bool {
        self.passwords.contains_key(user)
    }

    /// Whether `password` is `user`'s password.
    pub fn verify(&self, user: &str, password: &str) -> bool {
        self.passwords
            .get(user)
            .is_some_and(|expected| constant_time_eq(expected.as_bytes(), password.as_bytes()))
    }

    fn add_spec(&mut self, spec: &str, source: &str) -> Result<()> {
        match spec.split_once(':') {
            Some((user, password)) if !user.is_empty() => {
                self.passwords
                    .insert(user.to_string(), password.to_string());
                Ok(())
            }
            _ => Err(FlightSqlError::InvalidConfig {
                reason: format!("{source}: expected NAME:PASSWORD, got '{spec}'"),
            }),
        }
    }
}

/// Decodes the value of an `authorization: Basic …` header into user and password.
pub(crate) fn decode_basic(header_value: &str) -> Option<(String, String)> {
    const ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let encoded = strip_scheme(header_value, "Basic")?;
    let decoded = ANY_PADDING.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The token of an `authorization: Bearer …` header.
pub(crate) fn bearer_token(header_value: &str) -> Option<&str> {
    strip_scheme(header_value, "Bearer").map(str::trim)
}

/// A fresh, unguessable session token.
pub(crate) fn mint_token() -> String {
    let bytes: [u8; 32] = rand::random();
    general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn strip_scheme<'a>(header_value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header_value.trim().split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_decode_with_and_without_padding() {
        // "alice:secret1" encodes with one '=' of padding.
        let padded = general_purpose::STANDARD.encode("alice:secret1");
        let unpadded = general_purpose::STANDARD_NO_PAD.encode("alice:secret1");
        assert!(padded.ends_with('='));
        for encoded in [padded, unpadded] {
            let (user, password) = decode_basic(&format!("Basic {encoded}")).unwrap();
            assert_eq!((user.as_str(), password.as_str()), ("alice", "secret1"));
        }
    }

    #[test]
    fn garbage_headers_decode_to_nothing() {
        assert!(decode_basic("Basic !!!").is_none());
        assert!(decode_basic("Bearer abc").is_none());
        assert!(decode_basic("").is_none());
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
    }

    #[test]
    fn verifies_configured_users_only() {
        let store = UserStore::from_specs(&["alice:secret".into(), "bob:pa:ss".into()]).unwrap();
        assert!(store.verify("alice", "secret"));
        assert!(store.verify("bob", "pa:ss"));
        assert!(!store.verify("alice", "wrong"));
        assert!(!store.verify("carol", "secret"));
        assert!(UserStore::from_specs(&["nocolon".into()]).is_err());
    }

    #[test]
    fn users_file_skips_comments_and_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        std::fs::write(&path, "# admins\nalice:secret\n\n bob:pw \n").unwrap();
        let store = UserStore::from_file(&path).unwrap();
        assert!(store.verify("alice", "secret") && store.verify("bob", "pw"));
    }
}
