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
mod cluster_tls;
mod grant;
mod live_follows;
mod service;

pub use client::{fetch_partition, follow_partition};
pub use cluster_tls::{ClusterTls, install_cluster_tls};
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

/// The decoders an executor's Flight port runs on bytes from the network, fed arbitrary
/// and altered input: none panics, and no grant but a signed one passes. Runs on every
/// `cargo test`, briefly.
#[cfg(test)]
mod fuzz {
    use std::time::SystemTime;

    use proptest::prelude::*;
    use prost::Message;

    use super::*;
    use crate::ids::JobId;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn arbitrary_grants_and_tickets_are_refused_without_panicking(
            grant in ".{0,200}",
            ticket in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let secret = ClusterSecret::generate();
            prop_assert!(secret.verify(&grant, SystemTime::now()).is_err());
            let _ = FetchPartitionTicket::decode(ticket.as_slice());
        }

        #[test]
        fn no_altered_grant_passes(position in any::<prop::sample::Index>(), replacement in any::<char>()) {
            let secret = ClusterSecret::generate();
            let grant = secret.grant(&JobId::new("job-1")).as_str().to_string();
            let mut characters: Vec<char> = grant.chars().collect();
            let index = position.index(characters.len());
            prop_assume!(characters[index] != replacement);
            characters[index] = replacement;
            let altered: String = characters.into_iter().collect();
            prop_assert!(secret.verify(&altered, SystemTime::now()).is_err());
        }
    }
}
