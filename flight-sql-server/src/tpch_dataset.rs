//! The embedded dataset: the eight TPC-H tables generated at start, so a newcomer can
//! query something the moment the server is up.
//!
//! `tpchgen` produces the same rows as the reference `dbgen`; large tables are generated
//! in parts, in parallel, and each part is written as one Parquet file under the data
//! directory. Files, not in-memory tables, because executors must read them: an in-memory
//! table would travel inside every task's plan.

use std::path::Path;
use std::sync::Arc;

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
    write_tpch_parquet(scale, dir, parts)?;
    let ctx = catalog.new_session_context();
    for table in TPCH_TABLES {
        let table_dir = dir.join(table);
        let options = ParquetReadOptions::default().file_extension(".parquet");
        ctx.register_parquet(table, table_dir.to_string_lossy().as_ref(), options)
            .await?;
    }
    tracing::info!(scale, "TPC-H tables generated");
    Ok(())
}

/// Writes the TPC-H tables at `scale` as `dir/<table>/part-<n>.parquet`, the six large
/// tables in `parts` files each (nation and region in one), without view types so every
/// driver can read them.
///
/// Each part is generated and written on its own thread, batch by batch: memory stays at
/// a few row groups per part whatever the scale.
pub fn write_tpch_parquet(scale: f64, dir: &Path, parts: usize) -> Result<()> {
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(FlightSqlError::InvalidConfig {
            reason: format!("the TPC-H scale must be a positive number, got {scale}"),
        });
    }
    let parts = i32::try_from(parts.max(1)).unwrap_or(i32::MAX);
    for table in TPCH_TABLES {
        let table_parts = if matches!(table, "nation" | "region") {
            1
        } else {
            parts
        };
        let table_dir = dir.join(table);
        std::fs::create_dir_all(&table_dir).map_err(|err| write_error(&table_dir, &err))?;
        std::thread::scope(|scope| {
            let writers: Vec<_> = (1..=table_parts)
                .map(|part| {
                    let path = table_dir.join(format!("part-{}.parquet", part - 1));
                    scope.spawn(move || {
                        write_part(generator(table, scale, part, table_parts), &path)
                    })
                })
                .collect();
            writers.into_iter().try_for_each(|writer| {
                writer.join().unwrap_or_else(|_| {
                    Err(FlightSqlError::InvalidConfig {
                        reason: format!("generating TPC-H table {table} failed"),
                    })
                })
            })
        })?;
    }
    Ok(())
}

/// Streams one generator into one Parquet file.
fn write_part(batches: Box<dyn RecordBatchIterator>, path: &Path) -> Result<()> {
    let schema = Arc::new(egress_table_schema(batches.schema()));
    let file = std::fs::File::create(path).map_err(|err| write_error(path, &err))?;
    let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), None)
        .map_err(|err| write_error(path, &err))?;
    for batch in batches {
        let batch = to_egress_batch(&batch, &schema)?;
        writer
            .write(&batch)
            .map_err(|err| write_error(path, &err))?;
    }
    writer.close().map_err(|err| write_error(path, &err))?;
    Ok(())
}

fn write_error(path: &Path, err: &dyn std::fmt::Display) -> FlightSqlError {
    FlightSqlError::InvalidConfig {
        reason: format!("cannot write the TPC-H file {}: {err}", path.display()),
    }
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
    async fn registers_all_eight_tables_read_with_view_types_as_sessions_read_parquet() {
        let catalog = SharedCatalog::new();
        let dir = tempfile::tempdir().unwrap();
        register_tpch(&catalog, 0.001, dir.path()).await.unwrap();
        let ctx = catalog.new_session_context();
        for table in TPCH_TABLES {
            let schema = ctx.table(table).await.unwrap().schema().as_arrow().clone();
            // Written as plain strings; read as views, as DataFusion reads Parquet.
            assert!(
                schema
                    .fields()
                    .iter()
                    .all(|f| f.data_type() != &arrow::datatypes::DataType::Utf8),
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
