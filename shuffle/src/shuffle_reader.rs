//! [`ShuffleReaderExec`]: how a stage reads the shuffle output of the stage before it.
//! Output partition `p` is the concatenation of partition `p` of every map task's output.
//!
//! A reader is planned *unresolved* (it knows the producing stage, not yet its files) and
//! resolved to concrete locations once that stage has finished. Today every location is a
//! local file; fetching from another executor over Arrow Flight plugs in here, behind the
//! same [`PartitionLocation`].

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::StreamExt;

use crate::error::ShuffleError;
use crate::fetch::{ClusterSecret, fetch_partition};
use crate::ids::{ExecutorId, JobId, StageId};
use crate::in_process::runs_in_this_process;
use crate::partition_file::read_partition;
use crate::read_slice::ReadSlice;

/// One piece of a shuffle partition: a file written by one map task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLocation {
    /// The file, as its writer reported it.
    pub path: PathBuf,
    /// Rows it holds, as the writer reported.
    pub num_rows: u64,
    /// Its size in bytes.
    pub num_bytes: u64,
    /// Which entry of the file's index holds the partition, for an indexed data file.
    pub index_entry: Option<u32>,
    /// The map task that wrote it: a reader of a split skewed partition reads the files of
    /// a range of map tasks.
    pub map_task: u32,
    /// The executor to fetch it from over Arrow Flight; `None` when the file is on the
    /// reader's own disk. Whoever resolves the reader knows where the task runs.
    pub remote: Option<RemoteExecutor>,
}

/// An executor serving its shuffle files over Arrow Flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteExecutor {
    pub id: ExecutorId,
    /// Its Flight endpoint, e.g. `http://10.0.0.7:50051`.
    pub url: String,
}

/// Reads shuffle partitions written by an earlier stage.
#[derive(Debug, Clone)]
pub struct ShuffleReaderExec {
    stage: StageId,
    schema: SchemaRef,
    /// For each output partition, the files that make it up; `None` until resolved.
    locations: Option<Vec<Vec<PartitionLocation>>>,
    /// What remote fetches are signed with; set by the executor running the task, never
    /// part of the plan sent to it.
    credentials: Option<FetchCredentials>,
    /// Set by the adaptive planner: output partition `g` reads `slices[g]` of what the
    /// writer wrote. Applied to the locations when resolved.
    slices: Option<Arc<[ReadSlice]>>,
    properties: Arc<PlanProperties>,
}

/// The cluster secret and the job whose files a reader fetches: each fetch carries a
/// grant for that job, minted as it starts.
#[derive(Debug, Clone)]
struct FetchCredentials {
    secret: ClusterSecret,
    job: JobId,
}

impl ShuffleReaderExec {
    /// A reader of `stage`'s output, whose files are not known yet. `properties` describe
    /// the data as the stage wrote it: its partitioning and, for a pass-through stage, the
    /// ordering within each partition.
    pub fn unresolved(
        stage: StageId,
        schema: SchemaRef,
        properties: EquivalenceProperties,
        partitioning: Partitioning,
    ) -> Self {
        let properties = PlanProperties::new(
            properties,
            partitioning,
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Self {
            stage,
            schema,
            locations: None,
            credentials: None,
            slices: None,
            properties: Arc::new(properties),
        }
    }

    /// The same unresolved reader with the writer's hash partitions merged: output
    /// partition `g` reads the writer's partitions `groups[g]`. Rows of one key stay in one
    /// partition, so operators above that need co-partitioned inputs stay correct when
    /// every reader of their stage is merged alike; any order within a partition is lost.
    pub fn coalesced(&self, groups: Vec<Range<usize>>) -> Result<Self> {
        let partitions = self.properties.partitioning.partition_count();
        let contiguous = groups.first().is_some_and(|first| first.start == 0)
            && groups.last().is_some_and(|last| last.end == partitions)
            && groups.windows(2).all(|pair| pair[0].end == pair[1].start);
        if !contiguous {
            return datafusion::common::internal_err!(
                "the reader of stage {} cannot be coalesced into {groups:?}",
                self.stage
            );
        }
        self.sliced(groups.into_iter().map(ReadSlice::whole).collect())
    }

    /// The same unresolved hash-partitioned reader reading `slices` of the writer's
    /// partitions, one per output partition. Every written partition must be read, and a
    /// slice of map tasks reads one partition. A partition may be read by several slices:
    /// the other side of a join whose skewed partition was split reads it once per split,
    /// which only operators that treat each partition on its own (a join, a projection, a
    /// partial aggregation) may sit above.
    pub fn sliced(&self, slices: Vec<ReadSlice>) -> Result<Self> {
        let Partitioning::Hash(exprs, partitions) = &self.properties.partitioning else {
            return datafusion::common::internal_err!(
                "only a hash-partitioned shuffle can be re-sliced, not {}",
                self.properties.partitioning
            );
        };
        let misfit = slices.iter().find(|slice| !slice.fits(*partitions));
        let mut covered = vec![false; *partitions];
        if misfit.is_none() {
            for slice in &slices {
                covered[slice.partitions.clone()].fill(true);
            }
        }
        let problem = if self.locations.is_some() || self.slices.is_some() {
            Some("it is already resolved or sliced".to_string())
        } else if let Some(slice) = misfit {
            Some(format!(
                "{slice:?} is not a slice of its {partitions} partitions"
            ))
        } else if slices.is_empty() || covered.contains(&false) {
            Some(format!("{} slices leave a partition unread", slices.len()))
        } else {
            None
        };
        if let Some(problem) = problem {
            return datafusion::common::internal_err!(
                "the reader of stage {} cannot be re-sliced: {problem}",
                self.stage
            );
        }
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&self.schema)),
            Partitioning::Hash(exprs.clone(), slices.len()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Self {
            slices: Some(slices.into()),
            properties: Arc::new(properties),
            ..self.clone()
        })
    }

    /// The same unresolved reader of a pass-through stage that now writes `partitions`
    /// partitions (the adaptive planner re-planned its tasks). Only for a reader whose partitions
    /// are merged above it: nothing may rely on their number.
    pub fn with_written_partitions(&self, partitions: usize) -> Result<Self> {
        if !matches!(
            self.properties.partitioning,
            Partitioning::UnknownPartitioning(_)
        ) || self.locations.is_some()
            || self.slices.is_some()
        {
            return datafusion::common::internal_err!(
                "the reader of stage {} ({}) cannot follow a re-planned stage",
                self.stage,
                self.properties.partitioning
            );
        }
        let properties = PlanProperties::new(
            self.properties.eq_properties.clone(),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Self {
            properties: Arc::new(properties),
            ..self.clone()
        })
    }

    /// How many partitions the writing stage produced for this reader: what
    /// [`ShuffleReaderExec::resolve`] is given.
    pub fn written_partitions(&self) -> usize {
        match &self.slices {
            Some(slices) => slices
                .iter()
                .map(|slice| slice.partitions.end)
                .max()
                .unwrap_or(0),
            None => self.properties.partitioning.partition_count(),
        }
    }

    /// The same reader, fetching remote files of `job` with grants signed by `secret`.
    /// Without it, only files on the reader's own disk can be read.
    pub fn with_fetch_grants(self, secret: ClusterSecret, job: JobId) -> Self {
        Self {
            credentials: Some(FetchCredentials { secret, job }),
            ..self
        }
    }

    /// The same reader with its files known: one list per output partition.
    pub fn resolve(&self, locations: Vec<Vec<PartitionLocation>>) -> Result<Self> {
        let partitions = self.written_partitions();
        if partitions != locations.len() {
            return datafusion::common::internal_err!(
                "the reader of stage {} has {partitions} partitions but was given locations for {}",
                self.stage,
                locations.len()
            );
        }
        let locations = match &self.slices {
            Some(slices) => slices
                .iter()
                .map(|slice| {
                    locations[slice.partitions.clone()]
                        .iter()
                        .flatten()
                        .filter(|location| slice.reads(location))
                        .cloned()
                        .collect()
                })
                .collect(),
            None => locations,
        };
        Ok(Self {
            locations: Some(locations),
            slices: None,
            ..self.clone()
        })
    }

    /// The stage whose output this reads.
    pub fn stage(&self) -> StageId {
        self.stage
    }

    /// The files of each output partition, once resolved.
    pub fn locations(&self) -> Option<&[Vec<PartitionLocation>]> {
        self.locations.as_deref()
    }
}

impl DisplayAs for ShuffleReaderExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ShuffleReaderExec: stage={}, partitioning={}",
            self.stage, self.properties.partitioning
        )?;
        if let Some(slices) = &self.slices {
            let written = self.written_partitions();
            // A partition cut by map tasks, or read whole once per piece of the other side.
            let split = slices.iter().any(|slice| slice.map_tasks.is_some())
                || slices
                    .iter()
                    .map(|slice| slice.partitions.len())
                    .sum::<usize>()
                    > written;
            if split {
                write!(
                    f,
                    ", {} slices of {written}, skewed ones split",
                    slices.len()
                )?;
            } else {
                write!(f, ", coalesced from {written}")?;
            }
        }
        match &self.locations {
            Some(locations) => write!(
                f,
                ", files={}",
                locations.iter().map(Vec::len).sum::<usize>()
            ),
            None => write!(f, ", unresolved"),
        }
    }
}

impl ExecutionPlan for ShuffleReaderExec {
    fn name(&self) -> &str {
        "ShuffleReaderExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            datafusion::common::internal_err!("ShuffleReaderExec has no children")
        }
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let Some(all_locations) = &self.locations else {
            return datafusion::common::internal_err!(
                "the shuffle reader of stage {} ran before the stage finished",
                self.stage
            );
        };
        let locations = all_locations.get(partition).cloned().ok_or_else(|| {
            DataFusionError::Internal(format!("shuffle reader has no partition {partition}"))
        })?;
        // Up to CONCURRENT_FETCHES files are opened ahead (their fetches start, bounded by
        // Flight's flow control) while batches are consumed in file order. Files known to
        // be empty are never opened.
        let credentials = self.credentials.clone();
        let batches = futures::stream::iter(locations)
            .filter(|location| futures::future::ready(location.num_rows > 0))
            .map(move |location| open_location(location, credentials.clone()))
            .buffered(CONCURRENT_FETCHES)
            .flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            batches,
        )))
    }
}

/// Files of one partition opened at once: enough to hide a fetch's round trip without
/// letting a wide shuffle open hundreds of streams per task.
const CONCURRENT_FETCHES: usize = 4;

/// The batches of one file: read from disk, or fetched from the executor holding it.
async fn open_location(
    location: PartitionLocation,
    credentials: Option<FetchCredentials>,
) -> futures::stream::BoxStream<'static, Result<arrow::array::RecordBatch>> {
    let failed =
        |err: DataFusionError| futures::stream::once(futures::future::ready(Err(err))).boxed();
    match &location.remote {
        None => match read_partition(&location.path, location.index_entry) {
            Ok(batches) => {
                futures::stream::iter(batches.map(|batch| batch.map_err(Into::into))).boxed()
            }
            Err(err) => failed(err.into()),
        },
        Some(remote) if runs_in_this_process(&remote.id) => {
            // A neighbour's file: read from disk, but a failure is the neighbour's, as a
            // failed fetch would be, so that its output is recomputed when it is gone.
            let (executor, path) = (remote.id.clone(), location.path.clone());
            let neighbour_failed = move |err: ShuffleError| {
                DataFusionError::from(ShuffleError::FetchPartition {
                    executor: executor.clone(),
                    path: path.clone(),
                    reason: format!("reading it from disk: {err}"),
                })
            };
            match read_partition(&location.path, location.index_entry) {
                Ok(batches) => futures::stream::iter(
                    batches.map(move |batch| batch.map_err(&neighbour_failed)),
                )
                .boxed(),
                Err(err) => failed(neighbour_failed(err)),
            }
        }
        Some(remote) => {
            let Some(credentials) = credentials else {
                return failed(DataFusionError::Internal(format!(
                    "no cluster secret to fetch {} from executor {} with",
                    location.path.display(),
                    remote.id
                )));
            };
            let grant = credentials.secret.grant(&credentials.job);
            match fetch_partition(
                &remote.id,
                &remote.url,
                &location.path,
                location.index_entry,
                &grant,
            )
            .await
            {
                Ok(batches) => batches.boxed(),
                Err(err) => failed(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::physical_expr::expressions::col;
    use datafusion::physical_plan::collect;
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::ids::JobId;
    use crate::layout::ShuffleLayout;
    use crate::resident_outputs::ShuffleMemory;
    use crate::shuffle_format::{ShuffleFormat, SortShuffleConfig};
    use crate::shuffle_writer::{ShuffleOutput, ShuffleWriterExec, read_summary_batch};

    /// A writer hash-partitioning `input` on `k` into `outputs` partitions, laid out in
    /// `format` by `layout`.
    fn hash_writer(
        input: &[Vec<RecordBatch>],
        outputs: usize,
        format: ShuffleFormat,
        layout: ShuffleLayout,
    ) -> ShuffleWriterExec {
        let memory = MemorySourceConfig::try_new_exec(input, schema(), None).unwrap();
        let hash = Partitioning::Hash(vec![col("k", &schema()).unwrap()], outputs);
        let output = ShuffleOutput {
            layout,
            job: JobId::new("job-1"),
            stage: StageId(1),
            attempt: 1,
        };
        ShuffleWriterExec::try_new(memory, Some(hash), output)
            .unwrap()
            .with_format(format)
    }

    /// Every file below `dir`, recursively.
    fn files_under(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|entry| {
                if entry.file_type().unwrap().is_dir() {
                    files_under(&entry.path())
                } else {
                    1
                }
            })
            .sum()
    }

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]))
    }

    fn batch(values: Range<i64>) -> RecordBatch {
        RecordBatch::try_new(
            schema(),
            vec![Arc::new(Int64Array::from_iter_values(values))],
        )
        .unwrap()
    }

    /// Writes `partitions` through a hash shuffle into `outputs` partitions, reads every
    /// output partition back, and returns the values of each.
    async fn round_trip(
        partitions: Vec<Vec<RecordBatch>>,
        outputs: usize,
    ) -> (Vec<Vec<i64>>, usize) {
        round_trip_via(partitions, outputs, false, ShuffleFormat::FilePerPartition).await
    }

    /// As [`round_trip`], in `format`, reading either from disk or through a real Flight
    /// server on 127.0.0.1 serving the files. Also returns the number of files on disk.
    async fn round_trip_via(
        partitions: Vec<Vec<RecordBatch>>,
        outputs: usize,
        over_flight: bool,
        format: ShuffleFormat,
    ) -> (Vec<Vec<i64>>, usize) {
        let (values, files, _) =
            round_trip_kept(partitions, outputs, over_flight, format, None).await;
        (values, files)
    }

    /// As [`round_trip_via`], with map outputs kept in `memory` while they fit. Also
    /// returns the bytes kept there once the writer finished; the job is removed at the
    /// end, as an executor removes a finished job.
    async fn round_trip_kept(
        partitions: Vec<Vec<RecordBatch>>,
        outputs: usize,
        over_flight: bool,
        format: ShuffleFormat,
        memory: Option<ShuffleMemory>,
    ) -> (Vec<Vec<i64>>, usize, u64) {
        let dir = tempfile::tempdir().unwrap();
        let layout = match &memory {
            Some(memory) => ShuffleLayout::new(dir.path()).with_memory(memory.clone()),
            None => ShuffleLayout::new(dir.path()),
        };
        let _server;
        let remote = if over_flight {
            let (url, server) = serve_flight(dir.path()).await;
            _server = server;
            Some(RemoteExecutor {
                id: ExecutorId::new("other"),
                url,
            })
        } else {
            None
        };
        let writer = Arc::new(hash_writer(&partitions, outputs, format, layout.clone()));
        let ctx = SessionContext::new();
        let summaries = collect(
            Arc::clone(&writer) as Arc<dyn ExecutionPlan>,
            ctx.task_ctx(),
        )
        .await
        .unwrap();

        let mut locations = vec![Vec::new(); outputs];
        for (map_task, summary) in (0..).zip(&summaries) {
            for (output, written) in read_summary_batch(summary).unwrap() {
                locations[output.0 as usize].push(PartitionLocation {
                    path: written.path,
                    num_rows: written.num_rows,
                    num_bytes: written.num_bytes,
                    index_entry: written.index_entry,
                    map_task,
                    remote: remote.clone(),
                });
            }
        }
        let files = files_under(dir.path());
        let reader = ShuffleReaderExec::unresolved(
            StageId(1),
            schema(),
            EquivalenceProperties::new(schema()),
            writer.partitioning().unwrap().clone(),
        );
        let reader = reader
            .resolve(locations)
            .unwrap()
            .with_fetch_grants(test_secret(), JobId::new("job-1"));
        let reader = Arc::new(reader);
        let mut values = Vec::new();
        for partition in 0..outputs {
            let stream = reader.execute(partition, ctx.task_ctx()).unwrap();
            let batches: Vec<RecordBatch> =
                futures::TryStreamExt::try_collect(stream).await.unwrap();
            let mut part: Vec<i64> = batches
                .iter()
                .flat_map(|b| {
                    b.column(0)
                        .as_any()
                        .downcast_ref::<Int64Array>()
                        .unwrap()
                        .values()
                        .to_vec()
                })
                .collect();
            part.sort();
            values.push(part);
        }
        let kept = memory.as_ref().map_or(0, ShuffleMemory::used);
        layout.remove_job(&JobId::new("job-1")).unwrap();
        (values, files, kept)
    }

    #[tokio::test]
    async fn every_row_comes_back_once_in_exactly_one_partition() {
        let (values, files) = round_trip(
            vec![
                vec![batch(0..500)],
                vec![batch(500..1000), batch(1000..1200)],
            ],
            4,
        )
        .await;
        assert_eq!(files, 2 * 4, "one file per (map task, output partition)");
        let mut all: Vec<i64> = values.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..1200).collect::<Vec<_>>());
        assert!(
            values.iter().all(|part| !part.is_empty()),
            "hashing spreads the keys"
        );
    }

    #[tokio::test]
    async fn the_same_key_always_lands_in_the_same_partition() {
        let (values, _) = round_trip(vec![vec![batch(0..100)], vec![batch(0..100)]], 3).await;
        for part in &values {
            for value in part {
                assert_eq!(
                    part.iter().filter(|v| *v == value).count(),
                    2,
                    "both copies of {value} together"
                );
            }
        }
    }

    #[tokio::test]
    async fn empty_input_writes_empty_partitions_that_read_back_empty() {
        let (values, files) = round_trip(vec![vec![]], 5).await;
        assert_eq!(files, 5);
        assert!(values.iter().all(Vec::is_empty));
    }

    #[tokio::test]
    async fn many_partitions_round_trip() {
        let (values, files) = round_trip(vec![vec![batch(0..10_000)]; 3], 64).await;
        assert_eq!(files, 3 * 64);
        assert_eq!(values.iter().map(Vec::len).sum::<usize>(), 30_000);
    }

    #[tokio::test]
    async fn a_missing_file_is_an_error_naming_it() {
        let location = PartitionLocation {
            path: "/nonexistent/shuffle/0.arrow".into(),
            num_rows: 1,
            num_bytes: 1,
            index_entry: None,
            map_task: 0,
            remote: None,
        };
        let unresolved = ShuffleReaderExec::unresolved(
            StageId(7),
            schema(),
            EquivalenceProperties::new(schema()),
            Partitioning::UnknownPartitioning(1),
        );
        let err = unresolved
            .execute(0, SessionContext::new().task_ctx())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("stage 7 ran before the stage finished"),
            "{err}"
        );
        let reader = unresolved.resolve(vec![vec![location]]).unwrap();
        let stream = reader.execute(0, SessionContext::new().task_ctx()).unwrap();
        let err = futures::TryStreamExt::try_collect::<Vec<_>>(stream)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/shuffle/0.arrow"), "{err}");
    }

    use crate::fetch::{serve_flight, test_secret};

    #[tokio::test]
    async fn partitions_fetched_over_flight_equal_those_read_from_disk() {
        let input = || vec![vec![batch(0..700)], vec![batch(700..1000)]];
        for format in [ShuffleFormat::FilePerPartition, ShuffleFormat::default()] {
            let (over_flight, _) = round_trip_via(input(), 4, true, format).await;
            let (from_disk, _) = round_trip_via(input(), 4, false, format).await;
            assert_eq!(over_flight, from_disk, "{format:?}");
            assert_eq!(over_flight.iter().map(Vec::len).sum::<usize>(), 1000);
        }
    }

    #[tokio::test]
    async fn large_partitions_fetched_several_at_once_over_one_connection_do_not_stall() {
        // Four map tasks of 4 MB each for one output partition: the reader opens all four
        // streams on one connection and reads them in order, so three sit unread while
        // their data arrives. Connection-level flow control must not starve the first.
        let input = || (0..4).map(|map| vec![batch(map * 500_000..(map + 1) * 500_000)]);
        let read = round_trip_via(input().collect(), 1, true, ShuffleFormat::default());
        let (values, _) = tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .expect("the fetch stalled");
        assert_eq!(values[0], (0..2_000_000).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn the_sort_based_writer_makes_one_file_per_map_task_and_the_hash_writer_one_per_pair() {
        let input = || {
            vec![
                vec![batch(0..500)],
                vec![batch(500..900)],
                vec![batch(900..1000)],
            ]
        };
        let (indexed, indexed_files) =
            round_trip_via(input(), 8, false, ShuffleFormat::default()).await;
        let (hashed, hashed_files) =
            round_trip_via(input(), 8, false, ShuffleFormat::FilePerPartition).await;
        assert_eq!(
            indexed_files, 3,
            "a data file per map task, indexed by its footer"
        );
        assert_eq!(
            hashed_files,
            3 * 8,
            "a file per (map task, output partition)"
        );
        assert_eq!(indexed, hashed, "same rows in the same partitions");
    }

    #[tokio::test]
    async fn a_wide_shuffle_over_a_small_memory_limit_spills_and_round_trips_exactly() {
        // 64 outputs, 40k rows in small batches, and a limit far below the data size.
        let input: Vec<Vec<RecordBatch>> = (0..2)
            .map(|map| {
                (0..40)
                    .map(|i| batch(map * 20_000 + i * 500..map * 20_000 + (i + 1) * 500))
                    .collect()
            })
            .collect();
        let config = SortShuffleConfig {
            memory_limit: 64 * 1024,
            batch_size: 100,
            ..SortShuffleConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let writer = Arc::new(hash_writer(
            &input,
            64,
            ShuffleFormat::Indexed(config),
            ShuffleLayout::new(dir.path()),
        ));
        let ctx = SessionContext::new();
        collect(
            Arc::clone(&writer) as Arc<dyn ExecutionPlan>,
            ctx.task_ctx(),
        )
        .await
        .unwrap();
        let metrics = writer.metrics().unwrap();
        assert!(metrics.spill_count().unwrap() > 0, "{metrics}");
        assert!(metrics.spilled_bytes().unwrap() > 0, "{metrics}");
        assert_eq!(
            files_under(dir.path()),
            2,
            "one data file per map task: spills are gone once merged"
        );

        let (values, _) =
            round_trip_via(input.clone(), 64, false, ShuffleFormat::Indexed(config)).await;
        let (expected, _) = round_trip(input, 64).await;
        assert_eq!(values, expected);
        let mut all: Vec<i64> = values.into_iter().flatten().collect();
        all.sort();
        assert_eq!(all, (0..40_000).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn outputs_kept_in_memory_read_back_as_from_disk_here_and_over_flight() {
        let input = || vec![vec![batch(0..700)], vec![batch(700..1000)]];
        let (from_disk, _) = round_trip_via(input(), 4, false, ShuffleFormat::default()).await;
        for over_flight in [false, true] {
            let memory = ShuffleMemory::new(1 << 30);
            let (values, files, kept) = round_trip_kept(
                input(),
                4,
                over_flight,
                ShuffleFormat::default(),
                Some(memory.clone()),
            )
            .await;
            assert_eq!(values, from_disk, "over Flight: {over_flight}");
            assert_eq!(files, 0, "nothing on disk");
            assert_eq!(kept, 1000 * 8, "the rows' own bytes");
            assert_eq!(memory.used(), 0, "given back when the job is removed");
        }
    }

    #[tokio::test]
    async fn a_map_output_beyond_the_budget_or_spilled_goes_to_disk() {
        // Two map tasks of 4000 bytes each, and room for one.
        let input = || vec![vec![batch(0..500)], vec![batch(500..1000)]];
        let (from_disk, _) = round_trip_via(input(), 4, false, ShuffleFormat::default()).await;
        let memory = ShuffleMemory::new(6000);
        let (values, files, kept) =
            round_trip_kept(input(), 4, false, ShuffleFormat::default(), Some(memory)).await;
        assert_eq!(values, from_disk);
        assert_eq!(
            (files, kept),
            (1, 4000),
            "one map task kept, the other written"
        );

        // A map task that spilled merges its spills into its file, whatever the budget.
        let spilling = SortShuffleConfig {
            memory_limit: 16 * 1024,
            batch_size: 100,
            ..SortShuffleConfig::default()
        };
        let input = || vec![(0..40).map(|i| batch(i * 500..(i + 1) * 500)).collect()];
        let format = ShuffleFormat::Indexed(spilling);
        let (from_disk, _) = round_trip_via(input(), 16, false, format).await;
        let memory = ShuffleMemory::new(1 << 30);
        let (values, files, kept) = round_trip_kept(input(), 16, false, format, Some(memory)).await;
        assert_eq!(values, from_disk);
        assert_eq!((files, kept), (1, 0));
    }

    #[tokio::test]
    async fn keeping_an_output_in_memory_marks_its_job_as_just_written_to() {
        // The sweep of unclaimed jobs goes by when their directory last changed: a job
        // older than the TTL that keeps a new output must not look abandoned.
        let dir = tempfile::tempdir().unwrap();
        let memory = ShuffleMemory::new(1 << 20);
        let layout = ShuffleLayout::new(dir.path()).with_memory(memory.clone());
        let job = JobId::new("job-1");
        std::fs::create_dir_all(layout.job_dir(&job)).unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::open(layout.job_dir(&job))
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        let hour = std::time::Duration::from_secs(3600);
        assert_eq!(layout.jobs_older_than(hour), std::slice::from_ref(&job));

        let writer = hash_writer(
            &[vec![batch(0..100)]],
            2,
            ShuffleFormat::default(),
            layout.clone(),
        );
        collect(Arc::new(writer), SessionContext::new().task_ctx())
            .await
            .unwrap();
        assert!(memory.used() > 0);
        assert_eq!(files_under(dir.path()), 0);
        assert!(layout.jobs_older_than(hour).is_empty());
        layout.remove_job(&job).unwrap();
        assert_eq!(memory.used(), 0);
    }

    #[tokio::test]
    async fn the_sort_based_writer_spills_when_the_task_memory_pool_is_short() {
        // The writer's own limit (256 MiB) is far away; the task's pool (256 KiB) is not.
        // Buffers of 16 KiB let the pool's refusals spill well before 1 MiB is held.
        let input: Vec<Vec<RecordBatch>> =
            vec![(0..50).map(|i| batch(i * 1000..(i + 1) * 1000)).collect()];
        let config = SortShuffleConfig {
            buffer_size: 16 << 10,
            ..SortShuffleConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let format = ShuffleFormat::Indexed(config);
        let writer = Arc::new(hash_writer(
            &input,
            8,
            format,
            ShuffleLayout::new(dir.path()),
        ));
        let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
            .with_memory_limit(256 * 1024, 1.0)
            .build_arc()
            .unwrap();
        let ctx = SessionContext::new_with_config_rt(Default::default(), runtime);
        let summaries = collect(
            Arc::clone(&writer) as Arc<dyn ExecutionPlan>,
            ctx.task_ctx(),
        )
        .await
        .unwrap();
        let metrics = writer.metrics().unwrap();
        let spills = metrics.spill_count().unwrap();
        assert!(spills > 0, "{metrics}");
        assert!(
            metrics.spilled_bytes().unwrap() >= spills * 100,
            "no empty spill files: {metrics}"
        );
        let mut all = Vec::new();
        for (_, written) in read_summary_batch(&summaries[0]).unwrap() {
            for batch in read_partition(&written.path, written.index_entry).unwrap() {
                let batch = batch.unwrap();
                let column = batch.column(0).as_any().downcast_ref::<Int64Array>();
                all.extend_from_slice(column.unwrap().values());
            }
        }
        all.sort();
        assert_eq!(all, (0..50_000).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_wide_shuffle_buffers_only_the_rows_it_holds() {
        // 200 outputs of ~2000 rows each (3.2 MB in all): well inside a 16 MiB limit,
        // as long as buffers cost what they hold rather than what batch_size could hold.
        let input = vec![(0..50).map(|i| batch(i * 8000..(i + 1) * 8000)).collect()];
        let config = SortShuffleConfig {
            memory_limit: 16 << 20,
            ..SortShuffleConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let writer = Arc::new(hash_writer(
            &input,
            200,
            ShuffleFormat::Indexed(config),
            ShuffleLayout::new(dir.path()),
        ));
        let summaries = collect(
            Arc::clone(&writer) as Arc<dyn ExecutionPlan>,
            SessionContext::new().task_ctx(),
        )
        .await
        .unwrap();
        let metrics = writer.metrics().unwrap();
        assert_eq!(metrics.spill_count(), Some(0), "{metrics}");
        let mut rows = 0;
        for (output, written) in read_summary_batch(&summaries[0]).unwrap() {
            let batches: Vec<RecordBatch> = read_partition(&written.path, written.index_entry)
                .unwrap()
                .collect::<crate::Result<_>>()
                .unwrap();
            assert_eq!(
                batches.len(),
                1,
                "partition {output} coalesced into one batch"
            );
            rows += batches[0].num_rows();
        }
        assert_eq!(rows, 400_000);
    }

    #[tokio::test]
    async fn sort_based_output_coalesces_small_slices_into_batch_size_batches() {
        let input = vec![(0..100).map(|i| batch(i * 10..(i + 1) * 10)).collect()];
        let config = SortShuffleConfig {
            batch_size: 250,
            ..SortShuffleConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let writer = hash_writer(
            &input,
            2,
            ShuffleFormat::Indexed(config),
            ShuffleLayout::new(dir.path()),
        );
        let summaries = collect(Arc::new(writer), SessionContext::new().task_ctx())
            .await
            .unwrap();
        for (output, written) in read_summary_batch(&summaries[0]).unwrap() {
            let batches: Vec<RecordBatch> = read_partition(&written.path, written.index_entry)
                .unwrap()
                .collect::<crate::Result<_>>()
                .unwrap();
            let rows: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
            assert_eq!(rows.iter().sum::<usize>() as u64, written.num_rows);
            assert!(
                rows[..rows.len() - 1].iter().all(|rows| *rows == 250),
                "partition {output}: {rows:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_failed_fetch_names_the_executor() {
        let remote = RemoteExecutor {
            id: ExecutorId::new("executor-7"),
            url: "http://127.0.0.1:1".into(),
        };
        let location = PartitionLocation {
            path: "/x/0.arrow".into(),
            num_rows: 1,
            num_bytes: 1,
            index_entry: None,
            map_task: 0,
            remote: Some(remote),
        };
        let reader = ShuffleReaderExec::unresolved(
            StageId(1),
            schema(),
            EquivalenceProperties::new(schema()),
            Partitioning::UnknownPartitioning(1),
        )
        .resolve(vec![vec![location]])
        .unwrap()
        .with_fetch_grants(test_secret(), JobId::new("job"));
        let stream = reader.execute(0, SessionContext::new().task_ctx()).unwrap();
        let err = futures::TryStreamExt::try_collect::<Vec<_>>(stream)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("executor-7") && err.contains("/x/0.arrow"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_flight_service_serves_only_its_own_shuffle_files() {
        let dir = tempfile::tempdir().unwrap();
        let (url, _server) = serve_flight(dir.path()).await;
        let outside = dir.path().parent().unwrap().join("outside.arrow");
        for path in [PathBuf::from("/etc/passwd"), outside] {
            let grant = test_secret().grant(&JobId::new("job"));
            let result = fetch_partition(&ExecutorId::new("e"), &url, &path, None, &grant).await;
            let err = match result {
                Ok(stream) => futures::TryStreamExt::try_collect::<Vec<_>>(stream)
                    .await
                    .unwrap_err(),
                Err(err) => err,
            };
            let text = err.to_string();
            assert!(
                text.contains("not a shuffle partition") || text.contains("does not exist"),
                "{text}"
            );
        }
    }
}
