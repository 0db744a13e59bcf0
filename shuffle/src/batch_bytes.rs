//! What a batch's own rows weigh. A batch sliced from a larger one, or decoded from a
//! file segment beside its neighbours, shares their buffers; counting whole buffers would
//! weigh it as all of them. And a copy of its own, for what is kept long.

use arrow::array::{Array, MutableArrayData, RecordBatch, RecordBatchOptions, make_array};
use arrow::error::ArrowError;

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

/// `batch` with buffers of its own, if it shares far larger ones (it is a slice of a bigger
/// batch: concatenating a single slice copies nothing). What is kept in memory must not
/// keep a whole parent alive behind a few rows, beyond what the budget was charged.
pub(crate) fn unshared(batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    // Small batches weigh mostly their arrays' own structs: copying those would gain nothing.
    if batch.get_array_memory_size() <= 2 * own_bytes(&batch) + 4096 {
        return Ok(batch);
    }
    let columns = batch
        .columns()
        .iter()
        .map(|column| {
            let data = column.to_data();
            let mut copy = MutableArrayData::new(vec![&data], false, data.len());
            copy.try_extend(0, 0, data.len())?;
            Ok(make_array(copy.freeze()))
        })
        .collect::<Result<_, ArrowError>>()?;
    RecordBatch::try_new_with_options(
        batch.schema(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;

    use super::*;

    #[test]
    fn a_small_slice_of_a_large_batch_gets_buffers_of_its_own() {
        let values: Arc<dyn Array> = Arc::new(Int64Array::from_iter_values(0..100_000));
        let batch = RecordBatch::try_from_iter([("v", values)]).unwrap();
        let slice = batch.slice(10, 5_000);
        assert!(slice.get_array_memory_size() > 10 * own_bytes(&slice));
        let owned = unshared(slice.clone()).unwrap();
        assert_eq!(owned, slice);
        assert!(owned.get_array_memory_size() < 2 * own_bytes(&owned));
        // A batch that is all its buffers hold stays as it is.
        let kept = unshared(batch.clone()).unwrap();
        assert!(Arc::ptr_eq(kept.column(0), batch.column(0)));
    }
}
