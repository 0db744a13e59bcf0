//! # trebuchet-shuffle: the data plane
//!
//! Stages of a distributed query exchange data through *shuffle partitions*: Arrow IPC
//! files written by the producing stage and read by the consuming one.
//!
//! ```text
//!   stage k, map task t ──▶ <root>/<job>/s<stage>-m<map task>-a<attempt>-p<output partition>.arrow
//!   stage k+1, partition p ◀── read part p of every map task (locally or over Flight)
//! ```
//!
//! Start with [`ShuffleWriterExec`] (the root of every stage) and [`ShuffleReaderExec`]
//! (how the next stage reads it back); [`ShuffleLayout`] decides where every file lives,
//! and [`ids`] holds the typed identifiers the control plane shares with this crate.

mod batch_bytes;
mod compact_views;
mod error;
mod fetch;
mod flight_data;
pub mod ids;
mod in_process;
mod indexed_file;
mod layout;
mod live_partition;
mod partition_buffers;
mod partition_file;
mod partition_tail;
mod read_slice;
mod resident_outputs;
mod shuffle_format;
mod shuffle_reader;
mod shuffle_writer;

pub use error::{Result, ShuffleError};
pub use fetch::{
    ClusterSecret, ClusterTls, FetchGrant, GRANT_LIFETIME, GrantDefect, KnownJobs, MAX_FOLLOWS,
    ShuffleFlightService, fetch_partition, follow_partition, install_cluster_tls,
};
pub use flight_data::FlightDataStream;
pub use in_process::{InProcessExecutor, runs_in_this_process};
pub use indexed_file::PartitionBatches;
pub use layout::ShuffleLayout;
pub use live_partition::MAX_UNREAD_RESULT_BYTES;
pub use partition_file::{PartitionSummary, read_partition};
pub use read_slice::ReadSlice;
pub use resident_outputs::ShuffleMemory;
pub use shuffle_format::{ShuffleFormat, SortShuffleConfig};
pub use shuffle_reader::{PartitionLocation, RemoteExecutor, ShuffleReaderExec};
pub use shuffle_writer::{ShuffleOutput, ShuffleWriterExec, read_summary_batch, summary_schema};
