//! The catalog file: the tables and views made with DDL (`CREATE EXTERNAL TABLE`,
//! `CREATE VIEW`, and the `DROP`s undoing them), kept under `--state-dir` so that a
//! restarted server has them again.
//!
//! ```text
//!   DDL ran ─▶ CatalogChange ─▶ CatalogJournal (in memory) ─▶ <state-dir>/catalog.json
//!   start   ─▶ CatalogJournal::open ─▶ replay, each entry as its owner ─▶ ready
//! ```
//!
//! Each entry is the statement's own SQL text, with the user who ran it; entries replay
//! in the order they were made, through the same planning, file policy and object store
//! setup as a client's statement. Tables holding data in memory (`CREATE TABLE`,
//! `CREATE TABLE AS`) are not kept: their rows live in this process only. The file holds
//! object store credentials given in `OPTIONS`, so it is written with mode 0600, and
//! atomically (temporary file, fsync, rename), so a crash leaves the old or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use datafusion::common::TableReference;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::prelude::SessionContext;
use serde_json::{Value, json};

use crate::auth::UserStore;
use crate::catalog::SharedCatalog;
use crate::config::ServerConfig;
use crate::error::{FlightSqlError, Result};
use crate::mutex::lock;
use crate::query::PlannedStatement;
use crate::secret_redaction::redact_sql;
use crate::session::SessionRegistry;

/// The file's name under the state dir.
pub const CATALOG_FILE: &str = "catalog.json";

/// Version of the file's layout, checked when it is read.
const FILE_VERSION: u64 = 1;

/// The tables and views made with DDL, in the order they were made, and the file keeping
/// them. One per server; sessions reach it through their configuration.
#[derive(Debug)]
pub struct CatalogJournal {
    path: PathBuf,
    entries: Mutex<Vec<JournalEntry>>,
}

/// One table or view: its name (`catalog.schema.table`), the SQL that made it, and who
/// ran that SQL (`None`: authentication off).
#[derive(Debug, Clone, PartialEq)]
struct JournalEntry {
    name: String,
    sql: String,
    owner: Option<String>,
}

/// What a successful DDL statement changes in the journal, worked out before it runs
/// (whether the name existed then decides what `IF NOT EXISTS` did).
#[derive(Debug)]
pub(crate) struct CatalogChange {
    journal: Option<Arc<CatalogJournal>>,
    edit: Edit,
}

#[derive(Debug)]
enum Edit {
    /// The statement leaves the journal as it is.
    Nothing,
    /// A table or view to replay: any older entry of the name goes, this one goes last.
    Keep(JournalEntry),
    /// The name now holds nothing to replay (dropped, or an in-memory table).
    Forget(String),
}

impl CatalogJournal {
    /// The journal kept in `<state_dir>/catalog.json`, read if the file exists; the
    /// directory is made (mode 0700) if need be.
    pub fn open(state_dir: &Path) -> Result<Self> {
        create_private_dir(state_dir)?;
        let path = state_dir.join(CATALOG_FILE);
        let entries = match std::fs::read_to_string(&path) {
            Ok(text) => parse_entries(&text).map_err(|reason| FlightSqlError::InvalidConfig {
                reason: format!(
                    "the catalog file {} cannot be read: {reason} (move it away to start \
                     with an empty catalog)",
                    path.display()
                ),
            })?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(FlightSqlError::ReadFile { path, source }),
        };
        Ok(Self {
            path,
            entries: Mutex::new(entries),
        })
    }

    /// Where the journal is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journal sessions over `ctx` record into, if the server keeps one.
    pub(crate) fn of(ctx: &SessionContext) -> Option<Arc<Self>> {
        ctx.state_ref().read().config().get_extension::<Self>()
    }

    /// Runs every entry again over `catalog`, as its owner under the file policy of
    /// `config`, in order. An entry that fails (its files are gone, its owner may no
    /// longer read them) is logged and skipped, and stays in the file: `DROP TABLE IF
    /// EXISTS` removes it. Returns how many entries were restored.
    pub async fn replay(&self, catalog: &SharedCatalog, config: &ServerConfig) -> usize {
        let entries = lock(&self.entries).clone();
        // Without this journal: replaying must not record the entries again.
        let catalog = catalog
            .clone()
            .with_file_access(config.file_access.clone().deny(&config.work_dir));
        let sessions = SessionRegistry::new(catalog, UserStore::default(), Duration::from_secs(60));
        let mut restored = 0;
        for entry in &entries {
            match replay_entry(&sessions, entry).await {
                Ok(()) => restored += 1,
                Err(err) => tracing::warn!(
                    table = %entry.name,
                    owner = ?entry.owner,
                    sql = %redact_sql(&entry.sql),
                    error = %redact_sql(&err.to_string()),
                    "skipped a table of the catalog file: it could not be made again"
                ),
            }
        }
        tracing::info!(
            path = %self.path.display(),
            restored,
            skipped = entries.len() - restored,
            "restored the tables and views of the catalog file"
        );
        restored
    }

    fn apply(&self, edit: Edit) -> Result<()> {
        let mut entries = lock(&self.entries);
        let mut changed: Vec<JournalEntry> = entries.clone();
        match edit {
            Edit::Nothing => return Ok(()),
            Edit::Keep(entry) => {
                changed.retain(|kept| kept.name != entry.name);
                changed.push(entry);
            }
            Edit::Forget(name) => changed.retain(|kept| kept.name != name),
        }
        if changed == *entries {
            return Ok(());
        }
        write_atomically(&self.path, &render_entries(&changed)).map_err(|source| {
            FlightSqlError::WriteCatalogFile {
                path: self.path.clone(),
                source,
            }
        })?;
        *entries = changed;
        Ok(())
    }
}

impl CatalogChange {
    /// What `plan`, run in `ctx` by `user`, will change in the journal.
    pub(crate) fn of(plan: &LogicalPlan, ctx: &SessionContext, user: Option<&str>) -> Self {
        let journal = CatalogJournal::of(ctx);
        let edit = match &journal {
            Some(_) => edit_of(plan, ctx, user),
            None => Edit::Nothing,
        };
        Self { journal, edit }
    }

    /// Records the change, once its statement succeeded. The statement has taken effect
    /// whatever this returns; an error says the catalog file does not show it.
    pub(crate) fn record(self) -> Result<()> {
        match self.journal {
            Some(journal) => journal.apply(self.edit),
            None => Ok(()),
        }
    }
}

/// `plan` with the SQL text it was planned from as the definition of the external table
/// it creates: DataFusion's own leaves out the columns and `OPTIONS`, so it could not make
/// the table again. (The secrets in it are masked before the table is made.)
pub(crate) fn with_statement_text(plan: LogicalPlan, sql: &str) -> LogicalPlan {
    match plan {
        LogicalPlan::Ddl(DdlStatement::CreateExternalTable(mut create)) => {
            create.definition = Some(sql.trim().trim_end_matches(';').to_string());
            LogicalPlan::Ddl(DdlStatement::CreateExternalTable(create))
        }
        other => other,
    }
}

fn edit_of(plan: &LogicalPlan, ctx: &SessionContext, user: Option<&str>) -> Edit {
    let LogicalPlan::Ddl(ddl) = plan else {
        return Edit::Nothing;
    };
    let owner = user.map(str::to_string);
    match ddl {
        DdlStatement::CreateExternalTable(create) => {
            if create.if_not_exists && exists(ctx, &create.name) {
                return Edit::Nothing;
            }
            match &create.definition {
                Some(sql) => Edit::Keep(JournalEntry {
                    name: resolved(ctx, &create.name),
                    sql: sql.clone(),
                    owner,
                }),
                None => Edit::Nothing,
            }
        }
        DdlStatement::CreateView(view) => match &view.definition {
            Some(sql) => Edit::Keep(JournalEntry {
                name: resolved(ctx, &view.name),
                sql: sql.clone(),
                owner,
            }),
            None => Edit::Nothing,
        },
        DdlStatement::CreateMemoryTable(create) => {
            if create.if_not_exists && exists(ctx, &create.name) {
                Edit::Nothing
            } else {
                Edit::Forget(resolved(ctx, &create.name))
            }
        }
        DdlStatement::DropTable(drop) => Edit::Forget(resolved(ctx, &drop.name)),
        DdlStatement::DropView(drop) => Edit::Forget(resolved(ctx, &drop.name)),
        _ => Edit::Nothing,
    }
}

fn exists(ctx: &SessionContext, name: &TableReference) -> bool {
    ctx.table_exist(name.clone()).unwrap_or(false)
}

/// `name` in full, so `t` and `public.t` are one entry.
fn resolved(ctx: &SessionContext, name: &TableReference) -> String {
    let state = ctx.state();
    let catalog = &state.config_options().catalog;
    name.clone()
        .resolve(&catalog.default_catalog, &catalog.default_schema)
        .to_string()
}

async fn replay_entry(sessions: &SessionRegistry, entry: &JournalEntry) -> Result<()> {
    let session = sessions.open(entry.owner.clone())?;
    let statement = PlannedStatement::plan(&session, &entry.sql, None).await?;
    statement.run_command(&session).await?;
    Ok(())
}

fn render_entries(entries: &[JournalEntry]) -> Vec<u8> {
    let entries: Vec<Value> = entries
        .iter()
        .map(|entry| json!({ "name": entry.name, "owner": entry.owner, "sql": entry.sql }))
        .collect();
    let document = json!({ "version": FILE_VERSION, "entries": entries });
    let mut text = serde_json::to_vec_pretty(&document).unwrap_or_default();
    text.push(b'\n');
    text
}

fn parse_entries(text: &str) -> std::result::Result<Vec<JournalEntry>, String> {
    let document: Value = serde_json::from_str(text).map_err(|err| err.to_string())?;
    let version = document.get("version").and_then(Value::as_u64);
    if version != Some(FILE_VERSION) {
        return Err(format!(
            "version {version:?} is not the {FILE_VERSION} this server reads"
        ));
    }
    let entries = document
        .get("entries")
        .and_then(Value::as_array)
        .ok_or("no \"entries\" list")?;
    entries
        .iter()
        .enumerate()
        .map(|(idx, entry)| {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
            Ok(JournalEntry {
                name: text("name").ok_or(format!("entry {idx} has no \"name\""))?,
                sql: text("sql").ok_or(format!("entry {idx} has no \"sql\""))?,
                owner: text("owner"),
            })
        })
        .collect()
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|source| FlightSqlError::CreateStateDir {
            path: dir.to_path_buf(),
            source,
        })
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    // The rename itself is durable only once the directory is.
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, owner: Option<&str>) -> JournalEntry {
        JournalEntry {
            name: name.into(),
            sql: format!("CREATE VIEW {name} AS SELECT 1"),
            owner: owner.map(str::to_string),
        }
    }

    #[test]
    fn entries_survive_reopening_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let journal = CatalogJournal::open(dir.path()).unwrap();
        journal
            .apply(Edit::Keep(entry("a", Some("alice"))))
            .unwrap();
        journal.apply(Edit::Keep(entry("b", None))).unwrap();
        journal.apply(Edit::Keep(entry("c", None))).unwrap();
        journal.apply(Edit::Forget("b".into())).unwrap();
        // Replacing moves an entry last: it may use what was made before it.
        journal
            .apply(Edit::Keep(entry("a", Some("alice"))))
            .unwrap();
        let reopened = CatalogJournal::open(dir.path()).unwrap();
        let names: Vec<_> = lock(&reopened.entries)
            .iter()
            .map(|entry| (entry.name.clone(), entry.owner.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("c".to_string(), None),
                ("a".to_string(), Some("alice".into()))
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let journal = CatalogJournal::open(&dir.path().join("state")).unwrap();
        journal.apply(Edit::Keep(entry("a", None))).unwrap();
        let mode = std::fs::metadata(journal.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(dir.path().join("state"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }

    #[test]
    fn a_damaged_file_stops_the_start_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CATALOG_FILE), "{ not json").unwrap();
        let err = CatalogJournal::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains(CATALOG_FILE), "{err}");
    }

    #[test]
    fn only_statement_text_of_external_tables_is_replaced() {
        let plan = LogicalPlan::EmptyRelation(datafusion::logical_expr::EmptyRelation {
            produce_one_row: false,
            schema: Arc::new(datafusion::common::DFSchema::empty()),
        });
        assert_eq!(with_statement_text(plan.clone(), "SELECT 1"), plan);
    }
}
