//! The schema results leave the server with: the same in `FlightInfo`, in the prepared
//! statement's `dataset_schema` and in every `DoGet` stream (ADBC rejects any mismatch).
//!
//! View types become their plain counterparts because JDBC 18 cannot read them, and every
//! field is nullable because DataFusion's physical nullability can differ from its logical
//! one; dictionaries are sent as values.

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

/// A schema as tables are described in metadata (`GetTables` with `include_schema`).
pub(crate) fn egress_table_schema(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema.fields().iter().map(egress_nested_field).collect();
    Schema::new(fields)
}

fn egress_field(field: &FieldRef) -> Field {
    Field::new(field.name(), egress_type(field.data_type()), true)
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
