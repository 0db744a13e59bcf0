//! Expressions datafusion-proto 55.2 would decode as something else, to bytes and back.
//!
//! It rebuilds a cast from its target type alone, so a cast to an explicit target field
//! (as type coercion writes for `UNION` branches) loses the field's nullability and
//! metadata, and a safe cast becomes a failing one; a literal loses its field metadata.
//! These travel as [`ExprNode`] extension expressions instead. What neither can carry
//! (a function's output field metadata, non-default cast format options) fails encoding,
//! so the plan runs on the scheduler.

use std::sync::Arc;

use arrow::compute::CastOptions;
use arrow::datatypes::{FieldRef, Schema};
use arrow::ipc::convert::try_schema_from_ipc_buffer;
use datafusion::common::format::DEFAULT_CAST_OPTIONS;
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::{ScalarValue, internal_err, not_impl_err};
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_expr::expressions::{CastExpr, Literal, TryCastExpr};
use datafusion::physical_plan::PhysicalExpr;
use datafusion_proto::protobuf;
use prost::{Message, Oneof};

use crate::codec::schema_bytes;

/// An expression that travels as a plan extension expression; its children travel as
/// the extension's inputs.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct ExprNode {
    #[prost(oneof = "ExprKind", tags = "1, 2")]
    kind: Option<ExprKind>,
}

#[derive(Clone, PartialEq, Oneof)]
enum ExprKind {
    #[prost(message, tag = "1")]
    Cast(CastNode),
    #[prost(message, tag = "2")]
    Literal(LiteralNode),
}

/// A `CAST` or `TRY_CAST`.
#[derive(Clone, PartialEq, Message)]
struct CastNode {
    /// A one-field Arrow IPC schema: the target field (type, nullability, metadata).
    #[prost(bytes = "vec", tag = "1")]
    target: Vec<u8>,
    /// Whether the target field, not only its type, shapes the output field.
    #[prost(bool, tag = "2")]
    explicit_target: bool,
    #[prost(bool, tag = "3")]
    try_cast: bool,
    /// A `CAST` that yields NULL instead of failing on a value it cannot convert.
    #[prost(bool, tag = "4")]
    safe: bool,
}

#[derive(Clone, PartialEq, Message)]
struct LiteralNode {
    #[prost(message, optional, tag = "1")]
    value: Option<protobuf::ScalarValue>,
    /// A one-field Arrow IPC schema: the literal's field, for its metadata.
    #[prost(bytes = "vec", tag = "2")]
    field: Vec<u8>,
}

/// `expr` as an [`ExprNode`] when datafusion-proto's own encoding would lose part of it,
/// `None` when that encoding is faithful; an error when no encoding is.
pub(crate) fn encode_expr(expr: &Arc<dyn PhysicalExpr>) -> Result<Option<ExprNode>> {
    let kind = if let Some(cast) = expr.downcast_ref::<CastExpr>() {
        let options = cast.cast_options();
        if options.format_options != DEFAULT_CAST_OPTIONS.format_options {
            return not_impl_err!(
                "{expr} casts with custom format options, which cannot be shipped to executors"
            );
        }
        let explicit_target = cast.target_nullable().is_some();
        if !explicit_target && !options.safe {
            return Ok(None);
        }
        ExprKind::Cast(CastNode {
            target: field_bytes(cast.target_field())?,
            explicit_target,
            try_cast: false,
            safe: options.safe,
        })
    } else if let Some(cast) = expr.downcast_ref::<TryCastExpr>() {
        if cast.target_metadata().is_none() {
            return Ok(None);
        }
        ExprKind::Cast(CastNode {
            target: field_bytes(cast.target_field())?,
            explicit_target: true,
            try_cast: true,
            safe: true,
        })
    } else if let Some(literal) = expr.downcast_ref::<Literal>() {
        let field = literal.return_field(&Schema::empty())?;
        if field.metadata().is_empty() {
            return Ok(None);
        }
        ExprKind::Literal(LiteralNode {
            value: Some(literal.value().try_into()?),
            field: field_bytes(&field)?,
        })
    } else if expr.is::<ScalarFunctionExpr>() {
        if expr.return_field(&Schema::empty())?.metadata().is_empty() {
            return Ok(None);
        }
        return not_impl_err!(
            "{expr} returns a field with metadata, which cannot be shipped to executors"
        );
    } else {
        return Ok(None);
    };
    Ok(Some(ExprNode { kind: Some(kind) }))
}

/// Rebuilds the expression `bytes` describe over its decoded `inputs`.
pub(crate) fn decode_expr(
    bytes: &[u8],
    inputs: &[Arc<dyn PhysicalExpr>],
) -> Result<Arc<dyn PhysicalExpr>> {
    let node = ExprNode::decode(bytes).map_err(|err| {
        DataFusionError::Internal(format!("undecodable expression extension: {err}"))
    })?;
    match node.kind {
        Some(ExprKind::Cast(cast)) => {
            let [input] = inputs else {
                return internal_err!("a cast has one input");
            };
            let input = Arc::clone(input);
            let target = field_from_bytes(&cast.target)?;
            Ok(match (cast.try_cast, cast.explicit_target) {
                (true, true) => Arc::new(TryCastExpr::new_with_target_field(input, target)),
                (true, false) => Arc::new(TryCastExpr::new(input, target.data_type().clone())),
                (false, explicit_target) => {
                    let options = CastOptions {
                        safe: cast.safe,
                        ..DEFAULT_CAST_OPTIONS
                    };
                    if explicit_target {
                        Arc::new(CastExpr::new_with_target_field(
                            input,
                            target,
                            Some(options),
                        ))
                    } else {
                        Arc::new(CastExpr::new(
                            input,
                            target.data_type().clone(),
                            Some(options),
                        ))
                    }
                }
            })
        }
        Some(ExprKind::Literal(literal)) => {
            let Some(value) = &literal.value else {
                return internal_err!("a literal without a value");
            };
            let value = ScalarValue::try_from(value)?;
            let field = field_from_bytes(&literal.field)?;
            Ok(Arc::new(Literal::new_with_metadata(
                value,
                Some(FieldMetadata::from(field.metadata())),
            )))
        }
        None => internal_err!("an expression extension without an expression"),
    }
}

fn field_bytes(field: &FieldRef) -> Result<Vec<u8>> {
    schema_bytes(&Schema::new(vec![Arc::clone(field)]))
}

fn field_from_bytes(bytes: &[u8]) -> Result<FieldRef> {
    let schema = try_schema_from_ipc_buffer(bytes)?;
    match schema.fields().first() {
        Some(field) if schema.fields().len() == 1 => Ok(Arc::clone(field)),
        _ => internal_err!("an expression field of {} fields", schema.fields().len()),
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{DataType, Field};
    use datafusion::physical_expr::expressions::{col, lit};

    use super::*;

    fn round_trip(expr: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Arc<dyn PhysicalExpr> {
        let node = encode_expr(expr).unwrap().expect("an extension");
        let inputs: Vec<_> = expr.children().into_iter().cloned().collect();
        let decoded = decode_expr(&node.encode_to_vec(), &inputs).unwrap();
        assert_eq!(
            decoded.return_field(schema).unwrap(),
            expr.return_field(schema).unwrap(),
            "{expr}"
        );
        assert_eq!(
            decoded.nullable(schema).unwrap(),
            expr.nullable(schema).unwrap()
        );
        decoded
    }

    #[test]
    fn casts_keep_their_target_field_and_options() {
        let schema = Schema::new(vec![Field::new("a", DataType::Utf8, true)]);
        let column = col("a", &schema).unwrap();
        let target = Arc::new(
            Field::new("t", DataType::Int64, false)
                .with_metadata([("k".to_owned(), "v".to_owned())].into_iter().collect()),
        );
        let explicit: Arc<dyn PhysicalExpr> = Arc::new(CastExpr::new_with_target_field(
            Arc::clone(&column),
            Arc::clone(&target),
            None,
        ));
        round_trip(&explicit, &schema);
        let safe: Arc<dyn PhysicalExpr> = Arc::new(CastExpr::new(
            Arc::clone(&column),
            DataType::Int64,
            Some(CastOptions {
                safe: true,
                ..DEFAULT_CAST_OPTIONS
            }),
        ));
        let decoded = round_trip(&safe, &schema);
        let decoded = decoded.downcast_ref::<CastExpr>().unwrap();
        assert!(decoded.cast_options().safe);
        let try_cast: Arc<dyn PhysicalExpr> =
            Arc::new(TryCastExpr::new_with_target_field(column, target));
        round_trip(&try_cast, &schema);
    }

    #[test]
    fn literals_keep_their_metadata() {
        let literal: Arc<dyn PhysicalExpr> = Arc::new(Literal::new_with_metadata(
            ScalarValue::Int32(Some(7)),
            Some(FieldMetadata::from(
                [("k".to_owned(), "v".to_owned())]
                    .into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )),
        ));
        round_trip(&literal, &Schema::empty());
    }

    #[test]
    fn faithful_expressions_keep_datafusion_encoding() {
        let schema = Schema::new(vec![Field::new("a", DataType::Int32, true)]);
        let column = col("a", &schema).unwrap();
        let cast: Arc<dyn PhysicalExpr> =
            Arc::new(CastExpr::new(Arc::clone(&column), DataType::Int64, None));
        for expr in [cast, lit(1), column] {
            assert!(encode_expr(&expr).unwrap().is_none(), "{expr}");
        }
    }
}
