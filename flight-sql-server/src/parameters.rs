//! Query parameters: JDBC-style `?` placeholders, the parameter schema clients build their
//! values from, and binding whatever batch a client sends to the statement.
//!
//! Clients disagree on the batch they send: ADBC names columns "0", "1" with types of its
//! own choosing, flightsql-dbapi wraps every value in a dense union, JDBC sends the server's
//! schema (or zero rows for no parameters). All of them bind by position.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::logical_expr::LogicalPlan;

use crate::error::{FlightSqlError, Result};
use crate::result_schema::egress_type;

/// Rewrites each `?` placeholder outside strings, quoted names and comments to `$1`, `$2`, …
pub(crate) fn rewrite_question_marks(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_index = 1;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                // Both quoting styles escape their quote by doubling it, which this loop
                // handles as closing and reopening.
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                out.push(c);
                out.push(chars.next().unwrap_or('*'));
                let mut previous = ' ';
                for inner in chars.by_ref() {
                    out.push(inner);
                    if previous == '*' && inner == '/' {
                        break;
                    }
                    previous = inner;
                }
            }
            '?' => {
                out.push('$');
                out.push_str(&next_index.to_string());
                next_index += 1;
            }
            _ => out.push(c),
        }
    }
    out
}

/// A statement's placeholders in binding order: `$1`, `$2`, … numerically, then named ones.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placeholders(Vec<(String, Option<DataType>)>);

impl Placeholders {
    pub(crate) fn of(plan: &LogicalPlan) -> Result<Self> {
        let mut placeholders: Vec<(String, Option<DataType>)> =
            plan.get_parameter_types()?.into_iter().collect();
        placeholders.sort_by_key(|(id, _)| {
            let name = id.trim_start_matches('$');
            (
                name.parse::<u64>().map_err(|_| name.to_string()),
                id.clone(),
            )
        });
        Ok(Self(placeholders))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parameter schema of the prepared statement: nullable fields named like the
    /// placeholders; a placeholder whose type DataFusion cannot infer is declared as text.
    pub(crate) fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .0
            .iter()
            .map(|(id, data_type)| {
                let data_type = data_type
                    .as_ref()
                    .map(egress_type)
                    .unwrap_or(DataType::Utf8);
                Field::new(id, data_type, true)
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Binds row `row` of `batch` to the placeholders, casting each value to the type
    /// DataFusion inferred for it.
    pub(crate) fn bind(
        &self,
        plan: LogicalPlan,
        batch: &RecordBatch,
        row: usize,
    ) -> Result<LogicalPlan> {
        if batch.num_columns() != self.0.len() {
            return Err(FlightSqlError::bind_parameters(format!(
                "the statement has {} parameter(s) but {} value(s) were bound",
                self.0.len(),
                batch.num_columns()
            )));
        }
        let mut values = HashMap::with_capacity(self.0.len());
        for (column, (id, data_type)) in batch.columns().iter().zip(&self.0) {
            let value = unwrap_union(ScalarValue::try_from_array(column, row)?);
            let value = match data_type {
                Some(target) if value.data_type() != *target => cast(value, target, id)?,
                _ => value,
            };
            values.insert(id.trim_start_matches('$').to_string(), value.into());
        }
        Ok(plan.with_param_values(ParamValues::Map(values))?)
    }
}

fn unwrap_union(value: ScalarValue) -> ScalarValue {
    match value {
        ScalarValue::Union(Some((_, inner)), _, _) => unwrap_union(*inner),
        ScalarValue::Union(None, _, _) => ScalarValue::Null,
        other => other,
    }
}

fn cast(value: ScalarValue, target: &DataType, id: &str) -> Result<ScalarValue> {
    if value.is_null() {
        return Ok(ScalarValue::try_from(target)?);
    }
    value.cast_to(target).map_err(|err| {
        FlightSqlError::bind_parameters(format!(
            "parameter {id}: cannot use {value} as {target}: {}",
            err.strip_backtrace()
        ))
    })
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, ArrayRef, Int64Array, StringArray, UnionArray};
    use arrow::buffer::ScalarBuffer;
    use arrow::datatypes::{UnionFields, UnionMode};
    use datafusion::prelude::SessionContext;

    use super::*;

    #[test]
    fn question_marks_become_numbered_placeholders_outside_quotes_and_comments() {
        let sql = "SELECT '?', \"a?\" FROM t -- why?\nWHERE a = ? /* ? */ AND b = ?";
        assert_eq!(
            rewrite_question_marks(sql),
            "SELECT '?', \"a?\" FROM t -- why?\nWHERE a = $1 /* ? */ AND b = $2"
        );
        assert_eq!(
            rewrite_question_marks("SELECT 'it''s ?', ?"),
            "SELECT 'it''s ?', $1"
        );
    }

    async fn plan(sql: &str) -> LogicalPlan {
        let ctx = SessionContext::new();
        ctx.sql("CREATE TABLE t (a INT, b VARCHAR)").await.unwrap();
        ctx.state().create_logical_plan(sql).await.unwrap()
    }

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[tokio::test]
    async fn placeholders_sort_numerically_and_are_nullable() {
        let placeholders =
            Placeholders::of(&plan("SELECT * FROM t WHERE a = $2 OR a = $10 OR b = $1").await)
                .unwrap();
        let schema = placeholders.schema();
        let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["$1", "$2", "$10"]);
        assert!(schema.fields().iter().all(|f| f.is_nullable()));
        assert_eq!(schema.field(0).data_type(), &DataType::Utf8);
        assert_eq!(schema.field(1).data_type(), &DataType::Int32);
    }

    #[tokio::test]
    async fn binds_values_of_other_types_by_position() {
        let logical = plan("SELECT * FROM t WHERE a = $1 AND b = $2").await;
        let placeholders = Placeholders::of(&logical).unwrap();
        let values = batch(vec![
            ("0", Arc::new(Int64Array::from(vec![3])) as ArrayRef),
            ("1", Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
        ]);
        let bound = placeholders.bind(logical, &values, 0).unwrap();
        let text = bound.display_indent().to_string();
        assert!(
            text.contains("t.a = Int32(3)") && text.contains("(\"x\")"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn unwraps_dense_union_values() {
        let logical = plan("SELECT * FROM t WHERE a = $1").await;
        let placeholders = Placeholders::of(&logical).unwrap();
        let fields = UnionFields::try_new(
            vec![0, 1],
            vec![
                Field::new("int64", DataType::Int64, true),
                Field::new("utf8", DataType::Utf8, true),
            ],
        )
        .unwrap();
        let union = UnionArray::try_new(
            fields,
            ScalarBuffer::from(vec![0i8]),
            Some(ScalarBuffer::from(vec![0i32])),
            vec![
                Arc::new(Int64Array::from(vec![5])),
                Arc::new(StringArray::from(Vec::<&str>::new())),
            ],
        )
        .unwrap();
        assert!(matches!(
            union.data_type(),
            DataType::Union(_, UnionMode::Dense)
        ));
        let bound = placeholders
            .bind(
                logical,
                &batch(vec![("param_0", Arc::new(union) as ArrayRef)]),
                0,
            )
            .unwrap();
        assert!(bound.display_indent().to_string().contains("Int32(5)"));
    }

    #[tokio::test]
    async fn wrong_counts_and_uncastable_values_are_clear_errors() {
        let logical = plan("SELECT * FROM t WHERE a = $1").await;
        let placeholders = Placeholders::of(&logical).unwrap();
        let two = batch(vec![
            ("0", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            ("1", Arc::new(Int64Array::from(vec![2])) as ArrayRef),
        ]);
        let err = placeholders
            .bind(logical.clone(), &two, 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 parameter(s) but 2 value(s)"), "{err}");
        let text = batch(vec![(
            "0",
            Arc::new(StringArray::from(vec!["abc"])) as ArrayRef,
        )]);
        let err = placeholders
            .bind(logical, &text, 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("parameter $1"), "{err}");
    }
}
