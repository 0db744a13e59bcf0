//! [`ScanPartitions`]: a table scan has one partition per file (tuning guide, "Partitions
//! and Parallelism"), never fewer, whatever `target_partitions` says (DataFusion's listing
//! table would pack the files into that many groups), and a Parquet file larger than
//! `ballista.scan.split_file_size` is split into byte ranges of about that size, each its
//! own partition. The Parquet reader
//! assigns a row group to the range where its first column starts, so every range reads
//! whole row groups and each row group is read exactly once: a table stored as one big
//! file still scales across executors (as far as it has row groups to spread).
//!
//! It runs first among the physical optimizer rules, before `EnforceDistribution` decides
//! where partitions are merged, so no operator needing one partition ever sees several.
//! DataFusion's own file repartitioning (`repartition_file_scans`) is off in our sessions:
//! it regroups all files into `target_partitions` groups, which would merge the partitions
//! of a table with more files than that.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig, FileScanConfigBuilder};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;

use crate::ballista_options::BallistaOptions;

/// One partition per file, several per large Parquet file. See the module docs.
#[derive(Debug, Default)]
pub struct ScanPartitions;

impl PhysicalOptimizerRule for ScanPartitions {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let split_size = config
            .extensions
            .get::<BallistaOptions>()
            .cloned()
            .unwrap_or_default()
            .split_file_size;
        plan.transform_up(|node| {
            let Some(scan) = node
                .downcast_ref::<DataSourceExec>()
                .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
            else {
                return Ok(Transformed::no(node));
            };
            // A declared ordering or partitioning spans whole groups; leave those alone.
            if !scan.output_ordering.is_empty() || scan.output_partitioning.is_some() {
                return Ok(Transformed::no(node));
            }
            let split_size = match scan.file_source().file_type() {
                "parquet" => split_size,
                _ => 0,
            };
            match partition_per_file(&scan.file_groups, split_size) {
                Some(groups) => {
                    let regrouped = FileScanConfigBuilder::from(scan.clone())
                        .with_file_groups(groups)
                        .build();
                    Ok(Transformed::yes(
                        DataSourceExec::from_data_source(regrouped) as Arc<dyn ExecutionPlan>,
                    ))
                }
                None => Ok(Transformed::no(node)),
            }
        })
        .data()
    }

    fn name(&self) -> &str {
        "scan_partitions"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// A group per file, or per range of a file over `split_size` bytes (0: never split);
/// `None` when the groups are that already.
fn partition_per_file(groups: &[FileGroup], split_size: u64) -> Option<Vec<FileGroup>> {
    let too_large = |file: &PartitionedFile| {
        split_size > 0 && file.range.is_none() && file.object_meta.size > split_size
    };
    let files = || groups.iter().flat_map(FileGroup::iter);
    if groups.iter().all(|group| group.len() == 1) && !files().any(too_large) {
        return None;
    }
    let mut regrouped = Vec::new();
    for file in files() {
        if too_large(file) {
            regrouped.extend(ranges(file, split_size).map(|piece| FileGroup::new(vec![piece])));
        } else {
            regrouped.push(FileGroup::new(vec![file.clone()]));
        }
    }
    // No files at all: keep DataFusion's (empty) groups rather than a scan of no partitions.
    (!regrouped.is_empty()).then_some(regrouped)
}

/// `file` cut into ranges of (nearly) equal size, none larger than `split_size`.
fn ranges(file: &PartitionedFile, split_size: u64) -> impl Iterator<Item = PartitionedFile> {
    let size = file.object_meta.size;
    let pieces = size.div_ceil(split_size).max(1);
    let piece_size = size.div_ceil(pieces);
    (0..pieces).map(move |piece| {
        let start = piece * piece_size;
        let end = (start + piece_size).min(size);
        file.clone().with_range(
            i64::try_from(start).unwrap_or(i64::MAX),
            i64::try_from(end).unwrap_or(i64::MAX),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of a group, and the byte range read of it.
    type Piece = (String, Option<(i64, i64)>);

    fn file(name: &str, size: u64) -> PartitionedFile {
        PartitionedFile::new(name, size)
    }

    #[test]
    fn files_over_the_size_are_cut_into_ranges_covering_each_exactly() {
        let groups = vec![
            FileGroup::new(vec![file("small-1", 10), file("big", 250)]),
            FileGroup::new(vec![file("small-2", 100)]),
        ];
        let split = partition_per_file(&groups, 100).unwrap();
        let described: Vec<Vec<Piece>> = split
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|file| {
                        let range = file.range.as_ref().map(|range| (range.start, range.end));
                        (file.object_meta.location.to_string(), range)
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            described,
            vec![
                vec![("small-1".to_string(), None)],
                vec![("big".to_string(), Some((0, 84)))],
                vec![("big".to_string(), Some((84, 168)))],
                vec![("big".to_string(), Some((168, 250)))],
                vec![("small-2".to_string(), None)],
            ]
        );
    }

    #[test]
    fn files_packed_into_one_group_get_a_partition_each() {
        let groups = vec![FileGroup::new(vec![file("a", 100), file("b", 99)])];
        let regrouped = partition_per_file(&groups, 0).unwrap();
        assert_eq!(regrouped.len(), 2);
        assert!(regrouped.iter().all(|group| group.len() == 1));
    }

    #[test]
    fn nothing_changes_when_every_file_is_alone_and_small() {
        let groups = vec![
            FileGroup::new(vec![file("a", 100)]),
            FileGroup::new(vec![file("b", 99)]),
        ];
        assert!(partition_per_file(&groups, 100).is_none());
        assert!(partition_per_file(&groups, 0).is_none());
    }
}
