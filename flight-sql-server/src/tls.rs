//! TLS for the Flight SQL endpoint: PEM files read at start, served by tonic over rustls.

use std::path::Path;

use tonic::transport::{Identity, ServerTlsConfig};

use crate::error::{FlightSqlError, Result};

/// A certificate chain and private key, PEM encoded.
#[derive(Clone)]
pub struct TlsFiles {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles").finish_non_exhaustive()
    }
}

impl TlsFiles {
    /// Reads both files now, so a typo fails at start rather than at the first client.
    pub fn read(cert: &Path, key: &Path) -> Result<Self> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| FlightSqlError::ReadFile {
                path: path.to_path_buf(),
                source,
            })
        };
        Ok(Self::from_pem(read(cert)?, read(key)?))
    }

    /// Uses PEM bytes already in memory.
    pub fn from_pem(cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        Self {
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
        }
    }

    pub(crate) fn server_config(&self) -> ServerTlsConfig {
        ServerTlsConfig::new().identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
    }
}

/// Installs ring as rustls' process-wide crypto provider, once. Harmless when called again.
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
