//! TPC-H: the data, the queries and the run that times them.

use std::path::{Path, PathBuf};

use crate::error::{BenchError, Result};

pub(crate) mod datagen;
pub(crate) mod queries;
pub(crate) mod run;

/// The eight TPC-H tables, each a directory of Parquet files under the data directory.
pub const TABLES: [&str; 8] = [
    "customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier",
];

/// The directory of `table` under `data`, or an error saying to run `tpch datagen`.
pub(crate) fn table_dir(data: &Path, table: &'static str) -> Result<PathBuf> {
    let dir = data.join(table);
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(BenchError::MissingTable {
            path: data.to_path_buf(),
            table,
        })
    }
}
