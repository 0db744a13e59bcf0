//! Shuffle partitions over Arrow Flight: executors serve the files they wrote
//! ([`ShuffleFlightService`]) and readers on other executors fetch them
//! ([`fetch_partition`]), streaming, batch by batch.
//!
//! The ticket names the file by the path its writer reported; the service only serves
//! `.arrow` files below its own shuffle root, so a ticket cannot reach anything else.

mod client;
mod service;

pub use client::fetch_partition;
pub use service::ShuffleFlightService;

/// A `DoGet` ticket: which partition file to stream.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct FetchPartitionTicket {
    #[prost(string, tag = "1")]
    pub(crate) path: String,
    /// For an indexed data file, the partition wanted: only its byte range is sent.
    #[prost(uint32, optional, tag = "2")]
    pub(crate) index_entry: Option<u32>,
}
