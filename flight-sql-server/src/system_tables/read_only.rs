//! The `system` schema is read-only. DDL and DML naming it are refused before they run,
//! with one message whatever the statement: DataFusion itself would report `DROP TABLE
//! system.jobs` as a missing table, as it drops the error the schema gives.

use datafusion::common::{SchemaReference, TableReference};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};

use super::system_schema::{SYSTEM_SCHEMA, SystemSchema};

/// The error for `what` (e.g. `dropping table system.jobs`) on the `system` schema.
pub(crate) fn read_only_error(what: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "{what} is not allowed: the system schema is read-only"
    ))
}

/// Refuses `plan` if it creates, drops or writes anything in the `system` schema of
/// `state`'s catalogs.
pub(crate) fn refuse_system_changes(plan: &LogicalPlan, state: &SessionState) -> Result<()> {
    let Some((action, target)) = changed_object(plan) else {
        return Ok(());
    };
    let defaults = &state.config_options().catalog;
    let (catalog, schema) = match &target {
        Target::Table(table) => {
            let resolved = table
                .clone()
                .resolve(&defaults.default_catalog, &defaults.default_schema);
            (resolved.catalog.to_string(), resolved.schema.to_string())
        }
        Target::Schema { catalog, schema } => (
            catalog
                .clone()
                .unwrap_or_else(|| defaults.default_catalog.clone()),
            schema.clone(),
        ),
    };
    let is_system = schema == SYSTEM_SCHEMA
        && state
            .catalog_list()
            .catalog(&catalog)
            .and_then(|catalog| catalog.schema(SYSTEM_SCHEMA))
            .is_some_and(|schema| schema.is::<SystemSchema>());
    if is_system {
        return Err(read_only_error(&format!("{action} {}", target.name())));
    }
    Ok(())
}

/// What a statement changes.
enum Target {
    Table(TableReference),
    Schema {
        catalog: Option<String>,
        schema: String,
    },
}

impl Target {
    fn name(&self) -> String {
        match self {
            Self::Table(table) => table.to_string(),
            Self::Schema {
                catalog: Some(catalog),
                schema,
            } => format!("{catalog}.{schema}"),
            Self::Schema {
                catalog: None,
                schema,
            } => schema.clone(),
        }
    }
}

/// What `plan` does, in words, and to which object; `None` for a plan that changes no
/// table or schema.
fn changed_object(plan: &LogicalPlan) -> Option<(&'static str, Target)> {
    let table = |action, name: &TableReference| Some((action, Target::Table(name.clone())));
    match plan {
        LogicalPlan::Dml(dml) => table("writing to", &dml.table_name),
        LogicalPlan::Ddl(ddl) => match ddl {
            DdlStatement::CreateExternalTable(create) => table("creating table", &create.name),
            DdlStatement::CreateMemoryTable(create) => table("creating table", &create.name),
            DdlStatement::CreateView(create) => table("creating view", &create.name),
            DdlStatement::CreateIndex(create) => table("creating an index on", &create.table),
            DdlStatement::DropTable(drop) => table("dropping table", &drop.name),
            DdlStatement::DropView(drop) => table("dropping view", &drop.name),
            DdlStatement::CreateCatalogSchema(create) => {
                // As DataFusion reads it: `schema` or `catalog.schema`.
                let (catalog, schema) = match create.schema_name.split_once('.') {
                    Some((catalog, schema)) => (Some(catalog.to_string()), schema.to_string()),
                    None => (None, create.schema_name.clone()),
                };
                Some(("creating schema", Target::Schema { catalog, schema }))
            }
            DdlStatement::DropCatalogSchema(drop) => {
                let catalog = match &drop.name {
                    SchemaReference::Bare { .. } => None,
                    SchemaReference::Full { catalog, .. } => Some(catalog.to_string()),
                };
                let schema = drop.name.schema_name().to_string();
                Some(("dropping schema", Target::Schema { catalog, schema }))
            }
            DdlStatement::CreateCatalog(_)
            | DdlStatement::CreateFunction(_)
            | DdlStatement::DropFunction(_) => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::source::test_registry;
    use crate::query::PlannedStatement;

    async fn refusal(sql: &str) -> String {
        let registry = test_registry(&[], &[]);
        let session = registry.open(None).unwrap();
        let statement = PlannedStatement::plan(&session, sql, None).await.unwrap();
        statement
            .run_command(&session)
            .await
            .unwrap_err()
            .to_string()
    }

    #[tokio::test]
    async fn ddl_and_dml_on_the_system_schema_are_refused() {
        for (sql, what) in [
            ("CREATE TABLE system.x (a INT)", "creating table system.x"),
            (
                "CREATE TABLE system.jobs AS SELECT 1",
                "creating table system.jobs",
            ),
            ("CREATE VIEW system.v AS SELECT 1", "creating view system.v"),
            ("DROP TABLE system.jobs", "dropping table system.jobs"),
            (
                "DROP TABLE IF EXISTS system.jobs",
                "dropping table system.jobs",
            ),
            ("DROP VIEW system.jobs", "dropping view system.jobs"),
            ("DROP SCHEMA system CASCADE", "dropping schema system"),
            (
                "CREATE SCHEMA datafusion.system",
                "creating schema datafusion.system",
            ),
            (
                "INSERT INTO system.sessions SELECT * FROM system.sessions",
                "writing to system.sessions",
            ),
            ("DELETE FROM system.jobs", "writing to system.jobs"),
        ] {
            let message = refusal(sql).await;
            assert!(
                message.contains(&format!(
                    "{what} is not allowed: the system schema is read-only"
                )),
                "{sql}: {message}"
            );
        }
    }

    #[tokio::test]
    async fn other_schemas_stay_writable() {
        let registry = test_registry(&[], &[]);
        let session = registry.open(None).unwrap();
        for sql in [
            "CREATE SCHEMA other",
            "CREATE TABLE other.jobs AS SELECT * FROM system.jobs",
            "CREATE TABLE jobs (a INT)",
            "DROP TABLE jobs",
        ] {
            let statement = PlannedStatement::plan(&session, sql, None).await.unwrap();
            statement.run_command(&session).await.unwrap();
        }
    }

    #[tokio::test]
    async fn the_schema_itself_refuses_changes_made_around_sql() {
        let registry = test_registry(&[], &[]);
        let session = registry.open(None).unwrap();
        let table = datafusion::datasource::empty::EmptyTable::new(std::sync::Arc::new(
            arrow::datatypes::Schema::empty(),
        ));
        let err = session
            .ctx()
            .register_table("system.x", std::sync::Arc::new(table))
            .unwrap_err();
        assert!(err.to_string().contains("read-only"), "{err}");
        let err = session.ctx().deregister_table("system.jobs").unwrap_err();
        assert!(err.to_string().contains("read-only"), "{err}");
    }
}
