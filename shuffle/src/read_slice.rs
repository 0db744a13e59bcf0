//! [`ReadSlice`]: what one task of a re-planned stage reads of a shuffle: adjacent
//! partitions merged by coalescing, or the files a range of map tasks wrote to a skewed
//! partition.

use std::ops::Range;

use crate::shuffle_reader::PartitionLocation;

/// What one output partition of a re-planned reader reads: adjacent partitions the writer
/// wrote (coalescing), or the files a range of map tasks wrote to one partition (a skewed
/// partition split into several tasks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSlice {
    /// The writer's partitions.
    pub partitions: Range<usize>,
    /// Only the files these map tasks wrote; `None` reads them all.
    pub map_tasks: Option<Range<u32>>,
}

impl ReadSlice {
    /// All of the writer's partitions `partitions`.
    pub fn whole(partitions: Range<usize>) -> Self {
        Self {
            partitions,
            map_tasks: None,
        }
    }

    /// What map tasks `map_tasks` wrote to partition `partition`.
    pub fn split(partition: usize, map_tasks: Range<u32>) -> Self {
        Self {
            partitions: partition..partition + 1,
            map_tasks: Some(map_tasks),
        }
    }

    /// Whether it is a slice of a writer of `partitions` partitions: some of them, and a
    /// non-empty range of map tasks only within one partition.
    pub(crate) fn fits(&self, partitions: usize) -> bool {
        !self.partitions.is_empty()
            && self.partitions.end <= partitions
            && self
                .map_tasks
                .as_ref()
                .is_none_or(|tasks| !tasks.is_empty() && self.partitions.len() == 1)
    }

    /// Whether it reads `location`, a file of one of its partitions.
    pub(crate) fn reads(&self, location: &PartitionLocation) -> bool {
        self.map_tasks
            .as_ref()
            .is_none_or(|tasks| tasks.contains(&location.map_task))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use datafusion::physical_expr::EquivalenceProperties;
    use datafusion::physical_expr::expressions::col;
    use datafusion::physical_plan::{ExecutionPlan, Partitioning};

    use super::*;
    use crate::ShuffleReaderExec;
    use crate::ids::StageId;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]))
    }

    /// The unresolved reader of a stage hash-partitioned `partitions` ways.
    fn hash_reader(partitions: usize) -> ShuffleReaderExec {
        let hash = Partitioning::Hash(vec![col("k", &schema()).unwrap()], partitions);
        ShuffleReaderExec::unresolved(
            StageId(1),
            schema(),
            EquivalenceProperties::new(schema()),
            hash,
        )
    }

    /// A one-row file `name` written by map task `map_task`.
    fn location(name: &str, map_task: u32) -> PartitionLocation {
        PartitionLocation {
            path: name.into(),
            num_rows: 1,
            num_bytes: 10,
            index_entry: None,
            map_task,
            remote: None,
        }
    }

    /// The paths each task of `reader` reads once resolved over `written`.
    fn resolved_paths(
        reader: &ShuffleReaderExec,
        written: &[Vec<PartitionLocation>],
    ) -> Vec<Vec<String>> {
        reader
            .resolve(written.to_vec())
            .unwrap()
            .locations()
            .unwrap()
            .iter()
            .map(|files| files.iter().map(|f| f.path.display().to_string()).collect())
            .collect()
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)] // groups of partitions, one group or more
    fn a_coalesced_reader_reads_each_group_of_partitions_as_one() {
        let reader = hash_reader(4);
        let file = |name: &str| location(name, 0);
        let written = vec![
            vec![file("p0a"), file("p0b")],
            vec![file("p1")],
            vec![],
            vec![file("p3")],
        ];
        let coalesced = reader.coalesced(vec![0..1, 1..4]).unwrap();
        assert_eq!(coalesced.properties().partitioning.partition_count(), 2);
        assert_eq!(coalesced.written_partitions(), 4);
        let one_line = datafusion::physical_plan::displayable(&coalesced)
            .one_line()
            .to_string();
        assert!(one_line.contains("coalesced from 4"), "{one_line}");
        assert_eq!(
            resolved_paths(&coalesced, &written),
            vec![vec!["p0a", "p0b"], vec!["p1", "p3"]]
        );

        // Groups must cover every partition once, in order; a resolved reader is final.
        for groups in [vec![0..2], vec![0..2, 3..4], vec![1..4], vec![0..0, 0..4]] {
            assert!(reader.coalesced(groups.clone()).is_err(), "{groups:?}");
        }
        assert!(
            reader
                .resolve(written)
                .unwrap()
                .coalesced(vec![0..4])
                .is_err()
        );
        let passthrough = ShuffleReaderExec::unresolved(
            StageId(1),
            schema(),
            EquivalenceProperties::new(schema()),
            Partitioning::UnknownPartitioning(4),
        );
        assert!(passthrough.coalesced(vec![0..4]).is_err());
    }

    #[test]
    fn a_split_partition_is_read_by_ranges_of_map_tasks_and_the_other_side_whole() {
        let reader = hash_reader(3);
        let file = location;
        let written = vec![
            vec![file("p0m0", 0), file("p0m1", 1)],
            vec![file("p1m0", 0), file("p1m1", 1), file("p1m3", 3)],
            vec![file("p2m2", 2)],
        ];
        let paths = |reader: &ShuffleReaderExec| resolved_paths(reader, &written);
        // Partition 1 is split in two by map tasks; its neighbours are merged.
        let split = reader
            .sliced(vec![
                ReadSlice::whole(0..1),
                ReadSlice::split(1, 0..1),
                ReadSlice::split(1, 1..4),
                ReadSlice::whole(2..3),
            ])
            .unwrap();
        assert_eq!(split.properties().partitioning.partition_count(), 4);
        assert_eq!(split.written_partitions(), 3);
        assert_eq!(
            paths(&split),
            vec![
                vec!["p0m0", "p0m1"],
                vec!["p1m0"],
                vec!["p1m1", "p1m3"],
                vec!["p2m2"]
            ]
        );
        let one_line = datafusion::physical_plan::displayable(&split)
            .one_line()
            .to_string();
        assert!(
            one_line.contains("4 slices of 3, skewed ones split"),
            "{one_line}"
        );

        // The other side of the join reads partition 1 whole, once per split.
        let replicated = reader
            .sliced(vec![
                ReadSlice::whole(0..1),
                ReadSlice::whole(1..2),
                ReadSlice::whole(1..2),
                ReadSlice::whole(2..3),
            ])
            .unwrap();
        assert_eq!(paths(&replicated)[1], paths(&replicated)[2]);
        // Merged neighbours and a partition read twice: as many slices as partitions, but
        // still labelled split.
        let merged_and_replicated = reader
            .sliced(vec![
                ReadSlice::whole(0..2),
                ReadSlice::whole(2..3),
                ReadSlice::whole(2..3),
            ])
            .unwrap();
        let one_line = datafusion::physical_plan::displayable(&merged_and_replicated)
            .one_line()
            .to_string();
        assert!(
            one_line.contains("3 slices of 3, skewed ones split"),
            "{one_line}"
        );

        // Every partition is read; a range of map tasks reads one partition.
        for slices in [
            vec![ReadSlice::whole(0..2)],
            vec![ReadSlice::whole(0..3), ReadSlice::split(1, 2..2)],
            vec![ReadSlice {
                partitions: 0..3,
                map_tasks: Some(0..1),
            }],
            vec![ReadSlice::whole(0..4)],
            vec![],
        ] {
            assert!(reader.sliced(slices.clone()).is_err(), "{slices:?}");
        }
        assert!(split.sliced(vec![ReadSlice::whole(0..3)]).is_err(), "once");
    }
}
