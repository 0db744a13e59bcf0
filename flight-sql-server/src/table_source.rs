//! Tables named on the command line (`--table name=path`): the format comes from the
//! file's extension, or for a directory from the files inside it. A location may be an
//! object store URL (`--table t=s3://bucket/t/`), reached with the server's environment
//! (`AWS_*` and so on).

use std::path::Path;

use datafusion::datasource::listing::ListingTableUrl;
use datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionContext};
use futures::{StreamExt, TryStreamExt};
use trebuchet_cluster::{ConfiguredStores, ObjectStoreOptions, store_namespace};

use crate::catalog::SharedCatalog;
use crate::error::{FlightSqlError, Result};

/// How many objects of a store's prefix are looked at to tell a table's format.
const FORMAT_PROBE_OBJECTS: usize = 100;

/// The file formats a table can be read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Parquet,
    Csv,
    Json { extension: &'static str },
}

impl FileFormat {
    fn from_extension(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "parquet" => Some(Self::Parquet),
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json { extension: ".json" }),
            "ndjson" => Some(Self::Json {
                extension: ".ndjson",
            }),
            _ => None,
        }
    }

    fn detect(path: &Path) -> Result<Self> {
        let unknown = || FlightSqlError::InvalidConfig {
            reason: format!(
                "cannot tell the format of {}: expected .parquet, .csv, .json or .ndjson files",
                path.display()
            ),
        };
        if !path.is_dir() {
            return Self::from_extension(path).ok_or_else(unknown);
        }
        let entries = std::fs::read_dir(path).map_err(|source| FlightSqlError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        let mut names: Vec<_> = entries
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.path())
            .collect();
        names.sort();
        names
            .iter()
            .find_map(|file| Self::from_extension(file))
            .ok_or_else(unknown)
    }
}

/// Registers a `name=path` table in the default schema.
pub async fn register_table(catalog: &SharedCatalog, spec: &str) -> Result<()> {
    let (name, path) = spec
        .split_once('=')
        .filter(|(name, path)| !name.is_empty() && !path.is_empty())
        .ok_or_else(|| FlightSqlError::InvalidConfig {
            reason: format!("--table expects NAME=PATH, got '{spec}'"),
        })?;
    let ctx = catalog.new_session_context();
    let format = match store_location(path) {
        Some(url) => detect_in_store(&ctx, name, path, &url?).await?,
        None => {
            let location = Path::new(path);
            if !location.exists() {
                return Err(FlightSqlError::InvalidConfig {
                    reason: format!("--table {name}: {path} does not exist"),
                });
            }
            FileFormat::detect(location)?
        }
    };
    match format {
        FileFormat::Parquet => {
            ctx.register_parquet(name, path, ParquetReadOptions::default())
                .await?
        }
        FileFormat::Csv => ctx.register_csv(name, path, CsvReadOptions::new()).await?,
        FileFormat::Json { extension } => {
            let options = JsonReadOptions::default().file_extension(extension);
            ctx.register_json(name, path, options).await?
        }
    }
    tracing::info!(table = name, path, "table registered");
    Ok(())
}

/// The object store URL `path` is, if it is one (a local path is not).
fn store_location(path: &str) -> Option<Result<ListingTableUrl>> {
    let (scheme, _) = path.split_once("://")?;
    store_namespace(scheme)?;
    Some(
        ListingTableUrl::parse(path).map_err(|err| FlightSqlError::InvalidConfig {
            reason: format!("--table: {path} is not a URL DataFusion reads: {err}"),
        }),
    )
}

/// Sets up the store of `url` from the environment and tells the table's format from the
/// location's extension, or from the first object below it that has a known one.
async fn detect_in_store(
    ctx: &SessionContext,
    name: &str,
    path: &str,
    url: &ListingTableUrl,
) -> Result<FileFormat> {
    let unreadable = |reason: String| FlightSqlError::InvalidConfig {
        reason: format!("--table {name}: cannot read {path}: {reason}"),
    };
    let store_url = url.object_store();
    let configured = ConfiguredStores::of(ctx.state_ref().read().config())
        .ok_or_else(|| unreadable("the catalog keeps no object stores".into()))?;
    let environment_only = ObjectStoreOptions::for_store(&store_url, []);
    configured.configure(&ctx.runtime_env(), environment_only, false)?;
    if let Some(format) = FileFormat::from_extension(Path::new(url.prefix().as_ref())) {
        return Ok(format);
    }
    let store = ctx.runtime_env().object_store(&store_url)?;
    let objects: Vec<_> = store
        .list(Some(url.prefix()))
        .take(FORMAT_PROBE_OBJECTS)
        .try_collect()
        .await
        .map_err(|err| unreadable(err.to_string()))?;
    if objects.is_empty() {
        return Err(unreadable("no objects there".into()));
    }
    objects
        .iter()
        .find_map(|object| FileFormat::from_extension(Path::new(object.location.as_ref())))
        .ok_or_else(|| unreadable("expected .parquet, .csv, .json or .ndjson objects".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn registers_files_and_directories_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("points.csv");
        std::fs::write(&csv, "x,y\n1,2\n3,4\n").unwrap();
        let json_dir = dir.path().join("events");
        std::fs::create_dir(&json_dir).unwrap();
        std::fs::write(json_dir.join("a.ndjson"), "{\"id\": 1}\n{\"id\": 2}\n").unwrap();

        let catalog = SharedCatalog::new();
        register_table(&catalog, &format!("points={}", csv.display()))
            .await
            .unwrap();
        register_table(&catalog, &format!("events={}", json_dir.display()))
            .await
            .unwrap();

        let ctx = catalog.new_session_context();
        for (table, rows) in [("points", 2), ("events", 2)] {
            let batches = ctx
                .sql(&format!("SELECT * FROM {table}"))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            assert_eq!(
                batches.iter().map(|b| b.num_rows()).sum::<usize>(),
                rows,
                "{table}"
            );
        }
    }

    #[tokio::test]
    async fn bad_specs_are_clear_errors() {
        let catalog = SharedCatalog::new();
        for (spec, expected) in [
            ("nameonly", "NAME=PATH"),
            ("t=/does/not/exist.parquet", "does not exist"),
            ("t=Cargo.toml", "cannot tell the format"),
        ] {
            let err = register_table(&catalog, spec)
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{spec}: {err}");
        }
    }
}
