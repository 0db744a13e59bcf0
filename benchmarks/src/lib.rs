//! # trebuchet-benchmarks: how fast are we next to the engine we are built on?
//!
//! The `tpch` binary generates TPC-H data and runs the 22 queries against Trebuchet (over
//! Flight SQL, the way users run it) and against single-process DataFusion on the same
//! files, alternating query by query so that a noisy machine slows both alike.
//!
//! ```text
//!   tpch datagen ──▶ DIR/<table>/part-<n>.parquet
//!   tpch run ──▶ for each query: [trebuchet ▸ datafusion] × iterations ──▶ table + JSON
//! ```
//!
//! Start reading at [`run`].

mod engine;
mod error;
mod report;
mod tpch;

pub use engine::{DataFusionEngine, Engine, EngineKind, FlightSqlEngine};
pub use error::{BenchError, Result};
pub use report::{QueryTiming, Report};
pub use tpch::TABLES;
pub use tpch::datagen::datagen;
pub use tpch::queries::{QuerySet, query_statements};
pub use tpch::run::{RunOptions, Setup, TrebuchetTarget, run};
