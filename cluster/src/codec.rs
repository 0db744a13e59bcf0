//! Plans to bytes and back, for shipping stage tasks to executors: datafusion-proto for
//! DataFusion's operators, plus [`PlanCodec`] for ours (the shuffle writer and reader).
//! No codec type leaks out: callers see [`encode_plan`] and [`decode_plan`].

use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::ipc::convert::try_schema_from_ipc_buffer;
use arrow::ipc::writer::{IpcDataGenerator, IpcWriteOptions};
use bytes::Bytes;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, LexOrdering};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::bytes::{
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use datafusion_proto::physical_plan::from_proto::{
    parse_physical_sort_exprs, parse_protobuf_partitioning,
};
use datafusion_proto::physical_plan::to_proto::{
    serialize_partitioning, serialize_physical_sort_exprs,
};
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf;
use prost::{Message, Oneof};
use trebuchet_shuffle::ids::{ExecutorId, JobId, StageId};
use trebuchet_shuffle::{
    PartitionLocation, RemoteExecutor, ShuffleFormat, ShuffleLayout, ShuffleOutput,
    ShuffleReaderExec, ShuffleWriterExec, SortShuffleConfig,
};

/// Serializes a physical plan, shuffle operators included.
pub fn encode_plan(plan: Arc<dyn ExecutionPlan>) -> Result<Bytes> {
    physical_plan_to_bytes_with_extension_codec(plan, &PlanCodec)
}

/// Reads a plan written by [`encode_plan`], resolving functions and tables in `ctx`.
pub fn decode_plan(bytes: &[u8], ctx: &TaskContext) -> Result<Arc<dyn ExecutionPlan>> {
    physical_plan_from_bytes_with_extension_codec(bytes, ctx, &PlanCodec)
}

/// The extension codec for Trebuchet's own operators.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanCodec;

#[derive(Clone, PartialEq, Message)]
struct ExtensionNode {
    #[prost(oneof = "Node", tags = "1, 2")]
    node: Option<Node>,
}

#[derive(Clone, PartialEq, Oneof)]
enum Node {
    #[prost(message, tag = "1")]
    Writer(WriterNode),
    #[prost(message, tag = "2")]
    Reader(ReaderNode),
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
            None => datafusion::common::internal_err!("a plan extension without a node"),
        }
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
    use crate::test_support::physical_plan;

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

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_plan(b"\x00garbage", &SessionContext::new().task_ctx()).is_err());
    }
}
