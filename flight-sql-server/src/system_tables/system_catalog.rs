//! The shared catalogs as one server's sessions see them: the default catalog gains the
//! `system` schema. The shared catalogs themselves are left alone, so the schema (and the
//! scheduler handle it holds) lives only as long as that server's sessions.

use std::sync::Arc;

use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider};
use datafusion::error::Result;

use super::read_only::read_only_error;
use super::system_schema::{SYSTEM_SCHEMA, SystemSchema};

/// `inner`, its catalog `catalog` showing `system` among its schemas.
#[derive(Debug)]
pub(crate) struct CatalogListWithSystem {
    inner: Arc<dyn CatalogProviderList>,
    catalog: String,
    system: Arc<SystemSchema>,
}

impl CatalogListWithSystem {
    pub(crate) fn new(
        inner: Arc<dyn CatalogProviderList>,
        catalog: String,
        system: SystemSchema,
    ) -> Self {
        Self {
            inner,
            catalog,
            system: Arc::new(system),
        }
    }
}

impl CatalogProviderList for CatalogListWithSystem {
    fn register_catalog(
        &self,
        name: String,
        catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        self.inner.register_catalog(name, catalog)
    }

    fn catalog_names(&self) -> Vec<String> {
        self.inner.catalog_names()
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        let catalog = self.inner.catalog(name)?;
        if name != self.catalog {
            return Some(catalog);
        }
        Some(Arc::new(CatalogWithSystem {
            inner: catalog,
            system: Arc::clone(&self.system),
        }))
    }
}

/// A catalog with the `system` schema beside its own, which no DDL can replace or drop.
#[derive(Debug)]
struct CatalogWithSystem {
    inner: Arc<dyn CatalogProvider>,
    system: Arc<SystemSchema>,
}

impl CatalogProvider for CatalogWithSystem {
    fn schema_names(&self) -> Vec<String> {
        let mut names = self.inner.schema_names();
        if !names.iter().any(|name| name == SYSTEM_SCHEMA) {
            names.push(SYSTEM_SCHEMA.to_string());
        }
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if name == SYSTEM_SCHEMA {
            return Some(Arc::clone(&self.system) as Arc<dyn SchemaProvider>);
        }
        self.inner.schema(name)
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        if name == SYSTEM_SCHEMA {
            return Err(read_only_error("creating schema system"));
        }
        self.inner.register_schema(name, schema)
    }

    fn deregister_schema(
        &self,
        name: &str,
        cascade: bool,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        if name == SYSTEM_SCHEMA {
            return Err(read_only_error("dropping schema system"));
        }
        self.inner.deregister_schema(name, cascade)
    }
}
