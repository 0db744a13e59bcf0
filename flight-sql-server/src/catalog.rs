//! The one catalog all sessions share: a table created in one session is visible in all,
//! while each session keeps its own settings.

use std::sync::Arc;

use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemoryCatalogProvider, MemoryCatalogProviderList,
    MemorySchemaProvider,
};
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionContext;
use trebuchet_cluster::{
    ConfiguredStores, SelectiveJoinsFirst, ServerSessionDefaults, default_session_config,
    physical_optimizer_rules,
};

use crate::catalog_journal::CatalogJournal;
use crate::error::{FlightSqlError, Result};
use crate::file_access::FileAccess;
use crate::system_tables::{CatalogListWithSystem, SystemSchema, SystemTables};

/// Catalogs, object stores and caches shared by every session of a server.
#[derive(Debug, Clone)]
pub struct SharedCatalog {
    /// A session state with default settings, cloned for each new session: much cheaper
    /// than registering every function again, which matters for clients that open a
    /// session per call.
    template: Arc<SessionState>,
}

impl Default for SharedCatalog {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedCatalog {
    /// An empty catalog holding the default `datafusion.public` schema.
    pub fn new() -> Self {
        let defaults = default_session_config();
        let catalog_options = &defaults.options().catalog;
        let catalog = MemoryCatalogProvider::new();
        catalog
            .register_schema(
                &catalog_options.default_schema,
                Arc::new(MemorySchemaProvider::new()),
            )
            .expect("a new in-memory catalog accepts its first schema");
        let catalogs: Arc<dyn CatalogProviderList> = Arc::new(MemoryCatalogProviderList::new());
        catalogs.register_catalog(catalog_options.default_catalog.clone(), Arc::new(catalog));
        // One set of object stores for all sessions, as their tables are shared; jobs find
        // here the options to send their executors.
        let defaults = defaults.with_extension(Arc::new(ConfiguredStores::default()));
        let template = SessionStateBuilder::new()
            .with_config(defaults)
            .with_runtime_env(Arc::new(RuntimeEnv::default()))
            .with_default_features()
            .with_physical_optimizer_rules(physical_optimizer_rules())
            .with_query_planner(Arc::new(SelectiveJoinsFirst))
            .with_catalog_list(catalogs)
            .build();
        Self {
            template: Arc::new(template),
        }
    }

    /// The same catalog, its sessions bound by `files`: every statement naming a path is
    /// checked against it before it runs (see `FileAccess`).
    pub(crate) fn with_file_access(self, files: FileAccess) -> Self {
        let mut template = SessionState::clone(&self.template);
        template.config_mut().set_extension(Arc::new(files));
        Self {
            template: Arc::new(template),
        }
    }

    /// The same catalog, its sessions starting from `settings` (`--session-default`); a
    /// key or value DataFusion refuses is a configuration error naming it. The server
    /// applies them to the catalog it serves, whoever built it; the binary applies them
    /// first, before it registers its tables, and the second time changes nothing.
    pub fn with_session_defaults(self, settings: &[(String, String)]) -> Result<Self> {
        let mut template = SessionState::clone(&self.template);
        ServerSessionDefaults::apply(settings.to_vec(), &mut template).map_err(|err| {
            FlightSqlError::InvalidConfig {
                reason: format!("--session-default: {err}"),
            }
        })?;
        Ok(Self {
            template: Arc::new(template),
        })
    }

    /// The same catalog, its sessions recording the tables and views they make or drop
    /// with DDL in `journal` (see `catalog_journal.rs`).
    pub(crate) fn with_catalog_journal(self, journal: Arc<CatalogJournal>) -> Self {
        let mut template = SessionState::clone(&self.template);
        template.config_mut().set_extension(journal);
        Self {
            template: Arc::new(template),
        }
    }

    /// The same catalog, its default catalog showing the read-only `system` schema, whose
    /// tables read `system`.
    pub(crate) fn with_system_tables(self, system: SystemTables) -> Self {
        let template = SessionState::clone(&self.template);
        let default_catalog = template.config_options().catalog.default_catalog.clone();
        let catalogs = CatalogListWithSystem::new(
            Arc::clone(template.catalog_list()),
            default_catalog,
            SystemSchema::new(system),
        );
        let template = SessionStateBuilder::new_from_existing(template)
            .with_catalog_list(Arc::new(catalogs))
            .build();
        Self {
            template: Arc::new(template),
        }
    }

    /// A new session over this catalog, starting from Trebuchet's default settings.
    pub fn new_session_context(&self) -> SessionContext {
        // Each session gets its own id: jobs, and the results a closed session releases,
        // are told apart by it.
        let state = SessionStateBuilder::new_from_existing(SessionState::clone(&self.template))
            .with_session_id(uuid::Uuid::new_v4().to_string())
            .build();
        SessionContext::new_with_state(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tables_are_shared_and_settings_are_not() {
        let catalog = SharedCatalog::new();
        let first = catalog.new_session_context();
        let second = catalog.new_session_context();
        assert_ne!(first.session_id(), second.session_id());

        first.sql("CREATE TABLE t AS SELECT 1 AS x").await.unwrap();
        first
            .sql("SET datafusion.execution.batch_size = 99")
            .await
            .unwrap();

        let rows = second
            .sql("SELECT x FROM t")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(rows[0].num_rows(), 1);
        assert_eq!(first.state().config().batch_size(), 99);
        assert_eq!(second.state().config().batch_size(), 8192);
    }
}
