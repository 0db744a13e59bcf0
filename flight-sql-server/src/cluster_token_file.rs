//! The cluster secret of a `trebuchet scheduler` started without `--cluster-token`: made
//! once, kept in `<work-dir>/cluster-token` (mode 0600) for executors to read with
//! `--cluster-token-file`, and reused when the scheduler restarts on the same work dir, so
//! running executors stay in. A scheduler never runs without a secret.

use std::io::Write;
use std::path::{Path, PathBuf};

use trebuchet_cluster::ClusterSecret;

use crate::error::{FlightSqlError, Result};

/// The file's name under the work dir.
pub const CLUSTER_TOKEN_FILE: &str = "cluster-token";

/// The secret in `<work_dir>/cluster-token`, written there first if the file does not
/// exist. Logs the file's path, never the secret.
pub fn load_or_create_cluster_token(work_dir: &Path) -> Result<ClusterSecret> {
    std::fs::create_dir_all(work_dir).map_err(|source| FlightSqlError::CreateWorkDir {
        path: work_dir.to_path_buf(),
        source,
    })?;
    let path = work_dir.join(CLUSTER_TOKEN_FILE);
    if path.exists() {
        let secret = read_private(&path)?;
        tracing::info!(path = %path.display(), "using the cluster secret kept in this file; start executors with --cluster-token-file and its path");
        return Ok(secret);
    }
    let secret = ClusterSecret::generate();
    write_private(&path, secret.expose())?;
    tracing::info!(path = %path.display(), "generated a cluster secret (no --cluster-token was given) and wrote it to this file, readable by this OS user only; start executors with --cluster-token-file and its path");
    Ok(secret)
}

/// Reads a secret file that nobody but its owner may read.
fn read_private(path: &Path) -> Result<ClusterSecret> {
    let read_error = |source| FlightSqlError::ReadFile {
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(read_error)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(FlightSqlError::InvalidConfig {
                reason: format!(
                    "{} is readable by other users (mode {:o}): its secret may have leaked; \
                     delete the file to have a new one made, or chmod 600 it",
                    path.display(),
                    mode & 0o777
                ),
            });
        }
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    ClusterSecret::new(text.trim()).map_err(|err| FlightSqlError::InvalidConfig {
        reason: format!("{}: {err}", path.display()),
    })
}

/// Creates `path` with mode 0600 (on Unix) and writes `secret` to it.
fn write_private(path: &Path, secret: &str) -> Result<()> {
    let write_error = |source| FlightSqlError::WriteClusterToken {
        path: PathBuf::from(path),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(write_error)?;
    writeln!(file, "{secret}").map_err(write_error)?;
    file.sync_all().map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_made_once_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let work_dir = dir.path().join("work");
        let made = load_or_create_cluster_token(&work_dir).unwrap();
        let path = work_dir.join(CLUSTER_TOKEN_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim(), made.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = load_or_create_cluster_token(&work_dir).unwrap();
        assert_eq!(again.expose(), made.expose());
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CLUSTER_TOKEN_FILE);
        std::fs::write(&path, "leaked\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create_cluster_token(dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("readable by other users"), "{err}");
    }
}
