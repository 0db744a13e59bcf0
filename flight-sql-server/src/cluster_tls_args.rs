//! `--cluster-tls-cert/--cluster-tls-key/--cluster-ca`: mutual TLS between the processes of
//! a cluster (see docs/security.md, "TLS between processes").

use std::path::{Path, PathBuf};

use clap::Args;
use trebuchet_cluster::ClusterTls;

use crate::error::{FlightSqlError, Result};

/// The PEM files of the cluster's TLS: all three or none.
#[derive(Debug, Args)]
pub struct ClusterTlsArgs {
    /// PEM certificate chain this process shows the other processes of the cluster
    /// (scheduler and executors); with --cluster-tls-key and --cluster-ca, every connection
    /// between them uses mutual TLS (`standalone` serves only its client port with it: its
    /// executors are in-process). See docs/security.md.
    #[arg(long, env = "TREBUCHET_CLUSTER_TLS_CERT")]
    pub cluster_tls_cert: Option<PathBuf>,

    /// PEM private key of --cluster-tls-cert.
    #[arg(long, env = "TREBUCHET_CLUSTER_TLS_KEY")]
    pub cluster_tls_key: Option<PathBuf>,

    /// PEM certificate of the CA that signs every cluster process's certificate: the only
    /// one trusted between them.
    #[arg(long, env = "TREBUCHET_CLUSTER_CA")]
    pub cluster_ca: Option<PathBuf>,
}

impl ClusterTlsArgs {
    /// The files, read now so that a typo fails at start; `None` when none is given.
    pub fn validate(&self) -> Result<Option<ClusterTls>> {
        match (
            &self.cluster_tls_cert,
            &self.cluster_tls_key,
            &self.cluster_ca,
        ) {
            (None, None, None) => Ok(None),
            (Some(cert), Some(key), Some(ca)) => Ok(Some(ClusterTls::from_pem(
                read(ca)?,
                read(cert)?,
                read(key)?,
            ))),
            _ => Err(FlightSqlError::InvalidConfig {
                reason: "cluster TLS needs all three of --cluster-tls-cert, --cluster-tls-key \
                         and --cluster-ca, or none of them"
                    .into(),
            }),
        }
    }

    /// The private key, which SQL must never read.
    pub fn key(&self) -> Option<&Path> {
        self.cluster_tls_key.as_deref()
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| FlightSqlError::ReadFile {
        path: path.to_path_buf(),
        source,
    })
}
