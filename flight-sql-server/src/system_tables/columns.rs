//! The column types every system table uses, and builders of their Arrow arrays: text is
//! `Utf8`, every count, size and duration `Int64` (`BIGINT` to JDBC, and safe to
//! subtract), instants `Timestamp(Millisecond, "UTC")`.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Int64Array, Int64Builder, ListBuilder, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, TimeUnit};

const UTC: &str = "UTC";

/// A text column.
pub(super) fn text_field(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

/// A count, size or duration column.
pub(super) fn integer_field(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Int64, nullable)
}

/// An instant column.
pub(super) fn timestamp_field(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into())),
        nullable,
    )
}

/// A yes/no column.
pub(super) fn boolean_field(name: &str) -> Field {
    Field::new(name, DataType::Boolean, false)
}

/// A list-of-integers column.
pub(super) fn integer_list_field(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new_list_field(DataType::Int64, false))),
        false,
    )
}

pub(super) fn text<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

/// Counts as `Int64`; a value past `i64::MAX` (never reached in practice) saturates.
pub(super) fn integers(values: impl IntoIterator<Item = Option<u64>>) -> ArrayRef {
    Arc::new(
        values
            .into_iter()
            .map(|value| value.map(saturating_i64))
            .collect::<Int64Array>(),
    )
}

/// Numbers of things as `Int64`.
pub(super) fn counts(values: impl IntoIterator<Item = usize>) -> ArrayRef {
    Arc::new(
        values
            .into_iter()
            .map(|value| Some(i64::try_from(value).unwrap_or(i64::MAX)))
            .collect::<Int64Array>(),
    )
}

/// Milliseconds since the Unix epoch as UTC timestamps.
pub(super) fn timestamps(values: impl IntoIterator<Item = Option<u64>>) -> ArrayRef {
    let array = values
        .into_iter()
        .map(|value| value.map(saturating_i64))
        .collect::<TimestampMillisecondArray>()
        .with_timezone(UTC);
    Arc::new(array)
}

pub(super) fn booleans(values: impl IntoIterator<Item = bool>) -> ArrayRef {
    Arc::new(values.into_iter().map(Some).collect::<BooleanArray>())
}

pub(super) fn integer_lists<'a>(values: impl IntoIterator<Item = &'a [u32]>) -> ArrayRef {
    let mut builder = ListBuilder::new(Int64Builder::new())
        .with_field(Field::new_list_field(DataType::Int64, false));
    for list in values {
        builder
            .values()
            .extend(list.iter().map(|value| Some(i64::from(*value))));
        builder.append(true);
    }
    Arc::new(builder.finish())
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
