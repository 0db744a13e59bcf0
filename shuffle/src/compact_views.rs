//! View arrays (`Utf8View`, `BinaryView`) point into data buffers that other rows share: a
//! shuffle partition taken from a batch, or a batch decoded from a Parquet page, holds
//! every string of its source. Arrow IPC writes a view array's buffers whole, so a
//! partition written as it is would carry its siblings' strings too, once per partition.
//! Compacted, it carries only its own.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::buffer::Buffer;
use arrow::datatypes::DataType;

/// `batch` with each view column that holds more than twice the string bytes its rows use
/// copied into buffers of its own; other columns as they are, and `batch` itself when no
/// column needs it.
pub(crate) fn compact_views(batch: RecordBatch) -> RecordBatch {
    let compacted: Vec<Option<ArrayRef>> = batch.columns().iter().map(compacted).collect();
    if compacted.iter().all(Option::is_none) {
        return batch;
    }
    let columns = compacted
        .into_iter()
        .zip(batch.columns())
        .map(|(compact, column)| compact.unwrap_or_else(|| Arc::clone(column)))
        .collect();
    // Same schema, same row count, same column types: cannot fail.
    RecordBatch::try_new(batch.schema(), columns).unwrap_or(batch)
}

/// `column` copied into buffers of its own, if it is a view array whose buffers hold more
/// than twice the bytes its rows point at.
fn compacted(column: &ArrayRef) -> Option<ArrayRef> {
    let wasteful = |buffers: &[Buffer], used: usize| {
        buffers.iter().map(Buffer::len).sum::<usize>() > used.saturating_mul(2)
    };
    match column.data_type() {
        DataType::Utf8View => {
            let array = column.as_string_view();
            wasteful(array.data_buffers(), array.total_buffer_bytes_used())
                .then(|| Arc::new(array.gc()) as ArrayRef)
        }
        DataType::BinaryView => {
            let array = column.as_binary_view();
            wasteful(array.data_buffers(), array.total_buffer_bytes_used())
                .then(|| Arc::new(array.gc()) as ArrayRef)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, StringViewArray};
    use arrow::compute::take;
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn batch_of(strings: ArrayRef) -> RecordBatch {
        let rows = strings.len() as i64;
        let schema = Schema::new(vec![
            Field::new("s", DataType::Utf8View, true),
            Field::new("n", DataType::Int64, false),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![strings, Arc::new(Int64Array::from_iter_values(0..rows))],
        )
        .unwrap()
    }

    fn held_bytes(batch: &RecordBatch) -> usize {
        let strings = batch.column(0).as_string_view();
        strings.data_buffers().iter().map(Buffer::len).sum()
    }

    #[test]
    fn a_partition_taken_from_a_batch_keeps_only_its_own_strings() {
        let long: Vec<String> = (0..1000)
            .map(|i| format!("a string longer than twelve {i}"))
            .collect();
        let all: ArrayRef = Arc::new(StringViewArray::from_iter_values(long.iter()));
        let some = take(
            &all,
            &arrow::array::UInt32Array::from(vec![3, 500, 999]),
            None,
        )
        .unwrap();
        let partition = batch_of(some);
        assert!(
            held_bytes(&partition) > 30_000,
            "take shares the whole buffer"
        );

        let compact = compact_views(partition.clone());
        assert!(held_bytes(&compact) < 200, "{}", held_bytes(&compact));
        assert_eq!(compact, partition, "the same rows");
    }

    #[test]
    fn compact_and_plain_batches_are_left_as_they_are() {
        let own: ArrayRef = Arc::new(StringViewArray::from_iter_values([
            "short",
            "a string longer than twelve",
        ]));
        let batch = batch_of(own);
        let same = compact_views(batch.clone());
        assert!(Arc::ptr_eq(batch.column(0), same.column(0)));
    }
}
