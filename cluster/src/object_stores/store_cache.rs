//! [`StoreCache`]: an executor's object store clients, built once per set of options and
//! reused by every task that ships the same options (a client holds a connection pool and
//! cached credentials). Each task gets a registry of its own holding just its job's stores,
//! so two jobs with different options for one bucket never see each other's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::{
    DefaultObjectStoreRegistry, ObjectStoreRegistry, ObjectStoreUrl,
};
use datafusion::execution::runtime_env::RuntimeEnv;
use object_store::ObjectStore;

use super::store_builder::build_object_store;
use super::store_options::ObjectStoreOptions;

/// Clients kept at most; past this the cache starts over (options rarely change, so this
/// only bounds a server that keeps rotating credentials).
const MAX_CACHED_STORES: usize = 64;

/// Built object store clients by the options they were built from.
#[derive(Debug, Default)]
pub(crate) struct StoreCache {
    stores: Mutex<HashMap<ObjectStoreOptions, Arc<dyn ObjectStore>>>,
}

impl StoreCache {
    /// `runtime` with a registry holding local files and the stores of `wanted`.
    pub(crate) fn runtime_with(
        &self,
        runtime: Arc<RuntimeEnv>,
        wanted: &[ObjectStoreOptions],
    ) -> Result<Arc<RuntimeEnv>> {
        if wanted.is_empty() {
            return Ok(runtime);
        }
        let registry = DefaultObjectStoreRegistry::new();
        for options in wanted {
            let url = ObjectStoreUrl::parse(&options.url)?;
            registry.register_store(url.as_ref(), self.store(options)?);
        }
        Ok(Arc::new(RuntimeEnv {
            object_store_registry: Arc::new(registry),
            ..RuntimeEnv::clone(&runtime)
        }))
    }

    fn store(&self, options: &ObjectStoreOptions) -> Result<Arc<dyn ObjectStore>> {
        let mut stores = self
            .stores
            .lock()
            .map_err(|_| DataFusionError::Internal("the object store cache is poisoned".into()))?;
        if let Some(store) = stores.get(options) {
            return Ok(Arc::clone(store));
        }
        let store = build_object_store(options)?;
        if stores.len() >= MAX_CACHED_STORES {
            stores.clear();
        }
        stores.insert(options.clone(), Arc::clone(&store));
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_get_their_jobs_stores_and_share_the_clients() {
        let cache = StoreCache::default();
        let base = Arc::new(RuntimeEnv::default());
        let wanted = vec![ObjectStoreOptions {
            url: "s3://bucket".into(),
            options: [("aws.region".to_string(), "eu-west-1".to_string())].into(),
        }];
        let first = cache.runtime_with(Arc::clone(&base), &wanted).unwrap();
        let second = cache.runtime_with(Arc::clone(&base), &wanted).unwrap();
        let bucket = ObjectStoreUrl::parse("s3://bucket").unwrap();
        let (a, b) = (
            first.object_store(&bucket).unwrap(),
            second.object_store(&bucket).unwrap(),
        );
        assert!(Arc::ptr_eq(&a, &b));
        assert!(
            first
                .object_store(ObjectStoreUrl::local_filesystem())
                .is_ok()
        );
        assert!(base.object_store(&bucket).is_err());
        assert!(Arc::ptr_eq(
            &cache.runtime_with(Arc::clone(&base), &[]).unwrap(),
            &base
        ));
    }
}
