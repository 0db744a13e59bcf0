//! `generate_series` and `range` scans to bytes and back, without the losses of
//! datafusion-proto 55.2.
//!
//! Its `GenerateSeries` node stores the scan's *projected* schema and rebuilds the series
//! over it, so a scan projected to no columns (`SELECT count(*) FROM generate_series(..)`)
//! generated one-column batches for a zero-column schema and failed on executors; the
//! scan's ordering and partitioning were lost too. [`SeriesNode`] wraps datafusion-proto's
//! node for the unprojected series with the projection, ordering and partitioning.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::internal_err;
use datafusion::error::{DataFusionError, Result};
use datafusion::functions_table::generate_series::{Empty, GenericSeriesState, TimestampValue};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::memory::LazyMemoryExec;
use datafusion_proto::physical_plan::from_proto::{
    parse_physical_sort_exprs, parse_protobuf_partitioning,
};
use datafusion_proto::physical_plan::to_proto::{
    serialize_partitioning, serialize_physical_sort_exprs,
};
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalPlanNodeExt,
    PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf;
use prost::Message;

/// A `LazyMemoryExec` over one `generate_series` or `range` generator.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct SeriesNode {
    /// datafusion-proto's node for the series with all its columns.
    #[prost(message, optional, boxed, tag = "1")]
    series: Option<Box<protobuf::PhysicalPlanNode>>,
    /// The columns the scan keeps; absent keeps them all.
    #[prost(message, optional, tag = "2")]
    projection: Option<Projection>,
    #[prost(message, repeated, tag = "3")]
    ordering: Vec<protobuf::PhysicalSortExprNode>,
    #[prost(message, optional, tag = "4")]
    partitioning: Option<protobuf::Partitioning>,
}

#[derive(Clone, PartialEq, Message)]
struct Projection {
    #[prost(uint32, repeated, tag = "1")]
    columns: Vec<u32>,
}

/// `scan` as a [`SeriesNode`], or `None` when its generator is not a series
/// datafusion-proto knows.
pub(crate) fn encode_series(
    scan: &LazyMemoryExec,
    codec: &dyn PhysicalExtensionCodec,
    converter: &dyn PhysicalProtoConverterExtension,
) -> Result<Option<SeriesNode>> {
    let Some(series_schema) = series_schema(scan) else {
        return Ok(None);
    };
    let unprojected =
        LazyMemoryExec::try_new(Arc::clone(&series_schema), scan.generators().clone())?;
    let Some(series) = protobuf::PhysicalPlanNode::try_from_lazy_memory_exec(&unprojected)? else {
        return Ok(None);
    };
    let columns = scan
        .schema()
        .fields()
        .iter()
        .map(|field| {
            let column = series_schema.index_of(field.name())?;
            u32::try_from(column).map_err(|err| DataFusionError::Internal(err.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let properties = scan.properties();
    // From the equivalence properties: `LazyMemoryExec::add_ordering` records the
    // series' order there only (its cached `output_ordering` stays empty).
    let ordering = properties
        .eq_properties
        .output_ordering()
        .map(|ordering| serialize_physical_sort_exprs(ordering.iter().cloned(), codec, converter))
        .transpose()?
        .unwrap_or_default();
    Ok(Some(SeriesNode {
        series: Some(Box::new(series)),
        projection: Some(Projection { columns }),
        ordering,
        partitioning: Some(serialize_partitioning(
            &properties.partitioning,
            codec,
            converter,
        )?),
    }))
}

/// Rebuilds the scan `node` describes.
pub(crate) fn decode_series(
    node: &SeriesNode,
    ctx: &PhysicalPlanDecodeContext<'_>,
    converter: &dyn PhysicalProtoConverterExtension,
) -> Result<Arc<dyn ExecutionPlan>> {
    let Some(series) = &node.series else {
        return internal_err!("a series scan without its series");
    };
    let series = converter.proto_to_execution_plan(series, ctx)?;
    let Some(series) = series.downcast_ref::<LazyMemoryExec>() else {
        return internal_err!("a series scan decoded to {}", series.name());
    };
    let projection = node.projection.as_ref().map(|projection| {
        projection
            .columns
            .iter()
            .map(|column| *column as usize)
            .collect::<Vec<_>>()
    });
    let mut scan = LazyMemoryExec::try_new(series.schema(), series.generators().clone())?
        .with_projection(projection);
    let schema = scan.schema();
    if let Some(partitioning) =
        parse_protobuf_partitioning(node.partitioning.as_ref(), ctx, &schema, converter)?
    {
        scan.try_set_partitioning(partitioning)?;
    }
    let ordering = parse_physical_sort_exprs(&node.ordering, ctx, &schema, converter)?;
    if !ordering.is_empty() {
        scan.add_ordering(ordering);
    }
    Ok(Arc::new(scan))
}

/// The schema of the series `scan` projects, as `generate_series` and `range` make it:
/// one non-null `value` column (the projection may have removed it).
fn series_schema(scan: &LazyMemoryExec) -> Option<SchemaRef> {
    let [generator] = scan.generators().as_slice() else {
        return None;
    };
    let projected = scan.schema();
    if projected.fields().len() == 1 {
        return Some(projected);
    }
    let generator = generator.read();
    let generator = generator.as_any();
    let data_type = if generator.is::<GenericSeriesState<i64>>() || generator.is::<Empty>() {
        DataType::Int64
    } else if let Some(timestamps) = generator.downcast_ref::<GenericSeriesState<TimestampValue>>()
    {
        DataType::Timestamp(TimeUnit::Nanosecond, timestamps.current().tz_str().cloned())
    } else {
        return None;
    };
    Some(Arc::new(Schema::new(vec![Field::new(
        "value", data_type, false,
    )])))
}
