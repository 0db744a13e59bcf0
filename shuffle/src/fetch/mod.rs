//! Shuffle partitions over Arrow Flight: executors serve the files they wrote
//! ([`ShuffleFlightService`]) and readers on other executors fetch them
//! ([`fetch_partition`]), streaming, batch by batch.
//!
//! The ticket names the file by the path its writer reported; the service only serves
//! `.arrow` files below its own shuffle root, so a ticket cannot reach anything else.
//! A ticket may instead name a passed-through partition by its task ([`LivePartition`]):
//! the service then follows the file as its task writes it, which is how the final stage
//! streams to the client before the job ends.
//!
//! Every call carries a [`FetchGrant`] signed with the cluster's secret and naming the job
//! whose data it reads; the service refuses anything else.

mod client;
mod grant;
mod live_follows;
mod service;

pub use client::{fetch_partition, follow_partition};
pub use grant::{ClusterSecret, FetchGrant, GRANT_LIFETIME, GrantDefect};
pub use live_follows::{KnownJobs, MAX_FOLLOWS};
pub use service::ShuffleFlightService;
#[cfg(test)]
pub(crate) use service::{serve_flight, test_secret};

/// A `DoGet` ticket: which partition file to stream.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct FetchPartitionTicket {
    #[prost(string, tag = "1")]
    pub(crate) path: String,
    /// For an indexed data file, the partition wanted: only its byte range is sent.
    #[prost(uint32, optional, tag = "2")]
    pub(crate) index_entry: Option<u32>,
    /// Set instead of `path`: the partition a task passes through, followed as it grows.
    #[prost(message, optional, tag = "3")]
    pub(crate) live: Option<LivePartition>,
}

/// The output of one attempt of a task that passes its input partition through (its
/// file is named by the task alone, so it can be asked for before the task has started).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct LivePartition {
    #[prost(string, tag = "1")]
    pub(crate) job: String,
    #[prost(uint32, tag = "2")]
    pub(crate) stage: u32,
    #[prost(uint32, tag = "3")]
    pub(crate) partition: u32,
    #[prost(uint32, tag = "4")]
    pub(crate) attempt: u32,
}
