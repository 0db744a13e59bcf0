//! Single-process DataFusion over the same Parquet files: the floor Trebuchet is measured
//! against.

use std::path::Path;

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use futures::TryStreamExt;

use crate::error::Result;
use crate::tpch::{TABLES, table_dir};

/// A DataFusion session with the TPC-H tables registered.
pub struct DataFusionEngine {
    ctx: SessionContext,
}

impl std::fmt::Debug for DataFusionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataFusionEngine")
            .field("session_id", &self.ctx.session_id())
            .finish()
    }
}

impl DataFusionEngine {
    /// A session with `target_partitions` and `settings` over the tables in `data`. The
    /// settings apply before the tables are registered: some decide the schema a table
    /// is read with (`datafusion.execution.parquet.schema_force_view_types`).
    pub async fn open(
        data: &Path,
        target_partitions: usize,
        settings: &[(String, String)],
    ) -> Result<Self> {
        let mut config = SessionConfig::new().with_target_partitions(target_partitions);
        for (key, value) in settings {
            config.options_mut().set(key, value)?;
        }
        let ctx = SessionContext::new_with_config(config);
        for table in TABLES {
            let dir = table_dir(data, table)?;
            let options = ParquetReadOptions::default().file_extension(".parquet");
            ctx.register_parquet(table, dir.to_string_lossy().as_ref(), options)
                .await?;
        }
        Ok(Self { ctx })
    }

    /// Runs `sql`, streaming every partition to the end, and counts the rows.
    pub(crate) async fn run(&mut self, sql: &str) -> Result<u64, String> {
        let frame = self.ctx.sql(sql).await.map_err(|err| err.to_string())?;
        let stream = frame
            .execute_stream()
            .await
            .map_err(|err| err.to_string())?;
        stream
            .try_fold(0_u64, |rows, batch| async move {
                Ok(rows + batch.num_rows() as u64)
            })
            .await
            .map_err(|err| err.to_string())
    }
}
