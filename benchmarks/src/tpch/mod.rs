//! TPC-H: the data, the queries and the run that times them.

pub(crate) mod datagen;
pub(crate) mod queries;
pub(crate) mod run;

/// The eight TPC-H tables, each a directory of Parquet files under the data directory.
pub const TABLES: [&str; 8] = [
    "customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier",
];
