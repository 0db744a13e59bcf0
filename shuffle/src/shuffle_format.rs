//! [`ShuffleFormat`]: how a hash shuffle lays its output out on disk. The tuning guide's
//! "Shuffle Implementation" section, as a type the planner sets per session.

/// The two writers of the tuning guide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShuffleFormat {
    /// Hash-based: one file per (input partition, output partition), each batch's slices
    /// written as they arrive. Nothing is buffered across batches, but N inputs and M
    /// outputs make N × M files.
    FilePerPartition,
    /// Sort-based: slices are buffered per output partition (spilling the largest buffers
    /// under pressure) and written at the end as one data file per input partition plus
    /// an index of where each output partition's bytes are: 2 × N files.
    Indexed(SortShuffleConfig),
}

/// `ballista.shuffle.sort_based.*`, as the sort-based writer uses them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortShuffleConfig {
    /// Bytes one output partition may hold in its coalescing buffer before the buffer is
    /// closed into a batch, even short of `batch_size` rows (wide rows stay bounded).
    pub buffer_size: u64,
    /// Bytes all buffers of one map task may hold together.
    pub memory_limit: u64,
    /// Fraction of `memory_limit` at which the largest buffers are spilled to disk.
    pub spill_threshold: f64,
    /// Rows per batch the writer coalesces to before writing or spilling.
    pub batch_size: usize,
}

impl SortShuffleConfig {
    /// Buffered bytes above which the writer spills.
    pub fn spill_bytes(&self) -> usize {
        let threshold = self.memory_limit as f64 * self.spill_threshold;
        usize::try_from(threshold as u64)
            .unwrap_or(usize::MAX)
            .max(1)
    }
}

impl Default for SortShuffleConfig {
    /// The tuning guide's defaults.
    fn default() -> Self {
        Self {
            buffer_size: 1 << 20,
            memory_limit: 256 << 20,
            spill_threshold: 0.8,
            batch_size: 8192,
        }
    }
}

impl Default for ShuffleFormat {
    /// Sort-based, as the tuning guide says.
    fn default() -> Self {
        Self::Indexed(SortShuffleConfig::default())
    }
}
