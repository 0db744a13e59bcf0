//! Window operators to bytes and back, without the losses of datafusion-proto 55.2.
//!
//! Its `Window` node hard-codes `false` for a window function's `IGNORE NULLS`, forgets
//! that the optimizer reversed a window function (a reversed `lag` reads forward), and
//! drops a window aggregate's `FILTER (WHERE ...)`: executors silently computed something
//! else than the plan the scheduler made. [`WindowNode`] carries the flags. A FILTER
//! cannot be read out of DataFusion 55.2 at all, so a window aggregate with one, like any
//! window expression this module cannot describe, fails encoding: the query then runs on
//! the scheduler instead of wrongly on executors.

use std::sync::Arc;

use datafusion::common::{exec_datafusion_err, internal_err, not_impl_err};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{ReversedUDWF, WindowFrame, WindowFunctionDefinition};
use datafusion::physical_expr::aggregate::{AggregateExprBuilder, AggregateFunctionExpr};
use datafusion::physical_expr::window::{
    PlainAggregateWindowExpr, SlidingAggregateWindowExpr, StandardWindowExpr, WindowExpr,
};
use datafusion::physical_plan::windows::{
    BoundedWindowAggExec, WindowAggExec, WindowUDFExpr, create_udwf_window_expr,
    schema_add_window_field,
};
use datafusion::physical_plan::{ExecutionPlan, InputOrderMode};
use datafusion_proto::physical_plan::from_proto::{
    parse_physical_exprs, parse_physical_sort_exprs,
};
use datafusion_proto::physical_plan::to_proto::{
    serialize_physical_exprs, serialize_physical_sort_exprs,
};
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf;
use prost::{Message, Oneof};

/// A `WindowAggExec` or `BoundedWindowAggExec`; its input travels as the extension
/// node's only input.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct WindowNode {
    #[prost(message, repeated, tag = "1")]
    exprs: Vec<WindowExprNode>,
    /// Absent for a `WindowAggExec`, which buffers each partition whole.
    #[prost(message, optional, tag = "2")]
    bounded: Option<InputOrderNode>,
    #[prost(bool, tag = "3")]
    can_repartition: bool,
}

/// A `BoundedWindowAggExec`'s `InputOrderMode`.
#[derive(Clone, PartialEq, Message)]
struct InputOrderNode {
    #[prost(enumeration = "InputOrder", tag = "1")]
    mode: i32,
    /// The PARTITION BY columns the input is sorted on, for `PartiallySorted`.
    #[prost(uint64, repeated, tag = "2")]
    sorted_columns: Vec<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
enum InputOrder {
    Linear = 0,
    PartiallySorted = 1,
    Sorted = 2,
}

#[derive(Clone, PartialEq, Message)]
struct WindowExprNode {
    #[prost(oneof = "WindowFunctionNode", tags = "1, 2")]
    function: Option<WindowFunctionNode>,
    #[prost(message, repeated, tag = "3")]
    partition_by: Vec<protobuf::PhysicalExprNode>,
    #[prost(message, repeated, tag = "4")]
    order_by: Vec<protobuf::PhysicalSortExprNode>,
    #[prost(message, optional, tag = "5")]
    frame: Option<protobuf::WindowFrame>,
}

#[derive(Clone, PartialEq, Oneof)]
enum WindowFunctionNode {
    #[prost(message, tag = "1")]
    Aggregate(AggregateWindowNode),
    #[prost(message, tag = "2")]
    Standard(StandardWindowNode),
}

/// An aggregate over a window: everything `AggregateExprBuilder` takes, plus which of
/// DataFusion's two evaluators runs it. It has no FILTER: see [`refuse_filter`].
#[derive(Clone, PartialEq, Message)]
struct AggregateWindowNode {
    #[prost(string, tag = "1")]
    fun_name: String,
    #[prost(bytes = "vec", optional, tag = "2")]
    fun_definition: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "3")]
    args: Vec<protobuf::PhysicalExprNode>,
    /// The ORDER BY inside the aggregate's parentheses.
    #[prost(message, repeated, tag = "4")]
    order_by: Vec<protobuf::PhysicalSortExprNode>,
    #[prost(string, tag = "5")]
    name: String,
    #[prost(string, optional, tag = "6")]
    human_display: Option<String>,
    #[prost(string, optional, tag = "7")]
    human_display_alias: Option<String>,
    #[prost(bool, tag = "8")]
    distinct: bool,
    #[prost(bool, tag = "9")]
    ignore_nulls: bool,
    #[prost(bool, tag = "10")]
    reversed: bool,
    /// Evaluated by `SlidingAggregateWindowExpr` (frames that shrink as well as grow)
    /// rather than `PlainAggregateWindowExpr`.
    #[prost(bool, tag = "11")]
    sliding: bool,
}

/// A window function (`row_number`, `lag`, `first_value`, ...).
#[derive(Clone, PartialEq, Message)]
struct StandardWindowNode {
    #[prost(string, tag = "1")]
    fun_name: String,
    #[prost(bytes = "vec", optional, tag = "2")]
    fun_definition: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "3")]
    args: Vec<protobuf::PhysicalExprNode>,
    #[prost(string, tag = "4")]
    name: String,
    #[prost(bool, tag = "5")]
    ignore_nulls: bool,
    /// The optimizer reversed it to read its input backwards: `fun_name` is then the
    /// reversed function and its evaluator flips offsets (`lag` reads forward).
    #[prost(bool, tag = "6")]
    reversed: bool,
}

/// Whether `plan` is a window operator, which [`encode_window`] must encode (datafusion-
/// proto's own encoding of it is lossy).
pub(crate) fn is_window(plan: &dyn ExecutionPlan) -> bool {
    plan.is::<WindowAggExec>() || plan.is::<BoundedWindowAggExec>()
}

/// `plan` as a [`WindowNode`], or `None` when it is no window operator.
pub(crate) fn encode_window(
    plan: &dyn ExecutionPlan,
    codec: &dyn PhysicalExtensionCodec,
    converter: &dyn PhysicalProtoConverterExtension,
) -> Result<Option<WindowNode>> {
    let (window_exprs, bounded, partition_keys) =
        if let Some(window) = plan.downcast_ref::<WindowAggExec>() {
            (window.window_expr(), None, window.partition_keys())
        } else if let Some(window) = plan.downcast_ref::<BoundedWindowAggExec>() {
            if window.state_observer().is_some() {
                return not_impl_err!(
                    "a window operator with a state observer cannot be shipped to executors"
                );
            }
            let order = match &window.input_order_mode {
                InputOrderMode::Linear => InputOrderNode {
                    mode: InputOrder::Linear.into(),
                    sorted_columns: vec![],
                },
                InputOrderMode::PartiallySorted(columns) => InputOrderNode {
                    mode: InputOrder::PartiallySorted.into(),
                    sorted_columns: columns.iter().map(|column| *column as u64).collect(),
                },
                InputOrderMode::Sorted => InputOrderNode {
                    mode: InputOrder::Sorted.into(),
                    sorted_columns: vec![],
                },
            };
            (window.window_expr(), Some(order), window.partition_keys())
        } else {
            return Ok(None);
        };
    let exprs = window_exprs
        .iter()
        .map(|expr| encode_window_expr(expr, codec, converter))
        .collect::<Result<_>>()?;
    Ok(Some(WindowNode {
        exprs,
        bounded,
        // As datafusion-proto infers it: the operator only reports partition keys when
        // it may be repartitioned (and without keys, repartitioning changes nothing).
        can_repartition: !partition_keys.is_empty(),
    }))
}

/// Rebuilds the window operator `node` describes over `input`.
pub(crate) fn decode_window(
    node: &WindowNode,
    input: &Arc<dyn ExecutionPlan>,
    ctx: &PhysicalPlanDecodeContext<'_>,
    converter: &dyn PhysicalProtoConverterExtension,
) -> Result<Arc<dyn ExecutionPlan>> {
    let window_exprs = node
        .exprs
        .iter()
        .map(|expr| decode_window_expr(expr, input, ctx, converter))
        .collect::<Result<Vec<_>>>()?;
    let Some(order) = &node.bounded else {
        return Ok(Arc::new(WindowAggExec::try_new(
            window_exprs,
            Arc::clone(input),
            node.can_repartition,
        )?));
    };
    let mode = match InputOrder::try_from(order.mode) {
        Ok(InputOrder::Linear) => InputOrderMode::Linear,
        Ok(InputOrder::PartiallySorted) => InputOrderMode::PartiallySorted(
            order
                .sorted_columns
                .iter()
                .map(|column| usize::try_from(*column))
                .collect::<std::result::Result<_, _>>()
                .map_err(|err| exec_datafusion_err!("bad sorted column: {err}"))?,
        ),
        Ok(InputOrder::Sorted) => InputOrderMode::Sorted,
        Err(_) => return internal_err!("unknown window input order {}", order.mode),
    };
    Ok(Arc::new(BoundedWindowAggExec::try_new(
        window_exprs,
        Arc::clone(input),
        mode,
        node.can_repartition,
    )?))
}

fn encode_window_expr(
    window_expr: &Arc<dyn WindowExpr>,
    codec: &dyn PhysicalExtensionCodec,
    converter: &dyn PhysicalProtoConverterExtension,
) -> Result<WindowExprNode> {
    let expr = window_expr.as_any();
    let function = if let Some(plain) = expr.downcast_ref::<PlainAggregateWindowExpr>() {
        refuse_filter(plain, window_expr.name())?;
        encode_aggregate(plain.get_aggregate_expr(), false, codec, converter)?
    } else if let Some(sliding) = expr.downcast_ref::<SlidingAggregateWindowExpr>() {
        refuse_filter(sliding, window_expr.name())?;
        encode_aggregate(sliding.get_aggregate_expr(), true, codec, converter)?
    } else if let Some(standard) = expr.downcast_ref::<StandardWindowExpr>() {
        let Some(function) = standard
            .get_standard_func_expr()
            .as_any()
            .downcast_ref::<WindowUDFExpr>()
        else {
            return not_impl_err!(
                "window function {} cannot be shipped to executors",
                window_expr.name()
            );
        };
        let flags = WindowUdfFlags::of(function)?;
        let mut fun_definition = Vec::new();
        codec.try_encode_udwf(function.fun(), &mut fun_definition)?;
        WindowFunctionNode::Standard(StandardWindowNode {
            fun_name: function.fun().name().to_owned(),
            fun_definition: (!fun_definition.is_empty()).then_some(fun_definition),
            args: serialize_physical_exprs(function.args(), codec, converter)?,
            name: window_expr.name().to_owned(),
            ignore_nulls: flags.ignore_nulls,
            reversed: flags.reversed,
        })
    } else {
        return not_impl_err!(
            "window expression {} cannot be shipped to executors",
            window_expr.name()
        );
    };
    let frame = window_expr.get_window_frame();
    // The frame travels as its units and bounds; what DataFusion derives from them must be
    // what the original had, or the decoded frame would differ.
    let rebuilt = WindowFrame::new_bounds(
        frame.units,
        frame.start_bound.clone(),
        frame.end_bound.clone(),
    );
    if rebuilt.is_causal() != frame.is_causal() {
        return not_impl_err!(
            "the frame of window expression {} cannot be shipped to executors",
            window_expr.name()
        );
    }
    Ok(WindowExprNode {
        function: Some(function),
        partition_by: serialize_physical_exprs(window_expr.partition_by(), codec, converter)?,
        order_by: serialize_physical_sort_exprs(
            window_expr.order_by().iter().cloned(),
            codec,
            converter,
        )?,
        frame: Some(
            protobuf::WindowFrame::try_from(frame.as_ref())
                .map_err(|err| DataFusionError::Internal(err.to_string()))?,
        ),
    })
}

fn encode_aggregate(
    aggregate: &AggregateFunctionExpr,
    sliding: bool,
    codec: &dyn PhysicalExtensionCodec,
    converter: &dyn PhysicalProtoConverterExtension,
) -> Result<WindowFunctionNode> {
    let mut fun_definition = Vec::new();
    codec.try_encode_udaf(aggregate.fun(), &mut fun_definition)?;
    Ok(WindowFunctionNode::Aggregate(AggregateWindowNode {
        fun_name: aggregate.fun().name().to_owned(),
        fun_definition: (!fun_definition.is_empty()).then_some(fun_definition),
        args: serialize_physical_exprs(&aggregate.expressions(), codec, converter)?,
        order_by: serialize_physical_sort_exprs(
            aggregate.order_bys().iter().cloned(),
            codec,
            converter,
        )?,
        name: aggregate.name().to_owned(),
        human_display: aggregate.human_display().map(str::to_owned),
        human_display_alias: aggregate.human_display_alias().map(str::to_owned),
        distinct: aggregate.is_distinct(),
        ignore_nulls: aggregate.ignore_nulls(),
        reversed: aggregate.is_reversed(),
        sliding,
    }))
}

/// Fails for a window aggregate with a `FILTER (WHERE ...)`. DataFusion 55.2 keeps the
/// filter behind a trait it does not export, so it cannot be read, let alone encoded;
/// its presence shows only in the derived `Debug`, whose last field it is. Any other
/// ending (a filter, or a layout a DataFusion upgrade changed) refuses too.
fn refuse_filter(window_expr: &dyn std::fmt::Debug, name: &str) -> Result<()> {
    if format!("{window_expr:?}").ends_with(", filter: None }") {
        return Ok(());
    }
    not_impl_err!("window aggregate {name} has a FILTER, which cannot be shipped to executors")
}

fn decode_window_expr(
    node: &WindowExprNode,
    input: &Arc<dyn ExecutionPlan>,
    ctx: &PhysicalPlanDecodeContext<'_>,
    converter: &dyn PhysicalProtoConverterExtension,
) -> Result<Arc<dyn WindowExpr>> {
    let schema = input.schema();
    let partition_by = parse_physical_exprs(&node.partition_by, ctx, &schema, converter)?;
    let order_by = parse_physical_sort_exprs(&node.order_by, ctx, &schema, converter)?;
    let frame = node
        .frame
        .clone()
        .ok_or_else(|| DataFusionError::Internal("a window expression without a frame".into()))?;
    let frame = Arc::new(
        WindowFrame::try_from(frame).map_err(|err| DataFusionError::Internal(err.to_string()))?,
    );
    match &node.function {
        Some(WindowFunctionNode::Aggregate(aggregate)) => {
            let fun = match &aggregate.fun_definition {
                Some(definition) => ctx
                    .codec()
                    .try_decode_udaf(&aggregate.fun_name, definition)?,
                None => ctx
                    .task_ctx()
                    .udaf(&aggregate.fun_name)
                    .or_else(|_| ctx.codec().try_decode_udaf(&aggregate.fun_name, &[]))?,
            };
            let args = parse_physical_exprs(&aggregate.args, ctx, &schema, converter)?;
            // As DataFusion's planner builds a window aggregate (`create_window_expr`).
            let aggregate_schema = schema_add_window_field(
                &args,
                &schema,
                &WindowFunctionDefinition::AggregateUDF(Arc::clone(&fun)),
                &aggregate.name,
            )?;
            let mut builder = AggregateExprBuilder::new(fun, args)
                .schema(aggregate_schema)
                .alias(&aggregate.name)
                .order_by(parse_physical_sort_exprs(
                    &aggregate.order_by,
                    ctx,
                    &schema,
                    converter,
                )?)
                .with_distinct(aggregate.distinct)
                .with_ignore_nulls(aggregate.ignore_nulls)
                .with_reversed(aggregate.reversed);
            if let Some(display) = &aggregate.human_display {
                builder = builder.human_display(display);
            }
            if let Some(alias) = &aggregate.human_display_alias {
                builder = builder.human_display_alias(alias);
            }
            let function = Arc::new(builder.build()?);
            Ok(if aggregate.sliding {
                Arc::new(SlidingAggregateWindowExpr::new(
                    function,
                    &partition_by,
                    &order_by,
                    frame,
                    None,
                ))
            } else {
                Arc::new(PlainAggregateWindowExpr::new(
                    function,
                    &partition_by,
                    &order_by,
                    frame,
                    None,
                ))
            })
        }
        Some(WindowFunctionNode::Standard(standard)) => {
            let fun = match &standard.fun_definition {
                Some(definition) => ctx
                    .codec()
                    .try_decode_udwf(&standard.fun_name, definition)?,
                None => ctx
                    .task_ctx()
                    .udwf(&standard.fun_name)
                    .or_else(|_| ctx.codec().try_decode_udwf(&standard.fun_name, &[]))?,
            };
            let args = parse_physical_exprs(&standard.args, ctx, &schema, converter)?;
            // A reversed function is rebuilt as the optimizer made it: the function it
            // reversed, then reversed (which flips the evaluator's direction).
            let built_from = if standard.reversed {
                match fun.reverse_expr() {
                    ReversedUDWF::Reversed(original) => original,
                    ReversedUDWF::Identical | ReversedUDWF::NotSupported => {
                        return internal_err!(
                            "window function {} was reversed but has no reverse",
                            standard.fun_name
                        );
                    }
                }
            } else {
                Arc::clone(&fun)
            };
            let function_schema = schema_add_window_field(
                &args,
                &schema,
                &WindowFunctionDefinition::WindowUDF(Arc::clone(&built_from)),
                &standard.name,
            )?;
            let mut function = create_udwf_window_expr(
                &built_from,
                &args,
                &function_schema,
                standard.name.clone(),
                standard.ignore_nulls,
            )?;
            if standard.reversed {
                function = function.reverse_expr().ok_or_else(|| {
                    DataFusionError::Internal(format!(
                        "window function {} cannot be reversed",
                        built_from.name()
                    ))
                })?;
                let rebuilt = function
                    .as_any()
                    .downcast_ref::<WindowUDFExpr>()
                    .map(|expr| expr.fun().name().to_owned());
                if rebuilt.as_deref() != Some(standard.fun_name.as_str()) {
                    return internal_err!(
                        "reversing {} gave {rebuilt:?}, not {}",
                        built_from.name(),
                        standard.fun_name
                    );
                }
            }
            Ok(Arc::new(StandardWindowExpr::new(
                function,
                &partition_by,
                &order_by,
                frame,
            )))
        }
        None => internal_err!("a window expression without a function"),
    }
}

/// The flags of a window function DataFusion 55.2 keeps private (no accessor): read from
/// its derived `Debug`, whose last two fields they are. Should a DataFusion upgrade change
/// that layout, encoding fails (the query runs on the scheduler) rather than guessing.
struct WindowUdfFlags {
    reversed: bool,
    ignore_nulls: bool,
}

impl WindowUdfFlags {
    fn of(function: &WindowUDFExpr) -> Result<Self> {
        let debug = format!("{function:?}");
        for reversed in [false, true] {
            for ignore_nulls in [false, true] {
                let tail = format!(", is_reversed: {reversed}, ignore_nulls: {ignore_nulls} }}");
                if debug.ends_with(&tail) {
                    return Ok(Self {
                        reversed,
                        ignore_nulls,
                    });
                }
            }
        }
        not_impl_err!(
            "cannot read the IGNORE NULLS and reversal flags of window function {}",
            function.fun().name()
        )
    }
}
