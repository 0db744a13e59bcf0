//! Bulk ingest (`CommandStatementIngest`, what ADBC's `adbc_ingest` and pandas' and
//! polars' ADBC writers send): the uploaded batches go into a table as they arrive,
//! through the same plan `INSERT INTO … SELECT` makes, so the file policy and DataFusion's
//! schema checks apply and nothing is held beyond what the table keeps.
//!
//! A table that does not exist is created in memory with the upload's schema; appending
//! to an external (listing) table writes new files into it, as `INSERT` does. `replace`
//! drops the table and creates it again in memory. Temporary tables and transactions are
//! refused.

use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use arrow_flight::decode::{DecodedPayload, FlightDataDecoder};
use arrow_flight::sql::server::PeekableFlightDataStream;
use arrow_flight::sql::{CommandStatementIngest, TableExistsOption, TableNotExistOption};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::common::{Column, TableReference};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{LogicalPlanBuilder, cast, col};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::StreamExt;
use trebuchet_cluster::on_planning_stack;

use crate::error::{FlightSqlError, Result};
use crate::file_access::FileAccess;
use crate::query::affected_rows;
use crate::session::Session;
use crate::statement::arrow_messages;

/// Ingests the upload into the table `command` names; returns the rows it added.
pub(crate) async fn ingest(
    session: &Session,
    command: CommandStatementIngest,
    upload: PeekableFlightDataStream,
) -> Result<i64> {
    if command.transaction_id.is_some() {
        return Err(FlightSqlError::unsupported("transactions"));
    }
    if command.temporary {
        return Err(FlightSqlError::unsupported(
            "ingesting into a temporary table (temporary = true)",
        ));
    }
    let table = target_table(&command);
    let options = command.table_definition_options.unwrap_or_default();
    let if_exists = TableExistsOption::try_from(options.if_exists).unwrap_or_default();
    let if_not_exist = TableNotExistOption::try_from(options.if_not_exist).unwrap_or_default();
    let (schema, batches) = open_upload(upload).await?;
    let ctx = session.ctx();
    let exists = ctx.table_exist(table.clone())?;
    let created = match (exists, if_exists, if_not_exist) {
        (true, TableExistsOption::Append, _) => false,
        (true, TableExistsOption::Replace, _) => {
            ctx.deregister_table(table.clone())?;
            create_memory_table(session, &table, &schema)?;
            true
        }
        (true, _, _) => {
            return Err(FlightSqlError::TableExists {
                table: table.to_string(),
            });
        }
        (false, _, TableNotExistOption::Create) => {
            create_memory_table(session, &table, &schema)?;
            true
        }
        (false, _, _) => {
            return Err(FlightSqlError::TableNotFound {
                table: table.to_string(),
            });
        }
    };
    let inserted = insert(session, table.clone(), schema, batches).await;
    // A table this upload created goes with it when the upload fails: no half-loaded
    // table is left behind for the next attempt to trip over.
    if inserted.is_err() && created {
        ctx.deregister_table(table)?;
    }
    inserted
}

/// The table named by the command: catalog and schema when given, else the session's.
fn target_table(command: &CommandStatementIngest) -> TableReference {
    let table = command.table.as_str();
    match (&command.catalog, &command.schema) {
        (Some(catalog), Some(schema)) => {
            TableReference::full(catalog.as_str(), schema.as_str(), table)
        }
        (None, Some(schema)) => TableReference::partial(schema.as_str(), table),
        _ => TableReference::bare(table),
    }
}

fn create_memory_table(
    session: &Session,
    table: &TableReference,
    schema: &SchemaRef,
) -> Result<()> {
    let memory = MemTable::try_new(Arc::clone(schema), vec![Vec::new()])?;
    session
        .ctx()
        .register_table(table.clone(), Arc::new(memory))?;
    Ok(())
}

/// Inserts the upload's batches into `table` as `INSERT INTO table SELECT * FROM upload`.
async fn insert(
    session: &Session,
    table: TableReference,
    schema: SchemaRef,
    batches: SendableRecordBatchStream,
) -> Result<i64> {
    let ctx = session.ctx().clone();
    let target = provider_as_source(ctx.table_provider(table.clone()).await?);
    let upload = OneShot {
        schema: Arc::clone(&schema),
        batches: Mutex::new(Some(batches)),
    };
    let source = StreamingTable::try_new(Arc::clone(&schema), vec![Arc::new(upload)])?;
    let scan = LogicalPlanBuilder::scan("upload", provider_as_source(Arc::new(source)), None)?;
    let input = cast_to_table_types(scan, &schema, &target.schema())?.build()?;
    let plan = LogicalPlanBuilder::insert_into(input, table, target, InsertOp::Append)?.build()?;
    FileAccess::of(&ctx).check_plan(&plan, session.user())?;
    let inserted =
        on_planning_stack(async move { ctx.execute_logical_plan(plan).await?.collect().await })
            .await??;
    Ok(affected_rows(&inserted))
}

/// The upload with each column cast to the type of the table's column at its position,
/// as SQL `INSERT` casts: DataFusion's insert accepts any type that can be cast and leaves
/// the cast to its caller, and a batch stored uncast reads back wrong or not at all (polars
/// sends strings as `Utf8View` to a table pandas created with `Utf8`). A column count that
/// differs is left for the insert's own check to report.
fn cast_to_table_types(
    scan: LogicalPlanBuilder,
    upload: &SchemaRef,
    table: &SchemaRef,
) -> Result<LogicalPlanBuilder> {
    let same_types = upload
        .fields()
        .iter()
        .zip(table.fields())
        .all(|(sent, kept)| sent.data_type() == kept.data_type());
    if upload.fields().len() != table.fields().len() || same_types {
        return Ok(scan);
    }
    let casts = upload
        .fields()
        .iter()
        .zip(table.fields())
        .map(|(sent, kept)| {
            let column = col(Column::from_name(sent.name()));
            match sent.data_type() == kept.data_type() {
                true => column,
                false => cast(column, kept.data_type().clone()).alias(sent.name()),
            }
        });
    Ok(scan.project(casts)?)
}

/// The upload's schema (its first message) and its batches, decoded as they arrive.
async fn open_upload(
    upload: PeekableFlightDataStream,
) -> Result<(SchemaRef, SendableRecordBatchStream)> {
    let mut decoder = FlightDataDecoder::new(arrow_messages(upload));
    let schema = loop {
        match decoder.next().await {
            Some(Ok(decoded)) => match decoded.payload {
                DecodedPayload::Schema(schema) => break schema,
                DecodedPayload::None => continue,
                DecodedPayload::RecordBatch(_) => {
                    return Err(FlightSqlError::invalid_request(
                        "the upload sent a record batch before its schema",
                    ));
                }
            },
            Some(Err(err)) => {
                return Err(FlightSqlError::invalid_request(format!(
                    "cannot read the upload: {err}"
                )));
            }
            None => return Err(FlightSqlError::invalid_request("the upload has no schema")),
        }
    };
    let batches = decoder.filter_map(|decoded| {
        futures::future::ready(match decoded {
            Ok(decoded) => match decoded.payload {
                DecodedPayload::RecordBatch(batch) => Some(Ok(batch)),
                DecodedPayload::Schema(_) | DecodedPayload::None => None,
            },
            // The client sent it: INVALID_ARGUMENT, not an internal error.
            Err(err) => Some(Err(DataFusionError::External(Box::new(
                FlightSqlError::invalid_request(format!("cannot read the upload: {err}")),
            )))),
        })
    });
    let stream = RecordBatchStreamAdapter::new(Arc::clone(&schema), batches);
    Ok((schema, Box::pin(stream)))
}

/// The upload as a table's only partition, read once.
struct OneShot {
    schema: SchemaRef,
    batches: Mutex<Option<SendableRecordBatchStream>>,
}

impl std::fmt::Debug for OneShot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneShot")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl PartitionStream for OneShot {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let taken = crate::mutex::lock(&self.batches).take();
        taken.unwrap_or_else(|| {
            let error = DataFusionError::Internal("an upload can be read only once".into());
            Box::pin(RecordBatchStreamAdapter::new(
                Arc::clone(&self.schema),
                futures::stream::once(async move { Err(error) }),
            ))
        })
    }
}
