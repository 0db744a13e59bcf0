//! The schema results leave the server with: the same in `FlightInfo`, in the prepared
//! statement's `dataset_schema` and in every `DoGet` stream (ADBC rejects any mismatch).
//!
//! View types become their plain counterparts because JDBC 18 cannot read them, and every
//! field is nullable because DataFusion's physical nullability can differ from its logical
//! one; dictionaries are sent as values.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef};
use arrow::error::ArrowError;

/// The wire schema of a plan's output.
pub(crate) fn egress_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema.fields().iter().map(egress_field).collect();
    Arc::new(Schema::new(fields))
}

/// A schema with wire-friendly types that keeps each field's nullability: for files we
/// write, whose readers can rely on it.
pub(crate) fn egress_table_schema(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema.fields().iter().map(egress_nested_field).collect();
    Schema::new(fields)
}

fn egress_field(field: &FieldRef) -> Field {
    let data_type = egress_type(field.data_type());
    let metadata = column_metadata(&data_type);
    Field::new(field.name(), data_type, true).with_metadata(metadata)
}

/// Flight SQL's column metadata keys for a decimal's precision and scale: the JDBC driver
/// (18.3) reports `ResultSetMetaData.getPrecision`/`getScale` from these alone, not from
/// the Arrow type, so without them every decimal column reads as precision 0.
const PRECISION: &str = "ARROW:FLIGHT:SQL:PRECISION";
const SCALE: &str = "ARROW:FLIGHT:SQL:SCALE";

/// The Flight SQL column metadata a result column of `data_type` carries.
fn column_metadata(data_type: &DataType) -> HashMap<String, String> {
    let (precision, scale) = match data_type {
        DataType::Decimal32(precision, scale)
        | DataType::Decimal64(precision, scale)
        | DataType::Decimal128(precision, scale)
        | DataType::Decimal256(precision, scale) => (precision, scale),
        _ => return HashMap::new(),
    };
    HashMap::from([
        (PRECISION.to_string(), precision.to_string()),
        (SCALE.to_string(), scale.to_string()),
    ])
}

/// The type a column of `data_type` is sent as.
pub(crate) fn egress_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        DataType::Dictionary(_, value) => egress_type(value),
        DataType::List(item) => DataType::List(egress_item(item)),
        DataType::ListView(item) => DataType::List(egress_item(item)),
        DataType::LargeList(item) => DataType::LargeList(egress_item(item)),
        DataType::LargeListView(item) => DataType::LargeList(egress_item(item)),
        DataType::FixedSizeList(item, size) => DataType::FixedSizeList(egress_item(item), *size),
        DataType::Struct(fields) => {
            DataType::Struct(fields.iter().map(egress_nested_field).collect::<Fields>())
        }
        DataType::Map(entries, sorted) => DataType::Map(egress_item(entries), *sorted),
        other => other.clone(),
    }
}

fn egress_item(item: &FieldRef) -> FieldRef {
    Arc::new(egress_nested_field(item))
}

/// A field with its type made wire-friendly and everything else (name, nullability,
/// metadata) kept, as nested and described fields need.
fn egress_nested_field(field: &FieldRef) -> Field {
    field
        .as_ref()
        .clone()
        .with_data_type(egress_type(field.data_type()))
}

/// Converts one result batch to the advertised wire schema.
pub(crate) fn to_egress_batch(
    batch: &RecordBatch,
    schema: &SchemaRef,
) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else {
                cast(column, field.data_type())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::clone(schema), columns)
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, StringViewArray};

    use super::*;

    #[test]
    fn view_types_leave_as_plain_types_and_fields_become_nullable() {
        let logical = Schema::new(vec![
            Field::new("s", DataType::Utf8View, false),
            Field::new(
                "l",
                DataType::List(Arc::new(Field::new("item", DataType::BinaryView, true))),
                true,
            ),
        ]);
        let schema = egress_schema(&logical);
        assert_eq!(schema.field(0).data_type(), &DataType::Utf8);
        assert!(schema.field(0).is_nullable());
        assert_eq!(
            schema.field(1).data_type(),
            &DataType::List(Arc::new(Field::new("item", DataType::Binary, true)))
        );
    }

    #[test]
    fn decimal_columns_say_their_precision_and_scale_as_flight_sql_metadata() {
        let schema = egress_schema(&Schema::new(vec![
            Field::new("d", DataType::Decimal128(15, 2), false),
            Field::new("i", DataType::Int64, false),
        ]));
        let metadata = schema.field(0).metadata();
        assert_eq!(metadata.get(PRECISION).map(String::as_str), Some("15"));
        assert_eq!(metadata.get(SCALE).map(String::as_str), Some("2"));
        assert!(schema.field(1).metadata().is_empty());
    }

    #[test]
    fn batches_are_cast_to_the_advertised_schema() {
        let batch = RecordBatch::try_from_iter(vec![(
            "s",
            Arc::new(StringViewArray::from(vec!["a", "b"])) as _,
        )])
        .unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, true)]));
        let out = to_egress_batch(&batch, &schema).unwrap();
        assert_eq!(out.schema(), schema);
        assert_eq!(out.column(0).len(), 2);
    }
}
