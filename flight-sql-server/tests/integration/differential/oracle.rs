//! The oracle: in-process DataFusion at its own defaults, except where Trebuchet differs
//! on purpose (view types off, for JDBC 18; information_schema on).

use std::path::Path;

use datafusion::physical_plan::collect;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use trebuchet_flight_sql_server::TPCH_TABLES;

use super::answer::Answer;

/// One DataFusion session holding the TPC-H tables.
pub(crate) struct Oracle {
    ctx: SessionContext,
}

impl Oracle {
    pub(crate) async fn new(tpch: &Path) -> Self {
        let config = SessionConfig::new().with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
        for table in TPCH_TABLES {
            let dir = tpch.join(table);
            let options = ParquetReadOptions::default().file_extension(".parquet");
            ctx.register_parquet(table, dir.to_string_lossy().as_ref(), options)
                .await
                .unwrap();
        }
        Self { ctx }
    }

    pub(crate) async fn run(&self, sql: &str) -> Answer {
        let frame = match self.ctx.sql(sql).await {
            Ok(frame) => frame,
            Err(err) => return Answer::datafusion_error(&err),
        };
        // The physical plan's schema is the type of the rows DataFusion returns; its
        // DataFrame's schema precedes type coercion and can differ (a UNION's).
        let task_ctx = frame.task_ctx();
        let plan = match frame.create_physical_plan().await {
            Ok(plan) => plan,
            Err(err) => return Answer::datafusion_error(&err),
        };
        let schema = plan.schema();
        match collect(plan, std::sync::Arc::new(task_ctx)).await {
            Ok(batches) => Answer::rows(&schema, &batches),
            Err(err) => Answer::datafusion_error(&err),
        }
    }
}
