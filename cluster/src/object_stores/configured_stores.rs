//! [`ConfiguredStores`]: the object stores a server's tables live on, and the options each
//! was built from, so that a job can hand the same options to its executors. Kept as a
//! session-config extension shared by every session of the server.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionConfig;

use super::store_builder::build_object_store;
use super::store_options::ObjectStoreOptions;

/// The server's object stores by URL (`s3://bucket`). DataFusion resolves a store by its
/// bucket, so each bucket has one set of options, used by every table on it.
#[derive(Debug, Default)]
pub struct ConfiguredStores {
    stores: Mutex<BTreeMap<String, ObjectStoreOptions>>,
}

/// What [`ConfiguredStores::configure`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Configured {
    /// The store was built and registered.
    Built,
    /// The store existed with these options (or the statement gave none): kept as it was.
    Kept,
    /// The store existed with other options, which may not be replaced.
    Conflict,
}

impl ConfiguredStores {
    /// The stores of the sessions `config` belongs to, if it has any.
    pub fn of(config: &SessionConfig) -> Option<Arc<Self>> {
        config.get_extension::<Self>()
    }

    /// Makes `runtime` reach `store.url` with `store`'s options. No options: the existing
    /// store is kept, or one is built from the environment. Other options than the existing
    /// ones replace them only if `may_replace` (an admin's statement): otherwise tables of
    /// other users on the bucket would silently change credentials or endpoint.
    pub fn configure(
        &self,
        runtime: &RuntimeEnv,
        store: ObjectStoreOptions,
        may_replace: bool,
    ) -> Result<Configured> {
        let mut stores = self
            .stores
            .lock()
            .map_err(|_| DataFusionError::Internal("the object store table is poisoned".into()))?;
        if let Some(existing) = stores.get(&store.url) {
            if existing == &store || store.options.is_empty() {
                return Ok(Configured::Kept);
            }
            if !may_replace {
                return Ok(Configured::Conflict);
            }
        }
        let built = build_object_store(&store)?;
        let url = ObjectStoreUrl::parse(&store.url)?;
        runtime.register_object_store(url.as_ref(), built);
        tracing::info!(store = ?store, "object store configured");
        stores.insert(store.url.clone(), store);
        Ok(Configured::Built)
    }

    /// The options the store at `url` (`s3://bucket`) was configured with.
    pub fn options_for(&self, url: &str) -> Option<ObjectStoreOptions> {
        let stores = self.stores.lock().ok()?;
        stores.get(url.trim_end_matches('/')).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(pairs: &[(&str, &str)]) -> ObjectStoreOptions {
        ObjectStoreOptions {
            url: "s3://bucket".into(),
            options: pairs
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_bucket_keeps_its_options_unless_replacing_is_allowed() {
        let runtime = RuntimeEnv::default();
        let stores = ConfiguredStores::default();
        let first = s3(&[("aws.region", "eu-west-1")]);
        let other = s3(&[("aws.region", "us-east-1")]);
        assert_eq!(
            stores.configure(&runtime, first.clone(), false).unwrap(),
            Configured::Built
        );
        let url = ObjectStoreUrl::parse("s3://bucket").unwrap();
        assert!(runtime.object_store(&url).is_ok());
        assert_eq!(
            stores.configure(&runtime, first.clone(), false).unwrap(),
            Configured::Kept
        );
        assert_eq!(
            stores.configure(&runtime, s3(&[]), false).unwrap(),
            Configured::Kept
        );
        assert_eq!(
            stores.configure(&runtime, other.clone(), false).unwrap(),
            Configured::Conflict
        );
        assert_eq!(stores.options_for("s3://bucket"), Some(first));
        assert_eq!(
            stores.configure(&runtime, other.clone(), true).unwrap(),
            Configured::Built
        );
        assert_eq!(stores.options_for("s3://bucket/"), Some(other));
    }
}
