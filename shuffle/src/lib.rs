//! # trebuchet-shuffle: the data plane
//!
//! Stages of a distributed query exchange data through *shuffle partitions*: Arrow IPC
//! files written by the producing stage and read by the consuming one.
//!
//! ```text
//!   stage k, map task t ──▶ <root>/<job>/<stage>/<map task>/<output partition>.arrow
//!   stage k+1, partition p ◀── read part p of every map task (locally or over Flight)
//! ```
//!
//! Start with [`ShuffleLayout`], which decides where every file lives, and [`ids`], the
//! typed identifiers the control plane (`trebuchet-cluster`) shares with this crate.

mod error;
pub mod ids;
mod layout;

pub use error::{Result, ShuffleError};
pub use layout::ShuffleLayout;
