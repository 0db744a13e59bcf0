//! The embedded dataset: the eight TPC-H tables generated at start, so a newcomer can
//! query something the moment the server is up.
//!
//! `tpchgen` produces the same rows as the reference `dbgen`; large tables are generated
//! in parts, in parallel, and each part is written as one Parquet file under the data
//! directory. Files, not in-memory tables, because executors must read them: an in-memory
//! table would travel inside every task's plan.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::ParquetReadOptions;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator,
    PartSuppGenerator, RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{
    CustomerArrow, LineItemArrow, NationArrow, OrderArrow, PartArrow, PartSuppArrow,
    RecordBatchIterator, RegionArrow, SupplierArrow,
};

use crate::catalog::SharedCatalog;
use crate::error::{FlightSqlError, Result};
use crate::result_schema::{egress_table_schema, to_egress_batch};

/// The TPC-H tables, in the order they are generated.
pub const TPCH_TABLES: [&str; 8] = [
    "nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem",
];

/// Generates the TPC-H tables at `scale` as Parquet under `dir` and registers them in the
/// default schema.
pub async fn register_tpch(catalog: &SharedCatalog, scale: f64, dir: &Path) -> Result<()> {
    let parts = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    register_tpch_in_parts(catalog, scale, dir, parts).await
}

/// [`register_tpch`] with each large table split into exactly `parts` files, for plans
/// that must not depend on the machine (golden plan tests).
pub async fn register_tpch_in_parts(
    catalog: &SharedCatalog,
    scale: f64,
    dir: &Path,
    parts: usize,
) -> Result<()> {
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(FlightSqlError::InvalidConfig {
            reason: format!(
                "--tpch-scale must be a positive number (or 0 to disable), got {scale}"
            ),
        });
    }
    let ctx = catalog.new_session_context();
    for table in TPCH_TABLES {
        let table_parts = if matches!(table, "nation" | "region") {
            1
        } else {
            parts
        };
        let partitions = generate_parts(table, scale, table_parts)?;
        let schema = partitions
            .iter()
            .flatten()
            .next()
            .map(RecordBatch::schema)
            .unwrap_or_else(|| Arc::clone(generator(table, scale, 1, 1).schema()));
        let schema = Arc::new(egress_table_schema(&schema));
        let partitions = partitions
            .iter()
            .map(|part| {
                part.iter()
                    .map(|batch| to_egress_batch(batch, &schema))
                    .collect()
            })
            .collect::<std::result::Result<Vec<Vec<RecordBatch>>, _>>()?;
        let table_dir = dir.join(table);
        write_parquet_parts(&table_dir, &schema, &partitions)?;
        let options = ParquetReadOptions::default().file_extension(".parquet");
        ctx.register_parquet(table, table_dir.to_string_lossy().as_ref(), options)
            .await?;
    }
    tracing::info!(scale, "TPC-H tables generated");
    Ok(())
}

/// Writes each part as `part-<n>.parquet` in `dir`.
fn write_parquet_parts(dir: &Path, schema: &SchemaRef, parts: &[Vec<RecordBatch>]) -> Result<()> {
    let io_error = |path: &Path, err: &dyn std::fmt::Display| FlightSqlError::InvalidConfig {
        reason: format!("cannot write the TPC-H file {}: {err}", path.display()),
    };
    std::fs::create_dir_all(dir).map_err(|err| io_error(dir, &err))?;
    for (index, part) in parts.iter().enumerate() {
        let path = dir.join(format!("part-{index}.parquet"));
        let file = std::fs::File::create(&path).map_err(|err| io_error(&path, &err))?;
        let mut writer = ArrowWriter::try_new(file, Arc::clone(schema), None)
            .map_err(|err| io_error(&path, &err))?;
        for batch in part {
            writer.write(batch).map_err(|err| io_error(&path, &err))?;
        }
        writer.close().map_err(|err| io_error(&path, &err))?;
    }
    Ok(())
}

/// Generates the `parts` parts of one table on as many threads.
fn generate_parts(table: &'static str, scale: f64, parts: usize) -> Result<Vec<Vec<RecordBatch>>> {
    let parts_i32 = i32::try_from(parts).unwrap_or(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=parts_i32)
            .map(|part| {
                scope.spawn(move || generator(table, scale, part, parts_i32).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().map_err(|_| FlightSqlError::InvalidConfig {
                    reason: format!("generating TPC-H table {table} failed"),
                })
            })
            .collect()
    })
}

fn generator(table: &str, scale: f64, part: i32, parts: i32) -> Box<dyn RecordBatchIterator> {
    match table {
        "nation" => Box::new(NationArrow::new(NationGenerator::new(scale, part, parts))),
        "region" => Box::new(RegionArrow::new(RegionGenerator::new(scale, part, parts))),
        "part" => Box::new(PartArrow::new(PartGenerator::new(scale, part, parts))),
        "supplier" => Box::new(SupplierArrow::new(SupplierGenerator::new(
            scale, part, parts,
        ))),
        "partsupp" => Box::new(PartSuppArrow::new(PartSuppGenerator::new(
            scale, part, parts,
        ))),
        "customer" => Box::new(CustomerArrow::new(CustomerGenerator::new(
            scale, part, parts,
        ))),
        "orders" => Box::new(OrderArrow::new(OrderGenerator::new(scale, part, parts))),
        _ => Box::new(LineItemArrow::new(LineItemGenerator::new(
            scale, part, parts,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn registers_all_eight_tables_without_view_types() {
        let catalog = SharedCatalog::new();
        let dir = tempfile::tempdir().unwrap();
        register_tpch(&catalog, 0.001, dir.path()).await.unwrap();
        let ctx = catalog.new_session_context();
        for table in TPCH_TABLES {
            let schema = ctx.table(table).await.unwrap().schema().as_arrow().clone();
            assert!(
                schema
                    .fields()
                    .iter()
                    .all(|f| f.data_type() != &arrow::datatypes::DataType::Utf8View),
                "{table}"
            );
        }
        let nations = ctx
            .sql("SELECT count(*) AS n FROM nation")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&nations)
            .unwrap()
            .to_string();
        assert!(text.contains("| 25 |"), "{text}");
    }

    #[tokio::test]
    async fn rejects_nonsense_scales() {
        let dir = std::env::temp_dir();
        for scale in [-1.0, f64::NAN] {
            assert!(
                register_tpch(&SharedCatalog::new(), scale, &dir)
                    .await
                    .is_err()
            );
        }
    }
}
