//! [`FileAccess`]: which files SQL may touch. Every statement that names a path on the
//! server (`CREATE EXTERNAL TABLE`, `COPY`, `INSERT` into a file-backed table, a runtime
//! session key naming a directory) is checked against it just before it runs.
//!
//! ```text
//!   denied  (work dir, users file, TLS key) ── nobody, admins included
//!   allowed (--allow-path DIR)               ── every user reads and writes
//!   served  (--table paths, TPC-H data)      ── every user reads
//!   anywhere else                            ── --admin users only
//! ```
//!
//! A path is judged where it really is: symlinks are followed (for a path that does not
//! exist yet, those of its nearest existing ancestor), `..` is refused outright, and a
//! location that contains a denied path is refused like one inside it, since a table over
//! a directory reads everything below it.
//!
//! Object store locations (`s3://`, `gs://`, `az://`, `http://`, …) have no path on the
//! server; what matters is whose credentials reach them:
//! ```text
//!   the statement's own (a key or token in OPTIONS, or anonymous access) ── every user
//!   the server's (its environment, its disk, its machine identity)       ── admins, and
//!       everyone below an object store prefix of --allow-path (read and write) or of a
//!       --table (read)
//! ```
//! Options that read credentials from the server's disk or its metadata endpoints are for
//! admins only, like paths outside the allowed directories.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use datafusion::common::TableReference;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::listing::{ListingTable, ListingTableUrl};
use datafusion::datasource::{MemTable, ViewTable, source_as_provider};
use datafusion::logical_expr::{DdlStatement, LogicalPlan, Statement, TableSource};
use datafusion::prelude::SessionContext;
use trebuchet_cluster::{ObjectStoreOptions, names_server_credentials, store_namespace};

use crate::error::{FlightSqlError, Result};

/// The runtime session keys that only size or bound the session's own resources; every
/// other `datafusion.runtime.*` key may name a place on the server's disk.
const RUNTIME_LIMIT_KEYS: [&str; 7] = [
    "memory_limit",
    "max_temp_directory_size",
    "metadata_cache_limit",
    "list_files_cache_limit",
    "list_files_cache_ttl",
    "file_statistics_cache_limit",
    "max_spill_merge_fan_in",
];

/// The runtime session key naming the directory spill files go to.
const TEMP_DIRECTORY_KEY: &str = "temp_directory";

/// What a statement does to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    Read,
    Write,
}

impl fmt::Display for FileAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Write => "write",
        })
    }
}

/// The server's file policy; see the module docs. The default allows no path at all.
#[derive(Debug, Clone, Default)]
pub struct FileAccess {
    /// Read and write for everyone (`--allow-path`), canonical.
    allowed: Vec<PathBuf>,
    /// Read for everyone: the data the server registered itself.
    served: Vec<PathBuf>,
    /// Nobody's: the server's private files.
    denied: Vec<PathBuf>,
    /// Object store prefixes everyone reads and writes with the server's credentials.
    allowed_urls: Vec<url::Url>,
    /// Object store prefixes everyone reads with the server's credentials (`--table`).
    served_urls: Vec<url::Url>,
    /// Users who may touch any path that is not denied.
    admins: BTreeSet<String>,
}

impl FileAccess {
    /// Lets every user read and write below `dir`, which must be an existing directory:
    /// a mistyped root fails at start rather than silently allowing nothing.
    /// An object store URL prefix (`s3://bucket/data/`) is allowed as it is.
    pub fn allow(mut self, dir: &Path) -> Result<Self> {
        let invalid = |problem: String| FlightSqlError::InvalidConfig {
            reason: format!("--allow-path {}: {problem}", dir.display()),
        };
        if let Some(url) = store_url(dir) {
            self.allowed_urls.push(url.map_err(invalid)?);
            return Ok(self);
        }
        let resolved = std::fs::canonicalize(dir).map_err(|err| invalid(err.to_string()))?;
        if !resolved.is_dir() {
            return Err(invalid("not a directory".into()));
        }
        self.allowed.push(resolved);
        Ok(self)
    }

    /// Lets every user read `path` and below: data the server itself serves (a `--table`
    /// path, the generated TPC-H tables), even where it lies inside a denied directory.
    pub fn serve(mut self, path: &Path) -> Self {
        match store_url(path) {
            Some(Ok(url)) => self.served_urls.push(url),
            // Not a store this server can read: its table failed to load anyway.
            Some(Err(_)) => {}
            None => self.served.push(resolve_trusted(path)),
        }
        self
    }

    /// Keeps everyone, admins included, away from `path` and everything below it.
    pub fn deny(mut self, path: &Path) -> Self {
        self.denied.push(resolve_trusted(path));
        self
    }

    /// Makes `user` an admin, who may read and write any path that is not denied.
    pub fn admin(mut self, user: impl Into<String>) -> Self {
        self.admins.insert(user.into());
        self
    }

    /// Whether `user` is an admin; the anonymous user (authentication off) never is.
    pub fn is_admin(&self, user: Option<&str>) -> bool {
        user.is_some_and(|user| self.admins.contains(user))
    }

    /// The policy the sessions of `ctx` run under (nothing allowed if none was set).
    pub(crate) fn of(ctx: &SessionContext) -> Arc<Self> {
        ctx.state_ref()
            .read()
            .config()
            .get_extension::<Self>()
            .unwrap_or_default()
    }

    /// Checks every node of `plan` that names a file or a runtime key, `user` running it.
    pub(crate) fn check_plan(&self, plan: &LogicalPlan, user: Option<&str>) -> Result<()> {
        let mut outcome = Ok(());
        plan.apply_with_subqueries(|node| {
            outcome = self.check_node(node, user);
            Ok(if outcome.is_ok() {
                TreeNodeRecursion::Continue
            } else {
                TreeNodeRecursion::Stop
            })
        })?;
        outcome
    }

    /// Checks setting session key `key` to `value`: runtime keys other than sizes and
    /// limits are refused, and the spill directory must be a directory `user` may write.
    pub(crate) fn check_session_key(
        &self,
        key: &str,
        value: &str,
        user: Option<&str>,
    ) -> Result<()> {
        let key = key.to_ascii_lowercase();
        let Some(runtime_key) = key.strip_prefix("datafusion.runtime.") else {
            return Ok(());
        };
        if RUNTIME_LIMIT_KEYS.contains(&runtime_key) {
            return Ok(());
        }
        let reason = if runtime_key == TEMP_DIRECTORY_KEY && url_scheme(value).is_some() {
            "spill files go to a directory on the server; give a path, not a URL".into()
        } else if runtime_key == TEMP_DIRECTORY_KEY {
            match self.check(value, FileAction::Write, user) {
                Ok(()) => return Ok(()),
                Err(err) => err.to_string(),
            }
        } else {
            format!(
                "runtime keys may name places on the server's disk; a session may set only \
                 datafusion.runtime.{} (sizes and limits) and, to a directory it may write, \
                 datafusion.runtime.{TEMP_DIRECTORY_KEY}",
                RUNTIME_LIMIT_KEYS.join(", datafusion.runtime.")
            )
        };
        Err(FlightSqlError::SessionKeyNotAllowed { key, reason })
    }

    /// Checks that `user` may do `action` at `location`, a path or URL as SQL gives it.
    pub(crate) fn check(
        &self,
        location: &str,
        action: FileAction,
        user: Option<&str>,
    ) -> Result<()> {
        self.check_with_options(location, action, user, None)
    }

    /// [`Self::check`] for a statement that gives `options` (an object store's credentials
    /// among them, perhaps).
    fn check_with_options(
        &self,
        location: &str,
        action: FileAction,
        user: Option<&str>,
        options: Option<&HashMap<String, String>>,
    ) -> Result<()> {
        let refuse = refusal(location, action);
        if has_parent_segment(location) {
            return Err(refuse("paths may not contain `..`".into()));
        }
        let url = ListingTableUrl::parse(location)
            .map_err(|err| refuse(format!("not a path DataFusion can read: {err}")))?;
        if url.scheme() != "file" {
            return self.check_store(location, &url, action, user, options);
        }
        self.check_url(location, &url, action, user)
    }

    /// Whether `user` may do `action` at the object store location `url`, the statement
    /// giving `options`; see the module docs.
    fn check_store(
        &self,
        location: &str,
        url: &ListingTableUrl,
        action: FileAction,
        user: Option<&str>,
        options: Option<&HashMap<String, String>>,
    ) -> Result<()> {
        let refuse = refusal(location, action);
        if store_namespace(url.scheme()).is_none() {
            return Err(refuse(format!(
                "{}:// locations are not supported; give a path on the server or an object \
                 store URL (s3://, gs://, az://, abfs[s]://, http[s]://)",
                url.scheme()
            )));
        }
        let store =
            ObjectStoreOptions::for_store(&url.object_store(), options.into_iter().flatten());
        let admin = self.is_admin(user);
        if let Some(key) = store
            .options
            .keys()
            .find(|key| names_server_credentials(key))
            && !admin
        {
            return Err(refuse(format!(
                "option {key} makes the server use credentials of its own (a file on its \
                 disk or its machine's identity), which only admins may"
            )));
        }
        if admin || store.has_own_credentials() {
            return Ok(());
        }
        let served = match action {
            FileAction::Read => self.served_urls.as_slice(),
            FileAction::Write => &[],
        };
        let location: &url::Url = url.as_ref();
        if self
            .allowed_urls
            .iter()
            .chain(served)
            .any(|root| url_within(location, root))
        {
            return Ok(());
        }
        Err(refuse(format!(
            "it would be reached with the server's own credentials (its environment), which \
             only admins and the object store prefixes of --allow-path may {action} with; give \
             the store's credentials in OPTIONS ('{}.…')",
            store_namespace(url.scheme()).unwrap_or("aws")
        )))
    }

    /// [`Self::check`] for a location DataFusion already parsed (a listing table's path).
    fn check_url(
        &self,
        location: &str,
        url: &ListingTableUrl,
        action: FileAction,
        user: Option<&str>,
    ) -> Result<()> {
        let refuse = refusal(location, action);
        if url.scheme() != "file" {
            return self.check_store(location, url, action, user, None);
        }
        let path = local_path(url).map_err(refuse)?;
        let resolved = resolve(&path).map_err(refuse)?;
        self.judge(&resolved, action, user).map_err(|reason| {
            if Path::new(location) == resolved {
                refuse(reason)
            } else {
                refuse(format!("it is {}, and {reason}", resolved.display()))
            }
        })
    }

    /// Whether `user` may do `action` at the resolved path `path`; the reason if not.
    fn judge(
        &self,
        path: &Path,
        action: FileAction,
        user: Option<&str>,
    ) -> std::result::Result<(), String> {
        if self.touches_denied(path, action) {
            return Err(
                "it is, holds or lies inside the server's private files (work directory, \
                 users file, keys), which no user may read or write"
                    .into(),
            );
        }
        if self.is_admin(user) {
            return Ok(());
        }
        let served = match action {
            FileAction::Read => self.served.as_slice(),
            FileAction::Write => &[],
        };
        if self
            .allowed
            .iter()
            .chain(served)
            .any(|root| path.starts_with(root))
        {
            return Ok(());
        }
        Err(format!(
            "it is outside every directory users may {action} (the server's --allow-path list)"
        ))
    }

    /// Whether `path` is inside a denied path or holds one. Data the server serves from
    /// inside a denied directory (TPC-H tables under the work dir) stays readable.
    fn touches_denied(&self, path: &Path, action: FileAction) -> bool {
        self.denied.iter().any(|denied| {
            if denied.starts_with(path) {
                return true;
            }
            if !path.starts_with(denied) {
                return false;
            }
            let served_inside = action == FileAction::Read
                && self.served.iter().any(|served| {
                    served != denied && served.starts_with(denied) && path.starts_with(served)
                });
            !served_inside
        })
    }

    fn check_node(&self, node: &LogicalPlan, user: Option<&str>) -> Result<()> {
        match node {
            LogicalPlan::Ddl(DdlStatement::CreateExternalTable(create)) => {
                let stream = create.unbounded
                    || create.options.iter().any(|(key, value)| {
                        key.eq_ignore_ascii_case("unbounded") && value.eq_ignore_ascii_case("true")
                    });
                for location in &create.locations {
                    // A stream table opens its location as a plain path, not as a URL: only
                    // plain paths mean the same file to both readings.
                    if stream && url_scheme(location).is_some() {
                        return Err(FlightSqlError::PathNotAllowed {
                            path: location.clone(),
                            action: FileAction::Read,
                            reason: "an unbounded table takes a plain path, not a URL".into(),
                        });
                    }
                    self.check_with_options(
                        location,
                        FileAction::Read,
                        user,
                        Some(&create.options),
                    )?;
                }
                Ok(())
            }
            LogicalPlan::Copy(copy) => self.check_with_options(
                &copy.output_url,
                FileAction::Write,
                user,
                Some(&copy.options),
            ),
            LogicalPlan::Dml(dml) => self.check_table_write(&dml.table_name, &dml.target, user),
            LogicalPlan::Statement(Statement::SetVariable(set)) => {
                self.check_session_key(&set.variable, &set.value, user)
            }
            _ => Ok(()),
        }
    }

    /// Writing into a table: in-memory tables are anyone's, listing tables are judged by
    /// their paths, views hold no data (DataFusion refuses the write with its own error),
    /// and any other provider (a stream table, whose path is private to it) only by admins.
    fn check_table_write(
        &self,
        name: &TableReference,
        target: &Arc<dyn TableSource>,
        user: Option<&str>,
    ) -> Result<()> {
        if let Ok(provider) = source_as_provider(target) {
            if provider.is::<MemTable>() || provider.is::<ViewTable>() {
                return Ok(());
            }
            if let Some(listing) = provider.downcast_ref::<ListingTable>() {
                for url in listing.table_paths() {
                    self.check_url(url.as_str(), url, FileAction::Write, user)?;
                }
                return Ok(());
            }
        }
        if self.is_admin(user) {
            return Ok(());
        }
        Err(FlightSqlError::PathNotAllowed {
            path: name.to_string(),
            action: FileAction::Write,
            reason: "only admins may write into tables other than in-memory and external \
                     (listing) tables"
                .into(),
        })
    }
}

/// Whether `location` has a `..` segment. URL parsers drop tabs and newlines, so they are
/// dropped here too before looking.
fn has_parent_segment(location: &str) -> bool {
    let cleaned: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    cleaned.split(['/', '\\']).any(|segment| segment == "..")
}

/// The scheme of `location` if DataFusion reads it as a URL rather than a path.
fn url_scheme(location: &str) -> Option<String> {
    if Path::new(location).is_absolute() {
        return None;
    }
    url::Url::parse(location)
        .ok()
        .map(|url| url.scheme().to_string())
}

/// The object store URL `path` spells (`s3://bucket/data/`), if it spells one rather than
/// a path; an error if it is a URL of no store Trebuchet reads.
fn store_url(path: &Path) -> Option<std::result::Result<url::Url, String>> {
    let text = path.to_str()?;
    let scheme = url_scheme(text).filter(|scheme| scheme != "file")?;
    if store_namespace(&scheme).is_none() {
        return Some(Err(format!(
            "{scheme}:// is not an object store Trebuchet reads (s3://, gs://, az://, \
             abfs[s]://, http[s]:// are)"
        )));
    }
    Some(url::Url::parse(text).map_err(|err| err.to_string()))
}

/// Whether `url` is `root` or lies below it: same store, and `root`'s path segments first.
fn url_within(url: &url::Url, root: &url::Url) -> bool {
    if !url.scheme().eq_ignore_ascii_case(root.scheme())
        || url.host_str() != root.host_str()
        || url.port() != root.port()
    {
        return false;
    }
    let root_path = root.path().trim_end_matches('/');
    let path = url.path();
    path == root_path || path.starts_with(&format!("{root_path}/"))
}

/// The local path a parsed `file:` location names, or why it names none.
fn local_path(url: &ListingTableUrl) -> std::result::Result<PathBuf, String> {
    let url: &url::Url = url.as_ref();
    url.to_file_path()
        .map_err(|()| "a file URL must name a path on this machine (file:///…)".into())
}

/// `path` made absolute with every symlink followed. A path that does not exist yet is
/// its nearest existing ancestor, resolved, plus the rest; a dangling symlink on the way
/// is refused, since whatever is created through it lands elsewhere.
fn resolve(path: &Path) -> std::result::Result<PathBuf, String> {
    if path
        .components()
        .any(|component| component == Component::ParentDir)
    {
        return Err("paths may not contain `..`".into());
    }
    let absolute =
        std::path::absolute(path).map_err(|err| format!("cannot make it absolute: {err}"))?;
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    loop {
        match std::fs::canonicalize(existing) {
            Ok(mut resolved) => {
                resolved.extend(missing.iter().rev());
                return Ok(resolved);
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                if existing.symlink_metadata().is_ok() {
                    return Err(format!(
                        "{} is a symbolic link to nothing that exists",
                        existing.display()
                    ));
                }
                let (Some(name), Some(parent)) = (existing.file_name(), existing.parent()) else {
                    return Err("no part of it exists".into());
                };
                missing.push(name);
                existing = parent;
            }
            Err(err) => return Err(format!("cannot resolve {}: {err}", existing.display())),
        }
    }
}

/// [`resolve`] for a path the operator gave: `..` is taken lexically, and a path that
/// cannot be resolved is kept as given (made absolute), which still matches itself.
fn resolve_trusted(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut lexical = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    resolve(&lexical).unwrap_or(lexical)
}

/// Builds the refusal of `action` at `location` from its reason.
fn refusal(location: &str, action: FileAction) -> impl Fn(String) -> FlightSqlError + Copy + '_ {
    move |reason| FlightSqlError::PathNotAllowed {
        path: location.to_string(),
        action,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_paths_resolve_through_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        let canonical = std::fs::canonicalize(&real).unwrap();
        assert_eq!(resolve(&dir.path().join("link")).unwrap(), canonical);
        assert_eq!(
            resolve(&dir.path().join("link/new/file.csv")).unwrap(),
            canonical.join("new/file.csv")
        );
    }

    #[test]
    fn missing_paths_resolve_from_their_nearest_existing_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        let canonical = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            resolve(&dir.path().join("a/b/c.parquet")).unwrap(),
            canonical.join("a/b/c.parquet")
        );
    }

    #[test]
    fn parent_segments_and_dangling_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(resolve(&dir.path().join("a/../b")).is_err());
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("dangling"))
            .unwrap();
        let err = resolve(&dir.path().join("dangling/file.csv")).unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(has_parent_segment("/data/\t../etc"));
        assert!(has_parent_segment("file:///data/../etc"));
        assert!(!has_parent_segment("/data/..hidden/x"));
    }

    #[test]
    fn allowed_roots_grant_read_and_write_and_served_paths_only_read() {
        let fixture = Fixture::new();
        let files = fixture.policy();
        let inside = fixture.allowed.join("out.csv");
        let inside = inside.to_str().unwrap();
        files.check(inside, FileAction::Write, None).unwrap();
        files.check(inside, FileAction::Read, None).unwrap();
        let served = fixture.served.to_str().unwrap();
        files.check(served, FileAction::Read, None).unwrap();
        let err = files.check(served, FileAction::Write, None).unwrap_err();
        assert!(
            matches!(err, FlightSqlError::PathNotAllowed { .. }),
            "{err}"
        );
        let url = format!("file://{inside}");
        files.check(&url, FileAction::Write, None).unwrap();
    }

    #[test]
    fn paths_outside_the_roots_are_for_admins_and_denied_paths_for_nobody() {
        let fixture = Fixture::new();
        let files = fixture.policy().admin("root");
        let outside = fixture.outside.to_str().unwrap();
        let err = files
            .check(outside, FileAction::Read, Some("alice"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(outside) && err.contains("--allow-path"),
            "{err}"
        );
        files
            .check(outside, FileAction::Read, Some("root"))
            .unwrap();
        files
            .check(outside, FileAction::Write, Some("root"))
            .unwrap();
        assert!(!files.is_admin(None));
        for denied in [&fixture.users_file, &fixture.work_dir.join("executor-0")] {
            let denied = denied.to_str().unwrap();
            let err = files
                .check(denied, FileAction::Read, Some("root"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("private files"), "{err}");
        }
    }

    #[test]
    fn a_directory_holding_a_denied_path_is_refused() {
        let fixture = Fixture::new();
        // The users file lies in the allowed dir: listing that dir would read it.
        let files = fixture.policy().deny(&fixture.allowed.join("users"));
        let err = files
            .check(fixture.allowed.to_str().unwrap(), FileAction::Read, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("private files"), "{err}");
        let glob = format!("{}/*.csv", fixture.allowed.display());
        assert!(files.check(&glob, FileAction::Read, None).is_err());
    }

    #[test]
    fn served_data_inside_the_work_dir_stays_readable() {
        let fixture = Fixture::new();
        let tpch = fixture.work_dir.join("tpch-sf0.01");
        std::fs::create_dir_all(&tpch).unwrap();
        let files = fixture.policy().serve(&tpch);
        let table = tpch.join("lineitem");
        files
            .check(table.to_str().unwrap(), FileAction::Read, None)
            .unwrap();
        assert!(
            files
                .check(table.to_str().unwrap(), FileAction::Write, Some("root"))
                .is_err()
        );
        assert!(
            files
                .check(fixture.work_dir.to_str().unwrap(), FileAction::Read, None)
                .is_err()
        );
    }

    #[test]
    fn symlinks_and_urls_are_judged_where_they_lead() {
        let fixture = Fixture::new();
        let files = fixture.policy();
        let link = fixture.allowed.join("escape.csv");
        std::os::unix::fs::symlink(&fixture.outside, &link).unwrap();
        let err = files
            .check(link.to_str().unwrap(), FileAction::Read, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&*fixture.outside.to_string_lossy()), "{err}");
        for url in ["s3://bucket/data.parquet", "http://example.com/x.csv"] {
            let err = files
                .check(url, FileAction::Read, None)
                .unwrap_err()
                .to_string();
            assert!(err.contains("server's own credentials"), "{err}");
        }
        let err = files
            .check("ftp://host/x.csv", FileAction::Read, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not supported"), "{err}");
        let remote_host = format!("file://otherhost{}", fixture.allowed.display());
        assert!(files.check(&remote_host, FileAction::Read, None).is_err());
    }

    #[test]
    fn object_stores_need_the_statements_own_credentials_or_an_allowed_prefix() {
        let files = FileAccess::default()
            .allow(Path::new("s3://shared/data/"))
            .unwrap()
            .serve(Path::new("s3://served/tpch/lineitem/"))
            .admin("root");
        let options = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect()
        };
        let own = options(&[("aws.access_key_id", "id"), ("aws.secret_access_key", "s")]);
        let region_only = options(&[("aws.region", "us-east-1")]);
        let check = |location: &str, action, user, given: &HashMap<String, String>| {
            files.check_with_options(location, action, user, Some(given))
        };
        check("s3://any/x/", FileAction::Read, None, &own).unwrap();
        check("s3://any/x/", FileAction::Write, None, &own).unwrap();
        let err = check("s3://any/x/", FileAction::Read, None, &region_only)
            .unwrap_err()
            .to_string();
        assert!(err.contains("OPTIONS ('aws.…')"), "{err}");
        check("s3://any/x/", FileAction::Read, Some("root"), &region_only).unwrap();
        check("s3://shared/data/t/", FileAction::Write, None, &region_only).unwrap();
        assert!(
            check(
                "s3://shared/database/",
                FileAction::Read,
                None,
                &region_only
            )
            .is_err()
        );
        check(
            "s3://served/tpch/lineitem/",
            FileAction::Read,
            None,
            &region_only,
        )
        .unwrap();
        assert!(
            check(
                "s3://served/tpch/lineitem/",
                FileAction::Write,
                None,
                &region_only
            )
            .is_err()
        );
        let from_disk = options(&[
            ("aws.web_identity_token_file", "/etc/token"),
            ("aws.secret_access_key", "s"),
        ]);
        let err = check("s3://any/x/", FileAction::Read, None, &from_disk)
            .unwrap_err()
            .to_string();
        assert!(err.contains("aws.web_identity_token_file"), "{err}");
        check("s3://any/x/", FileAction::Read, Some("root"), &from_disk).unwrap();
        assert!(
            FileAccess::default()
                .allow(Path::new("ftp://host/x"))
                .is_err()
        );
        let err = files
            .check_session_key(
                "datafusion.runtime.temp_directory",
                "s3://any/spill",
                Some("root"),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a URL"), "{err}");
    }

    #[test]
    fn runtime_keys_other_than_limits_are_refused() {
        let fixture = Fixture::new();
        let files = fixture.policy();
        files
            .check_session_key("datafusion.runtime.memory_limit", "1G", None)
            .unwrap();
        files
            .check_session_key("datafusion.execution.batch_size", "10", None)
            .unwrap();
        let allowed = fixture.allowed.to_str().unwrap();
        files
            .check_session_key("datafusion.runtime.temp_directory", allowed, None)
            .unwrap();
        let outside = fixture.outside.to_str().unwrap();
        let err = files
            .check_session_key("DataFusion.Runtime.Temp_Directory", outside, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("datafusion.runtime.temp_directory") && err.contains(outside),
            "{err}"
        );
        let err = files
            .check_session_key("datafusion.runtime.future_path", "/x", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("sizes and limits"), "{err}");
    }

    /// A temp dir laid out as a server's disk: an allowed dir, a served file, a work dir
    /// and users file that are denied, and a file outside all of them.
    struct Fixture {
        _dir: tempfile::TempDir,
        allowed: PathBuf,
        served: PathBuf,
        work_dir: PathBuf,
        users_file: PathBuf,
        outside: PathBuf,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let root = std::fs::canonicalize(dir.path()).unwrap();
            let allowed = root.join("allowed");
            let work_dir = root.join("work");
            std::fs::create_dir_all(&allowed).unwrap();
            std::fs::create_dir_all(work_dir.join("executor-0")).unwrap();
            let served = root.join("served.csv");
            let users_file = root.join("users");
            let outside = root.join("outside.csv");
            for file in [&served, &users_file, &outside] {
                std::fs::write(file, "a\n1\n").unwrap();
            }
            Self {
                _dir: dir,
                allowed,
                served,
                work_dir,
                users_file,
                outside,
            }
        }

        fn policy(&self) -> FileAccess {
            FileAccess::default()
                .allow(&self.allowed)
                .unwrap()
                .serve(&self.served)
                .deny(&self.work_dir)
                .deny(&self.users_file)
        }
    }
}
