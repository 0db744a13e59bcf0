//! [`SystemSchema`]: the read-only `system` schema holding the system tables.

use std::sync::Arc;

use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::Result;

use super::read_only::read_only_error;
use super::source::SystemTables;
use super::system_table::{SystemTable, SystemTableKind};

/// The schema's name in the default catalog.
pub(crate) const SYSTEM_SCHEMA: &str = "system";

/// The `system` schema: its tables are fixed, and creating or dropping one is refused.
#[derive(Debug)]
pub(crate) struct SystemSchema {
    source: SystemTables,
}

impl SystemSchema {
    pub(crate) fn new(source: SystemTables) -> Self {
        Self { source }
    }
}

#[tonic::async_trait]
impl SchemaProvider for SystemSchema {
    fn table_names(&self) -> Vec<String> {
        SystemTableKind::ALL
            .iter()
            .map(|kind| kind.name().to_string())
            .collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(SystemTableKind::from_name(name).map(|kind| {
            Arc::new(SystemTable::new(kind, self.source.clone())) as Arc<dyn TableProvider>
        }))
    }

    fn register_table(
        &self,
        name: String,
        _table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        Err(read_only_error(&format!("creating table system.{name}")))
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Err(read_only_error(&format!("dropping table system.{name}")))
    }

    fn table_exist(&self, name: &str) -> bool {
        SystemTableKind::from_name(name).is_some()
    }
}
