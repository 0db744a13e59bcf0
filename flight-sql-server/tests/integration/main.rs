//! Integration tests: the real server on 127.0.0.1:0, driven by arrow-flight's
//! `FlightSqlServiceClient` and raw Flight calls, the way drivers talk to it.

// Test helpers outside #[test] functions: failing loudly is their job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

mod cancellation;
mod cluster;
mod errors;
mod handshake;
mod join_strategy;
mod memory_pool;
mod metadata;
mod partitions;
mod prepared;
mod processes;
mod session_options;
mod stage_layouts;
mod statement;
mod tls;
