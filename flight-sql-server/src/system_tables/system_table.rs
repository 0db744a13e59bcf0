//! [`SystemTable`]: one table of the `system` schema. Its rows are read when a query is
//! planned (in `scan`), filtered by who asks, and handed to the plan as an in-memory scan,
//! which the cluster ships to an executor like any other in-memory table.

use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::physical_plan::ExecutionPlan;

use super::read_only::read_only_error;
use super::source::SystemTables;
use super::{executors, jobs, sessions, stages, tasks};

/// Which system table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SystemTableKind {
    Jobs,
    Stages,
    Tasks,
    Executors,
    Sessions,
}

impl SystemTableKind {
    /// Every system table, in the order they are listed.
    pub(crate) const ALL: [Self; 5] = [
        Self::Executors,
        Self::Jobs,
        Self::Sessions,
        Self::Stages,
        Self::Tasks,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Jobs => "jobs",
            Self::Stages => "stages",
            Self::Tasks => "tasks",
            Self::Executors => "executors",
            Self::Sessions => "sessions",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    fn schema(self) -> SchemaRef {
        match self {
            Self::Jobs => jobs::schema(),
            Self::Stages => stages::schema(),
            Self::Tasks => tasks::schema(),
            Self::Executors => executors::schema(),
            Self::Sessions => sessions::schema(),
        }
    }

    /// The table's rows as the session `caller_id` may see them, now.
    async fn read(self, source: &SystemTables, caller_id: &str) -> Result<RecordBatch> {
        let batch = match self {
            Self::Jobs => jobs::batch(&source.cluster_view(caller_id).await?.jobs),
            Self::Stages => stages::batch(&source.cluster_view(caller_id).await?.jobs),
            Self::Tasks => tasks::batch(&source.cluster_view(caller_id).await?.jobs),
            Self::Executors => executors::batch(&source.cluster_view(caller_id).await?.executors),
            Self::Sessions => sessions::batch(&source.sessions(caller_id), caller_id),
        };
        Ok(batch?)
    }
}

/// A read-only table of the `system` schema.
pub(crate) struct SystemTable {
    kind: SystemTableKind,
    schema: SchemaRef,
    source: SystemTables,
}

impl SystemTable {
    pub(crate) fn new(kind: SystemTableKind, source: SystemTables) -> Self {
        Self {
            kind,
            schema: kind.schema(),
            source,
        }
    }
}

impl fmt::Debug for SystemTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemTable")
            .field("name", &self.kind.name())
            .finish_non_exhaustive()
    }
}

#[tonic::async_trait]
impl TableProvider for SystemTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// Base tables, so `DROP TABLE system.jobs` finds them and is refused, rather than
    /// reporting them missing.
    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = self.kind.read(&self.source, state.session_id()).await?;
        // Only the columns asked for go into the plan, which travels to an executor: a
        // query of job ids need not carry every stage's plan text.
        let (batch, schema) = match projection {
            Some(columns) => (
                batch.project(columns)?,
                Arc::new(self.schema.project(columns)?),
            ),
            None => (batch, Arc::clone(&self.schema)),
        };
        let scan = MemorySourceConfig::try_new_exec(&[vec![batch]], schema, None)?;
        Ok(scan)
    }

    async fn insert_into(
        &self,
        _state: &dyn Session,
        _input: Arc<dyn ExecutionPlan>,
        _insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Err(read_only_error(&format!(
            "writing to system.{}",
            self.kind.name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use datafusion::prelude::SessionContext;

    use super::super::source::test_registry;
    use super::*;

    async fn rows(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
        ctx.sql(sql).await.unwrap().collect().await.unwrap()
    }

    fn strings(batches: &[RecordBatch], column: usize) -> Vec<Option<String>> {
        batches
            .iter()
            .flat_map(|batch| {
                let values = batch.column(column).as_string::<i32>();
                (0..values.len())
                    .map(|row| values.is_valid(row).then(|| values.value(row).to_string()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[tokio::test]
    async fn a_user_sees_their_own_sessions_and_an_admin_everyones() {
        let registry = test_registry(&["alice:a", "bob:b", "carol:c"], &["carol"]);
        let alice = registry.open(Some("alice".into())).unwrap();
        let bob = registry.open(Some("bob".into())).unwrap();
        let carol = registry.open(Some("carol".into())).unwrap();
        let sql = "SELECT user_name, session_id FROM system.sessions WHERE is_current";
        let own = rows(bob.ctx(), sql).await;
        assert_eq!(strings(&own, 0), [Some("bob".to_string())]);
        assert_eq!(strings(&own, 1), [Some(bob.id().to_string())]);

        let sql = "SELECT user_name FROM system.sessions ORDER BY user_name";
        assert_eq!(
            strings(&rows(bob.ctx(), sql).await, 0),
            [Some("bob".into())]
        );
        let all = strings(&rows(carol.ctx(), sql).await, 0);
        assert_eq!(
            all,
            [
                Some("alice".into()),
                Some("bob".into()),
                Some("carol".into())
            ]
        );
        drop(alice);
    }

    #[tokio::test]
    async fn without_users_everyone_sees_every_session() {
        let registry = test_registry(&[], &[]);
        let first = registry.open(None).unwrap();
        let _second = registry.open(None).unwrap();
        let batches = rows(first.ctx(), "SELECT session_id FROM system.sessions").await;
        assert_eq!(strings(&batches, 0).len(), 2);
    }

    #[tokio::test]
    async fn tables_read_the_scheduler_when_queried() {
        let registry = test_registry(&[], &[]);
        let session = registry.open(None).unwrap();
        for kind in SystemTableKind::ALL {
            let sql = format!("SELECT * FROM system.{}", kind.name());
            let batches = rows(session.ctx(), &sql).await;
            let schema = batches[0].schema();
            assert_eq!(schema.fields(), kind.schema().fields(), "{sql}");
        }
        // No executor registered and no job ran.
        let executors = rows(session.ctx(), "SELECT count(*) FROM system.executors").await;
        assert_eq!(
            executors[0]
                .column(0)
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0),
            0
        );
    }

    #[tokio::test]
    async fn the_schema_is_listed_with_its_tables() {
        let registry = test_registry(&[], &[]);
        let session = registry.open(None).unwrap();
        let catalog = session.ctx().catalog("datafusion").unwrap();
        assert!(catalog.schema_names().contains(&"system".to_string()));
        let mut names = catalog.schema("system").unwrap().table_names();
        names.sort();
        assert_eq!(names, ["executors", "jobs", "sessions", "stages", "tasks"]);
    }
}
