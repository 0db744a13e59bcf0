//! The `ballista.*` session keys: our users' existing settings, kept under their names.
//!
//! Registered as a DataFusion config extension, so `SET ballista.… = …`, `SHOW ALL` and
//! the serialized session config all treat them like DataFusion's own keys. Values are
//! validated when they are set, never when a query first uses them.

use std::any::Any;

use datafusion::common::config::{ConfigEntry, ConfigExtension, ExtensionOptions};
use datafusion::error::{DataFusionError, Result};

use trebuchet_shuffle::{ShuffleFormat, SortShuffleConfig};

use crate::byte_size::ByteSize;

/// Per-session options of the distributed engine.
#[derive(Debug, Clone, PartialEq)]
pub struct BallistaOptions {
    /// The sort-based shuffle writer and its tuning.
    pub sort_shuffle: SortShuffleOptions,
    /// Re-plan between stages with what the finished stages measured.
    pub adaptive_planner_enabled: bool,
    /// With the adaptive planner: merge adjacent small shuffle partitions into one task.
    pub coalesce_partitions_enabled: bool,
    /// With coalescing: the bytes a merged partition aims at.
    pub advisory_partition_size: u64,
    /// With the adaptive planner: each join's strategy follows its measured sides (a hash
    /// join when the build side is small in every partition, a sort-merge join otherwise).
    pub join_strategy_enabled: bool,
    /// With that rule: the most bytes the build side may have written to one partition.
    pub hash_join_max_build_bytes: u64,
    /// With the adaptive planner: once a stage finishes without rows, the stages that
    /// certainly produce none without it, and those only they read, are skipped.
    pub empty_stage_elimination_enabled: bool,
    /// With the adaptive planner: a query whose scans DataFusion estimates small runs as
    /// one task, its exchanges in memory (`single_task.rs`).
    pub single_task_enabled: bool,
    /// With that rule: the most bytes the query's scans may be estimated to produce.
    pub single_task_max_input_bytes: u64,
    /// With the adaptive planner: a join's partition far larger than its side's median is
    /// read by several tasks (`skew_joins.rs`).
    pub skew_join_enabled: bool,
    /// With that rule: how many times the median a skewed partition exceeds.
    pub skewed_partition_factor: f64,
    /// With that rule: the bytes a skewed partition exceeds.
    pub skewed_partition_threshold_bytes: u64,
    /// Parquet files larger than this many bytes are scanned as several partitions of
    /// about this size; 0 keeps one partition per file.
    pub split_file_size: u64,
    /// A query running longer is cancelled; `None` (the default) lets it run.
    pub job_timeout: Option<std::time::Duration>,
    /// An equi-join side estimated below this many bytes is broadcast: built once per task
    /// from all of its rows, while the other side is not shuffled; 0 turns broadcasts off.
    pub broadcast_join_threshold: u64,
    /// A join with a filtered side small enough to broadcast runs below the inner joins
    /// whose one input holds its keys (`selective_joins.rs`).
    pub push_down_selective_joins: bool,
    /// A query whose scans are estimated at most this many bytes runs on the scheduler,
    /// without a job (`query_placement.rs`); 0 sends every query that reads data to executors.
    pub scheduler_execution_threshold: u64,
}

/// `ballista.shuffle.sort_based.*`: see the tuning guide, "Shuffle Implementation".
#[derive(Debug, Clone, PartialEq)]
pub struct SortShuffleOptions {
    /// Use the sort-based writer (true) or the hash-based one (false).
    pub enabled: bool,
    /// The sort-based writer's tuning, with the guide's defaults.
    pub writer: SortShuffleConfig,
}

impl Default for BallistaOptions {
    fn default() -> Self {
        Self {
            sort_shuffle: SortShuffleOptions {
                enabled: true,
                writer: SortShuffleConfig::default(),
            },
            adaptive_planner_enabled: false,
            coalesce_partitions_enabled: true,
            advisory_partition_size: DEFAULT_ADVISORY_PARTITION_SIZE,
            join_strategy_enabled: true,
            hash_join_max_build_bytes: DEFAULT_HASH_JOIN_MAX_BUILD_BYTES,
            empty_stage_elimination_enabled: true,
            single_task_enabled: true,
            single_task_max_input_bytes: DEFAULT_SINGLE_TASK_MAX_INPUT_BYTES,
            skew_join_enabled: true,
            skewed_partition_factor: DEFAULT_SKEWED_PARTITION_FACTOR,
            skewed_partition_threshold_bytes: DEFAULT_SKEWED_PARTITION_THRESHOLD_BYTES,
            split_file_size: DEFAULT_SPLIT_FILE_SIZE,
            job_timeout: None,
            broadcast_join_threshold: DEFAULT_BROADCAST_JOIN_THRESHOLD,
            push_down_selective_joins: true,
            scheduler_execution_threshold: DEFAULT_SCHEDULER_EXECUTION_THRESHOLD,
        }
    }
}

/// Spark's `autoBroadcastJoinThreshold`: large enough for every dimension table and most
/// filtered sides of TPC-H at SF1, small enough that sixteen tasks each building a hash
/// table of it cost less than one shuffle of the other side (docs/benchmarks.md).
pub(crate) const DEFAULT_BROADCAST_JOIN_THRESHOLD: u64 = 10 << 20;

/// Measured with `benchmarks/small_queries.py` (docs/benchmarks.md): on the scheduler a
/// bound point lookup or a grouped aggregate over a table this size answers in under 10 ms,
/// against 6–20 ms as a job, so it costs the scheduler less CPU than coordinating the job
/// would. Larger inputs still ran faster there on one machine, but on a cluster they are
/// where the executors' parallelism starts to pay, and the scheduler's cores serve every
/// session.
pub(crate) const DEFAULT_SCHEDULER_EXECUTION_THRESHOLD: u64 = 4 << 20;

/// Spark's `advisoryPartitionSizeInBytes`: a task reading this much spends far longer on
/// its rows than on its launch (a few milliseconds), and a partition this size hashes or
/// sorts within a task's memory share on a small executor.
pub(crate) const DEFAULT_ADVISORY_PARTITION_SIZE: u64 = 64 << 20;

/// Half the advisory partition size: coalescing may merge two such partitions into one
/// task's build side, which then still hashes within the memory a coalesced task is sized
/// for. Executors with a memory pool lower it to a quarter of a task's share
/// (`join_strategy.rs`).
pub(crate) const DEFAULT_HASH_JOIN_MAX_BUILD_BYTES: u64 = 32 << 20;

/// Measured on TPC-H SF1 (docs/benchmarks.md): every query estimated below it ran faster as
/// one task than as stages, the ones with joins by up to 2×, since a shuffle's fixed costs
/// (files, task launches, stage barriers) outweigh what a second executor adds. The two
/// estimated above it (q1, q19: one large scan each) gained nothing. On a cluster of many
/// executors, large inputs win from their parallelism: lower it there.
pub(crate) const DEFAULT_SINGLE_TASK_MAX_INPUT_BYTES: u64 = 1 << 30;

/// Spark's `skewedPartitionFactor`: a partition five times its side's median holds its
/// stage for five times as long as the others' tasks, long enough that splitting it (and
/// reading the other side's partition once per piece) pays.
pub(crate) const DEFAULT_SKEWED_PARTITION_FACTOR: f64 = 5.0;

/// Spark's `skewedPartitionThresholdInBytes`: four advisory partitions. Below it a task
/// finishes in a few seconds, and the other side's partition read again for every piece
/// costs about what splitting saves.
pub(crate) const DEFAULT_SKEWED_PARTITION_THRESHOLD_BYTES: u64 = 256 << 20;

/// Measured on TPC-H SF10 (docs/benchmarks.md), whose `lineitem` files are 238 MB: every
/// range of a split file is a map task with a launch, a footer to read and a shuffle file
/// per reduce partition of its own, and cutting each file in four (64 MiB) or two (128 MiB)
/// made the scan-heavy queries 8% and 2% slower than reading whole files, while sixteen
/// files already gave every task slot work. Larger files still spread over the cluster.
pub(crate) const DEFAULT_SPLIT_FILE_SIZE: u64 = 256 << 20;

/// One key: its name below `ballista.`, what it means, and how to read and write it.
struct OptionKey {
    name: &'static str,
    description: &'static str,
    get: fn(&BallistaOptions) -> String,
    set: fn(&mut BallistaOptions, &str) -> Result<()>,
}

const KEYS: &[OptionKey] = &[
    OptionKey {
        name: "shuffle.sort_based.enabled",
        description: "Enables the sort-based shuffle writer; false selects the hash-based writer.",
        get: |o| o.sort_shuffle.enabled.to_string(),
        set: |o, v| {
            o.sort_shuffle.enabled = parse_bool("shuffle.sort_based.enabled", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "shuffle.sort_based.buffer_size",
        description: "Per-partition buffer size in bytes (1 MiB default).",
        get: |o| o.sort_shuffle.writer.buffer_size.to_string(),
        set: |o, v| {
            o.sort_shuffle.writer.buffer_size = parse_bytes("shuffle.sort_based.buffer_size", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "shuffle.sort_based.memory_limit",
        description: "Total in-memory budget across all output-partition buffers (256 MiB default).",
        get: |o| o.sort_shuffle.writer.memory_limit.to_string(),
        set: |o, v| {
            o.sort_shuffle.writer.memory_limit = parse_bytes("shuffle.sort_based.memory_limit", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "shuffle.sort_based.spill_threshold",
        description: "Fraction of memory_limit at which the largest buffers are spilled to disk.",
        get: |o| o.sort_shuffle.writer.spill_threshold.to_string(),
        set: |o, v| {
            o.sort_shuffle.writer.spill_threshold =
                parse_fraction("shuffle.sort_based.spill_threshold", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "shuffle.sort_based.batch_size",
        description: "Target row count when coalescing buffered batches before they are written or spilled.",
        get: |o| o.sort_shuffle.writer.batch_size.to_string(),
        set: |o, v| {
            let rows = parse_positive("shuffle.sort_based.batch_size", v)?;
            o.sort_shuffle.writer.batch_size = usize::try_from(rows).unwrap_or(usize::MAX);
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.enabled",
        description: "Re-plans each stage, before it runs, with what the stages it reads measured (see docs/tuning.md, Adaptive query execution).",
        get: |o| o.adaptive_planner_enabled.to_string(),
        set: |o, v| {
            o.adaptive_planner_enabled = parse_bool("planner.adaptive.enabled", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.coalesce_partitions.enabled",
        description: "With the adaptive planner: a stage reading a hash shuffle merges adjacent small partitions into one task, up to the advisory size, never below the cluster's task slots.",
        get: |o| o.coalesce_partitions_enabled.to_string(),
        set: |o, v| {
            o.coalesce_partitions_enabled =
                parse_bool("planner.adaptive.coalesce_partitions.enabled", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.coalesce_partitions.advisory_partition_size",
        description: "The bytes a coalesced partition aims at (64 MiB default).",
        get: |o| o.advisory_partition_size.to_string(),
        set: |o, v| {
            o.advisory_partition_size = parse_bytes(
                "planner.adaptive.coalesce_partitions.advisory_partition_size",
                v,
            )?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.join_strategy.enabled",
        description: "With the adaptive planner: a sort-merge join whose smaller side, as measured once both sides are shuffled, wrote at most hash_join_max_build_bytes to every partition runs as a partitioned hash join, without sorting either side; a partitioned hash join whose build side wrote more builds the other side if that fits, else runs as a sort-merge join, which spills; a hash join whose sides both fit builds the one that wrote fewer bytes (join reordering).",
        get: |o| o.join_strategy_enabled.to_string(),
        set: |o, v| {
            o.join_strategy_enabled = parse_bool("planner.adaptive.join_strategy.enabled", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.join_strategy.hash_join_max_build_bytes",
        description: "The most bytes a hash join's build side may have written to one shuffle partition for the adaptive planner to choose it (32 MiB default; executors with a memory pool lower it to a quarter of a task's share).",
        get: |o| o.hash_join_max_build_bytes.to_string(),
        set: |o, v| {
            o.hash_join_max_build_bytes = parse_bytes(
                "planner.adaptive.join_strategy.hash_join_max_build_bytes",
                v,
            )?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.empty_stage_elimination.enabled",
        description: "With the adaptive planner: once a stage finishes without a row, emptiness is propagated up the plan (an inner join with an empty side, a grouped aggregation of nothing), and the stages that certainly produce no rows, or whose output only such stages read, are skipped before they run; the final stage always runs.",
        get: |o| o.empty_stage_elimination_enabled.to_string(),
        set: |o, v| {
            o.empty_stage_elimination_enabled =
                parse_bool("planner.adaptive.empty_stage_elimination.enabled", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "job.timeout",
        description: "A query running longer than this (e.g. 30s, 5m, 1h; a plain number is seconds) is cancelled with DEADLINE_EXCEEDED; 0 means no limit.",
        get: |o| {
            o.job_timeout
                .map_or_else(|| "0".into(), |limit| format!("{}ms", limit.as_millis()))
        },
        set: |o, v| {
            let limit = parse_duration("job.timeout", v)?;
            o.job_timeout = (!limit.is_zero()).then_some(limit);
            Ok(())
        },
    },
    OptionKey {
        name: "optimizer.broadcast_join_threshold_bytes",
        description: "An equi-join side whose estimated size is below this many bytes (10 MiB default) is broadcast to every task of the other side instead of shuffling both; 0 disables broadcasts.",
        get: |o| o.broadcast_join_threshold.to_string(),
        set: |o, v| {
            o.broadcast_join_threshold =
                parse_bytes_or_zero("optimizer.broadcast_join_threshold_bytes", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "optimizer.push_down_selective_joins",
        description: "A join whose one side is filtered and estimated below broadcast_join_threshold_bytes, or a semi or anti join whose subquery is filtered, runs as early as its keys allow, below the inner joins of the other side (TPC-H q21 joins `nation` to `supplier` before `lineitem`; q18 filters orders by its IN subquery before joining `lineitem`), so the rows it removes are never shuffled. The answer is the same; false keeps the order the query lists its tables in.",
        get: |o| o.push_down_selective_joins.to_string(),
        set: |o, v| {
            o.push_down_selective_joins = parse_bool("optimizer.push_down_selective_joins", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.scheduler_execution_threshold_bytes",
        description: "A query whose scans DataFusion estimates at most this many bytes in all (4 MiB default) runs on the scheduler, as single-process DataFusion runs it, without a job: no task launch, no shuffle file, a few milliseconds less per query. Queries with a cross join or a nested-loop join (whose work a small input does not bound) run on executors; 0 sends every query that reads data to executors.",
        get: |o| o.scheduler_execution_threshold.to_string(),
        set: |o, v| {
            o.scheduler_execution_threshold =
                parse_bytes_or_zero("planner.scheduler_execution_threshold_bytes", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.single_task.enabled",
        description: "With the adaptive planner: a query whose scans DataFusion estimates at most max_input_bytes runs as one task on one executor, its whole plan with the exchanges in memory (as single-process DataFusion runs it), with hash joins when that input fits a quarter of a task's memory share; no shuffle file is written.",
        get: |o| o.single_task_enabled.to_string(),
        set: |o, v| {
            o.single_task_enabled = parse_bool("planner.adaptive.single_task.enabled", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.single_task.max_input_bytes",
        description: "The most bytes a query's scans may be estimated to produce for it to run as one task (1 GiB default; raise it on a single machine, lower it on a cluster of many executors).",
        get: |o| o.single_task_max_input_bytes.to_string(),
        set: |o, v| {
            o.single_task_max_input_bytes =
                parse_bytes("planner.adaptive.single_task.max_input_bytes", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.skew_join.enabled",
        description: "With the adaptive planner: a join's shuffle partition larger than skewed_partition_factor times its side's median and than skewed_partition_threshold_bytes is read by several tasks, each taking the files of a range of map tasks and joining them with the whole matching partition of the other side (the side split is one whose rows the join emits at most once: either side of an inner join, the preserved side of a left or right join, the returned side of a semi, anti or mark join; a full join is never split).",
        get: |o| o.skew_join_enabled.to_string(),
        set: |o, v| {
            o.skew_join_enabled = parse_bool("planner.adaptive.skew_join.enabled", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.skew_join.skewed_partition_factor",
        description: "How many times its side's median partition a join's partition must exceed to be split (5 default; at least 1).",
        get: |o| o.skewed_partition_factor.to_string(),
        set: |o, v| {
            o.skewed_partition_factor =
                parse_factor("planner.adaptive.skew_join.skewed_partition_factor", v)?;
            Ok(())
        },
    },
    OptionKey {
        name: "planner.adaptive.skew_join.skewed_partition_threshold_bytes",
        description: "The bytes a join's partition must exceed to be split (256 MiB default); its pieces aim at the advisory partition size.",
        get: |o| o.skewed_partition_threshold_bytes.to_string(),
        set: |o, v| {
            o.skewed_partition_threshold_bytes = parse_bytes(
                "planner.adaptive.skew_join.skewed_partition_threshold_bytes",
                v,
            )?;
            Ok(())
        },
    },
    OptionKey {
        name: "scan.split_file_size",
        description: "Parquet files larger than this many bytes are split by row-group ranges into partitions of about this size (256 MiB default); 0 keeps one partition per file.",
        get: |o| o.split_file_size.to_string(),
        set: |o, v| {
            o.split_file_size = parse_bytes_or_zero("scan.split_file_size", v)?;
            Ok(())
        },
    },
];

impl BallistaOptions {
    /// The options of a session; our defaults if it never registered them.
    pub fn of(config: &datafusion::prelude::SessionConfig) -> Self {
        config
            .options()
            .extensions
            .get::<Self>()
            .cloned()
            .unwrap_or_default()
    }

    /// What the adaptive planner may do with this session's jobs; `None` when it is off.
    pub fn adaptive_planning(&self) -> Option<crate::AdaptivePlanning> {
        self.adaptive_planner_enabled
            .then_some(crate::AdaptivePlanning {
                coalesce_partitions: self.coalesce_partitions_enabled,
                advisory_partition_size: self.advisory_partition_size,
                hash_join_max_build_bytes: self
                    .join_strategy_enabled
                    .then_some(self.hash_join_max_build_bytes),
                eliminate_empty_stages: self.empty_stage_elimination_enabled,
                single_task_max_input_bytes: self
                    .single_task_enabled
                    .then_some(self.single_task_max_input_bytes),
                skew_join: self.skew_join_enabled.then_some(crate::SkewJoinLimits {
                    factor: self.skewed_partition_factor,
                    threshold_bytes: self.skewed_partition_threshold_bytes,
                }),
            })
    }

    /// How this session's hash shuffles are laid out on disk.
    pub fn shuffle_format(&self) -> ShuffleFormat {
        if self.sort_shuffle.enabled {
            ShuffleFormat::Indexed(self.sort_shuffle.writer)
        } else {
            ShuffleFormat::FilePerPartition
        }
    }

    /// Every key with its full name (`ballista.…`) and default value.
    pub fn defaults() -> Vec<ConfigEntry> {
        Self::default().entries()
    }

    fn key(name: &str) -> Result<&'static OptionKey> {
        KEYS.iter().find(|key| key.name == name).ok_or_else(|| {
            let known: Vec<String> = KEYS
                .iter()
                .map(|k| format!("ballista.{}", k.name))
                .collect();
            DataFusionError::Configuration(format!(
                "unknown configuration key 'ballista.{name}'; known ballista keys: {}",
                known.join(", ")
            ))
        })
    }
}

impl ConfigExtension for BallistaOptions {
    const PREFIX: &'static str = "ballista";
}

impl ExtensionOptions for BallistaOptions {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        (Self::key(key)?.set)(self, value.trim())
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        KEYS.iter()
            .map(|key| ConfigEntry {
                key: format!("{}.{}", Self::PREFIX, key.name),
                value: Some((key.get)(self)),
                description: key.description,
            })
            .collect()
    }
}

fn invalid(key: &str, value: &str, expected: &str) -> DataFusionError {
    DataFusionError::Configuration(format!(
        "invalid value '{value}' for ballista.{key}: expected {expected}"
    ))
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    value
        .to_ascii_lowercase()
        .parse()
        .map_err(|_| invalid(key, value, "true or false"))
}

fn parse_positive(key: &str, value: &str) -> Result<u64> {
    match value.parse::<u64>() {
        Ok(number) if number > 0 => Ok(number),
        _ => Err(invalid(key, value, "a positive whole number")),
    }
}

fn parse_bytes(key: &str, value: &str) -> Result<u64> {
    match value.parse::<ByteSize>() {
        Ok(size) if size.bytes() > 0 => Ok(size.bytes()),
        _ => Err(invalid(
            key,
            value,
            "a positive byte count such as 1048576 or 1MiB",
        )),
    }
}

/// A byte count, or 0 for the keys where 0 turns a feature off.
fn parse_bytes_or_zero(key: &str, value: &str) -> Result<u64> {
    match value.trim() {
        "0" => Ok(0),
        _ => parse_bytes(key, value),
    }
}

fn parse_duration(key: &str, value: &str) -> Result<std::time::Duration> {
    let text = value.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || {
        invalid(
            key,
            value,
            "a duration such as 30s, 500ms, 5m or 1h (0: no limit)",
        )
    };
    let number: u64 = number.parse().map_err(|_| bad())?;
    let millis = match unit.trim() {
        "ms" => Some(number),
        "" | "s" => number.checked_mul(1_000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => None,
    };
    millis.map(std::time::Duration::from_millis).ok_or_else(bad)
}

/// A multiple of at least 1, such as 5 or 2.5.
fn parse_factor(key: &str, value: &str) -> Result<f64> {
    parse_number(
        key,
        value,
        |factor| factor >= 1.0,
        "a number of at least 1, such as 5 or 2.5",
    )
}

fn parse_fraction(key: &str, value: &str) -> Result<f64> {
    parse_number(
        key,
        value,
        |fraction| fraction > 0.0 && fraction <= 1.0,
        "a fraction greater than 0 and at most 1, such as 0.8",
    )
}

/// A finite number, quoted or not, that `accepts`; otherwise an error saying it should be
/// `expected`.
fn parse_number(key: &str, value: &str, accepts: fn(f64) -> bool, expected: &str) -> Result<f64> {
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    match value.parse::<f64>() {
        Ok(number) if number.is_finite() && accepts(number) => Ok(number),
        _ => Err(invalid(key, value, expected)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(options: &BallistaOptions, key: &str) -> String {
        options
            .entries()
            .into_iter()
            .find(|entry| entry.key == key)
            .and_then(|entry| entry.value)
            .unwrap()
    }

    #[test]
    fn defaults_match_the_tuning_guide() {
        let options = BallistaOptions::default();
        for (key, expected) in [
            ("ballista.shuffle.sort_based.enabled", "true"),
            ("ballista.shuffle.sort_based.buffer_size", "1048576"),
            ("ballista.shuffle.sort_based.memory_limit", "268435456"),
            ("ballista.shuffle.sort_based.spill_threshold", "0.8"),
            ("ballista.shuffle.sort_based.batch_size", "8192"),
            ("ballista.planner.adaptive.enabled", "false"),
            (
                "ballista.planner.adaptive.coalesce_partitions.enabled",
                "true",
            ),
            (
                "ballista.planner.adaptive.coalesce_partitions.advisory_partition_size",
                "67108864",
            ),
            ("ballista.planner.adaptive.join_strategy.enabled", "true"),
            (
                "ballista.planner.adaptive.join_strategy.hash_join_max_build_bytes",
                "33554432",
            ),
            (
                "ballista.planner.adaptive.empty_stage_elimination.enabled",
                "true",
            ),
            ("ballista.planner.adaptive.single_task.enabled", "true"),
            (
                "ballista.planner.adaptive.single_task.max_input_bytes",
                "1073741824",
            ),
            ("ballista.planner.adaptive.skew_join.enabled", "true"),
            (
                "ballista.planner.adaptive.skew_join.skewed_partition_factor",
                "5",
            ),
            (
                "ballista.planner.adaptive.skew_join.skewed_partition_threshold_bytes",
                "268435456",
            ),
            ("ballista.scan.split_file_size", "268435456"),
            ("ballista.job.timeout", "0"),
            (
                "ballista.optimizer.broadcast_join_threshold_bytes",
                "10485760",
            ),
            ("ballista.optimizer.push_down_selective_joins", "true"),
        ] {
            assert_eq!(value_of(&options, key), expected, "{key}");
        }
    }

    #[test]
    fn the_job_timeout_takes_durations_and_zero_lifts_it() {
        let mut options = BallistaOptions::default();
        assert_eq!(options.job_timeout, None);
        for (text, millis) in [
            ("30s", 30_000),
            ("500ms", 500),
            ("5m", 300_000),
            ("2", 2_000),
        ] {
            options.set("job.timeout", text).unwrap();
            assert_eq!(
                options.job_timeout,
                Some(std::time::Duration::from_millis(millis))
            );
            let shown = value_of(&options, "ballista.job.timeout");
            let mut again = BallistaOptions::default();
            again.set("job.timeout", &shown).unwrap();
            assert_eq!(again.job_timeout, options.job_timeout, "{shown} reads back");
        }
        options.set("job.timeout", "0").unwrap();
        assert_eq!(options.job_timeout, None);
        let err = options.set("job.timeout", "soon").unwrap_err().to_string();
        assert!(err.contains("a duration such as 30s"), "{err}");
    }

    #[test]
    fn set_changes_one_key() {
        let mut options = BallistaOptions::default();
        options.set("shuffle.sort_based.enabled", "FALSE").unwrap();
        options
            .set("shuffle.sort_based.memory_limit", "1MiB")
            .unwrap();
        options
            .set("shuffle.sort_based.spill_threshold", "0.5")
            .unwrap();
        assert!(!options.sort_shuffle.enabled);
        assert_eq!(options.sort_shuffle.writer.memory_limit, 1 << 20);
        assert_eq!(
            value_of(&options, "ballista.shuffle.sort_based.spill_threshold"),
            "0.5"
        );
    }

    #[test]
    fn rejects_bad_values_and_unknown_keys_with_a_clear_message() {
        let mut options = BallistaOptions::default();
        let cases = [
            ("shuffle.sort_based.enabled", "maybe", "true or false"),
            (
                "shuffle.sort_based.batch_size",
                "0",
                "positive whole number",
            ),
            ("shuffle.sort_based.spill_threshold", "1.5", "fraction"),
            ("shuffle.sort_based.buffer_size", "lots", "byte count"),
            (
                "planner.adaptive.skew_join.skewed_partition_factor",
                "0.5",
                "a number of at least 1",
            ),
            (
                "planner.adaptive.skew_join.skewed_partition_factor",
                "NaN",
                "a number of at least 1",
            ),
            (
                "shuffle.nope",
                "1",
                "unknown configuration key 'ballista.shuffle.nope'",
            ),
        ];
        for (key, value, expected) in cases {
            let err = options.set(key, value).unwrap_err().to_string();
            assert!(err.contains(expected), "{key}={value}: {err}");
        }
        assert_eq!(options, BallistaOptions::default());
    }
}
