//! Integration tests: the real server on 127.0.0.1:0, driven by arrow-flight's
//! `FlightSqlServiceClient` and raw Flight calls, the way drivers talk to it.

// Test helpers outside #[test] functions: failing loudly is their job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

mod cancellation;
mod catalog_restart;
mod cluster;
mod cluster_tls;
mod data_plane_auth;
mod deep_plans;
mod differential;
mod errors;
mod executor_joins;
mod file_access;
mod graceful;
mod handshake;
mod health;
mod join_strategy;
mod memory_pool;
mod metadata;
mod multi_user;
mod partitions;
mod prepared;
mod processes;
mod resource_bounds;
mod session_options;
mod stage_layouts;
mod statement;
mod tls;
