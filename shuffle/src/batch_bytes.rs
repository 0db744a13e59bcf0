//! What a batch's own rows weigh. A batch sliced from a larger one, or decoded from a
//! file segment beside its neighbours, shares their buffers; counting whole buffers would
//! weigh it as all of them.

use arrow::array::{Array, RecordBatch};

/// The bytes of `batch`'s own rows, across its columns.
pub(crate) fn own_bytes(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|column| {
            column
                .to_data()
                .get_slice_memory_size()
                .unwrap_or_else(|_| column.get_array_memory_size())
        })
        .sum()
}
