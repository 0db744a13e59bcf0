//! Catalogs, schemas, tables and table types of the shared catalog.
//!
//! `information_schema` is listed in every catalog when the session enables it, so tools
//! such as DBeaver can browse it like any other schema.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow_flight::sql::{
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetTableTypes, CommandGetTables,
};
use datafusion::catalog::information_schema::{INFORMATION_SCHEMA, InformationSchemaProvider};
use datafusion::catalog::{CatalogProviderList, SchemaProvider};
use datafusion::datasource::TableType;

use crate::error::Result;
use crate::result_schema::egress_schema;
use crate::session::Session;

/// The table types we report, in `GetTableTypes` order.
const TABLE_TYPES: [&str; 3] = ["LOCAL TEMPORARY", "TABLE", "VIEW"];

pub(crate) fn catalogs(session: &Session, command: CommandGetCatalogs) -> Result<RecordBatch> {
    let mut builder = command.into_builder();
    let catalogs = catalog_list(session);
    let mut names = catalogs.catalog_names();
    names.sort();
    for name in names {
        builder.append(name);
    }
    Ok(builder.build()?)
}

pub(crate) fn db_schemas(session: &Session, command: CommandGetDbSchemas) -> Result<RecordBatch> {
    let mut builder = command.into_builder();
    for (catalog, schema, _) in schemas(session) {
        builder.append(catalog, schema);
    }
    Ok(builder.build()?)
}

pub(crate) async fn tables(session: &Session, command: CommandGetTables) -> Result<RecordBatch> {
    let mut builder = command.into_builder();
    for (catalog, schema_name, schema) in schemas(session) {
        let mut names = schema.table_names();
        names.sort();
        for name in names {
            let Some(table) = schema.table(&name).await? else {
                continue;
            };
            // Exactly the schema `SELECT *` sends, nullability and column metadata too:
            // BI tools compare the two, and JDBC's getColumns reads it.
            builder.append(
                &catalog,
                &schema_name,
                &name,
                table_type_name(table.table_type()),
                &egress_schema(&table.schema()),
            )?;
        }
    }
    Ok(builder.build()?)
}

pub(crate) fn table_types(command: CommandGetTableTypes) -> Result<RecordBatch> {
    let mut builder = command.into_builder();
    for table_type in TABLE_TYPES {
        builder.append(table_type);
    }
    Ok(builder.build()?)
}

fn table_type_name(table_type: TableType) -> &'static str {
    match table_type {
        TableType::Base => "TABLE",
        TableType::View => "VIEW",
        TableType::Temporary => "LOCAL TEMPORARY",
    }
}

fn catalog_list(session: &Session) -> Arc<dyn CatalogProviderList> {
    Arc::clone(session.ctx().state().catalog_list())
}

/// Every (catalog, schema name, schema) visible to the session.
fn schemas(session: &Session) -> Vec<(String, String, Arc<dyn SchemaProvider>)> {
    let catalogs = catalog_list(session);
    let with_information_schema = session.ctx().state().config().information_schema();
    let mut catalog_names = catalogs.catalog_names();
    catalog_names.sort();
    let mut found = Vec::new();
    for catalog_name in catalog_names {
        let Some(catalog) = catalogs.catalog(&catalog_name) else {
            continue;
        };
        let mut schema_names = catalog.schema_names();
        schema_names.sort();
        for schema_name in schema_names {
            if let Some(schema) = catalog.schema(&schema_name) {
                found.push((catalog_name.clone(), schema_name, schema));
            }
        }
        if with_information_schema {
            let information_schema: Arc<dyn SchemaProvider> =
                Arc::new(InformationSchemaProvider::new(Arc::clone(&catalogs)));
            found.push((
                catalog_name.clone(),
                INFORMATION_SCHEMA.to_string(),
                information_schema,
            ));
        }
    }
    found
}
