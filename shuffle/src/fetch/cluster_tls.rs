//! Mutual TLS between the processes of a cluster: one certificate authority, and a
//! certificate and key per process (or one shared by all), given with
//! `--cluster-tls-cert/--cluster-tls-key/--cluster-ca`.
//!
//! Executors serve their Flight port with [`ClusterTls::server_config`], which refuses
//! any client without a certificate the CA signed; every call between processes
//! (executor to scheduler, executor to executor, scheduler to executor) uses
//! [`ClusterTls::client_config`], which trusts only the CA and presents this process's
//! certificate.
//!
//! Shuffle channels are cached per process ([`fetch_partition`](super::fetch_partition)),
//! so the client side is installed per process too, with [`install_cluster_tls`]: before
//! it, `https://` peers cannot be reached.

use std::sync::OnceLock;

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// The CA and this process's identity, PEM encoded.
#[derive(Clone)]
pub struct ClusterTls {
    ca_pem: Vec<u8>,
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
}

impl std::fmt::Debug for ClusterTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key must never reach a log.
        f.debug_struct("ClusterTls").finish_non_exhaustive()
    }
}

impl ClusterTls {
    /// A CA certificate, and this process's certificate chain and private key.
    pub fn from_pem(
        ca_pem: impl Into<Vec<u8>>,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            ca_pem: ca_pem.into(),
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
        }
    }

    fn identity(&self) -> Identity {
        Identity::from_pem(&self.cert_pem, &self.key_pem)
    }

    fn ca(&self) -> Certificate {
        Certificate::from_pem(&self.ca_pem)
    }

    /// A server that only talks to clients holding a certificate the CA signed.
    pub fn server_config(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(self.identity())
            .client_ca_root(self.ca())
    }

    /// A server that checks a client certificate when one is offered but lets clients
    /// without one in: the scheduler's port, shared with Flight SQL clients, who have
    /// none (executors there prove themselves with the cluster secret).
    pub fn server_config_optional_client_auth(&self) -> ServerTlsConfig {
        self.server_config().client_auth_optional(true)
    }

    /// A client that trusts only the CA and presents this process's certificate.
    pub fn client_config(&self) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(self.ca())
            .identity(self.identity())
    }
}

static INSTALLED: OnceLock<ClientTlsConfig> = OnceLock::new();

/// Makes every shuffle fetch and follow of this process to an `https://` peer use `tls`.
/// The first call wins: a process belongs to one cluster.
pub fn install_cluster_tls(tls: &ClusterTls) {
    let _ = INSTALLED.set(tls.client_config());
}

/// The client TLS installed for this process, if any.
pub(crate) fn installed_client_tls() -> Option<&'static ClientTlsConfig> {
    INSTALLED.get()
}
