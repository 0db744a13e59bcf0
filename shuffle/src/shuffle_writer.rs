//! [`ShuffleWriterExec`]: the root of every stage. Each input partition is one map task;
//! it hash-partitions its rows into N outputs and writes each to an Arrow IPC file laid out
//! by [`ShuffleLayout`], then returns one summary row per file, which the scheduler turns
//! into locations for the next stage's [`crate::ShuffleReaderExec`].
//!
//! ```text
//!   stage k, map task t:  input ──▶ hash(keys) % N ──▶ <t>/0.arrow … <t>/(N-1).arrow
//!   stage k+1, partition p ◀── read p.arrow of every map task
//! ```
//!
//! How a hash shuffle lands on disk is the session's [`ShuffleFormat`]: a file per output
//! partition, or (sort-based, the default) one indexed data file per map task.
//!
//! Without a partitioning the writer passes each input partition through as the output
//! partition of the same index (the final stage, or a stage feeding a single consumer), to
//! a file of its own: there is nothing to index. The final stage's writer writes the
//! query's result, which the client reads as it is written: that writer waits while it is
//! more than [`crate::MAX_UNREAD_RESULT_BYTES`] ahead of its reader.

use std::fmt;
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::Result;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{
    Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet, Time,
};
use datafusion::physical_plan::repartition::BatchPartitioner;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties,
};
use futures::{FutureExt, StreamExt};

use crate::ids::{JobId, PartitionId, StageId};
use crate::layout::ShuffleLayout;
use crate::partition_buffers::PartitionBuffers;
use crate::partition_file::{PartitionFileWriter, PartitionSummary};
use crate::shuffle_format::{ShuffleFormat, SortShuffleConfig};

/// Writes the output of a stage's map tasks as shuffle partitions. See the module docs.
#[derive(Debug)]
pub struct ShuffleWriterExec {
    input: Arc<dyn ExecutionPlan>,
    partitioning: Option<Partitioning>,
    format: ShuffleFormat,
    output: ShuffleOutput,
    /// Writes the query's result: paced by its reader.
    streams_result: bool,
    metrics: ExecutionPlanMetricsSet,
    properties: Arc<PlanProperties>,
}

/// Where a stage writes: the layout root, the job and stage it belongs to, and the attempt.
#[derive(Debug, Clone)]
pub struct ShuffleOutput {
    pub layout: ShuffleLayout,
    pub job: JobId,
    pub stage: StageId,
    /// Which attempt of the task writes. Each attempt has its own files, so a late or
    /// abandoned attempt never overwrites the files of the one the scheduler counts.
    pub attempt: u32,
}

impl ShuffleWriterExec {
    /// A writer for `input`; `partitioning` is `Some(Hash(..))` for a shuffle and `None` to
    /// pass each input partition through.
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        partitioning: Option<Partitioning>,
        output: ShuffleOutput,
    ) -> Result<Self> {
        if let Some(partitioning) = &partitioning
            && !matches!(partitioning, Partitioning::Hash(_, n) if *n > 0)
        {
            return datafusion::common::plan_err!(
                "a shuffle writer partitions by hash into at least one partition, not {partitioning}"
            );
        }
        let input_partitions = input.output_partitioning().partition_count();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(summary_schema()),
            Partitioning::UnknownPartitioning(input_partitions),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        Ok(Self {
            input,
            partitioning,
            format: ShuffleFormat::FilePerPartition,
            output,
            streams_result: false,
            metrics: ExecutionPlanMetricsSet::new(),
            properties: Arc::new(properties),
        })
    }

    /// The same writer laying its output out as `format`.
    pub fn with_format(mut self, format: ShuffleFormat) -> Self {
        self.format = format;
        self
    }

    /// The same writer writing the query's result (the final stage): each partition then
    /// waits while it is more than [`crate::MAX_UNREAD_RESULT_BYTES`] ahead of its reader.
    /// Only a pass-through writer is read as it writes, so a repartitioning one ignores it.
    pub fn streaming_result(mut self, streams_result: bool) -> Self {
        self.streams_result = streams_result;
        self
    }

    /// Whether it writes the query's result.
    pub fn streams_result(&self) -> bool {
        self.streams_result
    }

    /// How a repartitioning writer lays its output out.
    pub fn format(&self) -> ShuffleFormat {
        self.format
    }

    /// The partitioning of the shuffle output, if it repartitions.
    pub fn partitioning(&self) -> Option<&Partitioning> {
        self.partitioning.as_ref()
    }

    /// The plan whose partitions are the stage's map tasks.
    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }

    /// Where the output goes.
    pub fn output(&self) -> &ShuffleOutput {
        &self.output
    }

    /// How many output partitions the next stage reads.
    pub fn output_partition_count(&self) -> usize {
        match &self.partitioning {
            Some(partitioning) => partitioning.partition_count(),
            None => self.input.output_partitioning().partition_count(),
        }
    }
}

impl DisplayAs for ShuffleWriterExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.partitioning {
            Some(partitioning) => write!(
                f,
                "ShuffleWriterExec: stage={}, partitioning={partitioning}, format={}",
                self.output.stage,
                match self.format {
                    ShuffleFormat::FilePerPartition => "hash",
                    ShuffleFormat::Indexed(_) => "sort",
                }
            ),
            None => write!(
                f,
                "ShuffleWriterExec: stage={}, passthrough",
                self.output.stage
            ),
        }
    }
}

impl ExecutionPlan for ShuffleWriterExec {
    fn name(&self) -> &str {
        "ShuffleWriterExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        if let Some(Partitioning::Hash(exprs, _)) = &self.partitioning {
            for expr in exprs {
                if f(expr)? == TreeNodeRecursion::Stop {
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return datafusion::common::internal_err!("ShuffleWriterExec takes one child");
        }
        Ok(Arc::new(
            Self::try_new(
                children.swap_remove(0),
                self.partitioning.clone(),
                self.output.clone(),
            )?
            .with_format(self.format)
            .streaming_result(self.streams_result),
        ))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, Arc::clone(&context))?;
        let task = MapTask {
            map_task: PartitionId(u32::try_from(partition).unwrap_or(u32::MAX)),
            input_partitions: self.input.output_partitioning().partition_count(),
            partitioning: self.partitioning.clone(),
            output: self.output.clone(),
            paced_by_reader: self.streams_result && self.partitioning.is_none(),
            metrics: ShuffleWriteMetrics::new(&self.metrics, partition),
        };
        let summary = match (&self.partitioning, self.format) {
            (Some(_), ShuffleFormat::Indexed(config)) => {
                let reservation = MemoryConsumer::new(format!("ShuffleWriterExec[{partition}]"))
                    .with_can_spill(true)
                    .register(context.memory_pool());
                task.run_indexed(input, config, reservation).boxed()
            }
            _ => task.run(input).boxed(),
        };
        let summary = futures::stream::once(summary);
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            summary_schema(),
            summary,
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// One input partition's worth of shuffle writing.
struct MapTask {
    map_task: PartitionId,
    input_partitions: usize,
    partitioning: Option<Partitioning>,
    output: ShuffleOutput,
    /// Waits for the reader after each batch, rather than running ahead of it.
    paced_by_reader: bool,
    metrics: ShuffleWriteMetrics,
}

impl MapTask {
    async fn run(self, mut input: SendableRecordBatchStream) -> Result<RecordBatch> {
        let schema = input.schema();
        let output_ids: Vec<PartitionId> = match &self.partitioning {
            Some(partitioning) => (0..partitioning.partition_count())
                .map(|output| PartitionId(u32::try_from(output).unwrap_or(u32::MAX)))
                .collect(),
            None => vec![self.map_task],
        };
        let mut writers: Vec<PartitionFileWriter> = output_ids
            .iter()
            .map(|output| {
                let path = self.output.layout.partition_file(
                    &self.output.job,
                    self.output.stage,
                    self.map_task,
                    self.output.attempt,
                    *output,
                );
                let writer = PartitionFileWriter::new(path, Arc::clone(&schema));
                // A passed-through partition has one reader, which may follow it as it
                // grows: the client, for the final stage.
                match self.partitioning {
                    Some(_) => writer,
                    None => writer.followed(),
                }
            })
            .collect();
        let mut partitioner = match &self.partitioning {
            Some(partitioning) => Some(BatchPartitioner::try_new(
                partitioning.clone(),
                self.metrics.repartition_time.clone(),
                self.map_task.0 as usize,
                self.input_partitions,
            )?),
            None => None,
        };
        while let Some(batch) = input.next().await {
            let batch = batch?;
            self.metrics.input_rows.add(batch.num_rows());
            {
                let _timer = self.metrics.write_time.timer();
                match &mut partitioner {
                    Some(partitioner) => partitioner
                        .partition(batch, |output, part| Ok(writers[output].write(&part)?))?,
                    None => writers[0].write(&batch)?,
                }
            }
            if self.paced_by_reader {
                writers[0].wait_for_readers().await;
            }
        }
        let _timer = self.metrics.write_time.timer();
        let summaries = writers
            .into_iter()
            .map(PartitionFileWriter::finish)
            .collect::<crate::Result<Vec<_>>>()?;
        for summary in &summaries {
            self.metrics.bytes_written.add(summary.num_bytes as usize);
        }
        summary_batch(&output_ids, &summaries)
    }

    /// The sort-based writer: buffers every output partition (spilling the largest under
    /// pressure) and writes them all at the end into one indexed data file.
    async fn run_indexed(
        self,
        mut input: SendableRecordBatchStream,
        config: SortShuffleConfig,
        reservation: MemoryReservation,
    ) -> Result<RecordBatch> {
        let Some(partitioning) = self.partitioning.clone() else {
            return datafusion::common::internal_err!("an indexed shuffle needs a partitioning");
        };
        let data_file = self.output.layout.data_file(
            &self.output.job,
            self.output.stage,
            self.map_task,
            self.output.attempt,
        );
        let outputs = partitioning.partition_count();
        let mut buffers = PartitionBuffers::new(
            input.schema(),
            outputs,
            config,
            reservation,
            data_file.clone(),
        );
        let mut partitioner = BatchPartitioner::try_new(
            partitioning,
            self.metrics.repartition_time.clone(),
            self.map_task.0 as usize,
            self.input_partitions,
        )?;
        while let Some(batch) = input.next().await {
            let batch = batch?;
            self.metrics.input_rows.add(batch.num_rows());
            let _timer = self.metrics.write_time.timer();
            partitioner.partition(batch, |output, part| Ok(buffers.push(output, part)?))?;
        }
        let _timer = self.metrics.write_time.timer();
        self.metrics.spill_count.add(buffers.spill_count());
        self.metrics
            .spilled_bytes
            .add(buffers.spilled_bytes() as usize);
        let summaries = buffers.finish(self.output.layout.memory())?;
        for summary in &summaries {
            self.metrics.bytes_written.add(summary.num_bytes as usize);
        }
        let output_ids: Vec<PartitionId> = (0..outputs)
            .map(|output| PartitionId(u32::try_from(output).unwrap_or(u32::MAX)))
            .collect();
        summary_batch(&output_ids, &summaries)
    }
}

/// What a map task reports: one row per output partition file.
pub fn summary_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new("output_partition", DataType::UInt32, false),
            Field::new("path", DataType::Utf8, false),
            Field::new("num_rows", DataType::UInt64, false),
            Field::new("num_bytes", DataType::UInt64, false),
            Field::new("index_entry", DataType::UInt32, true),
        ]))
    });
    Arc::clone(&SCHEMA)
}

/// Reads the rows of a summary batch back: (output partition, what was written to it).
pub fn read_summary_batch(batch: &RecordBatch) -> Result<Vec<(PartitionId, PartitionSummary)>> {
    let malformed =
        || datafusion::error::DataFusionError::Internal("malformed shuffle summary".into());
    let column = |index: usize| batch.columns().get(index).map(|column| column.as_any());
    let outputs = column(0)
        .and_then(|column| column.downcast_ref::<UInt32Array>())
        .ok_or_else(malformed)?;
    let paths = column(1)
        .and_then(|column| column.downcast_ref::<StringArray>())
        .ok_or_else(malformed)?;
    let rows = column(2)
        .and_then(|column| column.downcast_ref::<UInt64Array>())
        .ok_or_else(malformed)?;
    let bytes = column(3)
        .and_then(|column| column.downcast_ref::<UInt64Array>())
        .ok_or_else(malformed)?;
    let entries = column(4)
        .and_then(|column| column.downcast_ref::<UInt32Array>())
        .ok_or_else(malformed)?;
    if batch.columns()[..4]
        .iter()
        .any(|column| column.null_count() > 0)
    {
        return Err(malformed());
    }
    Ok((0..batch.num_rows())
        .map(|row| {
            let summary = PartitionSummary {
                path: paths.value(row).into(),
                num_rows: rows.value(row),
                num_bytes: bytes.value(row),
                index_entry: entries.is_valid(row).then(|| entries.value(row)),
            };
            (PartitionId(outputs.value(row)), summary)
        })
        .collect())
}

fn summary_batch(outputs: &[PartitionId], summaries: &[PartitionSummary]) -> Result<RecordBatch> {
    let paths: Vec<String> = summaries
        .iter()
        .map(|summary| summary.path.to_string_lossy().into_owned())
        .collect();
    Ok(RecordBatch::try_new(
        summary_schema(),
        vec![
            Arc::new(UInt32Array::from_iter_values(outputs.iter().map(|id| id.0))),
            Arc::new(StringArray::from(paths)),
            Arc::new(UInt64Array::from_iter_values(
                summaries.iter().map(|s| s.num_rows),
            )),
            Arc::new(UInt64Array::from_iter_values(
                summaries.iter().map(|s| s.num_bytes),
            )),
            Arc::new(UInt32Array::from_iter(
                summaries.iter().map(|s| s.index_entry),
            )),
        ],
    )?)
}

/// Metrics of one map task.
struct ShuffleWriteMetrics {
    input_rows: Count,
    bytes_written: Count,
    write_time: Time,
    repartition_time: Time,
    spill_count: Count,
    spilled_bytes: Count,
}

impl ShuffleWriteMetrics {
    fn new(metrics: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        Self {
            input_rows: MetricBuilder::new(metrics).counter("input_rows", partition),
            bytes_written: MetricBuilder::new(metrics).counter("bytes_written", partition),
            write_time: MetricBuilder::new(metrics).subset_time("write_time", partition),
            repartition_time: MetricBuilder::new(metrics)
                .subset_time("repartition_time", partition),
            spill_count: MetricBuilder::new(metrics).spill_count(partition),
            spilled_bytes: MetricBuilder::new(metrics).spilled_bytes(partition),
        }
    }
}
