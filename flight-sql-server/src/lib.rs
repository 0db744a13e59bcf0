//! # trebuchet-flight-sql-server: the front door
//!
//! An Arrow Flight SQL server over DataFusion. Standard drivers (JDBC, ADBC, any Flight
//! SQL client) connect; each connection is a session with its own settings; queries run
//! on a [`trebuchet_cluster::QueryEngine`].
//!
//! ```text
//!   client ──gRPC──▶ SessionLayer (auth, session) ──▶ TrebuchetFlightService (switchboard)
//!                                                        ├─ statement / prepared_statement ─▶ query ─▶ QueryEngine
//!                                                        ├─ metadata/*   (catalog answers)
//!                                                        └─ session_options (SET over Flight)
//! ```
//!
//! Start reading at [`serve`] and `service.rs`.

mod auth;
mod call_metrics;
mod catalog;
mod catalog_journal;
mod cluster_tls_args;
mod cluster_token_file;
mod config;
mod config_docs;
mod error;
mod file_access;
mod flight_service;
mod handle;
mod handle_seal;
mod http_routes;
mod ingest;
mod local_cluster;
mod metadata;
mod mutex;
mod object_store_statements;
mod parameter_bindings;
mod parameters;
mod pending_polls;
mod planned_tickets;
mod prepared_statement;
mod query;
mod query_admission;
mod readiness_gate;
#[cfg(feature = "rest-api")]
mod rest_api;
mod result_schema;
mod running_queries;
mod secret_redaction;
mod server;
mod service;
mod session;
mod session_layer;
mod session_options;
mod statement;
mod statement_limits;
mod system_tables;
mod table_source;
mod tls;
mod tpch_dataset;
mod viewer;
#[cfg(feature = "rest-api")]
mod web_ui;

pub use auth::UserStore;
pub use catalog::SharedCatalog;
pub use catalog_journal::{CATALOG_FILE, CatalogJournal};
pub use cluster_tls_args::ClusterTlsArgs;
pub use cluster_token_file::{CLUSTER_TOKEN_FILE, load_or_create_cluster_token};
pub use config::{
    Cli, Command, DataArgs, ExecutorArgs, SchedulerArgs, ServerArgs, ServerConfig, StandaloneArgs,
    parse_duration,
};
pub use config_docs::configuration_markdown;
pub use error::{FlightSqlError, Result};
pub use file_access::{FileAccess, FileAction};
pub use local_cluster::{LocalCluster, LocalExecutors};
pub use server::{ClusterPort, serve, serve_cluster, serve_with_scheduler};
pub use table_source::register_table;
pub use tls::TlsFiles;
pub use tpch_dataset::{TPCH_TABLES, register_tpch, register_tpch_in_parts, write_tpch_parquet};
