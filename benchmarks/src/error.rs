//! The benchmarks' one error type.

use std::path::PathBuf;

/// What can stop a benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("bad arguments: {0}")]
    Usage(String),
    #[error("{engine} failed on q{query}: {message}")]
    Query {
        engine: String,
        query: usize,
        message: String,
    },
    #[error("q{query} returned {first_rows} rows from {first} and {other_rows} from {other}")]
    RowCountMismatch {
        query: usize,
        first: String,
        first_rows: u64,
        other: String,
        other_rows: u64,
    },
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    #[error("the data directory {path} has no table {table}: run `tpch datagen` first")]
    MissingTable { path: PathBuf, table: &'static str },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Server(#[from] trebuchet_flight_sql_server::FlightSqlError),
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

/// A `Result` with [`BenchError`].
pub type Result<T, E = BenchError> = std::result::Result<T, E>;
