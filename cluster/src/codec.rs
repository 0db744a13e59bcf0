//! Plans to bytes and back, for shipping stage tasks to executors: datafusion-proto for
//! DataFusion's operators, plus [`PlanCodec`] for ours (the shuffle writer and reader).
//! No codec type leaks out: callers see [`encode_plan`] and [`decode_plan`].
//!
//! A plan must compute on executors what it computes on the scheduler, and datafusion-proto
//! 55.2 loses parts of some operators and expressions. [`FaithfulConverter`] routes those
//! it knows to be lossy (window operators, `generate_series` scans, casts to explicit
//! fields, literals with metadata) through [`PlanCodec`], which encodes them whole: a plan
//! that still cannot travel intact fails to encode, and then runs on the scheduler (see
//! `query_placement.rs`).

use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::ipc::convert::try_schema_from_ipc_buffer;
use arrow::ipc::writer::{IpcDataGenerator, IpcWriteOptions};
use bytes::Bytes;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, LexOrdering};
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_plan::memory::LazyMemoryExec;
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use datafusion_proto::bytes::{
    physical_plan_from_bytes_with_proto_converter, physical_plan_to_bytes_with_proto_converter,
};
use datafusion_proto::physical_plan::from_proto::{
    parse_physical_expr_with_converter, parse_physical_sort_exprs, parse_protobuf_partitioning,
};
use datafusion_proto::physical_plan::to_proto::{
    serialize_partitioning, serialize_physical_expr_with_converter, serialize_physical_sort_exprs,
};
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalPlanNodeExt,
    PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf;
use prost::{Message, Oneof};
use trebuchet_shuffle::ids::{ExecutorId, JobId, StageId};
use trebuchet_shuffle::{
    PartitionLocation, RemoteExecutor, ShuffleFormat, ShuffleLayout, ShuffleOutput,
    ShuffleReaderExec, ShuffleWriterExec, SortShuffleConfig,
};

use crate::expr_codec;
use crate::series_codec::{SeriesNode, decode_series, encode_series};
use crate::window_codec::{self, WindowNode, decode_window, encode_window};

/// Serializes a physical plan, shuffle operators included. Fails for a plan that would
/// not compute the same on executors (see the module docs).
pub fn encode_plan(plan: Arc<dyn ExecutionPlan>) -> Result<Bytes> {
    physical_plan_to_bytes_with_proto_converter(plan, &PlanCodec, &FaithfulConverter)
}

/// Reads a plan written by [`encode_plan`], resolving functions and tables in `ctx`.
pub fn decode_plan(bytes: &[u8], ctx: &TaskContext) -> Result<Arc<dyn ExecutionPlan>> {
    physical_plan_from_bytes_with_proto_converter(bytes, ctx, &PlanCodec, &FaithfulConverter)
}

/// datafusion-proto's default conversion, except where it would lose what the plan
/// computes: lossy operators and expressions become [`PlanCodec`] extensions, and what
/// no encoding carries fails to encode.
#[derive(Debug, Clone, Copy, Default)]
struct FaithfulConverter;

impl PhysicalProtoConverterExtension for FaithfulConverter {
    fn proto_to_execution_plan(
        &self,
        proto: &protobuf::PhysicalPlanNode,
        ctx: &PhysicalPlanDecodeContext<'_>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        proto.try_into_physical_plan_with_context(ctx, self)
    }

    fn execution_plan_to_proto(
        &self,
        plan: &Arc<dyn ExecutionPlan>,
        codec: &dyn PhysicalExtensionCodec,
    ) -> Result<protobuf::PhysicalPlanNode> {
        if window_codec::is_window(plan.as_ref()) || plan.is::<LazyMemoryExec>() {
            return encode_as_extension(plan, codec, self);
        }
        protobuf::PhysicalPlanNode::try_from_physical_plan_with_converter(
            Arc::clone(plan),
            codec,
            self,
        )
    }

    fn proto_to_physical_expr(
        &self,
        proto: &protobuf::PhysicalExprNode,
        input_schema: &Schema,
        ctx: &PhysicalPlanDecodeContext<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        parse_physical_expr_with_converter(proto, input_schema, ctx, self)
    }

    fn physical_expr_to_proto(
        &self,
        expr: &Arc<dyn PhysicalExpr>,
        codec: &dyn PhysicalExtensionCodec,
    ) -> Result<protobuf::PhysicalExprNode> {
        // A scalar subquery the scheduler already ran travels as its value.
        if let Some(literal) = crate::scalar_subqueries::resolved_literal(expr) {
            return serialize_physical_expr_with_converter(&literal, codec, self);
        }
        let Some(node) = expr_codec::encode_expr(expr)? else {
            return serialize_physical_expr_with_converter(expr, codec, self);
        };
        let inputs = expr
            .children()
            .into_iter()
            .map(|child| self.physical_expr_to_proto(child, codec))
            .collect::<Result<_>>()?;
        Ok(protobuf::PhysicalExprNode {
            expr_id: None,
            expr_type: Some(protobuf::physical_expr_node::ExprType::Extension(
                protobuf::PhysicalExtensionExprNode {
                    expr: node.encode_to_vec(),
                    inputs,
                },
            )),
        })
    }
}

/// `plan` as an extension node that `codec` encodes, with its children as inputs: what
/// datafusion-proto does for operators it does not know.
fn encode_as_extension(
    plan: &Arc<dyn ExecutionPlan>,
    codec: &dyn PhysicalExtensionCodec,
    converter: &dyn PhysicalProtoConverterExtension,
) -> Result<protobuf::PhysicalPlanNode> {
    let mut node = Vec::new();
    codec.try_encode(Arc::clone(plan), &mut node, converter)?;
    let inputs = plan
        .children()
        .into_iter()
        .map(|child| converter.execution_plan_to_proto(child, codec))
        .collect::<Result<_>>()?;
    Ok(protobuf::PhysicalPlanNode {
        physical_plan_type: Some(protobuf::physical_plan_node::PhysicalPlanType::Extension(
            protobuf::PhysicalExtensionNode { node, inputs },
        )),
    })
}

/// The extension codec for Trebuchet's own operators, and for the DataFusion operators
/// and expressions whose datafusion-proto encoding is lossy.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanCodec;

#[derive(Clone, PartialEq, Message)]
struct ExtensionNode {
    #[prost(oneof = "Node", tags = "1, 2, 3, 4")]
    node: Option<Node>,
}

#[derive(Clone, PartialEq, Oneof)]
enum Node {
    #[prost(message, tag = "1")]
    Writer(WriterNode),
    #[prost(message, tag = "2")]
    Reader(ReaderNode),
    /// DataFusion's window operators, which datafusion-proto encodes lossily.
    #[prost(message, tag = "3")]
    Window(WindowNode),
    /// A `generate_series` or `range` scan, which datafusion-proto encodes lossily.
    #[prost(message, tag = "4")]
    Series(SeriesNode),
}

#[derive(Clone, PartialEq, Message)]
struct WriterNode {
    #[prost(string, tag = "1")]
    job: String,
    #[prost(uint32, tag = "2")]
    stage: u32,
    #[prost(string, tag = "3")]
    work_dir: String,
    /// Absent for a pass-through writer.
    #[prost(message, optional, tag = "4")]
    partitioning: Option<protobuf::Partitioning>,
    #[prost(message, optional, tag = "5")]
    sort_shuffle: Option<SortShuffleNode>,
    /// The final stage's writer: paced by the reader of the query's result.
    #[prost(bool, tag = "6")]
    streams_result: bool,
}

#[derive(Clone, PartialEq, Message)]
struct ReaderNode {
    #[prost(uint32, tag = "1")]
    stage: u32,
    /// Arrow IPC schema message.
    #[prost(bytes = "vec", tag = "2")]
    schema: Vec<u8>,
    #[prost(message, optional, tag = "3")]
    partitioning: Option<protobuf::Partitioning>,
    /// The order rows keep within each partition (pass-through stages only).
    #[prost(message, repeated, tag = "4")]
    ordering: Vec<protobuf::PhysicalSortExprNode>,
    #[prost(bool, tag = "5")]
    resolved: bool,
    #[prost(message, repeated, tag = "6")]
    partitions: Vec<PartitionFiles>,
}

#[derive(Clone, PartialEq, Message)]
struct PartitionFiles {
    #[prost(message, repeated, tag = "1")]
    files: Vec<FileLocation>,
}

#[derive(Clone, PartialEq, Message)]
struct FileLocation {
    #[prost(string, tag = "1")]
    path: String,
    #[prost(uint64, tag = "2")]
    num_rows: u64,
    #[prost(uint64, tag = "3")]
    num_bytes: u64,
    /// Empty when the file is on the reading executor's own disk.
    #[prost(string, tag = "4")]
    executor_id: String,
    #[prost(string, tag = "5")]
    executor_url: String,
    #[prost(uint32, optional, tag = "6")]
    index_entry: Option<u32>,
    #[prost(uint32, tag = "7")]
    map_task: u32,
}

/// The sort-based writer's settings; absent for the hash-based writer.
#[derive(Clone, PartialEq, Message)]
struct SortShuffleNode {
    #[prost(uint64, tag = "1")]
    buffer_size: u64,
    #[prost(uint64, tag = "2")]
    memory_limit: u64,
    #[prost(double, tag = "3")]
    spill_threshold: f64,
    #[prost(uint64, tag = "4")]
    batch_size: u64,
}

impl PhysicalExtensionCodec for PlanCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let node = ExtensionNode::decode(buf).map_err(|err| {
            DataFusionError::Internal(format!("undecodable plan extension: {err}"))
        })?;
        let decode_ctx = PhysicalPlanDecodeContext::new(ctx, self);
        match node.node {
            Some(Node::Writer(writer)) => {
                let [input] = inputs else {
                    return datafusion::common::internal_err!("a shuffle writer has one input");
                };
                let partitioning = parse_protobuf_partitioning(
                    writer.partitioning.as_ref(),
                    &decode_ctx,
                    &input.schema(),
                    converter,
                )?;
                let output = ShuffleOutput {
                    layout: ShuffleLayout::new(writer.work_dir),
                    job: JobId::new(writer.job),
                    stage: StageId(writer.stage),
                    // Not encoded: the executor running the task sets it.
                    attempt: 0,
                };
                let format = match writer.sort_shuffle {
                    None => ShuffleFormat::FilePerPartition,
                    Some(sort) => ShuffleFormat::Indexed(SortShuffleConfig {
                        buffer_size: sort.buffer_size,
                        memory_limit: sort.memory_limit,
                        spill_threshold: sort.spill_threshold,
                        batch_size: usize::try_from(sort.batch_size).unwrap_or(usize::MAX),
                    }),
                };
                Ok(Arc::new(
                    ShuffleWriterExec::try_new(Arc::clone(input), partitioning, output)?
                        .with_format(format)
                        .streaming_result(writer.streams_result),
                ))
            }
            Some(Node::Reader(reader)) => {
                let schema = Arc::new(try_schema_from_ipc_buffer(&reader.schema)?);
                let partitioning = parse_protobuf_partitioning(
                    reader.partitioning.as_ref(),
                    &decode_ctx,
                    &schema,
                    converter,
                )?
                .ok_or_else(|| {
                    DataFusionError::Internal("a shuffle reader without partitioning".into())
                })?;
                let ordering =
                    parse_physical_sort_exprs(&reader.ordering, &decode_ctx, &schema, converter)?;
                let mut properties = EquivalenceProperties::new(Arc::clone(&schema));
                if let Some(ordering) = LexOrdering::new(ordering) {
                    properties.add_ordering(ordering);
                }
                let unresolved = ShuffleReaderExec::unresolved(
                    StageId(reader.stage),
                    schema,
                    properties,
                    partitioning,
                );
                if !reader.resolved {
                    return Ok(Arc::new(unresolved));
                }
                let locations = reader
                    .partitions
                    .into_iter()
                    .map(|partition| {
                        partition
                            .files
                            .into_iter()
                            .map(|file| PartitionLocation {
                                path: file.path.into(),
                                num_rows: file.num_rows,
                                num_bytes: file.num_bytes,
                                index_entry: file.index_entry,
                                map_task: file.map_task,
                                remote: (!file.executor_id.is_empty()).then(|| RemoteExecutor {
                                    id: ExecutorId::new(file.executor_id),
                                    url: file.executor_url,
                                }),
                            })
                            .collect()
                    })
                    .collect();
                Ok(Arc::new(unresolved.resolve(locations)?))
            }
            Some(Node::Window(window)) => {
                let [input] = inputs else {
                    return datafusion::common::internal_err!("a window operator has one input");
                };
                decode_window(&window, input, &decode_ctx, converter)
            }
            Some(Node::Series(series)) => decode_series(&series, &decode_ctx, converter),
            None => datafusion::common::internal_err!("a plan extension without a node"),
        }
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        _ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        expr_codec::decode_expr(buf, inputs)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let encoded = if let Some(writer) = node.downcast_ref::<ShuffleWriterExec>() {
            let output = writer.output();
            Node::Writer(WriterNode {
                job: output.job.to_string(),
                stage: output.stage.0,
                work_dir: output.layout.root().to_string_lossy().into_owned(),
                partitioning: writer
                    .partitioning()
                    .map(|partitioning| serialize_partitioning(partitioning, self, converter))
                    .transpose()?,
                sort_shuffle: match writer.format() {
                    ShuffleFormat::FilePerPartition => None,
                    ShuffleFormat::Indexed(config) => Some(SortShuffleNode {
                        buffer_size: config.buffer_size,
                        memory_limit: config.memory_limit,
                        spill_threshold: config.spill_threshold,
                        batch_size: config.batch_size as u64,
                    }),
                },
                streams_result: writer.streams_result(),
            })
        } else if let Some(reader) = node.downcast_ref::<ShuffleReaderExec>() {
            let ordering = reader
                .properties()
                .output_ordering()
                .map(|ordering| {
                    serialize_physical_sort_exprs(ordering.iter().cloned(), self, converter)
                })
                .transpose()?
                .unwrap_or_default();
            let partitions = reader
                .locations()
                .map(|partitions| {
                    partitions
                        .iter()
                        .map(|files| PartitionFiles {
                            files: files
                                .iter()
                                .map(|file| FileLocation {
                                    path: file.path.to_string_lossy().into_owned(),
                                    num_rows: file.num_rows,
                                    num_bytes: file.num_bytes,
                                    index_entry: file.index_entry,
                                    map_task: file.map_task,
                                    executor_id: file
                                        .remote
                                        .as_ref()
                                        .map(|remote| remote.id.to_string())
                                        .unwrap_or_default(),
                                    executor_url: file
                                        .remote
                                        .as_ref()
                                        .map(|remote| remote.url.clone())
                                        .unwrap_or_default(),
                                })
                                .collect(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Node::Reader(ReaderNode {
                stage: reader.stage().0,
                schema: schema_bytes(&reader.schema())?,
                partitioning: Some(serialize_partitioning(
                    &reader.properties().partitioning,
                    self,
                    converter,
                )?),
                ordering,
                resolved: reader.locations().is_some(),
                partitions,
            })
        } else if let Some(window) = encode_window(node.as_ref(), self, converter)? {
            Node::Window(window)
        } else if let Some(series) = node
            .downcast_ref::<LazyMemoryExec>()
            .map(|scan| encode_series(scan, self, converter))
            .transpose()?
            .flatten()
        {
            Node::Series(series)
        } else {
            return datafusion::common::internal_err!("no codec for operator {}", node.name());
        };
        ExtensionNode {
            node: Some(encoded),
        }
        .encode(buf)
        .map_err(|err| DataFusionError::Internal(format!("cannot encode plan extension: {err}")))
    }
}

/// A schema as one Arrow IPC message, readable by `try_schema_from_ipc_buffer`.
pub fn schema_bytes(schema: &Schema) -> Result<Vec<u8>> {
    let encoded = IpcDataGenerator::default().schema_to_bytes_with_dictionary_tracker(
        schema,
        &mut arrow::ipc::writer::DictionaryTracker::new(false),
        &IpcWriteOptions::default(),
    );
    let mut bytes = Vec::new();
    arrow::ipc::writer::write_message(&mut bytes, encoded, &IpcWriteOptions::default())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use datafusion::physical_plan::{ExecutionPlanProperties, Partitioning, displayable};
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::session_defaults::default_session_config;
    use crate::stage_planner::plan_stages;
    use crate::test_support::{physical_plan, run_statement};

    /// The plan as EXPLAIN shows it, less the parquet row-group reordering hint, which
    /// datafusion-proto 55 does not carry (it only affects speed, never results).
    fn text(plan: &dyn ExecutionPlan) -> String {
        displayable(plan)
            .indent(true)
            .to_string()
            .lines()
            .map(|line| match line.find(", sort_order_for_reorder=") {
                Some(at) => &line[..at],
                None => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    async fn context(dir: &std::path::Path) -> SessionContext {
        let ctx =
            SessionContext::new_with_config(default_session_config().with_target_partitions(4));
        for (table, sql) in [
            (
                "t",
                "SELECT * FROM (VALUES (1, 10), (2, 20), (1, 30)) AS v(k, x)",
            ),
            (
                "u",
                "SELECT * FROM (VALUES (1, 'one'), (2, 'two')) AS v(k, name)",
            ),
        ] {
            let path = dir.join(format!("{table}.parquet"));
            ctx.sql(&format!(
                "COPY ({sql}) TO '{}' STORED AS PARQUET",
                path.display()
            ))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
            ctx.register_parquet(table, path.to_str().unwrap(), Default::default())
                .await
                .unwrap();
        }
        ctx
    }

    #[tokio::test]
    async fn every_stage_of_a_query_survives_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path()).await;
        for sql in [
            "SELECT k, sum(x) FROM t GROUP BY k ORDER BY k",
            "SELECT u.name, count(*) FROM t JOIN u ON t.k = u.k GROUP BY u.name ORDER BY 1",
            "SELECT k, lag(x) IGNORE NULLS OVER (PARTITION BY k ORDER BY x DESC), \
             lead(x) OVER (PARTITION BY k ORDER BY x) FROM t",
            "SELECT count(*) FROM generate_series(1, 10) AS s(v) JOIN t ON s.v = t.k",
        ] {
            let plan = physical_plan(&ctx, sql).await;
            let stages = plan_stages(
                &JobId::new("job"),
                &ShuffleLayout::new(dir.path()),
                ShuffleFormat::default(),
                plan,
            )
            .unwrap();
            for stage in stages.stages() {
                let original: Arc<dyn ExecutionPlan> = Arc::clone(&stage.plan) as _;
                let bytes = encode_plan(Arc::clone(&original)).unwrap();
                let decoded = decode_plan(&bytes, &ctx.task_ctx()).unwrap();
                assert_eq!(text(decoded.as_ref()), text(original.as_ref()), "{sql}");
            }
        }
    }

    #[tokio::test]
    async fn resolved_readers_keep_their_files_and_ordering() {
        let schema = Arc::new(Schema::new(vec![arrow::datatypes::Field::new(
            "k",
            arrow::datatypes::DataType::Int64,
            false,
        )]));
        let key = datafusion::physical_expr::expressions::col("k", &schema).unwrap();
        let mut properties = EquivalenceProperties::new(Arc::clone(&schema));
        let sort = datafusion::physical_expr::PhysicalSortExpr::new_default(key);
        properties.add_ordering(LexOrdering::new(vec![sort]).unwrap());
        let reader = ShuffleReaderExec::unresolved(
            StageId(4),
            schema,
            properties,
            Partitioning::UnknownPartitioning(2),
        );
        let location = |path: &str| PartitionLocation {
            path: path.into(),
            num_rows: 3,
            num_bytes: 99,
            index_entry: path.starts_with("/a").then_some(1),
            map_task: path.len() as u32,
            remote: path.starts_with("/b").then(|| RemoteExecutor {
                id: ExecutorId::new("b"),
                url: "http://127.0.0.1:7".into(),
            }),
        };
        let resolved = reader
            .resolve(vec![
                vec![location("/a/0.arrow")],
                vec![location("/a/1.arrow"), location("/b/1.arrow")],
            ])
            .unwrap();

        let bytes = encode_plan(Arc::new(resolved.clone())).unwrap();
        let decoded = decode_plan(&bytes, &SessionContext::new().task_ctx()).unwrap();
        assert_eq!(
            decoded.output_ordering(),
            resolved.properties().output_ordering()
        );
        let decoded = decoded.downcast_ref::<ShuffleReaderExec>().unwrap();
        assert_eq!(decoded.locations(), resolved.locations());
        assert_eq!(decoded.stage(), StageId(4));
    }

    /// The rows of `plan` as sorted text lines, with the schema they came with.
    async fn answer(plan: Arc<dyn ExecutionPlan>, ctx: &SessionContext) -> (Schema, Vec<String>) {
        let schema = plan.schema().as_ref().clone();
        let batches = datafusion::physical_plan::collect(plan, ctx.task_ctx())
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        let mut rows: Vec<String> = text.lines().map(str::to_owned).collect();
        rows.sort();
        (schema, rows)
    }

    /// The output schema of every operator of `plan`, nullability and metadata included.
    fn schemas(plan: &Arc<dyn ExecutionPlan>) -> Vec<arrow::datatypes::SchemaRef> {
        let mut all = vec![plan.schema()];
        for child in plan.children() {
            all.extend(schemas(child));
        }
        all
    }

    /// Plans `sql` as the scheduler does, ships the plan through the codec and checks the
    /// decoded plan is the same plan and computes the same answer (rows and schema).
    async fn assert_same_answer_after_round_trip(ctx: &SessionContext, sql: &str) {
        let plan = physical_plan(ctx, sql).await;
        let bytes = encode_plan(Arc::clone(&plan))
            .unwrap_or_else(|err| panic!("{sql} does not encode: {err}"));
        let decoded = decode_plan(&bytes, &ctx.task_ctx()).unwrap();
        assert_eq!(text(decoded.as_ref()), text(plan.as_ref()), "{sql}");
        assert_eq!(schemas(&decoded), schemas(&plan), "{sql}");
        let expected = answer(plan, ctx).await;
        let actual = answer(decoded, ctx).await;
        assert_eq!(actual, expected, "{sql}");
    }

    /// A session configured as Trebuchet's, with a table `w` of keys `k`, values `x` (some
    /// NULL) and groups `g`.
    async fn window_context() -> SessionContext {
        let ctx = SessionContext::new_with_config(default_session_config());
        run_statement(
            &ctx,
            "CREATE TABLE w (k INT, x INT, g VARCHAR) AS VALUES \
             (1, NULL, 'a'), (2, 5, 'a'), (3, NULL, 'b'), (4, 7, 'b'), (5, NULL, 'b'), (6, 9, 'a')",
        )
        .await;
        ctx
    }

    #[tokio::test]
    async fn window_functions_keep_ignore_nulls() {
        let ctx = window_context().await;
        for sql in [
            "SELECT first_value(x) IGNORE NULLS OVER () FROM w",
            "SELECT k, first_value(x) IGNORE NULLS OVER (ORDER BY k) FROM w",
            "SELECT k, last_value(x) IGNORE NULLS OVER (PARTITION BY g ORDER BY k \
             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM w",
            "SELECT k, nth_value(x, 2) IGNORE NULLS OVER (ORDER BY k) FROM w",
            "SELECT k, lag(x) IGNORE NULLS OVER (ORDER BY k), \
             lead(x, 1, -1) IGNORE NULLS OVER (PARTITION BY g ORDER BY k) FROM w",
        ] {
            assert_same_answer_after_round_trip(&ctx, sql).await;
        }
    }

    #[tokio::test]
    async fn reversed_window_functions_stay_reversed() {
        let ctx = window_context().await;
        // Windows over opposite orders: the optimizer reverses one instead of sorting
        // twice, which turns `lead` into a `lag` reading forward, and so on.
        for sql in [
            "SELECT k, lag(x) OVER (ORDER BY k DESC), lead(x) OVER (ORDER BY k) FROM w",
            "SELECT k, lag(x, 2, 0) OVER (ORDER BY k DESC), lag(x) OVER (ORDER BY k), \
             nth_value(x, 2) OVER (ORDER BY k), last_value(x) OVER (ORDER BY k \
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM w",
            "SELECT k, lag(x) OVER (ORDER BY k DESC), \
             sum(x) OVER (ORDER BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), \
             first_value(x) IGNORE NULLS OVER (ORDER BY k) FROM w",
        ] {
            let plan = physical_plan(&ctx, sql).await;
            assert!(
                format!("{plan:?}").contains("is_reversed: true"),
                "{sql} no longer plans a reversed window function"
            );
            assert_same_answer_after_round_trip(&ctx, sql).await;
        }
    }

    #[tokio::test]
    async fn window_aggregates_survive_a_round_trip() {
        let ctx = window_context().await;
        for sql in [
            "SELECT k, sum(x) OVER (PARTITION BY g ORDER BY k), count(*) OVER () FROM w",
            "SELECT k, avg(x) OVER (ORDER BY k ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), \
             min(x) OVER (ORDER BY k RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) FROM w",
            "SELECT k, count(DISTINCT x) OVER (PARTITION BY g), \
             array_agg(x) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM w",
            "SELECT k, row_number() OVER (PARTITION BY g ORDER BY k DESC), rank() OVER (ORDER BY x), \
             ntile(2) OVER (ORDER BY k), cume_dist() OVER (ORDER BY k) FROM w",
        ] {
            assert_same_answer_after_round_trip(&ctx, sql).await;
        }
    }

    #[tokio::test]
    async fn window_aggregate_filters_keep_the_plan_on_the_scheduler() {
        let ctx = window_context().await;
        for sql in [
            "SELECT count(*) FILTER (WHERE NULL) OVER () FROM w",
            "SELECT k, sum(x) FILTER (WHERE k > 2) OVER (ORDER BY k ROWS 1 PRECEDING) FROM w",
        ] {
            let plan = physical_plan(&ctx, sql).await;
            let err = encode_plan(plan).expect_err(sql).to_string();
            assert!(err.contains("FILTER"), "{sql}: {err}");
        }
    }

    #[tokio::test]
    async fn series_scans_survive_a_round_trip() {
        let ctx = window_context().await;
        for sql in [
            "WITH s AS (SELECT * FROM generate_series(1,10)) SELECT count(*) FROM s",
            "SELECT count(*) FROM range(3, 100, 7)",
            "SELECT value FROM generate_series(10, 1, -3) ORDER BY value",
            "SELECT count(*) FROM generate_series(NULL, 4)",
            "SELECT count(*), max(value) FROM generate_series(\
             TIMESTAMP '2024-01-01T00:00:00', TIMESTAMP '2024-01-02T00:00:00', INTERVAL '1 hour')",
            "SELECT count(*) FROM generate_series(DATE '2024-01-01', DATE '2024-03-01', INTERVAL '1 week')",
            "SELECT count(*) FROM generate_series(\
             arrow_cast('2024-01-01T00:00:00', 'Timestamp(Nanosecond, Some(\"+02:00\"))'), \
             arrow_cast('2024-01-01T05:00:00', 'Timestamp(Nanosecond, Some(\"+02:00\"))'), \
             INTERVAL '1 hour')",
        ] {
            assert_same_answer_after_round_trip(&ctx, sql).await;
        }
    }

    #[tokio::test]
    async fn queries_of_every_kind_survive_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = window_context().await;
        let parquet = context(dir.path()).await;
        for (name, table) in [("t", "t"), ("u", "u")] {
            ctx.register_table(name, parquet.table_provider(table).await.unwrap())
                .unwrap();
        }
        for sql in [
            "SELECT g, count(*), sum(x) FILTER (WHERE k > 2), count(DISTINCT x), \
             array_agg(k ORDER BY k DESC), string_agg(g, ',' ORDER BY k) FROM w GROUP BY g",
            "SELECT g, k % 2, sum(x) FROM w GROUP BY GROUPING SETS ((g), (k % 2), ())",
            "SELECT w.k, t.x, u.name FROM w JOIN t ON w.k = t.k LEFT JOIN u ON t.k = u.k",
            "SELECT w.k, t.x FROM w JOIN t ON w.k < t.k",
            "SELECT * FROM w WHERE k IN (SELECT k FROM t) AND x IS NOT NULL",
            "SELECT * FROM w WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.k = w.k)",
            "SELECT k FROM w UNION SELECT k FROM t INTERSECT SELECT k FROM u",
            "SELECT k FROM w EXCEPT ALL SELECT k FROM t",
            "SELECT k, CASE WHEN x > 6 THEN 'big' WHEN x IS NULL THEN NULL ELSE 'small' END, \
             coalesce(x, -1), nullif(k, 3), x BETWEEN 5 AND 8, g LIKE 'a%', g ~ '^b', \
             upper(g) || lpad(CAST(k AS VARCHAR), 3, '0') FROM w",
            "SELECT k, CAST(x AS DOUBLE) / 3, TRY_CAST(g AS INT), arrow_cast(k, 'Int8'), \
             date_trunc('month', to_timestamp(k * 3000000)), DATE '2024-05-17' + INTERVAL '1 month', \
             to_timestamp(k * 86400) FROM w",
            "SELECT k, make_array(k, x), struct(k, g), named_struct('a', k)['a'], \
             map([g], [k]), array_length(make_array(1, 2, k)) FROM w",
            "SELECT k, unnest(make_array(k, k + 1)) FROM w",
            "SELECT unnest(struct(k, g)) FROM w",
            "SELECT k, x FROM w ORDER BY x DESC NULLS LAST, k LIMIT 3",
            "SELECT k, (SELECT max(x) FROM t WHERE t.k = w.k) FROM w",
            "SELECT k, x, sum(x) OVER w1, rank() OVER w1 FROM w WINDOW w1 AS (PARTITION BY g ORDER BY k)",
            "SELECT * FROM (VALUES (1, 'a'), (2, NULL)) AS v(a, b) JOIN w ON v.a = w.k",
            "SELECT k FROM w WHERE random() >= 0 AND uuid() IS NOT NULL",
            "SELECT count(*) FROM generate_series(1, 100) AS s(v) JOIN w ON s.v = w.k",
        ] {
            assert_same_answer_after_round_trip(&ctx, sql).await;
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_plan(b"\x00garbage", &SessionContext::new().task_ctx()).is_err());
    }
}
