//! Tables on object stores (S3, Google Cloud Storage, Azure, HTTP): how a store is described,
//! built, remembered by the server and handed to the executors that read it.
//!
//! ```text
//!   front door:  CREATE EXTERNAL TABLE … LOCATION 's3://b/…' OPTIONS ('aws.…' …)
//!                  └─ ObjectStoreOptions { url: s3://b, options } ──▶ ConfiguredStores
//!                     (built with build_object_store, registered in the server's RuntimeEnv)
//!   a job:       the plan's scans name s3://b ──▶ stores_read_by ──▶ options shipped with
//!                every task (TaskDefinition.object_stores, over the authenticated cluster gRPC)
//!   executor:    StoreCache builds (once) and registers them in the task's own RuntimeEnv
//! ```
//!
//! Each process also reads the standard environment variables of its store (`AWS_*`,
//! `GOOGLE_*`, `AZURE_*`): options given in SQL travel with the tasks, the environment does
//! not. Secret option values never leave [`ObjectStoreOptions`] in a `Debug` or log line.

mod configured_stores;
mod store_builder;
mod store_cache;
mod store_options;
mod stores_read_by;

pub use configured_stores::{Configured, ConfiguredStores};
pub use store_builder::build_object_store;
pub(crate) use store_cache::StoreCache;
pub use store_options::{
    ObjectStoreOptions, REDACTED, is_secret_option, names_server_credentials, store_namespace,
};
pub(crate) use stores_read_by::stores_read_by;
