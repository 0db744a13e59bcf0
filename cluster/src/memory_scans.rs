//! In-memory tables travel to executors inside the plan, as one Arrow IPC stream per
//! partition written with the *first* batch's schema. A table filled by several INSERTs
//! holds batches whose schemas differ in nullability (a literal `'a'` is non-nullable, a
//! `NULL` is not), and such a stream fails to decode on the executor. Relabelling every
//! batch with the table's own schema before the plan is encoded removes the mismatch.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::{DataSource as _, DataSourceExec};
use datafusion::error::Result;
use datafusion::physical_plan::ExecutionPlan;

/// `plan` with every in-memory scan's batches carrying their table's schema.
pub(crate) fn unify_memory_scan_schemas(
    plan: Arc<dyn ExecutionPlan>,
) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let Some(source) = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<MemorySourceConfig>())
        else {
            return Ok(Transformed::no(node));
        };
        let schema = source.original_schema();
        let mut changed = false;
        let partitions = source
            .partitions()
            .iter()
            .map(|batches| {
                batches
                    .iter()
                    .map(|batch| {
                        if batch.schema() == schema {
                            return batch.clone();
                        }
                        // Fails only if the schemas really differ; then keep the batch.
                        match batch.clone().with_schema(Arc::clone(&schema)) {
                            Ok(relabelled) => {
                                changed = true;
                                relabelled
                            }
                            Err(_) => batch.clone(),
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>();
        if !changed {
            return Ok(Transformed::no(node));
        }
        let unified =
            MemorySourceConfig::try_new(&partitions, schema, source.projection().clone())?
                .with_limit(source.fetch())
                .with_show_sizes(source.show_sizes())
                .try_with_sort_information(source.sort_information().to_vec())?;
        Ok(Transformed::yes(DataSourceExec::from_data_source(unified)))
    })
    .map(|transformed| transformed.data)
}
