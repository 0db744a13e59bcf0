//! The engines a run times: Trebuchet over Flight SQL, and single-process DataFusion.

mod datafusion;
mod flight_sql;

use std::fmt;

pub use self::datafusion::DataFusionEngine;
pub use self::flight_sql::FlightSqlEngine;
use crate::error::Result;

/// Which engine: the names `--engine` takes and the report prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum EngineKind {
    /// Trebuchet, queried over Flight SQL.
    Trebuchet,
    /// Single-process DataFusion on the same files: the floor.
    Datafusion,
}

impl EngineKind {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Trebuchet => "trebuchet",
            Self::Datafusion => "datafusion",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A connected engine that runs SQL and counts the rows it returns.
#[derive(Debug)]
pub enum Engine {
    Trebuchet(FlightSqlEngine),
    DataFusion(DataFusionEngine),
}

impl Engine {
    /// Which engine this is.
    pub fn kind(&self) -> EngineKind {
        match self {
            Self::Trebuchet(_) => EngineKind::Trebuchet,
            Self::DataFusion(_) => EngineKind::Datafusion,
        }
    }

    /// Runs `sql` to the last row and returns how many rows came back. The message of a
    /// failure is the engine's own.
    pub async fn run(&mut self, sql: &str) -> Result<u64, String> {
        match self {
            Self::Trebuchet(engine) => engine.run(sql).await,
            Self::DataFusion(engine) => engine.run(sql).await,
        }
    }

    /// Applies a `key=value` session setting.
    pub async fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let sql = format!("SET {key} = '{}'", value.replace('\'', "''"));
        self.run(&sql)
            .await
            .map(|_| ())
            .map_err(|message| crate::error::BenchError::Usage(format!("{sql}: {message}")))
    }
}
